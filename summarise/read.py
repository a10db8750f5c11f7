"""Read stage: find the input files of a run and turn their bytes into text with paragraphs."""

from __future__ import annotations

import contextlib
import datetime
import errno
import hashlib
import os
import re
import stat
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .brief import CELL, CODE, CODE_CLOSE, CODE_OPEN, HEADING, ITEM, PARAGRAPH, QUOTE, Block
from .errors import ConfigError, InputError, first_line
from .files import FileState, file_type, read_bytes
from .outputs import BRIEF, RECORDS_NAME, TRANSLATE, OutputRecords, is_digest, record_kind
from .text_shape import LINE_END

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm")
# Left in every output folder that holds no article of its run: such a folder is never walked.
OUTPUT_MARKER = ".summarise-output"
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
        elif kind in _NAMES_NOTHING and (address := _web_address(given)):
            nothing.append(
                f"{address}: a web address, not a file: save the page from your browser (as .html) "
                "and give that file"
            )
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
# A URL given as a path: the path's parsing has folded its "//" into "/".
_WEB_ADDRESS = re.compile(r"^(https?|ftp)://?(?=[^/])", re.IGNORECASE)


def _web_address(given: Path) -> str | None:
    """The URL a path that names nothing was meant to be, or None."""
    text = str(given)
    match = _WEB_ADDRESS.match(text)
    return f"{match[1]}://{text[match.end() :]}" if match else None


def is_output_folder(folder: Path) -> bool:
    """A folder summarise writes its outputs into (its records or its marker are there)."""
    return _is_file(folder / RECORDS_NAME) or _is_file(folder / OUTPUT_MARKER)


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
    return f"not a regular file ({file_type(status.st_mode)}): not read"


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
    written: set[str] = set()  # files the records of an output folder in the tree name
    tree = os.path.realpath(folder)
    # Symlinked folders are not followed: a link loop must not hang the run, and what they hold
    # is either in the tree already or not the user's to have read from it (see _leads_out).
    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable):
        here = Path(dirpath)
        if RECORDS_NAME in filenames:  # an output folder that holds articles too (`-o .`)
            written.update(os.path.normpath(here / relative) for relative in OutputRecords(here, BRIEF).files)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not _output_folder(here / d, excluded)
        )
        for name in dirnames:
            if os.path.islink(here / name) and (outside := _leads_out(here / name, tree)):
                problems.append(InputError(here / name, f"{outside}: not followed", skipped=True))
        for name in sorted(filenames):
            if name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            path = here / name
            kind = _kind(path)
            if kind != "file":
                problems.append(InputError(path, kind))
            elif os.path.islink(path) and (outside := _leads_out(path, tree)):
                problems.append(InputError(path, f"{outside}: not read", skipped=True))
            elif os.path.normpath(path) not in written and not written_by_summarise(path):
                files.append(path)
    return files


def _leads_out(link: Path, tree: str) -> str | None:
    """Where a symbolic link inside a walked folder leads, when that is outside the folder (a
    private file, /etc/passwd, as an unpacked archive or a shared inbox can hold): only what lies
    in the folders the user named is read from them. None for a link that stays inside."""
    target = os.path.realpath(link)
    if target == tree or target.startswith(tree.rstrip(os.sep) + os.sep):
        return None
    return f"a symbolic link to {target}, outside {tree} (name it as an argument to have it read)"


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
        # A brief's record has a summary, a translation's has none: `a.txt` beside the record
        # of its own brief (`a.json`, `a.md`) is the article.
        kind = record_kind(path.with_name(path.name[: -len(path.suffix)] + ".json"))
        if kind is not None and kind == (BRIEF if suffix in (".md", ".html") else TRANSLATE):
            return True
    return path.name.lower() in ("digest.md", "digest.html") and is_digest(path)


def read_article(source: InputFile, max_bytes: int = DEFAULT_MAX_BYTES) -> Article:
    """Read one file: decode it, refuse binary and empty files, and split it into paragraphs.

    Only a regular file is read, and only up to `max_bytes`: a FIFO never blocks the run, and a
    link to /dev/zero or a runaway log never fills the memory.
    """
    data, state = read_bytes(source.path, max_bytes)
    metadata: dict[str, str] = {}
    blocks: list[Block] = []
    links: list[float] = []
    if source.path.suffix.lower() in HTML_SUFFIXES:
        text, encoding, warnings, metadata = read_web_page(data, source.path)
        paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
        if metadata.get("title") and (not paragraphs or paragraphs[0] != metadata["title"]):
            paragraphs.insert(0, metadata["title"])  # the clean stage takes it as the headline
        page = decode(data, source.path)[0] if b"\x00" in data else data  # as the extractor read it
        links = link_shares(paragraphs, _link_texts(page))
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
        links=links,
        state=state,
    )


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
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def decode(data: bytes, path: Path) -> tuple[str, str, list[str]]:
    """Bytes -> text (see `_decode`), without the control characters a few bad bytes leave
    (each removal counted in a warning)."""
    text, encoding, warnings = _decode(data, path)
    if controls := len(_CONTROL.findall(text)):
        text = _CONTROL.sub("", text)
        warnings.append(f"{controls} control character{'s' if controls > 1 else ''} removed")
    return text, encoding, warnings


def _decode(data: bytes, path: Path) -> tuple[str, str, list[str]]:
    """Bytes -> text, judged on the whole file: UTF-32 and UTF-16 (with a byte-order mark, or
    recognised by where their zero bytes fall), UTF-8 (BOM aware, a few bad bytes replaced), else
    cp1252/latin-1. What had to be replaced or removed is said in a warning; only bytes that are no
    text in any of these (an image, an archive) are refused as binary."""
    for bom, marked in _BOMS:
        if data.startswith(bom):
            return _decode_wide(data[len(bom) :], marked, path, [])
    if (wide := _wide_encoding(data)) is not None:
        name = wide[:6].upper() + (" little-endian" if wide.endswith("le") else " big-endian")
        return _decode_wide(data, wide, path, [f"no byte-order mark; read as {name}"])
    warnings = []
    if nuls := data.count(0):
        # A stray NUL (a bad copy, a broken editor) does not make an article binary; many do.
        if not _few(nuls, len(data)):
            raise InputError(path, "binary file (contains NUL bytes), not text")
        data = data.replace(b"\x00", b"")
        warnings.append(f"{nuls} NUL byte{'s' if nuls > 1 else ''} removed")
    text, encoding, more = _decode_bytes(data, path)
    return text, encoding, warnings + more


def _wide_encoding(data: bytes) -> str | None:
    """UTF-32 or UTF-16 without a byte-order mark, from where the zero bytes fall: in German (and
    any Latin text) every character's high bytes are zero. None when the bytes do not say so. A
    file cut short (a partial download) may end inside a character: that does not change the
    columns."""
    if len(data) < 8 or data.count(0) < len(data) // 4:
        return None

    def zero(start: int, step: int) -> float:
        column = data[start::step]
        return column.count(0) / max(1, len(column))

    if zero(2, 4) > 0.95 and zero(3, 4) > 0.95 and zero(0, 4) < 0.05:
        return "utf-32-le"
    if zero(0, 4) > 0.95 and zero(1, 4) > 0.95 and zero(3, 4) < 0.05:
        return "utf-32-be"
    if zero(1, 2) > 0.7 and zero(0, 2) < 0.05:
        return "utf-16-le"
    if zero(0, 2) > 0.7 and zero(1, 2) < 0.05:
        return "utf-16-be"
    return None


def _decode_wide(data: bytes, encoding: str, path: Path, warnings: list[str]) -> tuple[str, str, list[str]]:
    """UTF-16 or UTF-32: bad code units replaced (and counted) while they are few, else binary."""
    text = data.decode(encoding, errors="replace")
    broken = text.count("\ufffd") - data.decode(encoding, errors="ignore").count("\ufffd")
    if not _few(broken, len(text)):
        raise InputError(path, f"binary file (not valid {encoding[:6].upper()}), not text")
    if broken:
        plural = "s" if broken > 1 else ""
        warnings = [
            *warnings,
            f"{broken} invalid {encoding[:6].upper()} sequence{plural} replaced with U+FFFD",
        ]
    return _check_text(text, path), encoding[:6], warnings


def _decode_bytes(data: bytes, path: Path) -> tuple[str, str, list[str]]:
    """UTF-8 (BOM aware), else cp1252/latin-1 with a warning."""
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


def _few(count: int, size: int) -> bool:
    """Few enough bad bytes or characters for text to be text (a handful in a short one)."""
    return count <= max(2, _MAX_CONTROL_SHARE * size)


def _check_text(text: str, path: Path) -> str:
    if text and not _few(len(_CONTROL.findall(text)), len(text)):
        raise InputError(path, "binary file (control characters), not text")
    return text


def split_paragraphs(text: str) -> list[str]:
    """Split text into paragraphs.

    News text arrives two ways: one paragraph per line, or paragraphs hard-wrapped at a fixed
    width. Lines are joined only where the evidence of the whole text says it is wrapped
    (`wrap_width`), and then only where the width forced the break (`join_wrapped`): a short line,
    a headline, a label after prose, the end of a paragraph stays a line of its own. Time and
    memory are linear in the number of lines.
    """
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return join_wrapped(lines, wrap_width(lines))


def join_wrapped(
    lines: Sequence[str],
    width: int | None,
    written: Sequence[str] | None = None,
    kept_breaks: frozenset[int] = frozenset(),
) -> list[str]:
    """Lines (blank ones end a paragraph) -> paragraphs, joining a line to the next where text
    wrapped at `width` (None: not wrapped) broke it. `written`: the lines as written, where that
    differs from their text (Markdown's link targets and markup); `kept_breaks`: lines whose break
    the writer made (a Markdown hard break), never joined."""
    if width is None:
        return [line for line in lines if line]
    source = written if written is not None else lines
    count = len(lines)

    def goes_on(index: int) -> bool:  # the width broke line `index` (the next word did not fit)
        following = source[index + 1] if index + 1 < count else ""
        return bool(following) and index not in kept_breaks and _forced_break(source[index], following, width)

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
        following = lines[index + 1] if index + 1 < count else ""
        joined = (
            goes_on(index)
            and not _BULLET_START.match(following)
            and not (index == first and _headline_shaped(line, following))
            # The last line of a wrapped paragraph ends a sentence; a line that does not and
            # goes on nowhere ("Artikel teilen", a newsletter prompt) is a label of its own.
            and (LINE_END.search(following) is not None or goes_on(index + 1))
            and size <= MAX_JOINED_CHARS
        )
        if not joined:
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


def wrap_width(lines: Sequence[str], written: Sequence[str] | None = None) -> int | None:
    """The width a text (all of it: a paragraph alone is no evidence) is hard-wrapped at, or None
    when the evidence says it is not wrapped. `written`: the lines as written (see join_wrapped)."""
    source = written if written is not None else lines
    # Only a line followed by another in the same block can have been wrapped.
    inner = [(source[i], lines[i], source[i + 1]) for i in range(len(lines) - 1) if lines[i] and lines[i + 1]]
    if len(inner) < _MIN_INNER_LINES:
        return None
    # The wrap width: the longest such line, but for the few that a word too long to break (a link)
    # pushed past it.
    ordered = sorted(len(line) for line, _, _ in inner)
    width = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    if width > _MAX_WRAP_WIDTH:
        return None
    forced = [text for line, text, following in inner if _forced_break(line, following, width)]
    if len(forced) < _MIN_FORCED_SHARE * len(inner):
        return None
    mid_sentence = sum(1 for line in forced if not LINE_END.search(line))
    return width if mid_sentence >= _MIN_MID_SENTENCE_SHARE * len(forced) else None


def _forced_break(line: str, following: str, width: int) -> bool:
    """Did the width end `line`? A wrapper breaks a line only when the next word would not fit."""
    return len(line) + 1 + len(following.split(" ", 1)[0]) > width


def _headline_shaped(line: str, following: str) -> bool:
    """A first line that reads as a headline: short, several words, no closing punctuation, and the
    text after it opens a sentence. (German capitalises nouns, so a capital letter alone says
    nothing; a capitalised article, pronoun or preposition, a quote or a dateline does.)"""
    return (
        len(line) <= 150
        and len(line.split()) >= 2
        and not LINE_END.search(line)
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
