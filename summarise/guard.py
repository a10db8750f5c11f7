"""Faithfulness guard: flag translated segments that look wrong, so they are retried and shown.

A segment is flagged when its output is empty, far shorter or longer than its source, loops on
the same words, or the model itself was unsure of it (low mean token log-probability: the
best-known single signal of a hallucinated translation, Guerreiro et al., EACL 2023).

The checks are plain functions of (source, output, confidence); the translator runs them and
retries what they flag once with stricter decoding.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

from .brief import EMPTY, LOW_CONFIDENCE, REPETITION, TOO_LONG, TOO_SHORT
from .engines import Decoding

# The reasons, as written in the JSON and explained in the brief, are the brief's vocabulary.
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class GuardSettings:
    """The guard's thresholds; part of the translation settings, so part of every cache key."""

    # English characters per German character. Calibrated on 34,677 German/English sentence
    # pairs (scripts/calibrate_guard.py): 99.8% of human translations of 20+ characters lie in
    # this band (median 0.83).
    min_length_ratio: float = 0.33
    max_length_ratio: float = 1.5
    # Below this many source characters a ratio says little ("Ja." -> "Yes."); an output is still
    # too long past max_length_ratio x this many characters.
    ratio_min_chars: int = 20
    # Looping: one word this many times in a row, or a word trigram at least 3 times and this many
    # times more than the source's most repeated trigram (a list in the source may repeat).
    max_run: int = 4
    trigram_excess: int = 2
    # Mean log-probability per output token (nats). Not calibrated on the real model (no hub
    # access here): a perplexity above e^1.5 = 4.5 per token is far from a confident translation.
    min_log_prob: float = -1.5

    def stricter(self, decoding: Decoding) -> Decoding:
        """The retry's decoding: a wider beam, and repetition made costly or impossible."""
        return Decoding(
            beams=min(8, max(4, 2 * decoding.beams)),
            max_new_tokens=decoding.max_new_tokens,
            min_new_tokens=decoding.min_new_tokens,
            length_penalty=decoding.length_penalty,
            no_repeat_ngram_size=3,
            repetition_penalty=1.2,
            scores=True,
        )


def check_segment(source: str, target: str, log_prob: float | None, settings: GuardSettings) -> list[str]:
    """The reasons to doubt one translated segment; empty when it looks fine."""
    if not target.strip():
        return [EMPTY] if source.strip() else []
    reasons = []
    source_chars, target_chars = len(source.strip()), len(target.strip())
    if source_chars >= settings.ratio_min_chars and target_chars < settings.min_length_ratio * source_chars:
        reasons.append(TOO_SHORT)
    if target_chars > settings.max_length_ratio * max(source_chars, settings.ratio_min_chars):
        reasons.append(TOO_LONG)
    if loops(source, target, settings):
        reasons.append(REPETITION)
    if log_prob is not None and log_prob < settings.min_log_prob:
        reasons.append(LOW_CONFIDENCE)
    return reasons


def loops(source: str, target: str, settings: GuardSettings) -> bool:
    """Whether the output repeats itself where its source does not."""
    if _longest_run(target) >= settings.max_run > _longest_run(source):
        return True
    top = _top_trigram(target)
    return top >= 3 and top >= _top_trigram(source) + settings.trigram_excess


def _longest_run(text: str) -> int:
    """The most times one word is said in a row ("the the the" -> 3)."""
    words = _WORD.findall(text.lower())
    longest = run = min(1, len(words))
    for previous, word in pairwise(words):
        run = run + 1 if word == previous else 1
        longest = max(longest, run)
    return longest


def _top_trigram(text: str) -> int:
    """How often the most frequent word trigram occurs (0 for fewer than three words)."""
    words = _WORD.findall(text.lower())
    counts = Counter(zip(words, words[1:], words[2:], strict=False))
    return max(counts.values(), default=0)


def better(first: tuple[list[str], float | None], second: tuple[list[str], float | None]) -> bool:
    """Whether the retry (`second`) beats the first attempt: fewer doubts, then more confidence."""
    (first_reasons, first_log_prob), (second_reasons, second_log_prob) = first, second
    if len(second_reasons) != len(first_reasons):
        return len(second_reasons) < len(first_reasons)
    unknown = float("-inf")  # 0.0 is a real (certain) log-probability, so no `or` here
    first_value = unknown if first_log_prob is None else first_log_prob
    return (unknown if second_log_prob is None else second_log_prob) > first_value
