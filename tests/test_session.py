"""The model session: models resolved when it opens (a missing one before any work), loaded only
when first used, and cache keys that change with whatever changes a result."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest
from support import options

from summarise.cache import cache_key
from summarise.errors import ModelLoadError
from summarise.session import ModelSession


def session(tmp_path: Path, marian: Path, bart: Path | None = None, **changes: object) -> ModelSession:
    chosen = replace(options(tmp_path / "out", marian, bart), engine="torch", **changes)  # type: ignore[arg-type]
    return ModelSession(chosen, tmp_path / "ct2")


def test_opening_resolves_without_loading(tmp_path: Path, tiny_marian: Path, tiny_bart: Path) -> None:
    opened = session(tmp_path, tiny_marian, tiny_bart)
    assert opened.loaded == [] and opened.load_seconds == {}
    assert opened.translator_ref.path == tiny_marian and opened.summariser_ref is not None
    assert "summary" in opened.settings() and "translation" in opened.settings()
    opened.translator()
    assert opened.loaded == ["translator"]  # the summariser waits until a summary is asked for
    assert opened.translator() is opened.translator()  # loaded once


def test_a_missing_model_is_named_when_the_session_opens(tmp_path: Path, tiny_marian: Path) -> None:
    with pytest.raises(ModelLoadError, match="no-such-model"):
        session(tmp_path, tiny_marian, tmp_path / "no-such-model")


def test_a_cached_article_needs_no_model_library(tmp_path: Path, tiny_marian: Path) -> None:
    """Keys are made from the resolved models and settings alone: no torch import for them."""
    opened = session(tmp_path, tiny_marian)
    before = "torch" in sys.modules
    key = opened.translation_key("content")
    assert opened.summary_key(key) is None  # translate only
    assert ("torch" in sys.modules) == before


def test_every_setting_that_changes_a_result_changes_its_key(
    tmp_path: Path, tiny_marian: Path, tiny_bart: Path
) -> None:
    base = session(tmp_path, tiny_marian, tiny_bart)
    greedy = session(tmp_path, tiny_marian, tiny_bart, beams=4)
    forced = session(tmp_path, tiny_marian, tiny_bart, source_language="de")
    assert greedy.translation_key("c") != base.translation_key("c")
    assert greedy.segment_key("Ein Satz.") != base.segment_key("Ein Satz.")
    # A segment is the same segment whatever decided the article's language; the article is not.
    assert forced.translation_key("c") != base.translation_key("c")
    assert forced.segment_key("Ein Satz.") == base.segment_key("Ein Satz.")
    assert base.translation_key("c") != base.translation_key("d")
    translation = base.translation_key("c")
    assert base.summary_key(translation) != greedy.summary_key(translation)
    # White space inside a segment does not make it another segment.
    assert base.segment_key("Ein  Satz.\n") == base.segment_key("Ein Satz.")
    # The glossary entries in an article are part of its key; an article without any keeps the
    # key it had before glossaries were (the parts as then: no glossary among them).
    kyiv, berlin = base.glossary_of(None, ["In Kiew."]), base.glossary_of(None, ["In Berlin."])
    assert kyiv is not None and berlin is None
    assert base.translation_key("c", kyiv) != base.translation_key("c")
    assert base.translation_key("c", berlin) == cache_key(
        kind="translation",
        content="c",
        source_language=base.options.source_language,
        model=base.translator_ref.identity,
        revision=base.translator_ref.revision,
        settings=base.settings()["translation"],
    )
