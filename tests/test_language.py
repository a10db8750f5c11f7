"""Language of an article: German translated, English passed through, anything else skipped."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from support import ENGLISH, FRENCH, options

from summarise.language import LanguageIdentifier
from summarise.pipeline import run

# German articles quoting English stay German (judged as a whole).
QUOTING_ENGLISH = [
    'Der Minister sagte: "We will not give up", und verließ den Saal ohne weitere Worte.',
    "Auf dem Plakat stand „Make America Great Again“, doch die Menge in Hamburg blieb ruhig.",
    'Sie nannte das Treffen "a very productive meeting" und kündigte weitere Gespräche an.',
]


@pytest.mark.parametrize(
    ("paragraphs", "code", "decided_by"),
    [
        (QUOTING_ENGLISH, "de", "detector"),
        (ENGLISH.splitlines(), "en", "detector"),
        (FRENCH.splitlines(), "fr", "detector"),
        (["Artikel 3."], "de", "assumed"),  # too little to tell: the tool's input is German
        (["wort" * 500], "de", "assumed"),
    ],
)
def test_identify(paragraphs: list[str], code: str, decided_by: str) -> None:
    language = LanguageIdentifier().identify(paragraphs)
    assert (language.code, language.decided_by) == (code, decided_by)
    assert language.confidence is not None and 0 <= language.confidence <= 1


def test_source_lang_forces_the_language(tmp_path: Path, copy_marian: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "english.txt").write_text(ENGLISH, encoding="utf-8")
    (inbox / "french.txt").write_text(FRENCH, encoding="utf-8")
    forced = replace(options(tmp_path / "out", copy_marian, None), source_language="de")
    report = run([inbox], forced)
    assert report.exit_code == 0 and len(report.articles) == 2  # both translated as German, as asked
    record = json.loads((tmp_path / "out" / "french.json").read_text(encoding="utf-8"))
    assert record["language"]["decided_by"] == "--source-lang" and record["language"]["translated"]
    assert record["coverage"]["translated"] == record["coverage"]["segments"] > 0
    # The default detects again: the cached forced result is not reused for another setting.
    detected = run([inbox], options(tmp_path / "out", copy_marian, None))
    assert [Path(f.path).name for f in detected.failures] == ["french.txt"]
    assert not json.loads((tmp_path / "out" / "english.json").read_text(encoding="utf-8"))["language"][
        "translated"
    ]
