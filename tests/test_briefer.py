"""The long-lived library object: runs that share one store and one model session."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from support import inbox_with, options

from summarise import Briefer
from summarise.errors import ConfigError

LEAD = "Die Regierung hat am Montag ein neues Gesetz beschlossen."


def test_a_briefer_loads_its_models_once_for_many_runs(tmp_path: Path, tiny_marian: Path) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": LEAD})
    with Briefer.open(options(tmp_path / "out", tiny_marian, None)) as briefer:
        first = briefer.run([inbox])
        assert first.models_loaded == ["translator"] and not first.failures
        session = briefer.session()
        (inbox / "b.txt").write_text("Der Stadtrat hat den Radweg beschlossen.", encoding="utf-8")
        second = briefer.run([inbox])
        # The second run translated b.txt with the model the first one loaded: nothing loaded again.
        assert second.models_loaded == [] and second.load_seconds == {}
        assert briefer.session() is session and session.loaded == ["translator"]
        assert {a.source.path.name: a.rewritten for a in second.articles} == {"a.txt": False, "b.txt": True}
        assert second.segments_translated >= 1
    assert briefer._session is None  # closed: the models are released


def test_a_briefer_checks_its_options_before_any_run(tmp_path: Path, tiny_marian: Path) -> None:
    wrong = replace(options(tmp_path / "out", tiny_marian, None), beams=99)
    with pytest.raises(ConfigError, match="beams"):
        Briefer.open(wrong)
