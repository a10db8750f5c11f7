"""The day's digest of an output folder: what is new or updated today (the reader's local day,
whatever number of runs made it), what failed, every other brief of the run by title, and the runs
that did not finish. Made from the run's outcomes and the folder's history; rendered by render.py.

The digest is written when a run ends, and also when it begins over a folder that has one: a run
killed without a word (out of memory, a machine switched off) leaves a digest that says it did not
finish, not yesterday's as if nothing had happened.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from .brief import Brief, BriefCard
from .history import History, RunEntry, Version
from .outputs import previous_record
from .render import Digest, DigestEntry, DigestProblem, local, shown_clock, shown_day
from .report import ArticleFailure


@dataclass(frozen=True)
class Briefed:
    """An article with a brief in the folder, as the digest lists it."""

    card: BriefCard
    link: PurePosixPath  # its Markdown page, relative to the folder
    version: Version


@dataclass(frozen=True)
class RunState:
    """The run that writes the digest: how far it got."""

    started: str  # ISO 8601, UTC
    total: int
    done: int
    ending: (
        str  # "" (it went to its end), "running" (the digest of its start), "interrupted", or why it stopped
    )


def day_digest(
    now: datetime,
    briefed: Mapping[str, Briefed],
    failures: Sequence[ArticleFailure],
    history: History,
    run: RunState,
    inputs: Collection[str] = (),
) -> Digest:
    """The digest of the reader's day that `now` falls in: this run's briefs (`briefed`, by the
    article's absolute path) and the folder's other briefs of today (from the history, read from
    their JSON records), other than those of the run's `inputs` (the run lists them itself)."""
    today = now.astimezone()
    listed = dict(briefed)
    gone = []
    for key, version in history.versions().items():
        if key in listed or key in inputs or not _same_day(version.since, today):
            continue
        if (card := _card(history.folder, version)) is None:
            gone.append(key)  # its brief was removed, or replaced by another article's
        else:
            listed[key] = Briefed(card, link_of(version.record), version)
    history.forget(gone)
    entries = [_entry(item, today) for item in listed.values()]
    problems = [
        DigestProblem(
            str(f.path), f.reason, f.skipped, _since(f.failing_since, today) if f.failing_since else ""
        )
        for f in failures
    ]
    notes = [_note(run_entry) for run_entry in history.unfinished_runs()]
    if run.ending:
        notes.insert(0, _this_run(run, today))
    return Digest(shown_day(today), shown_clock(today), entries, problems, notes)


def link_of(record: str) -> PurePosixPath:
    """A brief's Markdown page from its JSON record's path (`a/b.json` -> `a/b.md`)."""
    return PurePosixPath(record[: -len(".json")] + ".md")


def _entry(item: Briefed, today: datetime) -> DigestEntry:
    version = item.version
    if not _same_day(version.since, today):
        return DigestEntry(item.card, item.link, "")
    when = local(version.since)
    return DigestEntry(
        item.card, item.link, "updated" if version.updated else "new", shown_clock(when) if when else ""
    )


def _same_day(since: str, today: datetime) -> bool:
    moment = local(since) if since else None
    return moment is not None and moment.date() == today.date()


def _since(iso: str, today: datetime) -> str:
    """ "09:12 CET" today, "Friday 4 December 2026" before."""
    moment = local(iso)
    if moment is None:
        return iso
    return shown_clock(moment) if moment.date() == today.date() else shown_day(moment)


def _card(folder: Path, version: Version) -> BriefCard | None:
    """The brief at a glance, from its JSON record; None where the record is gone, or now holds
    another version of the article (or another article)."""
    record = previous_record(folder / version.record)
    try:
        brief = Brief.from_json(record) if record is not None else None
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if (
        brief is None
        or brief.source.sha256 != version.sha256
        or not os.path.isfile(folder / link_of(version.record))
    ):
        return None
    return BriefCard.of(brief)


def _when(iso: str, today: datetime) -> str:
    moment = local(iso)
    if moment is None:
        return iso
    return (
        f"at {shown_clock(moment)}"
        if moment.date() == today.date()
        else f"on {shown_day(moment)} at {shown_clock(moment)}"
    )


def _this_run(run: RunState, today: datetime) -> str:
    started = _when(run.started, today)
    left = run.total - run.done
    if run.ending == "running":
        return (
            f"A run started {started} over {run.total} articles has not finished (it is still going, or "
            "it was stopped without a word: killed, or the machine went down); its articles are listed "
            "as earlier runs left them."
        )
    how = "was interrupted" if run.ending == "interrupted" else f"stopped: {run.ending}"
    return (
        f"This run (started {started}) {how} before it finished: {left} of {run.total} articles were "
        "not reached (listed as earlier runs left them, where they briefed them); run it again to do "
        "the rest."
    )


def _note(run: RunEntry) -> str:
    today = datetime.now().astimezone()
    started = _when(run.started, today)
    if run.outcome == "running":
        return (
            f"The run started {started} over {run.total} articles did not finish: it was stopped "
            "without a word (killed, or the machine went down)."
        )
    how = "was interrupted" if run.outcome == "interrupted" else f"stopped ({run.reason})"
    return f"The run started {started} {how} after {run.done} of {run.total} articles."
