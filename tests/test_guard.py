"""The faithfulness guard: its checks on known cases, and on models that really misbehave."""

from __future__ import annotations

import json
import shutil
from difflib import SequenceMatcher
from pathlib import Path

import pytest
from support import options, seed_lines

from summarise import split_sentences
from summarise.brief import EMPTY, LOW_CONFIDENCE, REPETITION, TOO_LONG, TOO_SHORT
from summarise.engines import load_engine
from summarise.guard import GuardSettings, better, check_segment
from summarise.models import ModelSpec, resolve_model
from summarise.pipeline import run
from summarise.translate import ModelTranslator, translation_settings

GUARD = GuardSettings()
GERMAN = "Der russische Präsident hat den nordkoreanischen Soldaten seinen Dank ausgesprochen."
ENGLISH = "The Russian president has thanked the North Korean soldiers."

CASES = [
    (GERMAN, ENGLISH, -0.3, []),
    (GERMAN, "", -0.3, [EMPTY]),
    (GERMAN, "The president.", -0.3, [TOO_SHORT]),
    (
        GERMAN,
        ENGLISH + " Then came weather, sport and markets, none of which the German mentions at all.",
        -0.3,
        [TOO_LONG],
    ),
    (GERMAN, "The Russian president has thanked the the the the soldiers.", -0.3, [REPETITION]),
    (GERMAN, "He said he said he said he said that he thanked them all.", -0.3, [REPETITION]),
    (GERMAN, ENGLISH, -2.4, [LOW_CONFIDENCE]),
    (GERMAN, ENGLISH, None, []),  # no confidence known: judged on the text alone
    ("Ja.", "Yes.", -0.1, []),  # too short for a length ratio to mean anything
    ("Nein.", "No, no, no, no, no, no, no, no, no, no, no.", -0.1, [TOO_LONG, REPETITION]),
    # The source repeats itself, so may its translation.
    (
        "Tor, Tor, Tor, Tor! rief der Reporter ins Mikrofon.",
        "Goal, goal, goal, goal! the reporter shouted.",
        -0.5,
        [],
    ),
]


@pytest.mark.parametrize(("source", "target", "log_prob", "reasons"), CASES)
def test_check_segment(source: str, target: str, log_prob: float | None, reasons: list[str]) -> None:
    assert check_segment(source, target, log_prob, GUARD) == reasons


def test_the_retry_is_kept_only_when_it_is_better() -> None:
    assert better(([REPETITION, TOO_LONG], -0.2), ([TOO_LONG], -0.9))  # fewer doubts win
    assert not better(([TOO_LONG], -0.2), ([TOO_LONG, LOW_CONFIDENCE], -2.0))
    assert better(([TOO_LONG], -0.9), ([TOO_LONG], -0.5))  # as many doubts: more confident wins
    assert not better(([TOO_LONG], -0.5), ([TOO_LONG], -0.9))
    assert better(([TOO_LONG], -0.5), ([TOO_LONG], 0.0))  # certain is more confident, not unknown
    assert not better(([TOO_LONG], -0.5), ([TOO_LONG], None))


@pytest.fixture(scope="module")
def looping_marian(tiny_marian: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Marian made to misbehave: one word's output bias is so high that it says it forever."""
    from transformers import MarianMTModel, MarianTokenizer

    folder = tmp_path_factory.mktemp("models") / "looping-marian"
    shutil.copytree(tiny_marian, folder)
    model = MarianMTModel.from_pretrained(folder)
    tokenizer = MarianTokenizer.from_pretrained(folder)
    word = tokenizer.convert_tokens_to_ids("▁die")
    assert word != tokenizer.unk_token_id
    model.final_logits_bias[0, word] = 40.0
    model.save_pretrained(folder)
    return folder


def test_a_looping_model_is_caught_retried_and_shown(
    seeds_copy: Path, tmp_path: Path, looping_marian: Path, tiny_bart: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # First attempts alone (no retry): the model loops, and is sure of it.
    resolved = resolve_model(ModelSpec("translator", str(looping_marian)), "--translator")
    settings = translation_settings(resolved, "ct2", beams=None)
    translator = ModelTranslator(
        load_engine(resolved, "ct2", "cpu", 2, tmp_path / "ct2"), settings, retry=False
    )
    sentences = [s for line in seed_lines()[:20] for s in split_sentences(line)]
    first = translator.translate(sentences)
    assert all(REPETITION in t.flags and TOO_LONG in t.flags for t in first.values())
    # Confidence alone would not have caught it: the model is sure of its nonsense.
    assert all(t.log_prob is not None and t.log_prob > GUARD.min_log_prob for t in first.values())

    # Through the whole run: every segment is doubted, retried, and still doubted; nothing hidden.
    out = tmp_path / "briefs"
    report = run([seeds_copy], options(out, looping_marian, tiny_bart))
    assert report.exit_code == 0  # doubts are shown, not failures
    for json_path in sorted(out.glob("0*.json")):
        record = json.loads(json_path.read_text(encoding="utf-8"))
        segments = record["segments"]
        assert all(isinstance(s["confidence"], float) for s in segments)
        doubted = [f for f in record["flags"] if not f.get("headline")]
        assert len(doubted) == len(segments) == record["coverage"]["flagged"]
        for flag in doubted:
            assert flag["retried"] and flag["reasons"]
            assert flag["target"] == segments[flag["segment"]]["target"]
        brief = json_path.with_suffix(".md").read_text(encoding="utf-8")
        assert "## Check these" in brief and f"[?{len(record['flags'])}]" in brief
        assert brief.count("still so after a retry with stricter decoding") == len(record["flags"])
    assert "segments doubtful even after a retry" in caplog.text


def test_a_random_model_is_doubted_for_its_low_confidence(
    seeds_copy: Path, tmp_path: Path, tiny_marian: Path
) -> None:
    run([seeds_copy], options(tmp_path / "en", tiny_marian, None))
    record = json.loads((tmp_path / "en" / "000_8f56b1ec0a0c6f7f.json").read_text(encoding="utf-8"))
    assert all(LOW_CONFIDENCE in s["flags"] for s in record["segments"])


def test_faithful_translations_are_not_doubted(seeds_copy: Path, tmp_path: Path, copy_marian: Path) -> None:
    """The copy model on the seeds: what it copied well passes; only what it mangled is flagged."""
    run([seeds_copy], options(tmp_path / "de", copy_marian, None))
    segments = [
        s
        for path in sorted((tmp_path / "de").glob("*.json"))
        for s in json.loads(path.read_text(encoding="utf-8"))["segments"]
    ]
    similarity = [SequenceMatcher(None, s["source"], s["target"]).ratio() for s in segments]
    faithful = [s for s, sim in zip(segments, similarity, strict=True) if sim >= 0.9]
    assert len(faithful) >= 0.8 * len(segments)
    assert not [s for s in faithful if s["flags"]]
    assert all(s["confidence"] > GUARD.min_log_prob for s in faithful)
