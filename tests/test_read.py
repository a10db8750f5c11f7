from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from summarise.discover import discover_inputs
from summarise.errors import ConfigError, InputError
from summarise.read import InputFile, read_article
from summarise.text_reader import split_paragraphs

GERMAN = "Die Straße führt über die Brücke. Größere Schäden gab es nicht.\nÄrger blieb aus."


def read(path: Path) -> tuple[list[str], str, list[str]]:
    article = read_article(InputFile(path, PurePosixPath(path.name)))
    return article.paragraphs, article.encoding, article.warnings


@pytest.mark.parametrize(
    ("data", "encoding", "warned"),
    [
        (GERMAN.encode("utf-8"), "utf-8", False),
        (b"\xef\xbb\xbf" + GERMAN.encode("utf-8"), "utf-8", False),
        (GERMAN.encode("utf-16"), "utf-16", False),
        (GERMAN.encode("cp1252"), "cp1252", True),
        ((GERMAN + " \x81").encode("latin-1"), "latin-1", True),  # 0x81 is undefined in cp1252
    ],
)
def test_german_text_is_decoded_in_every_encoding(
    tmp_path: Path, data: bytes, encoding: str, warned: bool
) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    paragraphs, found, warnings = read(path)
    assert found == encoding
    assert paragraphs[0] == "Die Straße führt über die Brücke. Größere Schäden gab es nicht."
    assert paragraphs[1].startswith("Ärger blieb aus.")
    assert bool(warnings) == warned


def test_binary_and_empty_files_are_refused_with_a_reason(tmp_path: Path) -> None:
    png = tmp_path / "image.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"  \n\n \t\n")
    with pytest.raises(InputError, match="binary"):
        read(png)
    with pytest.raises(InputError, match="empty"):
        read(empty)


def test_crlf_and_lone_cr_line_ends_keep_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"Erster Absatz.\r\nZweiter Absatz.\rDritter Absatz.")
    assert read(path)[0] == ["Erster Absatz.", "Zweiter Absatz.", "Dritter Absatz."]


def test_one_paragraph_per_line_is_kept_as_is() -> None:
    text = "Überschrift ohne Punkt\nErster Absatz, ein Satz.\n\nZweiter Absatz.\n"
    assert split_paragraphs(text) == ["Überschrift ohne Punkt", "Erster Absatz, ein Satz.", "Zweiter Absatz."]


def test_hard_wrapped_paragraphs_are_joined() -> None:
    wrapped = (
        "Der russische Präsident Wladimir Putin hat den nordkoreanischen Soldaten\n"
        "seinen Dank ausgesprochen, die Moskaus Streitkräften bei der Verteidigung\n"
        "der Region Kursk vor einem ukrainischen Einfall geholfen haben und dafür\n"
        "viel Lob bekommen haben.\n"
        "\n"
        "Putin gab diese Erklärung während eines Treffens mit dem nordkoreanischen\n"
        "Führer Kim Jong-un am Mittwoch in China ab.\n"
    )
    paragraphs = split_paragraphs(wrapped)
    assert len(paragraphs) == 2
    assert paragraphs[0].startswith("Der russische Präsident") and paragraphs[0].endswith("bekommen haben.")
    assert "Soldaten seinen Dank" in paragraphs[0]


def test_folders_are_walked_and_outputs_mirror_relative_paths(tmp_path: Path) -> None:
    for name in ("a/x.txt", "b/x.txt", "b/deep/y.md", "b/skip.pdf"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("Ein Satz.", encoding="utf-8")
    inputs, problems = discover_inputs([tmp_path])
    assert problems == []
    assert [str(f.relative) for f in inputs] == ["a/x.txt", "b/deep/y.md", "b/x.txt"]


def test_several_arguments_share_their_common_folder(tmp_path: Path) -> None:
    for name in ("a/x.txt", "b/x.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("Ein Satz.", encoding="utf-8")
    inputs, _ = discover_inputs([tmp_path / "a" / "x.txt", tmp_path / "b", tmp_path / "a"])
    assert [str(f.relative) for f in inputs] == ["a/x.txt", "b/x.txt"]


def test_bad_arguments_are_reported_not_raised(tmp_path: Path) -> None:
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF")
    good = tmp_path / "good.txt"
    good.write_text("Ein Satz.", encoding="utf-8")
    inputs, problems = discover_inputs([pdf, good])
    assert [f.path for f in inputs] == [good]
    assert [(p.path.name, p.reason) for p in problems] == [
        ("a.pdf", "unsupported file type (expected .txt, .md, .html, .htm)"),
    ]


def test_arguments_that_name_nothing_are_a_usage_error_naming_each(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Ein Satz.", encoding="utf-8")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    with pytest.raises(ConfigError) as raised:
        discover_inputs([tmp_path / "missing.txt", good, tmp_path / "dangling.txt"])
    assert str(raised.value) == (
        f"{tmp_path / 'missing.txt'}: no such file or folder; "
        f"{tmp_path / 'dangling.txt'}: broken symbolic link"
    )


def test_dotdot_in_arguments_never_leads_outside_the_output_folder(tmp_path: Path) -> None:
    (tmp_path / "inbox" / "sub").mkdir(parents=True)
    (tmp_path / "x.txt").write_text("Ein Satz.", encoding="utf-8")
    (tmp_path / "inbox" / "a.txt").write_text("Ein Satz.", encoding="utf-8")
    inputs, problems = discover_inputs(
        [tmp_path / "inbox" / "a.txt", tmp_path / "inbox" / "sub" / ".." / ".." / "x.txt"]
    )
    assert problems == []
    assert sorted(str(f.relative) for f in inputs) == ["inbox/a.txt", "x.txt"]
    assert all(".." not in f.relative.parts and not f.relative.is_absolute() for f in inputs)


FIVE_LINES = (
    "Bahnstreik legt den Verkehr in ganz Deutschland lahm\n"
    "Die Gewerkschaft hat ihre Mitglieder für Montag zum Streik aufgerufen.\n"
    "Fernzüge und Regionalbahnen bleiben nach Angaben der Bahn im Depot.\n"
    "Pendler sollen auf Busse ausweichen oder im Homeoffice arbeiten.\n"
    "Die Verhandlungen über höhere Löhne sollen am Freitag weitergehen.\n"
)


def test_one_paragraph_per_line_of_similar_length_is_not_taken_for_wrapped_text() -> None:
    # Lines of about the same width that end sentences: a writer's own line breaks.
    paragraphs = split_paragraphs(FIVE_LINES)
    assert paragraphs == FIVE_LINES.strip().split("\n")


def test_wrapped_text_under_a_headline_keeps_the_headline_apart() -> None:
    import textwrap

    body = (
        "Der russische Präsident Wladimir Putin hat den nordkoreanischen Soldaten seinen Dank "
        "ausgesprochen, die Moskaus Streitkräften bei der Verteidigung der Region Kursk vor einem "
        "ukrainischen Einfall geholfen haben. Putin gab diese Erklärung während eines Treffens mit "
        "dem nordkoreanischen Führer Kim Jong-un am Mittwoch in China ab."
    )
    second = (
        "Nach dem Empfang zum 80. Jahrestag des Endes des Zweiten Weltkriegs setzten sich Putin und "
        "Kim in Peking zu bilateralen Gesprächen über die Zusammenarbeit ihrer Länder zusammen."
    )
    headline = "Putin dankt Kim für die Hilfe in Kursk"
    # No blank lines at all: the paragraphs end where a line stops short of the width.
    text = "\n".join([headline, *textwrap.wrap(body, 72), *textwrap.wrap(second, 72)])
    assert split_paragraphs(text) == [headline, body, second]


def test_wrapped_paragraphs_come_back_exactly_at_any_width_hyphens_included() -> None:
    import textwrap

    paragraph = (
        "Die Landesregierung von Baden-Württemberg will die Anmeldung per E-Mail vereinfachen, "
        "wie ein Sprecher des Ministeriums am Montag in Stuttgart sagte. Die Pläne für Nord- und "
        "Süddeutschland sollen im Herbst vorgestellt und danach im Bundestag beraten werden, "
        "hieß es aus dem Umfeld der Koalitionsfraktionen. Kritik kam von den Datenschützern."
    )
    for width in range(50, 81, 3):
        wrapped = "\n".join(textwrap.wrap(paragraph, width))
        assert split_paragraphs(wrapped + "\n\n" + wrapped) == [paragraph, paragraph], width


def test_a_ticker_of_many_one_sentence_lines_stays_one_paragraph_per_line() -> None:
    lines = [
        f"Meldung {i}: Der Index stieg am Mittag um {i % 97} Punkte auf einen neuen Stand."
        for i in range(60_000)
    ]
    assert split_paragraphs("\n".join(lines)) == lines


def test_a_wrapped_text_without_any_paragraph_end_is_cut_into_bounded_paragraphs() -> None:
    import textwrap

    sentence = "Der Ausschuss beriet am Montag über den Haushalt und vertagte sich danach erneut"
    text = "\n".join(textwrap.wrap(", ".join([sentence] * 3000) + ".", 72))
    paragraphs = split_paragraphs(text)
    assert max(len(p) for p in paragraphs) < 4200
    assert " ".join(paragraphs).split() == text.split()  # every word kept, in order


def test_a_five_line_article_is_briefed_line_by_line(tmp_path: Path, copy_marian: Path) -> None:
    import json

    from support import options

    from summarise.pipeline import run

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "streik.txt").write_text(FIVE_LINES, encoding="utf-8")
    assert run([inbox], options(tmp_path / "out", copy_marian, None)).exit_code == 0
    record = json.loads((tmp_path / "out" / "streik.json").read_text(encoding="utf-8"))
    lines = FIVE_LINES.strip().split("\n")
    assert record["headline"]["source"] == lines[0]  # the title is the headline, not the file name
    assert [s["source"] for s in record["segments"]] == lines[1:]  # one sentence each, none run together
    assert [s["paragraph"] for s in record["segments"]] == [0, 1, 2, 3]
