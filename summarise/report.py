"""What a run tells its caller: the articles written, the failures, the abort, and its figures
(`RunReport`, whose `to_json` is the `--json` contract, summarise/report.schema.json), and the
progress a run reports as it goes."""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .brief import Brief, BriefCard, shown
from .memory import PhaseProgress
from .outputs import DIGEST_HTML_NAME
from .read import InputFile
from .render import shown_time

# The contract of `--json` (summarise/report.schema.json), versioned like the brief's.
REPORT_SCHEMA = "summarise/report/3"


class Progress(PhaseProgress, Protocol):
    """What a run reports as it goes: articles finished out of all, and (PhaseProgress) the phase
    it is in (loading a model, translating N segments, summarising M articles) with the steps of
    that phase, so that something moves while a wave is translated."""

    def start(self, total: int) -> None: ...
    def advance(self, articles: int = 1) -> None: ...


class NoProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, articles: int = 1) -> None:
        pass

    def phase(self, description: str, total: int | None = None, unit: str = "") -> None:
        pass

    def step(self, count: int = 1) -> None:
        pass


@dataclass(frozen=True)
class ArticleFailure:
    path: Path | str  # str: a web address
    reason: str
    skipped: bool = False  # not for this tool (another language, a PDF, our own output): not broken
    # Failing the same way since then (ISO 8601, UTC), the file unchanged: no news. None: news.
    failing_since: str | None = None

    @property
    def since_shown(self) -> str:
        """Since when it has failed this way, as a reader reads times; "" when this is news."""
        return shown_time(self.failing_since) if self.failing_since else ""

    @property
    def news(self) -> bool:
        """Something that went wrong and was not known before: what makes a run exit 1."""
        return not self.skipped and self.failing_since is None


@dataclass(frozen=True)
class ArticleOutcome:
    source: InputFile
    outputs: list[Path]  # its JSON record last
    cached: bool
    card: BriefCard  # the brief at a glance
    rewritten: bool = True  # False: the files on disk already said exactly this, and were left alone
    updated: bool = False  # an earlier version of the article was briefed in the folder before this one
    since: str = ""  # when this version was first briefed in the folder (ISO 8601, UTC); "" unknown

    @property
    def brief(self) -> Brief:
        """The whole brief, from its JSON record on disk."""
        return Brief.from_json(json.loads(self.outputs[-1].read_bytes()))


@dataclass(frozen=True)
class RunAbort:
    """Why a run stopped after it began; what was written before is whole."""

    reason: str
    advice: str = ""  # what to do about it, when there is something to say


@dataclass
class RunReport:
    articles: list[ArticleOutcome] = field(default_factory=list)
    failures: list[ArticleFailure] = field(default_factory=list)
    models_loaded: list[str] = field(default_factory=list)
    load_seconds: dict[str, float] = field(default_factory=dict)  # per model, when loaded
    digest: Path | None = None  # the latest digest (digest.md)
    dated_digest: Path | None = None  # the day's (digest-2026-12-06.md)
    interrupted: bool = False  # Ctrl-C: what is in `articles` is complete on disk, the rest not begun
    aborted: RunAbort | None = None
    segments_translated: int = 0  # by the model, this run
    segments_remembered: int = 0  # from the translation memory, this run
    seconds: float = 0.0  # the run's wall time, from finding the articles to the digest
    # The signal that asked the run to stop (the caller knows it: SIGINT when not said).
    stop_signal: int = signal.SIGINT

    @property
    def exit_code(self) -> int:
        if self.aborted:
            return 2
        if self.interrupted:
            return 128 + self.stop_signal  # as a shell reports a process that signal stopped
        # Skipped articles (another language, not an article) are not failures, and a file that
        # fails as it failed before, unchanged, is no news: exit 1 only for something new.
        return 1 if any(failure.news for failure in self.failures) else 0

    def to_json(self) -> dict[str, Any]:
        """The run as one JSON object (`--json`): a contract for scripts, like the brief's JSON."""
        written = [
            {
                "path": shown(str(a.source.path)),
                "outputs": [shown(str(p)) for p in a.outputs],
                "title": a.card.title,
                "language": a.card.language.code,
                "translated": a.card.language.translated,
                "from_cache": a.cached,
                "new": a.rewritten,
                "updated": a.updated,
                "version_since": a.since or None,
                "flagged_segments": a.card.flagged,
            }
            for a in self.articles
        ]
        skipped = [f for f in self.failures if f.skipped]
        failed = [f for f in self.failures if not f.skipped]
        return {
            "schema": REPORT_SCHEMA,
            "exit_code": self.exit_code,
            "counts": {
                "written": len(self.articles),
                "from_cache": sum(1 for a in self.articles if a.cached),
                "new": sum(1 for a in self.articles if a.rewritten),
                "unchanged": sum(1 for a in self.articles if not a.rewritten),
                "skipped": len(skipped),
                "failed": len(failed),
                "still_failing": sum(1 for f in failed if not f.news),
                "flagged_segments": sum(item["flagged_segments"] for item in written),
            },
            "articles": written,
            "skipped": [{"path": shown(str(f.path)), "reason": f.reason} for f in skipped],
            "failed": [
                {"path": shown(str(f.path)), "reason": f.reason, "failing_since": f.failing_since}
                for f in failed
            ],
            "segments": {"translated": self.segments_translated, "remembered": self.segments_remembered},
            "timings": {
                "total_seconds": round(self.seconds, 3),
                "model_load_seconds": {name: round(t, 3) for name, t in self.load_seconds.items()},
            },
            "digest": shown(str(self.digest)) if self.digest else None,
            "digest_html": shown(str(self.digest.with_name(DIGEST_HTML_NAME))) if self.digest else None,
            "dated_digest": shown(str(self.dated_digest)) if self.dated_digest else None,
            "interrupted": self.interrupted,
            "aborted": self.aborted.reason if self.aborted else None,
        }
