"""Errors go one way: raised before any work starts; after that, a failure belongs to one
article (whatever it is) and the rest go on, or it stops the run as an abort in the report.
A traceback reaches a user only when asked for (--verbose)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import brief_args, options, runner

import summarise.clean
import summarise.discover
from summarise import pipeline
from summarise.clean import clean_paragraphs
from summarise.cli import app
from summarise.memory import TranslationMemory
from summarise.pipeline import run


def test_an_unexpected_error_inside_one_article_fails_that_article_alone(
    monkeypatch: pytest.MonkeyPatch, seeds_copy: Path, tmp_path: Path, tiny_marian: Path, tiny_bart: Path
) -> None:
    real_clean = clean_paragraphs
    doomed = next(seeds_copy.glob("002_*.txt")).read_text(encoding="utf-8").splitlines()[0].strip()

    def clean(paragraphs: list[str], *args: Any, **kwargs: Any) -> Any:
        if paragraphs[0] == doomed:
            raise ValueError("a bug in the clean stage")
        return real_clean(paragraphs, *args, **kwargs)

    monkeypatch.setattr(summarise.clean, "clean_paragraphs", clean)
    result = runner.invoke(app, brief_args(seeds_copy, tmp_path / "out", tiny_marian, tiny_bart))
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].endswith(
        "002_b61389a596d0d502.txt: ValueError: a bug in the clean stage"
    )
    assert len(list((tmp_path / "out").glob("*.json"))) == 4
    assert "Traceback" not in result.output


def test_a_failed_translation_batch_fails_its_articles_and_the_next_waves_go_on(
    monkeypatch: pytest.MonkeyPatch, seeds_copy: Path, tmp_path: Path, tiny_marian: Path
) -> None:
    monkeypatch.setattr(pipeline, "WAVE_CHARACTERS", 1)  # one article per wave
    real_translate = TranslationMemory.translate
    calls = []

    def translate(self: TranslationMemory, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        return real_translate(self, *args, **kwargs)

    monkeypatch.setattr(TranslationMemory, "translate", translate)
    report = run([seeds_copy], options(tmp_path / "out", tiny_marian, None))
    assert len(report.articles) == 4 and report.exit_code == 1
    [failure] = report.failures
    assert failure.reason == "RuntimeError: CUDA error: an illegal memory access was encountered"


def test_a_model_that_cannot_be_loaded_stops_the_run_and_keeps_what_it_found(
    seeds_copy: Path, tmp_path: Path, tiny_marian: Path, tiny_bart: Path
) -> None:
    broken = tmp_path / "broken-marian"
    shutil.copytree(tiny_marian, broken)
    (broken / "model.safetensors").write_bytes(b"not weights")
    (seeds_copy / "picture.txt").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    report = run([seeds_copy], options(tmp_path / "out", broken, tiny_bart))  # raises nothing
    assert report.aborted is not None and "broken-marian" in report.aborted.reason
    assert report.exit_code == 2
    assert [Path(f.path).name for f in report.failures] == ["picture.txt"]  # found before it, kept
    result = runner.invoke(app, brief_args(seeds_copy, tmp_path / "out2", broken, tiny_bart))
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and "picture.txt" in lines[0]
    assert lines[1].startswith("error: ") and "broken-marian" in lines[1]


def test_an_unexpected_error_outside_the_articles_is_one_line_exit_70(
    monkeypatch: pytest.MonkeyPatch, seeds_copy: Path, tmp_path: Path, tiny_marian: Path, tiny_bart: Path
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("something nobody expected\nwith a second line")

    monkeypatch.setattr(summarise.discover, "discover_inputs", broken)
    args = brief_args(seeds_copy, tmp_path / "out", tiny_marian, tiny_bart)
    result = runner.invoke(app, args)
    assert result.exit_code == 70
    assert result.stderr.strip().splitlines() == [
        "error: unexpected RuntimeError: something nobody expected (--verbose shows where); please report it"
    ]
    verbose = runner.invoke(app, [*args, "--verbose"])
    assert verbose.exit_code == 70 and "Traceback" in verbose.stderr


@pytest.mark.skipif(os.uname().sysname != "Linux", reason="needs a file system that takes any bytes")
def test_a_file_name_that_is_not_utf8_never_costs_the_other_articles(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("a", "b", "c"):
        (inbox / f"{name}.txt").write_text("Putin traf Kim in Pjöngjang. Sie sprachen zwei Stunden.", "utf-8")
    odd = os.path.join(os.fsencode(inbox), "Grüße.txt".encode("latin-1"))
    with open(odd, "wb") as handle:
        handle.write("Die Stadt plant neue Busse für den Nahverkehr.".encode())
    result = runner.invoke(app, brief_args(inbox, tmp_path / "out", copy_marian, tiny_bart))
    assert "Traceback" not in result.output and result.exit_code in (0, 1)
    records = [json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "out").glob("*.json")]
    assert {Path(r["source"]["path"]).name for r in records} >= {"a.txt", "b.txt", "c.txt"}
    for line in result.stderr.splitlines():
        if "Gr" in line:
            assert "Gr\\xfc\\xdfe.txt" in line  # its bytes shown, not a crash while printing them


def test_an_error_is_named_by_its_first_line_wherever_it_is_reported() -> None:
    from summarise.errors import error_line, first_line

    long = RuntimeError("\n  CUDA error: out of memory\nTraceback (most recent call last):\n  ...")
    assert first_line(long) == "CUDA error: out of memory"
    assert error_line(long) == "RuntimeError: CUDA error: out of memory"
    assert first_line(ValueError(""), "ValueError") == "ValueError" and first_line(ValueError()) == ""
    assert error_line(KeyError()) == "KeyError"
