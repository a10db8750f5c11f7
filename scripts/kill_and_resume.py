"""kill -9 a briefing run again and again at random moments; count what is lost.

Briefs 120 articles (the seeds, every line numbered so each is distinct) with the committed copy model and a
tiny random BART, killing the run with SIGKILL after a random delay, `--kills` times, then lets a
last run finish. After every kill: every JSON in the output parses and has its brief, no temporary
file is left, and SQLite's integrity check passes. At the end: how many cache entries any kill
lost (an entry seen once must be there at the end) and whether the last run redid any article
that was already finished.

    python scripts/kill_and_resume.py [--kills 10] [--seed 0] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ARTICLES = 120


def articles(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    for i in range(count):
        lines = seeds[i % len(seeds)].read_text(encoding="utf-8").splitlines()
        # Every line numbered: nothing comes from the translation memory across articles.
        text = "\n".join(f"{i}-{n}: {line}" for n, line in enumerate(lines) if line.strip())
        (folder / f"{i:03}.txt").write_text(text, encoding="utf-8")


def whole_outputs(out: Path) -> set[str]:
    if not out.exists():
        return set()
    assert not list(out.rglob(".*.tmp")), "a temporary file was left behind"
    names = set()
    for path in out.glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))
        assert path.with_suffix(".md").read_text(encoding="utf-8").startswith("# ")
        names.add(path.stem)
    return names


def cache_entries(cache: Path) -> set[tuple[str, str]]:
    path = cache / "summarise.sqlite3"
    if not path.exists():
        return set()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    entries = {
        (kind, key)
        for kind, key, value in db.execute("SELECT kind, key, value FROM entries")
        if json.loads(value)
    }
    db.close()
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = args.work or Path(tempfile.mkdtemp(prefix="summarise-kill-"))
    from summarise.localmodels import BART_TINY, build_bart

    lines = [line for p in sorted((ROOT / "seeds").glob("*.txt")) for line in p.read_text().splitlines()]
    bart = build_bart([line for line in lines if line.strip()], work / "tiny-bart", BART_TINY)
    inbox, out, cache = work / "inbox", work / "out", work / "cache"
    articles(inbox, ARTICLES)
    command = [sys.executable, "-m", "summarise", "brief", str(inbox), "-o", str(out), "-q"]
    command += ["--translator", str(ROOT / "tests" / "data" / "copy-marian"), "--summariser", str(bart)]
    env = {**os.environ, "SUMMARISE_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}

    seen: set[tuple[str, str]] = set()
    finished_before_last_run: set[str] = set()
    for kill in range(1, args.kills + 1):
        child = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL, cwd=work)
        delay = rng.uniform(1.0, 10.0)  # start-up (imports, model loading) takes ~3 s
        time.sleep(delay)
        if child.poll() is not None:
            print(f"kill {kill}: the run had finished before {delay:.1f} s; stopping the kills here")
            break
        child.send_signal(signal.SIGKILL)
        child.wait()
        finished_before_last_run = whole_outputs(out)
        entries = cache_entries(cache)
        seen |= entries
        briefs = len(finished_before_last_run)
        print(f"kill {kill} after {delay:4.1f} s: {briefs:2} briefs, {len(entries):4} cache entries")
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=work)
    final = whole_outputs(out)
    entries = cache_entries(cache)
    lost = seen - entries
    record = {
        "exit_code": done.returncode,
        "briefs": len(final),
        "cache_entries": len(entries),
        "lost": len(lost),
    }
    last = json.loads(
        sqlite3.connect(cache / "summarise.sqlite3")
        .execute("SELECT value FROM entries WHERE kind = 'run' AND key = 'last'")
        .fetchone()[0]
    )
    record["last_run_from_cache"] = last["articles_from_cache"]
    record["finished_before_last_run"] = len(finished_before_last_run)
    print(json.dumps(record))
    assert done.returncode == 0 and len(final) == ARTICLES and not lost
    assert last["articles_from_cache"] >= len(finished_before_last_run)  # nothing finished was redone


if __name__ == "__main__":
    main()
