"""Clean stage: normalise each paragraph, drop web boilerplate, and find the headline.

Boilerplate is found three ways, and every removed line is kept with its reason:
- by rule: regular expressions kept as data (boilerplate.toml), German and English;
- by list shape: after a "Lesen Sie auch" / "More Stories" heading, the short lines that follow;
  and at the very end of an article, a run of three or more short lines without sentence
  punctuation (headlines of other articles);
- by evidence across the run: a short line found in several different articles of one run, unless
  it ends like a sentence (shared wire copy is a duplicate, not junk).
"""

from __future__ import annotations

import hashlib
import re
import sys
import tomllib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .brief import RemovedLine

# Invisible characters that carry no text: zero-width spaces and joiners, soft hyphens, BOMs.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")
_BULLET = re.compile(r"^[-–—•*·▪►]\s")
# A sentence ends here: final punctuation, perhaps followed by closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?…:;][\"'“”»«›‹)\]]*$")
_FULL_STOP = re.compile(r"[.!?…][\"'“”»«›‹)\]]*$")  # "Lesen Sie auch:" is not a sentence

HEADLINE_MAX_CHARS = 150
LIST_ITEM_MAX_CHARS = 200
TRAILING_LIST_MIN_LINES = 3
TRAILING_ITEM_MAX_CHARS = 120
# Evidence across a run: a line this short, found in this many different articles.
REPEATED_MAX_CHARS = 200
REPEATED_MIN_ARTICLES = 3


@dataclass
class CleanText:
    paragraphs: list[str]  # the article's body, as it will be translated
    headline: str | None = None  # the first line, when it reads like a headline
    removed: list[RemovedLine] = field(default_factory=list)


@dataclass(frozen=True)
class Rule:
    reason: str
    pattern: re.Pattern[str]
    max_chars: int = sys.maxsize
    starts_list: bool = False
    not_a_sentence: bool = False  # only lines that do not end like a sentence
    list_reason: str = "link list after “{heading}”"  # for the lines of the list it starts

    def matches(self, line: str) -> bool:
        if len(line) > self.max_chars or (self.not_a_sentence and _FULL_STOP.search(line)):
            return False
        return self.pattern.search(line) is not None


@lru_cache(maxsize=1)
def boilerplate_rules() -> tuple[Rule, ...]:
    """The rules shipped in boilerplate.toml."""
    data = tomllib.loads(resources.files(__package__).joinpath("boilerplate.toml").read_text("utf-8"))
    return tuple(
        Rule(
            reason=rule["reason"],
            pattern=re.compile(rule["pattern"], re.IGNORECASE),
            max_chars=rule.get("max_chars", sys.maxsize),
            starts_list=rule.get("starts_list", False),
            not_a_sentence=rule.get("not_a_sentence", False),
            list_reason=rule.get("list_reason", Rule.list_reason),
        )
        for rule in data["rule"]
    )


class RepeatedLines:
    """Short lines seen in several different articles of one run: boilerplate by evidence.

    Lines are counted by key (`line_keys`): the output folder's ledger keeps each article's keys,
    so the evidence of a re-run is counted without reading the articles that did not change."""

    def __init__(self, min_articles: int = REPEATED_MIN_ARTICLES) -> None:
        self.min_articles = min_articles
        self._articles: dict[str, set[str]] = defaultdict(set)

    def add(self, article_id: str, keys: Iterable[str]) -> None:
        """Count an article's lines (their keys); the same content under two names counts once
        (same id)."""
        for key in keys:
            self._articles[key].add(article_id)

    def articles_with(self, line: str) -> int:
        return len(self._articles.get(_line_key(line), ()))

    def is_repeated(self, line: str) -> bool:
        return self.articles_with(line) >= self.min_articles  # longer lines were never counted

    def verdicts(self, keys: Iterable[str]) -> tuple[int, ...]:
        """What this evidence says of an article's lines: for each, the number of articles that
        have it where that makes it boilerplate, else 0. While these stay the same, cleaning the
        article gives the same text (the count is part of a removed line's reason)."""
        counts = (len(self._articles.get(key, ())) for key in keys)
        return tuple(count if count >= self.min_articles else 0 for count in counts)


def line_keys(paragraphs: Iterable[str]) -> list[str]:
    """The keys of an article's lines that evidence across a run counts: the short ones."""
    keys = []
    for paragraph in paragraphs:
        line = _normalise(paragraph)
        if line and len(line) <= REPEATED_MAX_CHARS:
            keys.append(_line_key(line))
    return keys


def _line_key(line: str) -> str:
    """A normalised line's key: 64 bits of a hash of its case-folded text."""
    data = line.casefold().encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def clean_paragraphs(
    paragraphs: Sequence[str],
    keep_boilerplate: bool = False,
    repeated: RepeatedLines | None = None,
    rules: Sequence[Rule] | None = None,
) -> CleanText:
    """Normalise the paragraphs, remove boilerplate (unless kept) and take out the headline."""
    rules = boilerplate_rules() if rules is None else rules
    removed: list[RemovedLine] = []
    lines: list[tuple[int, str]] = []  # (position as read, normalised text)
    for index, paragraph in enumerate(paragraphs):
        text = _normalise(paragraph)
        if text:
            lines.append((index, text))
        else:
            removed.append(RemovedLine(index, paragraph, "no visible text"))
    if not keep_boilerplate:
        lines = _drop_boilerplate(lines, rules, repeated, removed)
    removed.sort(key=lambda line: line.paragraph)
    body = [text for _, text in lines]
    headline = body.pop(0) if len(body) > 1 and is_headline(body[0]) else None
    return CleanText(body, headline, removed)


def is_headline(line: str) -> bool:
    """Short, at least two words, and no sentence punctuation at the end."""
    return len(line) <= HEADLINE_MAX_CHARS and len(line.split()) >= 2 and not _SENTENCE_END.search(line)


def _drop_boilerplate(
    lines: list[tuple[int, str]],
    rules: Sequence[Rule],
    repeated: RepeatedLines | None,
    removed: list[RemovedLine],
) -> list[tuple[int, str]]:
    kept: list[tuple[int, str]] = []
    heading: tuple[str, Rule] | None = None  # the line that opened a list, and its rule
    for index, text in lines:
        rule = next((r for r in rules if r.matches(text)), None)
        if rule is None and heading is not None and _list_item(text):
            opener, opened_by = heading
            removed.append(RemovedLine(index, text, opened_by.list_reason.format(heading=opener)))
            continue
        if rule is not None:  # its own reason; a list it is part of goes on after it
            removed.append(RemovedLine(index, text, rule.reason))
            heading = (text, rule) if rule.starts_list else heading
            continue
        heading = None
        # Evidence removes only what looks like boilerplate by its form: a line shared by several
        # articles that ends like a sentence is shared text (agency copy, a developing story),
        # translated once by the translation memory and kept in every brief.
        if repeated is not None and repeated.is_repeated(text) and not _FULL_STOP.search(text):
            count = repeated.articles_with(text)
            removed.append(RemovedLine(index, text, f"repeated in {count} articles of this run"))
        else:
            kept.append((index, text))
    # Headlines of other articles at the very end, with no heading before them.
    trailing = 0
    while trailing < len(kept) - 1 and _trailing_item(kept[-1 - trailing][1]):
        trailing += 1
    if trailing >= TRAILING_LIST_MIN_LINES:
        for index, text in kept[-trailing:]:
            removed.append(RemovedLine(index, text, "trailing link list"))
        kept = kept[:-trailing]
    return kept


def _list_item(line: str) -> bool:
    return bool(_BULLET.match(line)) or (len(line) <= LIST_ITEM_MAX_CHARS and not _SENTENCE_END.search(line))


def _trailing_item(line: str) -> bool:
    return not _BULLET.match(line) and len(line) <= TRAILING_ITEM_MAX_CHARS and not _SENTENCE_END.search(line)


def _normalise(paragraph: str) -> str:
    """NFC, no invisible characters, single spaces."""
    text = unicodedata.normalize("NFC", paragraph)
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()
