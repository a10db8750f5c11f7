"""Render takes a finished brief: the recorded briefs (tests/data/golden) read back through
`Brief.from_json` render to exactly the recorded Markdown and digest, and the house's import rules
hold (render imports no stage; the store knows no engine; the CLI builds no cache path)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Literal

import pytest
from support import REPO, times_as_placeholders

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
    # The record's time is a placeholder; the page shows a real one in the reader's time zone.
    made = replace(brief, created="2026-12-06T15:05:00+00:00")
    assert times_as_placeholders(render_brief(made)) == record.with_suffix(".md").read_text(encoding="utf-8")


DAY, CLOCK = "Sunday 6 December 2026", "16:05 CET"


def recorded_entries(
    today: Literal["new", "updated", ""] = "new", when: str = "09:12 CET"
) -> list[DigestEntry]:
    return [
        DigestEntry(
            BriefCard.of(Brief.from_json(json.loads(p.read_text(encoding="utf-8")))),
            PurePosixPath(p.stem + ".md"),
            today,
            when if today else "",
        )
        for p in RECORDS
    ]


def test_the_digest_renders_as_recorded() -> None:
    digest = Digest(DAY, CLOCK, recorded_entries())  # as the golden run's digest, its times placeholders
    markdown, html = render_digest(digest), render_digest_html(digest)
    assert times_as_placeholders(markdown) == (GOLDEN / "digest.md").read_text(encoding="utf-8")
    assert times_as_placeholders(html, html=True) == (GOLDEN / "digest.html").read_text(encoding="utf-8")


def test_the_digest_leads_with_today_lists_the_rest_by_title_and_names_every_problem() -> None:
    new, updated, old = recorded_entries()[:3], recorded_entries("updated")[3:4], recorded_entries("")[4:]
    problems = [
        DigestProblem("inbox/report.pdf", "unsupported file type (expected .txt, .md, .html, .htm)", True),
        DigestProblem("inbox/french.txt", "written in French (fr), not German: skipped", True),
        DigestProblem("inbox/image.txt", "binary file", False),
        DigestProblem("inbox/empty.txt", "empty file", False, since="Friday 4 December 2026"),
    ]
    note = "The run started at 06:00 CET over 300 articles did not finish"
    digest = Digest(DAY, CLOCK, [*old, *updated, *new], problems, [note])
    markdown = render_digest(digest)
    total = len(RECORDS) + 4
    assert markdown.startswith(f"# Digest: {total} articles, {DAY}\n"), markdown[:100]
    counts = f"3 new and 1 updated today, {len(old)} earlier, 1 failed, 1 still failing, 2 skipped"
    counts += f" · updated {CLOCK}"
    assert f"_{counts}_" in markdown.splitlines()[2]
    assert markdown.index(note) < markdown.index("## New today")
    sections = re.findall(r"(?m)^## (.+)$", markdown)
    assert sections == ["New today", "Updated today", "Failed", "Earlier", "Still failing", "Skipped"]
    today = markdown.split("## Failed")[0]
    assert all(f"]({e.link})" in today for e in new + updated) and not any(
        f"]({e.link})" in today for e in old
    )
    assert "_updated 09:12 CET · " in today.split("## Updated today")[1]
    # Earlier briefs by title only: one line each, no summary.
    earlier = markdown.split("## Earlier")[1].split("## Still failing")[0]
    assert len([line for line in earlier.splitlines() if line.startswith("- [")]) == len(old)
    assert not any(e.card.summary and e.card.summary[:40] in earlier for e in old)
    assert "- `inbox/image.txt`: binary file" in markdown.split("## Failed")[1].split("## Earlier")[0]
    still = markdown.split("## Still failing")[1].split("## Skipped")[0]
    assert "- `inbox/empty.txt`: empty file _(since Friday 4 December 2026)_" in still
    skipped = markdown.split("## Skipped")[1]
    assert "`inbox/french.txt`: written in French (fr), not German: skipped" in skipped
    # Labels: the language and the doubts of each entry, in both pages.
    english = next(e for e in digest.entries if not e.card.language.translated)
    assert "English, not translated" in markdown and "German → English" in markdown
    flagged = next(e for e in digest.entries if e.card.flagged)
    assert f"{flagged.card.flagged} of {flagged.card.translated_units} translated segments" in markdown
    page = render_digest_html(digest)
    assert page.index(note) < page.index("New today") < page.index("Earlier") < page.index("Skipped")
    assert english.card.title in page and "binary file" in page and "(since Friday 4 December 2026)" in page


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
