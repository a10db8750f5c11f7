"""Read stage: find the input files of a run and turn their bytes into text with paragraphs."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from .brief import CELL, CODE, CODE_CLOSE, CODE_OPEN, HEADING, ITEM, PARAGRAPH, QUOTE, Block
from .errors import ConfigError, InputError

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm")
# Left in every output folder that holds no article of its run: such a folder is never walked.
OUTPUT_MARKER = ".summarise-output"
# The keys every JSON record of a brief or translation has (brief.py): how its text is recognised.
_RECORD_KEYS = {"source", "models", "settings", "segments", "coverage"}
HTML_SUFFIXES = (".html", ".htm")
MARKDOWN_SUFFIXES = (".md",)
MIN_WEB_ARTICLE_CHARS = 80

# Share of control characters (other than tab/newline/form feed) above which text is called binary.
_MAX_CONTROL_SHARE = 0.01
# Articles are refused above this size (--max-size). News articles are kilobytes and saved pages a
# few MB; a 5 MB article takes minutes to translate on a laptop.
DEFAULT_MAX_BYTES = 20 * 2**20
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class InputFile:
    """One article file of a run; `relative` places its outputs inside the output folder."""

    path: Path
    relative: PurePosixPath


class FileState(NamedTuple):
    """What a file's status says of its content: when any of these differs, it may have changed
    (the size, the times to the nanosecond, which file it is)."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, status: os.stat_result) -> FileState:
        return cls(status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino, status.st_dev)

    @classmethod
    def at(cls, path: Path) -> FileState | None:
        """The state of the file at `path` now (following links, as reading does); None if none."""
        try:
            return cls.of(os.stat(path))
        except (OSError, ValueError):
            return None


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
    state: FileState | None = None  # the file's state when it was opened, before it was read


def discover_inputs(
    paths: Iterable[Path], exclude: Path | None = None
) -> tuple[list[InputFile], list[InputError]]:
    """Expand files and folders (recursively) into article files, in a stable order.

    Output paths mirror each file's path relative to the common folder of the arguments, so two
    `a.txt` in different subfolders never collide. Skipped: hidden files and folders; `exclude`
    (the output folder, by resolved path) and any other folder this tool writes into (it holds
    OUTPUT_MARKER); files this tool wrote (briefs and translations beside their JSON record, the
    digest). Only regular files are taken: a FIFO or a device is refused without being opened.
    An argument that names nothing (no such path, a broken link) is a usage error: ConfigError,
    naming every such argument, before any work. Other problems, with the arguments or met while
    walking, are returned, not raised, so the rest of the run can go on.
    """
    found: list[Path] = []
    problems: list[InputError] = []
    nothing: list[str] = []
    roots: list[Path] = []
    excluded = os.path.realpath(exclude) if exclude is not None else None
    for given in paths:
        kind = _kind(given)
        if kind == "folder":
            roots.append(_absolute(given))
            found.extend(_walk(given, excluded, problems))
        elif kind == "file":
            roots.append(_absolute(given).parent)
            if given.suffix.lower() not in SUPPORTED_SUFFIXES:
                expected = ", ".join(SUPPORTED_SUFFIXES)
                problems.append(
                    InputError(given, f"unsupported file type (expected {expected})", skipped=True)
                )
            elif written_by_summarise(given):
                problems.append(
                    InputError(
                        given,
                        "written by summarise (a brief, translation or digest), not an article",
                        skipped=True,
                    )
                )
            else:
                found.append(given)
        elif kind in _NAMES_NOTHING:
            nothing.append(f"{given}: {kind}")
        else:
            problems.append(InputError(given, kind))
    if nothing:
        raise ConfigError("; ".join(nothing))
    if not roots:
        return [], problems
    base = Path(os.path.commonpath([str(r) for r in roots]))
    inputs: dict[Path, InputFile] = {}
    for path in found:
        absolute = _absolute(path)
        if absolute not in inputs:
            relative = PurePosixPath(absolute.relative_to(base).as_posix())
            inputs[absolute] = InputFile(path=path, relative=relative)
    return sorted(inputs.values(), key=lambda f: str(f.relative)), problems


_NAMES_NOTHING = ("no such file or folder", "broken symbolic link", "symbolic link loop")


def _kind(path: Path) -> str:
    """'folder', 'file' (a regular file), or why the path is no article (from its status alone)."""
    try:
        status = path.stat()  # follows links: a link to /dev/zero is a device
    except OSError as error:
        if path.is_symlink():
            return "symbolic link loop" if error.errno == errno.ELOOP else "broken symbolic link"
        if error.errno == errno.ENOENT:
            return "no such file or folder"
        return f"cannot read: {error.strerror or error}"
    if stat.S_ISDIR(status.st_mode):
        return "folder"
    if stat.S_ISREG(status.st_mode):
        return "file"
    return f"not a regular file ({_file_type(status.st_mode)}): not read"


def _file_type(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a file"


def _absolute(path: Path) -> Path:
    """Absolute and with `..` folded away (lexically, links kept): a relative output path computed
    from it can never climb out of the output folder."""
    return Path(os.path.abspath(path))


def _walk(folder: Path, excluded: str | None, problems: list[InputError]) -> list[Path]:
    """Article files below `folder`; every folder that cannot be read is a problem, named."""

    def unreadable(error: OSError) -> None:
        where = Path(error.filename) if error.filename else folder
        problems.append(InputError(where, f"cannot read this folder: {error.strerror or error}"))

    files = []
    # Symlinked folders are not followed: a link loop must not hang the run.
    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not _output_folder(here / d, excluded)
        )
        for name in sorted(filenames):
            if name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            path = here / name
            kind = _kind(path)
            if kind != "file":
                problems.append(InputError(path, kind))
            elif not written_by_summarise(path):
                files.append(path)
    return files


def _output_folder(folder: Path, excluded: str | None) -> bool:
    """This run's output folder (by resolved path), or one this tool wrote into before."""
    return (excluded is not None and os.path.realpath(folder) == excluded) or _is_file(folder / OUTPUT_MARKER)


def _is_file(path: Path) -> bool:
    """Path.is_file, but False for any error (a name too long, a folder we may not enter)."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def written_by_summarise(path: Path) -> bool:
    """A brief (.md, .html) or translation (.txt) beside its JSON record, or a digest: never articles."""
    suffix = path.suffix.lower()
    if suffix in (".md", ".txt", ".html"):
        record = path.with_name(path.name[: -len(path.suffix)] + ".json")
        data = None
        if _is_file(record):
            try:
                if record.stat().st_size < 64 * 2**20:
                    data = json.loads(record.read_bytes())
            except (OSError, ValueError):
                pass
            # A brief's record has a summary, a translation's has none: `a.txt` beside the record
            # of its own brief (`a.json`, `a.md`) is the article.
            if (
                isinstance(data, dict)
                and data.keys() >= _RECORD_KEYS
                and ("summary" in data) == (suffix in (".md", ".html"))
            ):
                return True
    if path.name.lower() in ("digest.md", "digest.html"):
        try:
            with path.open("rb") as handle:
                start = handle.read(1000)
        except OSError:
            return False
        return re.search(rb"(?m)^# Digest: \d+ articles|<title>Digest: \d+ articles", start) is not None
    return False


def read_article(source: InputFile, max_bytes: int = DEFAULT_MAX_BYTES) -> Article:
    """Read one file: decode it, refuse binary and empty files, and split it into paragraphs.

    Only a regular file is read, and only up to `max_bytes`: a FIFO never blocks the run, and a
    link to /dev/zero or a runaway log never fills the memory.
    """
    data, state = read_bytes(source.path, max_bytes)
    metadata: dict[str, str] = {}
    blocks: list[Block] = []
    if source.path.suffix.lower() in HTML_SUFFIXES:
        text, encoding, warnings, metadata = read_web_page(data, source.path)
        paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
        if metadata.get("title") and (not paragraphs or paragraphs[0] != metadata["title"]):
            paragraphs.insert(0, metadata["title"])  # the clean stage takes it as the headline
    else:
        text, encoding, warnings = decode(data, source.path)
        if source.path.suffix.lower() in MARKDOWN_SUFFIXES:
            paragraphs, blocks, metadata, markdown_warnings = read_markdown(text)
            warnings += markdown_warnings
        else:
            paragraphs = split_paragraphs(text)
    if not paragraphs:
        raise InputError(
            source.path, "no text besides its front matter" if metadata else "empty file (no text)"
        )
    return Article(
        source=source,
        sha256=hashlib.sha256(data).hexdigest(),
        paragraphs=paragraphs,
        encoding=encoding,
        warnings=warnings,
        metadata=metadata,
        blocks=blocks,
        state=state,
    )


def read_bytes(path: Path, max_bytes: int) -> tuple[bytes, FileState]:
    """The bytes of a regular file of at most `max_bytes` (else InputError), and the file's state
    when it was opened: a change while it is read shows in its state afterwards."""
    try:
        # O_NONBLOCK: should the path have become a FIFO since it was found, open() must not wait.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a file") from None
    except OSError as error:
        if path.is_symlink():
            reason = "symbolic link loop" if error.errno == errno.ELOOP else "broken symbolic link"
            raise InputError(path, reason) from None
        raise InputError(path, f"cannot read: {error.strerror or error}") from None
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):  # a folder opens too, and os.fdopen would refuse it
        os.close(fd)
        raise InputError(path, f"not a regular file ({_file_type(status.st_mode)}): not read")
    with os.fdopen(fd, "rb") as handle:
        if status.st_size > max_bytes:
            raise InputError(path, _too_big(status.st_size, max_bytes))
        try:
            data = handle.read(max_bytes + 1)  # a file growing as it is read stops at the limit too
        except OSError as error:
            raise InputError(path, f"cannot read: {error.strerror or error}") from None
    if len(data) > max_bytes:
        raise InputError(path, _too_big(len(data), max_bytes))
    return data, FileState.of(status)


def _too_big(size: int, limit: int) -> str:
    return f"{size / 2**20:.1f} MB, over the limit of {limit / 2**20:g} MB for one article (--max-size)"


def read_web_page(data: bytes, path: Path) -> tuple[str, str, list[str], dict[str, str]]:
    """A saved web page -> its article's text (one paragraph per line) and metadata.

    trafilatura finds the main text and leaves navigation, ads, comments and cookie banners out.
    """
    if not data.strip():
        raise InputError(path, "empty file (no text)")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(path, "binary file (contains NUL bytes), not a web page")
    import trafilatura

    extracted: Any = trafilatura.bare_extraction(
        data, include_comments=False, include_tables=False, with_metadata=True
    )
    document: dict[str, Any] = extracted.as_dict() if extracted is not None else {}
    text = str(document.get("text") or "").strip()
    # With no article, the extractor falls back to whatever is left (a menu's "Start").
    if len(text) < MIN_WEB_ARTICLE_CHARS:
        raise InputError(path, "no article text found in this web page")
    metadata = {
        key: str(document[key]) for key in ("title", "author", "date", "sitename") if document.get(key)
    }
    return text, "html", [], metadata


def decode(data: bytes, path: Path) -> tuple[str, str, list[str]]:
    """Bytes -> text: UTF-8 (BOM aware) or UTF-16 with BOM, else cp1252/latin-1 with a warning."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _check_text(data.decode("utf-16"), path), "utf-16", []
        except UnicodeDecodeError:
            raise InputError(path, "binary file (invalid UTF-16 after a UTF-16 byte-order mark)") from None
    if b"\x00" in data:
        raise InputError(path, "binary file (contains NUL bytes), not text")
    try:
        return _check_text(data.decode("utf-8-sig"), path), "utf-8", []
    except UnicodeDecodeError:
        pass
    # UTF-8 with a few broken bytes (a bad copy, a cut multi-byte character) is still UTF-8: its
    # valid multi-byte characters outnumber the broken sequences. cp1252 text has none valid.
    replaced = data.decode("utf-8-sig", errors="replace")
    broken = replaced.count("\ufffd") - data.count("\ufffd".encode())
    valid = sum(1 for char in replaced if ord(char) > 0x7F) - replaced.count("\ufffd")
    if valid > broken:
        plural = "s" if broken > 1 else ""
        warning = f"{broken} invalid UTF-8 sequence{plural} replaced with U+FFFD"
        return _check_text(replaced, path), "utf-8", [warning]
    for encoding in ("cp1252", "latin-1"):
        try:
            text = _check_text(data.decode(encoding), path)
        except UnicodeDecodeError:
            continue
        return text, encoding, [f"not valid UTF-8; decoded as {encoding}"]
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _check_text(text: str, path: Path) -> str:
    if text and len(_CONTROL.findall(text)) > _MAX_CONTROL_SHARE * len(text):
        raise InputError(path, "binary file (control characters), not text")
    return text


def split_paragraphs(text: str) -> list[str]:
    """Split text into paragraphs.

    News text arrives two ways: one paragraph per line, or paragraphs hard-wrapped at a fixed
    width. Lines are joined only where the evidence says the text is wrapped (`_wrap_width`), and
    then only a line that reaches that width and does not end a sentence: a short line, a
    headline, the end of a paragraph stays a line of its own. Time and memory are linear in the
    number of lines.
    """
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    width = _wrap_width(lines)
    if width is None:
        return [line for line in lines if line]
    paragraphs: list[str] = []
    current: list[str] = []  # the lines of the paragraph being joined
    size = 0
    first = next((i for i, line in enumerate(lines) if line), -1)
    for index, line in enumerate(lines):
        if not line:
            _close(current, paragraphs)
            current, size = [], 0
            continue
        current.append(line)
        size += len(line)
        following = lines[index + 1] if index + 1 < len(lines) else ""
        headline = index == first and _headline_shaped(line, following)
        if headline or not _wrapped_here(line, following, width) or size > MAX_JOINED_CHARS:
            _close(current, paragraphs)
            current, size = [], 0
    _close(current, paragraphs)
    return paragraphs


# A joined paragraph closes at the next line break after this many characters, whatever the
# evidence: a wrapped text without any blank line must not become one paragraph of megabytes.
MAX_JOINED_CHARS = 4000
# Evidence of hard wrapping: enough lines inside blocks, most of them broken where the width forced
# it (the next word would not have fitted), and most of those breaking a sentence.
_MIN_INNER_LINES = 3
_MIN_FORCED_SHARE = 0.6
_MIN_MID_SENTENCE_SHARE = 0.5
_MAX_WRAP_WIDTH = 100
_LINE_END = re.compile(r"[.!?…:;][\"'“”»«›‹)\]]*$")


def _wrap_width(lines: list[str]) -> int | None:
    """The width the text is hard-wrapped at, or None when the evidence says it is not wrapped."""
    inner = [(a, b) for a, b in pairwise(lines) if a and b]  # only these can have been wrapped
    if len(inner) < _MIN_INNER_LINES:
        return None
    width = max(len(a) for a, _ in inner)
    if width > _MAX_WRAP_WIDTH:
        return None
    forced = [a for a, b in inner if _forced_break(a, b, width)]
    if len(forced) < _MIN_FORCED_SHARE * len(inner):
        return None
    mid_sentence = sum(1 for line in forced if not _LINE_END.search(line))
    return width if mid_sentence >= _MIN_MID_SENTENCE_SHARE * len(forced) else None


def _forced_break(line: str, following: str, width: int) -> bool:
    """Did the width end `line`? A wrapper breaks a line only when the next word would not fit."""
    return len(line) + 1 + len(following.split(" ", 1)[0]) > width


def _wrapped_here(line: str, following: str, width: int) -> bool:
    """In wrapped text: does `line` go on in `following`? Where the width forced the break, and
    not before a list item; anywhere else the line break is the writer's own."""
    return bool(following) and _forced_break(line, following, width) and not _BULLET_START.match(following)


def _headline_shaped(line: str, following: str) -> bool:
    """A first line that reads as a headline: short, several words, no closing punctuation, and the
    text after it opens a sentence. (German capitalises nouns, so a capital letter alone says
    nothing; a capitalised article, pronoun or preposition, a quote or a dateline does.)"""
    return (
        len(line) <= 150
        and len(line.split()) >= 2
        and not _LINE_END.search(line)
        and _OPENS_SENTENCE.match(following) is not None
    )


# What begins a sentence and hardly ever stands capitalised inside one.
_OPENS_SENTENCE = re.compile(
    r"""^(?:["„“»«‚'(\[]|\d|[A-ZÄÖÜ]{2,}[\s,(/]|(?:Der|Die|Das|Den|Dem|Des|Ein|Eine|Einen|Einem|Einer|"""
    r"""Er|Es|Wir|Ich|Man|Im|In|Am|An|Auf|Aus|Nach|Mit|Bei|Vor|Für|Seit|Trotz|Wegen|Laut|Wie|Was|"""
    r"""Wer|Wenn|Als|Auch|Doch|Aber|Nun|So|Dabei|Damit|Dort|Diese|Dieser|Dieses|Zudem|The|A|On|At)\b)"""
)
_BULLET_START = re.compile(r"^(?:[-–—•*·▪►]|\d{1,3}[.)])\s")


# After a dangling hyphen these words start a new word: "Nord- und Süddeutschland".
_JOINING_WORDS = frozenset({"und", "oder", "bis", "sowie", "bzw", "als", "wie", "and", "or", "to"})


def _close(current: list[str], paragraphs: list[str]) -> None:
    """Join a paragraph's lines: with a space, or with none after a hyphen that a wrapper broke a
    word at (`E-` / `Mail`, `Bundes-` / `regierung`), which keeps the hyphen."""
    if not current:
        return
    text = current[0]
    for line in current[1:]:
        broken_word = text.endswith("-") and text[-2:-1].isalpha() and line[:1].isalpha()
        if broken_word and line.split(" ", 1)[0].rstrip(",.") not in _JOINING_WORDS:
            text += line
        else:
            text += " " + line
    paragraphs.append(text)


# ----------------------------------------------------------------------------- Markdown

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
                lines = _inline_text(token, breaks="\n")
                for part in split_paragraphs(lines) if "\n" in lines else [content]:
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


def _inline_text(token: Any, breaks: str = " ") -> str:
    """An inline token's text: emphasis and links dropped (their text kept), images as their
    alt text, line breaks as `breaks`, inline code between CODE_OPEN and CODE_CLOSE."""
    parts: list[str] = []
    for child in token.children or ():
        if child.type == "text":  # an inline HTML tag is markup: the text around it is kept
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(breaks)
        elif child.type == "code_inline":
            parts.append(f"{CODE_OPEN}{child.content}{CODE_CLOSE}")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts).strip()


# Elements that start a paragraph of their own.
_HTML_BLOCK = re.compile(r"p|div|li|t[dh]|h[1-6]|blockquote|figcaption|d[dt]|section|article|aside")


def _html_text(html: str) -> list[str]:
    """The visible text of a block of raw HTML in Markdown, a paragraph per block element: no
    comments, scripts or styles (a page would not show them)."""
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return []
    for hidden in root.xpath("//script|//style|//template|//comment()"):
        hidden.drop_tree()  # keeps the text after it
    for element in root.iter():
        if isinstance(element.tag, str) and _HTML_BLOCK.fullmatch(element.tag):
            element.tail = "\n" + (element.tail or "")
            element.text = "\n" + (element.text or "")
    return [" ".join(line.split()) for line in root.text_content().split("\n") if line.strip()]


def _front_matter(yaml_text: str | None, toml_text: str | None) -> dict[str, str] | str:
    """Front matter's metadata (title, date, author, site), or a warning saying why there is none."""
    try:
        if toml_text is not None:
            import tomllib

            data: Any = tomllib.loads(toml_text)
        else:
            import yaml

            data = yaml.safe_load(yaml_text or "")
    except Exception as error:  # a YAML or TOML syntax error, whatever its class
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"front matter not read ({first}); left out of the text"
    if data is None:
        return {}
    if not isinstance(data, dict):
        return "front matter is not a set of keys; left out of the text"
    metadata: dict[str, str] = {}
    for key, value in data.items():
        name = _FRONT_MATTER_KEYS.get(str(key).lower())
        if name is None or name in metadata or value is None:
            continue
        if isinstance(value, list):
            value = ", ".join(str(v.get("name", v)) if isinstance(v, dict) else str(v) for v in value)
        elif isinstance(value, dict):
            value = value.get("name", "")
        shown = " ".join(str(value).split())
        if shown:
            metadata[name] = shown
    return metadata
