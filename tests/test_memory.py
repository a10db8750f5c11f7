"""The translation memory as a Translator in front of another: what it remembers is not asked
again, what it is asked is kept batch by batch, and a stop keeps what was finished."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from summarise.cache import Store
from summarise.cluster import ClusterSummariser, ClusterTranslator
from summarise.errors import StopRequested
from summarise.glossary import GlossaryTranslator
from summarise.memory import TranslationMemory
from summarise.summary import ModelSummariser, Summariser
from summarise.translate import (
    IdentityTranslator,
    ModelTranslator,
    OnTranslated,
    TranslatedSegment,
    TranslationModel,
    Translator,
)


class Reversing:
    """A test translator (not a model): each text reversed, in batches of two, with the texts
    each call was asked for recorded."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    def translate(
        self,
        texts: Sequence[str],
        on_translated: OnTranslated | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> dict[str, TranslatedSegment]:
        self.asked.append(list(texts))
        done: dict[str, TranslatedSegment] = {}
        for start in range(0, len(texts), 2):
            batch = {text: TranslatedSegment(text[::-1], -0.5, []) for text in texts[start : start + 2]}
            done.update(batch)
            if on_translated is not None:
                on_translated(batch)
            if should_stop is not None and should_stop():
                raise StopRequested("stopped between batches")
        return done


def memory(
    tmp_path: Path, translator: Translator, model: str = "m1", per_pass: int = 100
) -> TranslationMemory:
    return TranslationMemory(
        Store(tmp_path / "cache"), translator, lambda text: f"{model}:{text}", None, per_pass
    )


def test_what_is_remembered_is_not_asked_again(tmp_path: Path) -> None:
    first = Reversing()
    assert {k: v.text for k, v in memory(tmp_path, first).translate(["eins", "zwei", "eins"]).items()} == {
        "eins": "snie",
        "zwei": "iewz",
    }
    assert first.asked == [["eins", "zwei"]]  # each distinct text once
    second = Reversing()
    again = memory(tmp_path, second)
    found = again.translate(["zwei", "drei"])
    assert second.asked == [["drei"]]
    assert found["zwei"] == TranslatedSegment("iewz", -0.5, [])  # as the model gave it
    assert (again.remembered, again.translated) == (1, 1)


def test_another_model_or_setting_is_another_memory(tmp_path: Path) -> None:
    memory(tmp_path, Reversing()).translate(["eins"])
    other = Reversing()
    memory(tmp_path, other, model="m2").translate(["eins"])
    assert other.asked == [["eins"]]


def test_a_stop_keeps_the_batches_finished_before_it(tmp_path: Path) -> None:
    stopping = memory(tmp_path, Reversing())
    with pytest.raises(StopRequested):
        stopping.translate(["a1", "a2", "a3", "a4"], should_stop=lambda: True)
    assert stopping.translated == 2  # the first batch, kept
    later = Reversing()
    memory(tmp_path, later).translate(["a1", "a2", "a3", "a4"])
    assert later.asked == [["a3", "a4"]]


def test_a_large_job_goes_to_the_translator_in_passes(tmp_path: Path) -> None:
    translator = Reversing()
    heard: list[str] = []
    memory(tmp_path, translator, per_pass=3).translate(
        [f"t{i}" for i in range(7)], on_translated=lambda batch: heard.extend(batch)
    )
    assert [len(call) for call in translator.asked] == [3, 3, 1]
    assert sorted(heard) == sorted(f"t{i}" for i in range(7))  # every batch handed on


def test_the_identity_translator_gives_each_text_back_without_doubts() -> None:
    done = IdentityTranslator().translate(["The text.", "The text.", "`code` here"])
    assert done == {
        "The text.": TranslatedSegment("The text.", None, []),
        "`code` here": TranslatedSegment("`code` here", None, []),
    }


def the_translators_keep_the_protocols(
    model: ModelTranslator,
    cluster: ClusterTranslator,
    memory: TranslationMemory,
    glossary: GlossaryTranslator,
    summariser: ModelSummariser,
) -> None:
    """Checked by mypy, not run: every translator and summariser has the shape the run asks of it."""
    models: list[TranslationModel] = [model, cluster]
    translators: list[Translator] = [memory, glossary, IdentityTranslator(), Reversing(), *models]
    summarisers: list[Summariser] = [summariser, ClusterSummariser.__new__(ClusterSummariser)]
    assert translators and summarisers
