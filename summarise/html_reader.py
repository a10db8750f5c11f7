"""The web page reader: trafilatura finds the article in a saved page; the texts of the page's
links are measured against each paragraph, for the clean stage (a teaser list is all links)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import InputError
from .source_text import Parsed, decode

MIN_WEB_ARTICLE_CHARS = 80


def parse(data: bytes, path: Path) -> Parsed:
    text, encoding, warnings, metadata = read_web_page(data, path)
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    if metadata.get("title") and (not paragraphs or paragraphs[0] != metadata["title"]):
        paragraphs.insert(0, metadata["title"])  # the clean stage takes it as the headline
    page = decode(data, path)[0] if b"\x00" in data else data  # as the extractor read it
    links = link_shares(paragraphs, _link_texts(page))
    return Parsed(paragraphs, encoding, warnings, metadata, links=links)


def read_web_page(data: bytes, path: Path) -> tuple[str, str, list[str], dict[str, str]]:
    """A saved web page -> its article's text (one paragraph per line) and metadata.

    trafilatura finds the main text and leaves navigation, ads, comments and cookie banners out.
    """
    if not data.strip():
        raise InputError(path, "empty file (no text)")
    page: bytes | str = data
    warnings: list[str] = []
    if b"\x00" in data:  # UTF-16 or UTF-32 (the extractor reads neither), a stray NUL, or binary
        page, _, warnings = decode(data, path)
    import trafilatura

    extracted: Any = trafilatura.bare_extraction(
        page, include_comments=False, include_tables=False, with_metadata=True
    )
    document: dict[str, Any] = extracted.as_dict() if extracted is not None else {}
    text = str(document.get("text") or "").strip()
    # With no article, the extractor falls back to whatever is left (a menu's "Start").
    if len(text) < MIN_WEB_ARTICLE_CHARS:
        raise InputError(path, "no article text found in this web page")
    metadata = {
        key: str(document[key]) for key in ("title", "author", "date", "sitename") if document.get(key)
    }
    return text, "html", warnings, metadata


# Link texts shorter than this say too little to recognise ("Mehr", "Politik").
_LINK_TEXT_MIN_CHARS = 15
# A paragraph longer than this is not a teaser's headline, whatever it links.
_LINK_PARAGRAPH_MAX_CHARS = 200
_TEASER_PREFIX = re.compile(r"^(?:[-–•*]\s+)?(?:[^:.!?]{2,40}:\s+)?")


def _link_texts(page: bytes | str) -> list[str]:
    """The texts of a page's links, white space normalised (at least _LINK_TEXT_MIN_CHARS)."""
    import lxml.html

    if isinstance(page, bytes):  # lxml takes bytes without a charset for latin-1; most pages are UTF-8
        with contextlib.suppress(UnicodeDecodeError):
            page = page.decode("utf-8")
    try:
        try:
            root = lxml.html.fromstring(page)
        except ValueError:  # a str with an XML encoding declaration: the bytes, then
            root = lxml.html.fromstring(page.encode("utf-8") if isinstance(page, str) else page)
    except (ValueError, lxml.etree.ParserError):
        return []
    texts = {" ".join(anchor.text_content().split()) for anchor in root.iter("a")}
    return [text for text in texts if len(text) >= _LINK_TEXT_MIN_CHARS]


def link_shares(paragraphs: Sequence[str], links: Sequence[str]) -> list[float]:
    """For each paragraph, the share of it (after a list bullet and a "Topic:" kicker) that the
    longest link text it holds covers: a teaser of another article is all link."""
    texts = [" ".join(paragraph.split()) for paragraph in paragraphs]
    short = [text for text in texts if len(text) <= _LINK_PARAGRAPH_MAX_CHARS]
    candidates = {link for link in links if len(link) <= _LINK_PARAGRAPH_MAX_CHARS}
    # Every link against every paragraph is quickest on a real page; a page with thousands of both
    # is looked up by word spans instead, so no page costs more than a bounded amount per paragraph.
    by_spans = len(short) * len(candidates) > _LINK_PAIRS_MAX
    shares = []
    for text in texts:
        if len(text) > _LINK_PARAGRAPH_MAX_CHARS:
            shares.append(0.0)
            continue
        core = _TEASER_PREFIX.sub("", text)
        if by_spans:
            longest = _longest_span_in(text, candidates)
        else:
            longest = max((len(link) for link in candidates if link in text), default=0)
        shares.append(min(1.0, longest / max(1, len(core))))
    return shares


# Past this many (paragraph, link) pairs, link_shares looks links up by word spans.
_LINK_PAIRS_MAX = 200_000


def _longest_span_in(text: str, links: set[str]) -> int:
    """The length of the longest run of whole words of `text` that is one of `links`."""
    words = text.split(" ")
    longest = 0
    for start in range(len(words)):
        span = ""
        for word in words[start:]:
            span = f"{span} {word}" if span else word
            if len(span) >= _LINK_TEXT_MIN_CHARS and span in links:
                longest = max(longest, len(span))
    return longest


# Byte-order marks, longest first: UTF-32's little-endian mark begins with UTF-16's.
