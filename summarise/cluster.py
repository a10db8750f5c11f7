"""The models on a Ray cluster (`--cluster ray`): for archives and newsrooms that outgrow a machine.

The driver (this process) does what is cheap and stateful, exactly as in a plain run: read, clean,
detect the language, segment, de-duplicate, look up the cache and the translation memory. Only
segments never translated before, and articles whose summary is missing, go to the cluster, as Ray
Data `map_batches` over an actor pool (`ActorPoolStrategy`): each actor loads its model once per
wave (CTranslate2 objects cannot be pickled, so the model is built inside the actor, with the same
resolution and placement code as a plain run, its threads set explicitly since Ray sets
OMP_NUM_THREADS=1 in workers). Results stream back to the driver, which alone writes the SQLite
store and the outputs, batch by batch, so a stopped run keeps what was done. An actor that dies is
restarted by Ray and its batch redone (Ray Data's actor pools retry by default).

Ray is an optional extra (`pip install "summarise[ray]"`), imported only here, only for this option.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, ModelLoadError, StopRequested, SummariseError, first_line
from .models import ModelSpec, ResolvedModel, count_tokens, load_tokenizer
from .options import FixedLengths
from .placement import Placement
from .summary import Summary, SummarySettings
from .translate import TranslatedSegment, TranslationSettings

log = logging.getLogger(__name__)

INSTALL_HINT = 'pip install "summarise[ray]"'
# Segments per call to an actor: enough for its own length-sorted batches, small enough that
# results come back (and are stored) steadily and a redone batch costs little.
SEGMENTS_PER_CALL = 256
# Articles per call to a summarising actor.
ARTICLES_PER_CALL = 8
# How long a head node named by RAY_ADDRESS has to answer.
CONNECT_SECONDS = 5.0
# A small wave is cut into this many calls per actor at least.
CALLS_PER_ACTOR = 4


def connect(max_actors: int | None) -> Cluster:
    """Connect to the cluster in RAY_ADDRESS (Ray's own convention), or start a local Ray instance
    when it is unset. Raises ConfigError before any work when Ray is not installed or unreachable."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise ConfigError(f"--cluster ray needs Ray, an optional extra: {INSTALL_HINT}") from None
    # Ray's core logs a warning about actor restarts for every actor pool Ray Data makes; the
    # errors that matter reach us as exceptions.
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)
    address = os.environ.get("RAY_ADDRESS") or None
    if address is not None:
        _check_reachable(address)
    try:
        with _stderr_silenced():  # Ray's core says which log level it took, on the terminal
            ray.init(
                address=address,
                ignore_reinit_error=True,
                include_dashboard=False,
                logging_level=logging.ERROR,
                log_to_driver=False,
                configure_logging=False,
            )
    except Exception as error:  # Ray raises ConnectionError, RuntimeError, ValueError, ...
        where = f"the Ray cluster at {address} (RAY_ADDRESS)" if address else "a local Ray instance"
        raise ConfigError(f"cannot connect to {where}: {first_line(error, type(error).__name__)}") from None
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    resources = ray.cluster_resources()  # type: ignore[no-untyped-call]
    return Cluster(int(resources.get("CPU", 1)), int(resources.get("GPU", 0)), max_actors, address)


def _check_reachable(address: str) -> None:
    """A head node that does not answer is one line now, not minutes of Ray retrying."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():  # "auto", "local": Ray's own ways of finding the cluster
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as error:
        raise ConfigError(
            f"cannot connect to the Ray cluster at {address} (RAY_ADDRESS): {error.strerror or error}; "
            "start it with `ray start --head`, or unset RAY_ADDRESS for a local instance"
        ) from None


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    """File descriptor 2 to /dev/null for a while: Ray's C++ core writes there directly. Failures
    still reach us as exceptions."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@dataclass(frozen=True)
class Cluster:
    cpus: int
    gpus: int
    max_actors: int | None  # --cluster-actors: at most this many per model
    address: str | None  # None: a local instance this run started

    def actors(self, threads: int) -> int:
        """Actors per model: one per GPU where the cluster has them, else one per `threads` CPUs."""
        fits = self.gpus if self.gpus else max(1, self.cpus // max(1, threads))
        return max(1, min(fits, self.max_actors or fits))

    def describe(self, threads: int) -> str:
        where = self.address or "a local Ray instance"
        each = "1 GPU" if self.gpus else f"{threads} thread{'s' if threads > 1 else ''}"
        return f"{self.actors(threads)} actors x {each} on {where}"


@dataclass(frozen=True)
class ModelJob:
    """What an actor needs to load its model as a plain run would (picklable: no model in it)."""

    spec: ModelSpec
    role: str  # "translator" or "summariser"
    engine: str
    device: str
    threads: int
    converted_root: str  # the driver's folder of converted models, used where a node sees it
    settings: TranslationSettings | SummarySettings
    lengths: FixedLengths | None


def _load(job: ModelJob) -> Any:
    """In an actor: resolve the model on this node and load it; a model this node lacks is one
    line naming the node."""
    import ray

    from .loading import EngineLoader
    from .models import resolve_models

    node = ray.util.get_node_ip_address()  # type: ignore[no-untyped-call]
    try:
        [model] = resolve_models([job.spec])
    except SummariseError as error:
        raise ModelLoadError(f"node {node}: {error}") from None
    converted = Path(job.converted_root)
    if not os.access(converted.parent, os.W_OK):  # the driver's cache is not on this node
        from .cache import Store

        converted = Store.at(None).converted_models  # this node's own (SQLite is never opened)
    return EngineLoader(job.engine, job.device, job.threads, converted).load(model)


class _ModelActor:
    """An actor holding one model, loaded once when the actor starts (again if Ray restarts it)."""

    JOB: ModelJob  # set on the subclass made for a run (see _OnCluster._map)

    def __init__(self) -> None:
        engine = _load(self.JOB)
        self.description = engine.description
        self.hold(engine)

    def hold(self, engine: Any) -> None:
        raise NotImplementedError


class TranslateActor(_ModelActor):
    """Holds one translator; called with batches of segments (Ray Data map_batches)."""

    def hold(self, engine: Any) -> None:
        from .translate import ModelTranslator

        assert isinstance(self.JOB.settings, TranslationSettings)
        self.translator = ModelTranslator(engine, self.JOB.settings, lengths=self.JOB.lengths)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        texts = [str(text) for text in batch["text"]]
        done = self.translator.translate(texts)
        segments = [done[text] for text in texts]
        return {
            "text": texts,
            "target": [s.text for s in segments],
            "log_prob": [s.log_prob if s.log_prob is not None else float("nan") for s in segments],
            "flags": [json.dumps(s.flags) for s in segments],
            "retried": [s.retried for s in segments],
            "engine": [self.description] * len(texts),
        }


class SummariseActor(_ModelActor):
    """Holds one summariser; called with batches of articles (their translated units, as JSON)."""

    def hold(self, engine: Any) -> None:
        from .summary import ModelSummariser

        assert isinstance(self.JOB.settings, SummarySettings)
        self.summariser = ModelSummariser(engine, self.JOB.settings, self.JOB.lengths)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        articles = [json.loads(str(units)) for units in batch["units"]]
        outcomes = self.summariser.summarise_many(articles)
        return {
            "index": [int(i) for i in batch["index"]],
            "text": [o.text if isinstance(o, Summary) else "" for o in outcomes],
            "chunks": [o.chunks if isinstance(o, Summary) else 0 for o in outcomes],
            "rounds": [o.rounds if isinstance(o, Summary) else 0 for o in outcomes],
            "error": [str(o) if isinstance(o, SummariseError) else "" for o in outcomes],
            "engine": [self.description] * len(outcomes),
        }


@dataclass
class ClusterEngine:
    """What the pipeline asks of an engine, for models that run on the cluster's actors."""

    description: str  # the actors' own (e.g. "ctranslate2 int8 on cpu") once one has answered
    placement: Placement


class _OnCluster:
    def __init__(self, cluster: Cluster, job: ModelJob, model: ResolvedModel, placement: Placement) -> None:
        self.cluster = cluster
        self.job = job
        self.tokenizer = load_tokenizer(model)  # on the driver: segments are measured here
        # What a plain run here would record, until an actor says what it runs.
        self.engine = ClusterEngine(placement.describe(), placement)

    def count_tokens(self, text: str) -> int:
        return count_tokens(self.tokenizer, text)

    def _map(self, rows: list[dict[str, Any]], actor: type, per_call: int) -> Any:
        import ray.data
        from ray.data import ActorPoolStrategy

        # Every actor gets work, even from a small wave (a few calls each, so that one finishing
        # early takes another); a large wave goes in calls of at most `per_call`.
        actors = min(self.cluster.actors(self.job.threads), len(rows))
        per_call = max(1, min(per_call, -(-len(rows) // (actors * CALLS_PER_ACTOR))))
        # The job goes with the class, not as constructor arguments: Ray keeps those in the object
        # store, from where a restarted actor might no longer get them.
        bound = type(actor.__name__, (actor,), {"JOB": self.job})
        return ray.data.from_items(rows).map_batches(
            bound,
            batch_size=per_call,
            # One call at a time per actor: queued behind a busy actor, a call would wait while
            # another actor stood idle.
            compute=ActorPoolStrategy(size=actors, max_tasks_in_flight_per_actor=1),
            num_cpus=0 if self.cluster.gpus else self.job.threads,
            num_gpus=1 if self.cluster.gpus else 0,
        )

    def _results(self, rows: list[dict[str, Any]], actor: type, per_call: int) -> Any:
        """The actors' answers, batch by batch as they finish; a model that fails to load (on some
        node) is a ModelLoadError naming it."""
        try:
            yield from self._map(rows, actor, per_call).iter_batches(batch_size=None, batch_format="numpy")
        except Exception as error:
            raise ModelLoadError(_why(error, self.job)) from None


class ClusterTranslator(_OnCluster):
    """The pipeline's translator, run by actors: same interface as translate.Translator."""

    def translate(
        self,
        texts: Sequence[str],
        on_translated: Callable[[dict[str, TranslatedSegment]], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> dict[str, TranslatedSegment]:
        # Sorted by length, so that each call's segments are alike and its batches pad little (an
        # actor sorts only what one call brings); longest first, so the last calls are short ones
        # and no actor is left with a long call while the others stand idle.
        texts = sorted(dict.fromkeys(texts), key=len, reverse=True)
        done: dict[str, TranslatedSegment] = {}
        if not texts:
            return done
        for batch in self._results([{"text": t} for t in texts], TranslateActor, SEGMENTS_PER_CALL):
            got = {
                str(text): TranslatedSegment(
                    str(target),
                    None if log_prob != log_prob else float(log_prob),  # NaN: none
                    list(json.loads(str(flags))),
                    bool(retried),
                )
                for text, target, log_prob, flags, retried in zip(
                    batch["text"],
                    batch["target"],
                    batch["log_prob"],
                    batch["flags"],
                    batch["retried"],
                    strict=True,
                )
            }
            self.engine.description = str(batch["engine"][0])
            done.update(got)
            if on_translated is not None:
                on_translated(got)
            if should_stop is not None and should_stop():
                raise StopRequested("stopped between batches")
        return done


class ClusterSummariser(_OnCluster):
    """The pipeline's summariser, run by actors: same interface as summarise.Summariser."""

    def summarise_many(
        self,
        articles: Sequence[Sequence[str]],
        on_summarised: Callable[[dict[int, Summary | SummariseError]], None] | None = None,
    ) -> list[Summary | SummariseError]:
        """As summarise.Summariser's; `on_summarised` hears of each batch as it comes back."""
        results: list[Summary | SummariseError] = [SummariseError("not summarised")] * len(articles)
        rows = [{"index": i, "units": json.dumps(list(units))} for i, units in enumerate(articles)]
        if not rows:
            return results
        for batch in self._results(rows, SummariseActor, ARTICLES_PER_CALL):
            got: dict[int, Summary | SummariseError] = {}
            for i, text, chunks, rounds, error in zip(
                batch["index"], batch["text"], batch["chunks"], batch["rounds"], batch["error"], strict=True
            ):
                summary = Summary(str(text), int(chunks), int(rounds))
                got[int(i)] = SummariseError(str(error)) if error else summary
            self.engine.description = str(batch["engine"][0])
            for i, outcome in got.items():
                results[i] = outcome
            if on_summarised is not None:
                on_summarised(got)
        return results


def _why(error: BaseException, job: ModelJob) -> str:
    """One line for a failure on the cluster: the actor's own error where Ray wraps one."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, SummariseError):
            return str(cause)
        cause = cause.__cause__ or getattr(cause, "cause", None)
    text = str(error)
    for line in text.splitlines():
        if "ModelLoadError:" in line or "ModelUnavailableError:" in line:
            return line.split("Error:", 1)[1].strip()
    return f"the {job.role} failed on the cluster: {first_line(text, type(error).__name__)}"
