"""Loading a model where it really runs: the candidate engines and devices tried best first, each
GPU candidate probed with a tiny generation, and one warning line naming what failed and how to
provide it. The plan of each candidate (threads, workers, precision) is placement.py's; the
engines are engines.py's: this module joins them, so neither imports the other.
"""

from __future__ import annotations

import logging
from pathlib import Path

from . import placement
from .engines import Ct2Engine, Decoding, Engine, TorchEngine, converted_folder
from .errors import ConfigError, first_line
from .models import ResolvedModel, token_ids
from .placement import NO_GPU, GpuUnusable, candidates, gpu_hint, library_name, plan

log = logging.getLogger(__name__)


class EngineLoader:
    """Loads each model of a run where it really runs, trying the candidates best first.

    A GPU failure is a property of the machine, so it is found once per run: the second model
    skips what failed for the first, and the user reads one warning line, not two.
    """

    def __init__(self, engine: str, device: str, threads: int, converted_root: Path) -> None:
        self.requested = (engine, device)
        self.candidates = candidates(engine, device)
        self.threads = threads
        self.converted_root = converted_root
        self.failed: dict[tuple[str, str], str] = {}  # (engine, device) -> why, for this run
        self._gpu_seen: dict[str, bool] = {}

    def load(self, model: ResolvedModel) -> Engine:
        """`model` loaded on the first candidate that works; one warning line if that is not
        the first one worth trying, naming what failed and how to provide it."""
        failed_now: list[tuple[str, str]] = []
        for engine, device in self.candidates:
            if (engine, device) in self.failed or not self._has_gpu(engine, device):
                continue
            try:
                loaded = self._load_and_probe(model, engine, device)
            except GpuUnusable as error:
                self.failed[(engine, device)] = error.reason
                failed_now.append((engine, device))
                continue
            if failed_now:
                log.warning("%s; running on %s instead", self._why(failed_now), loaded.description)
            return loaded
        raise ConfigError(self._nothing_runs())

    def will_convert(self, model: ResolvedModel) -> bool:
        """Whether loading `model` begins by converting it for CTranslate2 (its first use): the
        first candidate is CTranslate2 and no conversion of the model is in the cache yet."""
        usable = (c for c in self.candidates if c not in self.failed and self._has_gpu(*c))
        engine, device = next(usable, ("", ""))
        if engine != "ct2":
            return False
        precision = plan(engine, device, self.threads).precision
        return not (converted_folder(model, precision, self.converted_root) / "model.bin").is_file()

    def check(self) -> None:
        """With --device cuda, fail before any work where no engine sees a GPU at all (device
        counts only: whether it really works shows when the first model loads)."""
        if self.requested[1] == "cuda" and not any(self._has_gpu(*c) for c in self.candidates):
            raise ConfigError(self._nothing_runs())

    def _load_and_probe(self, model: ResolvedModel, engine: str, device: str) -> Engine:
        planned = plan(engine, device, self.threads)
        if device == "cpu":  # the last resort: errors here are the model's, not the device's
            if engine == "ct2":
                return Ct2Engine(model, planned, self.converted_root)
            return TorchEngine(model, planned)
        try:
            if engine == "ct2":
                placement.preload_cuda12_libraries()
                placement.require_cuda12_blas()  # before converting a model for a GPU that cannot run it
                loaded: Engine = Ct2Engine(model, planned, self.converted_root)
            else:
                loaded = TorchEngine(model, planned)
            probe(loaded)
        except GpuUnusable:
            raise
        except Exception as error:  # CUDA libraries, drivers, out of memory: all say "not here"
            raise GpuUnusable(first_line(error, type(error).__name__)) from None
        return loaded

    def _has_gpu(self, engine: str, device: str) -> bool:
        """Whether it is worth trying `engine` on `device` (cheap checks; the probe decides)."""
        if device == "cpu":
            return True
        if engine == "torch" and self._gpu_seen.get("ct2") is False:
            # CTranslate2 found no GPU: no driver either, so importing torch to ask costs seconds
            # for nothing.
            return False
        if engine not in self._gpu_seen:
            self._gpu_seen[engine] = placement.gpu_count(engine) > 0
            if not self._gpu_seen[engine]:
                self.failed[(engine, device)] = NO_GPU
        return self._gpu_seen[engine]

    def _why(self, candidates: list[tuple[str, str]]) -> str:
        return "; ".join(
            f"{library_name(engine)} cannot use the GPU ({self.failed[(engine, device)]})"
            f"{gpu_hint(engine, self.failed[(engine, device)])}"
            for engine, device in candidates
        )

    def _nothing_runs(self) -> str:
        engine, device = self.requested
        gpu = [c for c, why in self.failed.items() if c[1] == "cuda" and why != NO_GPU]
        reasons = self._why(gpu) if gpu else NO_GPU
        other = " --engine torch or" if engine == "ct2" else ""
        return f"--engine {engine} --device {device}: {reasons}; use{other} --device cpu"


def probe(engine: Engine) -> None:
    """A tiny generation: where a library or driver is missing, this is where it shows."""
    [ids] = token_ids(engine.tokenizer, ["Guten Morgen."])
    engine.generate([ids], Decoding(beams=1, max_new_tokens=2))
