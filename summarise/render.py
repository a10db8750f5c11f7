"""Render: a finished brief -> its Markdown, its JSON record, its plain translation; and the
digest of a run. Text only: writing files is outputs.py's, and no stage is imported here.

In Markdown, everything that comes from an article (its text, title, file name, page metadata,
and the models' output) is text, never markup: it is escaped (`_text`), shown in code spans that
no content can close (`_code`), or percent-encoded as a link target (`_link`). A `<script>` in an
article shows as "<script>", a leading "# " is no heading, a link in a headline is no link.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote

from .brief import REASON_TEXT, Brief, Cleaning, assemble_paragraphs, shown


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
    title = _text(brief.title) + (f" [?{headline_flag}]" if headline_flag else "")
    summary = brief.summary.text if brief.summary else ""
    lines = [f"# {title}", "", "## Summary", "", _text(summary) or "_(no summary)_", ""]
    if flags:
        lines += [f"_{_flag_count(brief)}: marked [?n] below; see “Check these”._", ""]
    language = brief.language
    heading = "Translation" if language.translated else f"Text ({_text(language.name)}, not translated)"
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
        summary = brief.summary.text if brief.summary else ""
        lines += [
            f"## [{_text(brief.title)}]({_link(entry.link)})",
            "",
            _text(summary) or "_(no summary)_",
            "",
        ]
        if brief.flags:
            lines += [f"_{_flag_count(brief)}._", ""]
        lines += [f"Source: {_code(brief.source.shown_path)}", ""]
    return "\n".join(lines)


def _flag_count(brief: Brief) -> str:
    return f"{len(brief.flags)} of {brief.translated_units} translated segments may be unfaithful"


def _marked_translation(brief: Brief) -> str:
    """The translation with each doubtful segment followed by its marker, [?1], [?2], ..."""
    flags = brief.flags
    if not flags:
        return "\n\n".join(_text(paragraph) for paragraph in brief.translation.paragraphs)
    markers = {flag.segment: n for n, flag in enumerate(flags, start=1) if not flag.headline}
    segments = brief.segments
    targets = [
        f"{_text(s.target) or '…'} [?{markers[i]}]" if i in markers else _text(s.target)
        for i, s in enumerate(segments)
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
        lines += [f"{n}. [?{n}]{where} {reasons}{confidence}{retried}", f"   - German: {_text(unit.source)}"]
        lines += [f"   - English: {_text(unit.target) or '(nothing)'}", ""]
    return lines


def _provenance(brief: Brief) -> list[str]:
    source = brief.source
    coverage = brief.coverage
    lines = [f"- Source: {_code(source.shown_path)} (sha256 `{source.sha256}`, {source.encoding})"]
    for role, model in brief.models.items():
        lines.append(f"- {role.capitalize()}: {_code(shown(model.id))} at revision {_code(model.revision)}")
    lines.append(
        f"- Coverage: {coverage.sentences} sentences, {coverage.segments} segments, "
        f"{coverage.translated} translated, {coverage.flagged} doubtful "
        f"({coverage.retried} retried with stricter decoding)"
    )
    lines.append(f"- Language: {_text(brief.language.description)}")
    lines.append(f"- Cleaning: {_text(_cleaning(brief.cleaning))}")
    for key, value in source.metadata.items():
        lines.append(f"- Web page {_text(key)}: {_text(value)}")
    for warning in source.warnings:
        lines.append(f"- Warning: {_text(warning)}")
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


# Characters that can make markup anywhere in a line of CommonMark (and GitHub's tables and
# strikethrough); each is escaped with a backslash, which CommonMark allows for any ASCII punctuation.
_MARKUP = re.compile(r"([\\`*\[\]<>#&|~])")
# `_` makes emphasis only at a word's edge: inside a word (a file name's `a_b`) it stays as it is.
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# What makes markup only at the start of a line: list items, headings' setext lines, ordered lists.
_LINE_START = re.compile(r"^([-+=])|^(\d{1,9})([.)])")


def _text(text: str) -> str:
    """Article text as Markdown that renders as exactly this text, on one line."""
    text = shown(" ".join(text.split()))  # no newline can start a block, no indent a code block
    text = _UNDERSCORE.sub(r"\\_", _MARKUP.sub(r"\\\1", text))
    return _LINE_START.sub(
        lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3), text
    )


def _code(text: str) -> str:
    """A code span that shows `text` as it is, whatever backticks it holds."""
    text = " ".join(text.split())
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _link(path: PurePosixPath) -> str:
    """A link target for an output's relative path: every byte but letters, digits and `/._-~`
    percent-encoded, so no name (spaces, brackets, `#`, `%`, newlines) can break or redirect it."""
    return quote(os.fsencode(path.as_posix()), safe="/")
