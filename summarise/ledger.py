"""The output folder's ledger: what the last run wrote there, article by article, so that a re-run
knows an unchanged article without reading it, cleaning it, looking it up in the cache or
rendering its brief again (a morning folder of thousands of articles is re-run in seconds).

An entry is trusted only while everything that made its outputs is as it was:
- the run's context: this code (every file of the package), the models and settings, the options
  that change what is written (see `pipeline._ledger_context`);
- the article file: its state (size, times to the nanosecond, inode) as it was when it was read,
  and the path it was named by;
- the evidence across the run (clean.RepeatedLines) about the article's own lines;
- its output files: each as the run left it (size, modification time).
Anything else is a miss, and the article takes the ordinary way (which still leaves files whose
text has not changed alone). The ledger is only a shortcut: lost, unreadable or from another
version, it is ignored and written anew.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .brief import BriefCard
from .errors import InputError, OutputError
from .files import FileState, fingerprint, read_bytes
from .outputs import write_atomic
from .read import Article, InputFile

log = logging.getLogger(__name__)

LEDGER_NAME = ".summarise-ledger"  # hidden, and not `*.json`: no script globbing for briefs meets it
LEDGER_FORMAT = 1
# A file changed this recently may change again within one tick of a coarse file system clock
# without its state showing it; its entry is kept without its state, so it is read next time.
RECENT_SECONDS = 2.0
LEDGER_MAX_BYTES = 2**30  # about 1.5 million articles


@dataclass(frozen=True)
class LedgerEntry:
    """One article as the last run left it."""

    given: str  # the article's path as the run was given it (the brief records it)
    state: FileState | None  # the article file when it was read; None: too recent to trust
    sha256: str
    lines: tuple[str, ...]  # keys of its lines that evidence across a run counts (clean.line_keys)
    verdicts: tuple[int, ...]  # what that evidence said of them (RepeatedLines.verdicts)
    outputs: dict[str, tuple[int, int]]  # each output file (absolute): (size, mtime_ns) as last seen
    card: BriefCard
    warnings: tuple[str, ...]  # the warnings its brief records, said again when it is listed

    def to_json(self) -> dict[str, Any]:
        return {
            "given": self.given,
            "state": list(self.state) if self.state else None,
            "sha256": self.sha256,
            "lines": list(self.lines),
            "verdicts": list(self.verdicts),
            "outputs": {path: list(state) for path, state in self.outputs.items()},
            "card": self.card.to_json(),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LedgerEntry:
        """An entry as the ledger holds it; TypeError (or KeyError, ValueError) for anything else:
        a ledger is only trusted whole."""
        state = data["state"]
        if state is not None and not _ints(state, len(FileState._fields)):
            raise TypeError("state: not a file's state")
        outputs = data["outputs"]
        if not isinstance(outputs, dict) or not all(_ints(v, 2) for v in outputs.values()):
            raise TypeError("outputs: not a set of file states")
        entry = cls(
            given=data["given"],
            state=FileState(*state) if state else None,
            sha256=data["sha256"],
            lines=tuple(_texts(data["lines"])),
            verdicts=tuple(data["verdicts"]),
            outputs={path: (size, mtime) for path, (size, mtime) in outputs.items()},
            card=BriefCard.from_json(data["card"]),
            warnings=tuple(_texts(data["warnings"])),
        )
        if not isinstance(entry.given, str) or not isinstance(entry.sha256, str):
            raise TypeError("given, sha256: not text")
        if not _ints(list(entry.verdicts), len(entry.lines)):
            raise TypeError("verdicts: not one number per line")
        return entry


class Ledger:
    """The ledger of one output folder for one run: read at the start, written at the end with
    the entries of this run's briefs (articles no longer in the run drop out)."""

    def __init__(self, folder: Path, context: str, entries: dict[str, LedgerEntry] | None = None) -> None:
        self.path = folder / LEDGER_NAME
        self.context = context
        self.previous = entries or {}
        self.entries: dict[str, LedgerEntry] = {}  # this run's
        self._unchanged: dict[InputFile, LedgerEntry | None] = {}

    @classmethod
    def load(cls, folder: Path, context: str) -> Ledger:
        path = folder / LEDGER_NAME
        try:
            data = json.loads(read_bytes(path, LEDGER_MAX_BYTES, "ledger")[0])  # a regular file, bounded
            if data["format"] != LEDGER_FORMAT or data["context"] != context:
                return cls(folder, context)
            entries = {key: LedgerEntry.from_json(entry) for key, entry in data["articles"].items()}
        except InputError as error:
            if os.path.lexists(path):
                log.info("%s: ignored (%s); it is written anew", path, error.reason)
            return cls(folder, context)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as error:
            # Damaged, nested too deeply to parse, from another version: only a shortcut is lost.
            log.info("%s: ignored (%s: %s); it is written anew", path, type(error).__name__, error)
            return cls(folder, context)
        return cls(folder, context, entries)

    def article(self, source: InputFile) -> LedgerEntry | None:
        """The last run's entry for this article, if the file is still exactly as it was read."""
        if source not in self._unchanged:
            entry = self.previous.get(_key(source))
            fresh = (
                entry is not None
                and entry.state is not None
                and entry.given == str(source.path)
                and FileState.at(source.path) == entry.state
            )
            self._unchanged[source] = entry if fresh else None
        return self._unchanged[source]

    def outputs_unchanged(self, entry: LedgerEntry, outputs: Sequence[Path]) -> bool:
        """The article's output files are these, each as the last run left it."""
        paths = [os.path.abspath(path) for path in outputs]
        if sorted(entry.outputs) != sorted(paths):
            return False
        return all(_output_state(path) == entry.outputs[path] for path in paths)

    def keep(self, source: InputFile, entry: LedgerEntry) -> None:
        """An article listed from its entry: the entry stands for the next run too."""
        self.entries[_key(source)] = entry

    def record(
        self,
        article: Article,
        lines: Sequence[str],
        verdicts: Sequence[int],
        outputs: Iterable[Path],
        card: BriefCard,
        warnings: Sequence[str],
    ) -> None:
        """An article whose outputs this run wrote, or found already right."""
        states = {path: _output_state(path) for path in map(os.path.abspath, outputs)}
        if any(state is None for state in states.values()):
            return
        state = article.state
        if state is not None and time.time_ns() - state.mtime_ns < RECENT_SECONDS * 1e9:
            state = None
        self.entries[_key(article.source)] = LedgerEntry(
            given=str(article.source.path),
            state=state,
            sha256=article.sha256,
            lines=tuple(lines),
            verdicts=tuple(verdicts),
            outputs={path: state for path, state in states.items() if state is not None},
            card=card,
            warnings=tuple(warnings),
        )

    def save(self, unfinished: Iterable[InputFile] = ()) -> None:
        """Write this run's entries, and the last run's for articles this run did not reach (it
        was stopped: their outputs are as they were), unless that is what the folder's ledger
        already says. A ledger that cannot be written costs the next run its shortcut, nothing
        else."""
        for source in unfinished:
            if (entry := self.previous.get(_key(source))) is not None:
                self.entries.setdefault(_key(source), entry)
        if self.entries == self.previous and self.path.is_file():
            return
        data = {
            "format": LEDGER_FORMAT,
            "context": self.context,
            "articles": {key: entry.to_json() for key, entry in self.entries.items()},
        }
        try:
            write_atomic(self.path, json.dumps(data, separators=(",", ":")) + "\n")
        except OutputError as error:
            log.info("the ledger of %s was not written: %s", self.path.parent, error)


@functools.cache
def code_identity() -> str:
    """What this installation of summarise is: every file of the package, and the CommonMark
    library's version. A new version of either may write other briefs from the same article."""
    package = Path(__file__).parent
    files = sorted(p for p in package.iterdir() if p.is_file() and p.suffix in (".py", ".toml", ".json"))
    return fingerprint(files, ["markdown-it-py"])


def _ints(value: Any, count: int) -> bool:
    """A list of `count` whole numbers."""
    return isinstance(value, list) and len(value) == count and all(type(v) is int for v in value)


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("not a list of text")
    return value


def _key(source: InputFile) -> str:
    return os.path.abspath(source.path)


def _output_state(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return (status.st_size, status.st_mtime_ns)
