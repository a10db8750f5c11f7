from __future__ import annotations

from difflib import SequenceMatcher
from pathlib import Path

import pytest
from conftest import seed_lines

from summarise import split_sentences
from summarise.engines import load_engine
from summarise.models import ModelSpec, resolve_model
from summarise.summarise import Summariser, summary_settings
from summarise.translate import Translator, assemble_paragraphs, batches_by_tokens, translation_settings


def test_batches_are_cut_by_padded_tokens() -> None:
    lengths = [3, 5, 5, 9, 20, 40, 41]
    batches = batches_by_tokens(list(range(len(lengths))), lengths, budget=45)
    assert [i for batch in batches for i in batch] == list(range(len(lengths)))
    assert all(len(batch) * max(lengths[i] for i in batch) <= 45 for batch in batches)
    assert batches_by_tokens([0], [100], budget=45) == [[0]]  # one over-budget item still goes alone


def test_paragraphs_are_reassembled_in_order() -> None:
    assert assemble_paragraphs([0, 0, 1, 2, 2], ["A", "B", "C", "D", "E"], 3) == ["A B", "C", "D E"]
    assert assemble_paragraphs([0, 1, 2], ["A", "", "C"], 3) == ["A", "C"]


@pytest.mark.parametrize("engine", ["ct2", "torch"])
def test_the_copy_model_translates_in_input_order_despite_length_sorting(
    copy_marian: Path, tmp_path: Path, engine: str
) -> None:
    resolved = resolve_model(ModelSpec("translator", str(copy_marian)), "--translator")
    translator = Translator(
        load_engine(resolved, engine, "cpu", 2, tmp_path / "ct2"),
        translation_settings(resolved, engine, beams=1),
        batch_tokens=300,
    )
    sentences = [s for line in seed_lines() for s in split_sentences(line)][:40]
    # Shortest and longest mixed: sorting into batches must not change the order of results.
    texts = sorted(sentences, key=len)[::2] + sorted(sentences, key=len)[1::2][::-1]
    translated = translator.translate(texts)
    assert set(translated) == set(texts)
    outputs = [translated[text].text for text in texts]
    assert all(translated[text].log_prob is not None for text in texts)
    assert sum(out == text for out, text in zip(outputs, texts, strict=True)) >= 0.5 * len(texts)
    # Each output is closest to its own input among all inputs: nothing was shuffled.
    for out, text in zip(outputs, texts, strict=True):
        assert max(texts, key=lambda t: SequenceMatcher(None, t, out).ratio()) == text


def test_summary_chunks_cover_every_unit_within_the_window(tiny_bart: Path, tmp_path: Path) -> None:
    resolved = resolve_model(ModelSpec("summariser", str(tiny_bart)), "--summariser")
    engine = load_engine(resolved, "ct2", "cpu", 2, tmp_path / "ct2")
    summariser = Summariser(engine, summary_settings(resolved, "ct2", beams=1))
    units = [s for line in seed_lines() for s in split_sentences(line)] * 3
    chunks = summariser._chunk(units, summariser.settings.window)
    assert len(chunks) > 1
    assert " ".join(chunks) == " ".join(units)
    assert all(summariser.count_tokens(chunk) <= summariser.settings.window for chunk in chunks)
    summary = summariser.summarise(units)
    assert summary.chunks == len(chunks) and summary.rounds >= 2 and summary.text
