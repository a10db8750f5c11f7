"""`summarise watch` under a day's load: N articles (default 1,000) arrive in a watched inbox over
time, in bursts (a folder of saved pages moved in at once) and as a slow trickle (one at a time,
each written in pieces, as a download is), and the watcher briefs them with small
local models (random weights, the real classes; the figures are the watcher's, not the models').

It measures, from outside, as a user would see it:
- every article briefed exactly once (the watcher's JSON Lines reports, `--json`);
- the time from a file's completion (renamed into place, or its last byte written) to its brief's
  JSON record on disk: median and 95th percentile;
- the watcher's resident memory (VmRSS) after 10 briefs and after all N (target: within 10%: no
  growth per article).

    .venv/bin/python scripts/watch_benchmark.py [--articles 1000] [--burst 100] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from seed_text import seed_lines, seed_sentences

from summarise.localmodels import BART_TINY, MARIAN_TINY, build_bart, build_marian


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=100, help="articles moved in at once, per burst")
    parser.add_argument("--trickle", type=float, default=0.2, help="share of the articles that trickle in")
    parser.add_argument("--work", type=Path, help="folder for models, inbox, briefs, cache")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="summarise-watch-"))
    training = seed_lines()
    marian, bart = work / "marian", work / "bart"
    if not (marian / "config.json").is_file():
        build_marian(training, marian, MARIAN_TINY)
    if not (bart / "config.json").is_file():
        build_bart(training, bart, BART_TINY)
    inbox, out, staging = work / "inbox", work / "briefs", work / "staging"
    for folder in (inbox, staging):
        folder.mkdir(parents=True, exist_ok=True)
    pool, rng = seed_sentences(), random.Random(11)
    texts = [
        f"Meldung Nummer {i} aus der Redaktion\n\n{' '.join(rng.sample(pool, rng.choice((3, 4))))}\n"
        for i in range(args.articles)
    ]
    command = [sys.executable, "-m", "summarise", "watch", str(inbox), "-o", str(out), "--json", "-q"]
    command += ["--translator", str(marian), "--summariser", str(bart), "--beams", "1"]
    command += ["--cache-dir", str(work / "cache"), "--settle", "1"]
    watcher = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    reports: list[dict[str, Any]] = []
    reader = threading.Thread(
        target=lambda: reports.extend(json.loads(line) for line in watcher.stdout or [])
    )
    reader.start()
    while not reports:  # the start-up run over the empty inbox
        time.sleep(0.1)
        if watcher.poll() is not None:
            sys.exit("the watcher ended before it began")

    completed: dict[str, float] = {}  # article name -> when its file was complete
    seen: dict[str, float] = {}  # article name -> when its brief's record appeared
    rss: dict[str, float] = {}
    trickled = round(args.articles * args.trickle)
    order = list(range(args.articles))

    def feed() -> None:
        # Bursts first and last, the trickle between them: the watcher meets both, loaded and idle.
        bursts = order[: args.articles - trickled]
        half = len(bursts) // 2
        for start in range(0, half, args.burst):
            move_in(bursts[start : min(start + args.burst, half)])
            time.sleep(2)
        for i in order[len(bursts) :]:
            name = f"{i:05}.txt"
            with (inbox / name).open("w", encoding="utf-8") as growing:  # written in pieces
                for piece in re.findall(r".{1,200}", texts[i], re.S):
                    growing.write(piece)
                    growing.flush()
                    time.sleep(0.05)
            completed[name] = time.monotonic()
            time.sleep(0.1)
        for start in range(half, len(bursts), args.burst):
            move_in(bursts[start : min(start + args.burst, len(bursts))])
            time.sleep(2)

    def move_in(batch: list[int]) -> None:
        for i in batch:
            (staging / f"{i:05}.txt").write_text(texts[i], encoding="utf-8")
        for i in batch:
            os.replace(staging / f"{i:05}.txt", inbox / f"{i:05}.txt")
            completed[f"{i:05}.txt"] = time.monotonic()

    feeder = threading.Thread(target=feed)
    started = time.monotonic()
    feeder.start()
    while len(seen) < args.articles and time.monotonic() - started < 3600:
        for entry in os.scandir(out) if out.is_dir() else ():
            if entry.name.endswith(".json") and (name := entry.name[:-5] + ".txt") not in seen:
                seen[name] = time.monotonic()
                if len(seen) >= 10 and "10" not in rss:
                    rss["10"] = rss_mb(watcher.pid)
        time.sleep(0.02)
    rss["all"] = rss_mb(watcher.pid)
    feeder.join()
    watcher.terminate()
    code = watcher.wait(120)
    reader.join()

    latencies = [seen[name] - completed[name] for name in seen if name in completed]
    briefed: dict[str, int] = {}
    for report in reports:
        for article in report.get("articles", []):
            if article["new"]:
                name = Path(article["path"]).name
                briefed[name] = briefed.get(name, 0) + 1
    once = sum(1 for count in briefed.values() if count == 1)
    bursts = args.articles - trickled
    print(f"articles: {args.articles} ({bursts} in bursts of {args.burst}, {trickled} trickled)")
    again = sum(1 for count in briefed.values() if count > 1)
    print(f"briefed: {len(seen)}; exactly once: {once}; more than once: {again}")
    print(f"runs: {len(reports)} (the start-up run included); watcher exit code on SIGTERM: {code}")
    print(
        f"completion -> brief: median {statistics.median(latencies):.2f} s, "
        f"p95 {percentile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s"
    )
    growth = rss["all"] / rss["10"] - 1
    after = f"{rss['all']:.0f} MB after {len(seen)}"
    print(f"RSS: {rss['10']:.0f} MB after 10, {after} ({growth:+.1%}; target within 10%)")
    print(f"wall: {time.monotonic() - started:.0f} s; work folder: {work}")


if __name__ == "__main__":
    main()
