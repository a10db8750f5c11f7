"""Text read faithfully (issue 21): decoding judged on the whole file, hard wrapping judged on the
whole document, and only the text a reader of the rendered page would see."""

from __future__ import annotations

import json
import textwrap
import time
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest
from support import inbox_with, options, runner, translate_args

from summarise.cli import app
from summarise.errors import InputError
from summarise.markdown_reader import read_markdown
from summarise.pipeline import run
from summarise.read import InputFile, read_article
from summarise.text_reader import split_paragraphs

GERMAN = "Die Straße führt über die Brücke. Größere Schäden gab es nicht.\nÄrger blieb aus."

PARAGRAPHS = [
    "Der Pegel des Rheins bei Köln ist in der Nacht zum Dienstag auf 8,20 Meter gestiegen, wie die "
    "Stadt mitteilte. Die Hochwasserschutzzentrale rechnet mit einem weiteren Anstieg bis zum Wochenende.",
    "Anwohner in den tief gelegenen Vierteln wurden aufgefordert, ihre Keller zu räumen und Fahrzeuge "
    "aus den Tiefgaragen zu holen. Die Feuerwehr baute am Abend die ersten mobilen Schutzwände auf.",
    "Der Scheitel der Welle wird nach Angaben des Landesamts am Samstag erwartet. Bis dahin könne der "
    "Pegel auf mehr als neun Meter steigen, sagte ein Sprecher.",
    "Die Schifffahrt auf dem Rhein ist zwischen Bonn und Düsseldorf bereits eingestellt. Auch mehrere "
    "Fähren haben ihren Betrieb unterbrochen.",
    "Im Süden Deutschlands hat sich die Lage dagegen entspannt. In Bayern sanken die Pegel an Donau und "
    "Inn am Montag deutlich.",
]


def read(path: Path) -> tuple[list[str], str, list[str]]:
    article = read_article(InputFile(path, PurePosixPath(path.name)))
    return article.paragraphs, article.encoding, article.warnings


@pytest.mark.parametrize(
    ("codec", "encoding", "warning"),
    [
        ("utf-16-le", "utf-16", "no byte-order mark; read as UTF-16 little-endian"),
        ("utf-16-be", "utf-16", "no byte-order mark; read as UTF-16 big-endian"),
        ("utf-32", "utf-32", None),  # with its byte-order mark
        ("utf-32-le", "utf-32", "no byte-order mark; read as UTF-32 little-endian"),
        ("utf-32-be", "utf-32", "no byte-order mark; read as UTF-32 big-endian"),
    ],
)
def test_wide_encodings_are_read_with_or_without_a_byte_order_mark(
    tmp_path: Path, codec: str, encoding: str, warning: str | None
) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(GERMAN.encode(codec))
    paragraphs, found, warnings = read(path)
    assert paragraphs == GERMAN.split("\n")
    assert found == encoding
    assert warnings == ([warning] if warning else [])


def test_a_stray_nul_byte_is_removed_and_counted_not_a_reason_to_refuse(tmp_path: Path) -> None:
    data = GERMAN.encode()
    path = tmp_path / "a.txt"
    path.write_bytes(data[:20] + b"\x00" + data[20:] + b"\x01")
    paragraphs, found, warnings = read(path)
    assert paragraphs == GERMAN.split("\n")
    assert found == "utf-8"
    assert warnings == ["1 NUL byte removed", "1 control character removed"]


def test_a_wide_text_cut_inside_a_character_is_read_with_the_bad_unit_replaced(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(GERMAN.encode("utf-16-le")[:-1])  # a partial download
    paragraphs, _, warnings = read(path)
    assert paragraphs[0] == GERMAN.split("\n")[0]
    assert "1 invalid UTF-16 sequence replaced with U+FFFD" in warnings


def test_a_web_page_in_utf16_without_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    body = " ".join(PARAGRAPHS[:2])
    page = (
        f"<html><head><title>Pegel steigt</title></head><body><article><p>{body}</p></article></body></html>"
    )
    path = tmp_path / "a.html"
    path.write_bytes(page.encode("utf-16-le"))
    paragraphs, _, warnings = read(path)
    assert paragraphs[0] == "Pegel steigt" and body in paragraphs
    assert warnings == ["no byte-order mark; read as UTF-16 little-endian"]


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
        bytes(range(256)) * 8,
        b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + bytes(range(200)) * 3,
    ],
)
def test_what_is_no_text_in_any_encoding_is_still_refused_as_binary(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    with pytest.raises(InputError, match="binary file"):
        read(path)


def test_a_markdown_article_wrapped_at_72_columns_gives_the_paragraphs_of_the_same_text(
    tmp_path: Path, copy_marian: Path
) -> None:
    wrapped = "\n\n".join(textwrap.fill(p, 72) for p in PARAGRAPHS)
    assert split_paragraphs(wrapped) == PARAGRAPHS
    paragraphs, _, _, _ = read_markdown("# Hochwasser am Rhein\n\n" + wrapped + "\n")
    assert paragraphs == ["Hochwasser am Rhein", *PARAGRAPHS]
    # And so the translation: five whole paragraphs, no half sentences.
    inbox = inbox_with(tmp_path, {"hochwasser.md": "# Hochwasser am Rhein\n\n" + wrapped + "\n"})
    result = runner.invoke(app, translate_args(inbox, tmp_path / "out", copy_marian))
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "out" / "hochwasser.json").read_text(encoding="utf-8"))
    sources = [s["source"] for s in record["segments"]]
    assert all(s.endswith((".", "!", "?")) for s in sources), sources


def test_a_wrapped_markdown_paragraph_with_links_is_judged_by_its_width_as_written() -> None:
    text = PARAGRAPHS[0].replace("Stadt", "[Stadt](https://www.stadt-koeln.de/presse/mitteilungen)")
    # As vim wraps: never inside a word, hyphens included.
    wrapped = "\n\n".join(textwrap.fill(p, 72, break_on_hyphens=False) for p in [text, *PARAGRAPHS[1:]])
    assert read_markdown(wrapped)[0] == PARAGRAPHS


@pytest.mark.parametrize("width", [40, 50, 72])
@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_a_headline_and_labels_are_never_joined_to_wrapped_prose(width: int, suffix: str) -> None:
    body = "\n\n".join(textwrap.fill(p, width) for p in PARAGRAPHS[:3])
    text = (
        "Hochwasser: Pegel am Rhein steigt weiter\nArtikel teilen\n\n"
        + body
        + "\nNewsletter abonnieren und nichts verpassen\n"
    )
    expected = [
        "Hochwasser: Pegel am Rhein steigt weiter",
        "Artikel teilen",
        *PARAGRAPHS[:3],
        "Newsletter abonnieren und nichts verpassen",
    ]
    got = split_paragraphs(text) if suffix == ".txt" else read_markdown(text)[0]
    assert got == expected


def test_a_short_copied_article_is_no_evidence_of_wrapping() -> None:
    lines = [
        "Hochwasser: Pegel am Rhein steigt weiter",
        "Artikel teilen",
        "Der Pegel ist in der Nacht auf 8,20 Meter gestiegen, sagte die Stadt am Morgen",
        "Anwohner sollen ihre Keller räumen, die Feuerwehr baut Schutzwände am Ufer auf",
        "Der Scheitel wird am Samstag erwartet",
        "Newsletter abonnieren",
    ]
    assert split_paragraphs("\n".join(lines)) == lines
    assert read_markdown("\n".join(lines))[0] == lines


def test_raw_html_inside_a_markdown_paragraph_gives_its_visible_text_only() -> None:
    markdown = (
        "Der Rat tagte am Montag.<script>var geheim = 'Dieser Code';</script> Er beschloss nichts.\n"
        '<style>.x { color: red }</style>Die Sitzung <span style="display: none">Versteckt</span>'
        "dauerte <span hidden>auch versteckt</span>drei Stunden.\n"
        '<template><p>Vorlage</p></template>Am Ende <b style="VISIBILITY : hidden">weg</b>gingen '
        "<span hidden><i>tief</i> versteckt</span>alle <i>nach Hause</i>.\n\n"
        "<div>Block <span hidden>weg</span> sichtbar<noscript>Bitte JavaScript</noscript>"
        '<p style="display:none">auch weg</p></div>\n'
    )
    text = " ".join(read_markdown(markdown)[0])
    for hidden in (
        "geheim",
        "Code",
        "color",
        "Versteckt",
        "versteckt",
        "Vorlage",
        "weg",
        "tief",
        "JavaScript",
    ):
        assert hidden not in text, hidden
    for shown in (
        "Der Rat tagte am Montag.",
        "Er beschloss nichts.",
        "dauerte drei Stunden",
        "alle nach Hause",
    ):
        assert shown in text, shown
    assert "Block sichtbar" in text


def test_front_matter_of_yaml_aliases_is_bounded_by_the_file_not_expanded() -> None:
    # 400 bytes that stand for 9**7 strings: a title must never be made of them.
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for name, previous in zip("bcdef", "abcde", strict=True):
        levels.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    levels += ["title: [" + ",".join(["*f"] * 9) + "]", "author: {name: *f}", "date: *e"]
    markdown = "---\n" + "\n".join(levels) + "\n---\nDer Bundestag hat ein Gesetz beschlossen.\n"
    assert len(markdown) < 600
    started = time.perf_counter()
    paragraphs, _, metadata, _ = read_markdown(markdown)
    assert time.perf_counter() - started < 5  # not a timing test: minutes before the fix
    assert paragraphs == ["Der Bundestag hat ein Gesetz beschlossen."]
    assert metadata == {}


def test_front_matter_values_are_text_cut_to_a_bound() -> None:
    markdown = (
        "---\ntitle: " + "Lang " * 1000 + "\nauthor: [{name: Anna}, 7, [x]]\ndate: 2024-03-07\n---\nText.\n"
    )
    metadata = read_markdown(markdown)[2]
    assert len(metadata["title"]) == 500
    assert metadata["author"] == "Anna, 7"
    assert metadata["date"] == "2024-03-07"


def test_a_run_reads_an_article_with_a_nul_byte(tmp_path: Path, copy_marian: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_bytes(b"Putin traf Kim in Pj\xc3\xb6ngjang.\x00 Sie sprachen zwei Stunden.")
    report = run([inbox], replace(options(tmp_path / "out", copy_marian, None), default_names=False))
    assert not report.failures
    record = json.loads((tmp_path / "out" / "a.json").read_text(encoding="utf-8"))
    assert "1 NUL byte removed" in record["source"]["warnings"]
    assert "Pjöngjang" in record["translation"]
