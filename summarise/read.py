"""Read stage: an article file's bytes -> its paragraphs, by the reader of its format.

Readers are registered by suffix (READERS): plain text (text_reader), Markdown (markdown_reader)
and saved web pages (html_reader), each over the same decoding (source_text). Finding the files
of a run is discover.py's. A new format is a module with `parse(data, path) -> Parsed` and its
suffixes here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import html_reader, markdown_reader, text_reader
from .brief import Block
from .errors import InputError
from .files import FileState, read_bytes
from .options import DEFAULT_MAX_BYTES
from .source_text import Parsed


@dataclass(frozen=True)
class Reader:
    name: str  # the format, as messages name it
    parse: Callable[[bytes, Path], Parsed]


# Every format summarise reads, by suffix (lower case): the one list discovery and reading use.
READERS: dict[str, Reader] = {
    ".txt": Reader("plain text", text_reader.parse),
    ".md": Reader("Markdown", markdown_reader.parse),
    ".html": Reader("web page", html_reader.parse),
    ".htm": Reader("web page", html_reader.parse),
}
SUPPORTED_SUFFIXES = tuple(READERS)


@dataclass(frozen=True)
class InputFile:
    """One article file of a run; `relative` places its outputs inside the output folder."""

    path: Path
    relative: PurePosixPath
    # A page fetched from the web: what came with it (url, final_url, fetched, http_date, etag,
    # last_modified), recorded with the page's own metadata.
    web: tuple[tuple[str, str], ...] = ()

    @property
    def named(self) -> Path | str:
        """How a message names the article: its web address where it came from one, else its file."""
        return dict(self.web).get("url") or self.path


@dataclass
class Article:
    """An article's text as read from disk, split into paragraphs."""

    source: InputFile
    sha256: str
    paragraphs: list[str]
    encoding: str
    warnings: list[str] = field(default_factory=list)
    # From a web page's metadata or a Markdown file's front matter: title, author, date, site name.
    metadata: dict[str, str] = field(default_factory=dict)
    # The form of each paragraph (Markdown input: headings, items, cells, code); () when all are plain.
    blocks: list[Block] = field(default_factory=list)
    # Web pages: the share of each paragraph that is the text of one of the page's links (a teaser
    # list of other articles is all links); [] for anything else.
    links: list[float] = field(default_factory=list)
    state: FileState | None = None  # the file's state when it was opened, before it was read


def read_article(source: InputFile, max_bytes: int = DEFAULT_MAX_BYTES) -> Article:
    """Read one file with the reader of its suffix; refuse binary and empty files.

    Only a regular file is read, and only up to `max_bytes`: a FIFO never blocks the run, and a
    link to /dev/zero or a runaway log never fills the memory.
    """
    reader = READERS.get(source.path.suffix.lower(), READERS[".txt"])
    data, state = read_bytes(source.path, max_bytes)
    parsed = reader.parse(data, source.path)
    if not parsed.paragraphs:
        raise InputError(
            source.path, "no text besides its front matter" if parsed.metadata else "empty file (no text)"
        )
    return Article(
        source=source,
        sha256=hashlib.sha256(data).hexdigest(),
        paragraphs=parsed.paragraphs,
        encoding=parsed.encoding,
        warnings=parsed.warnings,
        metadata={**parsed.metadata, **dict(source.web)},
        blocks=parsed.blocks,
        links=parsed.links,
        state=state,
    )
