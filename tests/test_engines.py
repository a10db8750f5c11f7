"""CTranslate2 and transformers run the same model to the same tokens; heavy imports stay lazy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support import environment_for_subprocess

from summarise.engines import Ct2Engine, Decoding, TorchEngine, converted_folder, physical_cores
from summarise.models import ModelSpec, resolve_model
from summarise.placement import plan

SENTENCES = [
    "Der russische Präsident hat den Soldaten gedankt.",
    "Kim sagte voraus, dass die Zusammenarbeit zwischen Russland und Nordkorea wachsen würde.",
    "Das Treffen dauerte zwei Stunden.",
]


@pytest.mark.parametrize(("fixture", "no_repeat"), [("tiny_marian", 0), ("tiny_bart", 0), ("tiny_bart", 3)])
def test_ct2_float32_greedy_equals_transformers_greedy_token_for_token(
    request: pytest.FixtureRequest, tmp_path: Path, fixture: str, no_repeat: int
) -> None:
    model = resolve_model(ModelSpec("m", str(request.getfixturevalue(fixture))), "--m")
    reference = TorchEngine(model, plan("torch", "cpu", 2))
    ct2 = Ct2Engine(model, plan("ct2", "cpu", 2, "float32"), tmp_path)
    batch = reference.tokenizer(SENTENCES)["input_ids"]
    decoding = Decoding(beams=1, max_new_tokens=24, no_repeat_ngram_size=no_repeat)
    expected = [h.ids for h in reference.generate(batch, decoding)]
    got = [h.ids for h in ct2.generate(batch, decoding)]
    assert any(len(ids) > 5 for ids in expected)
    for torch_ids, ct2_ids in zip(expected, got, strict=True):
        if len(torch_ids) == decoding.max_new_tokens - 1:
            # transformers forces </s> in the last position (forced_eos_token_id); CTranslate2 does not.
            ct2_ids = ct2_ids[: len(torch_ids)]
        assert ct2_ids == torch_ids


@pytest.mark.parametrize("beams", [1, 4])
def test_both_engines_report_the_same_confidence(copy_marian: Path, tmp_path: Path, beams: int) -> None:
    """Mean token log-probability of the output: CTranslate2's search score, transformers' re-score."""
    model = resolve_model(ModelSpec("m", str(copy_marian)), "--m")
    reference = TorchEngine(model, plan("torch", "cpu", 2))
    ct2 = Ct2Engine(model, plan("ct2", "cpu", 2, "float32"), tmp_path)
    batch = reference.tokenizer(SENTENCES)["input_ids"]
    decoding = Decoding(beams=beams, max_new_tokens=64, scores=True)
    expected, got = reference.generate(batch, decoding), ct2.generate(batch, decoding)
    same = [(t, c) for t, c in zip(expected, got, strict=True) if t.ids == c.ids]
    assert len(same) >= 2  # near-ties may tip either way between two implementations
    for torch_output, ct2_output in same:
        assert torch_output.log_prob is not None and ct2_output.log_prob is not None
        assert -3 < ct2_output.log_prob < 0
        # transformers' generation config forbids <pad>, so its probabilities are renormalised: close.
        assert ct2_output.log_prob == pytest.approx(torch_output.log_prob, abs=0.02)
    without = ct2.generate(batch, Decoding(beams=beams, max_new_tokens=64))
    assert all(h.log_prob is None for h in without)


def test_ct2_stops_submitting_batches_when_asked(tiny_marian: Path, tmp_path: Path) -> None:
    model = resolve_model(ModelSpec("m", str(tiny_marian)), "--m")
    ct2 = Ct2Engine(model, plan("ct2", "cpu", 2), tmp_path)
    batch = ct2.tokenizer(SENTENCES)["input_ids"]
    jobs = [(batch, Decoding(beams=1, max_new_tokens=8))] * 20
    finished = 0

    def stop_after_three() -> bool:
        return finished >= 3

    for _ in ct2.generate_many(jobs, stop_after_three):
        finished += 1
    # The batches already in flight when the stop came (two per worker at most) are completed.
    assert 3 <= finished <= 3 + 4


def test_conversion_happens_once_per_revision_and_quantisation(tiny_marian: Path, tmp_path: Path) -> None:
    model = resolve_model(ModelSpec("translator", str(tiny_marian)), "--translator")
    Ct2Engine(model, plan("ct2", "cpu", 1, "int8"), tmp_path)
    folder = converted_folder(model, "int8", tmp_path)
    converted_at = (folder / "model.bin").stat().st_mtime_ns
    Ct2Engine(model, plan("ct2", "cpu", 1, "int8"), tmp_path)
    assert (folder / "model.bin").stat().st_mtime_ns == converted_at
    Ct2Engine(model, plan("ct2", "cpu", 1, "float32"), tmp_path)
    assert sorted(p.name.rsplit("--", 1)[1] for p in tmp_path.iterdir()) == ["float32", "int8"]


def test_physical_cores_is_a_positive_count() -> None:
    assert 1 <= physical_cores() <= len(os.sched_getaffinity(0))


HEAVY = ("torch", "transformers", "ctranslate2")


def imports_of(*cli_args: str, cwd: Path) -> list[str]:
    """Run the CLI in a fresh interpreter; return which heavy modules it imported."""
    code = textwrap.dedent(f"""
        import json
        import sys
        from summarise.cli import app
        try:
            app({list(cli_args)!r})
        except SystemExit as done:
            assert done.code in (0, None), done.code
        print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
    """)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=environment_for_subprocess(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    names: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return names


def test_help_and_cache_stats_import_no_model_library(tmp_path: Path) -> None:
    assert imports_of("--help", cwd=tmp_path) == []
    assert imports_of("brief", "--help", cwd=tmp_path) == []
    assert imports_of("cache", "stats", cwd=tmp_path) == []


@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
def test_a_fully_cached_rerun_imports_no_model_library(
    seeds_copy: Path, tmp_path: Path, tiny_marian: Path, tiny_bart: Path
) -> None:
    args = ["brief", str(seeds_copy), "-o", str(tmp_path / "out"), "--translator", str(tiny_marian)]
    args += ["--summariser", str(tiny_bart), "--beams", "1", "-q"]
    assert set(imports_of(*args, cwd=tmp_path)) == set(HEAVY)  # the first run does load them
    assert imports_of(*args, cwd=tmp_path) == []


def test_threads_reach_both_engines(tiny_marian: Path, tmp_path: Path) -> None:
    import torch

    model = resolve_model(ModelSpec("translator", str(tiny_marian)), "--translator")
    two_cores = Ct2Engine(model, plan("ct2", "cpu", 2), tmp_path)
    assert two_cores.translator.num_translators == 2  # two batches side by side, one thread each
    assert Ct2Engine(model, plan("ct2", "cpu", 1), tmp_path).translator.num_translators == 1
    before = torch.get_num_threads()
    try:
        TorchEngine(model, plan("torch", "cpu", 1))
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def _cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


@pytest.mark.skipif(not _cuda(), reason="needs a CUDA GPU")
def test_the_torch_engine_on_the_gpu_copies_as_the_cpu_does(copy_marian: Path) -> None:
    """The GPU path (its placement, batch size and dtype) gives the CPU path's output."""
    model = resolve_model(ModelSpec("m", str(copy_marian)), "--m")
    cpu = TorchEngine(model, plan("torch", "cpu", 2))
    gpu = TorchEngine(model, plan("torch", "cuda", 2))
    batch = cpu.tokenizer(SENTENCES)["input_ids"]
    for beams in (1, 4):
        decoding = Decoding(beams=beams, max_new_tokens=64, scores=True)
        on_cpu, on_gpu = cpu.generate(batch, decoding), gpu.generate(batch, decoding)
        assert [h.ids for h in on_gpu] == [h.ids for h in on_cpu]
        for a, b in zip(on_cpu, on_gpu, strict=True):
            assert a.log_prob == pytest.approx(b.log_prob, abs=1e-3)
