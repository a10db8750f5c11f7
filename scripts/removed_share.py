"""The share of each article's text that cleaning removes: what clean.MUCH_REMOVED_SHARE (the
brief's warning threshold) is calibrated on.

    python scripts/removed_share.py [PATH ...]

PATH: article files or folders (default: seeds/). Articles are read and cleaned as one run reads
and cleans them (evidence across the run included), and each one's share is printed with the
largest. Calibration (issue 16): correct removals reached 0.286 of the seeds' text and 0.132 of the
tuning pages' of the cleaning corpus (kept outside the repo, see scripts/cleaning_corpus_scores.py);
its held-out pages had 0; the threshold sits above these, at 0.4.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarise.clean import MUCH_REMOVED_SHARE, RepeatedLines, clean_paragraphs, line_keys  # noqa: E402
from summarise.discover import discover_inputs  # noqa: E402
from summarise.errors import InputError  # noqa: E402
from summarise.read import read_article  # noqa: E402


def main() -> None:
    paths = [Path(arg) for arg in sys.argv[1:]] or [ROOT / "seeds"]
    inputs, problems = discover_inputs(paths)
    for problem in problems:
        print(f"skipped {problem}")
    articles = []
    for source in inputs:
        try:
            articles.append(read_article(source))
        except InputError as error:
            print(f"skipped {error}")
    repeated = RepeatedLines()
    for article in articles:
        repeated.add(article.sha256, line_keys(article.paragraphs))
    shares = []
    for article in articles:
        cleaned = clean_paragraphs(article.paragraphs, repeated=repeated, blocks=article.blocks)
        share = cleaned.removed_characters / cleaned.characters if cleaned.characters else 0.0
        shares.append(share)
        mark = "  <- over the threshold" if cleaned.much_removed else ""
        print(
            f"{share:6.3f}  {cleaned.removed_characters:6d} of {cleaned.characters:6d} characters, "
            f"{len(cleaned.removed):3d} lines  {article.source.relative}{mark}"
        )
    if shares:
        print(
            f"{len(shares)} articles: largest share removed {max(shares):.3f}; threshold {MUCH_REMOVED_SHARE}"
        )


if __name__ == "__main__":
    main()
