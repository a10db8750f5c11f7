"""Where models run: engine and device chosen by probing, the fallback when CTranslate2 cannot use
the GPU, and batch and worker sizes per device kind.

No GPU here (nor in CI): the GPU is made visible to the libraries' device counts, and what then
fails is what fails on a machine without CUDA 12's cuBLAS (or, in one test, a probe made to fail
exactly as CTranslate2 fails there, at its first generation).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from support import environment_for_subprocess
from typer.testing import CliRunner

from summarise import placement
from summarise.cli import app
from summarise.engines import Ct2Engine
from summarise.errors import ConfigError
from summarise.loading import EngineLoader
from summarise.models import ModelSpec, resolve_model
from summarise.placement import candidates, cpu_workers, gpu_hint, plan

runner = CliRunner()
CUBLAS_MISSING = "Library libcublas.so.12 is not found or cannot be loaded"


def real_gpu() -> bool:
    import ctranslate2

    return bool(ctranslate2.get_cuda_device_count())


pytestmark = pytest.mark.skipif(real_gpu(), reason="these tests pretend a GPU where none works")


@pytest.fixture
def gpu_visible_to_ct2(monkeypatch: pytest.MonkeyPatch) -> None:
    """CTranslate2 counts one GPU, as on a machine with a GPU and only CUDA 13 installed."""
    import ctranslate2

    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 1)


def brief(inputs: Path, out: Path, marian: Path, bart: Path, *extra: str) -> Any:
    args = ["brief", str(inputs), "-o", str(out), "--translator", str(marian), "--summariser", str(bart)]
    return runner.invoke(app, [*args, "--beams", "1", *extra])


def test_candidates_best_first() -> None:
    assert candidates("auto", "auto") == [("ct2", "cuda"), ("torch", "cuda"), ("ct2", "cpu")]
    assert candidates("auto", "cuda") == [("ct2", "cuda"), ("torch", "cuda")]
    assert candidates("auto", "cpu") == [("ct2", "cpu")]
    assert candidates("ct2", "auto") == [("ct2", "cuda"), ("ct2", "cpu")]
    assert candidates("ct2", "cuda") == [("ct2", "cuda")]
    assert candidates("torch", "auto") == [("torch", "cuda"), ("torch", "cpu")]
    with pytest.raises(ConfigError):
        candidates("onnx", "auto")


@pytest.mark.parametrize("threads", [1, 2, 3, 4, 8, 16, 32, 64])
def test_cpu_plans_use_every_thread_and_keep_what_is_in_flight_bounded(threads: int) -> None:
    p = plan("ct2", "cpu", threads)
    assert p.workers == cpu_workers(threads) and p.workers * p.threads <= threads
    assert p.workers * p.threads > threads - p.workers  # at most a remainder unused
    # Memory grows with the batches in flight, so their total stays the same for any core count.
    assert p.workers * p.batch_tokens <= 2048 or p.batch_tokens == 256
    assert p.workers * p.summary_batch <= max(4, p.workers)
    assert p.precision == "int8"


def test_two_cores_run_two_single_thread_workers_as_measured() -> None:
    p = plan("ct2", "cpu", 2)
    assert (p.workers, p.threads, p.batch_tokens, p.summary_batch) == (2, 1, 1024, 2)


def test_gpu_plans_batch_far_more_and_torch_stays_float32() -> None:
    torch_gpu, ct2_gpu, ct2_cpu = plan("torch", "cuda", 16), plan("ct2", "cuda", 16), plan("ct2", "cpu", 16)
    assert torch_gpu.precision == "float32" and ct2_gpu.precision == "float16"
    assert torch_gpu.batch_tokens >= 8 * ct2_cpu.batch_tokens
    assert torch_gpu.summary_batch >= 8 and torch_gpu.workers == 1


def test_hints_name_what_to_install() -> None:
    assert "nvidia-cublas-cu12" in gpu_hint("ct2", CUBLAS_MISSING)
    assert "nvidia-cudnn-cu12" in gpu_hint("ct2", "Library libcudnn_ops.so.9 is not found")
    assert "driver" in gpu_hint("ct2", "CUDA driver version is insufficient for CUDA runtime version")
    assert gpu_hint("ct2", "something else") == ""


def test_ct2_without_cublas_falls_back_with_one_warning_line(
    gpu_visible_to_ct2: None, seeds_copy: Path, tmp_path: Path, tiny_marian: Path, tiny_bart: Path
) -> None:
    out = tmp_path / "out"
    result = brief(seeds_copy, out, tiny_marian, tiny_bart)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    warnings = [line for line in result.stderr.splitlines() if "GPU" in line]
    # Both models go through the loader; the machine's failure is found and told once.
    assert len(warnings) == 1, result.stderr
    assert CUBLAS_MISSING in warnings[0] and "pip install nvidia-cublas-cu12" in warnings[0]
    assert "ctranslate2 int8 on cpu" in warnings[0]
    record = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
    assert record["models"]["translator"]["engine"] == "ctranslate2 int8 on cpu"
    assert record["models"]["summariser"]["engine"] == "ctranslate2 int8 on cpu"


def test_ct2_on_cuda_asked_for_explicitly_fails_with_one_line_and_exit_2(
    gpu_visible_to_ct2: None, seeds_copy: Path, tmp_path: Path, tiny_marian: Path, tiny_bart: Path
) -> None:
    explicit = ["--engine", "ct2", "--device", "cuda"]
    result = brief(seeds_copy, tmp_path / "out", tiny_marian, tiny_bart, *explicit)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: --engine ct2 --device cuda: CTranslate2 cannot use the GPU")
    assert CUBLAS_MISSING in lines[0] and "nvidia-cublas-cu12" in lines[0] and "--engine torch" in lines[0]


def test_no_gpu_at_all_with_device_cuda_is_a_usage_error(
    seeds_copy: Path, tmp_path: Path, tiny_marian: Path, tiny_bart: Path
) -> None:
    result = brief(seeds_copy, tmp_path / "out", tiny_marian, tiny_bart, "--device", "cuda")
    assert result.exit_code == 2, result.output
    expected = "error: --engine auto --device cuda: no CUDA GPU visible; use --device cpu"
    assert result.stderr.strip() == expected


def test_a_probe_that_fails_at_the_first_generation_moves_the_model(
    monkeypatch: pytest.MonkeyPatch, gpu_visible_to_ct2: None, tiny_marian: Path, tmp_path: Path
) -> None:
    """cuBLAS present at load but failing at the first call: the probe's generation catches it."""
    import ctranslate2

    real_translator = ctranslate2.Translator

    class BrokenOnGpu:
        def __init__(self, *args: Any, device: str = "cpu", **kwargs: Any) -> None:
            self.device = device
            self.real = real_translator(*args, **{**kwargs, "compute_type": "int8"})

        def translate_batch(self, *args: Any, **kwargs: Any) -> Any:
            if self.device == "cuda":
                raise RuntimeError(CUBLAS_MISSING)
            return self.real.translate_batch(*args, **kwargs)

    monkeypatch.setattr(ctranslate2, "Translator", BrokenOnGpu)
    monkeypatch.setattr(placement, "require_cuda12_blas", lambda: None)
    model = resolve_model(ModelSpec("translator", str(tiny_marian)), "--translator")
    engine = EngineLoader("ct2", "auto", 2, tmp_path).load(model)
    assert engine.description == "ctranslate2 int8 on cpu"
    assert engine.generate([[5, 6, 0]], placement_decoding())[0].ids is not None
    with pytest.raises(ConfigError, match="nvidia-cublas-cu12"):
        EngineLoader("ct2", "cuda", 2, tmp_path).load(model)


def placement_decoding() -> Any:
    from summarise.engines import Decoding

    return Decoding(beams=1, max_new_tokens=3)


def test_torch_failing_on_the_gpu_too_still_gives_one_line(
    monkeypatch: pytest.MonkeyPatch,
    gpu_visible_to_ct2: None,
    tiny_marian: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    model = resolve_model(ModelSpec("translator", str(tiny_marian)), "--translator")
    loader = EngineLoader("auto", "auto", 2, tmp_path)
    with caplog.at_level("WARNING", logger="summarise"):
        engine = loader.load(model)
        loader.load(model)  # the same machine: nothing new to say
    assert engine.description == "ctranslate2 int8 on cpu"
    assert len(caplog.records) == 1, caplog.text
    message = caplog.records[0].getMessage()
    assert "CTranslate2 cannot use the GPU" in message and "transformers cannot use the GPU" in message
    assert set(loader.failed) == {("ct2", "cuda"), ("torch", "cuda")}


def test_the_real_driver_error_here_also_falls_back(
    monkeypatch: pytest.MonkeyPatch, gpu_visible_to_ct2: None, tiny_marian: Path, tmp_path: Path
) -> None:
    """Past the cuBLAS check, CTranslate2 itself meets a machine without a GPU driver."""
    monkeypatch.setattr(placement, "require_cuda12_blas", lambda: None)
    model = resolve_model(ModelSpec("translator", str(tiny_marian)), "--translator")
    loader = EngineLoader("ct2", "auto", 2, tmp_path)
    assert loader.load(model).description == "ctranslate2 int8 on cpu"
    assert loader.failed[("ct2", "cuda")]  # CTranslate2's own words, whatever they are here


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc to build a stand-in library")
def test_cublas_from_the_nvidia_wheel_is_found_by_its_plain_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """CTranslate2 opens `libcublas.so.12` by name; the nvidia-cublas-cu12 wheel puts it in
    site-packages, off the loader's path. A library with that soname, laid out as the wheel lays
    it out, must answer to the plain name once preloaded."""
    lib = tmp_path / "site" / "nvidia" / "cublas" / "lib"
    lib.mkdir(parents=True)
    source = tmp_path / "stand_in.c"
    source.write_text("int summarise_stand_in(void) { return 12; }\n")
    for name in ("libcublasLt.so.12", "libcublas.so.12"):
        subprocess.run(
            ["gcc", "-shared", "-fPIC", f"-Wl,-soname,{name}", "-o", str(lib / name), str(source)], check=True
        )
    code = textwrap.dedent(f"""
        import ctypes, sys
        sys.path.insert(0, {str(tmp_path / "site")!r})
        from summarise.placement import preload_cuda12_libraries
        try:
            ctypes.CDLL("libcublas.so.12")
            sys.exit("found before the preload: the test proves nothing here")
        except OSError:
            pass
        print(len(preload_cuda12_libraries()))
        print(ctypes.CDLL("libcublas.so.12").summarise_stand_in())
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment_for_subprocess()
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "12"]


def test_loading_a_converted_model_on_the_cpu_imports_no_torch(tiny_marian: Path, tmp_path: Path) -> None:
    """torch is for converting and for the torch engine; CTranslate2 inference does without it
    (on a CUDA machine, importing torch alone costs seconds and ~500 MB)."""
    model = resolve_model(ModelSpec("translator", str(tiny_marian)), "--translator")
    Ct2Engine(model, plan("ct2", "cpu", 2), tmp_path / "ct2")  # converted once, here
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from summarise.models import ModelSpec, resolve_model
        from summarise.loading import EngineLoader
        model = resolve_model(ModelSpec("translator", {str(tiny_marian)!r}), "--translator")
        engine = EngineLoader("auto", "auto", 2, Path({str(tmp_path / "ct2")!r})).load(model)
        print(engine.description, "torch" in sys.modules)
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment_for_subprocess()
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ctranslate2 int8 on cpu False"
