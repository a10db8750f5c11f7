from __future__ import annotations

from pathlib import Path

from conftest import seed_lines

from summarise import split_sentences
from summarise.models import ModelSpec, resolve_model
from summarise.segment import Segment
from summarise.summarise import Summariser, summary_settings
from summarise.translate import Translator, _batches_by_tokens, assemble_paragraphs, translation_settings


def test_batches_are_cut_by_padded_tokens() -> None:
    lengths = [3, 5, 5, 9, 20, 40, 41]
    batches = _batches_by_tokens(list(range(len(lengths))), lengths, budget=45)
    assert [i for batch in batches for i in batch] == list(range(len(lengths)))
    assert all(len(batch) * max(lengths[i] for i in batch) <= 45 for batch in batches)
    assert _batches_by_tokens([0], [100], budget=45) == [[0]]  # one over-budget item still goes alone


def test_paragraphs_are_reassembled_in_order() -> None:
    segments = [
        Segment(0, 0, "a"),
        Segment(0, 1, "b"),
        Segment(1, 2, "c"),
        Segment(2, 3, "d"),
        Segment(2, 3, "e"),
    ]
    assert assemble_paragraphs(segments, ["A", "B", "C", "D", "E"], 3) == ["A B", "C", "D E"]


def test_the_copy_model_translates_in_input_order_despite_length_sorting(copy_marian: Path) -> None:
    resolved = resolve_model(ModelSpec("translator", str(copy_marian)), "--translator")
    translator = Translator(resolved, translation_settings(resolved, beams=1), "cpu", batch_tokens=300)
    sentences = [s for line in seed_lines() for s in split_sentences(line)][:40]
    # Shortest and longest mixed: sorting into batches must not change the order of results.
    texts = sorted(sentences, key=len)[::2] + sorted(sentences, key=len)[1::2][::-1]
    outputs = translator.translate(texts)
    assert len(outputs) == len(texts)
    assert sum(out == text for out, text in zip(outputs, texts, strict=True)) >= 0.8 * len(texts)


def test_summary_chunks_cover_every_unit_within_the_window(tiny_bart: Path) -> None:
    resolved = resolve_model(ModelSpec("summariser", str(tiny_bart)), "--summariser")
    summariser = Summariser(resolved, summary_settings(resolved, beams=1), "cpu")
    units = [s for line in seed_lines() for s in split_sentences(line)] * 3
    chunks = summariser._chunk(units, summariser.settings.window)
    assert len(chunks) > 1
    assert " ".join(chunks) == " ".join(units)
    assert all(summariser.count_tokens(chunk) <= summariser.settings.window for chunk in chunks)
    summary = summariser.summarise(units)
    assert summary.chunks == len(chunks) and summary.rounds >= 2 and summary.text
