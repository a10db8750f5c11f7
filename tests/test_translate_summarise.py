from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pytest
from support import seed_lines

from summarise import split_sentences
from summarise.brief import assemble_paragraphs
from summarise.engines import Decoding, Hypothesis, Job, load_engine
from summarise.errors import SummariseError
from summarise.models import ModelSpec, load_tokenizer, resolve_model
from summarise.placement import plan
from summarise.summary import ModelSummariser, Summary, summary_settings
from summarise.translate import ModelTranslator, batches_by_tokens, translation_settings


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
    translator = ModelTranslator(
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
    summariser = ModelSummariser(engine, summary_settings(resolved, "ct2", beams=1))
    units = [s for line in seed_lines() for s in split_sentences(line)] * 3
    chunks = summariser._chunk(units, summariser.settings.window)
    assert len(chunks) > 1
    assert " ".join(chunks) == " ".join(units)
    assert all(summariser.count_tokens(chunk) <= summariser.settings.window for chunk in chunks)
    summary = summariser.summarise(units)
    assert summary.chunks == len(chunks) and summary.rounds >= 2 and summary.text


def test_summaries_batched_across_articles_equal_summaries_one_at_a_time(
    tiny_bart: Path, tmp_path: Path
) -> None:
    resolved = resolve_model(ModelSpec("summariser", str(tiny_bart)), "--summariser")
    engine = load_engine(resolved, "ct2", "cpu", 2, tmp_path / "ct2", precision="float32")
    summariser = ModelSummariser(engine, summary_settings(resolved, "ct2", beams=2))
    units = [s for line in seed_lines() for s in split_sentences(line)]
    # Short and long (several chunks, two rounds) articles mixed, and one with nothing in it.
    articles = [units[:3], units[3:40], [], units[40:45], units * 2, units[45:46]]
    together = summariser.summarise_many(articles)
    alone = [summariser.summarise(article) for article in articles]
    assert together == alone
    assert together[2] == Summary("", 0, 0)
    assert isinstance(together[4], Summary) and together[4].rounds >= 2


class _FixedLengthEngine:
    """A stand-in engine for the plumbing: every output is `max_new_tokens` long (a summariser
    whose summaries never get shorter), built from the input's own ids."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.placement = plan("ct2", "cpu", 2)
        self.description = "fixed-length stand-in"
        self.batches: list[int] = []

    def generate(self, batch: Sequence[Sequence[int]], decoding: Decoding) -> list[Hypothesis]:
        self.batches.append(len(batch))
        return [Hypothesis([ids[i % len(ids)] for i in range(decoding.max_new_tokens)]) for ids in batch]

    def generate_many(
        self, jobs: Sequence[Job], should_stop: Callable[[], bool] | None = None
    ) -> Iterator[list[Hypothesis]]:
        for batch, decoding in jobs:
            yield self.generate(batch, decoding)


def test_an_article_whose_summary_never_converges_fails_alone(tiny_bart: Path) -> None:
    resolved = resolve_model(ModelSpec("summariser", str(tiny_bart)), "--summariser")
    engine = _FixedLengthEngine(load_tokenizer(resolved))
    settings = replace(
        summary_settings(resolved, "ct2", beams=1), window=64, max_new_tokens=40, min_new_tokens=0
    )
    summariser = ModelSummariser(engine, settings)
    units = [s for line in seed_lines() for s in split_sentences(line)]
    outcomes = summariser.summarise_many([units[:1], units[:30], units[1:2]])
    assert isinstance(outcomes[0], Summary) and isinstance(outcomes[2], Summary)
    assert isinstance(outcomes[1], SummariseError) and "did not converge" in str(outcomes[1])
    assert max(engine.batches) == engine.placement.summary_batch  # chunks of several articles shared batches
