"""Watching an inbox: each article is briefed once it is complete, and again when it changes.

File-system events (watchdog: inotify where there is one, polling where asked, e.g. a network
share) say which files changed; a file counts as complete when it was closed after writing, or when
its size and modification time have stayed the same for `settle` seconds (a browser's download, a
copy over the network). Articles that arrive together are briefed in one run, once no event has
come for `debounce` seconds (or the first complete one has waited `longest` seconds: a steady
trickle holds nothing back); files still being written are left for a later run.

Every run is a run of one long-lived `Briefer` over the whole inbox: unchanged articles cost a
look at the output folder's ledger, a changed one is briefed again, one that arrived while nothing
watched is briefed at the start. The models are loaded by the first run that needs them and
released after `idle_release` seconds without work (loaded again on demand). A `kill -9` loses
nothing (every output is written whole, every result cached as it is made) and the next start
redoes nothing that was finished.
"""

from __future__ import annotations

import gc
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import NoArticles
from .options import (
    DEBOUNCE_SECONDS,
    FEED_INTERVAL_SECONDS,
    IDLE_RELEASE_SECONDS,
    LONGEST_WAIT_SECONDS,
    SETTLE_SECONDS,
    Options,
)
from .pipeline import Briefer
from .read import SUPPORTED_SUFFIXES
from .report import RunReport

# Names of files still being written or not the user's: partial downloads, editors' swap and lock
# files, office lock files, backups.
_TEMPORARY = re.compile(
    r"^\.|^~\$|^#.*#$|~$|\.(?:part|partial|crdownload|download|tmp|temp|swp|swo|swx|bak|filepart)$",
    re.IGNORECASE,
)


def is_temporary(name: str) -> bool:
    """A name that is never an article: hidden, or a file still being written (`.part`,
    `.crdownload`, `.tmp`), an editor's swap or backup file (`.swp`, `~`, `#a#`)."""
    return _TEMPORARY.search(name) is not None


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float  # when this size and time were first seen
    closed: bool = False  # closed after writing: complete as soon as it stays the same
    complete_since: float | None = None  # when it was first found complete


@dataclass
class ArrivalTracker:
    """Files that changed, until each is complete; the batch to brief once all are, and no event
    has come for `debounce` seconds. Thread-safe: the observer's thread reports, the watcher's
    thread asks."""

    settle: float = SETTLE_SECONDS
    debounce: float = DEBOUNCE_SECONDS
    clock: Callable[[], float] = time.monotonic
    longest: float = LONGEST_WAIT_SECONDS
    _pending: dict[Path, _Seen | None] = field(default_factory=dict)
    _last_event: float = float("-inf")
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def saw(self, path: Path, closed: bool = False) -> None:
        """A file was created, written, closed after writing, or moved in."""
        with self._changed:
            seen = self._pending.get(path)
            if seen is not None and closed:
                seen.closed = True
            elif seen is None and closed:
                self._pending[path] = _Seen(-1, -1, self.clock(), closed=True)
            else:
                self._pending.setdefault(path, None)
            self._last_event = self.clock()
            self._changed.notify_all()

    def gone(self, path: Path) -> None:
        """A file was deleted or moved away: nothing to wait for."""
        with self._changed:
            self._pending.pop(path, None)
            self._last_event = self.clock()
            self._changed.notify_all()

    @property
    def waiting(self) -> int:
        with self._changed:
            return len(self._pending)

    def ready(self) -> list[Path] | None:
        """The complete files to brief now, or None to wait longer: once no event has come for
        `debounce` seconds, or once the first of them has waited `longest` seconds (a steady
        trickle of arrivals must not hold the rest back). Files still being written stay pending
        (`incomplete`). A file that vanished, or cannot be looked at, is dropped (a run says what is
        wrong with a file it finds; one that is gone is no article)."""
        with self._changed:
            now = self.clock()
            complete: dict[Path, float] = {}  # each complete file, and since when it has been
            for path, seen in list(self._pending.items()):
                try:
                    status = path.stat()
                except OSError:
                    del self._pending[path]
                    continue
                shape = (status.st_size, status.st_mtime_ns)
                if seen is None or (seen.size, seen.mtime_ns) != shape:
                    closed = seen.closed if seen is not None else False
                    self._pending[path] = _Seen(*shape, now, closed)
                elif seen.closed or now - seen.since >= self.settle:
                    if seen.complete_since is None:
                        seen.complete_since = now
                    complete[path] = seen.complete_since
            if not complete:
                return None
            waited = now - min(complete.values())
            if now - self._last_event < self.debounce and waited < self.longest:
                return None
            for path in complete:
                del self._pending[path]
            return sorted(complete)

    def incomplete(self) -> list[Path]:
        """The files still being written (a run leaves them for later)."""
        with self._changed:
            return sorted(self._pending)

    def wait(self, timeout: float) -> None:
        """Until an event comes, or `timeout` seconds."""
        with self._changed:
            self._changed.wait(timeout)


def _articles_only(inboxes: Sequence[Path], ignored: Sequence[Path]) -> Callable[[bytes | str], Path | None]:
    """What counts of the inboxes' files: an article's name (supported suffix, not temporary,
    not in a hidden folder inside an inbox), never in the output folder. Returns the path, or None."""
    roots = [os.path.abspath(inbox) for inbox in inboxes]
    kept_out = [os.path.realpath(folder) for folder in ignored]

    def article(raw: bytes | str) -> Path | None:
        path = Path(os.fsdecode(raw))
        if is_temporary(path.name) or path.suffix.lower() not in SUPPORTED_SUFFIXES:
            return None
        where = os.path.abspath(path)
        root = next((r for r in roots if where.startswith(r.rstrip(os.sep) + os.sep)), None)
        below = Path(os.path.relpath(where, root)).parts[:-1] if root else ()
        if any(part.startswith(".") for part in below):
            return None  # in a hidden folder inside the inbox: discovery does not walk those either
        real = os.path.realpath(path)
        if any(real == folder or real.startswith(folder + os.sep) for folder in kept_out):
            return None
        return path

    return article


def _handler(tracker: ArrivalTracker, article: Callable[[bytes | str], Path | None]) -> Any:
    """The watchdog event handler: articles' files only (`article`), never the output folder's."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler

    class InboxEvents(FileSystemEventHandler):  # type: ignore[misc]
        def on_created(self, event: FileSystemEvent) -> None:
            if not event.is_directory and (path := article(event.src_path)):
                tracker.saw(path)

        def on_modified(self, event: FileSystemEvent) -> None:
            self.on_created(event)

        def on_closed(self, event: FileSystemEvent) -> None:
            if not event.is_directory and (path := article(event.src_path)):
                tracker.saw(path, closed=True)

        def on_moved(self, event: FileSystemEvent) -> None:
            if event.is_directory:
                tracker.saw(Path(str(event.dest_path)))  # a folder moved in: its articles with the next run
                return
            if path := article(event.src_path):
                tracker.gone(path)
            if path := article(event.dest_path):  # an atomic rename into place is complete
                tracker.saw(path, closed=True)

        def on_deleted(self, event: FileSystemEvent) -> None:
            if not event.is_directory and (path := article(event.src_path)):
                tracker.gone(path)

    return InboxEvents()


@dataclass(frozen=True)
class WatchSettings:
    polling: bool = False  # poll the folders instead of waiting for the system's events
    settle: float = SETTLE_SECONDS
    debounce: float = DEBOUNCE_SECONDS
    idle_release: float = IDLE_RELEASE_SECONDS
    poll_interval: float = 1.0  # with polling: how often the folders are looked at
    feed_interval: float = FEED_INTERVAL_SECONDS  # how often the feeds (--feed) are read


class Watcher:
    """Briefs what arrives in `inboxes` until `should_stop()`; each run's report goes to
    `on_run` as it ends (`why`: "start" or the number of files that arrived)."""

    def __init__(
        self,
        inboxes: Sequence[Path],
        options: Options,
        settings: WatchSettings,
        on_run: Callable[[RunReport, str], None],
        should_stop: Callable[[], bool],
        on_release: Callable[[], None] = lambda: None,
    ) -> None:
        self.inboxes = list(inboxes)
        self.options = options
        self.settings = settings
        self.on_run = on_run
        self.should_stop = should_stop
        self.on_release = on_release
        self.tracker = ArrivalTracker(settings.settle, settings.debounce)
        self.article = _articles_only(self.inboxes, [options.out_dir])
        self.briefer = Briefer.open(options)
        self.briefer.session()  # the models resolved now: one missing is said before the watch begins

    def run(self) -> RunReport | None:
        """Watch until asked to stop; returns the last run's report (None: no run). A run that
        had to stop (a full disk, a model that cannot load) ends the watch: its report says why."""
        observer = self._observer()
        try:
            self._recently_changed()
            report = self._brief("start", with_feeds=True)
            idle_since = last_feeds = time.monotonic()
            while not self.should_stop() and report.aborted is None:
                batch = self.tracker.ready()
                if batch:
                    report = self._brief(f"{len(batch)} changed")
                    idle_since = time.monotonic()
                    continue
                if self.options.feeds and time.monotonic() - last_feeds >= self.settings.feed_interval:
                    report = self._brief("feeds", with_feeds=True)
                    last_feeds = time.monotonic()
                    if any(a.rewritten for a in report.articles):
                        idle_since = last_feeds
                    continue
                if self.briefer.holds_models and time.monotonic() - idle_since >= self.settings.idle_release:
                    self.briefer.release_models()
                    gc.collect()
                    self.on_release()
                self.tracker.wait(0.25 if self.tracker.waiting else 0.5)
            return report
        finally:
            observer.stop()
            observer.join()
            self.briefer.close()

    def _brief(self, why: str, with_feeds: bool = False) -> RunReport:
        """A run over the inboxes (and, `with_feeds`, the feeds: they are polled at their own pace)."""
        feeds = None if with_feeds else ()
        try:
            report = self.briefer.run(
                self.inboxes, None, self.should_stop, later=self.tracker.incomplete(), feeds=feeds
            )
        except NoArticles:  # an empty inbox: nothing to do yet
            report = RunReport()
        self.on_run(report, why)
        return report

    def _recently_changed(self) -> None:
        """Files changed within `settle` seconds before the watch began may still be being written
        (a download that started while nothing watched): they wait, as any arrival does, until
        complete; the first run leaves them out."""
        now = time.time()
        for inbox in self.inboxes:
            for folder, subfolders, names in os.walk(inbox):
                subfolders[:] = [name for name in subfolders if not name.startswith(".")]
                for name in names:
                    if (path := self.article(os.path.join(folder, name))) is None:
                        continue
                    try:
                        changed = path.stat().st_mtime
                    except OSError:
                        continue
                    if now - changed < self.settings.settle:
                        self.tracker.saw(path)

    def _observer(self) -> Any:
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        observer: Any = (
            PollingObserver(timeout=self.settings.poll_interval) if self.settings.polling else Observer()
        )
        handler = _handler(self.tracker, self.article)
        for inbox in self.inboxes:
            observer.schedule(handler, str(inbox), recursive=True)
        observer.start()
        return observer
