"""Read stage: find the input files of a run and turn their bytes into text with paragraphs."""

from __future__ import annotations

import errno
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import InputError

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm")
HTML_SUFFIXES = (".html", ".htm")
MIN_WEB_ARTICLE_CHARS = 80

# Share of control characters (other than tab/newline/form feed) above which text is called binary.
_MAX_CONTROL_SHARE = 0.01
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
    # From a web page's metadata (HTML input): title, author, date, site name, when present.
    metadata: dict[str, str] = field(default_factory=dict)


def discover_inputs(
    paths: Iterable[Path], exclude: Path | None = None
) -> tuple[list[InputFile], list[InputError]]:
    """Expand files and folders (recursively) into article files, in a stable order.

    Output paths mirror each file's path relative to the common folder of the arguments, so two
    `a.txt` in different subfolders never collide. Hidden files and folders are skipped, and so is
    `exclude` (the output folder: a run must not brief its own briefs). Problems with the arguments
    themselves are returned, not raised, so the rest of the run can go on.
    """
    found: list[Path] = []
    problems: list[InputError] = []
    roots: list[Path] = []
    for given in paths:
        if given.is_dir():
            roots.append(_absolute(given))
            found.extend(_walk(given, _absolute(exclude) if exclude else None))
        elif given.is_file():
            roots.append(_absolute(given).parent)
            if given.suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(given)
            else:
                problems.append(
                    InputError(given, f"unsupported file type (expected {', '.join(SUPPORTED_SUFFIXES)})")
                )
        elif given.is_symlink():
            problems.append(InputError(given, "broken symbolic link"))
        else:
            problems.append(InputError(given, "no such file or folder"))
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


def _absolute(path: Path) -> Path:
    """Absolute and with `..` folded away (lexically, links kept): a relative output path computed
    from it can never climb out of the output folder."""
    return Path(os.path.abspath(path))


def _walk(folder: Path, exclude: Path | None) -> list[Path]:
    # Symlinked folders are not followed: a link loop must not hang the run.
    files = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and _absolute(here / d) != exclude)
        for name in sorted(filenames):
            if not name.startswith(".") and Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(here / name)
    return files


def read_article(source: InputFile) -> Article:
    """Read one file: decode it, refuse binary and empty files, and split it into paragraphs."""
    try:
        data = source.path.read_bytes()
    except IsADirectoryError:
        raise InputError(source.path, "is a folder, not a file") from None
    except OSError as error:
        if source.path.is_symlink():
            reason = "symbolic link loop" if error.errno == errno.ELOOP else "broken symbolic link"
            raise InputError(source.path, reason) from None
        raise InputError(source.path, f"cannot read: {error.strerror or error}") from None
    metadata: dict[str, str] = {}
    if source.path.suffix.lower() in HTML_SUFFIXES:
        text, encoding, warnings, metadata = read_web_page(data, source.path)
        paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
        if metadata.get("title") and (not paragraphs or paragraphs[0] != metadata["title"]):
            paragraphs.insert(0, metadata["title"])  # the clean stage takes it as the headline
    else:
        text, encoding, warnings = decode(data, source.path)
        paragraphs = split_paragraphs(text)
    if not paragraphs:
        raise InputError(source.path, "empty file (no text)")
    return Article(
        source=source,
        sha256=hashlib.sha256(data).hexdigest(),
        paragraphs=paragraphs,
        encoding=encoding,
        warnings=warnings,
        metadata=metadata,
    )


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
    width with blank lines between them. Only in the second case are lines joined.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _is_hard_wrapped(text):
        blocks = re.split(r"\n\s*\n", text)
        paragraphs = [" ".join(line.strip() for line in block.splitlines()) for block in blocks]
    else:
        paragraphs = text.split("\n")
    return [p.strip() for p in paragraphs if p.strip()]


def _is_hard_wrapped(text: str) -> bool:
    lines = [line.rstrip() for line in text.split("\n")]
    # Only lines followed by another line of the same block can have been wrapped.
    inner = [a for a, b in pairwise(lines) if a.strip() and b.strip()]
    if len(inner) < 3:
        return False
    longest = max(len(line) for line in lines)
    if longest > 100:
        return False
    near_width = sum(1 for line in inner if len(line) >= 0.6 * longest)
    return near_width >= 0.8 * len(inner)
