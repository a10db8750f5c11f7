"""Outputs: where each article's files go inside the output folder, and writing them so that a
crash never leaves half a file (temporary file + os.replace), and a brief and its JSON appear
together. Files whose text has not changed are left alone.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import hashlib
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from .brief import RECORD_KEYS, SUMMARY_KEY
from .errors import ConfigError, InputError, OutputError, OutputFolderUnusable
from .files import FileState, read_bytes, read_start
from .render import starts_like_a_digest


def output_stems(
    relatives: Iterable[PurePosixPath],
    suffixes: Sequence[str],
    reserved: Iterable[str] = (),
    reserved_like: re.Pattern[str] | None = None,
) -> dict[PurePosixPath, PurePosixPath]:
    """Each input's output path without suffix (by its path relative to the run's inputs); its
    outputs are that stem with each of `suffixes` added. Two inputs never share an output:

    1. `a/b.txt` -> `a/b` (outputs `a/b.md`, `a/b.json`, ...);
    2. where outputs of two inputs would have the same name, or an output would be named like
       one of `reserved` (the run's own files: the digest) or like `reserved_like` (a pattern of
       such names, matched against the lower-case name: the dated digests), or be where another
       output's folder is, those inputs keep their whole name: `a/b.txt` -> `a/b.txt` (`a/b.txt.md`);
    3. where that still clashes, `~` and 8 hex digits of the input's relative path are added:
       `a/b.txt~1f0e9d8c` (`a/b.txt~1f0e9d8c.md`).

    Names are compared as a file system that ignores case and Unicode normalisation compares them
    (macOS, Windows, many USB sticks and network shares): `Bericht.txt` and `bericht.txt`, or `Müller`
    in its two Unicode forms, would be one file there. A name too long for a suffix is cut
    (`fit_name`).
    """
    stage = {relative: 0 for relative in relatives}
    reserved_keys = {_name_key(PurePosixPath(name)) for name in reserved}
    while True:
        stems = {relative: _stem_at(relative, level) for relative, level in stage.items()}
        groups = _clashes(stems, suffixes, reserved_keys, reserved_like)
        if not groups:
            return stems
        moving: set[PurePosixPath] = set()
        for group in groups:
            movable = {relative for relative in group if stage[relative] < 2}
            if not movable:  # only inputs named like another's set-apart name are left
                names = " and ".join(str(relative) for relative in sorted(group)[:2])
                raise ConfigError(f"the outputs of {names} cannot be named apart; rename one of them")
            moving |= movable
        for relative in moving:
            stage[relative] += 1


def _stem_at(relative: PurePosixPath, level: int) -> PurePosixPath:
    """An input's output stem at a level of the scheme (see output_stems)."""
    if level == 0:
        return fit_name(relative.with_suffix(""))
    if level == 1:
        return fit_name(relative)
    return fit_name(_set_apart(relative))


def _set_apart(relative: PurePosixPath) -> PurePosixPath:
    """The whole name with `~` and 8 hex digits of the relative path: the last level of the scheme."""
    digest = hashlib.sha256(os.fsencode(str(relative))).hexdigest()[:8]
    return relative.with_name(f"{relative.name}~{digest}")


def _clashes(
    stems: dict[PurePosixPath, PurePosixPath],
    suffixes: Sequence[str],
    reserved: set[str],
    reserved_like: re.Pattern[str] | None,
) -> list[set[PurePosixPath]]:
    """The groups of inputs whose outputs share a name, with each other, with a reserved name or
    with a folder of outputs (compared by `_name_key`)."""
    files: dict[str, set[PurePosixPath]] = {}
    folders: set[str] = set()
    for relative, stem in stems.items():
        for suffix in suffixes:
            files.setdefault(_name_key(with_suffix_added(stem, suffix)), set()).add(relative)
        folders.update(_name_key(parent) for parent in stem.parents if parent != PurePosixPath("."))
    clashes = [
        owners
        for key, owners in files.items()
        if len(owners) > 1
        or key in reserved
        or key in folders
        or (reserved_like is not None and reserved_like.fullmatch(key))
    ]
    return list({frozenset(group): group for group in clashes}.values())


def _name_key(path: PurePosixPath) -> str:
    """A path as a file system that ignores case and Unicode normalisation sees it."""
    return unicodedata.normalize("NFC", str(path)).casefold()


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
    return stem.name not in (relative.name, relative.with_suffix("").name, _set_apart(relative).name)


def output_suffixes(with_summary: bool) -> tuple[str, ...]:
    """What an article's outputs add to its stem: its JSON record first, then its brief (.md and
    .html) or its translation (.txt)."""
    return (".json", ".md", ".html") if with_summary else (".json", ".txt")


def output_files(out_dir: Path, stem: PurePosixPath, with_summary: bool) -> list[Path]:
    """An article's outputs, its JSON record first (see output_suffixes)."""
    return [out_dir / with_suffix_added(stem, suffix) for suffix in output_suffixes(with_summary)]


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


# ----------------------------------------------------------------------------- what summarise wrote

RECORDS_NAME = ".summarise-files"  # hidden, beside the ledger: the output folder's records
# Left in every output folder that holds no article of its run: such a folder is never walked.
OUTPUT_MARKER = ".summarise-output"
DIGEST_NAME = "digest.md"
DIGEST_HTML_NAME = "digest.html"
# The digest of each day, kept beside the latest (`digest-2026-12-06.md`, `.html`).
DATED_DIGEST = re.compile(r"digest-\d{4}-\d\d-\d\d\.(?:md|html)")


def dated_digest_names(day: date) -> tuple[str, str]:
    """The names of a day's digest, Markdown and HTML."""
    return f"digest-{day.isoformat()}.md", f"digest-{day.isoformat()}.html"


def digest_name(name: str) -> bool:
    """A name a digest has: the latest, or a day's."""
    name = name.lower()
    return name in (DIGEST_NAME, DIGEST_HTML_NAME) or DATED_DIGEST.fullmatch(name) is not None


BRIEF, TRANSLATE = "brief", "translate"  # the commands, as the records name them
_RECORDS_MAX_BYTES = 256 * 2**20


class OutputRecords:
    """What summarise wrote into an output folder: every file, and the command that wrote it. An
    output replaces a file only when these records show it to be summarise's own (a brief it
    wrote, rewritten because its article changed); anything else in its way is left as it is, and
    that article fails with one line naming the file. A folder written before the records existed
    (or whose records were deleted) is read by its content: a JSON record of a brief or
    translation, a brief or translation beside one, a digest.

    The records are one line per file (`{"path": ..., "command": ...}`, the path relative to the
    folder), appended before the file is renamed into place: a kill in between leaves a record
    of a file not yet there, never a file without its record. Compacted at the end of a run.
    """

    def __init__(self, folder: Path, command: str) -> None:
        self.folder = folder
        self.command = command
        self.path = folder / RECORDS_NAME
        self.files: dict[str, str] = {}  # relative path -> the command that wrote it
        self.lines = 0
        self._seen: FileState | None = None  # the records file as last read or appended to
        self._load()

    def _load(self) -> None:
        self.files, self.lines = {}, 0
        try:
            data, self._seen = read_bytes(self.path, _RECORDS_MAX_BYTES, "record")
        except InputError:  # none yet (or unusable): the folder is read by its content
            self._seen = None
            return
        for line in data.decode("utf-8", "surrogateescape").splitlines():
            try:
                entry = json.loads(line)
                path, command = entry["path"], entry["command"]
            except (ValueError, TypeError, KeyError, RecursionError):
                continue  # a line cut short by a kill, or damaged: it vouches for nothing
            if isinstance(path, str) and command in (BRIEF, TRANSLATE):
                self.files[path] = command
                self.lines += 1

    def check_command(self) -> None:
        """Before any work: a folder that holds the other command's outputs (`summarise brief` and
        `summarise translate` both write `<name>.json`) is not this command's to write into."""
        for relative, command in self.files.items():
            if command != self.command and os.path.lexists(self.folder / relative):
                raise ConfigError(
                    f"{self.folder} holds the outputs of `summarise {command}` (such as "
                    f"{self.folder / relative}); `summarise {self.command}` writes into a folder of "
                    "its own: choose another output folder (-o)"
                )

    def why_not_replaced(self, path: Path) -> str | None:
        """None when `path` may be written (nothing there, or a file of this command's); else why
        not, in words."""
        if not os.path.lexists(path):
            return None
        if os.path.islink(path) or not os.path.isfile(path):
            return "is not a file summarise wrote"
        relative = self._relative(path)
        if relative not in self.files and FileState.at(self.path) != self._seen:
            self._load()  # another run at the same time has written here since
        if (command := self.files.get(relative)) is not None:
            return None if command == self.command else f"was written by `summarise {command}`"
        return self._before_records(path)

    def _before_records(self, path: Path) -> str | None:
        """None for a file of this command's from before the records: a JSON record of its kind,
        or a page beside one, or a digest (and the records know no other file of its article);
        else why it is not one."""
        mine = "was not written by summarise"
        json_path = path.with_name(path.name[: -len(path.suffix)] + ".json") if path.suffix else path
        if self._relative(json_path) in self.files:
            return mine  # its article was written with records, and this file was not among them
        if digest_name(path.name) and path.parent == self.folder:
            return None if self.command == BRIEF and is_digest(path) else mine
        kind = record_kind(json_path)
        if kind is None or kind == self.command:
            return None if kind else mine
        return f"was written by `summarise {kind}`"

    def write(self, files: dict[Path, str]) -> None:
        """Write an article's files together (see write_together), none of them over a file that is
        not summarise's: OutputError naming the first such file, and nothing written."""
        for path in files:
            if (reason := self.why_not_replaced(path)) is not None:
                raise OutputError(
                    f"{path} {reason}: not replaced; move it away (or choose another output folder, -o) "
                    "and run again"
                )
        self._record(files)
        write_together(files)

    def _record(self, paths: Iterable[Path]) -> None:
        """Record files about to be written (before they are renamed into place), in one append."""
        new = [
            relative for relative in map(self._relative, paths) if self.files.get(relative) != self.command
        ]
        if not new:
            return
        lines = "".join(json.dumps({"path": relative, "command": self.command}) + "\n" for relative in new)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
            data = lines.encode("utf-8", "surrogateescape")
            fd = os.open(self.path, flags, 0o666)
            try:
                os.write(fd, data)  # one write: whole lines, whatever other runs append
                after = os.fstat(fd)
            finally:
                os.close(fd)
            if after.st_size == (self._seen.size if self._seen else 0) + len(data):
                self._seen = FileState.of(after)  # nothing but this run's appends since it was read
        except OSError as error:
            kind = OutputFolderUnusable if error.errno in _FOLDER_UNUSABLE else OutputError
            raise kind(f"{self.path}: cannot write: {error.strerror or error}") from None
        self.files.update(dict.fromkeys(new, self.command))
        self.lines += len(new)

    def compact(self) -> None:
        """Rewrite the records without what they say twice or of files no longer there, once they
        have grown to twice that."""
        if self.lines <= 2 * len(self.files) + 64:
            return
        self._load()  # with what other runs added
        kept = [
            json.dumps({"path": relative, "command": command}) + "\n"
            for relative, command in sorted(self.files.items())
            if os.path.lexists(self.folder / relative)
        ]
        with contextlib.suppress(OutputError):  # the records only stay longer
            write_atomic(self.path, "".join(kept))

    def _relative(self, path: Path) -> str:
        return os.path.relpath(path, self.folder).replace(os.sep, "/")


def record_kind(path: Path) -> str | None:
    """BRIEF or TRANSLATE where `path` is the JSON record of a brief (it has a summary) or of a
    translation (it has none); None for anything else."""
    record = previous_record(path)
    if record is None or not record.keys() >= RECORD_KEYS:
        return None
    return BRIEF if SUMMARY_KEY in record else TRANSLATE


def written_by_summarise(path: Path) -> bool:
    """A brief (.md, .html) or translation (.txt) beside its JSON record, or a digest: never articles."""
    suffix = path.suffix.lower()
    if suffix in (".md", ".txt", ".html"):
        # A brief's record has a summary, a translation's has none: `a.txt` beside the record
        # of its own brief (`a.json`, `a.md`) is the article.
        kind = record_kind(path.with_name(path.name[: -len(path.suffix)] + ".json"))
        if kind is not None and kind == (BRIEF if suffix in (".md", ".html") else TRANSLATE):
            return True
    return digest_name(path.name) and is_digest(path)


def is_digest(path: Path) -> bool:
    """Whether `path` is a digest summarise wrote (render.py's heading or title)."""
    try:
        start = read_start(path, 1000)
    except InputError:
        return False
    return starts_like_a_digest(start)


def with_suffix_added(stem: PurePosixPath, suffix: str) -> PurePosixPath:
    """`a/b` -> `a/b.md`, and `a/b.txt` -> `a/b.txt.md` (never replaces a kept suffix)."""
    return stem.with_name(stem.name + suffix)


# Errors after which no output can be written to the folder at all.
_FOLDER_UNUSABLE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def write_atomic(path: Path, text: str | bytes) -> None:
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


def write_together(files: Mapping[Path, str | bytes]) -> None:
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
                if isinstance(text, bytes):  # a page kept as it came (fetch.py)
                    with os.fdopen(fd, "wb") as binary:
                        binary.write(text)
                else:
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
