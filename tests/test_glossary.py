"""The glossary: German terms rendered as the reader knows them, applied honestly.

The copy model's output is its German input, so what the glossary does is observable exactly:
a German spelling it copied is replaced; a name it cannot write (letters outside its vocabulary)
is missing, placed by pre-substitution where that helps, flagged where nothing does.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from support import brief_args, check_against_schema, options, translate_args
from typer.testing import CliRunner

from summarise.brief import GLOSSARY, KEPT, MISSING, PLACED, REPLACED, Brief
from summarise.cli import app
from summarise.errors import GlossaryError
from summarise.glossary import NAMES_FOLDER, Glossary, GlossaryTranslator, Method, load_glossary
from summarise.pipeline import Briefer
from summarise.segment import segment_paragraphs
from summarise.session import ModelSession
from summarise.summary import ModelSummariser, Summary
from summarise.translate import TranslatedSegment, Translator

runner = CliRunner()


def glossary_file(folder: Path, text: str, name: str = "glossary.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def user_glossary(
    tmp_path: Path, text: str, default_names: bool = False, name: str = "glossary.toml"
) -> Glossary:
    return Glossary.of(glossary_file(tmp_path, text, name), default_names)


# ----------------------------------------------------------------------------- the rules


def test_german_spellings_and_variants_are_replaced_as_whole_words_only(tmp_path: Path) -> None:
    glossary = Glossary.of(None)  # the default names
    source = "Selenskyjs Berater trafen Schoigu in Kiew; die Kiewer Behörden schwiegen."
    edited = glossary.edit(
        source, "Selenskyjs advisers met Schoigu in Kiev; the Kievan authorities were silent."
    )
    assert edited.text == "Zelenskyys advisers met Shoigu in Kyiv; the Kievan authorities were silent."
    # The -s is kept, not made a possessive: it is as often a plural ("die Huthis").
    assert glossary.edit("Die Huthis griffen an.", "The Huthis attacked.").text == "The Houthis attacked."
    assert glossary.edit("Selenskyjs Rede.", "Selenskyj's speech.").text == "Zelenskyy's speech."
    assert [(u.term, u.action, u.found) for u in edited.uses] == [
        ("Selenskyj", REPLACED, "Selenskyjs"),
        ("Schoigu", REPLACED, "Schoigu"),
        ("Kiew", REPLACED, "Kiev"),
    ]
    assert all(u.origin.startswith("default names: curated.tsv:") for u in edited.uses)
    # The rendering already there is kept, and nothing else is touched.
    kept = glossary.edit("Lawrow sprach.", "Lavrov spoke.")
    assert kept.text == "Lavrov spoke." and [(u.term, u.action) for u in kept.uses] == [("Lawrow", KEPT)]
    # Without a term in the German, the English is left alone, even where it holds a spelling.
    assert glossary.edit("Er sprach.", "Kiev spoke.").text == "Kiev spoke."


def test_case_rules_and_a_rendering_at_the_start_of_a_sentence(tmp_path: Path) -> None:
    glossary = user_glossary(
        tmp_path,
        '[terms]\n"Ampel-Koalition" = "traffic-light coalition"\n'
        'BND = { english = "Federal Intelligence Service", match_case = false }\n',
    )
    # match_case (the default): a differently written German word is not the term.
    assert glossary.edit("Die ampel-koalition tagt.", "The ampel-koalition meets.").uses == ()
    edited = glossary.edit(
        "Ampel-Koalition berät. Die Ampel-Koalition tagt.",
        "Ampel-Koalition advises. The Ampel-Koalition meets.",
    )
    assert edited.text == "Traffic-light coalition advises. The traffic-light coalition meets."
    # match_case = false: any case in the German and in the English.
    lower = glossary.edit("Der bnd warnt.", "The bnd warns.")
    assert lower.text == "The Federal Intelligence Service warns."
    assert [(u.action, u.found) for u in lower.uses] == [(REPLACED, "bnd")]


def test_part_word_terms_are_found_in_compounds_but_never_cut_into_english_words(tmp_path: Path) -> None:
    tsv = "# German, English, variants, options\nBundeswehr\tBundeswehr\tFederal Armed Forces\tpart-word\n"
    glossary = Glossary.of(glossary_file(tmp_path, tsv, "g.tsv"), False)
    found = glossary.edit("Die Bundeswehrsoldaten kamen.", "The Federal Armed Forces soldiers came.")
    assert found.text == "The Bundeswehr soldiers came."
    assert [(u.action, u.found, u.origin) for u in found.uses] == [
        (REPLACED, "Federal Armed Forces", "g.tsv:2")
    ]
    # A whole-word term is not found inside a longer German word.
    whole = user_glossary(tmp_path, '[terms]\nKiew = "Kyiv"\n')
    assert whole.edit("Die Kiewer Behörden.", "The Kiewer authorities.").uses == ()


def test_overlapping_terms_the_longest_wins_and_no_rendering_is_cut_into(tmp_path: Path) -> None:
    glossary = user_glossary(
        tmp_path,
        '[terms]\n"Sankt Petersburg" = "Saint Petersburg"\nPetersburg = "Petrograd"\n'
        '"Neu-Delhi" = "New Delhi"\nNeu = "New"\n',
    )
    matched = [
        m.term.german for m in glossary.matches("Von Sankt Petersburg nach Neu-Delhi, dann nach Petersburg.")
    ]
    assert matched == ["Sankt Petersburg", "Neu-Delhi", "Petersburg"]
    edited = glossary.edit("Von Sankt Petersburg nach Petersburg.", "From Sankt Petersburg to Petersburg.")
    # "Petersburg" inside the rendering "Saint Petersburg" is that rendering, not the short term.
    assert edited.text == "From Saint Petersburg to Petrograd."
    # A term split across two lines of a hard-wrapped paragraph is still one term.
    assert [m.term.german for m in glossary.matches("in Sankt\n  Petersburg")] == ["Sankt Petersburg"]


def test_a_term_split_by_segmentation_is_neither_replaced_nor_flagged(tmp_path: Path) -> None:
    """Where the segmenter cuts a sentence too long for the model inside a term, no segment holds
    the term: neither piece is taken for it, nothing is flagged; a piece holding it whole is
    served as any segment."""
    glossary = user_glossary(tmp_path, '[terms]\n"Straße von Hormus" = "Strait of Hormuz"\n')
    sentence = "Die Tanker fuhren am Montag trotz aller Warnungen durch die Straße von Hormus nach Süden"
    words = lambda text: len(text.split()) + 1  # noqa: E731 - a token counter for the segmenter
    cut = [s.text for s in segment_paragraphs([sentence], words, 12).segments]
    assert any(piece.endswith("Straße von") for piece in cut)  # the term cut in two
    done = GlossaryTranslator(glossary, Copying()).translate(cut)
    assert all(
        done[piece].text == piece and not done[piece].glossary and not done[piece].flags for piece in cut
    )
    whole = [s.text for s in segment_paragraphs([sentence], words, 14).segments]
    holding = next(piece for piece in whole if "Straße von Hormus" in piece)
    served = GlossaryTranslator(glossary, Copying()).translate(whole)[holding]
    assert "Strait of Hormuz" in served.text and [u.action for u in served.glossary] == [REPLACED]


class Copying:
    """A translator that gives back its input (as the copy model does, without its slips)."""

    def translate(self, texts, on_translated=None, should_stop=None):  # type: ignore[no-untyped-def]
        return {text: TranslatedSegment(text, -0.1, []) for text in texts}


def test_copy_model_replaced_placed_and_flagged(tmp_path: Path, copy_marian: Path) -> None:
    """The copy model cannot write Cyrillic or Czech letters: a name in them is missing from its
    output. Post-editing alone flags it; pre-substitution places a Latin rendering (the model
    copies it) and cannot place one the model cannot write: that segment is flagged."""
    glossary_text = '[terms]\n"Шойгу" = "Shoigu"\n"Konečná" = "Konečná"\nSchoigu = "Shoigu"\n'
    texts = [
        "Der Minister Шойгу sprach am Montag.",
        "Die Abgeordnete Konečná sprach am Montag.",
        "Der Minister Schoigu sprach am Montag.",
    ]
    with tempfile.TemporaryDirectory() as converted:
        session = ModelSession(options(tmp_path / "out", copy_marian, None), Path(converted))
        model: Translator = session.translator()
        outcome: dict[Method, dict[str, TranslatedSegment]] = {}
        methods: tuple[Method, ...] = ("post-edit", "both")
        for method in methods:
            glossary = Glossary.of(glossary_file(tmp_path, glossary_text), False, method)
            outcome[method] = GlossaryTranslator(glossary, model).translate(texts)
    cyrillic, czech, latin = texts
    post_edit, both = outcome["post-edit"], outcome["both"]
    assert "Шойгу" not in post_edit[cyrillic].text and [u.action for u in post_edit[cyrillic].glossary] == [
        MISSING
    ]
    assert GLOSSARY in post_edit[cyrillic].flags
    assert "Shoigu" in both[cyrillic].text and [u.action for u in both[cyrillic].glossary] == [PLACED]
    assert GLOSSARY not in both[cyrillic].flags
    for method in methods:
        assert [u.action for u in outcome[method][czech].glossary] == [MISSING]
        assert GLOSSARY in outcome[method][czech].flags
        assert outcome[method][latin].text == "Der Minister Shoigu sprach am Montag."
        assert [(u.action, u.found) for u in outcome[method][latin].glossary] == [(REPLACED, "Schoigu")]


# ----------------------------------------------------------------------------- through a run


def test_a_brief_carries_the_glossary_and_says_what_it_did(tmp_path: Path, copy_marian: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text(
        "Schoigu in Kiew\n\nDie Ampel-Koalition beriet am Montag.\n\n"
        "Die Abgeordnete Konečná sprach danach.\n",
        encoding="utf-8",
    )
    glossary = glossary_file(
        tmp_path, '[terms]\n"Ampel-Koalition" = "traffic-light coalition"\n"Konečná" = "Konečná"\n'
    )
    out = tmp_path / "out"
    result = runner.invoke(app, [*translate_args(inbox, out, copy_marian), "--glossary", str(glossary)])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "a.json").read_text(encoding="utf-8"))
    check_against_schema("brief", record)
    assert record["headline"]["target"] == "Shoigu in Kyiv"
    assert [u["origin"] for u in record["headline"]["glossary"]] == [
        "default names: curated.tsv:13",
        "default names: curated.tsv:83",
    ]
    first, second = record["segments"][:2]
    assert first["target"] == "Die traffic-light coalition beriet am Montag."
    assert first["glossary"] == [
        {
            "term": "Ampel-Koalition",
            "rendering": "traffic-light coalition",
            "action": "replaced",
            "origin": "glossary.toml:2",
            "found": "Ampel-Koalition",
        }
    ]
    assert second["flags"] == [GLOSSARY] and second["glossary"][0]["action"] == "missing"
    assert record["flags"][0]["reasons"] == [GLOSSARY]
    settings = record["settings"]["glossary"]
    assert settings["files"] == [
        "default names: cldr.tsv",
        "default names: curated.tsv",
        str(glossary.resolve()),
    ]
    assert settings["method"] == "both" and len(settings["fingerprint"]) == 64
    assert settings["entries"] == 4  # Schoigu, Kiew, Ampel-Koalition, Konečná: the article's
    assert (out / "a.txt").read_text(encoding="utf-8").startswith("Shoigu in Kyiv")


def test_the_brief_page_shows_the_missing_term_and_the_terms_applied(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text("Abstimmung in Kiew\n\nDie Abgeordnete Konečná sprach.\n", encoding="utf-8")
    glossary = glossary_file(tmp_path, '[terms]\n"Konečná" = "Konečná"\n')
    out = tmp_path / "out"
    result = runner.invoke(
        app, [*brief_args(inbox, out, copy_marian, tiny_bart), "--glossary", str(glossary)]
    )
    assert result.exit_code == 0, result.output
    page = (out / "a.md").read_text(encoding="utf-8")
    assert page.startswith("# Abstimmung in Kyiv\n")
    assert "1. [?1] a glossary term's English is missing" in page
    assert "   - Glossary: Konečná → Konečná (glossary.toml:2)" in page
    assert "- Glossary: Kiew → Kyiv, Konečná → Konečná (missing somewhere: see Check these)" in page


def test_no_default_names_and_the_users_entry_wins(tmp_path: Path) -> None:
    defaults = Glossary.of(None)
    assert defaults.term("Kiew") is not None and defaults.term("Kiew").english == "Kyiv"  # type: ignore[union-attr]
    assert not Glossary.of(None, default_names=False)
    mine = user_glossary(
        tmp_path, '[terms]\nkiew = { english = "Kiev", match_case = false }\n', default_names=True
    )
    assert mine.term("Kiew").english == "Kiev"  # type: ignore[union-attr]
    assert mine.edit("In Kiew.", "In Kyiv.").text == "In Kyiv."  # a spelling the user does not list stays
    assert mine.edit("In Kiew.", "In Kiew.").text == "In Kiev."
    assert sum(1 for t in mine.terms if t.german.casefold() == "kiew") == 1


def test_the_cache_misses_when_the_glossary_changes_and_the_model_is_not_asked_again(
    tmp_path: Path, copy_marian: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text("Die Ampel-Koalition beriet am Montag in Berlin.\n", encoding="utf-8")
    (inbox / "b.txt").write_text("Der Stadtrat beriet am Montag.\n", encoding="utf-8")  # no term in it
    path = glossary_file(tmp_path, '[terms]\n"Ampel-Koalition" = "traffic-light coalition"\n')
    run_options = replace(options(tmp_path / "out", copy_marian, None), glossary=path)
    other = tmp_path / "out" / "b.json"

    def run() -> tuple[str, list[bool], int]:
        with Briefer.open(run_options) as briefer:
            report = briefer.run([inbox])
        record = json.loads((tmp_path / "out" / "a.json").read_text(encoding="utf-8"))
        cached = [a.cached for a in sorted(report.articles, key=lambda a: str(a.source.path))]
        return record["translation"], cached, report.segments_translated

    assert run() == ("Die traffic-light coalition beriet am Montag in Berlin.", [False, False], 2)
    written = other.stat().st_mtime_ns
    assert run()[1] == [True, True]  # unchanged: from the cache
    path.write_text('[terms]\n"Ampel-Koalition" = "coalition of SPD, Greens and FDP"\n', encoding="utf-8")
    # A new glossary: the brief holding the term is made again, its segment from the translation
    # memory (no model work); the other article's brief is the same, and its files left alone.
    assert run() == ("Die coalition of SPD, Greens and FDP beriet am Montag in Berlin.", [False, True], 0)
    assert other.stat().st_mtime_ns == written


def test_the_summary_follows_the_glossary(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A summariser trained on older news writes "Kiev" though its input says "Kyiv" (the real
    BART-CNN was trained on news of 2015). The summary here is the tiny BART's, with "Kiev." added
    as such a model would write it: the glossary mends it, for the terms of that article only."""
    real = ModelSummariser.summarise_many

    def old_spellings(self, articles, on_summarised=None):  # type: ignore[no-untyped-def]
        def backwards(done):  # type: ignore[no-untyped-def]
            done = {
                i: replace(o, text=o.text + " Kiev.") if isinstance(o, Summary) else o
                for i, o in done.items()
            }
            if on_summarised is not None:
                on_summarised(done)

        return real(self, articles, backwards)

    monkeypatch.setattr(ModelSummariser, "summarise_many", old_spellings)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "kyiv.txt").write_text("Die Regierung in Kiew beriet am Montag.\n", encoding="utf-8")
    (inbox / "other.txt").write_text("Die Regierung in Berlin beriet am Montag.\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, brief_args(inbox, out, copy_marian, tiny_bart))
    assert result.exit_code == 0, result.output
    kyiv = json.loads((out / "kyiv.json").read_text(encoding="utf-8"))
    other = json.loads((out / "other.json").read_text(encoding="utf-8"))
    assert "Kiev" not in kyiv["summary"] and kyiv["summary"].endswith("Kyiv.")
    assert [(u["term"], u["action"], u["found"]) for u in kyiv["summary_glossary"]] == [
        ("Kiew", REPLACED, "Kiev")
    ]
    assert Brief.from_json(kyiv).summary.glossary[0].found == "Kiev"  # type: ignore[union-attr]
    # An article without the term: its summary is not the glossary's business.
    assert other["summary"].endswith("Kiev.") and "summary_glossary" not in other


# ----------------------------------------------------------------------------- bad glossaries


@pytest.mark.parametrize(
    ("name", "text", "line", "reason"),
    [
        ("g.tsv", "Kiew\tKyiv\nSchoigu Shoigu\n", 2, "expected German<TAB>English (no tab on this line)"),
        ("g.tsv", "Kiew\tKyiv\t\twhole-words\n", 1, "unknown option 'whole-words'"),
        ("g.tsv", "# names\nKiew\tKyiv\nkiew\tKiev\n", 3, "'kiew' is given twice (first on line 2)"),
        ("g.tsv", "Kiew\t \n", 1, "empty English rendering"),
        ("g.tsv", "a\tb\tc\td\te\n", 1, "at most 4 columns"),
        ("g.tsv", "--\tdash\n", 1, "has no letters or digits"),
        ("g.toml", '[terms]\nKiew = "Kyiv"\nSchoigu = \n', 3, "not valid TOML"),
        (
            "g.toml",
            '[terms]\nKiew = "Kyiv"\nSchoigu = { englisch = "Shoigu" }\n',
            3,
            "unknown key 'englisch'",
        ),
        ("g.toml", "[terms]\nKiew = 3\n", 2, "must be given a string or a table"),
        ("g.toml", '[terms]\nKiew = { english = "Kyiv", variants = "Kiev" }\n', 2, "variants must be a list"),
        ("g.toml", '[term]\nKiew = "Kyiv"\n', 1, "unknown key 'term'"),
        ("g.toml", '[options]\nwhole_word = "yes"\n', 2, "whole_word must be true or false"),
    ],
)
def test_a_bad_entry_is_one_line_naming_the_file_and_line(
    tmp_path: Path, name: str, text: str, line: int, reason: str
) -> None:
    path = glossary_file(tmp_path, text, name)
    with pytest.raises(GlossaryError) as raised:
        load_glossary(path)
    message = str(raised.value)
    assert message.startswith(f"glossary {path}:{line}: ") and reason in message
    assert "\n" not in message


def test_a_bad_glossary_stops_the_run_before_anything_is_written(tmp_path: Path, copy_marian: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text("Die Regierung in Kiew beriet.\n", encoding="utf-8")
    out = tmp_path / "out"
    binary = tmp_path / "g.tsv"
    binary.write_bytes(b"Kiew\tKyiv\n\xff\xfe\x00\x01")
    for glossary, reason in [
        (binary, f"glossary {binary}:2: not UTF-8 text"),
        (tmp_path / "none.toml", f"glossary {tmp_path / 'none.toml'}: no such file"),
        (tmp_path, f"glossary {tmp_path}: not a file"),
        (glossary_file(tmp_path, "Kiew = Kyiv", "g.csv"), "a glossary is a .toml or a .tsv file"),
    ]:
        result = runner.invoke(app, [*translate_args(inbox, out, copy_marian), "--glossary", str(glossary)])
        assert result.exit_code == 2, result.output
        assert reason in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1
        assert not (out / "a.json").exists()


# ----------------------------------------------------------------------------- the default list


def test_the_default_names_load_and_every_entry_changes_something() -> None:
    for name in ("cldr.tsv", "curated.tsv"):
        terms = load_glossary(NAMES_FOLDER / name)
        assert len(terms) > 100
        assert all(t.german != t.english for t in terms), name
    curated = (NAMES_FOLDER / "curated.tsv").read_text(encoding="utf-8")
    assert "# Source for each entry:" in curated


def test_the_cldr_list_is_what_the_script_makes_of_cldr() -> None:
    """summarise/names/cldr.tsv is generated (scripts/default_names.py); with the Babel it was made
    with, making it again gives the same file."""
    babel = pytest.importorskip("babel")
    if babel.__version__ != "2.18.0":
        pytest.skip(f"made with Babel 2.18.0 (CLDR 47), not {babel.__version__}")
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "default_names", Path(__file__).resolve().parents[1] / "scripts" / "default_names.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.table() == (NAMES_FOLDER / "cldr.tsv").read_text(encoding="utf-8")


def test_a_long_lived_briefer_reads_an_edited_glossary_and_keeps_a_good_one_over_a_broken_one(
    tmp_path: Path, copy_marian: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A watcher's briefer lives for days: an edit of the glossary counts from its next run; an
    edit that breaks it is said, and the glossary read before goes on serving."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = glossary_file(tmp_path, '[terms]\n"Ampel-Koalition" = "traffic-light coalition"\n')
    run_options = replace(options(tmp_path / "out", copy_marian, None), glossary=path, default_names=False)
    with Briefer.open(run_options) as briefer:
        (inbox / "a.txt").write_text("Die Ampel-Koalition beriet.\n", encoding="utf-8")
        briefer.run([inbox])
        path.write_text('[terms]\n"Ampel-Koalition" = "three-party coalition"\n', encoding="utf-8")
        (inbox / "b.txt").write_text("Die Ampel-Koalition stritt.\n", encoding="utf-8")
        briefer.run([inbox])
        path.write_text("[terms]\nAmpel-Koalition = \n", encoding="utf-8")
        (inbox / "c.txt").write_text("Die Ampel-Koalition zerbrach.\n", encoding="utf-8")
        with caplog.at_level("WARNING"):
            report = briefer.run([inbox])
    assert not report.failures
    text = {name: (tmp_path / "out" / f"{name}.txt").read_text(encoding="utf-8") for name in "abc"}
    assert text["a"].strip() == "Die three-party coalition beriet."  # made again with the new glossary
    assert text["b"].strip() == "Die three-party coalition stritt."
    assert text["c"].strip() == "Die three-party coalition zerbrach."
    assert (
        f"glossary {path}:2: not valid TOML" in caplog.text
        and "the glossary read before is kept" in caplog.text
    )


def test_the_readme_and_docs_give_the_default_lists_true_sizes() -> None:
    repo = Path(__file__).resolve().parents[1]
    readme = (repo / "README.md").read_text(encoding="utf-8")
    guide = (repo / "docs" / "glossary.md").read_text(encoding="utf-8")
    reference = (repo / "docs" / "cli.md").read_text(encoding="utf-8")
    total = len(Glossary.of(None).terms)
    cldr, curated = (len(load_glossary(NAMES_FOLDER / name)) for name in ("cldr.tsv", "curated.tsv"))
    assert f"**{total} names**" in readme and f"{cldr} country, territory and city names" in readme
    assert f"{curated} people and places" in readme and f"{total} entries" in reference
    assert (
        f"**{total} entries**" in guide
        and f"**{cldr} entries**" in guide
        and f"**{curated} entries**" in guide
    )
