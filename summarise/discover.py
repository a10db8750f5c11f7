"""Finding a run's article files: files and folders walked (recursively, in a stable order),
each file's place relative to the run's inputs, and what is never an article: hidden files,
output folders, files summarise wrote (it asks outputs.py, which names them), links that lead out
of a folder, anything but a regular file."""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from .errors import ConfigError, InputError
from .files import file_type
from .outputs import BRIEF, OUTPUT_MARKER, RECORDS_NAME, OutputRecords, written_by_summarise
from .read import SUPPORTED_SUFFIXES, InputFile


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
                f"{address}: a web address given as a path: give it as text (a str) to have it fetched"
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
