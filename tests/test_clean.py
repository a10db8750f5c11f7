"""The clean stage: boilerplate by rule, by list shape and by evidence across a run; the headline;
saved web pages."""

from __future__ import annotations

import json
import sys
from pathlib import Path, PurePosixPath

import pytest
from cleaning_cases import MORE_JUNK, MORE_TEXT, SEEDS
from support import REPO, brief_args, options, runner

from summarise.clean import RepeatedLines, clean_paragraphs, is_headline, line_keys
from summarise.cli import app
from summarise.pipeline import run

sys.path.insert(0, str(REPO / "scripts"))
from cleaning_scores import score_lines, score_seed

LEAD = "Die Regierung hat am Montag ein neues Gesetz beschlossen."


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_tables_nothing_of_the_article_is_removed(name: str) -> None:
    score = score_seed(name)
    assert score.false_positives == 0
    # One known miss in all five seeds: an inline teaser for another article (see cleaning_cases).
    assert score.false_negatives <= (1 if name.startswith("002") else 0)


@pytest.mark.parametrize("line", MORE_JUNK)
def test_more_boilerplate_is_removed_with_its_reason(line: str) -> None:
    cleaned = clean_paragraphs([LEAD, line, LEAD])
    assert [(r.paragraph, r.text) for r in cleaned.removed] == [(1, line)]
    assert cleaned.removed[0].reason
    assert cleaned.paragraphs == [LEAD, LEAD]


@pytest.mark.parametrize("line", MORE_TEXT)
def test_article_text_that_starts_like_boilerplate_is_kept(line: str) -> None:
    assert clean_paragraphs([LEAD, line, LEAD]).paragraphs == [LEAD, line, LEAD]


def test_scores_of_the_extra_lines() -> None:
    score = score_lines()
    assert (score.precision, score.recall) == (1.0, 1.0)


def test_a_link_list_ends_at_the_first_line_of_article_text() -> None:
    cleaned = clean_paragraphs(
        [LEAD, "Lesen Sie auch:", "- Erster Link", "Zweiter Link ohne Punkt", "Der Text geht hier weiter."]
    )
    assert cleaned.paragraphs == [LEAD, "Der Text geht hier weiter."]
    assert [r.reason for r in cleaned.removed] == [
        "related links",
        "link list after “Lesen Sie auch:”",
        "link list after “Lesen Sie auch:”",
    ]


def test_headlines_of_other_articles_at_the_very_end_are_a_link_list() -> None:
    tail = ["Bahn erhöht die Preise", "Sturm über Norddeutschland", "Bundesliga: Bayern verliert"]
    cleaned = clean_paragraphs([LEAD, LEAD.replace("Montag", "Dienstag"), *tail])
    assert [r.text for r in cleaned.removed] == tail
    assert {r.reason for r in cleaned.removed} == {"trailing link list"}
    # Two short lines are not enough to call a list, and bullets need a heading.
    assert not clean_paragraphs([LEAD, LEAD, *tail[:2]]).removed
    assert not clean_paragraphs([LEAD, LEAD, "- a", "- b", "- c"]).removed


def test_a_line_found_in_several_articles_of_a_run_is_boilerplate() -> None:
    footer = "Folgen Sie der Redaktion auch auf Mastodon: @zeitung@social.example"
    articles = {f"sha{i}": [f"Artikel {i} beginnt hier.", footer] for i in range(4)}
    repeated = RepeatedLines()
    for article_id, paragraphs in articles.items():
        repeated.add(article_id, line_keys(paragraphs))
    cleaned = clean_paragraphs(articles["sha0"], repeated=repeated)
    assert cleaned.paragraphs == ["Artikel 0 beginnt hier."]
    assert cleaned.removed[0].reason == "repeated in 4 articles of this run"
    # In two articles only, or the same content under several names: not evidence.
    twice = RepeatedLines()
    for article_id in ("a", "b", "b", "b"):
        twice.add(article_id, line_keys(articles["sha1"]))
    assert clean_paragraphs(articles["sha1"], repeated=twice).paragraphs == articles["sha1"]


def test_keep_boilerplate_removes_nothing() -> None:
    paragraphs = [LEAD, *MORE_JUNK]
    kept = clean_paragraphs(paragraphs, keep_boilerplate=True)
    assert kept.paragraphs == paragraphs and not kept.removed


@pytest.mark.parametrize(
    ("line", "headline"),
    [
        ("Putin dankt nordkoreanischen Soldaten", True),
        ("Kim Jong Un hat versprochen, Russland zu helfen.", False),  # a sentence
        ("Die wichtigsten Punkte:", False),  # leads into what follows
        ("Liveblog", False),  # one word
        ("Ein " + "sehr " * 40 + "langer Satz ohne Punkt", False),
    ],
)
def test_is_headline(line: str, headline: bool) -> None:
    assert is_headline(line) is headline


def test_the_headline_becomes_the_title_and_leaves_the_body(tmp_path: Path, copy_marian: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    headline = "Putin dankt nordkoreanischen Soldaten"
    (inbox / "a.txt").write_text(f"{headline}\n{LEAD}\nDas Treffen dauerte zwei Stunden.", encoding="utf-8")
    run([inbox], options(tmp_path / "out", copy_marian, None))
    record = json.loads((tmp_path / "out" / "a.json").read_text(encoding="utf-8"))
    assert record["headline"]["source"] == headline
    assert record["title"] == record["headline"]["target"] and record["title"]  # the copy model: German back
    assert headline not in [s["source"] for s in record["segments"]]
    assert record["segments"][0]["source"] == LEAD


def test_seed_briefs_carry_none_of_the_junk(
    seeds_copy: Path, tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    out = tmp_path / "briefs"
    result = runner.invoke(app, brief_args(seeds_copy, out, copy_marian, tiny_bart))
    assert result.exit_code == 0, result.output
    for name, junk in SEEDS.items():
        record = json.loads((out / name).with_suffix(".json").read_text(encoding="utf-8"))
        removed = [line["text"] for line in record["cleaning"]["removed"]]
        sources = " ".join(s["source"] for s in record["segments"])
        for start in junk:
            if start.startswith("Nordkoreanischer Staatschef"):
                continue  # the known miss
            assert start not in sources, (name, start)
            assert any(text.startswith(start) for text in removed), (name, start)
        brief = (out / name).with_suffix(".md").read_text(encoding="utf-8")
        assert "- Cleaning: " in brief and "- Language: German (de, detected" in brief
    brief = (out / "001_feed063c7223cddc.md").read_text(encoding="utf-8")
    assert "subscription prompt x3" in brief and "link list x3" in brief


PAGE = """<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8">
<title>Putin dankt Kim für Hilfe in Kursk | Beispielzeitung</title>
<meta property="og:title" content="Putin dankt Kim für Hilfe in Kursk">
<meta name="author" content="Anna Beispiel">
<meta property="article:published_time" content="2025-09-03T10:00:00+02:00">
</head><body>
<div id="cookie-banner">Wir verwenden Cookies, um Ihnen das beste Nutzererlebnis zu bieten.
<button>Alle akzeptieren</button></div>
<nav><ul><li><a href="/">Startseite</a></li><li><a href="/politik">Politik</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/wetter">Wetter</a></li></ul></nav>
<aside class="ad">Anzeige: Jetzt günstig Strom wechseln und 200 Euro sparen!</aside>
<main><article>
<h1>Putin dankt Kim für Hilfe in Kursk</h1>
<p class="byline">Von Anna Beispiel, 3. September 2025</p>
{paragraphs}
</article></main>
<section id="comments"><h2>Kommentare (2)</h2>
<div class="comment"><p>Leser123: Das ist doch alles Propaganda, glaubt kein Mensch.</p></div>
<div class="comment"><p>Hans W.: Endlich mal ein guter Artikel zu dem Thema hier.</p></div>
</section>
<footer><p>© 2025 Beispielzeitung GmbH. Alle Rechte vorbehalten. Impressum. Datenschutz.</p></footer>
</body></html>
"""


def test_a_saved_web_page_briefs_like_a_text_article(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    text = (REPO / "seeds" / "003_7118c5d12a141062.txt").read_text(encoding="utf-8")
    body = [line for line in text.splitlines() if line.strip()][1:6]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    page = PAGE.replace("{paragraphs}", "\n".join(f"<p>{p}</p>" for p in body))
    (inbox / "putin-kim.html").write_text(page, encoding="utf-8")
    out = tmp_path / "briefs"
    result = runner.invoke(app, brief_args(inbox, out, copy_marian, tiny_bart))
    assert result.exit_code == 0, result.output
    record = json.loads((out / "putin-kim.json").read_text(encoding="utf-8"))
    assert record["source"]["metadata"]["author"] == "Anna Beispiel"
    assert record["source"]["metadata"]["date"] == "2025-09-03"
    assert record["headline"]["source"] == "Putin dankt Kim für Hilfe in Kursk"
    sources = " ".join(s["source"] for s in record["segments"])
    for paragraph in body:
        assert paragraph[:60] in sources
    for junk in ("Cookies", "Startseite", "Strom wechseln", "Propaganda", "Leser123", "Rechte vorbehalten"):
        assert junk not in sources and junk not in record["translation"]
    assert (out / "putin-kim.md").read_text(encoding="utf-8").startswith("# ")


def test_a_web_page_without_an_article_is_named_and_skipped(tmp_path: Path, copy_marian: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "empty.html").write_text("<html><body><nav><a href='/'>Start</a></nav></body></html>")
    (inbox / "good.txt").write_text(LEAD, encoding="utf-8")
    args = ["translate", str(inbox), "-o", str(tmp_path / "out"), "--translator", str(copy_marian)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert f"error: {inbox / 'empty.html'}: no article text found in this web page" in result.stderr


def test_an_ad_box_goes_with_its_marker_and_a_rule_inside_a_list_keeps_its_reason() -> None:
    lead = "Die Regierung hat am Montag ein neues Gesetz beschlossen."
    box = ["Anzeige", "Das Buch zum Thema", "Verlag: Piper", "Für 22,00 € kaufen"]
    cleaned = clean_paragraphs([lead, *box, "Danach ging die Debatte im Bundestag weiter."])
    assert cleaned.paragraphs == [lead, "Danach ging die Debatte im Bundestag weiter."]
    assert [r.reason for r in cleaned.removed] == ["advertisement marker"] + 3 * [
        "advertisement (after “Anzeige”)"
    ]
    # Inside a list of links, a widget keeps its own reason, and the list goes on after it.
    listed = clean_paragraphs([lead, "Lesen Sie auch", "Bahn streikt", "Teilen", "Preise steigen", lead])
    assert [r.reason for r in listed.removed] == [
        "related links",
        "link list after “Lesen Sie auch”",
        "page widget",
        "link list after “Lesen Sie auch”",
    ]


def test_wire_copy_shared_by_several_articles_of_a_run_is_kept_in_each(
    tmp_path: Path, copy_marian: Path
) -> None:
    shared = [
        "Die Bahn streikt ab Montag bundesweit.",
        "Betroffen sind Fern- und Regionalzüge.",
        "Die Gewerkschaft fordert mehr Lohn.",
    ]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i, headline in enumerate(["Streik bei der Bahn", "Bahnstreik ab Montag", "Züge stehen still"]):
        (inbox / f"{i}.txt").write_text("\n\n".join([headline, *shared]), encoding="utf-8")
    report = run([inbox], options(tmp_path / "out", copy_marian, None))
    assert report.exit_code == 0
    for i in range(3):
        record = json.loads((tmp_path / "out" / f"{i}.json").read_text(encoding="utf-8"))
        assert [s["source"] for s in record["segments"]] == shared
        assert record["cleaning"]["removed"] == []
    # Translated once: the shared sentences come from the translation memory for the later articles.
    assert report.segments_translated == 3 + 3  # three headlines, three shared sentences


def test_every_brief_states_the_share_cleaning_removed_and_warns_above_the_threshold(
    tmp_path: Path, copy_marian: Path
) -> None:
    from cleaning_cases import MORE_JUNK

    from summarise.clean import MUCH_REMOVED_SHARE

    usual = "\n\n".join(
        ["Bahnstreik legt Deutschland lahm", LEAD, LEAD.replace("Montag", "Dienstag"), MORE_JUNK[0]]
    )
    # A short article in much furniture: most of what was read is removed, all of it by rule.
    unusual = "\n\n".join(["Bahnstreik legt Deutschland lahm", LEAD, *MORE_JUNK[:8]])
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "usual.txt").write_text(usual, encoding="utf-8")
    (inbox / "unusual.txt").write_text(unusual, encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["translate", str(inbox), "-o", str(out), "--translator", str(copy_marian), "--beams", "1"]
    )
    assert result.exit_code == 0, result.output  # a warning, not a failure
    records = {
        name: json.loads((out / f"{name}.json").read_text(encoding="utf-8")) for name in ("usual", "unusual")
    }
    for record in records.values():
        cleaning = record["cleaning"]
        removed = sum(len(line["text"]) for line in cleaning["removed"])
        assert cleaning["removed_characters"] == removed > 0
        assert cleaning["removed_share"] == round(removed / cleaning["characters"], 3)
    assert records["usual"]["cleaning"]["much_removed"] is False
    assert records["unusual"]["cleaning"]["removed_share"] > MUCH_REMOVED_SHARE
    assert records["unusual"]["cleaning"]["much_removed"] is True
    warnings = [line for line in result.stderr.splitlines() if "cleaning removed" in line]
    assert len(warnings) == 1 and warnings[0].lower().startswith("warning: ") and "unusual.txt" in warnings[0]
    assert "--keep-boilerplate" in warnings[0]
    assert any("cleaning removed" in w for w in records["unusual"]["source"]["warnings"])


def test_the_seeds_correct_removals_stay_under_the_warning_threshold() -> None:
    from summarise.clean import MUCH_REMOVED_SHARE
    from summarise.read import InputFile, read_article

    for path in sorted((REPO / "seeds").iterdir()):
        article = read_article(InputFile(path, PurePosixPath(path.name)))
        cleaned = clean_paragraphs(article.paragraphs)
        assert cleaned.removed and not cleaned.much_removed
        assert cleaned.removed_characters < MUCH_REMOVED_SHARE * cleaned.characters


def test_the_headline_and_subheadings_of_copies_of_one_story_are_kept() -> None:
    # Three outlets print the same agency story: headline, subheading and all. What they share
    # is the story, not a site's furniture, even where it has the form of furniture.
    story = [
        "Bahnstreik legt Deutschland lahm",
        "Die Gewerkschaft hat ihre Mitglieder für Montag zum Streik aufgerufen.",
        "Was Pendler wissen müssen",
        "Fernzüge und Regionalbahnen bleiben nach Angaben der Bahn im Depot.",
        "Pendler sollen auf Busse ausweichen oder im Homeoffice arbeiten.",
    ]
    outlets = {f"outlet{i}": [*story, f"Mehr aus Ressort {i}"] for i in range(3)}
    # Three articles of one site, different stories, with the site's own line: still boilerplate.
    site = {
        f"site{i}": [f"Meldung {i}: " + story[1].replace("Montag", day), "Startseite Politik Wirtschaft"]
        for i, day in enumerate(["Dienstag", "Mittwoch", "Donnerstag"])
    }
    repeated = RepeatedLines()
    for article_id, paragraphs in {**outlets, **site}.items():
        repeated.add(article_id, line_keys(paragraphs))
    for paragraphs in outlets.values():
        cleaned = clean_paragraphs(paragraphs, repeated=repeated)
        assert [cleaned.headline, *cleaned.paragraphs] == paragraphs and not cleaned.removed
    for paragraphs in site.values():
        cleaned = clean_paragraphs(paragraphs, repeated=repeated)
        assert [r.text for r in cleaned.removed] == ["Startseite Politik Wirtschaft"]


# ----------------------------------------------------------------------------- the line model

CONSENT = "Externer Inhalt: Um diesen Inhalt zu sehen, müssen Sie der Datenverarbeitung zustimmen."
RADWEG = [  # an article as copied from a page, of our own writing: furniture around the story
    "Startseite",
    "Politik",
    "Stadtrat beschließt neuen Radweg entlang der Ringstraße",
    "Von Anna Beispiel",
    "12.03.2025, 14:20 Uhr",
    "Der Stadtrat hat am Dienstagabend mit großer Mehrheit beschlossen, entlang der Ringstraße einen "
    "durchgehenden Radweg zu bauen. Die Arbeiten sollen im Herbst beginnen und rund zwei Jahre dauern.",
    CONSENT,
    "Nach Angaben der Verwaltung kostet der Radweg etwa elf Millionen Euro, von denen das Land einen großen "
    "Teil übernimmt. Die Opposition kritisierte die Kosten, stimmte am Ende aber ebenfalls zu.",
    "Was sich für Autofahrer ändert",
    "Für Autofahrer fällt auf der Ringstraße eine Spur weg. Die Stadt rechnet dennoch nicht mit längeren "
    "Staus, weil ein Teil des Verkehrs auf die neue Umgehung ausweichen soll, die im Sommer eröffnet wird.",
    CONSENT,
    "„Der Radweg ist für die ganze Stadt ein Gewinn“, sagte die Bürgermeisterin nach der Sitzung.",
    "Anwohner hatten sich seit Jahren für einen sicheren Radweg an der Ringstraße eingesetzt. Im vergangenen "
    "Jahr waren dort mehrere Radfahrer bei Unfällen schwer verletzt worden, einer von ihnen tödlich.",
    "„Der Radweg ist für die ganze Stadt ein Gewinn“, sagte die Bürgermeisterin nach der Sitzung.",
    CONSENT,
    "Mehr aus der Region",
    "Hochwasser: Pegel am Rhein steigt weiter",
    "Tierpark: Zwei Eisbären ziehen um",
    "Fußball: Trainer muss nach drei Niederlagen gehen",
    "Artikel teilen",
]


def test_the_line_model_removes_a_teaser_box_and_keeps_the_story() -> None:
    cleaned = clean_paragraphs(RADWEG)
    removed = {line.paragraph: line.reason for line in cleaned.removed}
    # The teaser box after the body goes, each line with the model's reason.
    for index in (15, 16, 17, 18):
        assert removed[index].startswith("line model: "), (RADWEG[index], removed.get(index))
    assert "after body" in removed[16] and "probability" in removed[16]
    # The story stays: its headline, its lead and body, its subheading, the quote once.
    assert cleaned.headline == RADWEG[2]
    for index in (5, 7, 8, 9, 11, 12):
        assert RADWEG[index] in cleaned.paragraphs, RADWEG[index]
    # Navigation goes, as a block.
    assert 0 in removed and 1 in removed


def test_a_line_an_article_has_three_times_is_furniture_and_a_repeated_quote_is_kept_once() -> None:
    cleaned = clean_paragraphs(RADWEG)
    removed = {line.paragraph: line.reason for line in cleaned.removed}
    assert [removed[i] for i in (6, 10, 14)] == ["repeated 3 times in this article"] * 3
    assert removed[13] == "the same as paragraph 11, kept there"
    assert cleaned.paragraphs.count(RADWEG[11]) == 1


def test_a_short_text_is_judged_by_the_rules_alone() -> None:
    """Three lines are too little context for the model (nor is one line of them a teaser)."""
    lines = ["Hochwasser: Pegel am Rhein steigt weiter", LEAD, "Tierpark: Zwei Eisbären ziehen um"]
    assert clean_paragraphs(lines).paragraphs == lines[1:]  # the first is the headline


def test_the_shipped_line_model_reads_the_features_it_was_trained_on() -> None:
    from summarise.line_model import FEATURES, LineModel, shipped_model

    model = shipped_model()
    assert model.names == FEATURES and len(model.weights) == len(FEATURES)
    assert 0.5 < model.threshold < 1 and 0.5 < model.run_threshold < 1
    data = model.to_json()
    data["names"] = [*data["names"][1:], "something new"]
    with pytest.raises(ValueError, match="other features"):
        LineModel.from_json(data)


def test_a_list_of_links_to_other_articles_in_a_web_page_goes_and_a_link_in_a_sentence_stays(
    tmp_path: Path,
) -> None:
    from summarise.read import InputFile, read_article

    body = [line for i, line in enumerate(RADWEG) if i in (5, 7, 9, 12)]
    teasers = [
        'Verkehr: <a href="/a1">Neue Buslinie verbindet die Vororte mit dem Zentrum</a>',
        'Hochwasser: <a href="/a2">Pegel am Rhein steigt in der Nacht weiter an</a>',
        'Tierpark: <a href="/a3">Zwei Eisbären ziehen in ein neues Gehege um</a>',
    ]
    linked = 'Die Bürgermeisterin nannte den Radweg <a href="/plan">einen Gewinn für die ganze Stadt</a>.'
    page = (
        "<html><head><title>Stadtrat beschließt Radweg</title></head><body><article>"
        "<h1>Stadtrat beschließt Radweg</h1>"
        + "".join(f"<p>{line}</p>" for line in body[:2])
        + "<ul>"
        + "".join(f"<li>{teaser}</li>" for teaser in teasers)
        + "</ul>"
        + "".join(f"<p>{line}</p>" for line in body[2:])
        + f"<p>{linked}</p></article></body></html>"
    )
    path = tmp_path / "radweg.html"
    path.write_text(page, encoding="utf-8")  # no charset declared: links are read as UTF-8 too
    article = read_article(InputFile(path, PurePosixPath(path.name)))
    cleaned = clean_paragraphs(article.paragraphs, links=article.links)
    gone = {line.text: line.reason for line in cleaned.removed}
    assert [reason for text, reason in gone.items() if "Eisbären" in text] == [
        "links to other pages (3 in a row)"
    ]
    assert len(gone) == 3
    assert any("Gewinn für die ganze Stadt" in paragraph for paragraph in cleaned.paragraphs)
    assert all(line in cleaned.paragraphs for line in body)


def test_link_shares_of_a_page_with_thousands_of_links_are_found_by_word_spans_alike() -> None:
    from summarise.html_reader import link_shares

    teasers = [f"Neue Buslinie Nummer {n} verbindet die Vororte" for n in range(3000)]
    paragraphs = [f"Verkehr: {teasers[7]}", "Der Radweg wird im Frühjahr gebaut, sagt die Stadt.", teasers[9]]
    few = link_shares(paragraphs, teasers[:10])  # every link against every paragraph
    many = link_shares(paragraphs * 100, teasers)  # past the pairs bound: by word spans
    assert few == many[:3] == [1.0, 0.0, 1.0]
