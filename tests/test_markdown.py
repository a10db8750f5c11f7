"""Markdown articles read as Markdown: front matter is metadata, code is kept as it is, headings,
list items and table cells are units, and the structure survives into the brief."""

from __future__ import annotations

import json
from pathlib import Path

from support import brief_args, inbox_with, options, runner

from summarise.brief import CELL, CODE, CODE_CLOSE, CODE_OPEN, HEADING, ITEM, QUOTE
from summarise.cli import app
from summarise.markdown_reader import read_markdown
from summarise.pipeline import run

ARTICLE = """---
title: Bahnstreik legt Deutschland lahm
date: 2024-03-07
author: [Anna Schmidt, Peter Müller]
tags: [bahn, streik]
---
# Bahnstreik legt Deutschland lahm

Die Gewerkschaft hat zum Streik aufgerufen. Den Stand zeigt `curl -s status.bahn.de` an.

## Was Pendler wissen müssen

- Fernzüge fallen am Montag aus.
- Regionalbahnen fahren teilweise.
  1. S-Bahn Berlin
  2. S-Bahn München

| Linie | Status |
|---|---|
| ICE 1 | fällt aus |
| RE 7 | |

```bash
curl https://bahn.de/status

echo "fertig"  # zwei Zeilen, eine Leerzeile
```

> Wir bitten um Verständnis, sagte ein Sprecher der Bahn.
"""
CODE_BLOCK = 'curl https://bahn.de/status\n\necho "fertig"  # zwei Zeilen, eine Leerzeile'


def test_markdown_is_read_by_its_structure() -> None:
    paragraphs, blocks, metadata, warnings = read_markdown(ARTICLE)
    assert warnings == []
    assert metadata == {
        "title": "Bahnstreik legt Deutschland lahm",
        "date": "2024-03-07",
        "author": "Anna Schmidt, Peter Müller",
    }
    text = "\n".join(paragraphs)
    for front in ("---", "title:", "tags", "date:"):
        assert front not in text  # front matter is metadata, not text
    assert "|" not in text and "```" not in text  # no table rule, no fence
    laid = [(b.kind, p) for p, b in zip(paragraphs, blocks, strict=True)]
    assert laid[0] == (HEADING, "Bahnstreik legt Deutschland lahm")
    assert (
        laid[1][1] == "Die Gewerkschaft hat zum Streik aufgerufen. Den Stand zeigt "
        f"{CODE_OPEN}curl -s status.bahn.de{CODE_CLOSE} an."
    )
    assert laid[2] == (HEADING, "Was Pendler wissen müssen") and blocks[2].level == 2
    assert [(b.level, b.marker, p) for p, b in zip(paragraphs, blocks, strict=True) if b.kind == ITEM] == [
        (0, "-", "Fernzüge fallen am Montag aus."),
        (0, "-", "Regionalbahnen fahren teilweise."),
        (1, "1.", "S-Bahn Berlin"),
        (1, "2.", "S-Bahn München"),
    ]
    cells = {(b.row, b.column): p for p, b in zip(paragraphs, blocks, strict=True) if b.kind == CELL}
    assert cells == {(0, 0): "Linie", (0, 1): "Status", (1, 0): "ICE 1", (1, 1): "fällt aus", (2, 0): "RE 7"}
    assert {b.columns for b in blocks if b.kind == CELL} == {2}
    assert (CODE, CODE_BLOCK) in laid and blocks[laid.index((CODE, CODE_BLOCK))].marker == "bash"
    assert laid[-1] == (QUOTE, "Wir bitten um Verständnis, sagte ein Sprecher der Bahn.")


def test_front_matter_that_is_not_valid_is_left_out_with_a_warning() -> None:
    paragraphs, _, metadata, warnings = read_markdown(
        "---\ntitle: [nicht geschlossen\n---\nEin Satz im Text.\n"
    )
    assert paragraphs == ["Ein Satz im Text."] and metadata == {}
    assert len(warnings) == 1 and warnings[0].startswith("front matter not read")


def test_a_markdown_article_keeps_its_structure_in_the_brief(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox = inbox_with(tmp_path, {"bahn.md": ARTICLE})
    out = tmp_path / "out"
    result = runner.invoke(app, brief_args(inbox, out, copy_marian, tiny_bart))
    assert result.exit_code == 0, result.output
    record = json.loads((out / "bahn.json").read_text(encoding="utf-8"))
    # The title comes from the front matter's (here also the top heading): never the file name.
    assert record["headline"]["source"] == "Bahnstreik legt Deutschland lahm"
    assert record["source"]["metadata"]["author"] == "Anna Schmidt, Peter Müller"
    sources = [s["source"] for s in record["segments"] if not s.get("verbatim")]
    assert not any(marker in s for s in sources for marker in ("---", "title:", "|", "```", "curl"))
    # Code is never translated and comes back exactly; inline code as a code span.
    verbatim = [s for s in record["segments"] if s.get("verbatim")]
    assert [s["target"] for s in verbatim] == ["`curl -s status.bahn.de`", CODE_BLOCK]
    assert all(s["source"] == s["target"] and s["confidence"] is None for s in verbatim)
    kinds = [b["kind"] for b in record["structure"]]
    assert kinds.count("cell") == 5 and kinds.count("item") == 4 and "code" in kinds
    brief = (out / "bahn.md").read_text(encoding="utf-8")
    assert f"```bash\n{CODE_BLOCK}\n```" in brief
    assert "`curl -s status.bahn.de`" in brief
    assert "\n#### " in brief  # the article's second-level heading, under the brief's own headings
    assert "\n| --- | --- |\n" in brief
    assert "- Article date (from the front matter): 2024-03-07" in brief
    page = (out / "bahn.html").read_text(encoding="utf-8")
    for element in (
        "<table>",
        "<th>",
        "<ol>",
        "<ul>",
        "<blockquote>",
        '<code class="language-bash">',
        "<h4>",
    ):
        assert element in page, element
    translation = page.split("<h2>Translation</h2>")[1].split("<hr")[0]
    assert translation.count("<li>") == 4 and translation.count("<td>") == 4  # a missing cell is empty


def test_the_same_markdown_text_as_prose_and_as_a_table_are_different_translations(
    tmp_path: Path, copy_marian: Path
) -> None:
    prose = "Linie\n\nStatus\n"
    table = "| Linie |\n|---|\n| Status |\n"
    inbox = inbox_with(tmp_path, {"a.md": prose, "b.md": table})
    report = run([inbox], options(tmp_path / "out", copy_marian, None))
    assert report.exit_code == 0
    a = json.loads((tmp_path / "out" / "a.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "out" / "b.json").read_text(encoding="utf-8"))
    assert a["structure"] is None and [x["kind"] for x in b["structure"]] == ["cell", "cell"]


def test_deep_nesting_loses_no_text() -> None:
    # markdown-it drops what lies deeper than its nesting limit; summarise lifts the limit, and
    # reads nesting too deep for the parser as plain text, with a warning.
    for depth in (60, 3000):
        source = "".join("  " * i + f"- Punkt auf Ebene {i}.\n" for i in range(depth))
        paragraphs, _, _, warnings = read_markdown(source)
        assert [p.removeprefix("- ") for p in paragraphs] == [f"Punkt auf Ebene {i}." for i in range(depth)]
        assert bool(warnings) == (depth == 3000)


def test_a_long_markdown_paragraph_is_cut_at_its_line_breaks_and_nothing_is_lost() -> None:
    lines = [f"Meldung {i}: Der Index stieg um {i % 97} Punkte." for i in range(3000)]
    paragraphs, _, _, _ = read_markdown("\n".join(lines) + "\n")
    assert len(paragraphs) > 1 and max(len(p) for p in paragraphs) < 4200
    assert " ".join(paragraphs) == " ".join(lines)


def test_front_matter_alone_is_no_article(tmp_path: Path, copy_marian: Path) -> None:
    inbox = inbox_with(
        tmp_path, {"leer.md": "---\ntitle: Nur der Vorspann\n---\n", "gut.md": "Ein Satz im Text."}
    )
    result = runner.invoke(
        app, ["translate", str(inbox), "-o", str(tmp_path / "out"), "--translator", str(copy_marian)]
    )
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {inbox / 'leer.md'}: no text besides its front matter"]
    assert (tmp_path / "out" / "gut.json").is_file()  # the rest of the run goes on


def test_raw_html_in_markdown_gives_its_visible_text_only() -> None:
    source = (
        "<!-- ein Kommentar der Redaktion -->\n\n"
        "Text mit <b>fett</b> gesetztem Wort.\n\n"
        '<div class="kasten">\n<p>Ein Absatz im Kasten.</p>\n<script>track("x")</script>\n</div>\n\n'
        '<iframe src="https://example.org/video"></iframe>\n'
    )
    paragraphs, _, _, _ = read_markdown(source)
    assert [" ".join(p.split()) for p in paragraphs] == [
        "Text mit fett gesetztem Wort.",
        "Ein Absatz im Kasten.",
    ]


def test_the_summariser_reads_the_prose_not_the_code_blocks() -> None:
    from summarise.article import summary_input
    from summarise.brief import PARAGRAPH, Block, LanguageRecord, Segment, Translation

    german = LanguageRecord("de", "German", "de", 1.0, "detector", "German", True)
    segments = (
        Segment("Rufen Sie", "Call", paragraph=0, sentence=0),
        Segment("`status()`", "`status()`", paragraph=0, sentence=0, verbatim=True),
        Segment("auf.", "on.", paragraph=0, sentence=0),
        Segment("print(1)", "print(1)", paragraph=1, sentence=1, verbatim=True),
    )
    translation = Translation(
        "", german, None, 2, segments, ("Call `status()` on.", "print(1)"), (Block(PARAGRAPH), Block(CODE))
    )
    assert summary_input(translation) == ["Call", "`status()`", "on."]
    only_code = Translation("", german, None, 1, segments[3:], ("print(1)",), (Block(PARAGRAPH), Block(CODE)))
    assert summary_input(only_code) == ["print(1)"]  # nothing else to summarise


def test_lines_of_a_markdown_paragraph_are_joined_only_where_they_were_wrapped() -> None:
    import textwrap

    # A copied article saved as .md, a line per paragraph and no blank lines: the lines stay apart,
    # the first is the headline (Markdown alone would make one paragraph of it all).
    lines = [
        "Bahnstreik legt den Verkehr in ganz Deutschland lahm",
        "Die Gewerkschaft hat ihre Mitglieder für Montag zum Streik aufgerufen.",
        "Fernzüge und Regionalbahnen bleiben nach Angaben der Bahn im Depot.",
        "Pendler sollen auf Busse ausweichen oder im Homeoffice arbeiten.",
    ]
    assert read_markdown("\n".join(lines) + "\n")[0] == lines
    # A paragraph wrapped at 72 columns, as Markdown is often written: one paragraph.
    paragraph = (
        "Der russische Präsident Wladimir Putin hat den nordkoreanischen Soldaten seinen Dank "
        "ausgesprochen, die Moskaus Streitkräften bei der Verteidigung der Region Kursk vor einem "
        "ukrainischen Einfall geholfen haben. Putin gab diese Erklärung während eines Treffens mit "
        "dem nordkoreanischen Führer Kim Jong-un am Mittwoch in China ab."
    )
    assert read_markdown("# Titel\n\n" + "\n".join(textwrap.wrap(paragraph, 72)) + "\n")[0] == [
        "Titel",
        paragraph,
    ]
