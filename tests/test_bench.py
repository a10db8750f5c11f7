"""The benchmark's plumbing, on tiny models: every system runs, GPU-only ones included (here on
the CPU), and the JSON carries the figures and ratios the README and closing notes quote.
Speed itself is never asserted: tiny random models say nothing about it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO, environment_for_subprocess

pytestmark = pytest.mark.slow  # the slow tier: `python -m pytest -m slow` (CI runs it)


def test_the_benchmark_runs_every_system_and_reports_ratios(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    command = [sys.executable, "-m", "summarise.bench", "--tiny", "--all-systems", "--threads", "2"]
    command += ["--work", str(tmp_path / "models"), "--json", str(out)]
    result = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, env=environment_for_subprocess(), timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(out.read_text(encoding="utf-8"))
    translation = figures["translation"]["useful_tokens_per_s"]
    expected = {"naive", "batched", "big", "ct2", "ours", "big_greedy", "ct2_greedy", "ours_greedy"}
    expected |= {f"torch_{p}{g}" for p in ("float32", "float16", "bfloat16") for g in ("", "_greedy")}
    assert set(translation) == expected
    assert all(value > 0 for value in translation.values())
    assert set(figures["summarisation"]["seconds_per_article"]) == {"naive", "fp16x16", "ours"}
    assert {
        "translation_vs_batched",
        "translation_vs_ct2",
        "translation_vs_big",
        "summarisation_vs_fp16x16",
    } <= set(figures["ratios"])
    assert figures["translation"]["ours_engine"] == "ctranslate2 int8 on cpu"
    placed = figures["placement"]["translator"]
    assert (placed["workers"], placed["threads"]) == (2, 1)
    # A run on CTranslate2 with its models converted never imports torch: its memory is not spent.
    assert figures["memory"]["torch_imported"] is False
    assert figures["memory"]["peak_rss_mb"] > 0
