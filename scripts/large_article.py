"""Peak memory and time of one huge article through the CLI, at several sizes (is it linear?).

Builds German files of the given sizes from the seed sentences, each sentence numbered so that
every segment is distinct (nothing comes from the translation memory), runs
`summarise translate` (or `brief` with --brief) on each in a fresh process with a fresh cache,
and prints wall time, peak RSS (the child's VmHWM, via getrusage) and output size.

The translator is the committed copy model (tests/data/copy-marian, greedy): a real trained
Marian, so generation stops as a real model's does; the figures are for the pipeline around the
model, not for opus-mt's own speed. For the real model's memory see `python -m summarise.bench`.

    python scripts/large_article.py [--sizes 1.25 2.5 5] [--brief] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarise.segment import split_sentences  # noqa: E402


def german_file(path: Path, megabytes: float) -> int:
    """Paragraphs of four numbered seed sentences up to `megabytes`; returns the sentence count."""
    sentences = [
        s
        for seed in sorted((ROOT / "seeds").glob("*.txt"))
        for line in seed.read_text(encoding="utf-8").splitlines()
        if line.strip()
        for s in split_sentences(line)
    ]
    rng = random.Random(0)
    paragraphs, size, count = [], 0, 0
    while size < megabytes * 2**20:
        paragraph = " ".join(f"Meldung {count + k}: {rng.choice(sentences)}" for k in range(4))
        count += 4
        paragraphs.append(paragraph)
        size += len(paragraph.encode()) + 1
    path.write_text("\n".join(paragraphs), encoding="utf-8")
    return count


# Runs the CLI in the child and reports the child's own peak resident memory as it exits.
_CHILD = (
    "import atexit, resource, runpy, sys\n"
    "peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "atexit.register(lambda: print('PEAK_KB', peak(), file=sys.stderr))\n"
    "sys.argv = ['summarise', *sys.argv[1:]]\n"
    "runpy.run_module('summarise', run_name='__main__')\n"
)


def measure(article: Path, out: Path, cache: Path, brief: bool, summariser: Path | None) -> dict[str, float]:
    command = [sys.executable, "-c", _CHILD, "brief" if brief else "translate", str(article)]
    command += ["-o", str(out), "--translator", str(ROOT / "tests" / "data" / "copy-marian"), "--beams", "1"]
    if brief and summariser is not None:
        command += ["--summariser", str(summariser)]
    env = {**os.environ, "SUMMARISE_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    done = subprocess.run([*command, "-q"], env=env, check=True, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak_mb = int(done.stderr.rsplit("PEAK_KB", 1)[1].split()[0]) / 1024
    written = sum(p.stat().st_size for p in out.iterdir()) / 2**20
    return {"seconds": seconds, "peak_mb": peak_mb, "written_mb": written}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1.25, 2.5, 5.0])
    parser.add_argument(
        "--brief", action="store_true", help="brief (with a tiny random BART) instead of translate"
    )
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="summarise-large-"))
    work.mkdir(parents=True, exist_ok=True)
    summariser = None
    if args.brief:
        from summarise.localmodels import BART_TINY, build_bart

        lines = [line for p in sorted((ROOT / "seeds").glob("*.txt")) for line in p.read_text().splitlines()]
        summariser = build_bart([line for line in lines if line.strip()], work / "tiny-bart", BART_TINY)
    print("size MB | sentences | seconds | peak RSS MB | written MB")
    for megabytes in sorted(args.sizes):
        article = work / f"article-{megabytes}MB.txt"
        sentences = german_file(article, megabytes)
        figures = measure(
            article, work / f"out-{megabytes}", work / f"cache-{megabytes}", args.brief, summariser
        )
        print(
            f"{megabytes:7.2f} | {sentences:9,} | {figures['seconds']:7.1f} | "
            f"{figures['peak_mb']:11.0f} | {figures['written_mb']:10.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
