"""The library's entry point: run the flow over files and folders and write the outputs.

    read -> clean -> language -> segment -> translate -> summarise -> render, around a store.

Articles are taken in waves: all segments of a wave are translated together in length-sorted
batches, then the wave's articles are summarised a few at a time and written, so memory stays
bounded and finished briefs are on disk as early as possible.

Errors go one way. `run()` raises only before any work starts (bad options, models missing). After
that, every failure belongs to an article (whatever went wrong, typed or not, becomes that
article's failure with its reason, and the rest go on), or stops the run as an abort in the report
(output folder or cache unusable, a model that cannot be loaded). `_conclude` is the one place
where an article's outcome is decided.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

# The stages called through their modules: a test replaces a stage where it lives.
from . import clean, discover, read
from .article import (
    BriefParts,
    assemble_brief,
    content_digest,
    decide_language,
    evidence,
    much_removed_note,
    summary_input,
)
from .brief import Brief, BriefCard, SummaryRecord, Translation
from .cache import SUMMARY, TRANSLATION, LastRun, Store, cache_key
from .clean import REPEATED_MIN_ARTICLES, CleanText, RepeatedLines, line_keys
from .digest import Briefed, RunState, day_digest, link_of
from .errors import (
    CacheError,
    ConfigError,
    FetchError,
    InputError,
    ModelLoadError,
    NoArticles,
    OutputError,
    OutputFolderUnusable,
    StopRequested,
    SummariseError,
    first_line,
)
from .fetch import PAGES_FOLDER, FetchSettings, feeds_of, fetch_all, is_web_address
from .glossary import GlossaryTranslator
from .history import History, Outcome
from .language import Language
from .ledger import Ledger, LedgerEntry, code_identity
from .memory import SEGMENTS_PER_PASS, TranslationMemory
from .options import Options
from .output_folder import OutputFolder
from .read import SUPPORTED_SUFFIXES, Article, InputFile
from .report import (
    ArticleFailure,
    ArticleOutcome,
    NoProgress,
    Progress,
    RunAbort,
    RunReport,
)
from .segment import Segmentation, segment_paragraphs
from .session import ModelSession
from .summary import Summary
from .translate import Translator, assemble_translation

log = logging.getLogger(__name__)
_T = TypeVar("_T")

# Characters of German read before a wave is translated: enough to fill batches well, small
# enough that a folder of thousands of articles never sits in memory at once.
WAVE_CHARACTERS = 100_000
CLUSTER_WAVE_CHARACTERS = 20_000_000


def run(
    paths: Sequence[Path | str],
    options: Options,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> RunReport:
    """Brief (or, without a summariser, translate) every article under `paths` into `options.out_dir`:
    files and folders, and web addresses (text that starts with http:// or https://), fetched first.

        Raises (a SummariseError) only before any work starts. `should_stop`: polled between batches
        and articles; once true, the run keeps what is finished (translated segments go to the
        translation memory) and ends with `report.interrupted`. One run of a `Briefer` opened for it.
    """
    with Briefer.open(options) as briefer:
        return briefer.run(paths, progress, should_stop)


class Briefer:
    """summarise as a long-lived object: the cache store and the model session are kept between
    runs, so a watcher or a service pays for loading the models once, not per run.

        with Briefer.open(options) as briefer:
            report = briefer.run([inbox])
            ...
            report = briefer.run([inbox])  # the models loaded by the first run are used again

    Models are resolved at the first run (after its output folder is checked, so that nothing is
    downloaded for a run that would be refused) and loaded on first use; `close()` releases them
    and the store. Each run's report counts only what that run loaded.
    """

    def __init__(self, options: Options) -> None:
        self.options = options
        self.store = Store.at(options.cache_dir)
        self._session: ModelSession | None = None

    @classmethod
    def open(cls, options: Options) -> Briefer:
        """A briefer for `options`; raises (a SummariseError) where they are out of bounds."""
        options.check()
        return cls(options)

    def __enter__(self) -> Briefer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the models (they load again on the next run that needs them) and the store."""
        self._session = None
        self.store.close()

    @property
    def holds_models(self) -> bool:
        """Whether a model (or the language detector) is loaded and held."""
        session = self._session
        return session is not None and bool(session.loaded or session.load_seconds)

    def release_models(self) -> None:
        """Let the models go (a long-lived watcher, idle); the next run that needs one loads it
        again. The store stays open."""
        self._session = None

    def session(self) -> ModelSession:
        """The model session: resolved once (no model loaded until one is used)."""
        if self._session is None:
            self._session = ModelSession(self.options, self.store.converted_models)
        return self._session

    def run(
        self,
        paths: Sequence[Path | str],
        progress: Progress | None = None,
        should_stop: Callable[[], bool] | None = None,
        later: Collection[Path] = (),
        feeds: Sequence[str] | None = None,
    ) -> RunReport:
        """One run over `paths`, as `summarise.run` does it. `later`: files left for a later run
        (a watcher's files still being written), as if they were not there yet. `feeds`: the feeds
        read in this run (None: the options')."""
        options = self.options if feeds is None else replace(self.options, feeds=tuple(feeds))
        store = self.store
        started = time.perf_counter()
        if not paths and not options.feeds:
            raise NoArticles("nothing to brief: give files, folders or web addresses (PATH), or --feed")
        urls = [p for p in paths if isinstance(p, str) and is_web_address(p)]
        files = [Path(p) for p in paths if not (isinstance(p, str) and is_web_address(p))]
        inputs, problems = discover.discover_inputs(files, exclude=options.out_dir) if files else ([], [])
        if later:
            waiting = {os.path.abspath(path) for path in later}
            inputs = [f for f in inputs if os.path.abspath(f.path) not in waiting]
        if urls or options.feeds:  # the only network access of a run: none without an address
            store.check()
            self.session()  # the models resolved first: one missing is said before any page is fetched
            pages, unfetched = self._fetch(urls, options, progress)
            inputs += pages
            problems += unfetched
        if not inputs and not problems and not urls and not options.feeds:
            if folders := [str(p) for p in files if p.is_dir() and discover.is_output_folder(p)]:
                raise ConfigError(
                    f"{', '.join(folders)}: a folder of summarise's outputs (briefs or translations), not of "
                    "articles: give the folder the articles are in"
                )
            suffixes = ", ".join(SUPPORTED_SUFFIXES)
            raise NoArticles(f"no article files ({suffixes}) found in " + ", ".join(str(p) for p in files))
        if not inputs:
            return RunReport(failures=[ArticleFailure(_where(p), p.reason, p.skipped) for p in problems])
        store.check()
        # The output folder before the models: what would be refused there is said before a download.
        output = OutputFolder.checked(options.out_dir, inputs, options.summariser is not None)
        fresh = self._session is None
        session = self.session()
        if not fresh:  # a long-lived briefer: the glossary as it is now
            session.refresh_glossary()
        output.prepare()
        ledger = output.ledger(_ledger_context(options, session))
        history = History.load(output.folder)
        run = _Run(inputs, output, ledger, history, options, store, session, progress, should_stop)
        report = run.go(problems)
        report.seconds = time.perf_counter() - started
        return report

    def _fetch(
        self, urls: list[str], options: Options, progress: Progress | None
    ) -> tuple[list[InputFile], list[InputError]]:
        """The pages of `urls` and of the options' feeds' entries, kept in the pages folder, as the
        run's inputs (their outputs go to `<host>/<name>` in the output folder), and the addresses
        that could not be had."""
        folder = options.pages_dir or options.out_dir / PAGES_FOLDER
        settings = FetchSettings(options.max_bytes, options.fetch_interval, options.refetch)
        counted = [(len(urls), "web page"), (len(options.feeds), "feed")]
        said = " and ".join(f"{n} {noun}{'s' if n != 1 else ''}" for n, noun in counted if n)
        (progress or NoProgress()).phase(f"fetching {said}")
        feeds, unreadable = feeds_of(options.feeds)
        result = fetch_all(urls, feeds, settings, folder)
        result.failures += unreadable
        inputs = [InputFile(page.path, page.relative, web=page.metadata) for page in result.pages]
        return inputs, list(result.failures)


@dataclass(frozen=True)
class _Prepared:
    """An article read and cleaned, with the keys of its results (none of them found yet)."""

    source: InputFile
    article: Article
    cleaned: CleanText
    translation_key: str
    summary_key: str | None  # None: a translate-only run
    glossary: dict[str, Any] | None = None  # the glossary entries in its German (session.glossary_of)


@dataclass(frozen=True)
class _Translated:
    """An article with its translation, and its summary once made or found."""

    prepared: _Prepared
    translation: Translation
    summary: SummaryRecord | None = None
    cached: bool = False  # every result it needs was in the cache

    @property
    def source(self) -> InputFile:
        return self.prepared.source

    @property
    def needs_summary(self) -> bool:
        return self.prepared.summary_key is not None and self.summary is None


@dataclass(frozen=True)
class _German:
    """An article to translate: German (detected, or as --source-lang says)."""

    prepared: _Prepared
    language: Language
    segmentation: Segmentation | None = None


@dataclass(frozen=True)
class _Failed:
    source: InputFile
    reason: str
    skipped: bool = False  # not for this tool (another language): not broken


@dataclass(frozen=True)
class _Listed:
    """An article unchanged since the last run: listed from the ledger, its files as they are."""

    source: InputFile
    entry: LedgerEntry


# How an article ends: written (listed as it was, or briefed now), or failed.
_Ending = _Listed | _Translated | _Failed


# Errors that stop the whole run rather than one article: every other article would meet them.
_RUN_STOPPERS = (StopRequested, OutputFolderUnusable, CacheError, ModelLoadError, ConfigError)


class _Run:
    def __init__(
        self,
        inputs: list[InputFile],
        output: OutputFolder,
        ledger: Ledger,
        history: History,
        options: Options,
        store: Store,
        session: ModelSession,
        progress: Progress | None,
        should_stop: Callable[[], bool] | None,
    ) -> None:
        progress = progress or NoProgress()
        self.inputs = inputs
        self.options = options
        self.store = store
        self.session = session
        self.memory: TranslationMemory | None = None  # in front of the translator, once it is loaded
        self.loaded_before = set(session.loaded)  # by earlier runs of the same Briefer
        self.load_seconds_before = set(session.load_seconds)
        self.progress = progress
        self.should_stop = should_stop or (lambda: False)
        self.report = RunReport()
        self.created = datetime.now(UTC).replace(microsecond=0).isoformat()
        self.briefed: dict[str, Briefed] = {}  # this run's briefs, by the article's absolute path
        self.finished: set[InputFile] = set()  # written or failed
        self.output = output
        self.history = history
        self.read_ahead: dict[InputFile, Article] = {}  # articles the evidence pass read, kept
        self.repeated: RepeatedLines | None = None
        self.ledger = ledger
        # On a cluster each wave is one pass of the actor pool, which loads the models: larger.
        self.wave_characters = WAVE_CHARACTERS if session.cluster is None else CLUSTER_WAVE_CHARACTERS

    def go(self, problems: Sequence[InputError]) -> RunReport:
        report = self.report
        for problem in problems:
            self._fail(_where(problem), problem.reason, problem.skipped)
        self.progress.start(len(self.inputs))
        self.history.begin(self.created, len(self.inputs))
        if self.options.summariser is not None and self.output.has_digest() and self._has_work():
            # Until it ends, the digest says a run is under way: one killed without a word says so.
            self._write_digest("running")
        try:
            # Boilerplate by evidence: short lines found in several articles of this run.
            if not self.options.keep_boilerplate and len(self.inputs) >= REPEATED_MIN_ARTICLES:
                self.repeated, self.read_ahead = evidence(
                    self.inputs, self.options.max_bytes, self.ledger, self.should_stop
                )
            self._articles()
        except (KeyboardInterrupt, StopRequested):
            # Every brief and cache entry already written is whole (atomic writes, one transaction
            # each); articles not finished are not written, and the next run does them (their
            # translated segments, kept in the translation memory, are not translated again).
            report.interrupted = True
        except (OutputFolderUnusable, CacheError) as error:
            # Disk full, read-only, a broken cache: nothing more can be kept. What is written is
            # whole, and what is cached stays usable.
            advice = "make room (or another --out/--cache-dir) and run the same command again"
            report.aborted = RunAbort(str(error), advice)
        except (ModelLoadError, ConfigError) as error:  # a model that cannot be loaded (here)
            report.aborted = RunAbort(str(error))
        finally:
            # This run's loading only: a long-lived session kept what earlier runs loaded.
            report.models_loaded = [role for role in self.session.loaded if role not in self.loaded_before]
            report.load_seconds = {
                name: seconds
                for name, seconds in self.session.load_seconds.items()
                if name not in self.load_seconds_before
            }
            if self.memory is not None:
                report.segments_translated = self.memory.translated
                report.segments_remembered = self.memory.remembered
            try:
                self.store.record_run(self._figures())
            except CacheError as error:
                log.warning("%s", error)
            self.store.close()
            self.ledger.save(unfinished=self._unfinished())
        ending = "interrupted" if report.interrupted else report.aborted.reason if report.aborted else ""
        outcome: Outcome = (
            "interrupted" if report.interrupted else "aborted" if report.aborted else "complete"
        )
        self.history.finish(outcome, len(self.inputs) - len(self._unfinished()), ending)
        # A digest whenever there is something to tell: briefs, or only articles that failed.
        if self.options.summariser is not None and (
            self.briefed or report.failures or self.output.has_digest()
        ):
            try:
                report.digest, report.dated_digest = self._write_digest(ending)
            except OutputError as error:
                report.aborted = report.aborted or RunAbort(
                    str(error), "make room (or another --out) and run it again"
                )
        self.output.compact()
        return report

    def _has_work(self) -> bool:
        """Some article's file is not as the ledger knows it: the run may take a while."""
        return any(self.ledger.article(source) is None for source in self.inputs)

    def _unfinished(self) -> list[InputFile]:
        """The run's articles it did not finish (it was stopped)."""
        return [source for source in self.inputs if source not in self.finished]

    def _write_digest(self, ending: str) -> tuple[Path, Path]:
        """The day's digest as the run leaves it; `ending`: see RunState. Articles the run did not
        reach are listed as earlier runs left them."""
        briefed = dict(self.briefed)
        for source in self._unfinished():
            key = os.path.abspath(source.path)
            entry = self.ledger.previous.get(key)
            version = self.history.version(key)
            if entry is None or version is None or version.sha256 != entry.sha256:
                continue
            if self.ledger.outputs_unchanged(entry, self.output.files[source]):
                briefed[key] = Briefed(entry.card, link_of(version.record), version)
        done = len(self.inputs) - len(self._unfinished())
        now = datetime.now(UTC)
        state = RunState(self.created, len(self.inputs), done, ending)
        inputs = {os.path.abspath(source.path) for source in self.inputs}
        digest = day_digest(now, briefed, self.report.failures, self.history, state, inputs)
        return self.output.write_digest(digest, now.astimezone().date())

    def _articles(self) -> None:
        wave: list[_Prepared | _Translated] = []
        characters = 0
        for source in self.inputs:
            if self.should_stop():
                raise StopRequested("stopped between articles")
            if (entry := self._unchanged_since_last_run(source)) is not None:
                self._conclude(_Listed(source, entry))
                continue
            found = self._attempt(source, partial(self._read_and_look_up, source))
            if isinstance(found, _Failed) or (isinstance(found, _Translated) and not found.needs_summary):
                self._conclude(found)
                continue
            wave.append(found)
            prepared = found if isinstance(found, _Prepared) else found.prepared
            characters += sum(len(p) for p in prepared.cleaned.paragraphs)
            if characters >= self.wave_characters:
                self._wave(wave)
                wave, characters = [], 0
                self.progress.phase("reading articles")
        if wave:
            self._wave(wave)

    def _attempt(self, source: InputFile, step: Callable[[], _T]) -> _T | _Failed:
        """`step()`, or the article's failure when it fails (unless that stops the whole run)."""
        try:
            return step()
        except _RUN_STOPPERS:
            raise
        except Exception as error:
            return _Failed(source, self._reason(error, [source]))

    def _reason(self, error: Exception, sources: Sequence[InputFile]) -> str:
        """Why these articles failed, in one line: the library's own words where it raised a
        typed error; else (a bug, or a library's surprise) the error's type and first line."""
        if isinstance(error, InputError):
            return error.reason
        if isinstance(error, SummariseError):
            return str(error)
        log.info("unexpected error in %s", ", ".join(str(s.path) for s in sources), exc_info=error)
        return f"{type(error).__name__}: {first_line(error)}"

    def _conclude(self, ending: _Ending) -> None:
        """The one place where an article's outcome is decided and recorded: written, or failed
        (and why)."""
        written: ArticleOutcome | None = None
        if isinstance(ending, _Listed):
            files = self.output.written_order(ending.source)
            key, record = os.path.abspath(ending.source.path), self.output.record_path(ending.source)
            version = self.history.listed(key, ending.entry.sha256, record)
            self.briefed[key] = Briefed(ending.entry.card, link_of(record), version)
            card = ending.entry.card
            written = ArticleOutcome(ending.source, files, True, card, False, version.updated, version.since)
            for warning in ending.entry.warnings:
                log.warning("%s: %s", ending.source.path, warning)
            self.ledger.keep(ending.source, ending.entry)
        elif isinstance(ending, _Translated):
            outcome = self._attempt(ending.source, partial(self._write, ending))
            if isinstance(outcome, _Failed):
                ending = outcome
            else:
                written = outcome
        if isinstance(ending, _Failed):
            self._fail(ending.source.named, ending.reason, ending.skipped)
        elif written is not None:
            self.report.articles.append(written)
        self.finished.add(ending.source)
        self.progress.advance()

    def _fail(self, path: Path | str, reason: str, skipped: bool) -> None:
        """An article that failed, or was skipped (`path`: its file, or its web address); a failure
        known from earlier runs (the same reason, the file unchanged) says since when."""
        key = path if isinstance(path, str) else os.path.abspath(path)
        if skipped:
            self.history.skipped(key)
            since = None
        else:
            since = self.history.failed(key, path, reason, self.created)
        self.report.failures.append(ArticleFailure(path, reason, skipped, since))

    def _write(self, done: _Translated) -> ArticleOutcome:
        brief = self._brief(done)
        written = self.output.write_brief(brief, done.source)
        outputs = written.files
        key, record = os.path.abspath(done.source.path), self.output.record_path(done.source)
        sha256 = brief.source.sha256
        version = self.history.briefed(
            key, sha256, record, self.created, written.replaced, written.first_made
        )
        card = BriefCard.of(brief)
        self.briefed[key] = Briefed(card, link_of(record), version)
        lines = line_keys(done.prepared.article.paragraphs)
        self.ledger.record(
            done.prepared.article,
            lines,
            self._verdicts(lines),
            outputs,
            card,
            brief.source.warnings,
        )
        if brief.flags and not done.cached:
            retried = " even after a retry" if brief.coverage.retried else ""
            log.warning(
                "%s: %d of %d segments doubtful%s (see `flags` in its JSON)",
                done.source.path,
                len(brief.flags),
                brief.translated_units,
                retried,
            )
        return ArticleOutcome(
            done.source, outputs, done.cached, card, written.rewritten, version.updated, version.since
        )

    # ------------------------------------------------------------------------- the ledger

    def _unchanged_since_last_run(self, source: InputFile) -> LedgerEntry | None:
        """The ledger's entry for an article whose outputs need nothing: the file, what the run's
        evidence says of its lines, and its outputs are all as the last run left them."""
        entry = self.ledger.article(source)
        if entry is None or self._verdicts(entry.lines) != entry.verdicts:
            return None
        return entry if self.ledger.outputs_unchanged(entry, self.output.files[source]) else None

    def _verdicts(self, lines: Sequence[str]) -> tuple[int, ...]:
        return self.repeated.verdicts(lines) if self.repeated is not None else (0,) * len(lines)

    # ------------------------------------------------------------------------- the stages

    def _read_and_look_up(self, source: InputFile) -> _Prepared | _Translated:
        """The article read and cleaned; with its translation (and summary) where the cache has it."""
        article = self.read_ahead.pop(source, None) or read.read_article(source, self.options.max_bytes)
        for warning in article.warnings:
            log.warning("%s: %s", source.path, warning)
        cleaned = clean.clean_paragraphs(
            article.paragraphs,
            self.options.keep_boilerplate,
            self.repeated,
            blocks=article.blocks,
            links=article.links,
        )
        glossary = self.session.glossary_of(cleaned.headline, cleaned.paragraphs)
        translation_key = self.session.translation_key(content_digest(cleaned), glossary)
        summary_key = self.session.summary_key(translation_key)
        prepared = _Prepared(source, article, cleaned, translation_key, summary_key, glossary)
        translation = self.store.get(TRANSLATION, translation_key, Translation.from_json)
        if translation is None:
            return prepared
        summary = None
        if summary_key is not None:
            summary = self.store.get(SUMMARY, summary_key, SummaryRecord.from_json)
        found = _Translated(prepared, translation, summary)
        return replace(found, cached=not found.needs_summary)

    def _wave(self, wave: list[_Prepared | _Translated]) -> None:
        done: dict[InputFile, _Translated] = {}
        german: list[_German] = []
        for item in wave:
            if isinstance(item, _Translated):  # its translation was in the cache
                done[item.source] = item
                continue
            decided = self._attempt(item.source, partial(self._decide_language, item))
            if isinstance(decided, _Failed):
                self._conclude(decided)
            elif isinstance(decided, _Translated):
                done[item.source] = decided
            else:
                german.append(decided)
        if german:
            done.update(self._translate(german))
        translated = [done[item.source] for item in wave if item.source in done]
        # Summaries for a few articles at a time, batched together; each group is written as soon
        # as it is done, and Ctrl-C takes effect between groups.
        to_summarise = sum(1 for t in translated if t.needs_summary)
        if to_summarise:
            self._loading("summariser")
        size = self.session.summary_group() if to_summarise else len(translated)
        if to_summarise:
            self.progress.phase(f"summarising {to_summarise} articles", to_summarise, "article")
        for start in range(0, len(translated), max(1, size)):
            if self.should_stop():
                raise StopRequested("stopped between articles")
            group = translated[start : start + size]
            needing = [t for t in group if t.needs_summary]
            summarised = self._summarise(needing)
            self.progress.step(len(needing))
            for item in group:
                self._conclude(summarised.get(item.source, item))

    def _loading(self, role: str) -> None:
        if role not in self.session.loaded:
            converting = self.session.converts_first(role)
            self.progress.phase(
                f"loading the {role}" + (" (first use: converting it, once)" if converting else "")
            )

    def _decide_language(self, prepared: _Prepared) -> _German | _Translated | _Failed:
        decision = decide_language(prepared.cleaned, self.session.language_of)
        if decision.failure is not None:
            return _Failed(prepared.source, decision.failure, decision.skipped)
        if decision.passed is not None:  # English, passed through
            self.store.put(TRANSLATION, prepared.translation_key, decision.passed.to_json())
            return _Translated(prepared, decision.passed)
        assert decision.language is not None
        return _German(prepared, decision.language)

    def _translate(self, german: list[_German]) -> dict[InputFile, _Translated]:
        """Segment every article, translate all segments together, then rebuild each article."""
        self._loading("translator")
        translator = self.session.translator()  # its tokenizer measures the segments
        budget = self.session.translation.segment_tokens
        segmented: list[_German] = []
        for item in german:
            cleaned = item.prepared.cleaned
            segmentation = self._attempt(
                item.prepared.source,
                partial(
                    segment_paragraphs, cleaned.paragraphs, translator.count_tokens, budget, cleaned.blocks
                ),
            )
            if isinstance(segmentation, _Failed):
                self._conclude(segmentation)
            else:
                segmented.append(replace(item, segmentation=segmentation))
        texts = [h for item in segmented if (h := item.prepared.cleaned.headline)]
        texts += [
            s.text
            for item in segmented
            if item.segmentation
            for s in item.segmentation.segments
            if not s.verbatim
        ]
        done: dict[InputFile, _Translated] = {}
        try:
            known = self._translator(translator).translate(texts, should_stop=self.should_stop)
            for item in segmented:
                cleaned = item.prepared.cleaned
                assert item.segmentation is not None
                translation = assemble_translation(
                    cleaned.headline,
                    len(cleaned.paragraphs),
                    item.segmentation,
                    item.language.record(translated=True),
                    known,
                    translator.engine.description,
                    cleaned.blocks,
                )
                self.store.put(TRANSLATION, item.prepared.translation_key, translation.to_json())
                done[item.prepared.source] = _Translated(item.prepared, translation)
        except _RUN_STOPPERS:
            raise
        except Exception as error:  # the batch as a whole failed: each of its articles
            reason = self._reason(error, [item.prepared.source for item in segmented])
            for item in segmented:
                self._conclude(_Failed(item.prepared.source, reason))
            return {}
        return done

    def _memory(self, translator: Translator) -> TranslationMemory:
        """The translation memory in front of the translator (one for the run: it counts)."""
        if self.memory is None:
            # On a cluster a wave goes in one pass: the actors tokenize their own calls, and each
            # pass of the actor pool loads the model again.
            per_pass = SEGMENTS_PER_PASS if self.session.cluster is None else 2**62
            self.memory = TranslationMemory(
                self.store, translator, self.session.segment_key, self.progress, per_pass
            )
        return self.memory

    def _translator(self, translator: Translator) -> Translator:
        """What translates a wave: the glossary (when there is one) in front of the memory."""
        memory = self._memory(translator)
        glossary = self.session.glossary
        return GlossaryTranslator(glossary, memory) if glossary else memory

    def _summarise(self, needing: list[_Translated]) -> dict[InputFile, _Translated | _Failed]:
        """Each article's summary (or its failure), made together in shared batches."""
        results: dict[InputFile, _Translated | _Failed] = {}
        if not needing:
            return results
        try:
            self._loading("summariser")
            summariser = self.session.summariser()

            def keep(done: dict[int, Summary | SummariseError]) -> None:
                # Stored as they come: on a cluster, a stopped driver keeps the summaries made.
                for index, outcome in done.items():
                    item = needing[index]
                    if isinstance(outcome, SummariseError):
                        results[item.source] = _Failed(item.source, str(outcome))
                        continue
                    # The summary follows the glossary of the article's translation.
                    glossary = self.session.glossary
                    edited = glossary.edit_text(outcome.text, glossary.terms_used(item.translation))
                    record = SummaryRecord(
                        edited.text,
                        outcome.chunks,
                        outcome.rounds,
                        summariser.engine.description,
                        edited.uses,
                    )
                    assert item.prepared.summary_key is not None
                    self.store.put(SUMMARY, item.prepared.summary_key, record.to_json())
                    results[item.source] = replace(item, summary=record)

            summariser.summarise_many([summary_input(t.translation) for t in needing], keep)
        except _RUN_STOPPERS:
            raise
        except Exception as error:  # the group as a whole failed: each of its articles
            reason = self._reason(error, [item.source for item in needing])
            return {item.source: _Failed(item.source, reason) for item in needing}
        return results

    # ------------------------------------------------------------------------- the brief

    def _brief(self, done: _Translated) -> Brief:
        article, cleaned, translation = done.prepared.article, done.prepared.cleaned, done.translation
        warnings = list(article.warnings)
        for note in (self.output.shortened_name(done.source), much_removed_note(cleaned)):
            if note is not None:
                log.warning("%s: %s", done.source.path, note)
                warnings.append(note)
        summariser_engine = done.summary.engine if done.summary else None
        parts = BriefParts(
            translation=translation,
            summary=done.summary,
            models=self.session.models_used(
                translation.engine if translation.translated else "", summariser_engine
            ),
            settings=self._settings(done),
            keep_boilerplate=self.options.keep_boilerplate,
            cached=done.cached,
            created=self.created,
        )
        return assemble_brief(article, cleaned, warnings, parts)

    def _settings(self, done: _Translated) -> dict[str, dict[str, object]]:
        """The settings a brief records: the run's, and the glossary's entries that applied to
        its German (none to English passed through)."""
        glossary = done.prepared.glossary
        settings = self.session.settings()
        return settings | {"glossary": glossary} if glossary and done.translation.translated else settings

    def _figures(self) -> LastRun:
        report = self.report
        return LastRun(
            finished=self.created,
            articles=len(report.articles),
            articles_from_cache=sum(1 for a in report.articles if a.cached),
            segments_translated=report.segments_translated,
            segments_remembered=report.segments_remembered,
            failed=len(report.failures),
            interrupted=report.interrupted,
        )


def _where(problem: InputError) -> Path | str:
    """What a problem is about: a file, or a web address (kept as written: a Path folds its //)."""
    return problem.url if isinstance(problem, FetchError) else problem.path


def _ledger_context(options: Options, session: ModelSession) -> str:
    """Everything besides an article and the run's evidence that decides what its outputs say."""
    models = [session.translator_ref, session.summariser_ref]
    return cache_key(
        kind="ledger",
        code=code_identity(),
        models=[[m.name, m.revision, m.source, m.identity] for m in models if m is not None],
        settings=session.settings(),
        # Any edit of the glossary has every article looked up again (from the cache, where its
        # own entries did not change: its brief comes out the same and is left alone).
        glossary=session.glossary.fingerprint if session.glossary else None,
        source_language=options.source_language,
        keep_boilerplate=options.keep_boilerplate,
        max_bytes=options.max_bytes,
    )
