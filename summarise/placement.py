"""Placement: which engine runs a model, on which device, in what precision, how many batches side
by side and how big they are. Chosen once per run, from the options and from what the machine
really runs: a GPU is trusted only after a tiny generation on it succeeded.

Why a probe: CTranslate2's pip wheels load CUDA 12's cuBLAS at the first GPU call, and a machine
with only CUDA 13 (what torch's current CUDA builds bring) sees the GPU but cannot use it. Where
CTranslate2 fails on the GPU, the run moves to transformers on the GPU, with one warning line.

Sizes (docs/performance.md, and `python -m summarise.bench`):
- CPU, CTranslate2: several batches side by side, each on a few threads, beat one batch on all
  threads (2 cores: two batches on one thread each, 15-40% faster for translation and 1.2x for
  summaries). What the batches in flight hold (attention caches grow with batch x beams x length)
  is kept to the same total whatever the core count, so memory does not grow with the cores.
- GPU: batch size is the first lever (opus-mt-de-en on an H100, transformers fp32, beam 4: 2,610
  tok/s in batches of 16 sentences, 10,155 in batches of 256). Half precision lost to fp32 in
  transformers' generate there (launch-bound), so transformers runs fp32.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .options import DEVICES, ENGINES

log = logging.getLogger(__name__)


# CPU: source tokens (padding included) of all translation batches in flight together, and
# summary chunks in flight together. 2 workers x 1,024 tokens measured fastest on 2 cores;
# 2 workers x 2 chunks of ~700 tokens gave 1.26x one chunk at a time for +370 MB.
CPU_TRANSLATION_TOKENS_IN_FLIGHT = 2048
CPU_SUMMARY_CHUNKS_IN_FLIGHT = 4
# Threads per CTranslate2 worker from 8 cores up: small batches stop scaling with more threads
# (on 2 cores, two single-thread workers beat one worker on both), so cores go to more workers.
CPU_THREADS_PER_WORKER = 4
# GPU: padded source tokens per translation batch (~256 news sentences), a cap on sentences per
# batch (each one is `beams` hypotheses, each with a 58k-word softmax per step), and summary chunks
# per batch (16 articles per batch was the H100 reference).
GPU_BATCH_TOKENS = 12_288
GPU_BATCH_SEGMENTS = 256
GPU_SUMMARY_BATCH = 16
NO_GPU = "no CUDA GPU visible"


@dataclass(frozen=True)
class Placement:
    """Where and how one model runs."""

    engine: str  # "ct2" (CTranslate2) or "torch" (transformers)
    device: str  # "cpu" or "cuda"
    precision: str  # CTranslate2 compute type or torch dtype: int8, float16, float32
    workers: int  # batches run side by side
    threads: int  # CPU threads per worker
    batch_tokens: int  # translation: padded source tokens per batch
    batch_segments: int  # translation: at most this many segments per batch
    summary_batch: int  # summaries: chunks per batch

    def describe(self) -> str:
        library = "ctranslate2" if self.engine == "ct2" else "transformers"
        return f"{library} {self.precision} on {self.device}"


def plan(engine: str, device: str, threads: int, precision: str | None = None) -> Placement:
    """The placement for a concrete engine ('ct2' or 'torch') and device ('cpu' or 'cuda')."""
    threads = max(1, threads)
    if device == "cuda":
        return Placement(
            engine=engine,
            device=device,
            precision=precision or ("float16" if engine == "ct2" else "float32"),
            workers=1,
            threads=1,
            batch_tokens=GPU_BATCH_TOKENS,
            batch_segments=GPU_BATCH_SEGMENTS,
            summary_batch=GPU_SUMMARY_BATCH,
        )
    if engine == "torch":  # one batch at a time on all threads: torch parallelises inside operations
        return Placement(
            engine=engine,
            device=device,
            precision=precision or "float32",
            workers=1,
            threads=threads,
            batch_tokens=CPU_TRANSLATION_TOKENS_IN_FLIGHT // 2,
            batch_segments=CPU_TRANSLATION_TOKENS_IN_FLIGHT,
            summary_batch=1,
        )
    workers = cpu_workers(threads)
    return Placement(
        engine=engine,
        device=device,
        precision=precision or "int8",
        workers=workers,
        threads=threads // workers,
        batch_tokens=max(256, CPU_TRANSLATION_TOKENS_IN_FLIGHT // workers),
        batch_segments=CPU_TRANSLATION_TOKENS_IN_FLIGHT,
        summary_batch=max(1, CPU_SUMMARY_CHUNKS_IN_FLIGHT // workers),
    )


def cpu_workers(threads: int) -> int:
    """CTranslate2 workers for `threads` CPU threads: 1 -> 1, 2-7 -> 2, 8 -> 2, 16 -> 4, 32 -> 8."""
    if threads < 2:
        return 1
    return max(2, threads // CPU_THREADS_PER_WORKER)


def candidates(engine: str, device: str) -> list[tuple[str, str]]:
    """(engine, device) pairs to try, best first, for the options as given."""
    if engine not in ENGINES:
        raise ConfigError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if device not in DEVICES:
        raise ConfigError(f"--device must be one of {', '.join(DEVICES)}, not {device!r}")
    have_ct2 = importlib.util.find_spec("ctranslate2") is not None
    engines = [engine] if engine != "auto" else ["ct2", "torch"] if have_ct2 else ["torch"]
    if device == "cpu":
        return [(engines[0], "cpu")]
    gpu = [(name, "cuda") for name in engines]
    return gpu if device == "cuda" else [*gpu, (engines[0], "cpu")]


class GpuUnusable(Exception):
    """A GPU candidate failed to load or to generate; `reason` is one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def gpu_hint(engine: str, reason: str) -> str:
    """How to provide what is missing, from the error's wording ('' when there is nothing to say)."""
    lowered = reason.lower()
    if ("cublas" in lowered and ".so.12" in lowered) or "cublas64_12" in lowered:
        return ": it needs CUDA 12's cuBLAS, which `pip install nvidia-cublas-cu12` provides"
    if "cudnn" in lowered:
        return ": it needs cuDNN 9 for CUDA 12, which `pip install nvidia-cudnn-cu12` provides"
    if "driver" in lowered:
        return ": the NVIDIA driver is older than the library needs; update it"
    if engine == "torch" and "no cuda gpu" in lowered:
        return ": this torch is a CPU build, or the driver is missing"
    return ""


def preload_cuda12_libraries() -> list[Path]:
    """Load CUDA 12's cuBLAS from the nvidia-cublas-cu12 wheel, where it is installed.

    CTranslate2 opens `libcublas.so.12` by name; the wheel puts it in site-packages, which the
    loader does not search. Loaded here first (globally), the name resolves to it.
    """
    if not sys.platform.startswith("linux"):
        return []
    loaded = []
    for entry in sys.path:
        folder = Path(entry or ".") / "nvidia" / "cublas" / "lib"
        # cuBLASLt first: cuBLAS needs it, and the wheel's cuBLAS does not always say where it is.
        for name in ("libcublasLt.so.12", "libcublas.so.12"):
            path = folder / name
            if path.is_file():
                try:
                    ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
                    loaded.append(path)
                except OSError as error:
                    log.info("cannot load %s: %s", path, error)
        if loaded:
            break
    return loaded


def require_cuda12_blas() -> None:
    """Fail as CTranslate2 would at its first GPU call, where CUDA 12's cuBLAS cannot be loaded."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libcublas.so.12", mode=ctypes.RTLD_GLOBAL)
    except OSError:
        raise GpuUnusable("Library libcublas.so.12 is not found or cannot be loaded") from None


def gpu_count(engine: str) -> int:
    try:
        if engine == "ct2":
            import ctranslate2

            return int(ctranslate2.get_cuda_device_count())
        import torch

        return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0
    except Exception:  # a broken CUDA install answers with an error: no usable GPU
        return 0


def library_name(engine: str) -> str:
    return "CTranslate2" if engine == "ct2" else "transformers"


def effective_batch_tokens(placement: Placement, total_tokens: int) -> int:
    """Batches small enough that every worker has two to work on, within the placement's size.

    Matters for a small run on several workers: one article's segments in one batch would
    leave every worker but one idle.
    """
    if placement.workers < 2:
        return placement.batch_tokens
    share = math.ceil(total_tokens / (2 * placement.workers))
    return max(128, min(placement.batch_tokens, share))
