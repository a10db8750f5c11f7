"""The output folder's history: when each article's version was first briefed there (and whether
an earlier version was), which files fail and since when, and the runs that did not finish. The
day's digest is made from it (what is new or updated today, whatever number of runs made it), and
so is a run's exit code (a file that fails as it failed before, unchanged, is no news).

Kept in two hidden files (not `*.json`: no script globbing for briefs meets them), each written
whole and atomically: `.summarise-runs`, small, when a run begins (a run killed without a word
shows as one that never ended) and when it ends; `.summarise-history` when a run ends, if it
changed anything. A run's changes are laid over the files as they are then, so two runs into one
folder keep each other's entries. Lost or damaged, they start anew: only the day's labels are lost
for a day (every brief is still listed), and failures are news once more.

Unlike the ledger (a shortcut trusted only while the code and models are the same), the history
outlives new versions of summarise: what happened to an article does not change with the code.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from .errors import InputError, OutputError
from .files import FileState, read_bytes
from .outputs import write_atomic

log = logging.getLogger(__name__)

HISTORY_NAME = ".summarise-history"  # the articles' versions, and the files failing
RUNS_NAME = ".summarise-runs"  # runs under way or that did not finish: small, written as a run begins
HISTORY_FORMAT = 1
HISTORY_MAX_BYTES = 2**28
RUNS_KEPT = timedelta(days=8)  # runs that did not finish are told of for a day, kept a week

Outcome = Literal["running", "complete", "interrupted", "aborted"]


@dataclass(frozen=True)
class Version:
    """An article's version as the folder's brief holds it."""

    sha256: str
    since: str  # when this version was first briefed here (ISO 8601, UTC); "" before the history
    updated: bool  # an earlier version of the same article was briefed here before it
    record: str  # the brief's JSON record, relative to the output folder


@dataclass(frozen=True)
class Failing:
    """A file that failed, as it was then."""

    state: FileState | None  # the file when it failed (None: it could not be looked at)
    reason: str
    since: str  # the first run it failed in this way, unchanged (ISO 8601, UTC)


@dataclass(frozen=True)
class RunEntry:
    """A run that has not finished, or did not: one that ends complete leaves no entry."""

    started: str  # ISO 8601, UTC
    pid: int
    host: str
    outcome: Outcome = "running"
    reason: str = ""  # why it stopped (aborted), or the signal (interrupted)
    done: int = 0  # articles finished
    total: int = 0

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.started, self.pid, self.host)

    def still_running(self) -> bool:
        """Whether a run recorded as running is in fact still going (on this machine, its process
        is alive); one killed, or whose machine went down, is not."""
        if self.outcome != "running" or self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except OSError:  # alive, another user's
            return True
        return self.pid != os.getpid()


@dataclass
class _Entries:
    versions: dict[str, Version] = field(default_factory=dict)  # by the article's absolute path
    failing: dict[str, Failing] = field(default_factory=dict)
    runs: list[RunEntry] = field(default_factory=list)


class History:
    """The history of one output folder, for one run: read at its start, its changes written at
    `begin` and `finish` over the file as it is then."""

    def __init__(self, folder: Path, entries: _Entries | None = None) -> None:
        self.folder = folder
        self.path = folder / HISTORY_NAME
        self.runs_path = folder / RUNS_NAME
        self.previous = entries or _Entries()
        self._versions: dict[str, Version | None] = {}  # this run's changes
        self._failing: dict[str, Failing | None] = {}
        self.run: RunEntry | None = None

    @classmethod
    def load(cls, folder: Path) -> History:
        entries = _read(folder / HISTORY_NAME)
        entries.runs = _read_runs(folder / RUNS_NAME)
        return cls(folder, entries)

    # ------------------------------------------------------------------------- what is known

    def version(self, key: str) -> Version | None:
        if key in self._versions:
            return self._versions[key]
        return self.previous.versions.get(key)

    def versions(self) -> dict[str, Version]:
        """Every article's version, this run's changes over the folder's."""
        merged = {**self.previous.versions, **self._versions}
        return {key: version for key, version in merged.items() if version is not None}

    def unfinished_runs(self) -> list[RunEntry]:
        """Runs before this one that did not end complete: interrupted, aborted, or never ended
        (killed, or the machine went down); not those still going."""
        mine = self.run.key if self.run else None
        return [
            run
            for run in self.previous.runs
            if run.key != mine and (run.outcome != "running" or not run.still_running())
        ]

    # ------------------------------------------------------------------------- what a run changes

    def briefed(
        self, key: str, sha256: str, record: str, when: str, replaced: str | None, created: str
    ) -> Version:
        """An article whose brief this run wrote or found already right. `replaced`: the source
        sha256 of the brief its files held before (None: none); `created`: when the brief was first
        made (its record keeps that date while the article stays the same)."""
        self._failing[key] = None
        known = self.version(key)
        if known is not None and known.sha256 == sha256:
            version = replace(known, record=record)
        elif known is not None:
            version = Version(sha256, when, True, record)
        elif replaced is None or replaced == sha256:  # before the history: the brief's own date
            version = Version(sha256, created if replaced else when, False, record)
        else:
            version = Version(sha256, when, True, record)
        if version != known:
            self._versions[key] = version
        return version

    def listed(self, key: str, sha256: str, record: str) -> Version:
        """An article unchanged since the run that briefed it (from the ledger)."""
        self._failing[key] = None
        known = self.version(key)
        if known is not None and known.sha256 == sha256:
            return known
        version = Version(sha256, "", False, record)  # the history was lost: the date with it
        self._versions[key] = version
        return version

    def skipped(self, key: str) -> None:
        """Not for this tool: neither briefed nor failing."""
        self._failing[key] = None

    def failed(self, key: str, path: Path | str, reason: str, when: str) -> str | None:
        """A file (or web address) that failed in this run; returns since when it has failed the
        same way, unchanged (None: this is news: it did not fail before, or failed otherwise, or
        the file has changed since)."""
        state = FileState.at(path) if isinstance(path, Path) else None
        before = self._failing.get(key, self.previous.failing.get(key))
        if before is not None and before.state == state and before.reason == reason:
            self._failing[key] = before
            return before.since
        self._failing[key] = Failing(state, reason, when)
        return None

    def forget(self, keys: Iterable[str]) -> None:
        """Articles whose briefs are no longer in the folder."""
        for key in keys:
            self._versions[key] = None

    # ------------------------------------------------------------------------- writing

    def begin(self, started: str, total: int) -> None:
        """A run begins: recorded at once, so a run that never ends shows as one."""
        self.run = RunEntry(started, os.getpid(), socket.gethostname(), total=total)
        self._save_runs()

    def finish(self, outcome: Outcome, done: int, reason: str = "") -> None:
        if self.run is not None:
            self.run = replace(self.run, outcome=outcome, done=done, reason=reason)
        self._save_runs()
        self._save_articles()

    def _save_runs(self) -> None:
        """This run's entry over the runs file as it is now (another run may have written since)."""
        runs = [run for run in _read_runs(self.runs_path) if self.run is None or run.key != self.run.key]
        if self.run is not None and self.run.outcome == "complete":
            # A run that went to its end did what the unfinished ones before it left undone.
            runs = [run for run in runs if run.started > self.run.started or run.still_running()]
        oldest = datetime.now(UTC) - RUNS_KEPT
        runs = [run for run in runs if _instant(run.started) >= oldest]
        self.previous.runs = runs
        mine = [self.run] if self.run is not None and self.run.outcome != "complete" else []
        _write(self.runs_path, {"format": HISTORY_FORMAT, "runs": [asdict(run) for run in runs + mine]})

    def _save_articles(self) -> None:
        """This run's changes over the history as it is now, where there are any: a run that
        changed nothing (an unchanged folder) writes nothing."""
        changed = any(self.previous.versions.get(k) != v for k, v in self._versions.items()) or any(
            self.previous.failing.get(k) != f for k, f in self._failing.items()
        )
        if not changed:
            return
        current = _read(self.path)
        for key, version in self._versions.items():
            if version is None:
                current.versions.pop(key, None)
            else:
                current.versions[key] = version
        for key, failing in self._failing.items():
            if failing is None:
                current.failing.pop(key, None)
            else:
                current.failing[key] = failing
        self.previous.versions, self.previous.failing = current.versions, current.failing
        self._versions, self._failing = {}, {}
        _write(self.path, _to_json(current))


def _write(path: Path, data: dict[str, Any]) -> None:
    """A history file, whole; one that cannot be written costs the next digest its labels, nothing
    else. ASCII: a name that is not UTF-8 (kept as surrogates) is written as its escapes."""
    try:
        write_atomic(path, json.dumps(data, separators=(",", ":")) + "\n")
    except OutputError as error:
        log.info("%s was not written: %s", path, error)


def _instant(iso: str) -> datetime:
    """A time the history recorded; ValueError for anything else (one without its zone too)."""
    instant = datetime.fromisoformat(iso)
    if instant.tzinfo is None:
        raise ValueError(f"{iso}: a time without its zone")
    return instant


def _to_json(entries: _Entries) -> dict[str, Any]:
    return {
        "format": HISTORY_FORMAT,
        "versions": {key: asdict(version) for key, version in sorted(entries.versions.items())},
        "failing": {
            key: {
                "state": list(failing.state) if failing.state else None,
                "reason": failing.reason,
                "since": failing.since,
            }
            for key, failing in sorted(entries.failing.items())
        },
    }


def _read(path: Path) -> _Entries:
    """The history file's entries (not the runs); none where it is absent, damaged or of another
    format."""
    data = _read_json(path)
    try:
        versions = {key: _version(value) for key, value in data["versions"].items()}
        failing = {key: _failing(value) for key, value in data["failing"].items()}
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        if data:
            log.info("%s: ignored (%s: %s); it is written anew", path, type(error).__name__, error)
        return _Entries()
    return _Entries(versions, failing)


def _read_runs(path: Path) -> list[RunEntry]:
    data = _read_json(path)
    try:
        return [_run(value) for value in data["runs"]]
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        if data:
            log.info("%s: ignored (%s: %s); it is written anew", path, type(error).__name__, error)
        return []


def _read_json(path: Path) -> dict[str, Any]:
    """A history file's object, of this format; {} where it is absent, damaged or of another."""
    try:
        data = json.loads(read_bytes(path, HISTORY_MAX_BYTES, "history")[0])
    except InputError as error:
        if os.path.lexists(path):
            log.info("%s: ignored (%s); it is written anew", path, error.reason)
        return {}
    except (ValueError, RecursionError) as error:
        log.info("%s: ignored (%s: %s); it is written anew", path, type(error).__name__, error)
        return {}
    return data if isinstance(data, dict) and data.get("format") == HISTORY_FORMAT else {}


def _version(data: dict[str, Any]) -> Version:
    version = Version(data["sha256"], data["since"], data["updated"], data["record"])
    if not all(isinstance(v, str) for v in (version.sha256, version.since, version.record)):
        raise TypeError("version: not text")
    if version.since:
        _instant(version.since)  # ValueError where it is no time
    return version


def _failing(data: dict[str, Any]) -> Failing:
    state = data["state"]
    if state is not None and not (
        isinstance(state, list)
        and len(state) == len(FileState._fields)
        and all(type(v) is int for v in state)
    ):
        raise TypeError("state: not a file's state")
    failing = Failing(FileState(*state) if state else None, data["reason"], data["since"])
    if not isinstance(failing.reason, str) or not isinstance(failing.since, str):
        raise TypeError("failing: not text")
    _instant(failing.since)
    return failing


def _run(data: dict[str, Any]) -> RunEntry:
    run = RunEntry(**data)
    if run.outcome not in ("running", "complete", "interrupted", "aborted") or type(run.pid) is not int:
        raise TypeError("run: not a run")
    _instant(run.started)
    return run
