"""Precision and recall of the clean stage on the seed articles' tables (tests/cleaning_cases.py).

A line counts as removed when the clean stage drops it as boilerplate; the tables say which lines
must be removed (every other line must be kept). Also scores the extra junk and text lines.

    python scripts/cleaning_scores.py [-v]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from cleaning_cases import MORE_JUNK, MORE_TEXT, SEEDS  # noqa: E402

from summarise.clean import clean_paragraphs  # noqa: E402
from summarise.text_reader import split_paragraphs  # noqa: E402


@dataclass
class Score:
    true_positives: int = 0  # boilerplate removed
    false_positives: int = 0  # article text removed
    false_negatives: int = 0  # boilerplate kept

    @property
    def precision(self) -> float:
        removed = self.true_positives + self.false_positives
        return self.true_positives / removed if removed else 1.0

    @property
    def recall(self) -> float:
        junk = self.true_positives + self.false_negatives
        return self.true_positives / junk if junk else 1.0


def score_seed(name: str, verbose: bool = False) -> Score:
    paragraphs = split_paragraphs((ROOT / "seeds" / name).read_text(encoding="utf-8"))
    removed = {line.paragraph for line in clean_paragraphs(paragraphs).removed}
    score = Score()
    for index, paragraph in enumerate(paragraphs):
        junk = any(paragraph.startswith(start) for start in SEEDS[name])
        if junk and index in removed:
            score.true_positives += 1
        elif index in removed:
            score.false_positives += 1
            if verbose:
                print(f"  {name}: article text removed: {paragraph[:80]}")
        elif junk:
            score.false_negatives += 1
            if verbose:
                print(f"  {name}: boilerplate kept: {paragraph[:80]}")
    return score


def score_lines(verbose: bool = False) -> Score:
    """The extra lines, each as the second paragraph of a short article."""
    score = Score()
    lead = "Die Regierung hat am Montag ein neues Gesetz beschlossen."
    for line, junk in [*((j, True) for j in MORE_JUNK), *((t, False) for t in MORE_TEXT)]:
        removed = any(r.text == line for r in clean_paragraphs([lead, line, lead]).removed)
        if junk and removed:
            score.true_positives += 1
        elif removed:
            score.false_positives += 1
        elif junk:
            score.false_negatives += 1
        if verbose and removed != junk:
            print(f"  {'article text removed' if removed else 'boilerplate kept'}: {line}")
    return score


def main() -> None:
    verbose = "-v" in sys.argv
    total = Score()
    for name in SEEDS:
        score = score_seed(name, verbose)
        total.true_positives += score.true_positives
        total.false_positives += score.false_positives
        total.false_negatives += score.false_negatives
        print(f"{name}: precision {score.precision:.2f}, recall {score.recall:.2f}")
    print(
        f"seeds: {total.true_positives + total.false_negatives} boilerplate lines, precision "
        f"{total.precision:.3f}, recall {total.recall:.3f}"
    )
    extra = score_lines(verbose)
    print(
        f"extra lines ({len(MORE_JUNK)} junk, {len(MORE_TEXT)} text): precision {extra.precision:.3f}, "
        f"recall {extra.recall:.3f}"
    )


if __name__ == "__main__":
    main()
