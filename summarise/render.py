"""Render: a finished brief -> its Markdown, its JSON record, its plain translation; and the
digest of a run. Text only: writing files is outputs.py's, and no stage is imported here.

In Markdown, everything that comes from an article (its text, title, file name, page metadata,
and the models' output) is text, never markup: it is escaped (`_text`), shown in code spans that
no content can close (`_code`), or percent-encoded as a link target (`_link`). A `<script>` in an
article shows as "<script>", a leading "# " is no heading, a link in a headline is no link.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from itertools import pairwise
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import quote

from .brief import (
    CELL,
    CODE,
    HEADING,
    ITEM,
    MISSING,
    NO_VISIBLE_TEXT,
    QUOTE,
    REASON_TEXT,
    Block,
    Brief,
    BriefCard,
    Cleaning,
    Segment,
    assemble_paragraphs,
    code_span,
    removed_share,
    shown,
)
from .files import fingerprint


@dataclass(frozen=True)
class DigestEntry:
    """An article briefed in the output folder."""

    card: BriefCard
    link: PurePosixPath  # the brief's Markdown, relative to the digest
    today: Literal["new", "updated", ""]  # briefed first today, or again today because it changed
    when: str = ""  # when today, as shown ("09:12")


@dataclass(frozen=True)
class DigestProblem:
    """An article of the run that has no brief: skipped (not for this tool) or failed."""

    path: str
    reason: str
    skipped: bool
    since: str = ""  # failing the same way since then, unchanged, as shown; "" where this is new


@dataclass(frozen=True)
class Digest:
    """The front page of a day: what is new and updated today first (whatever number of runs made
    it), then what failed, then every other brief by title. Times are as shown to the reader
    (their local time zone)."""

    day: str  # "Sunday 6 December 2026"
    updated_at: str  # when the last run made it: "16:05 CET"
    entries: Sequence[DigestEntry]
    problems: Sequence[DigestProblem] = ()
    notes: Sequence[str] = ()  # runs that did not finish, said first

    @functools.cached_property
    def new(self) -> list[DigestEntry]:
        return _ordered(e for e in self.entries if e.today == "new")

    @functools.cached_property
    def updated(self) -> list[DigestEntry]:
        return _ordered(e for e in self.entries if e.today == "updated")

    @functools.cached_property
    def earlier(self) -> list[DigestEntry]:
        return _ordered(e for e in self.entries if not e.today)

    @functools.cached_property
    def skipped(self) -> list[DigestProblem]:
        return [p for p in self.problems if p.skipped]

    @functools.cached_property
    def failed(self) -> list[DigestProblem]:
        return [p for p in self.problems if not p.skipped and not p.since]

    @functools.cached_property
    def still_failing(self) -> list[DigestProblem]:
        return [p for p in self.problems if not p.skipped and p.since]

    @property
    def headline(self) -> str:
        total = len(self.entries) + len(self.problems)
        return f"Digest: {total} article{'' if total == 1 else 's'}, {self.day}"

    @property
    def counts(self) -> str:
        """The day in a line: "3 new and 1 updated today, 8 earlier, 1 failed"."""
        today = [f"{len(self.new)} new"] + ([f"{len(self.updated)} updated"] if self.updated else [])
        parts = [" and ".join(today) + " today"]
        parts += [f"{len(self.earlier)} earlier"] if self.earlier else []
        parts += [f"{len(self.failed)} failed"] if self.failed else []
        parts += [f"{len(self.still_failing)} still failing"] if self.still_failing else []
        parts += [f"{len(self.skipped)} skipped"] if self.skipped else []
        return ", ".join(parts) + f" · updated {self.updated_at}"


# A digest's first lines, Markdown or HTML, as render_digest and render_digest_html begin them.
_DIGEST_START = re.compile(rb"(?m)^# Digest: \d+ articles?\b|<title>Digest: \d+ articles?\b")


def starts_like_a_digest(start: bytes) -> bool:
    """Whether a file's first bytes are those of a digest this module rendered."""
    return _DIGEST_START.search(start) is not None


def _ordered(entries: Iterable[DigestEntry]) -> list[DigestEntry]:
    """Newest article first where its page gave a date, then by title."""
    by_title = sorted(entries, key=lambda e: e.card.title.casefold())
    return sorted(by_title, key=lambda e: e.card.date, reverse=True)


# ----------------------------------------------------------------------------- times

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def local(iso: str) -> datetime | None:
    """A recorded time (ISO 8601 with its zone) in the reader's time zone; None if it is none."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return moment.astimezone() if moment.tzinfo is not None else None


def shown_day(moment: datetime) -> str:
    """ "Sunday 6 December 2026", whatever the locale."""
    return f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def shown_clock(moment: datetime) -> str:
    """ "16:05 CET": the zone's abbreviation, or its offset from UTC where it has none."""
    zone = moment.strftime("%Z")
    if not zone or zone[0] in "+-":
        offset = moment.strftime("%z")  # "+0530"
        zone = (
            "UTC"
            if offset in ("", "+0000")
            else "UTC" + offset[:3] + (":" + offset[3:] if offset[3:] != "00" else "")
        )
    return f"{moment:%H:%M} {zone}"


def shown_time(iso: str) -> str:
    """A recorded time as a reader reads it: "Sunday 6 December 2026, 16:05 CET"."""
    moment = local(iso)
    return f"{shown_day(moment)}, {shown_clock(moment)}" if moment else iso


def labels(card: BriefCard) -> str:
    """What a reader should know before trusting an entry: its language, and doubts."""
    language = card.language
    parts = [f"{language.name} → English" if language.translated else f"{language.name}, not translated"]
    if card.flagged:
        parts.append(_flag_count(card.flagged, card.translated_units))
    if card.date:
        parts.append(card.date)
    return " · ".join(parts)


def renderer_identity() -> str:
    """What makes a brief's Markdown and HTML from its JSON: this module, the brief's, the
    CommonMark library, and the reader's time zone (times are shown in it). Recorded in the output
    folder's marker: while it stays the same, a brief whose JSON is unchanged has unchanged pages,
    and they need not be rendered to know it."""
    zone = f"{time.tzname}{time.timezone}{time.altzone}{os.environ.get('TZ', '')}"
    return hashlib.sha256(f"{_renderer_files()} {zone}".encode()).hexdigest()[:16]


@functools.cache
def _renderer_files() -> str:
    modules = [Path(__file__), Path(str(sys.modules[Brief.__module__].__file__))]
    return fingerprint(modules, ["markdown-it-py"])


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
        count = _flag_count(len(flags), brief.translated_units)
        lines += [f"_{count}: marked [?n] below; see “Check these”._", ""]
    language = brief.language
    heading = "Translation" if language.translated else f"Text ({_text(language.name)}, not translated)"
    lines += [f"## {heading}", "", _marked_translation(brief), ""]
    lines += _check_these(brief)
    lines += ["---", ""]
    lines += _provenance(brief)
    return "\n".join(lines) + "\n"


def render_translation(brief: Brief) -> str:
    """The plain-text translation written by `summarise translate`: the headline, then paragraphs
    as in the source; doubtful segments marked [?n] as in the brief (the JSON's `flags`, in the
    same order, say why)."""
    parts = [_marked_translation(brief, escape=str)]
    if (headline := brief.headline) is not None:
        parts.insert(0, headline.target + (" [?1]" if headline.flags else ""))
    return "\n\n".join(part for part in parts if part) + "\n"


def render_digest(digest: Digest) -> str:
    """The day's front page in Markdown: what is new and updated today with their summaries, new
    failures, every other brief by title (its summary a click away), then what still fails and
    what was skipped."""
    lines = [f"# {digest.headline}", "", f"_{_text(digest.counts)}_", ""]
    lines += [f"> {_text(note)}\n" for note in digest.notes]
    for heading, entries in (("New today", digest.new), ("Updated today", digest.updated)):
        lines += [f"## {heading}", ""] if entries else []
        for entry in entries:
            card = entry.card
            meta = _text(_when(entry) + labels(card))
            summary = _text(card.summary or "") or "_(no summary)_"
            lines += [f"### [{_text(card.title)}]({_link(entry.link)})", "", f"_{meta}_", "", summary, ""]
            lines += [f"Source: {_code(card.source_path)}", ""]
    lines += _problems_md("Failed", digest.failed)
    if digest.earlier:
        lines += ["## Earlier", ""]
        lines += [
            f"- [{_text(e.card.title)}]({_link(e.link)}) · _{_text(labels(e.card))}_" for e in digest.earlier
        ]
        lines.append("")
    lines += _problems_md("Still failing", digest.still_failing)
    lines += _problems_md("Skipped", digest.skipped)
    return "\n".join(lines)


def _when(entry: DigestEntry) -> str:
    return f"{entry.today} {entry.when} · " if entry.when else ""


def _problems_md(heading: str, problems: Sequence[DigestProblem]) -> list[str]:
    if not problems:
        return []
    items = [
        f"- {_code(shown(p.path))}: {_text(p.reason)}" + (f" _(since {_text(p.since)})_" if p.since else "")
        for p in problems
    ]
    return [f"## {heading}", "", *items, ""]


# ----------------------------------------------------------------------------- HTML

# One self-contained page: no script, no font or style from the network; readable from a phone's
# width to a desktop's, light or dark as the reader's system is.
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{title}</title>
<style>
:root {{ color-scheme: light dark; --muted: #5f6368; --rule: #d0d4d9; --accent: #0b57d0; }}
@media (prefers-color-scheme: dark) {{ :root {{ --muted: #a8adb3; --rule: #3c4043; --accent: #8ab4f8; }} }}
body {{ font: 17px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto;
  max-width: 46rem; padding: 1rem 1.1rem 3rem; overflow-wrap: anywhere; }}
h1 {{ font-size: 1.5rem; line-height: 1.25; margin: .4rem 0 .2rem; }}
h2 {{ font-size: 1.15rem; border-bottom: 1px solid var(--rule); padding-bottom: .2rem; margin-top: 2rem; }}
h3 {{ font-size: 1.05rem; margin: 1.3rem 0 .2rem; line-height: 1.3; }}
a {{ color: var(--accent); }}
.meta, .source, .when {{ color: var(--muted); font-size: .88rem; }}
.note {{ border-left: 3px solid var(--accent); padding-left: .6rem; }}
.meta {{ margin: 0 0 .3rem; }}
p {{ margin: .3rem 0 .6rem; }}
code {{ font-size: .85em; word-break: break-all; }}
li {{ margin: .25rem 0; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""


def render_digest_html(digest: Digest) -> str:
    """The day's front page as one HTML page, as render_digest orders it, linking each brief's
    HTML page."""
    parts = [f"<h1>{escape(digest.headline)}</h1>", f'<p class="when">{escape(digest.counts)}</p>']
    parts += [f'<p class="note">{escape(note)}</p>' for note in digest.notes]
    for heading, entries in (("New today", digest.new), ("Updated today", digest.updated)):
        parts += [f"<h2>{heading}</h2>"] if entries else []
        for entry in entries:
            card = entry.card
            summary = card.summary or "(no summary)"
            parts += [
                f"<article><h3>{_html_link(entry)}</h3>",
                f'<p class="meta">{escape(_when(entry) + labels(card))}</p>',
                f"<p>{escape(shown(summary))}</p>",
                f'<p class="source">Source: <code>{escape(card.source_path)}</code></p></article>',
            ]
    parts += _problems_html("Failed", digest.failed)
    if digest.earlier:
        parts.append("<h2>Earlier</h2><ul>")
        parts += [
            f'<li>{_html_link(e)} <span class="meta">{escape(labels(e.card))}</span></li>'
            for e in digest.earlier
        ]
        parts.append("</ul>")
    parts += _problems_html("Still failing", digest.still_failing)
    parts += _problems_html("Skipped", digest.skipped)
    return _PAGE.format(title=escape(digest.headline), body="\n".join(parts))


def _html_link(entry: DigestEntry) -> str:
    return f'<a href="{_link(entry.link.with_suffix(".html"))}">{escape(shown(entry.card.title))}</a>'


def _problems_html(heading: str, problems: Sequence[DigestProblem]) -> list[str]:
    if not problems:
        return []
    items = [
        f"<li><code>{escape(shown(p.path))}</code>: {escape(p.reason)}"
        + (f' <span class="meta">(since {escape(p.since)})</span>' if p.since else "")
        + "</li>"
        for p in problems
    ]
    return [f"<h2>{heading}</h2><ul>", *items, "</ul>"]


def render_brief_html(brief: Brief, markdown: str, digest: str | None = None) -> str:
    """A brief's HTML page: its Markdown (where article text is already text) rendered by a
    CommonMark library with raw HTML switched off, so nothing from an article becomes markup.
    The page leads somewhere: to the digest (`digest`: its address from the page) and to the
    source file, and each [?n] marker to its entry under "Check these"."""
    body = _linked_markers(_commonmark().render(markdown), len(brief.flags))
    links = [f'<a href="{escape(digest)}">Digest</a>'] if digest else []
    links.append(f'<a href="{escape(_file_address(brief.source.path))}">Source file</a>')
    nav = f'<p class="meta">{" · ".join(links)}</p>\n'
    return _PAGE.format(title=escape(shown(brief.title)), body=nav + body)


# The heading of the doubts' list, as CommonMark renders `## Check these`.
_CHECK_THESE_HTML = "<h2>Check these</h2>"


def _linked_markers(body: str, flags: int) -> str:
    """Each [?n] of the text a link to entry n of "Check these", and each entry its target."""
    if not flags or _CHECK_THESE_HTML not in body:
        return body
    text, doubts = body.split(_CHECK_THESE_HTML, 1)
    known = range(1, flags + 1)

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return f'<a href="#check-{n}">[?{n}]</a>' if n in known else match.group(0)

    def target(match: re.Match[str]) -> str:
        return f'<li id="check-{match.group(2)}">{match.group(1) or ""}[?{match.group(2)}]'

    text = re.sub(r"\[\?(\d+)\]", link, text)
    doubts = re.sub(r"<li>(\s*<p>)?\[\?(\d+)\]", target, doubts)
    return text + _CHECK_THESE_HTML + doubts


def _file_address(path: Path) -> str:
    """A file's address for a link (file:///...), wherever the page is opened from; any byte of
    its name (one that is not UTF-8 too) percent-encoded."""
    return "file://" + quote(os.fsencode(os.path.abspath(path)))


@functools.cache
def _commonmark() -> Any:
    """One parser for the run (building it costs more than rendering a brief)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table")  # tables of Markdown articles


def _flag_count(flagged: int, translated_units: int) -> str:
    return f"{flagged} of {translated_units} translated segments may be unfaithful"


def _marked_translation(brief: Brief, escape: Callable[[str], str] | None = None) -> str:
    """The translation with each doubtful segment followed by its marker, [?1], [?2], ...
    (numbered as `brief.flags`, the headline's first); Markdown-escaped unless told otherwise.
    A Markdown source's structure is laid out again (`_laid_out`); code is shown as it is."""
    markdown = escape is None
    escape = escape or _text
    flags = brief.flags
    blocks = brief.translation.blocks
    segments = brief.segments
    if not flags and not blocks and not any(s.verbatim for s in segments):
        return "\n\n".join(escape(paragraph) for paragraph in brief.translation.paragraphs)
    markers = {flag.segment: n for n, flag in enumerate(flags, start=1) if not flag.headline}

    def shown_target(segment: Segment) -> str:
        # Code is kept as it is: a code span (made by segment.py) or a code block's own lines.
        if segment.verbatim and (not markdown or segment.target.startswith("`") or _is_code(blocks, segment)):
            return segment.target
        return escape(segment.target)

    targets = [
        f"{shown_target(s) or '…'} [?{markers[i]}]" if i in markers else shown_target(s)
        for i, s in enumerate(segments)
    ]
    if not blocks:
        paragraph_count = max((s.paragraph for s in segments), default=-1) + 1
        return "\n\n".join(assemble_paragraphs([s.paragraph for s in segments], targets, paragraph_count))
    texts: list[list[str]] = [[] for _ in blocks]
    for segment, target in zip(segments, targets, strict=True):
        texts[segment.paragraph].append(target)
    return _laid_out(
        [assemble_paragraphs([0] * len(t), t, 1)[0] if t else None for t in texts], blocks, markdown
    )


def _is_code(blocks: Sequence[Block], segment: Segment) -> bool:
    return segment.paragraph < len(blocks) and blocks[segment.paragraph].kind == CODE


def _laid_out(texts: Sequence[str | None], blocks: Sequence[Block], markdown: bool) -> str:
    """Paragraphs (already escaped for Markdown, or plain) in the forms of their source: headings,
    nested list items, tables (each cell where it stood), code blocks and quotes."""
    parts: list[tuple[str, bool]] = []  # (text, whether it opens a list item)
    item_indents: list[int] = []  # per list level, the width of its marker and space
    index = 0
    while index < len(blocks):
        block, text = blocks[index], texts[index]
        if block.kind == CELL:  # the whole table at once
            cells: dict[tuple[int, int], str] = {}
            while index < len(blocks) and blocks[index].kind == CELL and blocks[index].table == block.table:
                cell = blocks[index]
                cells[(cell.row, cell.column)] = texts[index] or ""
                index += 1
            parts.append((_table(cells, block.columns, markdown), False))
            continue
        index += 1
        if text is None:
            continue
        if block.kind == HEADING:
            text = f"{'#' * min(block.level + 2, 6)} {text}" if markdown else text
        elif block.kind == ITEM:
            del item_indents[block.level :]
            indent = " " * sum(item_indents)
            if block.marker:
                item_indents.append(len(block.marker) + 1)
                parts.append((f"{indent}{block.marker} {text}", True))
                continue
            text = f"{indent}{' ' * (item_indents[-1] if item_indents else 0)}{text}"
        elif block.kind == QUOTE:
            text = "> " * (block.level + 1) + text
        elif block.kind == CODE and markdown:
            fence = "`" * max(3, max((len(run) for run in re.findall("`+", text)), default=0) + 1)
            info = " ".join(block.marker.replace("`", "").split())
            text = f"{fence}{info}\n{text}\n{fence}"
        if block.kind != ITEM:
            item_indents.clear()
        parts.append((text, False))
    laid = parts[0][0] if parts else ""
    for (_, after_item), (text, item) in pairwise(parts):
        laid += ("\n" if after_item and item else "\n\n") + text  # one list, its items tight
    return laid


_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _table(cells: dict[tuple[int, int], str], columns: int, markdown: bool) -> str:
    """A table from its cells by (row, column); a missing cell is an empty one."""
    columns = max([columns, *(column + 1 for _, column in cells)])
    rows = max((row for row, _ in cells), default=0) + 1
    lines = []
    for row in range(rows):
        values = [cells.get((row, column), "") for column in range(columns)]
        if markdown:  # a pipe in a code span would end the cell: escaped, as GFM's tables allow
            values = [_UNESCAPED_PIPE.sub(r"\\|", value) for value in values]
        lines.append("| " + " | ".join(values) + " |" if markdown else " | ".join(values).rstrip())
        if row == 0 and markdown:
            lines.append("|" + " --- |" * columns)
    return "\n".join(lines)


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
        lines += [f"   - English: {_text(unit.target) or '(nothing)'}"]
        for use in unit.glossary:
            if use.action == MISSING:
                lines.append(
                    f"   - Glossary: {_text(use.term)} → {_text(use.rendering)} ({_text(use.origin)})"
                )
        lines.append("")
    return lines


def _provenance(brief: Brief) -> list[str]:
    source = brief.source
    coverage = brief.coverage
    lines = [f"- Source: {_code(source.shown_path)} (sha256 `{source.sha256}`, {source.encoding})"]
    for role, model in brief.models.items():
        lines.append(f"- {role.capitalize()}: {_code(shown(model.id))} at revision {_code(model.revision)}")
    # The headline is translated and checked like a segment: counted here as in the doubts' count.
    headline = brief.headline is not None
    lines.append(
        f"- Coverage: {coverage.sentences} sentences in {coverage.segments} segments"
        + (" and the headline" if headline else "")
        + f", {brief.translated_units} translated, {len(brief.flags)} doubtful "
        f"({coverage.retried} retried with stricter decoding)"
        + (f", {coverage.verbatim} code kept as it is" if coverage.verbatim else "")
    )
    lines.append(f"- Language: {_text(brief.language.description)}")
    glossary = _glossary(brief)
    if glossary:
        lines.append(f"- Glossary: {_text(glossary)}")
    lines.append(f"- Cleaning: {_text(_cleaning(brief.cleaning))}")
    suffix = source.path.suffix.lower()
    for key, value in source.metadata.items():
        # Metadata comes from a web page's head, a Markdown file's front matter, or the text's own
        # byline, date line and kicker (the clean stage's; a page's or front matter's own come first).
        origin = "web page" if suffix in (".html", ".htm") else "front matter" if suffix == ".md" else "text"
        origin = "text" if key == "kicker" else origin
        label = (
            f"Article date (from the {origin})" if key == "date" else f"{origin.capitalize()} {_text(key)}"
        )
        lines.append(f"- {label}: {_text(value)}")
    for warning in source.warnings:
        lines.append(f"- Warning: {_text(warning)}")
    lines.append(f"- Brief first made: {shown_time(brief.created)}")
    return lines


def _glossary(brief: Brief) -> str:
    """The glossary's entries that applied to the article, each once, with what was done."""
    units = [*filter(None, [brief.headline]), *brief.segments]
    uses = [use for unit in units for use in unit.glossary]
    uses += list(brief.summary.glossary) if brief.summary else []
    if not uses:
        return ""
    done: dict[tuple[str, str], set[str]] = {}
    for use in uses:
        done.setdefault((use.term, use.rendering), set()).add(use.action)
    return ", ".join(
        f"{term} → {rendering}" + (" (missing somewhere: see Check these)" if MISSING in actions else "")
        for (term, rendering), actions in done.items()
    )


def _cleaning(cleaning: Cleaning) -> str:
    """What the clean stage removed, counted by reason (every line is listed in the JSON)."""
    if cleaning.boilerplate_kept:
        return "boilerplate kept (--keep-boilerplate)"
    reasons = Counter(
        "link list" if line.reason.startswith("link list") else line.reason
        for line in cleaning.removed
        if line.reason != NO_VISIBLE_TEXT
    )
    if not reasons:
        return "no boilerplate found (nothing of the text removed)"
    counted = ", ".join(f"{reason} x{count}" if count > 1 else reason for reason, count in reasons.items())
    lines = sum(reasons.values())
    share = removed_share(cleaning.removed_characters, cleaning.characters)
    shown_share = f"{share:.0%}" if share >= 0.005 else "under 1%"
    warning = " (more than is usual: check them)" if cleaning.much_removed else ""
    return (
        f"{lines} line{'s' if lines > 1 else ''} removed as boilerplate, {shown_share} of the text"
        f"{warning} ({counted}); listed in the JSON"
    )


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
    text = _MARKUP.sub(r"\\\1", text)
    if "_" in text:
        text = _UNDERSCORE.sub(r"\\_", text)
    return _LINE_START.sub(
        lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3), text
    )


def _code(text: str) -> str:
    """A code span that shows `text` as it is on one line, whatever backticks it holds."""
    return code_span(" ".join(text.split()))


def _link(path: PurePosixPath) -> str:
    """A link target for an output's relative path: every byte but letters, digits and `/._-~`
    percent-encoded, so no name (spaces, brackets, `#`, `%`, newlines) can break or redirect it."""
    return quote(os.fsencode(path.as_posix()), safe="/")
