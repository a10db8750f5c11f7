"""The Markdown reader: a CommonMark parser reads the structure; front matter is metadata."""

from __future__ import annotations

import datetime
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .brief import CELL, CODE, CODE_CLOSE, CODE_OPEN, HEADING, ITEM, PARAGRAPH, QUOTE, Block
from .errors import first_line
from .source_text import Parsed, decode
from .text_reader import join_wrapped, split_paragraphs, wrap_width


def parse(data: bytes, path: Path) -> Parsed:
    text, encoding, warnings = decode(data, path)
    paragraphs, blocks, metadata, markdown_warnings = read_markdown(text)
    return Parsed(paragraphs, encoding, warnings + markdown_warnings, metadata, blocks)


# Front matter: a YAML block between `---` lines (or TOML between `+++`) at the very start.
_FRONT_MATTER = re.compile(
    r"\A(?:---[ \t]*\n(.*?)\n(?:---|\.\.\.)|\+\+\+[ \t]*\n(.*?)\n\+\+\+)[ \t]*(?:\n|\Z)", re.S
)
# The front-matter keys taken as the article's metadata, under the names web pages use.
_FRONT_MATTER_KEYS = {
    "title": "title",
    "date": "date",
    "published": "date",
    "author": "author",
    "authors": "author",
    "site": "sitename",
    "publisher": "sitename",
}


def read_markdown(text: str) -> tuple[list[str], list[Block], dict[str, str], list[str]]:
    """A Markdown article -> its paragraphs, the form of each, metadata and warnings.

    A CommonMark parser (markdown-it-py, with tables) reads the structure. Front matter is metadata,
    never text to translate; headings, list items and table cells are units of their own; code
    blocks are kept as they are, and inline code travels between CODE_OPEN and CODE_CLOSE.
    """
    from markdown_it import MarkdownIt

    text = (
        text.replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace(CODE_OPEN, "\ufffd")
        .replace(CODE_CLOSE, "\ufffd")
    )
    metadata: dict[str, str] = {}
    warnings: list[str] = []
    if (front := _FRONT_MATTER.match(text)) is not None:
        parsed = _front_matter(front.group(1), front.group(2))
        if isinstance(parsed, str):
            warnings.append(parsed)
            metadata = {}
        else:
            metadata = parsed
        text = text[front.end() :]
    # No nesting limit: markdown-it drops whatever lies deeper than its limit (20 in CommonMark
    # mode), silently. Nesting too deep for Python's stack is read as plain text instead.
    parser = MarkdownIt("commonmark", {"html": True, "maxNesting": sys.maxsize}).enable("table")
    try:
        tokens = parser.parse(text)
    except RecursionError:
        warnings.append("Markdown nested too deeply to follow its structure; read as plain text")
        return split_paragraphs(text), [], metadata, warnings
    paragraphs: list[str] = []
    blocks: list[Block] = []
    # Hard wrapping is judged on all the document's paragraphs together: one paragraph of a few
    # lines is no evidence (vim and pandoc wrap every paragraph at 72 columns).
    wrapped = _wrapped_paragraph_lines(tokens)
    all_lines = [line for lines, _, _ in wrapped.values() for line in (*lines, "")]
    all_written = [line for _, written, _ in wrapped.values() for line in (*written, "")]
    width = wrap_width(all_lines, all_written)

    def add(paragraph: str, block: Block) -> None:
        if paragraph.strip():  # an empty table cell is left out: the table is drawn from the others
            paragraphs.append(paragraph)
            blocks.append(block)

    lists: list[tuple[str, int]] = []  # the open lists: bullet or delimiter, next number
    item_started = False  # the next paragraph is the first of a list item
    quotes = 0
    table = -1
    row = column = 0
    widths: dict[int, int] = {}  # each table's width: the cells of its header row
    for index, token in enumerate(tokens):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrs.get("start", 1) or 1) if kind == "ordered_list_open" else 0
            lists.append((token.markup, start))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            item_started = True
        elif kind == "blockquote_open":
            quotes += 1
        elif kind == "blockquote_close":
            quotes -= 1
        elif kind == "table_open":
            table, row = table + 1, -1
        elif kind == "tr_open":
            row, column = row + 1, 0
        elif kind in ("th_close", "td_close"):
            column += 1
            if row == 0:
                widths[table] = column
        elif kind == "html_block":  # what a reader of the rendered page sees of it: its text
            for part in _html_text(token.content):
                add(part, Block(QUOTE, level=quotes - 1) if quotes else Block(PARAGRAPH))
        elif kind in ("fence", "code_block"):
            code = token.content[:-1] if token.content.endswith("\n") else token.content
            add(code, Block(CODE, marker=token.info.strip() if kind == "fence" else ""))
        elif kind == "inline":
            content = _inline_text(token)
            opener = tokens[index - 1]
            if opener.type == "heading_open":
                add(content, Block(HEADING, level=int(opener.tag[1:])))
            elif opener.type in ("th_open", "td_open"):
                add(" ".join(content.split()), Block(CELL, table=table, row=row, column=column))
            elif lists:
                bullet, number = lists[-1]
                marker = ""
                if item_started:
                    marker = bullet if bullet in "-*+" else f"{number}{bullet}"
                    if bullet not in "-*+":
                        lists[-1] = (bullet, number + 1)
                add(content, Block(ITEM, level=len(lists) - 1, marker=marker))
                item_started = False
            else:
                # Lines of one Markdown paragraph are joined only where the evidence says they
                # were wrapped, as in plain text: a copied article with a paragraph (or a headline)
                # per line and no blank lines stays apart, and a ticker is no single paragraph.
                form = Block(QUOTE, level=quotes - 1) if quotes else Block(PARAGRAPH)
                lines, written, kept = wrapped[index]
                for part in join_wrapped(lines, width, written, kept) if len(lines) > 1 else [content]:
                    add(part, form)
    blocks = [
        Block(CELL, table=b.table, row=b.row, column=b.column, columns=widths.get(b.table, b.column + 1))
        if b.kind == CELL
        else b
        for b in blocks
    ]
    if not paragraphs:  # front matter alone: its title is no article
        return [], [], metadata, warnings
    title = metadata.get("title")
    first_heading = next((p for p, b in zip(paragraphs, blocks, strict=True) if b.kind == HEADING), None)
    if title and title != first_heading:
        paragraphs.insert(0, title)  # the clean stage takes it as the headline
        blocks.insert(0, Block(HEADING, level=1))
    if all(block.kind == PARAGRAPH for block in blocks):
        blocks = []
    return paragraphs, blocks, metadata, warnings


def _wrapped_paragraph_lines(tokens: Sequence[Any]) -> dict[int, tuple[list[str], list[str], frozenset[int]]]:
    """The lines of every plain paragraph (not a heading, cell or list item), by its inline token's
    index: each line's visible text, the line as written (link targets and markup count, as they
    did for whoever wrapped the source; a quote's `> ` too), and the lines a hard break ends."""
    found = {}
    lists = quotes = 0
    for index, token in enumerate(tokens):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists -= 1
        elif kind == "blockquote_open":
            quotes += 1
        elif kind == "blockquote_close":
            quotes -= 1
        elif kind == "inline" and not lists and index and tokens[index - 1].type == "paragraph_open":
            pieces = _inline_lines(token)
            lines = [" ".join(text.split()) for text, _ in pieces]
            source = [line.strip() for line in token.content.split("\n")]
            if len(source) != len(lines):  # a line break inside a code span: the visible text
                source = lines
            written = ["> " * quotes + line for line in source]
            kept = frozenset(i for i, (_, hard) in enumerate(pieces) if hard)
            found[index] = (lines, written, kept)
    return found


def _inline_text(token: Any, breaks: str = " ") -> str:
    """An inline token's visible text: emphasis and links dropped (their text kept), images as their
    alt text, line breaks as `breaks`, inline code between CODE_OPEN and CODE_CLOSE, and nothing of
    what raw HTML hides (`_inline_lines`)."""
    return breaks.join(line for line, _ in _inline_lines(token)).strip()


def _inline_lines(token: Any) -> list[tuple[str, bool]]:
    """An inline token's visible text, line by line, each with whether a hard break ends it.

    Raw HTML inside a paragraph is markup: its tags are dropped and the text between them kept,
    but for what a browser does not show: the content of a script, style, template or noscript
    element, and of any element with the `hidden` attribute or a style of `display: none` or
    `visibility: hidden`.
    """
    lines: list[tuple[str, bool]] = []
    parts: list[str] = []
    hiding: list[str] = []  # the open elements whose content is not shown, innermost last
    for child in token.children or ():
        kind = child.type
        if kind == "html_inline":
            _follow_tag(child.content, hiding)
        elif kind in ("softbreak", "hardbreak"):
            lines.append(("".join(parts), kind == "hardbreak"))
            parts = []
        elif hiding:
            continue
        elif kind == "text":
            parts.append(child.content)
        elif kind == "code_inline":
            parts.append(f"{CODE_OPEN}{child.content}{CODE_CLOSE}")
        elif kind == "image":
            parts.append(child.content)
    lines.append(("".join(parts), False))
    return lines


_TAG = re.compile(r"<\s*(/)?\s*([A-Za-z][A-Za-z0-9-]*)([^>]*?)(/)?\s*>\Z", re.S)
_HIDING_ELEMENTS = frozenset({"script", "style", "template", "noscript"})
_VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
_HIDDEN_ATTRIBUTE = re.compile(
    r"""(?:^|\s)hidden(?:\s|=|$)|style\s*=\s*["'][^"']*(?:display\s*:\s*none|visibility\s*:\s*hidden)""",
    re.I,
)


def _follow_tag(tag: str, hiding: list[str]) -> None:
    """Track the elements that hide their content, from one inline tag (comments change nothing)."""
    match = _TAG.match(tag.strip())
    if match is None:
        return
    closing, name, attributes, self_closing = match.groups()
    name = name.lower()
    if closing:
        if name in hiding:  # close it and whatever was left open inside it
            del hiding[len(hiding) - 1 - hiding[::-1].index(name) :]
        return
    if self_closing or name in _VOID_ELEMENTS:
        return
    if hiding or name in _HIDING_ELEMENTS or _HIDDEN_ATTRIBUTE.search(attributes):
        hiding.append(name)  # inside a hidden element every element counts, to find its end


# Elements that start a paragraph of their own.
_HTML_BLOCK = re.compile(r"p|div|li|t[dh]|h[1-6]|blockquote|figcaption|d[dt]|section|article|aside")
# What a browser does not show of a block of HTML.
_HTML_HIDDEN = (
    "//script|//style|//template|//noscript|//comment()|//*[@hidden]"
    "|//*[contains(translate(translate(@style, ' ', ''), 'DISPLAYNOE', 'displaynoe'), 'display:none')]"
    "|//*[contains(translate(translate(@style, ' ', ''), 'VISBLTYHDEN', 'visbltyhden'), 'visibility:hidden')]"
)


def _html_text(html: str) -> list[str]:
    """The visible text of a block of raw HTML in Markdown, a paragraph per block element: no
    comments, scripts, styles, templates, nor elements hidden by an attribute or their style."""
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return []
    for hidden in root.xpath(_HTML_HIDDEN):
        if hidden.getparent() is not None:  # not already gone with an element around it
            hidden.drop_tree()  # keeps the text after it
    for element in root.iter():
        if isinstance(element.tag, str) and _HTML_BLOCK.fullmatch(element.tag):
            element.tail = "\n" + (element.tail or "")
            element.text = "\n" + (element.text or "")
    return [" ".join(line.split()) for line in root.text_content().split("\n") if line.strip()]


def _front_matter(yaml_text: str | None, toml_text: str | None) -> dict[str, str] | str:
    """Front matter's metadata (title, date, author, site), or a warning saying why there is none."""
    if len(yaml_text or toml_text or "") > FRONT_MATTER_MAX_CHARS:
        return f"front matter over {FRONT_MATTER_MAX_CHARS // 1024} KB not read; left out of the text"
    try:
        if toml_text is not None:
            import tomllib

            data: Any = tomllib.loads(toml_text)
        else:
            import yaml

            data = yaml.safe_load(yaml_text or "")
    except Exception as error:  # a YAML or TOML syntax error, whatever its class
        return f"front matter not read ({first_line(error, type(error).__name__)}); left out of the text"
    if data is None:
        return {}
    if not isinstance(data, dict):
        return "front matter is not a set of keys; left out of the text"
    metadata: dict[str, str] = {}
    for key, value in data.items():
        name = _FRONT_MATTER_KEYS.get(str(key).lower()) if isinstance(key, str) else None
        if name is None or name in metadata:
            continue
        if isinstance(value, list):  # several authors: their names, or the text of each
            parts = (_scalar(v.get("name")) if isinstance(v, dict) else _scalar(v) for v in value[:20])
            shown = ", ".join(part for part in parts if part)
        elif isinstance(value, dict):
            shown = _scalar(value.get("name"))
        else:
            shown = _scalar(value)
        if shown:
            metadata[name] = shown[:FRONT_MATTER_VALUE_CHARS]
    return metadata


# Front matter larger than this is not read (a title and a few names are a few hundred bytes); a
# value is cut at FRONT_MATTER_VALUE_CHARS. YAML's aliases can make a few hundred bytes stand for
# millions of nodes: only text, numbers and dates are taken, never the text of a structure.
FRONT_MATTER_MAX_CHARS = 64 * 1024
FRONT_MATTER_VALUE_CHARS = 500


def _scalar(value: Any) -> str:
    """A front-matter value as one line of text, if it is text, a number or a date; else ""."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | datetime.date):
        return ""
    text = value if isinstance(value, str) else str(value)
    return " ".join(text[: FRONT_MATTER_VALUE_CHARS * 2].split())
