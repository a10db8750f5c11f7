"""Bylines, date lines, credits, captions and kickers: out of the text to translate, into the
brief's metadata where they say who or when. Lines of our own writing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import options

from summarise.article_metadata import AUTHOR, DATE, metadata_lines, metadata_of
from summarise.clean import clean_paragraphs
from summarise.pipeline import run

BODY = [
    "Der Stadtrat hat am Dienstagabend mit großer Mehrheit beschlossen, entlang der Ringstraße einen "
    "durchgehenden Radweg zu bauen. Die Arbeiten sollen im Herbst beginnen und rund zwei Jahre dauern.",
    "Nach Angaben der Verwaltung kostet der Radweg etwa elf Millionen Euro, von denen das Land einen großen "
    "Teil übernimmt. Die Opposition kritisierte die Kosten, stimmte am Ende aber ebenfalls zu.",
    "Für Autofahrer fällt auf der Ringstraße eine Spur weg. Die Stadt rechnet dennoch nicht mit längeren "
    "Staus, weil ein Teil des Verkehrs auf die neue Umgehung ausweichen soll.",
    "Anwohner hatten sich seit Jahren für einen sicheren Radweg eingesetzt. Im vergangenen Jahr waren dort "
    "mehrere Radfahrer bei Unfällen schwer verletzt worden.",
]


@pytest.mark.parametrize(
    ("line", "author"),
    [
        ("Von Anna Beispiel", "Anna Beispiel"),
        ("Von Anna Beispiel und Jörg Muster, dpa", "Anna Beispiel und Jörg Muster, dpa"),
        ("Von Karl Probe, Hamburg", "Karl Probe"),
        ("Von: ERIKA MUSTERFRAU", "ERIKA MUSTERFRAU"),
        ("Ein Kommentar von Dr. Max Beispiel", "Dr. Max Beispiel"),
        ("Von Maria von der Probe", "Maria von der Probe"),
        ("Von dpa 02.03.2025, 09:15", "dpa"),
    ],
)
def test_a_byline_is_recognised_with_its_names(line: str, author: str) -> None:
    found = metadata_lines([line])
    assert found[0].reason == "byline" and found[0].field == AUTHOR and found[0].value == author


@pytest.mark.parametrize(
    "line",
    [
        "Von Berlin aus fuhr der Zug weiter nach Hamburg.",
        "Von Tätern und Opfern",  # a subheading: German nouns are capitalised, names come in pairs
        "Von der Idee bis zur Umsetzung vergingen drei Jahre",
        "Die Rolle von AP und Reuters in der Berichterstattung",
        "Die Quelle: ein Insider aus dem Ministerium",
        "Er sagte: „Das ist unser Foto: ein Bild der Lage“",
        "12 Prozent der Befragten stimmten zu",
        "Am 12.03.2025 beginnt der Bau des Radwegs an der Ringstraße.",
    ],
)
def test_a_sentence_that_starts_like_metadata_is_not_metadata(line: str) -> None:
    assert metadata_lines([line]) == {}


@pytest.mark.parametrize(
    ("line", "date"),
    [
        ("12.03.2025, 14:20 Uhr", "2025-03-12"),
        ("Stand: 02.01.2026 08:05 Uhr", "2026-01-02"),
        ("Veröffentlicht am 7. Mai 2024 um 15:44", "2024-05-07"),
        ("Aktualisiert: 03.04.24", "2024-04-03"),
        ("Mittwoch, 12. März 2025", "2025-03-12"),
        ("vor 14 Minuten", ""),  # relative to a moment the text does not say: removed, not dated
        ("31.02.2025", ""),  # no such day
    ],
)
def test_a_date_line_gives_the_date_as_iso(line: str, date: str) -> None:
    found = metadata_lines([line])
    assert found[0].reason == "date line" and found[0].field == DATE and found[0].value == date


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Foto: Erika Muster/dpa", "photo credit or source"),
        ("© Karl Probe/Beispielbild", "photo credit or source"),
        ("Bild © Jörg Muster (hr)", "photo credit or source"),
        ("Quelle: dpa", "photo credit or source"),
        ("Max Beispiel/AFP via Getty Images", "photo credit or source"),
        ("dpa/AFP", "photo credit or source"),
        (
            "Die Baustelle an der Ringstraße im Frühjahr. Foto: Erika Muster/dpa",
            "image caption (with its credit)",
        ),
        ("Der Radweg soll 2027 fertig sein, Bild: Stadtverwaltung", "image caption (with its credit)"),
    ],
)
def test_credits_and_captions_with_a_credit_are_recognised(line: str, reason: str) -> None:
    assert metadata_lines([line])[0].reason == reason


def test_the_author_and_date_come_from_above_the_body_not_from_a_teaser_below_it() -> None:
    lines = ["Von Anna Beispiel", "12.03.2025, 14:20 Uhr", *BODY, "Von Jörg Muster", "01.01.2020"]
    found = metadata_lines(lines)
    assert set(found) == {0, 1, 6, 7}  # all four lines go
    assert metadata_of(found, lines) == {AUTHOR: "Anna Beispiel", DATE: "2025-03-12"}
    # "Von" alone, the names on the next line.
    split = ["Von", "Anna Beispiel", *BODY]
    assert metadata_of(metadata_lines(split), split) == {AUTHOR: "Anna Beispiel"}


def test_the_clean_stage_lists_metadata_lines_as_removed_and_keeps_what_they_say() -> None:
    lines = [
        "Verkehr",
        "Stadtrat beschließt neuen Radweg",
        "Von Anna Beispiel",
        "12.03.2025, 14:20 Uhr",
        *BODY,
    ]
    cleaned = clean_paragraphs(lines)
    assert cleaned.headline == "Stadtrat beschließt neuen Radweg"
    assert cleaned.paragraphs == BODY
    assert {line.text: line.reason for line in cleaned.removed} == {
        "Verkehr": "kicker (above the headline)",
        "Von Anna Beispiel": "byline",
        "12.03.2025, 14:20 Uhr": "date line",
    }
    assert cleaned.metadata == {"author": "Anna Beispiel", "date": "2025-03-12", "kicker": "Verkehr"}
    # --keep-boilerplate keeps every line, metadata too.
    kept = clean_paragraphs(lines, keep_boilerplate=True)
    assert kept.metadata == {} and "Von Anna Beispiel" in kept.paragraphs


def test_a_short_title_above_its_subtitle_is_kept_and_a_rubric_above_a_headline_goes() -> None:
    """Three words and more above a headline may be the title itself: kept (precision first)."""
    title = ["Räder statt Autos", "Stadtrat beschließt neuen Radweg entlang der Ringstraße", *BODY]
    cleaned = clean_paragraphs(title)
    assert "Räder statt Autos" in [cleaned.headline, *cleaned.paragraphs]
    assert cleaned.removed == [] and "kicker" not in cleaned.metadata
    rubric = ["Stadtpolitik:", *title[1:]]
    assert clean_paragraphs(rubric).metadata == {"kicker": "Stadtpolitik"}


def test_a_brief_of_a_text_article_carries_its_author_and_date(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    lines = ["Stadtrat beschließt neuen Radweg", "Von Anna Beispiel", "Stand: 12.03.2025, 14:20 Uhr", *BODY]
    (inbox / "radweg.txt").write_text("\n".join(lines), encoding="utf-8")
    run([inbox], options(tmp_path / "out", copy_marian, tiny_bart))
    record = json.loads((tmp_path / "out" / "radweg.json").read_text(encoding="utf-8"))
    assert record["source"]["metadata"] == {"author": "Anna Beispiel", "date": "2025-03-12"}
    sources = [segment["source"] for segment in record["segments"]]
    assert not any("Anna Beispiel" in source or "12.03.2025" in source for source in sources)
    assert {r["reason"] for r in record["cleaning"]["removed"]} == {"byline", "date line"}
    provenance = (tmp_path / "out" / "radweg.md").read_text(encoding="utf-8")
    assert "- Text author: Anna Beispiel\n- Article date (from the text): 2025-03-12\n" in provenance
