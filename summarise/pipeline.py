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
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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
from .errors import (
    CacheError,
    ConfigError,
    InputError,
    ModelLoadError,
    OutputError,
    OutputFolderUnusable,
    StopRequested,
    SummariseError,
    first_line,
)
from .language import Language
from .ledger import Ledger, LedgerEntry, code_identity
from .memory import SEGMENTS_PER_PASS, TranslationMemory
from .options import Options
from .output_folder import OutputFolder
from .read import (
    Article,
    InputFile,
)
from .render import (
    Digest,
    DigestEntry,
    DigestProblem,
)
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

# Characters of German read before a wave is translated: enough to fill batches well, small
# enough that a folder of thousands of articles never sits in memory at once.
WAVE_CHARACTERS = 100_000
CLUSTER_WAVE_CHARACTERS = 20_000_000


def run(
    paths: Sequence[Path],
    options: Options,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> RunReport:
    """Brief (or, without a summariser, translate) every article under `paths` into `options.out_dir`.

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

    def session(self) -> ModelSession:
        """The model session: resolved once (no model loaded until one is used)."""
        if self._session is None:
            self._session = ModelSession(self.options, self.store.converted_models)
        return self._session

    def run(
        self,
        paths: Sequence[Path],
        progress: Progress | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> RunReport:
        """One run over `paths`, as `summarise.run` does it."""
        options = self.options
        store = self.store
        started = time.perf_counter()
        inputs, problems = discover.discover_inputs(paths, exclude=options.out_dir)
        if not inputs and not problems:
            if folders := [str(p) for p in paths if p.is_dir() and discover.is_output_folder(p)]:
                raise ConfigError(
                    f"{', '.join(folders)}: a folder of summarise's outputs (briefs or translations), not of "
                    "articles: give the folder the articles are in"
                )
            raise ConfigError("no .txt, .md or .html files found in " + ", ".join(str(p) for p in paths))
        if not inputs:
            return RunReport(failures=[ArticleFailure(p.path, p.reason, p.skipped) for p in problems])
        store.check()
        # The output folder before the models: what would be refused there is said before a download.
        output = OutputFolder.checked(options.out_dir, inputs, options.summariser is not None)
        session = self.session()
        output.prepare()
        ledger = output.ledger(_ledger_context(options, session))
        run = _Run(inputs, output, ledger, options, store, session, progress, should_stop)
        report = run.go(problems)
        report.seconds = time.perf_counter() - started
        return report


@dataclass
class _Work:
    """One article on its way through the flow."""

    source: InputFile
    article: Article | None = None
    cleaned: CleanText | None = None
    translation_key: str = ""
    summary_key: str | None = None
    language: Language | None = None
    segmentation: Segmentation | None = None
    translation: Translation | None = None
    summary: SummaryRecord | None = None
    cached: bool = False
    listed: LedgerEntry | None = None  # unchanged since the last run: listed from the ledger, as it was
    failure: str | None = None
    skipped: bool = False  # the failure is a skip: written in a language this tool does not translate

    @property
    def needs_summary(self) -> bool:
        return self.summary_key is not None and self.summary is None


# Errors that stop the whole run rather than one article: every other article would meet them.
_RUN_STOPPERS = (StopRequested, OutputFolderUnusable, CacheError, ModelLoadError, ConfigError)


class _Run:
    def __init__(
        self,
        inputs: list[InputFile],
        output: OutputFolder,
        ledger: Ledger,
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
        self.digest: list[DigestEntry] = []
        self.output = output
        self.read_ahead: dict[InputFile, Article] = {}  # articles the evidence pass read, kept
        self.repeated: RepeatedLines | None = None
        self.ledger = ledger
        # On a cluster each wave is one pass of the actor pool, which loads the models: larger.
        self.wave_characters = WAVE_CHARACTERS if session.cluster is None else CLUSTER_WAVE_CHARACTERS

    def go(self, problems: Sequence[InputError]) -> RunReport:
        report = self.report
        report.failures.extend(ArticleFailure(p.path, p.reason, p.skipped) for p in problems)
        self.progress.start(len(self.inputs))
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
            finished = {a.source.path for a in report.articles} | {f.path for f in report.failures}
            self.ledger.save(unfinished=[s for s in self.inputs if s.path not in finished])
        # A digest whenever there is something to tell: briefs, or only articles that failed.
        if self.options.summariser is not None and (self.digest or report.failures) and not report.aborted:
            unbriefed = [DigestProblem(str(f.path), f.reason, f.skipped) for f in report.failures]
            digest = Digest(self.created, self.digest, unbriefed)
            try:
                report.digest = self.output.write_digest(digest)
            except OutputError as error:
                report.aborted = RunAbort(str(error), "make room (or another --out) and run it again")
        self.output.compact()
        return report

    def _articles(self) -> None:
        wave: list[_Work] = []
        characters = 0
        for source in self.inputs:
            if self.should_stop():
                raise StopRequested("stopped between articles")
            work = _Work(source)
            work.listed = self._unchanged_since_last_run(source)
            if work.listed is not None:
                self._conclude(work)
                continue
            with self._contained(work):
                self._read_and_look_up(work)
            if work.failure or work.cached:
                self._conclude(work)
                continue
            wave.append(work)
            assert work.cleaned is not None
            characters += sum(len(p) for p in work.cleaned.paragraphs)
            if characters >= self.wave_characters:
                self._wave(wave)
                wave, characters = [], 0
                self.progress.phase("reading articles")
        if wave:
            self._wave(wave)

    @contextmanager
    def _contained(self, *works: _Work) -> Iterator[None]:
        """Whatever goes wrong in here belongs to these articles alone (their failure, with its
        reason), unless it stops the whole run."""
        try:
            yield
        except _RUN_STOPPERS:
            raise
        except InputError as error:
            for work in works:
                work.failure = error.reason
        except SummariseError as error:
            for work in works:
                work.failure = str(error)
        except Exception as error:  # a bug, or a library's surprise: these articles only
            log.info("unexpected error in %s", ", ".join(str(w.source.path) for w in works), exc_info=True)
            for work in works:
                work.failure = f"{type(error).__name__}: {first_line(error)}"

    def _conclude(self, work: _Work) -> None:
        """The one place where an article's outcome is decided: written, or failed (and why)."""
        written: ArticleOutcome | None = None
        if work.listed is not None:
            files = self.output.written_order(work.source)
            written = ArticleOutcome(work.source, files, True, work.listed.card, False)
            for warning in work.listed.warnings:
                log.warning("%s: %s", work.source.path, warning)
            self.ledger.keep(work.source, work.listed)
        elif work.failure is None:
            with self._contained(work):
                brief = self._brief(work)
                outputs, rewritten = self.output.write_brief(brief, work.source)
                written = ArticleOutcome(work.source, outputs, work.cached, BriefCard.of(brief), rewritten)
                self._record(work, brief, outputs)
                flags = brief.flags
                if flags and not work.cached:
                    retried = " even after a retry" if brief.coverage.retried else ""
                    log.warning(
                        "%s: %d of %d segments doubtful%s (see `flags` in its JSON)",
                        work.source.path,
                        len(flags),
                        brief.translated_units,
                        retried,
                    )
        if written is None:
            failure = ArticleFailure(work.source.path, work.failure or "not done", work.skipped)
            self.report.failures.append(failure)
        else:
            self.report.articles.append(written)
            link = self.output.digest_link(work.source)
            self.digest.append(DigestEntry(written.card, link, new=written.rewritten))
        self.progress.advance()

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

    def _record(self, work: _Work, brief: Brief, outputs: list[Path]) -> None:
        assert work.article is not None
        lines = line_keys(work.article.paragraphs)
        card = BriefCard.of(brief)
        self.ledger.record(work.article, lines, self._verdicts(lines), outputs, card, brief.source.warnings)

    # ------------------------------------------------------------------------- the stages

    def _read_and_look_up(self, work: _Work) -> None:
        article = self.read_ahead.pop(work.source, None) or read.read_article(
            work.source, self.options.max_bytes
        )
        work.article = article
        for warning in article.warnings:
            log.warning("%s: %s", work.source.path, warning)
        work.cleaned = cleaned = clean.clean_paragraphs(
            article.paragraphs,
            self.options.keep_boilerplate,
            self.repeated,
            blocks=article.blocks,
            links=article.links,
        )
        work.translation_key = self.session.translation_key(content_digest(cleaned))
        work.summary_key = self.session.summary_key(work.translation_key)
        work.translation = self.store.get(TRANSLATION, work.translation_key, Translation.from_json)
        if work.translation is not None and work.summary_key is not None:
            work.summary = self.store.get(SUMMARY, work.summary_key, SummaryRecord.from_json)
        work.cached = work.translation is not None and not work.needs_summary

    def _wave(self, wave: list[_Work]) -> None:
        german: list[_Work] = []
        for work in wave:
            if work.translation is None:
                with self._contained(work):
                    self._decide_language(work)
                if work.failure:
                    self._conclude(work)
                elif work.translation is None:
                    german.append(work)
        if german:
            self._translate(german)
        translated = [work for work in wave if work.translation is not None and not work.failure]
        # Summaries for a few articles at a time, batched together; each group is written as soon
        # as it is done, and Ctrl-C takes effect between groups.
        to_summarise = sum(1 for w in translated if w.needs_summary)
        if to_summarise:
            self._loading("summariser")
        size = self.session.summary_group() if to_summarise else len(translated)
        if to_summarise:
            self.progress.phase(f"summarising {to_summarise} articles", to_summarise, "article")
        for start in range(0, len(translated), max(1, size)):
            if self.should_stop():
                raise StopRequested("stopped between articles")
            group = translated[start : start + size]
            needing = [work for work in group if work.needs_summary]
            self._summarise(needing)
            self.progress.step(len(needing))
            for work in group:
                self._conclude(work)

    def _loading(self, role: str) -> None:
        if role not in self.session.loaded:
            converting = self.session.converts_first(role)
            self.progress.phase(
                f"loading the {role}" + (" (first use: converting it, once)" if converting else "")
            )

    def _decide_language(self, work: _Work) -> None:
        assert work.cleaned is not None
        decision = decide_language(work.cleaned, self.session.language_of)
        work.language = decision.language
        work.failure, work.skipped = decision.failure, decision.skipped
        if decision.passed is not None:
            work.translation = decision.passed
            self.store.put(TRANSLATION, work.translation_key, work.translation.to_json())

    def _translate(self, works: list[_Work]) -> None:
        """Segment every article, translate all segments together, then rebuild each article."""
        self._loading("translator")
        translator = self.session.translator()  # its tokenizer measures the segments
        for work in works:
            with self._contained(work):
                assert work.cleaned is not None
                work.segmentation = segment_paragraphs(
                    work.cleaned.paragraphs,
                    translator.count_tokens,
                    self.session.translation.segment_tokens,
                    work.cleaned.blocks,
                )
        for work in [w for w in works if w.failure]:
            self._conclude(work)
        works = [work for work in works if not work.failure]
        headlines = [w.cleaned.headline for w in works if w.cleaned and w.cleaned.headline]
        texts = [
            *headlines,
            *(s.text for w in works if w.segmentation for s in w.segmentation.segments if not s.verbatim),
        ]
        with self._contained(*works):
            known = self._memory(translator).translate(texts, should_stop=self.should_stop)
            for work in works:
                assert work.cleaned is not None and work.segmentation is not None and work.language
                work.translation = assemble_translation(
                    work.cleaned.headline,
                    len(work.cleaned.paragraphs),
                    work.segmentation,
                    work.language.record(translated=True),
                    known,
                    translator.engine.description,
                    work.cleaned.blocks,
                )
                self.store.put(TRANSLATION, work.translation_key, work.translation.to_json())
        for work in [w for w in works if w.failure]:  # the batch as a whole failed
            self._conclude(work)

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

    def _summarise(self, works: list[_Work]) -> None:
        if not works:
            return
        with self._contained(*works):
            self._loading("summariser")
            summariser = self.session.summariser()
            translated = [w for w in works if w.translation is not None]
            texts = [summary_input(w.translation) for w in translated if w.translation]

            def keep(done: dict[int, Summary | SummariseError]) -> None:
                # Stored as they come: on a cluster, a stopped driver keeps the summaries made.
                for index, outcome in done.items():
                    work = translated[index]
                    if isinstance(outcome, SummariseError):
                        work.failure = str(outcome)
                        continue
                    work.summary = SummaryRecord(
                        outcome.text, outcome.chunks, outcome.rounds, summariser.engine.description
                    )
                    assert work.summary_key is not None
                    self.store.put(SUMMARY, work.summary_key, work.summary.to_json())

            summariser.summarise_many(texts, keep)

    # ------------------------------------------------------------------------- the brief

    def _brief(self, work: _Work) -> Brief:
        article, translation, cleaned = work.article, work.translation, work.cleaned
        assert article is not None and translation is not None and cleaned is not None
        warnings = list(article.warnings)
        for note in (self.output.shortened_name(work.source), much_removed_note(cleaned)):
            if note is not None:
                log.warning("%s: %s", work.source.path, note)
                warnings.append(note)
        summariser_engine = work.summary.engine if work.summary else None
        parts = BriefParts(
            translation=translation,
            summary=work.summary,
            models=self.session.models_used(
                translation.engine if translation.translated else "", summariser_engine
            ),
            settings=self.session.settings(),
            keep_boilerplate=self.options.keep_boilerplate,
            cached=work.cached,
            created=self.created,
        )
        return assemble_brief(article, cleaned, warnings, parts)

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


def _ledger_context(options: Options, session: ModelSession) -> str:
    """Everything besides an article and the run's evidence that decides what its outputs say."""
    models = [session.translator_ref, session.summariser_ref]
    return cache_key(
        kind="ledger",
        code=code_identity(),
        models=[[m.name, m.revision, m.source, m.identity] for m in models if m is not None],
        settings=session.settings(),
        source_language=options.source_language,
        keep_boilerplate=options.keep_boilerplate,
        max_bytes=options.max_bytes,
    )
