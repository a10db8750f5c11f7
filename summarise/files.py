"""Every file summarise reads goes through here: only a regular file, never more than a bound.

Articles, the config file, the model manifest, the output folder's marker, ledger and records, the
JSON records of earlier briefs: a FIFO, a device, a link to /dev/zero or a runaway file in any of
those places is refused in one line instead of hanging the run or filling the memory.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from .errors import InputError

# The bound for the small files summarise keeps for itself or the user edits by hand (the config
# file, the manifest, the output folder's marker): a kilobyte or two in use.
SMALL_FILE_BYTES = 2**20


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


def file_type(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
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


def _open_regular(path: Path) -> tuple[int, os.stat_result]:
    """An open descriptor of the regular file at `path` and its status, else InputError."""
    try:
        # O_NONBLOCK: should the path be (or have become) a FIFO, open() must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a file") from None
    except (OSError, ValueError) as error:
        if os.path.islink(path):
            loop = getattr(error, "errno", 0) == errno.ELOOP
            raise InputError(path, "symbolic link loop" if loop else "broken symbolic link") from None
        raise InputError(path, f"cannot read: {getattr(error, 'strerror', None) or error}") from None
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):  # a folder opens too, and os.fdopen would refuse it
        os.close(fd)
        raise InputError(path, f"not a regular file ({file_type(status.st_mode)}): not read")
    return fd, status


def read_bytes(path: Path, max_bytes: int, what: str = "article") -> tuple[bytes, FileState]:
    """The bytes of a regular file of at most `max_bytes` (else InputError, its reason in words), and
    the file's state when it was opened: a change while it is read shows in its state afterwards."""
    fd, status = _open_regular(path)
    with os.fdopen(fd, "rb") as handle:
        if status.st_size > max_bytes:
            raise InputError(path, too_big(status.st_size, max_bytes, what))
        try:
            data = handle.read(max_bytes + 1)  # a file growing as it is read stops at the limit too
        except OSError as error:
            raise InputError(path, f"cannot read: {error.strerror or error}") from None
    if len(data) > max_bytes:
        raise InputError(path, too_big(len(data), max_bytes, what))
    return data, FileState.of(status)


def read_start(path: Path, count: int) -> bytes:
    """The first `count` bytes of a regular file (else InputError)."""
    fd, _ = _open_regular(path)
    with os.fdopen(fd, "rb") as handle:
        try:
            return handle.read(count)
        except OSError as error:
            raise InputError(path, f"cannot read: {error.strerror or error}") from None


def read_small_text(path: Path, max_bytes: int = SMALL_FILE_BYTES) -> str:
    """A small UTF-8 text file (config, manifest, marker) through the same guards; InputError if it
    is no regular file, too big or not UTF-8. FileNotFoundError passes through: absent is no error
    for most callers."""
    if not os.path.lexists(path):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))
    data, _ = read_bytes(path, max_bytes, "file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(path, f"not UTF-8 text (byte {error.start})") from None


def too_big(size: int, limit: int, what: str = "article") -> str:
    if what == "article":
        return f"{size / 2**20:.1f} MB, over the limit of {limit / 2**20:g} MB for one article (--max-size)"
    return f"{size / 2**20:.1f} MB, over the limit of {limit / 2**20:g} MB for this {what}"


def fingerprint(paths: Iterable[Path], libraries: Iterable[str] = ()) -> str:
    """A digest of files (names and contents) and of installed libraries' versions: what makes an
    output, so that a change to any of them is seen (the ledger's code, the renderer's marker)."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    for library in libraries:
        digest.update(f"{library} {version(library)}\0".encode())
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
