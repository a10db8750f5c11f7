"""One article's decisions, apart from the run that schedules them: the key of its content, the
language decision, what the summariser reads, the brief assembled from its parts, and the
evidence pass that counts lines across the run's articles. Pure functions over the stages'
records: the orchestrator (pipeline.py) calls them and records the outcome.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import read
from .brief import (
    CODE,
    NO_VISIBLE_TEXT,
    Brief,
    Cleaning,
    ModelUse,
    Source,
    SummaryRecord,
    Translation,
    shown,
    title_of,
)
from .clean import CleanText, RepeatedLines, line_keys
from .errors import StopRequested
from .language import ENGLISH, GERMAN, Language
from .ledger import Ledger
from .read import Article, InputFile
from .translate import passed_through

# Article text the evidence pass keeps for the main pass (beyond it, articles are read again).
READ_AHEAD_CHARACTERS = 20_000_000


def content_digest(cleaned: CleanText) -> str:
    """What a translation is keyed by: the cleaned text (an article whose ads changed is not
    translated again), with the form of each paragraph where the format gives one."""
    parts: list[Any] = [cleaned.headline, cleaned.paragraphs]
    if cleaned.blocks:  # the same words as a table or as prose are different translations
        parts.append([block.to_json() for block in cleaned.blocks])
    content = json.dumps(parts, ensure_ascii=False)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LanguageDecision:
    """What happens to an article by its language: translated (German), passed through as it is
    (English: `passed` holds it), or not done (`failure`, a skip when `skipped`)."""

    language: Language | None = None
    passed: Translation | None = None
    failure: str | None = None
    skipped: bool = False


def decide_language(cleaned: CleanText, identify: Callable[[Sequence[str]], Language]) -> LanguageDecision:
    if not cleaned.paragraphs:
        reason = "no text to translate"
        if any(line.reason != NO_VISIBLE_TEXT for line in cleaned.removed):
            reason += f": all {len(cleaned.removed)} lines were boilerplate (--keep-boilerplate keeps them)"
        return LanguageDecision(failure=reason)
    # The language of the prose: code is in no one's language (all of it when there is nothing else).
    blocks = cleaned.blocks
    prose = [p for i, p in enumerate(cleaned.paragraphs) if not blocks or blocks[i].kind != CODE]
    language = identify([*filter(None, [cleaned.headline]), *(prose or cleaned.paragraphs)])
    if language.code == ENGLISH:
        # Never translate English "from German": it goes through as it is, labelled.
        record = language.record(translated=False)
        return LanguageDecision(
            language, passed_through(cleaned.headline, cleaned.paragraphs, record, blocks)
        )
    if language.code != GERMAN:
        reason = (
            f"written in {language.describe()}, not German "
            "(to translate it as German anyway: --source-lang de)"
        )
        return LanguageDecision(language, failure=reason, skipped=True)
    return LanguageDecision(language)


def summary_input(translation: Translation) -> list[str]:
    """What the summariser reads: the translation's segments, without code blocks (a summary is of
    the prose; inline code stays, it is part of its sentence), unless there is nothing else."""
    blocks = translation.blocks
    prose = [
        s.target
        for s in translation.segments
        if not (s.verbatim and blocks and blocks[s.paragraph].kind == CODE)
    ]
    return prose or [s.target for s in translation.segments]


def much_removed_note(cleaned: CleanText) -> str | None:
    """The warning for an article the clean stage took much of (None: it did not)."""
    if not cleaned.much_removed:
        return None
    return (
        f"cleaning removed {cleaned.removed_share:.0%} of the text as boilerplate ({len(cleaned.removed)} "
        "lines, listed in the JSON): check them, or run again with --keep-boilerplate"
    )


@dataclass(frozen=True)
class BriefParts:
    """Everything a brief is made of besides the article and its cleaning."""

    translation: Translation
    summary: SummaryRecord | None
    models: dict[str, ModelUse]
    settings: dict[str, dict[str, object]]
    keep_boilerplate: bool
    cached: bool
    created: str


def assemble_brief(article: Article, cleaned: CleanText, warnings: Sequence[str], parts: BriefParts) -> Brief:
    """The brief of an article: its source and provenance, translation, summary and cleaning."""
    # The page's own metadata first; what the text's byline, date line and kicker said fills in.
    metadata = dict(article.metadata) | {
        key: value for key, value in cleaned.metadata.items() if key not in article.metadata
    }
    return Brief(
        source=Source(article.source.path, article.sha256, article.encoding, tuple(warnings), metadata),
        models=parts.models,
        settings=parts.settings,
        title=title_of(parts.translation, shown(article.source.path.stem)),
        translation=parts.translation,
        summary=parts.summary,
        cleaning=Cleaning(
            parts.keep_boilerplate,
            tuple(cleaned.removed),
            cleaned.characters,
            cleaned.removed_characters,
            cleaned.much_removed,
        ),
        cached=parts.cached,
        created=parts.created,
    )


def evidence(
    inputs: Sequence[InputFile], max_bytes: int, ledger: Ledger, should_stop: Callable[[], bool]
) -> tuple[RepeatedLines, dict[InputFile, Article]]:
    """Lines of every article of the run, counted across articles (those unchanged since the last
    run from the ledger, unread); and the articles read, kept up to READ_AHEAD_CHARACTERS in all,
    so that a folder of small articles is read once, not twice."""
    repeated = RepeatedLines()
    kept: dict[InputFile, Article] = {}
    characters = 0
    for source in inputs:
        if should_stop():
            raise StopRequested("stopped while reading the articles")
        if (entry := ledger.article(source)) is not None:
            repeated.add(entry.sha256, entry.lines)
            continue
        try:
            article = read.read_article(source, max_bytes)
        except Exception:  # reported when its turn comes
            continue
        repeated.add(article.sha256, line_keys(article.paragraphs))
        characters += sum(len(p) for p in article.paragraphs)
        if characters <= READ_AHEAD_CHARACTERS:
            kept[source] = article
    return repeated, kept
