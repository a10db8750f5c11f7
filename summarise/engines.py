"""Inference engines: the same seq2seq model run by CTranslate2 (fast, int8) or by transformers.

Both engines take token ids from the model's own Hugging Face tokenizer and return generated ids,
so tokenization is identical whichever runs the network. CTranslate2 needs the model converted
once; the converted copy is kept under the cache folder, keyed by model revision and quantisation.

torch, transformers and ctranslate2 are imported here only when an engine is built.
"""

from __future__ import annotations

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

from .errors import ConfigError, ModelLoadError
from .models import ResolvedModel, generation_defaults, load_seq2seq

log = logging.getLogger(__name__)

ENGINES = ("auto", "ct2", "torch")


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
    """'auto' -> 'ct2' when CTranslate2 is installed, else 'torch' (checked without importing it)."""
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
    quantization: str | None = None,
    parallel_batches: bool = False,
) -> Engine:
    """Build the chosen engine for a resolved model (`engine` is 'ct2' or 'torch').

    `parallel_batches`: the caller submits many batches at once (translation), so CTranslate2
    runs two of them side by side, each on half the threads. Measured on 2 cores this beats one
    batch on both threads by 15-40%. A caller with one request at a time (summaries) gives all
    threads to that request.
    """
    if engine == "ct2":
        workers = 2 if parallel_batches and threads >= 2 else 1
        return Ct2Engine(model, device, threads, converted_root, quantization, workers)
    return TorchEngine(model, device, threads)


class TorchEngine:
    """transformers + torch: the reference implementation, and the fallback."""

    def __init__(self, model: ResolvedModel, device: str, threads: int) -> None:
        import torch

        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        elif device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("--device cuda: torch sees no CUDA GPU on this machine")
        torch.set_num_threads(threads)
        self.device = device
        self.model, self.tokenizer = load_seq2seq(model, device)
        self.description = f"transformers float32 on {device}"

    def generate(self, batch: Sequence[Sequence[int]], decoding: Decoding) -> list[Hypothesis]:
        import torch

        inputs = self.tokenizer.pad(
            {"input_ids": [list(ids) for ids in batch]}, padding=True, return_tensors="pt"
        )
        with torch.inference_mode():
            output = self.model.generate(
                **inputs.to(self.device),
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

        logits = self.model(**inputs.to(self.device), decoder_input_ids=sequences[:, :-1]).logits
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

    def __init__(
        self,
        model: ResolvedModel,
        device: str,
        threads: int,
        converted_root: Path,
        quantization: str | None,
        workers: int = 1,
    ) -> None:
        import ctranslate2
        from transformers import AutoTokenizer

        if device == "auto":
            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        elif device == "cuda" and ctranslate2.get_cuda_device_count() == 0:
            raise ConfigError("--device cuda: CTranslate2 sees no CUDA GPU on this machine")
        quantization = quantization or ("int8" if device == "cpu" else "float16")
        self.folder = folder = convert_for_ct2(model, quantization, converted_root)
        try:
            self.translator = ctranslate2.Translator(
                str(folder),
                device=device,
                compute_type=quantization,
                inter_threads=workers,
                intra_threads=max(1, threads // workers),
            )
            self.tokenizer = AutoTokenizer.from_pretrained(model.path, trust_remote_code=False)
        except (OSError, RuntimeError, ValueError) as error:
            raise ModelLoadError(f"cannot load {model.name} in CTranslate2 from {folder}: {error}") from None
        # transformers forces a BOS after the decoder start for BART (forced_bos_token_id); a
        # target prefix does the same here.
        forced_bos = generation_defaults(model).get("forced_bos_token_id")
        self.prefix = self.tokenizer.convert_ids_to_tokens([forced_bos]) if forced_bos is not None else None
        self.description = f"ctranslate2 {quantization} on {device}"
        self.workers = workers

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
    slug = re.sub(r"[^A-Za-z0-9._-]+", "--", model.name.strip("/.~")) or "model"
    return root / f"{slug}--{model.revision}--{quantization}"


def convert_for_ct2(model: ResolvedModel, quantization: str, root: Path) -> Path:
    """The model converted to CTranslate2, converting it first if this is the first use."""
    folder = converted_folder(model, quantization, root)
    if (folder / "model.bin").is_file():
        return folder
    from ctranslate2.converters import TransformersConverter

    log.info("converting %s to CTranslate2 (%s), once", model.name, quantization)
    root.mkdir(parents=True, exist_ok=True)
    # Convert into a temporary folder and rename: a crash or a concurrent run never sees half a model.
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=root))
    try:
        TransformersConverter(str(model.path)).convert(str(staging / "model"), quantization=quantization)
        os.replace(staging / "model", folder)
    except OSError as error:
        if not (folder / "model.bin").is_file():  # else another run won the race, and all is well
            raise ModelLoadError(
                f"cannot convert {model.name} for CTranslate2 into {root}: {error.strerror or error}"
            ) from None
    except Exception as error:
        raise ModelLoadError(
            f"cannot convert {model.name} for CTranslate2 ({type(error).__name__}: {error}); "
            "use --engine torch"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
