"""`summarise watch`: an inbox that briefs itself. When a file counts as complete (a clock the
tests drive), and the watcher on real files: copied in, moved in, written slowly, renamed into
place, temporary names, deletion, many at once, and a restart that redoes nothing."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support import SEEDS, console_script, environment_for_subprocess, options

from summarise.report import RunReport
from summarise.watch import ArrivalTracker, Watcher, WatchSettings, is_temporary

GERMAN = "Die Regierung hat am Montag ein neues Gesetz beschlossen. Es gilt ab dem ersten Januar."


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tracker(clock: Clock) -> ArrivalTracker:
    return ArrivalTracker(settle=2.0, debounce=1.0, clock=clock)


def test_a_written_file_is_complete_once_it_has_stayed_the_same_for_the_settle_time(tmp_path: Path) -> None:
    clock, article = Clock(), tmp_path / "a.txt"
    arrivals = tracker(clock)
    article.write_text(GERMAN, encoding="utf-8")
    arrivals.saw(article)
    assert arrivals.ready() is None  # its size and time seen for the first time
    clock.now += 1.5
    assert arrivals.ready() is None  # the same for 1.5 s only
    clock.now += 1.0
    assert arrivals.ready() == [article]
    assert arrivals.ready() is None  # handed over once


def test_a_file_that_keeps_growing_is_not_complete(tmp_path: Path) -> None:
    clock, article = Clock(), tmp_path / "a.txt"
    arrivals = tracker(clock)
    article.write_text("Die", encoding="utf-8")
    arrivals.saw(article)
    for step in range(5):
        clock.now += 1.5
        with article.open("a", encoding="utf-8") as growing:
            growing.write(f" Regierung {step}")
        assert arrivals.ready() is None
    clock.now += 1.0
    assert arrivals.ready() is None  # the same as at the last look, for 1 s only
    clock.now += 1.5
    assert arrivals.ready() == [article]


def test_a_file_closed_after_writing_or_renamed_into_place_is_complete_at_once(tmp_path: Path) -> None:
    clock = Clock()
    arrivals = tracker(clock)
    closed, renamed = tmp_path / "closed.txt", tmp_path / "renamed.md"
    closed.write_text(GERMAN, encoding="utf-8")
    renamed.write_text(GERMAN, encoding="utf-8")
    arrivals.saw(closed)
    arrivals.saw(closed, closed=True)
    arrivals.saw(renamed, closed=True)
    clock.now += 1.1
    assert arrivals.ready() is None  # their size and time looked at once
    clock.now += 0.1
    assert arrivals.ready() == [closed, renamed]


def test_articles_arriving_together_are_one_batch_and_a_new_arrival_waits_for_the_rest(
    tmp_path: Path,
) -> None:
    clock = Clock()
    arrivals = tracker(clock)
    files = [tmp_path / f"{i}.txt" for i in range(3)]
    for i, article in enumerate(files):
        article.write_text(f"{GERMAN} {i}", encoding="utf-8")
        arrivals.saw(article, closed=True)
        clock.now += 0.5  # within the debounce of the one before
        assert arrivals.ready() is None
    clock.now += 1.0
    assert arrivals.ready() == files


def test_a_steady_trickle_holds_nothing_back_and_files_being_written_wait(tmp_path: Path) -> None:
    """Arrivals every half second never leave a pause of the debounce: a complete file still goes
    within `longest` seconds, and a file still being written is left for a later run."""
    clock = Clock()
    arrivals = tracker(clock)
    growing = tmp_path / "growing.txt"
    growing.write_text("Die", encoding="utf-8")
    arrivals.saw(growing)
    handed: list[Path] = []
    for i in range(30):
        article = tmp_path / f"{i:02}.txt"
        article.write_text(f"{GERMAN} {i}", encoding="utf-8")
        arrivals.saw(article, closed=True)
        with growing.open("a", encoding="utf-8") as more:
            more.write(f" Regierung {i}")
        clock.now += 0.5
        handed += arrivals.ready() or []
        if i == 12:
            assert handed, "a complete file waited more than `longest` seconds"
    assert growing not in handed and growing in arrivals.incomplete()
    assert len(handed) >= 20 and handed == sorted(set(handed))


def test_a_file_deleted_or_moved_away_before_it_is_complete_is_forgotten(tmp_path: Path) -> None:
    clock = Clock()
    arrivals = tracker(clock)
    kept, deleted, vanished = (tmp_path / n for n in ("kept.txt", "deleted.txt", "vanished.txt"))
    for article in (kept, deleted, vanished):
        article.write_text(GERMAN, encoding="utf-8")
        arrivals.saw(article, closed=True)
    arrivals.gone(deleted)
    vanished.unlink()  # no event for it (a missed one): its absence is enough
    clock.now += 1.1
    arrivals.ready()
    clock.now += 1.1
    assert arrivals.ready() == [kept]


@pytest.mark.parametrize(
    "name",
    [
        ".hidden.txt",
        "a.txt.part",
        "a.html.crdownload",
        "a.txt.tmp",
        "a.txt~",
        ".a.txt.swp",
        "#a.txt#",
        "~$a.txt",
    ],
)
def test_temporary_and_hidden_names_are_never_articles(name: str) -> None:
    assert is_temporary(name)


@pytest.mark.parametrize("name", ["a.txt", "Bericht vom 3.12.md", "seite.html", "partei.txt", "temp-ort.txt"])
def test_ordinary_names_are_articles(name: str) -> None:
    assert not is_temporary(name)


# ----------------------------------------------------------------------------- real files


@dataclass
class Watching:
    inbox: Path
    out: Path
    reports: list[tuple[RunReport, str]] = field(default_factory=list)
    seen: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, done: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        with self.seen:
            while not done():
                left = deadline - time.monotonic()
                assert left > 0, f"waited {timeout} s; runs so far: {[why for _, why in self.reports]}"
                self.seen.wait(min(left, 0.2))

    def briefs(self) -> set[str]:
        return {p.name for p in self.out.glob("*.json")}

    def briefed(self, *names: str, timeout: float = 60.0) -> None:
        wanted = {Path(n).with_suffix(".json").name for n in names}
        self.wait_for(lambda: wanted <= self.briefs(), timeout)


@contextmanager
def watching(tmp_path: Path, marian: Path, bart: Path, **settings: float) -> Iterator[Watching]:
    inbox, out = tmp_path / "inbox", tmp_path / "briefs"
    inbox.mkdir(exist_ok=True)
    state = Watching(inbox, out)
    stop = threading.Event()

    def on_run(report: RunReport, why: str) -> None:
        with state.seen:
            state.reports.append((report, why))
            state.seen.notify_all()

    chosen = WatchSettings(settle=settings.get("settle", 0.5), debounce=settings.get("debounce", 0.3))
    watcher = Watcher([inbox], options(out, marian, bart), chosen, on_run, stop.is_set)
    thread = threading.Thread(target=watcher.run, name="watcher")
    thread.start()
    try:
        state.wait_for(lambda: any(why == "start" for _, why in state.reports))
        yield state
    finally:
        stop.set()
        thread.join(30)
        assert not thread.is_alive()


def test_copied_moved_renamed_and_slowly_written_articles_are_briefed_once_each(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    with watching(tmp_path, copy_marian, tiny_bart) as w:
        shutil.copy(next(SEEDS.glob("*.txt")), w.inbox / "copied.txt")
        (outside / "moved.txt").write_text(GERMAN, encoding="utf-8")
        os.replace(outside / "moved.txt", w.inbox / "moved.txt")
        (w.inbox / "download.html.part").write_text("<html><body><p>halb", encoding="utf-8")
        w.briefed("copied.txt", "moved.txt")
        assert not any("download" in name for name in w.briefs())  # still being downloaded
        with (w.inbox / "slow.txt").open("w", encoding="utf-8") as slow:
            for word in GERMAN.split():
                slow.write(word + " ")
                slow.flush()
                time.sleep(0.15)  # a file growing for longer than the settle time
        w.briefed("slow.txt")
        record = (w.out / "slow.json").read_text(encoding="utf-8")
        assert "ersten Januar" in record  # briefed whole, not half written
        runs_before = len(w.reports)
        (w.inbox / "copied.txt").unlink()
        time.sleep(1.5)
        assert len(w.reports) == runs_before  # a deletion is nothing to brief
    made = [a.source.path.name for report, _ in w.reports for a in report.articles if a.rewritten]
    assert sorted(made) == ["copied.txt", "moved.txt", "slow.txt"]  # each once


def test_an_edited_article_is_briefed_again(tmp_path: Path, copy_marian: Path, tiny_bart: Path) -> None:
    with watching(tmp_path, copy_marian, tiny_bart) as w:
        (w.inbox / "a.txt").write_text(GERMAN, encoding="utf-8")
        w.briefed("a.txt")
        first = (w.out / "a.json").read_text(encoding="utf-8")
        (w.inbox / "a.txt").write_text(GERMAN + " Der Bundestag stimmt zu.", encoding="utf-8")
        w.wait_for(lambda: (w.out / "a.json").read_text(encoding="utf-8") != first)
        assert "Bundestag" in (w.out / "a.json").read_text(encoding="utf-8")


def test_many_articles_at_once_are_briefed_in_few_runs(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    staging = tmp_path / "staging"
    staging.mkdir()
    for i in range(200):
        (staging / f"{i:03}.txt").write_text(f"Artikel {i}. {GERMAN}", encoding="utf-8")
    with watching(tmp_path, copy_marian, tiny_bart) as w:
        for article in sorted(staging.iterdir()):
            os.replace(article, w.inbox / article.name)
        w.wait_for(lambda: len(w.briefs()) == 200, timeout=240)
        runs = [why for _, why in w.reports if why != "start"]
    assert len(runs) <= 5, runs  # arrivals together are one run, not 200


def test_articles_that_arrived_while_nothing_watched_are_briefed_at_the_start_and_a_restart_redoes_nothing(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "early.txt").write_text(GERMAN, encoding="utf-8")
    an_hour_ago = time.time() - 3600
    os.utime(inbox / "early.txt", (an_hour_ago, an_hour_ago))
    with watching(tmp_path, copy_marian, tiny_bart) as w:
        assert w.briefs() == {"early.json"}
        written = (w.out / "early.json").stat().st_mtime_ns
    with watching(tmp_path, copy_marian, tiny_bart) as again:
        [(start, _)] = again.reports
        assert [a.rewritten for a in start.articles] == [False]
        assert (again.out / "early.json").stat().st_mtime_ns == written


def test_a_file_changed_just_before_the_start_waits_until_it_is_complete(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    """A download that began while nothing watched may still be being written: the first run
    leaves it out, and it is briefed, whole, once it has stayed the same for the settle time."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "old.txt").write_text(GERMAN, encoding="utf-8")
    an_hour_ago = time.time() - 3600
    os.utime(inbox / "old.txt", (an_hour_ago, an_hour_ago))
    (inbox / "growing.txt").write_text("Die Regierung", encoding="utf-8")  # changed just now
    with watching(tmp_path, copy_marian, tiny_bart, settle=2.0) as w:
        [(start, _)] = w.reports
        assert [a.source.path.name for a in start.articles] == ["old.txt"]
        with (inbox / "growing.txt").open("a", encoding="utf-8") as growing:
            growing.write(" hat am Montag ein neues Gesetz beschlossen.")
        w.briefed("growing.txt")
        assert "beschlossen" in (w.out / "growing.json").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- the command


class Child:
    """`summarise watch` in a child process, its stderr in a file the test reads as it grows."""

    def __init__(self, tmp_path: Path, inbox: Path, out: Path, marian: Path, bart: Path) -> None:
        self.log = tmp_path / f"watch-{time.monotonic_ns()}.log"
        args = ["watch", str(inbox), "-o", str(out), "--translator", str(marian), "--summariser", str(bart)]
        with self.log.open("w") as stderr:
            self.process = subprocess.Popen(
                [console_script(), *args, "--beams", "1", "--settle", "0.5"],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=environment_for_subprocess(),
            )

    def said(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def wait_until(self, done: Callable[[], bool], timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert self.process.poll() is None, self.said()
            assert time.monotonic() < deadline, self.said()
            time.sleep(0.1)


@pytest.mark.slow  # child processes and signals: the slow tier
def test_the_command_stops_cleanly_and_a_restart_after_kill_9_loses_and_redoes_nothing(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "briefs"
    inbox.mkdir()
    (inbox / "empty.txt").write_text("", encoding="utf-8")  # fails at every run: said once
    watcher = Child(tmp_path, inbox, out, copy_marian, tiny_bart)
    watcher.wait_until(lambda: "watching" in watcher.said() and (out / "digest.md").exists())
    (inbox / "a.txt").write_text(GERMAN, encoding="utf-8")
    watcher.wait_until(lambda: (out / "a.json").exists())
    (inbox / "b.txt").write_text(GERMAN + " Zwei.", encoding="utf-8")
    watcher.wait_until(lambda: (out / "b.json").exists())
    watcher.process.send_signal(signal.SIGTERM)
    assert watcher.process.wait(60) == 0, watcher.said()
    said = watcher.said()
    assert said.count("empty.txt") == 1, said  # not at every run
    assert "stopped: briefs in" in said and "Traceback" not in said

    # Killed in the middle of a burst: what was finished stays, the rest is done at the next start.
    staging = tmp_path / "staging"
    staging.mkdir()
    for i in range(30):
        (staging / f"{i:02}.txt").write_text(f"Artikel {i}. {GERMAN}", encoding="utf-8")
    watcher = Child(tmp_path, inbox, out, copy_marian, tiny_bart)
    watcher.wait_until(lambda: "watching" in watcher.said())
    for article in sorted(staging.iterdir()):
        os.replace(article, inbox / article.name)
    watcher.wait_until(lambda: len(list(out.glob("[0-9][0-9].json"))) >= 1)
    watcher.process.kill()
    watcher.process.wait(30)
    done_before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.json")}
    for path in out.glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))  # every record whole
    watcher = Child(tmp_path, inbox, out, copy_marian, tiny_bart)
    watcher.wait_until(lambda: "watching" in watcher.said() and len(list(out.glob("[0-9][0-9].json"))) == 30)
    watcher.process.send_signal(signal.SIGINT)
    assert watcher.process.wait(60) == 0, watcher.said()
    again = {p.name: p.stat().st_mtime_ns for p in out.glob("*.json")}
    assert {name: again[name] for name in done_before} == done_before  # nothing finished was redone


def test_events_count_for_the_inbox_articles_only(tmp_path: Path) -> None:
    """An inbox may itself live in a hidden folder; hidden folders inside it, the output folder
    inside it, temporary names and other file types are never tracked."""
    from watchdog.events import FileClosedEvent, FileCreatedEvent, FileMovedEvent

    from summarise.watch import _articles_only, _handler

    inbox = tmp_path / ".config" / "inbox"
    out = inbox / "briefs"
    arrivals = ArrivalTracker()
    handler = _handler(arrivals, _articles_only([inbox], [out]))
    for name in ("a.txt", "sub/b.md", ".hidden/c.txt", "briefs/a.md", "d.pdf", "e.txt.part"):
        handler.dispatch(FileCreatedEvent(str(inbox / name)))
    handler.dispatch(FileClosedEvent(str(inbox / "sub" / "b.md")))
    handler.dispatch(FileMovedEvent(str(inbox / "e.txt.part"), str(inbox / "e.txt")))
    assert sorted(p.relative_to(inbox).as_posix() for p in arrivals._pending) == [
        "a.txt",
        "e.txt",
        "sub/b.md",
    ]
    closed = {p.name: seen is not None and seen.closed for p, seen in arrivals._pending.items()}
    assert closed == {"a.txt": False, "b.md": True, "e.txt": True}  # closed, or renamed into place
