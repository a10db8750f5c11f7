"""An article file's bytes as text, and what a reader makes of them.

Decoding is judged on the whole file (byte-order marks, UTF-32 and UTF-16 recognised by their zero
bytes, UTF-8 with a few bad bytes replaced, else cp1252/latin-1); only bytes that are no text in
any of these are refused as binary. Every reader (text_reader, markdown_reader, html_reader) gives
back a `Parsed`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .brief import Block
from .errors import InputError

# Share of control characters (other than tab/newline/form feed) above which text is called binary.
_MAX_CONTROL_SHARE = 0.01
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass
class Parsed:
    """What a reader found in an article file's bytes."""

    paragraphs: list[str]
    encoding: str  # the text's encoding, or "html" where the page's own declaration decided
    warnings: list[str] = field(default_factory=list)
    # From a web page's metadata or a Markdown file's front matter: title, author, date, site name.
    metadata: dict[str, str] = field(default_factory=dict)
    # The form of each paragraph (Markdown: headings, items, cells, code); [] when all are plain.
    blocks: list[Block] = field(default_factory=list)
    # Web pages: the share of each paragraph that is one of the page's link texts; [] otherwise.
    links: list[float] = field(default_factory=list)


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
