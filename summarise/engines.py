"""Inference engines: the same seq2seq model run by CTranslate2 (fast, int8) or by transformers.

Both engines take token ids from the model's own Hugging Face tokenizer and return generated ids,
so tokenization is identical whichever runs the network. CTranslate2 needs the model converted
once; the converted copy is kept under the cache folder, keyed by model revision and quantisation.

torch, transformers and ctranslate2 are imported here only when an engine is built.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import re
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .cache import CONVERTED_MARK, STAGING_MARK, mark, marked
from .errors import ConfigError, ModelLoadError, error_line
from .models import (
    LOCAL_FOLDER,
    ResolvedModel,
    generation_defaults,
    load_seq2seq,
    load_tokenizer,
    weight_files,
)
from .options import ENGINES
from .placement import Placement, plan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decoding:
    """How to generate one batch. Lengths count generated tokens, after the decoder start."""

    beams: int
    max_new_tokens: int
    min_new_tokens: int = 0
    length_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    repetition_penalty: float = 1.0
    # Also return each output's mean token log-probability (the translator's confidence).
    scores: bool = False


@dataclass(frozen=True)
class Hypothesis:
    """One generated output: ids without decoder start, padding or end token."""

    ids: list[int]
    # Mean log-probability per output token, end token included; None unless Decoding.scores.
    log_prob: float | None = None


Job = tuple[Sequence[Sequence[int]], Decoding]


class Engine(Protocol):
    """A loaded seq2seq model: its tokenizer, and generation from token ids."""

    description: str  # e.g. "ctranslate2 int8 on cpu", recorded in every result
    placement: Placement
    tokenizer: Any

    def generate(self, batch: Sequence[Sequence[int]], decoding: Decoding) -> list[Hypothesis]:
        """One hypothesis per input."""
        ...

    def generate_many(
        self, jobs: Sequence[Job], should_stop: Callable[[], bool] | None = None
    ) -> Iterator[list[Hypothesis]]:
        """Results of several batches, in order; an engine with parallel workers keeps them busy.

        Once `should_stop()` is true no further batch is started: the batches already running
        are finished and yielded, then the iteration ends early.
        """
        ...


def choose_engine(requested: str) -> str:
    """'auto' -> 'ct2' when CTranslate2 is installed, else 'torch' (checked without importing it).

    This is the engine a run asks for, and what cache keys record; where CTranslate2 cannot use
    the GPU the run may move to transformers (placement.py), and each result records what ran.
    """
    if requested not in ENGINES:
        raise ConfigError(f"--engine must be one of {', '.join(ENGINES)}, not {requested!r}")
    if requested == "auto":
        return "ct2" if importlib.util.find_spec("ctranslate2") else "torch"
    return requested


def physical_cores() -> int:
    """Physical cores this process may use: hyper-threads share a core's arithmetic units."""
    usable = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    cores: set[tuple[str, str]] = set()
    for cpu in usable:
        topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            package = (topology / "physical_package_id").read_text().strip()
            core = (topology / "core_id").read_text().strip()
        except OSError:
            return len(usable)
        cores.add((package, core))
    return len(cores) or os.cpu_count() or 1


def load_engine(
    model: ResolvedModel,
    engine: str,
    device: str,
    threads: int,
    converted_root: Path,
    precision: str | None = None,
) -> Engine:
    """Build `engine` ('ct2' or 'torch') on `device` ('cpu' or 'cuda') as the run would place it,
    without probing or falling back (benchmarks and tests; a run uses loading.EngineLoader)."""
    placement = plan(engine, device, threads, precision)
    if engine == "ct2":
        return Ct2Engine(model, placement, converted_root)
    return TorchEngine(model, placement)


class TorchEngine:
    """transformers + torch: the reference implementation, and where CTranslate2 cannot run."""

    def __init__(self, model: ResolvedModel, placement: Placement) -> None:
        import torch

        if placement.device == "cpu":
            torch.set_num_threads(placement.threads)
        self.placement = placement
        self.device = placement.device
        self.model, self.tokenizer = load_seq2seq(model, placement.device, placement.precision)
        self.description = placement.describe()
        self._split_warned = False

    def generate(self, batch: Sequence[Sequence[int]], decoding: Decoding) -> list[Hypothesis]:
        import torch

        try:
            return self._generate(batch, decoding)
        except torch.cuda.OutOfMemoryError:
            if len(batch) < 2:
                raise
            # A batch sized for a bigger GPU: halve it rather than fail the run.
            torch.cuda.empty_cache()
            if not self._split_warned:
                log.warning("GPU out of memory on a batch of %d; splitting batches as needed", len(batch))
                self._split_warned = True
            half = len(batch) // 2
            return self.generate(batch[:half], decoding) + self.generate(batch[half:], decoding)

    def _generate(self, batch: Sequence[Sequence[int]], decoding: Decoding) -> list[Hypothesis]:
        import torch

        inputs = self.tokenizer.pad(
            {"input_ids": [list(ids) for ids in batch]}, padding=True, return_tensors="pt"
        ).to(self.device)
        with torch.inference_mode():
            output = self.model.generate(
                **inputs,
                num_beams=decoding.beams,
                max_new_tokens=decoding.max_new_tokens,
                min_new_tokens=decoding.min_new_tokens,
                length_penalty=decoding.length_penalty,
                no_repeat_ngram_size=decoding.no_repeat_ngram_size,
                repetition_penalty=decoding.repetition_penalty,
                early_stopping=True,
                do_sample=False,
            )
            log_probs = self._mean_log_probs(inputs, output) if decoding.scores else None
        # As CTranslate2 returns them: no decoder start, no padding, no end token.
        ends = {self.tokenizer.pad_token_id, self.tokenizer.eos_token_id}
        return [
            Hypothesis(
                _strip_trailing([int(i) for i in row[1:]], ends),
                log_probs[n] if log_probs is not None else None,
            )
            for n, row in enumerate(output.tolist())
        ]

    def _mean_log_probs(self, inputs: Any, sequences: Any) -> list[float]:
        """Score the outputs with one teacher-forced pass (storing every step's scores during
        beam search would hold batch x beams x vocabulary floats per step)."""
        import torch

        logits = self.model(**inputs, decoder_input_ids=sequences[:, :-1]).logits
        targets = sequences[:, 1:]
        picked = torch.log_softmax(logits.float(), dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        real = targets != self.tokenizer.pad_token_id  # the end token counts, padding after it not
        return [float(v) for v in (picked * real).sum(1) / real.sum(1).clamp(min=1)]

    def generate_many(
        self, jobs: Sequence[Job], should_stop: Callable[[], bool] | None = None
    ) -> Iterator[list[Hypothesis]]:
        for batch, decoding in jobs:
            if should_stop is not None and should_stop():
                return
            yield self.generate(batch, decoding)


class Ct2Engine:
    """CTranslate2: the model converted once (int8 on CPU, float16 on CUDA), then reused."""

    def __init__(self, model: ResolvedModel, placement: Placement, converted_root: Path) -> None:
        import ctranslate2

        self.placement = placement
        # The tokenizer comes from transformers without importing torch: on a CUDA machine torch
        # alone takes seconds and hundreds of MB to import (docs/performance.md; `python -m summarise.bench`).
        # Loaded first: a damaged vocabulary is named by its own error, not the converter's.
        self.tokenizer = load_tokenizer(model)
        self.folder = folder = convert_for_ct2(model, placement.precision, converted_root)
        try:
            self.translator = ctranslate2.Translator(
                str(folder),
                device=placement.device,
                compute_type=placement.precision,
                inter_threads=placement.workers,
                intra_threads=placement.threads,
            )
        except (OSError, ValueError, RuntimeError) as error:
            if placement.device != "cpu":
                raise  # the GPU's libraries or driver, not the model: placement.py decides
            raise ModelLoadError(f"cannot load {model.name} in CTranslate2 from {folder}: {error}") from None
        # transformers forces a BOS after the decoder start for BART (forced_bos_token_id); a
        # target prefix does the same here.
        forced_bos = generation_defaults(model).get("forced_bos_token_id")
        self.prefix = self.tokenizer.convert_ids_to_tokens([forced_bos]) if forced_bos is not None else None
        self.description = placement.describe()
        self.workers = placement.workers

    def generate(self, batch: Sequence[Sequence[int]], decoding: Decoding) -> list[Hypothesis]:
        return next(self.generate_many([(batch, decoding)]))

    def generate_many(
        self, jobs: Sequence[Job], should_stop: Callable[[], bool] | None = None
    ) -> Iterator[list[Hypothesis]]:
        # A few batches per worker in flight: the workers never wait for Python, and a stop
        # request waits for at most those few.
        in_flight: deque[tuple[Any, Decoding]] = deque()
        waiting = iter(jobs)
        while True:
            while len(in_flight) < 2 * self.workers and not (should_stop is not None and should_stop()):
                job = next(waiting, None)
                if job is None:
                    break
                in_flight.append((self._submit(*job), job[1]))
            if not in_flight:
                return
            pending, decoding = in_flight.popleft()
            yield [self._hypothesis(r.result(), decoding) for r in pending]

    def _hypothesis(self, result: Any, decoding: Decoding) -> Hypothesis:
        ids = self.tokenizer.convert_tokens_to_ids(result.hypotheses[0])
        log_prob = None
        if decoding.scores:
            # CTranslate2 scores a hypothesis as its summed log-probability over length ** penalty
            # (end token counted); the mean per token is the same figure at penalty 1.
            length = len(ids) + 1
            log_prob = float(result.scores[0]) * length**decoding.length_penalty / length
        return Hypothesis(ids, log_prob)

    def _submit(self, batch: Sequence[Sequence[int]], decoding: Decoding) -> Any:
        sources = [self.tokenizer.convert_ids_to_tokens(list(ids)) for ids in batch]
        return self.translator.translate_batch(
            sources,
            target_prefix=[self.prefix] * len(sources) if self.prefix else None,
            beam_size=decoding.beams,
            length_penalty=decoding.length_penalty,
            no_repeat_ngram_size=decoding.no_repeat_ngram_size,
            repetition_penalty=decoding.repetition_penalty,
            return_scores=decoding.scores,
            min_decoding_length=decoding.min_new_tokens,
            max_decoding_length=decoding.max_new_tokens,
            max_input_length=0,  # never truncate: segments are already within the model's limit
            asynchronous=True,
        )


def _strip_trailing(ids: list[int], tokens: set[int | None]) -> list[int]:
    while ids and ids[-1] in tokens:
        ids.pop()
    return ids


def converted_folder(model: ResolvedModel, quantization: str, root: Path) -> Path:
    if model.source == LOCAL_FOLDER:  # known by its fingerprint, however its path was typed
        return root / f"{model.revision}--{quantization}"  # local-<fingerprint>--int8
    slug = re.sub(r"[^A-Za-z0-9._-]+", "--", model.name.strip("/.~")) or "model"
    return root / f"{slug}--{model.revision}--{quantization}"


def convert_for_ct2(model: ResolvedModel, quantization: str, root: Path) -> Path:
    """The model converted to CTranslate2, converting it first if this is the first use."""
    folder = converted_folder(model, quantization, root)
    if (folder / "model.bin").is_file():
        if not marked(folder, CONVERTED_MARK, folder.name):  # converted by a version before the marks
            with contextlib.suppress(OSError):
                mark(folder, CONVERTED_MARK, folder.name)
        return folder
    from ctranslate2.converters import TransformersConverter

    log.info("converting %s to CTranslate2 (%s), once", model.name, quantization)
    root.mkdir(parents=True, exist_ok=True)
    # Convert into a temporary folder and rename: a crash or a concurrent run never sees half a model.
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=root))
    try:
        mark(staging, STAGING_MARK, "")  # `summarise cache clear` removes what a crash leaves
        TransformersConverter(str(model.path)).convert(str(staging / "model"), quantization=quantization)
        mark(staging / "model", CONVERTED_MARK, folder.name)  # the store's, under this name only
        os.replace(staging / "model", folder)
    except OSError as error:
        if not (folder / "model.bin").is_file():  # else another run won the race, and all is well
            raise ModelLoadError(
                f"cannot convert {model.name} for CTranslate2 into {root}: {error.strerror or error}"
            ) from None
    except Exception as error:
        raise ModelLoadError(
            f"cannot convert {model.name} from {model.path} (weights: {weight_files(model)}) for "
            f"CTranslate2 ({error_line(error)}): check its files; a model CTranslate2 "
            "does not support runs unconverted with --engine torch"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
