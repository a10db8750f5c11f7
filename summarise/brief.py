"""The brief: what summarise makes of one article, as typed, frozen records.

`Brief.to_json()` is the JSON record written beside every brief, a contract for users' scripts
(guarded by tests/test_golden.py); `Brief.from_json()` reads one back. Coverage and the list of
doubtful segments are derived from the segments, never stored twice.

The parts a run caches are records too, with their own JSON pair: `Translation` (per cleaned
text, translator and settings) and `SummaryRecord` (per translation and summariser).

This module imports nothing of the stages: render takes a finished brief, the stages fill one in.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

R = TypeVar("R")


def checked(record: R) -> R:
    """`record` (a dataclass read back from JSON: the cache, the ledger), once every field holds
    what its type says; else TypeError naming the field. A record written by another version, or
    damaged, must be a miss, never an error later in the run."""
    hints = _type_hints(type(record))  # type: ignore[arg-type]
    for item in dataclasses.fields(record):  # type: ignore[arg-type]
        value = getattr(record, item.name)
        if not _matches(value, hints[item.name]):
            raise TypeError(
                f"{type(record).__name__}.{item.name}: {type(value).__name__} is not {hints[item.name]}"
            )
    return record


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _matches(value: Any, hint: Any) -> bool:
    """Whether `value` is of the simple type `hint` (str, int, float, bool, None, their unions,
    tuples of them, the records here); other types (mappings) are the caller's to check."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if origin is tuple:
        arms = typing.get_args(hint)
        if len(arms) == 2 and arms[1] is Ellipsis:
            return isinstance(value, tuple) and all(_matches(item, arms[0]) for item in value)
        return isinstance(value, tuple)
    if origin is None and isinstance(hint, type):
        return isinstance(value, hint)
    return True


# The faithfulness guard's reasons (guard.py decides them), as written in the JSON and the brief.
EMPTY = "empty"
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
REPETITION = "repetition"
LOW_CONFIDENCE = "low_confidence"
# A glossary term of the source whose English the translation does not carry (glossary.py).
GLOSSARY = "glossary"

REASON_TEXT = {
    EMPTY: "empty translation",
    TOO_SHORT: "far shorter than the German",
    TOO_LONG: "far longer than the German",
    REPETITION: "repeats itself",
    LOW_CONFIDENCE: "the model was unsure",
    GLOSSARY: "a glossary term's English is missing",
}

# What the glossary did for one term in one unit (or in the summary).
KEPT = "kept"  # the translation already carried the English rendering
REPLACED = "replaced"  # the model wrote the German spelling or a known variant: replaced
PLACED = "placed"  # given with the term already in English (pre-substituted), the model kept it
MISSING = "missing"  # none of these: the model's text is kept and the unit flagged
GLOSSARY_ACTIONS = (KEPT, REPLACED, PLACED, MISSING)


@dataclass(frozen=True)
class GlossaryUse:
    """A glossary entry that applied to a unit: its German term, the English rendering, what was
    done, where the entry comes from ("glossary.toml:3", "default names: curated.tsv:12"), and
    for a replacement what the model had written."""

    term: str
    rendering: str
    action: str  # one of GLOSSARY_ACTIONS
    origin: str
    found: str = ""  # replaced: the model's words ("Schoigu", "Kiev"); else ""

    def to_json(self) -> dict[str, Any]:
        record = {
            "term": self.term,
            "rendering": self.rendering,
            "action": self.action,
            "origin": self.origin,
        }
        return record | {"found": self.found} if self.found else record

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GlossaryUse:
        use = checked(
            cls(data["term"], data["rendering"], data["action"], data["origin"], data.get("found", ""))
        )
        if use.action not in GLOSSARY_ACTIONS:
            raise TypeError(f"GlossaryUse.action: {use.action!r}")
        return use


def glossary_json(uses: Sequence[GlossaryUse]) -> list[dict[str, Any]]:
    return [use.to_json() for use in uses]


def glossary_from_json(data: Any) -> tuple[GlossaryUse, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        raise TypeError("glossary: not a list")
    return tuple(GlossaryUse.from_json(item) for item in data)


@dataclass(frozen=True)
class Unit:
    """A piece of German text and its English: the headline, or a segment of the body."""

    source: str
    target: str
    confidence: float | None = None  # mean token log-probability (rounded to 4 places); None if untranslated
    flags: tuple[str, ...] = ()  # the guard's doubts that remain after its retry
    retried: bool = False  # flagged at first and translated again with stricter decoding
    glossary: tuple[GlossaryUse, ...] = ()  # the glossary entries of its source, and what was done

    def unit_json(self) -> dict[str, Any]:
        record = {
            "source": self.source,
            "target": self.target,
            "confidence": self.confidence,
            "flags": list(self.flags),
            "retried": self.retried,
        }
        return record | {"glossary": glossary_json(self.glossary)} if self.glossary else record

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Unit:
        return checked(
            cls(
                data["source"],
                data["target"],
                data["confidence"],
                tuple(data["flags"]),
                data["retried"],
                glossary_from_json(data.get("glossary")),
            )
        )


@dataclass(frozen=True)
class Segment(Unit):
    """A segment of the body, with the paragraph and sentence (of the article) it belongs to."""

    paragraph: int = 0
    sentence: int = 0
    verbatim: bool = False  # code, kept as it is: never sent to the translator

    def to_json(self) -> dict[str, Any]:
        record = {"paragraph": self.paragraph, "sentence": self.sentence, **self.unit_json()}
        return record | {"verbatim": True} if self.verbatim else record

    @classmethod
    def of(cls, unit: Unit, paragraph: int, sentence: int, verbatim: bool = False) -> Segment:
        return cls(
            unit.source,
            unit.target,
            unit.confidence,
            unit.flags,
            unit.retried,
            unit.glossary,
            paragraph,
            sentence,
            verbatim,
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Segment:
        unit = Unit.from_json(data)
        return checked(cls.of(unit, data["paragraph"], data["sentence"], data.get("verbatim", False)))


# How a paragraph of the body stood in its source. Plain text is all paragraphs; Markdown has
# headings, list items, table cells (each translated as a unit), code (never translated), quotes.
PARAGRAPH = "paragraph"
HEADING = "heading"
ITEM = "item"
CELL = "cell"
CODE = "code"
QUOTE = "quote"
BLOCK_KINDS = (PARAGRAPH, HEADING, ITEM, CELL, CODE, QUOTE)  # as brief.schema.json lists them


@dataclass(frozen=True)
class Block:
    """The form of one paragraph of the body (what it was in a Markdown source)."""

    kind: str = PARAGRAPH
    level: int = 0  # heading: 1 to 6; item and quote: nesting depth, 0 outermost
    marker: str = ""  # item: "-" or its number and "." or ")", "" for an item's later paragraph; code: info
    table: int = 0  # cell: which table of the article, from 0
    row: int = 0  # cell: 0 is the header row
    column: int = 0
    columns: int = 0  # cell: the table's width

    def to_json(self) -> dict[str, Any]:
        fields: dict[str, tuple[str, ...]] = {
            HEADING: ("level",),
            ITEM: ("level", "marker"),
            QUOTE: ("level",),
            CODE: ("marker",),
            CELL: ("table", "row", "column", "columns"),
        }
        return {"kind": self.kind} | {name: getattr(self, name) for name in fields.get(self.kind, ())}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Block:
        return checked(cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data}))


# Inline code inside a paragraph travels from read to segment between these (private-use
# characters, removed from any Markdown source before parsing): never translated, kept as it is.
CODE_OPEN = "\ue000"
CODE_CLOSE = "\ue001"
_INLINE_CODE = re.compile(f"{CODE_OPEN}([^{CODE_CLOSE}]*){CODE_CLOSE}")


def code_span(content: str) -> str:
    """A Markdown code span showing `content` as it is, whatever backticks it holds."""
    fence = "`" * (max((len(run) for run in re.findall("`+", content)), default=0) + 1)
    pad = " " if content.startswith("`") or content.endswith("`") else ""
    return f"{fence}{pad}{content}{pad}{fence}"


def with_code_spans(text: str) -> str:
    """Text with its inline code (between CODE_OPEN and CODE_CLOSE) written as code spans."""
    return _INLINE_CODE.sub(lambda m: code_span(m.group(1)), text) if CODE_OPEN in text else text


def inline_runs(text: str) -> list[tuple[str, bool]]:
    """A paragraph as runs of prose and of inline code: (text, is_code), in order."""
    runs: list[tuple[str, bool]] = []
    position = 0
    for match in _INLINE_CODE.finditer(text):
        runs.append((text[position : match.start()], False))
        runs.append((match.group(1), True))
        position = match.end()
    runs.append((text[position:], False))
    return [(run, code) for run, code in runs if code or run.strip()]


@dataclass(frozen=True)
class LanguageRecord:
    code: str
    name: str
    detected: str | None
    confidence: float | None
    decided_by: str  # "detector", "assumed" or "--source-lang"
    description: str  # one line for the brief, e.g. "German (de, detected with confidence 1.00)"
    translated: bool  # false for English passed through

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "detected": self.detected,
            "confidence": self.confidence,
            "decided_by": self.decided_by,
            "description": self.description,
            "translated": self.translated,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LanguageRecord:
        return checked(cls(**{key: data[key] for key in cls.__dataclass_fields__}))


@dataclass(frozen=True)
class Translation:
    """An article's translation: what the cache keeps per cleaned text, translator and settings."""

    engine: str  # what ran the translator, e.g. "ctranslate2 int8 on cpu"; "" when untranslated
    language: LanguageRecord
    headline: Unit | None
    sentences: int
    segments: tuple[Segment, ...]
    paragraphs: tuple[str, ...]
    # The form of each paragraph of the body (indexed as segments' `paragraph`); () when all are
    # plain paragraphs, as in any text that is not Markdown.
    blocks: tuple[Block, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "language": self.language.to_json(),
            "headline": self.headline.unit_json() if self.headline else None,
            "sentences": self.sentences,
            "segments": [s.to_json() for s in self.segments],
            "paragraphs": list(self.paragraphs),
            "structure": [block.to_json() for block in self.blocks] if self.blocks else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Translation:
        paragraphs = data["paragraphs"]
        if not isinstance(paragraphs, list):
            raise TypeError("Translation.paragraphs: not a list")
        return checked(
            cls(
                engine=data["engine"],
                language=LanguageRecord.from_json(data["language"]),
                headline=Unit.from_json(data["headline"]) if data["headline"] else None,
                sentences=data["sentences"],
                segments=tuple(Segment.from_json(s) for s in data["segments"]),
                paragraphs=tuple(paragraphs),
                blocks=tuple(Block.from_json(b) for b in data.get("structure") or ()),
            )
        )

    @property
    def translated(self) -> bool:
        return self.language.translated


@dataclass(frozen=True)
class SummaryRecord:
    """An article's summary: what the cache keeps per translation, summariser and settings."""

    text: str
    chunks: int  # chunks summarised in the first round (1 when the text fit the window)
    rounds: int
    engine: str
    glossary: tuple[GlossaryUse, ...] = ()  # German spellings the glossary replaced in it

    def to_json(self) -> dict[str, Any]:
        record = {"text": self.text, "chunks": self.chunks, "rounds": self.rounds, "engine": self.engine}
        return record | {"glossary": glossary_json(self.glossary)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SummaryRecord:
        return checked(
            cls(
                data["text"],
                data["chunks"],
                data["rounds"],
                data["engine"],
                glossary_from_json(data.get("glossary")),
            )
        )


@dataclass(frozen=True)
class Source:
    path: Path
    sha256: str
    encoding: str
    warnings: tuple[str, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)  # web pages: title, author, date, sitename

    @property
    def shown_path(self) -> str:
        """The path for people: bytes that are not UTF-8 and control characters as \\xNN."""
        return shown(str(self.path))

    def to_json(self) -> dict[str, Any]:
        # A path that is not valid UTF-8 cannot be a JSON string: `path` then shows it, and
        # `path_bytes` keeps it losslessly (hex of the bytes; bytes.fromhex gives them back).
        raw = os.fsencode(self.path)
        try:
            path, exact = raw.decode("utf-8"), True
        except UnicodeDecodeError:
            path, exact = raw.decode("utf-8", "backslashreplace"), False
        record: dict[str, Any] = {"path": path}
        if not exact:
            record["path_bytes"] = raw.hex()
        record |= {
            "sha256": self.sha256,
            "encoding": self.encoding,
            "warnings": list(self.warnings),
        }
        if self.metadata:
            record["metadata"] = dict(self.metadata)
        return record

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Source:
        path = (
            Path(os.fsdecode(bytes.fromhex(data["path_bytes"])))
            if "path_bytes" in data
            else Path(data["path"])
        )
        return cls(
            path,
            data["sha256"],
            data["encoding"],
            tuple(data["warnings"]),
            dict(data.get("metadata", {})),
        )


@dataclass(frozen=True)
class ModelUse:
    """A model that made part of the brief: id, resolved revision, where it was found, engine."""

    id: str
    revision: str
    source: str
    engine: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "revision": self.revision, "source": self.source, "engine": self.engine}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelUse:
        return cls(data["id"], data["revision"], data["source"], data["engine"])


@dataclass(frozen=True)
class RemovedLine:
    """A line the clean stage dropped: where it was (paragraph as read), its text, and why."""

    paragraph: int
    text: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"paragraph": self.paragraph, "text": self.text, "reason": self.reason}


# The reason of a removed line that had nothing visible in it (it counts no characters).
NO_VISIBLE_TEXT = "no visible text"


def removed_share(removed_characters: int, characters: int) -> float:
    """The share of an article's visible characters that cleaning removed (0 for no text)."""
    return removed_characters / characters if characters else 0.0


@dataclass(frozen=True)
class Cleaning:
    """What the clean stage removed, and how much of the text that was (a loss is never silent:
    above the clean stage's threshold the brief warns, see clean.MUCH_REMOVED_SHARE)."""

    boilerplate_kept: bool
    removed: tuple[RemovedLine, ...]
    characters: int = 0  # the text's visible characters as read (white space runs count one)
    removed_characters: int = 0  # of those, the ones removed as boilerplate
    much_removed: bool = False  # the share removed is above the threshold: the brief warns

    @property
    def removed_share(self) -> float:
        """As the JSON records it: to three places."""
        return round(removed_share(self.removed_characters, self.characters), 3)

    def to_json(self) -> dict[str, Any]:
        return {
            "boilerplate_kept": self.boilerplate_kept,
            "removed": [line.to_json() for line in self.removed],
            "characters": self.characters,
            "removed_characters": self.removed_characters,
            "removed_share": self.removed_share,
            "much_removed": self.much_removed,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Cleaning:
        removed = tuple(RemovedLine(r["paragraph"], r["text"], r["reason"]) for r in data["removed"])
        return cls(
            data["boilerplate_kept"],
            removed,
            data.get("characters", 0),
            data.get("removed_characters", 0),
            data.get("much_removed", False),
        )


@dataclass(frozen=True)
class Coverage:
    sentences: int
    segments: int
    translated: int
    flagged: int
    retried: int
    verbatim: int = 0  # code kept as it is (counted in segments, not in translated)


@dataclass(frozen=True)
class Flag:
    """A doubt the guard kept after its retry: a segment (by index), or the headline."""

    segment: int | None  # index into the brief's segments; None for the headline
    paragraph: int | None
    unit: Unit

    @property
    def headline(self) -> bool:
        return self.segment is None

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {"segment": self.segment, "paragraph": self.paragraph}
        if self.headline:
            record["headline"] = True
        return record | {
            "reasons": list(self.unit.flags),
            "confidence": self.unit.confidence,
            "retried": self.unit.retried,
            "source": self.unit.source,
            "target": self.unit.target,
        }


# The contract a brief's JSON follows (summarise/brief.schema.json): a new version whenever a field
# is removed or changes its meaning (CHANGELOG.md says when and how).
BRIEF_SCHEMA = "summarise/brief/3"


# Keys every brief's and translation's JSON record has (see Brief.to_json): how one is recognised.
RECORD_KEYS = frozenset({"source", "models", "settings", "segments", "coverage"})
SUMMARY_KEY = "summary"  # present in a brief's record, absent from a translation's


@dataclass(frozen=True)
class Brief:
    """One article's English brief: where it came from, how it was made, and what it says."""

    source: Source
    models: Mapping[str, ModelUse]  # "translator" (absent when nothing was translated), "summariser"
    settings: Mapping[str, Mapping[str, Any]]  # the generation settings used, per role
    title: str
    translation: Translation
    summary: SummaryRecord | None  # None for `summarise translate`
    cleaning: Cleaning
    cached: bool  # taken from the cache by the run that made it
    created: str  # when this brief was first made (the start of that run), ISO 8601

    @property
    def headline(self) -> Unit | None:
        return self.translation.headline

    @property
    def language(self) -> LanguageRecord:
        return self.translation.language

    @property
    def segments(self) -> tuple[Segment, ...]:
        return self.translation.segments

    @property
    def text(self) -> str:
        """The translation (or the English passed through), paragraphs separated by blank lines."""
        return "\n\n".join(self.translation.paragraphs)

    @property
    def coverage(self) -> Coverage:
        segments = self.segments
        translated = (
            sum(1 for s in segments if s.target.strip() and not s.verbatim)
            if self.translation.translated
            else 0
        )
        return Coverage(
            sentences=self.translation.sentences,
            segments=len(segments),
            translated=translated,
            flagged=sum(1 for s in segments if s.flags),
            retried=sum(1 for s in segments if s.retried),
            verbatim=sum(1 for s in segments if s.verbatim),
        )

    @property
    def flags(self) -> list[Flag]:
        """Every doubt that remained, the headline's first, then the segments' in order."""
        flags = [Flag(i, s.paragraph, s) for i, s in enumerate(self.segments) if s.flags]
        if self.headline is not None and self.headline.flags:
            flags.insert(0, Flag(None, None, self.headline))
        return flags

    @property
    def translated_units(self) -> int:
        """What was translated and checked by the guard: segments (not code kept as it is) and the
        headline, as the brief's coverage line counts them."""
        if not self.translation.translated:
            return 0
        return sum(1 for s in self.segments if not s.verbatim) + (1 if self.headline is not None else 0)

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "schema": BRIEF_SCHEMA,
            "source": self.source.to_json(),
            "models": {role: model.to_json() for role, model in self.models.items()},
            "settings": {role: dict(values) for role, values in self.settings.items()},
            "title": self.title,
            "headline": self.headline.unit_json() if self.headline else None,
            "language": self.language.to_json(),
        }
        if self.summary is not None:
            record[SUMMARY_KEY] = self.summary.text
            record["summary_chunks"] = self.summary.chunks
            if self.summary.glossary:
                record["summary_glossary"] = glossary_json(self.summary.glossary)
        coverage = self.coverage
        blocks = self.translation.blocks
        return record | {
            "translation": self.text,
            "structure": [block.to_json() for block in blocks] if blocks else None,
            "segments": [s.to_json() for s in self.segments],
            "coverage": {
                "sentences": coverage.sentences,
                "segments": coverage.segments,
                "translated": coverage.translated,
                "flagged": coverage.flagged,
                "retried": coverage.retried,
                "verbatim": coverage.verbatim,
            },
            "flags": [flag.to_json() for flag in self.flags],
            "cleaning": self.cleaning.to_json(),
            "cached": self.cached,
            "created": self.created,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Brief:
        """A brief from its JSON record (as written by `to_json`)."""
        models = {role: ModelUse.from_json(m) for role, m in data["models"].items()}
        summary = None
        if "summary" in data:
            engine = models["summariser"].engine if "summariser" in models else ""
            # The JSON keeps the summary's text and chunks; its rounds live only in the cache.
            summary = SummaryRecord(
                data["summary"],
                data["summary_chunks"],
                0,
                engine,
                glossary_from_json(data.get("summary_glossary")),
            )
        segments = tuple(Segment.from_json(s) for s in data["segments"])
        translation = Translation(
            engine=models["translator"].engine if "translator" in models else "",
            language=LanguageRecord.from_json(data["language"]),
            headline=Unit.from_json(data["headline"]) if data["headline"] else None,
            sentences=data["coverage"]["sentences"],
            segments=segments,
            # Rebuilt from the segments as they were built: code may hold blank lines of its own.
            paragraphs=tuple(
                assemble_paragraphs(
                    [s.paragraph for s in segments],
                    [s.target for s in segments],
                    max((s.paragraph for s in segments), default=-1) + 1,
                )
            ),
            blocks=tuple(Block.from_json(b) for b in data.get("structure") or ()),
        )
        return cls(
            source=Source.from_json(data["source"]),
            models=models,
            settings=data["settings"],
            title=data["title"],
            translation=translation,
            summary=summary,
            cleaning=Cleaning.from_json(data["cleaning"]),
            cached=data["cached"],
            created=data["created"],
        )


@dataclass(frozen=True)
class BriefCard:
    """A brief at a glance: what the digest and the run report show of it. Small enough to be
    kept for every article of an output folder (see ledger.py), so an unchanged brief is listed
    without reading its JSON."""

    title: str
    language: LanguageRecord
    summary: str | None  # None for a translation
    flagged: int  # doubts that remained (len(flags))
    translated_units: int
    date: str  # the article's own date, from its web page's metadata; "" when unknown
    source_path: str  # as shown to people

    @classmethod
    def of(cls, brief: Brief) -> BriefCard:
        return cls(
            title=brief.title,
            language=brief.language,
            summary=brief.summary.text if brief.summary else None,
            flagged=len(brief.flags),
            translated_units=brief.translated_units,
            date=brief.source.metadata.get("date", ""),
            source_path=brief.source.shown_path,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "language": self.language.to_json(),
            "summary": self.summary,
            "flagged": self.flagged,
            "translated_units": self.translated_units,
            "date": self.date,
            "source_path": self.source_path,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BriefCard:
        return checked(
            cls(
                **{key: data[key] for key in cls.__dataclass_fields__}
                | {"language": LanguageRecord.from_json(data["language"])}
            )
        )


# An agency's or a press service's dateline before the text: "SEOUL (Reuters) –", "Berlin (dpa) -",
# "(SeaPRwire) –". A place of up to three words, the source in brackets, then a dash.
_PLACE_WORD = r"(?:[A-ZÄÖÜ][\w.'’/-]*|am|an|im|der|upon|on|de|del|la|le)"
_DATELINE = re.compile(
    rf"^\s*(?:[A-ZÄÖÜ][\w.'’/-]*(?:\s+{_PLACE_WORD}){{0,3}}\s*)?\([^()]{{2,40}}\)\s*[-–—]+\s*"
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’»]?\s+(?=[\"'“„«]?[A-Z0-9ÄÖÜ])")
# Words whose full stop ends no sentence ("Dr. Müller", "U.S. forces"): titles, initials.
_ABBREVIATION = re.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|Prof|St|Jr|Sr|No|vs|etc|Gen|Sen|Rep|Gov|Lt|Col|approx)|\b[A-Z]|\d)\.$"
)
TITLE_MAX_CHARACTERS = 120


def title_of(translation: Translation, fallback: str) -> str:
    """An article's title: its headline, else the first sentence of its text; without an agency's
    dateline; `fallback` (the file name) only for an article with no text at all."""
    if translation.headline is not None and translation.headline.target.strip():
        text = translation.headline.target
    else:
        text = _first_sentence(next((p for p in translation.paragraphs if p.strip()), ""))
    text = " ".join(_DATELINE.sub("", text, count=1).split())
    if len(text) > TITLE_MAX_CHARACTERS:
        text = text[:TITLE_MAX_CHARACTERS].rsplit(" ", 1)[0].rstrip(",;:-–") + " …"
    return text or fallback


def _first_sentence(paragraph: str) -> str:
    paragraph = paragraph.strip()
    for end in _SENTENCE_END.finditer(paragraph):
        if not _ABBREVIATION.search(paragraph[: end.start()]):
            return paragraph[: end.start()]
    return paragraph


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def shown(text: str) -> str:
    """Text for a terminal or a viewer: undecodable bytes (surrogates from the file system) and
    control characters (a newline in a file name) written as \\xNN."""
    if text.isprintable():  # neither surrogates nor control characters: the common case, quickly
        return text
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def assemble_paragraphs(
    paragraph_of: Sequence[int], targets: Sequence[str], paragraph_count: int
) -> list[str]:
    """Put translated segments back into their paragraphs (`paragraph_of[i]`: segment i's), in order."""
    paragraphs: list[list[str]] = [[] for _ in range(paragraph_count)]
    for paragraph, target in zip(paragraph_of, targets, strict=True):
        if target:
            paragraphs[paragraph].append(target)
    return ["".join(_spaced(parts)) for parts in paragraphs if parts]


def _spaced(parts: list[str]) -> list[str]:
    """Segments with a space between them, but none before closing punctuation (after inline code)."""
    return [part if i == 0 or part[:1] in ".,;:!?)]" else " " + part for i, part in enumerate(parts)]
