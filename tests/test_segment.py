from __future__ import annotations

import pytest
from german_sentence_cases import SENTENCE_CASES

from summarise import split_sentences
from summarise.segment import fit_to_budget, segment_paragraphs


def words(text: str) -> int:
    return len(text.split())


@pytest.mark.parametrize("sentences", SENTENCE_CASES, ids=lambda case: case[0][:40])
def test_german_sentence_boundaries(sentences: list[str]) -> None:
    assert split_sentences(" ".join(sentences)) == sentences


def test_sentences_are_exact_slices_of_the_paragraph() -> None:
    text = "Er sagte: „Das ist gut.“  Dann ging er.\nNeuer Absatz mit ca. 3,5 Mio. Euro."
    assert split_sentences(text) == [
        "Er sagte: „Das ist gut.“",
        "Dann ging er.",
        "Neuer Absatz mit ca. 3,5 Mio. Euro.",
    ]


def test_a_short_sentence_is_one_segment() -> None:
    assert fit_to_budget("Ein kurzer Satz.", words, 10) == ["Ein kurzer Satz."]


def test_long_sentences_split_at_clauses_first() -> None:
    sentence = (
        "Der Präsident sagte, dass die Lage ernst sei, dass man handeln müsse; die Opposition widersprach."
    )
    pieces = fit_to_budget(sentence, words, 8)
    assert pieces == [
        "Der Präsident sagte, dass die Lage ernst sei,",
        "dass man handeln müsse;",
        "die Opposition widersprach.",
    ]


def test_a_clause_over_budget_splits_between_words_and_nothing_is_lost() -> None:
    sentence = " ".join(f"Wort{i}" for i in range(95)) + "."
    pieces = fit_to_budget(sentence, words, 10)
    assert all(words(p) <= 10 for p in pieces)
    assert " ".join(pieces) == sentence


def test_a_word_longer_than_the_budget_is_split_inside_as_a_last_resort() -> None:
    blob = "x" * 20_000
    pieces = fit_to_budget(blob, len, 512)
    assert all(len(p) <= 512 for p in pieces)
    assert "".join(pieces) == blob


def test_segments_know_their_paragraph_and_sentence() -> None:
    result = segment_paragraphs(
        ["Erster Satz. Zweiter Satz, der lang ist, sehr lang.", "Dritter Satz."], words, 4
    )
    assert result.sentences == 3
    assert [(s.paragraph, s.sentence, s.text) for s in result.segments] == [
        (0, 0, "Erster Satz."),
        (0, 1, "Zweiter Satz,"),
        (0, 1, "der lang ist,"),
        (0, 1, "sehr lang."),
        (1, 2, "Dritter Satz."),
    ]
