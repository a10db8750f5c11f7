"""Outputs: where each article's files go inside the output folder, and writing them so that a
crash never leaves half a file (temporary file + os.replace), and a brief and its JSON appear
together.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from .errors import OutputError, OutputFolderUnusable


def output_stems(
    relatives: Iterable[PurePosixPath], reserved: Iterable[PurePosixPath] = ()
) -> dict[PurePosixPath, PurePosixPath]:
    """Each input's output path (by its path relative to the run's inputs) without suffix:
    `a/b.txt` -> `a/b`.

    Where two inputs would share a stem (`a.txt` and `a.md` side by side), or a stem is reserved
    for a file of the run itself (the digest), they keep their full name (`a.txt`, `a.md`) so that
    nothing overwrites anything else.
    """
    stems = {relative: relative.with_suffix("") for relative in relatives}
    clashes = Counter(stems.values())
    clashes.update({stem: 2 for stem in reserved})
    return {relative: (relative if clashes[stem] > 1 else stem) for relative, stem in stems.items()}


def with_suffix_added(stem: PurePosixPath, suffix: str) -> PurePosixPath:
    """`a/b` -> `a/b.md`, and `a/b.txt` -> `a/b.txt.md` (never replaces a kept suffix)."""
    return stem.with_name(stem.name + suffix)


# Errors after which no output can be written to the folder at all.
_FOLDER_UNUSABLE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def write_atomic(path: Path, text: str) -> None:
    write_together({path: text})


def write_together(files: dict[Path, str]) -> None:
    """Write files so that each is whole and they appear together: all are written to temporary
    files first (where a full disk shows), then renamed into place (which needs no space)."""
    staged: list[tuple[str, Path]] = []
    current = next(iter(files))
    try:
        try:
            for current, text in files.items():
                current.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{current.name}.", suffix=".tmp", dir=current.parent)
                staged.append((tmp, current))
                os.fchmod(fd, 0o666 & ~_umask())  # as open() would: mkstemp makes files only we can read
                with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                    handle.write(text)
            for tmp, final in staged:
                current = final
                os.replace(tmp, final)
        finally:
            for tmp, _ in staged:
                Path(tmp).unlink(missing_ok=True)
    except OSError as error:
        kind = OutputFolderUnusable if error.errno in _FOLDER_UNUSABLE else OutputError
        raise kind(f"{current}: cannot write: {error.strerror or error}") from None


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask
