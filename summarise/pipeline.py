"""The library's entry point: run the flow over files and folders and write the outputs.

    read -> clean -> language -> segment -> translate -> summarise -> render, with a cache around it.

Articles are taken in waves: all segments of a wave are translated together in length-sorted
batches, then each article of the wave is summarised and written before the next wave starts, so
memory stays bounded and finished briefs are on disk as early as possible.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from .cache import CONVERTED_MODELS, Cache, cache_dir, cache_key
from .clean import REPEATED_MIN_ARTICLES, CleanText, RepeatedLines, clean_paragraphs
from .engines import Engine, choose_engine, physical_cores
from .errors import CacheError, ConfigError, InputError, OutputError, StopRequested, SummariseError
from .language import ENGLISH, GERMAN, Language, LanguageIdentifier
from .models import ModelSpec, ResolvedModel, resolve_model
from .placement import EngineLoader
from .read import Article, InputFile, discover_inputs, read_article
from .render import (
    output_stems,
    render_brief,
    render_digest,
    render_json,
    render_translation,
    with_suffix_added,
    write_atomic,
    write_together,
)
from .segment import segment_paragraphs
from .summarise import Summariser, SummarySettings, summary_settings
from .translate import (
    TranslatedSegment,
    TranslationSettings,
    Translator,
    assemble_paragraphs,
    translation_settings,
)

log = logging.getLogger(__name__)

# Characters of German read before a wave is translated: enough to fill batches well, small
# enough that a folder of thousands of articles never sits in memory at once.
WAVE_CHARACTERS = 100_000
# Distinct segments tokenized and sorted together: plenty to batch well, and a huge article's
# token ids are never all in memory at once.
SEGMENTS_PER_PASS = 5_000
DIGEST_NAME = "digest.md"
LAST_RUN = ("run", "last")  # cache entry with the figures of the latest run, for `cache stats`


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, articles: int = 1) -> None: ...


class _NoProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, articles: int = 1) -> None:
        pass


@dataclass
class RunOptions:
    out_dir: Path
    translator: ModelSpec
    summariser: ModelSpec | None  # None: translate only
    device: str = "auto"
    threads: int | None = None  # default: physical cores
    beams: int | None = None
    cache_dir: Path | None = None
    engine: str = "auto"
    source_language: str = "auto"  # "de" or "en": skip language detection
    keep_boilerplate: bool = False  # the clean stage then only normalises white space
    # Benchmarks only (random weights never stop): fixed output lengths, see TranslationSettings.
    fixed_output_ratio: float | None = None
    fixed_summary_tokens: int | None = None


@dataclass(frozen=True)
class ArticleFailure:
    path: Path
    reason: str


@dataclass(frozen=True)
class ArticleOutcome:
    source: InputFile
    outputs: list[Path]
    cached: bool


@dataclass
class RunReport:
    articles: list[ArticleOutcome] = field(default_factory=list)
    failures: list[ArticleFailure] = field(default_factory=list)
    models_loaded: list[str] = field(default_factory=list)
    load_seconds: dict[str, float] = field(default_factory=dict)  # per model, when loaded
    digest: Path | None = None
    interrupted: bool = False  # Ctrl-C: what is in `articles` is complete on disk, the rest not begun
    aborted: str | None = None  # why the run could not go on (output or cache folder full, read-only)
    segments_translated: int = 0  # by the model, this run
    segments_remembered: int = 0  # from the translation memory, this run

    @property
    def exit_code(self) -> int:
        if self.aborted:
            return 2
        if self.interrupted:
            return 130  # as a shell reports a process stopped by SIGINT
        return 1 if self.failures else 0


class RunModels:
    """The run's models: resolved up front (cheap, no torch), loaded only when first needed."""

    def __init__(self, options: RunOptions, converted_root: Path) -> None:
        self.options = options
        self.converted_root = converted_root
        self.engine = choose_engine(options.engine)
        self.translator_ref = resolve_model(options.translator, "--translator")
        self.translation: TranslationSettings = translation_settings(
            self.translator_ref, self.engine, options.beams, options.fixed_output_ratio
        )
        self.summariser_ref: ResolvedModel | None = None
        self.summary: SummarySettings | None = None
        if options.summariser is not None:
            self.summariser_ref = resolve_model(options.summariser, "--summariser")
            self.summary = summary_settings(
                self.summariser_ref, self.engine, options.beams, options.fixed_summary_tokens
            )
        self.languages = LanguageIdentifier(options.source_language)
        self.loader = EngineLoader(
            options.engine, options.device, options.threads or physical_cores(), converted_root
        )
        self.loaded: list[str] = []
        self.load_seconds: dict[str, float] = {}
        self._translator: Translator | None = None
        self._summariser: Summariser | None = None

    def _load(self, model: ResolvedModel, role: str) -> Engine:
        log.info("loading %s %s (%s)", role, model.name, self.engine)
        started = time.perf_counter()
        engine = self.loader.load(model)
        log.info("%s runs on %s", role, engine.description)
        self.loaded.append(role)
        self.load_seconds[role] = time.perf_counter() - started
        return engine

    def language_of(self, paragraphs: list[str]) -> Language:
        if self.languages.needs_model:  # loaded once, timed like the models
            started = time.perf_counter()
            self.languages.load()
            self.load_seconds["language detector"] = time.perf_counter() - started
        return self.languages.identify(paragraphs)

    def translator(self) -> Translator:
        if self._translator is None:
            self._translator = Translator(self._load(self.translator_ref, "translator"), self.translation)
        return self._translator

    def summary_group(self) -> int:
        """Articles summarised together: one batch for every worker."""
        placement = self.summariser().engine.placement
        return max(1, placement.workers * placement.summary_batch)

    def summariser(self) -> Summariser:
        if self._summariser is None:
            assert self.summariser_ref is not None and self.summary is not None
            self._summariser = Summariser(self._load(self.summariser_ref, "summariser"), self.summary)
        return self._summariser

    def describe(self, engines: dict[str, str]) -> dict[str, dict[str, str]]:
        """The models of a result, with the engine that produced each part of it."""
        refs = {"translator": self.translator_ref, "summariser": self.summariser_ref}
        return {
            role: {
                "id": ref.name,
                "revision": ref.revision,
                "source": ref.source,
                "engine": engines.get(role, ""),
            }
            for role, ref in refs.items()
            if ref is not None
        }

    def translation_key(self, content: str) -> str:
        """`content`: digest of the cleaned text (an article whose ads changed is not redone)."""
        return cache_key(
            kind="translation",
            content=content,
            source_language=self.options.source_language,
            model=self.translator_ref.name,
            revision=self.translator_ref.revision,
            settings=self.translation.signature(),
        )

    def segment_key(self, source: str) -> str:
        """Translation memory: one German segment, translated once per model and settings."""
        return cache_key(
            kind="segment",
            source=" ".join(source.split()),
            model=self.translator_ref.name,
            revision=self.translator_ref.revision,
            settings=self.translation.signature(),
        )

    def summary_key(self, translation_key: str) -> str:
        assert self.summariser_ref is not None and self.summary is not None
        return cache_key(
            kind="summary",
            translation=translation_key,
            model=self.summariser_ref.name,
            revision=self.summariser_ref.revision,
            settings=self.summary.signature(),
        )


@dataclass
class _Job:
    """One article on its way through the flow."""

    article: Article
    cleaned: CleanText
    translation_key: str
    summary_key: str | None
    translation: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None
    summary_error: str | None = None
    cached: bool = False


def run(
    paths: Sequence[Path],
    options: RunOptions,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> RunReport:
    """Brief (or, without a summariser, translate) every article under `paths` into `options.out_dir`.

    `should_stop`: polled between batches and articles; once true, the run keeps what is finished
    (translated segments go to the translation memory) and ends with `report.interrupted`.
    """
    progress = progress or _NoProgress()
    stop_requested = should_stop or (lambda: False)
    report = RunReport()
    inputs, problems = discover_inputs(paths, exclude=options.out_dir)
    report.failures.extend(ArticleFailure(p.path, p.reason) for p in problems)
    if not inputs:
        if not problems:
            raise ConfigError("no .txt, .md or .html files found in " + ", ".join(str(p) for p in paths))
        return report
    _prepare_output_folder(options.out_dir)
    cache_folder = cache_dir(options.cache_dir)
    models = RunModels(options, cache_folder / CONVERTED_MODELS)
    cache = Cache(cache_folder)
    stems = output_stems(inputs, reserved={PurePosixPath(DIGEST_NAME).with_suffix("")})
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    digest_entries: list[tuple[dict[str, Any], PurePosixPath]] = []
    # Boilerplate by evidence: short lines found in several articles of this run.
    repeated = None if options.keep_boilerplate or len(inputs) < REPEATED_MIN_ARTICLES else _evidence(inputs)
    progress.start(len(inputs))

    def finish(job: _Job) -> None:
        record = _record(job, models, created)
        stem = stems[job.article.source]
        try:
            outputs = _write_outputs(
                record, options.out_dir, stem, with_summary=options.summariser is not None
            )
        except OutputError as error:
            if error.folder_unusable:
                raise  # every other article would fail the same way: stop the run
            report.failures.append(ArticleFailure(job.article.source.path, str(error)))
            return
        report.articles.append(ArticleOutcome(job.article.source, outputs, job.cached))
        if record["flags"] and not job.cached:
            retried = " even after a retry" if record["coverage"]["retried"] else ""
            log.warning(
                "%s: %d of %d segments doubtful%s (see `flags` in its JSON)",
                job.article.source.path,
                len(record["flags"]),
                len(record["segments"]) + (1 if record["headline"] else 0),  # the headline is one
                retried,
            )
        digest_entries.append((record, with_suffix_added(stem, ".md")))

    wave: list[_Job] = []
    wave_characters = 0
    try:
        for source in inputs:
            if stop_requested():
                raise StopRequested("stopped between articles")
            try:
                article = read_article(source)
            except InputError as error:
                report.failures.append(ArticleFailure(error.path, error.reason))
                progress.advance()
                continue
            for warning in article.warnings:
                log.warning("%s: %s", source.path, warning)
            job = _lookup(article, models, cache, repeated)
            if job.cached:
                finish(job)
                progress.advance()
                continue
            wave.append(job)
            wave_characters += sum(len(p) for p in article.paragraphs)
            if wave_characters >= WAVE_CHARACTERS:
                _process_wave(wave, models, cache, report, finish, progress, stop_requested)
                wave, wave_characters = [], 0
        if wave:
            _process_wave(wave, models, cache, report, finish, progress, stop_requested)
    except (KeyboardInterrupt, StopRequested):
        # Every brief and cache entry already written is whole (atomic writes, one transaction
        # each); articles not finished are not written, and the next run does them (their
        # translated segments, kept in the translation memory, are not translated again).
        report.interrupted = True
    except (OutputError, CacheError) as error:
        # Disk full, read-only, a broken cache: nothing more can be kept, so stop here. What is
        # written is whole, and what is cached stays usable.
        report.aborted = str(error)
    finally:
        report.models_loaded = list(models.loaded)
        report.load_seconds = dict(models.load_seconds)
        try:
            cache.put(LAST_RUN[0], LAST_RUN[1], _run_stats(report, created))
        except CacheError as error:
            log.warning("%s", error)
        cache.close()
    if options.summariser is not None and digest_entries and not report.aborted:
        try:
            write_atomic(options.out_dir / DIGEST_NAME, render_digest(digest_entries, created))
            report.digest = options.out_dir / DIGEST_NAME
        except OutputError as error:
            report.aborted = str(error)
    return report


def _run_stats(report: RunReport, finished: str) -> dict[str, Any]:
    return {
        "finished": finished,
        "articles": len(report.articles),
        "articles_from_cache": sum(1 for a in report.articles if a.cached),
        "failed": len(report.failures),
        "segments_translated": report.segments_translated,
        "segments_remembered": report.segments_remembered,
        "interrupted": report.interrupted,
    }


def _prepare_output_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{folder}: cannot create the output folder: {error.strerror or error}") from None
    if not folder.is_dir():
        raise OutputError(f"{folder}: the output path exists and is not a folder")


def _lookup(article: Article, models: RunModels, cache: Cache, repeated: RepeatedLines | None) -> _Job:
    cleaned = clean_paragraphs(article.paragraphs, models.options.keep_boilerplate, repeated)
    translation_key = models.translation_key(_content_digest(cleaned))
    summary_key = models.summary_key(translation_key) if models.summary is not None else None
    job = _Job(article, cleaned, translation_key, summary_key)
    job.translation = cache.get("translation", translation_key)
    if summary_key is not None and job.translation is not None:
        job.summary = cache.get("summary", summary_key)
    job.cached = job.translation is not None and (summary_key is None or job.summary is not None)
    return job


def _content_digest(cleaned: CleanText) -> str:
    content = json.dumps([cleaned.headline, cleaned.paragraphs], ensure_ascii=False)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _evidence(inputs: Sequence[InputFile]) -> RepeatedLines:
    """Lines of every article of the run, counted across articles (read once more, text only)."""
    repeated = RepeatedLines()
    for source in inputs:
        try:
            article = read_article(source)
        except InputError:
            continue  # reported when its turn comes
        repeated.add(article.sha256, article.paragraphs)
    return repeated


def _process_wave(
    wave: list[_Job],
    models: RunModels,
    cache: Cache,
    report: RunReport,
    finish: Callable[[_Job], None],
    progress: Progress,
    should_stop: Callable[[], bool],
) -> None:
    translatable: list[tuple[_Job, Language]] = []
    for job in wave:
        if job.translation is not None:
            continue
        cleaned = job.cleaned
        if not cleaned.paragraphs:
            reason = "no text to translate"
            if any(line.reason != "no visible text" for line in cleaned.removed):
                removed = len(cleaned.removed)
                reason += f": all {removed} lines were boilerplate (--keep-boilerplate keeps them)"
            report.failures.append(ArticleFailure(job.article.source.path, reason))
            progress.advance()
            continue
        language = models.language_of([*filter(None, [cleaned.headline]), *cleaned.paragraphs])
        if language.code == GERMAN:
            translatable.append((job, language))
        elif language.code == ENGLISH:
            # Never translate English "from German": it goes through as it is, labelled.
            job.translation = _untranslated(cleaned, language)
            cache.put("translation", job.translation_key, job.translation)
        else:
            reason = f"written in {language.describe()}, not German: skipped (--source-lang de forces it)"
            report.failures.append(ArticleFailure(job.article.source.path, reason))
            progress.advance()
    if translatable:
        _translate(translatable, models, cache, report, should_stop)
    translated = [job for job in wave if job.translation is not None]  # the rest failed above

    def needs_summary(job: _Job) -> bool:
        return job.summary_key is not None and job.summary is None

    # Summaries for a few articles at a time, batched together; each group is written as soon as
    # it is done.
    group_size = models.summary_group() if any(map(needs_summary, translated)) else len(translated)
    for start in range(0, len(translated), max(1, group_size)):
        if should_stop():
            raise StopRequested("stopped between articles")
        group = translated[start : start + group_size]
        # Ctrl-C takes effect between groups: a group is a few batches, finished and kept.
        _summarise([job for job in group if needs_summary(job)], models, cache)
        for job in group:
            if needs_summary(job):
                reason = job.summary_error or "not summarised"
                report.failures.append(ArticleFailure(job.article.source.path, reason))
            else:
                finish(job)
            progress.advance()


def _summarise(jobs: list[_Job], models: RunModels, cache: Cache) -> None:
    if not jobs:
        return
    summariser = models.summariser()
    texts = []
    for job in jobs:
        assert job.translation is not None
        texts.append([s["target"] for s in job.translation["segments"]])
    outcomes = summariser.summarise_many(texts)
    for job, outcome in zip(jobs, outcomes, strict=True):
        if isinstance(outcome, SummariseError):
            job.summary_error = str(outcome)
            continue
        job.summary = {
            "text": outcome.text,
            "chunks": outcome.chunks,
            "rounds": outcome.rounds,
            "engine": summariser.engine.description,
        }
        assert job.summary_key is not None
        cache.put("summary", job.summary_key, job.summary)


def _translate(
    jobs: list[tuple[_Job, Language]],
    models: RunModels,
    cache: Cache,
    report: RunReport,
    should_stop: Callable[[], bool],
) -> None:
    """Segment every article, translate all segments together, then rebuild each article."""
    translator = models.translator()
    segmented = []
    for job, language in jobs:
        segmentation = segment_paragraphs(
            job.cleaned.paragraphs, translator.count_tokens, models.translation.segment_tokens
        )
        segmented.append((job, language, segmentation))
    # Segments translated before (an edited article's unchanged sentences, agency boilerplate
    # repeated across articles) come from the translation memory; only the rest reach the model.
    headlines = [job.cleaned.headline for job, *_ in segmented if job.cleaned.headline]
    texts = list(dict.fromkeys([*headlines, *(s.text for *_, seg in segmented for s in seg.segments)]))
    keys = {text: models.segment_key(text) for text in texts}
    remembered = cache.get_many("segment", keys.values())
    known = {text: _segment_from_memory(remembered[keys[text]]) for text in texts if keys[text] in remembered}
    report.segments_remembered += len(known)

    def keep(batch: dict[str, TranslatedSegment]) -> None:
        # Into the memory batch by batch: an interrupted or killed run keeps what it translated.
        cache.put_many("segment", {keys[text]: _segment_to_memory(t) for text, t in batch.items()})
        report.segments_translated += len(batch)

    todo = [text for text in texts if text not in known]
    for start in range(0, len(todo), SEGMENTS_PER_PASS):
        known.update(translator.translate(todo[start : start + SEGMENTS_PER_PASS], keep, should_stop))
    for job, language, segmentation in segmented:
        targets = [known[s.text] for s in segmentation.segments]
        headline = job.cleaned.headline
        job.translation = {
            "engine": translator.engine.description,
            "language": _language_record(language, translated=True),
            "headline": _segment_record(headline, known[headline]) if headline else None,
            "sentences": segmentation.sentences,
            "segments": [
                {"paragraph": s.paragraph, "sentence": s.sentence, **_segment_record(s.text, t)}
                for s, t in zip(segmentation.segments, targets, strict=True)
            ],
            "paragraphs": assemble_paragraphs(
                [s.paragraph for s in segmentation.segments],
                [t.text for t in targets],
                len(job.cleaned.paragraphs),
            ),
        }
        cache.put("translation", job.translation_key, job.translation)


def _segment_record(source: str, translated: TranslatedSegment) -> dict[str, Any]:
    return {
        "source": source,
        "target": translated.text,
        "confidence": None if translated.log_prob is None else round(translated.log_prob, 4),
        "flags": translated.flags,
        "retried": translated.retried,
    }


def _untranslated(cleaned: CleanText, language: Language) -> dict[str, Any]:
    """An English article's record: its own text in place of a translation, one unit per paragraph."""
    as_is = TranslatedSegment(cleaned.headline or "", None, [])
    return {
        "engine": "",
        "language": _language_record(language, translated=False),
        "headline": _segment_record(cleaned.headline, as_is) if cleaned.headline else None,
        "sentences": len(cleaned.paragraphs),
        "segments": [
            {
                "paragraph": i,
                "sentence": i,
                "source": text,
                "target": text,
                "confidence": None,
                "flags": [],
                "retried": False,
            }
            for i, text in enumerate(cleaned.paragraphs)
        ],
        "paragraphs": list(cleaned.paragraphs),
    }


def _language_record(language: Language, translated: bool) -> dict[str, Any]:
    return {
        "code": language.code,
        "name": language.name,
        "detected": language.detected,
        "confidence": None if language.confidence is None else round(language.confidence, 4),
        "decided_by": language.decided_by,
        "description": language.describe(),
        "translated": translated,
    }


def _segment_to_memory(segment: TranslatedSegment) -> dict[str, Any]:
    return {
        "target": segment.text,
        "log_prob": segment.log_prob,
        "flags": segment.flags,
        "retried": segment.retried,
    }


def _segment_from_memory(entry: dict[str, Any]) -> TranslatedSegment:
    return TranslatedSegment(entry["target"], entry["log_prob"], entry["flags"], entry["retried"])


def _record(job: _Job, models: RunModels, created: str) -> dict[str, Any]:
    """The JSON record of one article: everything the brief shows, and how it was made."""
    article, translation = job.article, job.translation
    assert translation is not None
    segments = translation["segments"]
    translated = translation["language"]["translated"]
    described = models.describe(
        {"translator": translation["engine"], "summariser": (job.summary or {}).get("engine", "")}
    )
    if not translated:
        del described["translator"]  # English passed through: no translator touched it
    record: dict[str, Any] = {
        "source": {
            "path": str(article.source.path),
            "sha256": article.sha256,
            "encoding": article.encoding,
            "warnings": article.warnings,
            **({"metadata": article.metadata} if article.metadata else {}),
        },
        "models": described,
        "settings": {"translation": models.translation.signature()},
        "title": translation["headline"]["target"] if translation["headline"] else article.source.path.stem,
        "headline": translation["headline"],
        "language": translation["language"],
    }
    if job.summary is not None and models.summary is not None:
        record["settings"]["summary"] = models.summary.signature()
        record["summary"] = job.summary["text"]
        record["summary_chunks"] = job.summary["chunks"]
    record["translation"] = "\n\n".join(translation["paragraphs"])
    record["segments"] = segments
    record["coverage"] = {
        "sentences": translation["sentences"],
        "segments": len(segments),
        "translated": sum(1 for s in segments if s["target"].strip()) if translated else 0,
        "flagged": sum(1 for s in segments if s["flags"]),
        "retried": sum(1 for s in segments if s["retried"]),
    }
    # The faithfulness guard's doubts that remained after the retry: listed, never hidden.
    record["flags"] = [
        {
            "segment": index,
            "paragraph": s["paragraph"],
            "reasons": s["flags"],
            "confidence": s["confidence"],
            "retried": s["retried"],
            "source": s["source"],
            "target": s["target"],
        }
        for index, s in enumerate(segments)
        if s["flags"]
    ]
    headline = translation["headline"]
    if headline and headline["flags"]:
        record["flags"].insert(
            0,
            {
                "segment": None,
                "paragraph": None,
                "headline": True,
                "reasons": headline["flags"],
                "confidence": headline["confidence"],
                "retried": headline["retried"],
                "source": headline["source"],
                "target": headline["target"],
            },
        )
    record["cleaning"] = {
        "boilerplate_kept": models.options.keep_boilerplate,
        "removed": [vars(line) for line in job.cleaned.removed],
    }
    record["cached"] = job.cached
    record["created"] = created
    return record


def _write_outputs(
    record: dict[str, Any], out_dir: Path, stem: PurePosixPath, with_summary: bool
) -> list[Path]:
    if stem.is_absolute() or ".." in stem.parts:  # defence in depth: discovery never makes these
        raise OutputError(f"{stem}: output path would leave the output folder {out_dir}")
    json_path = out_dir / with_suffix_added(stem, ".json")
    if with_summary:
        text_path, text = out_dir / with_suffix_added(stem, ".md"), render_brief(record)
    else:
        text_path, text = out_dir / with_suffix_added(stem, ".txt"), render_translation(record)
    write_together({json_path: render_json(record), text_path: text})
    return [text_path, json_path]
