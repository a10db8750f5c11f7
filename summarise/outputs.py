"""Outputs: where each article's files go inside the output folder, and writing them so that a
crash never leaves half a file (temporary file + os.replace), and a brief and its JSON appear
together. Files whose text has not changed are left alone.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import ConfigError, InputError, OutputError, OutputFolderUnusable
from .files import read_bytes


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
    return {relative: fit_name(relative if clashes[stem] > 1 else stem) for relative, stem in stems.items()}


# The longest suffix an output adds to its stem, and the longest file name most file systems take.
LONGEST_SUFFIX = ".json"
NAME_MAX = 255


def fit_name(stem: PurePosixPath) -> PurePosixPath:
    """`stem`, or, where its last part plus a suffix would not fit in a file name, that part cut
    short and made unique with a hash of the whole name: `<start of the name>~<12 hex digits>`."""
    name = os.fsencode(stem.name)
    room = NAME_MAX - len(LONGEST_SUFFIX.encode())
    if len(name) <= room:
        return stem
    digest = hashlib.sha256(name).hexdigest()[:12]
    head = name[: room - len(digest) - 1]
    # Cut on a character boundary: drop a UTF-8 sequence the cut left incomplete.
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    decoder.decode(head, final=False)
    head = head[: len(head) - len(decoder.getstate()[0])]
    return stem.with_name(os.fsdecode(head) + "~" + digest)


def shortened(relative: PurePosixPath, stem: PurePosixPath) -> bool:
    """Whether `fit_name` had to cut this input's output name."""
    return stem.name not in (relative.name, relative.with_suffix("").name)


def output_files(out_dir: Path, stem: PurePosixPath, with_summary: bool) -> list[Path]:
    """An article's outputs: its JSON record first, then its brief (.md and .html) or its
    translation (.txt)."""
    suffixes = [".json", ".md", ".html"] if with_summary else [".json", ".txt"]
    return [out_dir / with_suffix_added(stem, suffix) for suffix in suffixes]


class Resolver:
    """Real paths of many files in few folders: each folder resolved once (thousands of articles
    and outputs share a handful), a file itself only where it is a link."""

    def __init__(self) -> None:
        self.folders: dict[str, str] = {}

    def __call__(self, path: Path) -> str:
        if os.path.islink(path):  # a link in place of the file: where it leads
            return os.path.realpath(path)
        parent = os.fspath(path.parent)
        if parent not in self.folders:
            self.folders[parent] = os.path.realpath(parent)
        return os.path.join(self.folders[parent], path.name)


def refuse_overwriting(inputs: Iterable[Path], outputs: Iterable[Path], resolved: Resolver) -> None:
    """Raise before any work when an output is, or resolves to (through links), an input file."""
    articles = {resolved(path): path for path in inputs}
    for output in outputs:
        if (article := articles.get(resolved(output))) is not None:
            raise ConfigError(
                f"{output} would replace the article {article}: choose an output folder (-o) "
                "that holds no articles"
            )


def with_suffix_added(stem: PurePosixPath, suffix: str) -> PurePosixPath:
    """`a/b` -> `a/b.md`, and `a/b.txt` -> `a/b.txt.md` (never replaces a kept suffix)."""
    return stem.with_name(stem.name + suffix)


# Errors after which no output can be written to the folder at all.
_FOLDER_UNUSABLE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def write_atomic(path: Path, text: str) -> None:
    write_together({path: text})


def unchanged(files: dict[Path, str]) -> bool:
    """Every file already on disk with exactly this text: rewriting them would only touch their
    times (and make sync tools and backups copy them again)."""
    for path, text in files.items():
        expected = text.encode("utf-8")
        try:
            if read_bytes(path, len(expected), "output")[0] != expected:
                return False
        except InputError:  # absent, another size, no regular file
            return False
    return True


# A brief's JSON record is kilobytes; one of a 20 MB article, tens of megabytes.
RECORD_MAX_BYTES = 256 * 2**20


def previous_record(path: Path) -> dict[str, Any] | None:
    """The JSON record already written at `path` by an earlier run, if it is one."""
    try:
        record = json.loads(read_bytes(path, RECORD_MAX_BYTES, "record")[0])
    except (InputError, ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None


def write_together(files: dict[Path, str]) -> None:
    """Write files so that each is whole and they appear together: all are written to temporary
    files first (where a full disk shows), then renamed into place (which needs no space)."""
    staged: list[tuple[str, Path]] = []
    current = next(iter(files))
    try:
        try:
            for current, text in files.items():
                current.parent.mkdir(parents=True, exist_ok=True)
                # A short temporary name: the final name may already be as long as names can be.
                fd, tmp = tempfile.mkstemp(prefix=".summarise-", suffix=".tmp", dir=current.parent)
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
