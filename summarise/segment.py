"""SourceSegment stage: paragraphs -> German sentences -> segments that fit the translator's budget.

Sentences come from SoMaJo, chosen by measurement on `tests/german_sentence_cases.py` (see
`scripts/compare_sentence_splitters.py`). Nothing is ever truncated: a sentence over the token
budget is split at clause boundaries, then between words, then, as a last resort, inside a word.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from .brief import CODE, CODE_CLOSE, CODE_OPEN, Block, code_span, inline_runs

if TYPE_CHECKING:
    from somajo import SoMaJo

TokenCounter = Callable[[str], int]

# Clause boundaries, most natural first; each split keeps the mark with the text before it.
_CLAUSE_BREAKS = [
    re.compile(r"(?<=[;:])\s+"),
    re.compile(r"(?<=,)\s+"),
    re.compile(r"\s+(?=[–—-]\s)"),
    re.compile(r"\s+"),  # between words
]


@dataclass(frozen=True)
class SourceSegment:
    """A piece of German text sent to the translator; positions say where it belongs."""

    paragraph: int
    sentence: int  # index of the sentence within the whole article
    text: str
    verbatim: bool = False  # code: kept as it is, never sent to the translator


@dataclass
class Segmentation:
    sentences: int
    segments: list[SourceSegment]


@lru_cache(maxsize=1)
def _splitter() -> SoMaJo:
    from somajo import SoMaJo

    return SoMaJo("de_CMC", split_camel_case=False, split_sentences=True, character_offsets=True)


def split_sentences(text: str) -> list[str]:
    """Split German text into sentences, each an exact slice of the input (white space trimmed)."""
    sentences = []
    for paragraph in text.split("\n"):
        if not paragraph.strip():
            continue
        for tokens in _splitter().tokenize_text([paragraph]):
            start = tokens[0].character_offset[0]
            end = tokens[-1].character_offset[1]
            sentence = paragraph[start:end].strip()
            if sentence:
                sentences.append(sentence)
    return sentences


def segment_paragraphs(
    paragraphs: list[str], count_tokens: TokenCounter, budget: int, blocks: Sequence[Block] = ()
) -> Segmentation:
    """Split paragraphs into sentences and sentences into segments of at most `budget` tokens.

    With `blocks` (Markdown), a code block is one verbatim segment, and inline code splits its
    sentence: the code between the pieces is a verbatim segment of its own, shown as a code span."""
    segments: list[SourceSegment] = []
    sentence_index = 0
    # A paragraph that comes again (a dateline, a disclaimer, a file of concatenated articles) is
    # split once: sentence splitting is most of this stage's time.
    split: dict[str, list[list[tuple[str, bool]]]] = {}
    for paragraph_index, paragraph in enumerate(paragraphs):
        if blocks and blocks[paragraph_index].kind == CODE:
            segments.append(SourceSegment(paragraph_index, sentence_index, paragraph, verbatim=True))
            sentence_index += 1
            continue
        if paragraph not in split:
            split[paragraph] = [_pieces(s, count_tokens, budget) for s in _sentences(paragraph)]
        for pieces in split[paragraph]:
            segments.extend(
                SourceSegment(paragraph_index, sentence_index, text, code) for text, code in pieces
            )
            sentence_index += 1
    return Segmentation(sentences=sentence_index, segments=segments)


def _sentences(paragraph: str) -> list[str]:
    """The paragraph's sentences; a sentence boundary the splitter found inside inline code is
    undone (the code's full stops are not the sentence's)."""
    sentences: list[str] = []
    for sentence in split_sentences(paragraph):
        if sentences and sentences[-1].count(CODE_OPEN) > sentences[-1].count(CODE_CLOSE):
            sentences[-1] += " " + sentence
        else:
            sentences.append(sentence)
    return sentences


# Punctuation that closes what comes before it, written straight after inline code: "`x`.".
_CLOSING = re.compile(r"[.,;:!?…)\]»“”'\"]+")


def _pieces(sentence: str, count_tokens: TokenCounter, budget: int) -> list[tuple[str, bool]]:
    """A sentence's segments as (text, verbatim): prose fitted to the budget, code as a code span."""
    if CODE_OPEN not in sentence:
        return [(piece, False) for piece in fit_to_budget(sentence, count_tokens, budget)]
    pieces: list[tuple[str, bool]] = []
    for run, code in inline_runs(sentence):
        if code:
            pieces.append((code_span(run), True))
        elif not any(char.isalnum() for char in run):  # punctuation: nothing to translate
            if pieces and pieces[-1][1] and _CLOSING.fullmatch(run):  # the full stop after the code
                pieces[-1] = (pieces[-1][0] + run.strip(), True)
            else:
                pieces.append((run.strip(), True))
        else:
            pieces.extend((piece, False) for piece in fit_to_budget(run.strip(), count_tokens, budget))
    return pieces


def fit_to_budget(text: str, count_tokens: TokenCounter, budget: int, level: int = 0) -> list[str]:
    """Split `text` into pieces of at most `budget` tokens, at the most natural boundaries."""
    if count_tokens(text) <= budget:
        return [text]
    if level == len(_CLAUSE_BREAKS):
        return _split_inside_word(text, count_tokens, budget)
    units = [u for u in _CLAUSE_BREAKS[level].split(text) if u]
    if len(units) == 1:
        return fit_to_budget(text, count_tokens, budget, level + 1)
    pieces: list[str] = []
    for packed in _pack(units, count_tokens, budget):
        pieces.extend(fit_to_budget(packed, count_tokens, budget, level + 1))
    return pieces


def _pack(units: list[str], count_tokens: TokenCounter, budget: int) -> list[str]:
    # Greedy packing on per-unit counts keeps the cost linear; fit_to_budget re-checks each piece.
    packed: list[str] = []
    current: list[str] = []
    current_tokens = 0
    for unit in units:
        tokens = count_tokens(unit)
        if current and current_tokens + tokens > budget:
            packed.append(" ".join(current))
            current, current_tokens = [], 0
        current.append(unit)
        current_tokens += tokens
    if current:
        packed.append(" ".join(current))
    return packed


def _split_inside_word(text: str, count_tokens: TokenCounter, budget: int) -> list[str]:
    if len(text) <= 1:
        return [text]  # a single character is the smallest piece there is
    middle = len(text) // 2
    return fit_to_budget(text[:middle], count_tokens, budget, len(_CLAUSE_BREAKS)) + fit_to_budget(
        text[middle:], count_tokens, budget, len(_CLAUSE_BREAKS)
    )
