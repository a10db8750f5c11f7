"""Render takes a finished brief: the recorded briefs (tests/data/golden) read back through
`Brief.from_json` render to exactly the recorded Markdown and digest, and the house's import rules
hold (render imports no stage; the store knows no engine; the CLI builds no cache path)."""

from __future__ import annotations

import ast
import json
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest
from support import REPO

from summarise.brief import Brief, Unit
from summarise.render import DigestEntry, render_brief, render_digest, render_json

GOLDEN = REPO / "tests" / "data" / "golden" / "brief"
RECORDS = sorted(GOLDEN.glob("*.json"))


@pytest.mark.parametrize("record", RECORDS, ids=[p.stem for p in RECORDS])
def test_a_recorded_brief_reads_back_and_renders_as_recorded(record: Path) -> None:
    data = json.loads(record.read_text(encoding="utf-8"))
    brief = Brief.from_json(data)
    assert brief.to_json() == data
    assert render_json(brief) == record.read_text(encoding="utf-8")
    assert render_brief(brief) == record.with_suffix(".md").read_text(encoding="utf-8")


def test_the_digest_renders_as_recorded() -> None:
    entries = [
        DigestEntry(Brief.from_json(json.loads(p.read_text(encoding="utf-8"))), PurePosixPath(p.stem + ".md"))
        for p in RECORDS
    ]
    assert render_digest(entries, "<created>") == (GOLDEN / "digest.md").read_text(encoding="utf-8")


def test_a_doubtful_headline_is_marked_in_the_title_and_explained_first() -> None:
    brief = Brief.from_json(json.loads((GOLDEN / "flagged.json").read_text(encoding="utf-8")))
    assert brief.headline is not None
    doubtful = Unit(
        brief.headline.source, "Rules rules rules rules", -2.0, ("repetition", "low_confidence"), True
    )
    brief = replace(brief, translation=replace(brief.translation, headline=doubtful), title=doubtful.target)
    assert [f.headline for f in brief.flags] == [True, False]
    markdown = render_brief(brief)
    assert markdown.startswith("# Rules rules rules rules [?1]\n")
    assert (
        "1. [?1] (the headline) repeats itself, the model was unsure; confidence -2.00; still so" in markdown
    )
    assert "[?2]" in markdown and "2 of 6 translated segments may be unfaithful" in markdown
    record = brief.to_json()
    assert record["flags"][0] == {
        "segment": None,
        "paragraph": None,
        "headline": True,
        "reasons": ["repetition", "low_confidence"],
        "confidence": -2.0,
        "retried": True,
        "source": doubtful.source,
        "target": "Rules rules rules rules",
    }
    assert Brief.from_json(record).to_json() == record


def imports_of(module: str) -> set[str]:
    """The summarise modules a module imports (relative imports, by name)."""
    tree = ast.parse((REPO / "summarise" / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.add(node.module or "")
    return found


STAGES = {"read", "clean", "language", "segment", "translate", "guard", "summarise"}


def test_the_house_rules_on_imports() -> None:
    assert imports_of("render") == {"brief"}
    assert imports_of("brief") == set()
    assert not imports_of("cache") & {"engines", "placement", "models", *STAGES}
    assert not imports_of("outputs") & STAGES
    for stage in STAGES:
        assert not imports_of(stage) & {"pipeline", "cli", "session", "memory"}, stage
    cli = (REPO / "summarise" / "cli.py").read_text(encoding="utf-8")
    assert not any(part in cli for part in ("sqlite", '/ "ct2"', "DB_NAME", "converted_models /"))
