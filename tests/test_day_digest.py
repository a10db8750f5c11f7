"""The day's digest: what is new or updated today (the reader's local day, whatever number of runs
made it) first, the rest by title, one dated digest per day kept, runs that did not finish said,
times in the reader's time zone; and failures that do not cry wolf (the folder's history)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from support import GOOD, inbox_with, options

from summarise.history import HISTORY_NAME, RUNS_NAME
from summarise.pipeline import run
from summarise.report import NoProgress

OTHER = "Der Bundestag hat am Freitag über den Haushalt beraten. Die Opposition kritisierte die Pläne."


def age_history(out: Path, days: float) -> None:
    """Make every time the folder's history recorded `days` older: as if its runs were then."""
    path = out / HISTORY_NAME
    data = json.loads(path.read_text(encoding="utf-8"))

    def older(iso: str) -> str:
        return (datetime.fromisoformat(iso) - timedelta(days=days)).isoformat() if iso else iso

    for version in data["versions"].values():
        version["since"] = older(version["since"])
    for failing in data["failing"].values():
        failing["since"] = older(failing["since"])
    path.write_text(json.dumps(data), encoding="utf-8")


def dated_digests(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob("digest-*.md"))


def test_times_are_shown_in_the_readers_zone_and_the_days_digest_is_named_by_its_date(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path, in_zone: Callable[[str], None]
) -> None:
    in_zone("Asia/Kolkata")  # UTC+05:30: a zone whose offset is not whole hours
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    out = tmp_path / "out"
    report = run([inbox], options(out, copy_marian, tiny_bart))
    local = datetime.now().astimezone()
    assert report.dated_digest == out / f"digest-{local.date().isoformat()}.md"
    digest = (out / "digest.md").read_text(encoding="utf-8")
    assert report.dated_digest.read_text(encoding="utf-8") == digest
    assert (out / report.dated_digest.name.replace(".md", ".html")).is_file()
    day = f"{local:%A} {local.day} {local:%B} {local.year}"
    assert digest.startswith(f"# Digest: 1 article, {day}\n"), digest[:80]
    assert " IST_" in digest.splitlines()[2]  # "updated 20:35 IST"
    created = json.loads((out / "a.json").read_text(encoding="utf-8"))["created"]
    assert created.endswith("+00:00")  # the record keeps UTC: a contract for scripts
    made = datetime.fromisoformat(created).astimezone()
    assert f"- Brief first made: {day}, {made:%H:%M} IST" in (out / "a.md").read_text(encoding="utf-8")


def test_the_digest_leads_with_today_marks_updates_and_lists_earlier_briefs_by_title(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path, in_zone: Callable[[str], None]
) -> None:
    in_zone("Etc/GMT-14")  # UTC+14: a day that ends before anyone else's
    inbox = inbox_with(tmp_path, {"a.txt": GOOD, "b.txt": OTHER})
    out = tmp_path / "out"
    first = run([inbox], options(out, copy_marian, tiny_bart))
    assert [(a.updated, bool(a.since)) for a in first.articles] == [(False, True)] * 2
    [yesterdays] = dated_digests(out)
    age_history(out, days=3)  # those runs were three days ago
    in_zone("Etc/GMT+12")  # UTC-12: another day than the first run's, whatever the hour
    (inbox / "b.txt").write_text(OTHER + " Die Abstimmung ist im Januar.", encoding="utf-8")
    (inbox / "c.txt").write_text("Der Winter kommt früh. Es schneit in den Alpen.", encoding="utf-8")
    second = run([inbox], options(out, copy_marian, tiny_bart))
    updated = {a.source.path.name: a.updated for a in second.articles}
    assert updated == {"a.txt": False, "b.txt": True, "c.txt": False}
    digest = (out / "digest.md").read_text(encoding="utf-8")
    assert "_1 new and 1 updated today, 1 earlier · updated " in digest
    sections = [line[3:] for line in digest.splitlines() if line.startswith("## ")]
    assert sections == ["New today", "Updated today", "Earlier"]
    new, rest = digest.split("## Updated today")
    assert "(c.md)" in new and "(b.md)" not in new and "(a.md)" not in new
    assert "(b.md)" in rest.split("## Earlier")[0] and "_updated " in rest.split("## Earlier")[0]
    earlier = rest.split("## Earlier")[1]
    [line] = [line for line in earlier.splitlines() if line.strip()]
    assert line.startswith("- [") and "(a.md)" in line  # by title, its summary a click away
    # One digest per day: the first day's is kept as it was.
    assert len(dated_digests(out)) == 2 and yesterdays in dated_digests(out)
    assert "_2 new today · updated " in (out / yesterdays).read_text(encoding="utf-8")
    assert second.dated_digest is not None
    assert (out / "digest.md").read_text(encoding="utf-8") == second.dated_digest.read_text(encoding="utf-8")


def test_todays_briefs_from_another_run_into_the_same_folder_are_in_the_digest(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    (tmp_path / "morning").mkdir()
    (tmp_path / "noon").mkdir()
    morning = inbox_with(tmp_path / "morning", {"a.txt": GOOD})
    noon = inbox_with(tmp_path / "noon", {"b.txt": OTHER})
    out = tmp_path / "out"
    run([morning], options(out, copy_marian, tiny_bart))
    run([noon], options(out, copy_marian, tiny_bart))
    digest = (out / "digest.md").read_text(encoding="utf-8")
    assert "_2 new today · updated " in digest and "(a.md)" in digest and "(b.md)" in digest
    # A brief removed from the folder is no longer listed.
    for suffix in (".json", ".md", ".html"):
        (out / f"a{suffix}").unlink()
    run([noon], options(out, copy_marian, tiny_bart))
    digest = (out / "digest.md").read_text(encoding="utf-8")
    assert "_1 new today · updated " in digest and "(a.md)" not in digest


class Stopper(NoProgress):
    """Asks the run to stop after `after` articles, and reads the digest as the run goes."""

    def __init__(self, out: Path, after: int) -> None:
        self.out, self.after, self.done = out, after, 0
        self.digest_midway = ""

    def advance(self, articles: int = 1) -> None:
        self.done += articles
        if self.done == 1:
            self.digest_midway = (self.out / "digest.md").read_text(encoding="utf-8")

    def should_stop(self) -> bool:
        return self.done >= self.after


def test_a_run_says_in_the_digest_that_it_is_under_way_and_that_it_was_interrupted(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    names = {f"{i}.txt": f"Artikel {i}. {GOOD}" for i in range(6)}
    inbox = inbox_with(tmp_path, names)
    out = tmp_path / "out"
    run([inbox], options(out, copy_marian, tiny_bart))
    for i in range(6):
        (inbox / f"{i}.txt").write_text(f"Artikel {i}. {OTHER}", encoding="utf-8")
    stopper = Stopper(out, after=2)
    stopped = run([inbox], options(out, copy_marian, tiny_bart), stopper, stopper.should_stop)
    done = len(stopped.articles)  # asked between articles; a wave's articles end together
    assert stopped.interrupted and 0 < done < 6
    # Until it ends, the digest says a run is under way (a kill -9 would leave it so).
    assert "> A run started at " in stopper.digest_midway and "has not finished" in stopper.digest_midway
    digest = (out / "digest.md").read_text(encoding="utf-8")
    assert f"was interrupted before it finished: {6 - done} of 6 articles were not reached" in digest
    # Every article is still listed: those not reached as the last run left them.
    assert all(f"({i}.md)" in digest for i in range(6))
    assert f"_{6 - done} new and {done} updated today · updated " in digest
    # The next run goes to the end: what the interrupted one left undone is done, and not told of.
    run([inbox], options(out, copy_marian, tiny_bart))
    digest = (out / "digest.md").read_text(encoding="utf-8")
    assert "interrupted" not in digest and "has not finished" not in digest


def test_a_run_that_ended_without_a_word_is_told_of_until_a_run_goes_to_its_end(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD, "b.txt": OTHER})
    out = tmp_path / "out"
    run([inbox], options(out, copy_marian, tiny_bart))
    # A run killed at once: its process gone, its entry never finished.
    killed = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    runs = json.loads((out / RUNS_NAME).read_text(encoding="utf-8"))
    assert runs["runs"] == []  # a run that went to its end leaves no entry
    started = datetime.now().astimezone().replace(hour=6, minute=0, second=0, microsecond=0)
    entry = {"started": started.isoformat(), "pid": int(killed.stdout), "host": os.uname().nodename}
    runs["runs"].append(entry | {"outcome": "running", "reason": "", "done": 0, "total": 300})
    (out / RUNS_NAME).write_text(json.dumps(runs), encoding="utf-8")
    stopper = Stopper(out, after=1)
    (inbox / "a.txt").write_text(GOOD + " Neu.", encoding="utf-8")
    run([inbox], options(out, copy_marian, tiny_bart), stopper, stopper.should_stop)
    digest = (out / "digest.md").read_text(encoding="utf-8")
    assert "> The run started at 06:00 " in digest and "over 300 articles did not finish" in digest
    run([inbox], options(out, copy_marian, tiny_bart))
    assert "did not finish" not in (out / "digest.md").read_text(encoding="utf-8")


def test_a_file_that_fails_as_before_is_no_news_until_it_changes(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD, "empty.txt": ""})
    out = tmp_path / "out"
    first = run([inbox], options(out, copy_marian, tiny_bart))
    [failure] = first.failures
    assert failure.failing_since is None and first.exit_code == 1
    second = run([inbox], options(out, copy_marian, tiny_bart))
    [still] = second.failures
    assert still.failing_since is not None and second.exit_code == 0
    digest = (out / "digest.md").read_text(encoding="utf-8")
    assert "## Failed" not in digest and "## Still failing" in digest
    assert "`empty.txt`" not in digest or "empty file (no text) _(since " in digest
    (inbox / "empty.txt").write_text(" ", encoding="utf-8")  # changed, and still failing: news
    third = run([inbox], options(out, copy_marian, tiny_bart))
    assert third.failures[0].failing_since is None and third.exit_code == 1
    # Mended: it is briefed, and no longer failing; should it break again, that is news.
    (inbox / "empty.txt").write_text(OTHER, encoding="utf-8")
    assert run([inbox], options(out, copy_marian, tiny_bart)).exit_code == 0
    (inbox / "empty.txt").write_text("", encoding="utf-8")
    assert run([inbox], options(out, copy_marian, tiny_bart)).failures[0].failing_since is None


def test_a_damaged_or_missing_history_costs_only_the_days_labels(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    out = tmp_path / "out"
    run([inbox], options(out, copy_marian, tiny_bart))
    for damage in ('{"format": 1, "versions": [', '{"format": 1, "versions": {"x": 1}}', "\x00" * 10):
        (out / HISTORY_NAME).write_text(damage, encoding="utf-8")
        again = run([inbox], options(out, copy_marian, tiny_bart))
        assert again.exit_code == 0 and not again.aborted
        assert "(a.md)" in (out / "digest.md").read_text(encoding="utf-8")
        json.loads((out / HISTORY_NAME).read_text(encoding="utf-8"))  # written anew, whole
    (out / HISTORY_NAME).unlink()
    (out / RUNS_NAME).write_text('{"format": 1, "runs": [{"started": "yesterday"}]}', encoding="utf-8")
    assert run([inbox], options(out, copy_marian, tiny_bart)).exit_code == 0
    assert json.loads((out / RUNS_NAME).read_text(encoding="utf-8")) == {"format": 1, "runs": []}
