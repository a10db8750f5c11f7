"""Glossary: German terms rendered the way the reader knows them (Selenskyj -> Zelensky).

A translation model cannot be told to put a term mid-sentence (CTranslate2 has no positive lexical
constraints; transformers 5 dropped constrained beam search), and it copies an unseen name
"fuzzily". So the glossary works on the model's output, segment by segment, where the German
source holds a term:

- the English rendering is there: kept;
- the model wrote the German spelling ("Schoigu", "Selenskyjs") or a known variant ("Kiev"):
  replaced, whole words only, never inside another word or another term's rendering;
- neither: the segment is translated once more with the term already in English in its German
  source ("pre-substitution": the model usually copies Latin-script names), and that translation
  is taken where it carries the rendering and looks no worse to the guard;
- still missing: the model's text is kept and the segment flagged (`glossary`).

scripts/glossary_strategies.py measured post-editing alone, pre-substitution alone and both (the
numbers are in docs/glossary.md). The summary follows the same glossary (`edit_text`).

A glossary is the user's file (TOML or TSV) over the shipped default names (summarise/names/:
CLDR's German and English names of countries and cities, and a curated list of people and places
whose German transcription differs from the English one), the user's entries winning.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from .brief import GLOSSARY as GLOSSARY_FLAG
from .brief import KEPT, MISSING, PLACED, REPLACED, GlossaryUse, Translation
from .errors import GlossaryError
from .translate import OnTranslated, TranslatedSegment, Translator

NAMES_FOLDER = Path(__file__).resolve().parent / "names"
# The shipped default names, in the order they are merged (a later file's entry wins).
DEFAULT_NAME_FILES = ("cldr.tsv", "curated.tsv")
DEFAULT_ORIGIN = "default names"

MAX_GLOSSARY_BYTES = 10 * 2**20
MAX_TERM_CHARACTERS = 200
TSV_SUFFIXES = (".tsv", ".tab", ".txt")
TSV_OPTIONS = {
    "whole-word": ("whole_word", True),
    "part-word": ("whole_word", False),
    "match-case": ("match_case", True),
    "any-case": ("match_case", False),
}
TOML_TERM_KEYS = {"english", "variants", "whole_word", "match_case"}

# How a glossary is applied (scripts/glossary_strategies.py compares them).
Method = Literal["post-edit", "pre-substitute", "both"]
METHOD: Method = "both"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A found spelling at the start of a sentence: its rendering takes a capital letter there.
_SENTENCE_START = re.compile(r"(?:^|[.!?:]['\"”’»)]*\s+)['\"“„«(]*$")


@dataclass(frozen=True)
class Term:
    """One entry: a German term, its English rendering, the model's known variants of it, and how
    it is matched. `whole_word` False: found inside longer German words too (compounds)."""

    german: str
    english: str
    variants: tuple[str, ...] = ()
    whole_word: bool = True
    match_case: bool = True
    origin: str = ""  # "glossary.toml:3", "default names: curated.tsv:12"

    @property
    def key(self) -> str:
        """How the term is recognised: its words, spaced once, folded when case does not matter."""
        words = " ".join(self.german.split())
        return words if self.match_case else words.casefold()

    def use(self, action: str, found: str = "") -> GlossaryUse:
        return GlossaryUse(self.german, self.english, action, self.origin, found)

    @cached_property
    def rendering_pattern(self) -> re.Pattern[str]:
        """The rendering in English: whole words (inside words too for a part-word term), its first
        letter in either case (a sentence may start with it)."""
        return re.compile(_word_bounded(self.english, self.whole_word, first_letter_free=True), self._flags)

    @cached_property
    def spelling_patterns(self) -> tuple[re.Pattern[str], ...]:
        """What is replaced in English: the German spelling (also with an -s, "Selenskyjs", "Huthis")
        and the variants, as whole words only: a replacement never cuts into a word."""
        forms = [form for form in (self.german, *self.variants) if form != self.english]
        patterns = []
        for n, form in enumerate(forms):
            body = _word_bounded(form, True, first_letter_free=True, genitive=n == 0)
            patterns.append(re.compile(body, self._flags))
        return tuple(patterns)

    @property
    def _flags(self) -> re.RegexFlag:
        return re.NOFLAG if self.match_case else re.IGNORECASE


def _phrase(text: str) -> str:
    """A literal phrase as a pattern, any run of white space between its words."""
    return r"\s+".join(re.escape(word) for word in text.split())


def _word_bounded(
    text: str, whole_word: bool, first_letter_free: bool = False, genitive: bool = False
) -> str:
    body = _phrase(text)
    if first_letter_free and text[:1].isalpha() and text[:1].lower() != text[:1].upper():
        first = re.escape(text[0])
        body = f"[{first.lower()}{first.upper()}]" + _phrase(text)[len(first) :]
    if not whole_word:
        return body
    tail = r"(?:(?P<genitive>s)(?!\w)|(?!\w))" if genitive else r"(?!\w)"
    return rf"(?<!\w){body}{tail}"


@dataclass(frozen=True)
class Match:
    term: Term
    start: int
    end: int
    genitive: bool  # "Selenskyjs", "Huthis": the term and an -s (a genitive, or a plural)


@dataclass(frozen=True)
class Edited:
    """A translation after the glossary: its text, and what was done for each term of its source."""

    text: str
    uses: tuple[GlossaryUse, ...]


@dataclass(frozen=True)
class Glossary:
    """The terms of a run: the user's glossary over the default names (either may be absent)."""

    terms: tuple[Term, ...] = ()
    # The files it came from: "default names: cldr.tsv", the user's glossary (its absolute path).
    sources: tuple[str, ...] = ()
    method: Method = METHOD

    @cached_property
    def _by_key(self) -> dict[str, Term]:
        return {term.key: term for term in self.terms}

    @classmethod
    def of(cls, user: Path | None, default_names: bool = True, method: Method = METHOD) -> Glossary:
        """The run's glossary: the default names (unless turned off), then the user's file, whose
        entries replace default ones for the same German term. Raises GlossaryError."""
        # By the German term in any case: a user's "kiew" replaces the default "Kiew" too.
        merged: dict[str, Term] = {}
        sources: list[str] = []
        files = [NAMES_FOLDER / name for name in DEFAULT_NAME_FILES] if default_names else []
        for path in files:
            terms = load_glossary(path, f"{DEFAULT_ORIGIN}: {path.name}")
            sources.append(f"{DEFAULT_ORIGIN}: {path.name}")
            merged.update({term.german.casefold(): term for term in terms})
        if user is not None:
            terms = load_glossary(user)
            sources.append(str(user.resolve()))
            merged.update({term.german.casefold(): term for term in terms})
        return cls(tuple(merged.values()), tuple(sources), method)

    def __bool__(self) -> bool:
        return bool(self.terms)

    @cached_property
    def fingerprint(self) -> str:
        """Of every entry with its origin, and the method: what a run's glossary is."""
        return _fingerprint(self.terms, self.method)

    def signature(self, texts: Sequence[str]) -> dict[str, Any] | None:
        """The glossary as an article's brief records it and its cache key takes it: the entries
        whose German is in `texts` (its headline and paragraphs), their fingerprint, the method,
        and the files of the glossary. None where no entry is in them: an edit of the glossary
        then costs such an article nothing, and its brief is not made again."""
        found = {m.term.key: m.term for text in texts for m in self.matches(text)}
        if not found:
            return None
        terms = list(found.values())
        return {
            "fingerprint": _fingerprint(terms, self.method),
            "entries": len(terms),
            "method": self.method,
            "files": list(self.sources),
        }

    def terms_used(self, translation: Translation) -> list[Term]:
        """The entries that applied to a translation's headline or segments."""
        units = [*filter(None, [translation.headline]), *translation.segments]
        used = {use.term for unit in units for use in unit.glossary}
        return [term for german in sorted(used) if (term := self.term(german)) is not None]

    def term(self, german: str) -> Term | None:
        """The entry of a German term as a brief records it."""
        words = " ".join(german.split())
        return self._by_key.get(words) or self._by_key.get(words.casefold())

    # ------------------------------------------------------------------------- finding terms

    @cached_property
    def _source_patterns(self) -> list[re.Pattern[str]]:
        """One alternation per kind of matching, longest terms first (the longest wins at a place)."""
        groups: dict[tuple[bool, bool], list[Term]] = {}
        for term in self.terms:
            groups.setdefault((term.whole_word, term.match_case), []).append(term)
        patterns = []
        for (whole_word, match_case), terms in groups.items():
            ordered = sorted(terms, key=lambda t: len(t.german), reverse=True)
            body = "|".join(_phrase(t.german) for t in ordered)
            tail = r"(?:(?P<genitive>s)(?!\w)|(?!\w))" if whole_word else ""
            head = r"(?<!\w)" if whole_word else ""
            flags = re.NOFLAG if match_case else re.IGNORECASE
            patterns.append(re.compile(f"{head}(?:{body}){tail}", flags))
        return patterns

    def matches(self, source: str) -> list[Match]:
        """The terms in a German text, overlaps resolved: the earlier, then the longer, wins."""
        found = []
        for pattern in self._source_patterns:
            for hit in pattern.finditer(source):
                genitive = bool(hit.groupdict().get("genitive"))
                words = hit.group()[: -1 if genitive else None]
                term = self.term(words)
                if term is None:  # case-insensitive: the casefolded key
                    continue
                found.append(Match(term, hit.start(), hit.end(), genitive))
        return _without_overlaps(found, lambda m: (m.start, m.end))

    def terms_in(self, source: str) -> list[Term]:
        return list({m.term.key: m.term for m in self.matches(source)}.values())

    # ------------------------------------------------------------------------- applying them

    def edit(self, source: str, target: str) -> Edited:
        """The model's translation of `source` with the glossary applied (see the module's doc)."""
        terms = self.terms_in(source)
        if not terms:
            return Edited(target, ())
        text, found = _replace_spellings(target, terms)
        uses = []
        for term in terms:
            if term.key in found:
                uses.append(term.use(REPLACED, found[term.key]))
            elif term.rendering_pattern.search(text):
                uses.append(term.use(KEPT))
            else:
                uses.append(term.use(MISSING))
        return Edited(text, tuple(uses))

    def substitute(self, source: str) -> str:
        """The German source with each term already in English (its genitive -s kept)."""
        parts, last = [], 0
        for match in self.matches(source):
            parts += [source[last : match.start], match.term.english + ("s" if match.genitive else "")]
            last = match.end
        return "".join(parts) + source[last:]

    def edit_text(self, text: str, terms: Iterable[Term]) -> Edited:
        """English text (a summary) with the German spellings and variants of `terms` replaced;
        nothing is flagged (a summary has no source sentence to hold it to)."""
        wanted = list({t.key: t for t in terms}.values())
        if not wanted:
            return Edited(text, ())
        edited, found = _replace_spellings(text, wanted)
        return Edited(edited, tuple(t.use(REPLACED, found[t.key]) for t in wanted if t.key in found))


def _fingerprint(terms: Iterable[Term], method: str) -> str:
    entries = [[t.german, t.english, list(t.variants), t.whole_word, t.match_case, t.origin] for t in terms]
    content = json.dumps([method, sorted(entries)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _without_overlaps(items: list[Any], span: Callable[[Any], tuple[int, int]]) -> list[Any]:
    """Items whose spans do not overlap: by start, the longer first at one start."""
    kept: list[Any] = []
    end = -1
    for item in sorted(items, key=lambda i: (span(i)[0], -(span(i)[1] - span(i)[0]))):
        if span(item)[0] >= end:
            kept.append(item)
            end = span(item)[1]
    return kept


def _replace_spellings(text: str, terms: Sequence[Term]) -> tuple[str, dict[str, str]]:
    """`text` with the German spellings and variants of `terms` replaced by their renderings, whole
    words only, never inside a rendering already there; and what was found, per term."""
    protected = [hit.span() for term in terms for hit in term.rendering_pattern.finditer(text)]
    candidates = []
    for term in terms:
        for pattern in term.spelling_patterns:
            for hit in pattern.finditer(text):
                if not any(hit.start() < end and start < hit.end() for start, end in protected):
                    candidates.append((term, hit))
    chosen = _without_overlaps(candidates, lambda c: c[1].span())
    found: dict[str, str] = {}
    for term, hit in reversed(chosen):
        # The -s is kept as it is: "Huthis" is a plural ("Houthis"), "Selenskyjs" a genitive; an
        # apostrophe would be a guess that is wrong for one of them.
        genitive = bool(hit.groupdict().get("genitive"))
        rendering = term.english + ("s" if genitive else "")
        start = hit.start()
        if hit.group()[:1].isupper() and rendering[:1].islower() and _SENTENCE_START.search(text[:start]):
            rendering = rendering[:1].upper() + rendering[1:]
        text = text[:start] + rendering + text[hit.end() :]
        found[term.key] = hit.group()  # the earliest, as the loop runs backwards
    return text, found


class GlossaryTranslator:
    """A Translator in front of another (the translation memory): the model's translations with
    the glossary applied, segments whose term is still missing translated once more with the term
    pre-substituted, and what remains missing flagged."""

    def __init__(self, glossary: Glossary, translator: Translator) -> None:
        self.glossary = glossary
        self.translator = translator

    def translate(
        self,
        texts: Sequence[str],
        on_translated: OnTranslated | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> dict[str, TranslatedSegment]:
        texts = list(dict.fromkeys(texts))
        method = self.glossary.method
        if method == "pre-substitute":
            given = {text: self.glossary.substitute(text) for text in texts}
            model = self.translator.translate(list(dict.fromkeys(given.values())), None, should_stop)
            done = {text: self._applied(text, model[given[text]], PLACED) for text in texts}
        else:
            model = self.translator.translate(texts, None, should_stop)
            done = {text: self._applied(text, model[text]) for text in texts}
            if method == "both":
                done.update(self._again_substituted(done, should_stop))
        done = {text: _flagged(segment) for text, segment in done.items()}
        if on_translated is not None and done:
            on_translated(done)
        return done

    def _applied(self, source: str, segment: TranslatedSegment, kept_as: str = KEPT) -> TranslatedSegment:
        edited = self.glossary.edit(source, segment.text)
        uses = tuple(replace(use, action=kept_as) if use.action == KEPT else use for use in edited.uses)
        return replace(segment, text=edited.text, glossary=uses)

    def _again_substituted(
        self, done: dict[str, TranslatedSegment], should_stop: Callable[[], bool] | None
    ) -> dict[str, TranslatedSegment]:
        """Segments with a term missing, translated from the source with the terms in English:
        taken where fewer terms are missing and the guard doubts them no more."""
        missing = [text for text, segment in done.items() if _missing(segment)]
        if not missing:
            return {}
        given = {text: self.glossary.substitute(text) for text in missing}
        again = self.translator.translate(list(dict.fromkeys(given.values())), None, should_stop)
        better = {}
        for text in missing:
            first, second = done[text], self._applied(text, again[given[text]], PLACED)
            if _missing(second) < _missing(first) and len(second.flags) <= len(first.flags):
                better[text] = second
        return better


def _missing(segment: TranslatedSegment) -> int:
    return sum(1 for use in segment.glossary if use.action == MISSING)


def _flagged(segment: TranslatedSegment) -> TranslatedSegment:
    if _missing(segment) and GLOSSARY_FLAG not in segment.flags:
        return replace(segment, flags=[*segment.flags, GLOSSARY_FLAG])
    return segment


# ----------------------------------------------------------------------------- reading the files


def load_glossary(path: Path, origin: str | None = None) -> list[Term]:
    """The entries of a glossary file (TOML, or TSV: German, English, variants, options).
    Raises GlossaryError naming the file and the line of the first bad entry."""
    name = origin or path.name
    text = _read(path)
    if path.suffix.lower() == ".toml":
        terms = _from_toml(path, text, name)
    elif path.suffix.lower() in TSV_SUFFIXES:
        terms = _from_tsv(path, text, name)
    else:
        raise GlossaryError(path, None, "a glossary is a .toml or a .tsv file")
    seen: dict[str, Term] = {}
    for term in terms:
        twice = seen.get(term.german.casefold())
        if twice is not None:
            first = f" (first on line {_line_in(twice.origin)})" if _line_in(twice.origin) else ""
            raise GlossaryError(path, _line_in(term.origin), f"{term.german!r} is given twice{first}")
        seen[term.german.casefold()] = term
    return terms


def _line_in(origin: str) -> int | None:
    """The line of an entry's origin ("glossary.toml:3" -> 3)."""
    tail = origin.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _origin(name: str, line: int | None) -> str:
    return f"{name}:{line}" if line is not None else name


def _read(path: Path) -> str:
    try:
        if not path.is_file():
            raise GlossaryError(path, None, "no such file" if not path.exists() else "not a file")
        if path.stat().st_size > MAX_GLOSSARY_BYTES:
            raise GlossaryError(path, None, f"larger than {MAX_GLOSSARY_BYTES // 2**20} MB")
        data = path.read_bytes()
    except OSError as error:
        raise GlossaryError(path, None, error.strerror or str(error)) from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise GlossaryError(path, line, "not UTF-8 text") from error


def _from_tsv(path: Path, text: str, name: str) -> list[Term]:
    terms = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")]
        while len(fields) > 2 and not fields[-1]:
            fields.pop()
        if len(fields) < 2:
            raise GlossaryError(path, number, "expected German<TAB>English (no tab on this line)")
        if len(fields) > 4:
            raise GlossaryError(path, number, "at most 4 columns: German, English, variants, options")
        german, english = fields[0], fields[1]
        variants = [v.strip() for v in fields[2].split("|")] if len(fields) > 2 and fields[2] else []
        settings: dict[str, bool] = {}
        for word in fields[3].replace(",", " ").split() if len(fields) > 3 else []:
            if word not in TSV_OPTIONS:
                known = ", ".join(TSV_OPTIONS)
                raise GlossaryError(path, number, f"unknown option {word!r} (known: {known})")
            key, value = TSV_OPTIONS[word]
            settings[key] = value
        terms.append(_term(path, number, german, english, variants, settings, _origin(name, number)))
    return terms


def _from_toml(path: Path, text: str, name: str) -> list[Term]:
    lines = _key_lines(text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        at = re.search(r"\(at line (\d+)", str(error))
        line = int(at.group(1)) if at else None
        reason = str(error).split(" (at line")[0]
        raise GlossaryError(path, line, f"not valid TOML: {reason}") from error
    unknown = sorted(set(data) - {"options", "terms"})
    if unknown:
        raise GlossaryError(
            path,
            lines.get(unknown[0]),
            f"unknown key {unknown[0]!r} (a glossary has [options] and [terms])",
        )
    options = data.get("options", {})
    if not isinstance(options, dict) or set(options) - {"whole_word", "match_case"}:
        raise GlossaryError(path, lines.get("options"), "[options] takes whole_word and match_case")
    for key, value in options.items():
        if not isinstance(value, bool):
            raise GlossaryError(path, lines.get(key), f"{key} must be true or false")
    entries = data.get("terms", {})
    if not isinstance(entries, dict):
        raise GlossaryError(path, lines.get("terms"), "terms must be a table: German = English")
    terms = []
    for german, value in entries.items():
        number = lines.get(german)
        settings = dict(options)
        if isinstance(value, str):
            english, variants = value, []
        elif isinstance(value, dict):
            unknown = sorted(set(value) - TOML_TERM_KEYS)
            if unknown:
                known = ", ".join(sorted(TOML_TERM_KEYS))
                raise GlossaryError(path, number, f"unknown key {unknown[0]!r} (known: {known})")
            given, variants = value.get("english"), value.get("variants", [])
            if not isinstance(given, str):
                raise GlossaryError(path, number, f'{german!r} has no english = "..."')
            english = given
            if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
                raise GlossaryError(path, number, "variants must be a list of strings")
            for key in ("whole_word", "match_case"):
                if key in value:
                    if not isinstance(value[key], bool):
                        raise GlossaryError(path, number, f"{key} must be true or false")
                    settings[key] = value[key]
        else:
            raise GlossaryError(path, number, f"{german!r} must be given a string or a table")
        terms.append(_term(path, number, german, english, variants, settings, _origin(name, number)))
    return terms


_TOML_KEY = re.compile(
    r"""^\s*(?:\[\s*(?P<table>[\w.-]+)\s*\]|(?P<bare>[\w-]+)|"(?P<basic>(?:[^"\\]|\\.)*)"|'(?P<literal>[^']*)')\s*=?"""
)


def _key_lines(text: str) -> dict[str, int]:
    """The line where each TOML key (or [table]) is first given: tomllib keeps no positions."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        found = _TOML_KEY.match(line)
        if found is None:
            continue
        key = found.group("table") or found.group("bare") or found.group("literal")
        if found.group("basic") is not None:
            try:
                key = json.loads(f'"{found.group("basic")}"')
            except ValueError:
                key = found.group("basic")
        if key is not None:
            lines.setdefault(key, number)
    return lines


def _term(
    path: Path,
    line: int | None,
    german: str,
    english: str,
    variants: list[str],
    settings: dict[str, bool],
    origin: str,
) -> Term:
    for what, value in [
        ("German term", german),
        ("English rendering", english),
        *[("variant", v) for v in variants],
    ]:
        if not value.strip():
            raise GlossaryError(path, line, f"empty {what}")
        if _CONTROL.search(value):
            raise GlossaryError(path, line, f"control characters in the {what}")
        if len(value) > MAX_TERM_CHARACTERS:
            raise GlossaryError(path, line, f"{what} longer than {MAX_TERM_CHARACTERS} characters")
    if not re.search(r"\w", german):
        raise GlossaryError(path, line, f"the German term {german!r} has no letters or digits")
    return Term(
        " ".join(german.split()),
        " ".join(english.split()),
        tuple(dict.fromkeys(" ".join(v.split()) for v in variants)),
        settings.get("whole_word", True),
        settings.get("match_case", True),
        origin,
    )
