"""Render takes a finished brief: the recorded briefs (tests/data/golden) read back through
`Brief.from_json` render to exactly the recorded Markdown and digest, and the house's import rules
hold (render imports no stage; the store knows no engine; the CLI builds no cache path)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest
from support import REPO

from summarise.brief import Brief, BriefCard, LanguageRecord, Translation, Unit, title_of
from summarise.render import (
    Digest,
    DigestEntry,
    DigestProblem,
    render_brief,
    render_brief_html,
    render_digest,
    render_digest_html,
    render_json,
)

GOLDEN = REPO / "tests" / "data" / "golden" / "brief"
RECORDS = sorted(GOLDEN.glob("*.json"))


@pytest.mark.parametrize("record", RECORDS, ids=[p.stem for p in RECORDS])
def test_a_recorded_brief_reads_back_and_renders_as_recorded(record: Path) -> None:
    data = json.loads(record.read_text(encoding="utf-8"))
    brief = Brief.from_json(data)
    assert brief.to_json() == data
    assert render_json(brief) == record.read_text(encoding="utf-8")
    assert render_brief(brief) == record.with_suffix(".md").read_text(encoding="utf-8")


def recorded_entries(new: bool = True) -> list[DigestEntry]:
    return [
        DigestEntry(
            BriefCard.of(Brief.from_json(json.loads(p.read_text(encoding="utf-8")))),
            PurePosixPath(p.stem + ".md"),
            new,
        )
        for p in RECORDS
    ]


def test_the_digest_renders_as_recorded() -> None:
    digest = Digest("<created>", recorded_entries())
    assert render_digest(digest) == (GOLDEN / "digest.md").read_text(encoding="utf-8")
    assert render_digest_html(digest) == (GOLDEN / "digest.html").read_text(encoding="utf-8")


def test_the_digest_leads_with_what_is_new_and_names_every_article_of_the_run() -> None:
    new, old = recorded_entries()[:3], recorded_entries(new=False)[3:]
    problems = [
        DigestProblem("inbox/report.pdf", "unsupported file type (expected .txt, .md, .html, .htm)", True),
        DigestProblem("inbox/french.txt", "written in French (fr), not German: skipped", True),
        DigestProblem("inbox/image.txt", "binary file", False),
    ]
    digest = Digest("<created>", [*old, *new], problems)
    markdown = render_digest(digest)
    total = len(RECORDS) + 3
    headline = f"# Digest: {total} articles (3 new, {len(old)} unchanged, 2 skipped, 1 failed)\n"
    assert markdown.startswith(headline), markdown[:100]
    sections = re.findall(r"(?m)^## (.+)$", markdown)
    assert sections == ["New since the last run", "Unchanged", "Skipped", "Failed"]
    new_part = markdown.split("## Unchanged")[0]
    assert all(f"]({e.link})" in new_part for e in new) and not any(f"]({e.link})" in new_part for e in old)
    assert "- `inbox/image.txt`: binary file" in markdown.split("## Failed")[1]
    skipped = markdown.split("## Skipped")[1]
    assert "`inbox/french.txt`: written in French (fr), not German: skipped" in skipped
    # Labels: the language and the doubts of each entry, in both pages.
    english = next(e for e in digest.entries if not e.card.language.translated)
    assert "English, not translated" in markdown and "German → English" in markdown
    flagged = next(e for e in digest.entries if e.card.flagged)
    assert f"{flagged.card.flagged} of {flagged.card.translated_units} translated segments" in markdown
    page = render_digest_html(digest)
    assert page.index("New since the last run") < page.index("Unchanged") < page.index("Skipped")
    assert english.card.title in page and "binary file" in page


@pytest.mark.parametrize(
    ("headline", "paragraphs", "title"),
    [
        ("SEOUL (Reuters) – North Korea fired a missile", [], "North Korea fired a missile"),
        ("(SeaPRwire) – Acme opens a plant", [], "Acme opens a plant"),
        ("Merz (CDU): We will manage", [], "Merz (CDU): We will manage"),
        (
            None,
            ["Berlin (dpa) - Dr. Schmidt met the U.S. envoy. He said more."],
            "Dr. Schmidt met the U.S. envoy.",
        ),
        (None, ["Frankfurt am Main (AFP) – Prices rose! Then fell."], "Prices rose!"),
        (None, ["word " * 60], ("word " * 24).strip() + " …"),
        (None, [], "file-name"),
    ],
)
def test_every_article_gets_a_real_title_without_an_agency_dateline(
    headline: str | None, paragraphs: list[str], title: str
) -> None:
    language = LanguageRecord("de", "German", "de", 1.0, "detector", "German", True)
    unit = Unit("x", headline, None, (), False) if headline else None
    translation = Translation("ct2", language, unit, len(paragraphs), (), tuple(paragraphs))
    assert title_of(translation, "file-name") == title


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


def test_a_brief_page_leads_to_the_digest_the_source_and_each_doubt() -> None:
    brief = Brief.from_json(json.loads((GOLDEN / "flagged.json").read_text(encoding="utf-8")))
    assert brief.flags
    page = render_brief_html(brief, render_brief(brief), digest="../digest.html")
    assert '<a href="../digest.html">Digest</a>' in page
    source = re.search(r'<a href="(file://[^"]+)">Source file</a>', page)
    assert source is not None and source.group(1).endswith(brief.source.path.name)
    text, doubts = page.split("<h2>Check these</h2>")
    for n in range(1, len(brief.flags) + 1):
        assert f'<a href="#check-{n}">[?{n}]</a>' in text  # the marker leads to its entry
        assert re.search(rf'<li id="check-{n}">(\s*<p>)?\[\?{n}\]', doubts)
    assert "#check" not in doubts  # the entries are targets, not links
    plain = render_brief_html(brief, render_brief(brief))  # no digest (standard input): no link to one
    assert "Digest</a>" not in plain and "Source file</a>" in plain
