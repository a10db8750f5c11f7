"""Time and memory of reading, cleaning and segmenting a ticker: N one-sentence lines, no blank
lines (issue 16: 60,000 such lines were taken for one hard-wrapped paragraph, 2.5 GB and 344 s).

    python scripts/ticker.py [--lines 60000] [--blank-lines]

Runs the stages a run puts before the translator (read, clean, segment with the tokenizer of the
test copy model, a MarianTokenizer like opus-mt-de-en's) and prints seconds and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarise.clean import clean_paragraphs  # noqa: E402
from summarise.read import InputFile, read_article  # noqa: E402
from summarise.segment import segment_paragraphs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=60_000)
    parser.add_argument("--blank-lines", action="store_true", help="a blank line between the lines")
    args = parser.parse_args()
    from transformers import MarianTokenizer

    tokenizer = MarianTokenizer.from_pretrained(ROOT / "tests" / "data" / "copy-marian")
    lines = [
        f"Meldung {i}: Der DAX stieg am Mittag um {i % 97} Punkte, die Anleger blieben vorsichtig."
        for i in range(args.lines)
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ticker.txt"
        path.write_text(("\n\n" if args.blank_lines else "\n").join(lines), encoding="utf-8")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        article = read_article(InputFile(path, PurePosixPath(path.name)))
        read = time.perf_counter()
        cleaned = clean_paragraphs(article.paragraphs)
        clean = time.perf_counter()
        segmentation = segment_paragraphs(cleaned.paragraphs, lambda t: len(tokenizer.encode(t)), 200)
        done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"{args.lines} lines{' with blank lines' if args.blank_lines else ''}: "
        f"{len(article.paragraphs)} paragraphs, {len(segmentation.segments)} segments"
    )
    print(
        f"read {read - started:.2f} s, clean {clean - read:.2f} s, segment {done - clean:.2f} s; "
        f"peak memory {peak / 1024:.0f} MB (before reading: {before / 1024:.0f} MB)"
    )


if __name__ == "__main__":
    main()
