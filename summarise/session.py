"""The model session of a run: which models, with which settings, loaded where and when.

Models are resolved when the session opens (a folder, the Hugging Face cache, or a download where
allowed): a missing model stops the run before any work. Loading is lazy and timed: a fully cached
run never imports torch, transformers or CTranslate2. The cache keys of every result are made here,
since they name the models and settings that made it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .brief import ModelUse
from .cache import cache_key
from .engines import Engine, choose_engine, physical_cores
from .errors import GlossaryError
from .glossary import METHOD, Glossary, Method
from .language import Language, LanguageIdentifier
from .loading import EngineLoader
from .models import ResolvedModel, resolve_models
from .options import Options
from .summary import ModelSummariser, Summariser, SummarySettings, summary_settings
from .translate import ModelTranslator, TranslationModel, TranslationSettings, translation_settings

if TYPE_CHECKING:
    from .cluster import Cluster

log = logging.getLogger(__name__)

CLUSTER_SUMMARY_GROUP = 1_000_000


class ModelSession:
    """The run's models: resolved up front (cheap, no torch), loaded on first use."""

    def __init__(self, options: Options, converted_models: Path) -> None:
        """Resolves both models and checks the options; raises before any work is done."""
        self.options = options
        self.lengths = options.lengths
        self.engine = choose_engine(options.engine)
        self.loader = EngineLoader(
            options.engine, options.device, options.threads or physical_cores(), converted_models
        )
        if options.cluster != "ray":  # on a cluster the GPUs are the nodes', not this machine's
            self.loader.check()
        self.languages = LanguageIdentifier(options.source_language)
        # Benchmarks (fixed lengths, random weights) post-edit only: a random model would have
        # every segment with a term translated twice (as the guard's retries are left out there).
        self.glossary_method: Method = "post-edit" if options.lengths is not None else METHOD
        self.glossary = Glossary.of(options.glossary, options.default_names, self.glossary_method)
        self._glossary_state = _file_state(options.glossary)
        specs = [options.translator] + ([options.summariser] if options.summariser else [])
        models = resolve_models(specs)
        self.translator_ref = models[0]
        self.translation: TranslationSettings = translation_settings(
            self.translator_ref, self.engine, options.beams
        )
        self.summariser_ref: ResolvedModel | None = None
        self.summary: SummarySettings | None = None
        if options.summariser is not None:
            self.summariser_ref = models[1]
            self.summary = summary_settings(self.summariser_ref, self.engine, options.beams)
        # The settings as the JSON and the cache keys record them: made once, asked per article.
        self._signatures: dict[str, dict[str, object]] = {
            "translation": self.translation.signature(self.lengths)
        }
        if self.summary is not None:
            self._signatures["summary"] = self.summary.signature(self.lengths)
        self.loaded: list[str] = []
        self.load_seconds: dict[str, float] = {}  # per model, when loaded
        self._translator: TranslationModel | None = None
        self._summariser: Summariser | None = None
        # On a cluster, each actor runs with this many threads (Ray's workers default to one).
        self.cluster: Cluster | None = None
        if options.cluster == "ray":
            from .cluster import connect

            self.cluster = connect(options.cluster_actors)
            self.cluster_threads = options.threads or 1

    def refresh_glossary(self) -> None:
        """Read the user's glossary again where its file changed since (a long-lived briefer: a
        watcher). A glossary that became unusable is said in a warning and the one read before
        is kept: the watch goes on."""
        path = self.options.glossary
        state = _file_state(path)
        if path is None or state == self._glossary_state:
            return
        self._glossary_state = state
        try:
            self.glossary = Glossary.of(path, self.options.default_names, self.glossary_method)
        except GlossaryError as error:
            log.warning("%s; the glossary read before is kept", error)
        else:
            log.info("glossary %s read again", path)

    def converts_first(self, role: str) -> bool:
        """Whether loading the model of `role` converts it for CTranslate2 first (its first use)."""
        model = self.translator_ref if role == "translator" else self.summariser_ref
        return self.cluster is None and model is not None and self.loader.will_convert(model)

    def _load(self, model: ResolvedModel, role: str) -> Engine:
        log.info("loading %s %s (%s)", role, model.name, self.engine)
        started = time.perf_counter()
        engine = self.loader.load(model)
        log.info("%s runs on %s", role, engine.description)
        self.loaded.append(role)
        self.load_seconds[role] = time.perf_counter() - started
        return engine

    def language_of(self, paragraphs: Sequence[str]) -> Language:
        if self.languages.needs_model:  # loaded once, timed like the models
            started = time.perf_counter()
            self.languages.load()
            self.load_seconds["language detector"] = time.perf_counter() - started
        return self.languages.identify(paragraphs)

    def translator(self) -> TranslationModel:
        if self._translator is None:
            if self.cluster is not None:
                self._translator = self._on_cluster(self.translator_ref, "translator", self.translation)
            else:
                engine = self._load(self.translator_ref, "translator")
                self._translator = ModelTranslator(engine, self.translation, lengths=self.lengths)
        return self._translator

    def summariser(self) -> Summariser:
        if self._summariser is None:
            assert self.summariser_ref is not None and self.summary is not None, "a translate-only run"
            if self.cluster is not None:
                self._summariser = self._on_cluster(self.summariser_ref, "summariser", self.summary)
            else:
                engine = self._load(self.summariser_ref, "summariser")
                self._summariser = ModelSummariser(engine, self.summary, self.lengths)
        return self._summariser

    def _on_cluster(
        self, model: ResolvedModel, role: str, settings: TranslationSettings | SummarySettings
    ) -> Any:
        """A model run by the cluster's actors; here, only its tokenizer is loaded."""
        from .cluster import ClusterSummariser, ClusterTranslator, ModelJob
        from .placement import plan

        assert self.cluster is not None
        spec = self.options.translator if role == "translator" else self.options.summariser
        assert spec is not None
        threads = self.cluster_threads
        job = ModelJob(
            spec,
            role,
            self.options.engine,
            self.options.device,
            threads,
            str(self.loader.converted_root),
            settings,
            self.lengths,
        )
        placement = plan(self.engine, "cuda" if self.cluster.gpus else "cpu", threads)
        placement = replace(placement, workers=self.cluster.actors(threads))
        log.info("%s runs on the cluster: %s", role, self.cluster.describe(threads))
        started = time.perf_counter()
        kind = ClusterTranslator if role == "translator" else ClusterSummariser
        on_cluster = kind(self.cluster, job, model, placement)
        self.loaded.append(role)
        self.load_seconds[role] = time.perf_counter() - started
        return on_cluster

    def summary_group(self) -> int:
        """Articles summarised together: one batch for every worker (on a cluster, the whole wave:
        each pass of the actor pool loads the model)."""
        if self.cluster is not None:
            return CLUSTER_SUMMARY_GROUP
        summariser = self.summariser()
        assert isinstance(summariser, ModelSummariser), "a local run's summariser"
        placement = summariser.engine.placement
        return max(1, placement.workers * placement.summary_batch)

    def settings(self) -> dict[str, dict[str, object]]:
        """The generation settings of a result, as its JSON records them (with the article's
        glossary, where one applied: see `glossary_of`)."""
        return self._signatures

    def glossary_of(self, headline: str | None, paragraphs: Sequence[str]) -> dict[str, Any] | None:
        """The glossary entries of an article's German, as its brief and cache key record them."""
        return self.glossary.signature([*filter(None, [headline]), *paragraphs]) if self.glossary else None

    def models_used(self, translator_engine: str, summariser_engine: str | None) -> dict[str, ModelUse]:
        """The models of a result, with the engine that produced each part of it: no translator
        when nothing was translated (`translator_engine` empty), no summariser for a translation."""
        used = {}
        if translator_engine:
            ref = self.translator_ref
            used["translator"] = ModelUse(ref.name, ref.revision, ref.source, translator_engine)
        if self.summariser_ref is not None:
            ref = self.summariser_ref
            used["summariser"] = ModelUse(ref.name, ref.revision, ref.source, summariser_engine or "")
        return used

    # ------------------------------------------------------------------------- cache keys

    def translation_key(self, content: str, glossary: dict[str, Any] | None = None) -> str:
        """`content`: digest of the cleaned text (an article whose ads changed is not redone);
        `glossary`: the article's (glossary.Glossary.signature), its entries' fingerprint. An
        article without glossary terms keeps the key it had before glossaries were (its results
        in the cache stay valid: the glossary changes nothing of it)."""
        with_glossary = {"glossary": glossary["fingerprint"]} if glossary else {}
        return cache_key(
            kind="translation",
            content=content,
            source_language=self.options.source_language,
            model=self.translator_ref.identity,
            revision=self.translator_ref.revision,
            settings=self._signatures["translation"],
            **with_glossary,
        )

    def segment_key(self, source: str) -> str:
        """Translation memory: one German segment, translated once per model and settings."""
        return cache_key(
            kind="segment",
            source=" ".join(source.split()),
            model=self.translator_ref.identity,
            revision=self.translator_ref.revision,
            settings=self._signatures["translation"],
        )

    def summary_key(self, translation_key: str) -> str | None:
        """None for a translate-only run."""
        if self.summariser_ref is None or self.summary is None:
            return None
        return cache_key(
            kind="summary",
            translation=translation_key,
            model=self.summariser_ref.identity,
            revision=self.summariser_ref.revision,
            settings=self._signatures["summary"],
        )


def _file_state(path: Path | None) -> tuple[int, int] | None:
    """What says a file changed: its modification time and size (None: no file, or unreadable)."""
    try:
        stat = path.stat() if path is not None else None
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size) if stat is not None else None
