"""Render: a finished brief -> its Markdown, its JSON record, its plain translation; and the
digest of a run. Text only: writing files is outputs.py's, and no stage is imported here.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from .brief import REASON_TEXT, Brief, Cleaning, assemble_paragraphs


@dataclass(frozen=True)
class DigestEntry:
    brief: Brief
    link: PurePosixPath  # the brief's Markdown, relative to the digest


def render_json(brief: Brief) -> str:
    return json.dumps(brief.to_json(), ensure_ascii=False, indent=2) + "\n"


def render_brief(brief: Brief) -> str:
    """The Markdown brief: title, summary, full translation, then where it came from."""
    flags = brief.flags
    headline_flag = next((n for n, f in enumerate(flags, start=1) if f.headline), None)
    title = f"{brief.title} [?{headline_flag}]" if headline_flag else brief.title
    summary = brief.summary.text if brief.summary else ""
    lines = [f"# {title}", "", "## Summary", "", summary or "_(no summary)_", ""]
    if flags:
        lines += [f"_{_flag_count(brief)}: marked [?n] below; see “Check these”._", ""]
    language = brief.language
    heading = "Translation" if language.translated else f"Text ({language.name}, not translated)"
    lines += [f"## {heading}", "", _marked_translation(brief), ""]
    lines += _check_these(brief)
    lines += ["---", ""]
    lines += _provenance(brief)
    return "\n".join(lines) + "\n"


def render_translation(brief: Brief) -> str:
    """The plain-text translation written by `summarise translate`: paragraphs as in the source."""
    return brief.text + "\n"


def render_digest(entries: Sequence[DigestEntry], created: str) -> str:
    """One section per article of the run: its title, summary and a link to its brief."""
    lines = [f"# Digest: {len(entries)} articles", "", f"_{created}_", ""]
    for entry in entries:
        brief = entry.brief
        link = entry.link.as_posix().replace(" ", "%20")
        summary = brief.summary.text if brief.summary else ""
        lines += [f"## [{brief.title}]({link})", "", summary or "_(no summary)_", ""]
        if brief.flags:
            lines += [f"_{_flag_count(brief)}._", ""]
        lines += [f"Source: `{brief.source.path}`", ""]
    return "\n".join(lines)


def _flag_count(brief: Brief) -> str:
    return f"{len(brief.flags)} of {brief.translated_units} translated segments may be unfaithful"


def _marked_translation(brief: Brief) -> str:
    """The translation with each doubtful segment followed by its marker, [?1], [?2], ..."""
    flags = brief.flags
    if not flags:
        return brief.text
    markers = {flag.segment: n for n, flag in enumerate(flags, start=1) if not flag.headline}
    segments = brief.segments
    targets = [
        f"{s.target or '…'} [?{markers[i]}]" if i in markers else s.target for i, s in enumerate(segments)
    ]
    paragraph_count = max((s.paragraph for s in segments), default=-1) + 1
    return "\n\n".join(assemble_paragraphs([s.paragraph for s in segments], targets, paragraph_count))


def _check_these(brief: Brief) -> list[str]:
    """Each doubtful segment with its German source, why it is doubted and what was tried."""
    flags = brief.flags
    if not flags:
        return []
    lines = ["## Check these", ""]
    for n, flag in enumerate(flags, start=1):
        unit = flag.unit
        reasons = ", ".join(REASON_TEXT.get(r, r) for r in unit.flags)
        confidence = "" if unit.confidence is None else f"; confidence {unit.confidence:.2f}"
        retried = "; still so after a retry with stricter decoding" if unit.retried else ""
        where = " (the headline)" if flag.headline else ""
        lines += [f"{n}. [?{n}]{where} {reasons}{confidence}{retried}", f"   - German: {unit.source}"]
        lines += [f"   - English: {unit.target or '(nothing)'}", ""]
    return lines


def _provenance(brief: Brief) -> list[str]:
    source = brief.source
    coverage = brief.coverage
    lines = [f"- Source: `{source.path}` (sha256 `{source.sha256}`, {source.encoding})"]
    for role, model in brief.models.items():
        lines.append(f"- {role.capitalize()}: `{model.id}` at revision `{model.revision}`")
    lines.append(
        f"- Coverage: {coverage.sentences} sentences, {coverage.segments} segments, "
        f"{coverage.translated} translated, {coverage.flagged} doubtful "
        f"({coverage.retried} retried with stricter decoding)"
    )
    lines.append(f"- Language: {brief.language.description}")
    lines.append(f"- Cleaning: {_cleaning(brief.cleaning)}")
    for key, value in source.metadata.items():
        lines.append(f"- Web page {key}: {value}")
    for warning in source.warnings:
        lines.append(f"- Warning: {warning}")
    lines.append(f"- Date: {brief.created}")
    return lines


def _cleaning(cleaning: Cleaning) -> str:
    """What the clean stage removed, counted by reason (every line is listed in the JSON)."""
    if cleaning.boilerplate_kept:
        return "boilerplate kept (--keep-boilerplate)"
    reasons = Counter(
        "link list" if line.reason.startswith("link list") else line.reason
        for line in cleaning.removed
        if line.reason != "no visible text"
    )
    if not reasons:
        return "no boilerplate found"
    counted = ", ".join(f"{reason} x{count}" if count > 1 else reason for reason, count in reasons.items())
    lines = sum(reasons.values())
    return f"{lines} line{'s' if lines > 1 else ''} removed as boilerplate ({counted}); listed in the JSON"
