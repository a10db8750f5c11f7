"""The real models, where they are in the user's Hugging Face cache; skipped everywhere else.

Run with the real cache visible: SUMMARISE_REAL_HF_CACHE=~/.cache/huggingface/hub pytest -m real_models
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from summarise.engines import load_engine
from summarise.models import load_manifest, resolve_model
from summarise.summary import ModelSummariser, summary_settings
from summarise.translate import ModelTranslator, translation_settings

pytestmark = pytest.mark.real_models

REAL_CACHE = os.environ.get("SUMMARISE_REAL_HF_CACHE", "")


def real_model(role: str, engine: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Any, Any]:
    """The real model of `role` on `engine`, and its resolved folder; skips where it is absent."""
    if not REAL_CACHE:
        pytest.skip("set SUMMARISE_REAL_HF_CACHE to a Hugging Face cache holding the real models")
    monkeypatch.setenv("HF_HUB_CACHE", str(Path(REAL_CACHE).expanduser()))
    spec = load_manifest()[role]
    try:
        resolved = resolve_model(spec, f"--{role}", download=False)
    except Exception as error:
        pytest.skip(f"{spec.name} is not in {REAL_CACHE}: {error}")
    return load_engine(resolved, engine, "cpu", 2, tmp_path), resolved


@pytest.mark.parametrize("engine", ["ct2", "torch"])
def test_opus_mt_translates_german_news_into_english(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, engine: str
) -> None:
    loaded, resolved = real_model("translator", engine, monkeypatch, tmp_path)
    translator = ModelTranslator(loaded, translation_settings(resolved, engine, None))
    german = "Der russische Präsident hat den Soldaten seinen Dank ausgesprochen."
    translated = translator.translate([german])[german]
    assert not translated.flags, translated  # a plain news sentence must pass the guard
    english = translated.text
    assert "Russian" in english and "president" in english.lower() and "soldiers" in english


@pytest.mark.parametrize("engine", ["ct2", "torch"])
def test_distilbart_summarises_into_a_shorter_english_text(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, engine: str
) -> None:
    loaded, resolved = real_model("summariser", engine, monkeypatch, tmp_path)
    summariser = ModelSummariser(loaded, summary_settings(resolved, engine, None))
    text = (
        "Russian President Vladimir Putin thanked North Korean soldiers who helped Moscow's forces "
        "defend the Kursk region. Putin made the statement during a meeting with North Korean leader "
        "Kim Jong-un in China on Wednesday. The two leaders held bilateral talks in Beijing. "
    ) * 4
    summary = summariser.summarise([text])
    assert "Putin" in summary.text and len(summary.text) < len(text)
