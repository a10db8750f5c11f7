"""How long a fully cached re-run of a big morning folder takes: `summarise brief` over N small
articles (default 5,000) when every one is already in the cache, timed through the real CLI in a
fresh interpreter (median of 3), after one run that fills the cache; then the same without the
output folder's ledger (the way a run goes when the ledger cannot vouch for an article).

A cached run loads no model, so small local models (random weights, the real classes) fill the
cache; the articles are made of the seeds' sentences, three or four each, behind a distinct
headline, so every article is its own.

    .venv/bin/python scripts/cached_rerun.py [--articles 5000] [--work DIR] [--profile]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from seed_text import seed_lines, seed_sentences

from summarise.ledger import LEDGER_NAME
from summarise.localmodels import BART_TINY, MARIAN_TINY, build_bart, build_marian


def make_articles(folder: Path, count: int) -> None:
    sentences = seed_sentences()
    rng = random.Random(7)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        body = " ".join(rng.sample(sentences, rng.choice((3, 4))))
        (folder / f"{i:05}.txt").write_text(
            f"Meldung Nummer {i} aus der Redaktion\n\n{body}\n", encoding="utf-8"
        )


def run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)}: exit {done.returncode}\n{done.stderr[-2000:]}")


def outputs(folder: Path) -> dict[Path, int]:
    """Each brief file's modification time (the digest, written every run, aside)."""
    return {p: p.stat().st_mtime_ns for p in folder.iterdir() if not p.name.startswith((".", "digest"))}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--work", type=Path, help="folder for articles, models, cache (kept and reused)")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one cached run")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="summarise-rerun-"))
    inbox = work / f"inbox-{args.articles}"
    if not inbox.is_dir():
        make_articles(inbox, args.articles)
    training = seed_lines()
    marian = work / "marian"
    bart = work / "bart"
    if not (marian / "config.json").is_file():
        build_marian(training, marian, MARIAN_TINY)
    if not (bart / "config.json").is_file():
        build_bart(training, bart, BART_TINY)
    command = [sys.executable, "-m", "summarise", "brief", str(inbox), "-o", str(work / "out"), "-q"]
    command += ["--translator", str(marian), "--summariser", str(bart), "--beams", "1"]
    command += ["--cache-dir", str(work / "cache")]
    started = time.perf_counter()
    run(command)  # random weights: every article warns of doubtful segments, so stderr is kept out
    print(f"first run (fills the cache): {time.perf_counter() - started:.1f} s", flush=True)
    briefs = outputs(work / "out")
    times = []
    for _ in range(3):
        started = time.perf_counter()
        run(command)
        times.append(time.perf_counter() - started)
    runs = ", ".join(f"{t:.2f}" for t in times)
    print(f"cached re-run of {args.articles} articles: median {statistics.median(times):.2f} s ({runs})")
    after = outputs(work / "out")
    rewritten = sum(1 for path, state in after.items() if briefs.get(path) != state)
    print(f"brief files: {len(after)}, rewritten by the re-runs: {rewritten}")
    # The same re-run the ordinary way (every article read, cleaned, looked up in the cache and
    # its brief compared), as a run without the output folder's ledger goes.
    times = []
    for _ in range(3):
        (work / "out" / LEDGER_NAME).unlink()
        started = time.perf_counter()
        run(command)
        times.append(time.perf_counter() - started)
    runs = ", ".join(f"{t:.2f}" for t in times)
    print(f"the same without the ledger: median {statistics.median(times):.2f} s ({runs})")
    if args.profile:
        subprocess.run(
            [sys.executable, "-m", "cProfile", "-s", "cumtime", *command[1:]], check=True, stdout=sys.stdout
        )


if __name__ == "__main__":
    main()
