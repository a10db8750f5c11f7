"""kill -9 mid-run and two runs at once: no partial brief, no corrupt cache, nothing finished redone."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import environment_for_subprocess, many_articles

pytestmark = pytest.mark.slow  # the slow tier: `python -m pytest -m slow` (CI runs it)


def brief_command(inputs: Path, out: Path, marian: Path) -> list[str]:
    script = Path(sys.executable).with_name("summarise")
    return [str(script), "brief", str(inputs), "-o", str(out), "--translator", str(marian)]


def check_outputs(out: Path) -> int:
    """Every file in the output folder is whole: JSON parses, each record has its brief. (A
    write cut by kill -9 leaves a hidden `.summarise-*.tmp`, never a visible half.)"""
    assert all(p.name.startswith(".summarise-") for p in out.rglob(".*")), "a stray hidden file"
    records = sorted(out.rglob("*.json"))
    for path in records:
        assert json.loads(path.read_text(encoding="utf-8"))["coverage"]["translated"] > 0
        assert path.with_suffix(".md").read_text(encoding="utf-8").startswith("# ")
    return len(records)


def check_cache(cache: Path) -> None:
    db = sqlite3.connect(cache / "summarise.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for (value,) in db.execute("SELECT value FROM entries"):
        json.loads(value)
    db.close()


def test_kill_9_mid_run_then_rerun(tmp_path: Path, copy_marian: Path, tiny_bart: Path) -> None:
    inputs, out = tmp_path / "inbox", tmp_path / "out"
    many_articles(inputs, 40)
    command = [
        *brief_command(inputs, out, copy_marian),
        "--summariser",
        str(tiny_bart),
        "--beams",
        "1",
    ]
    child = subprocess.Popen(command, env=environment_for_subprocess(), stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while len(list(out.glob("*.json"))) < 3 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    finished = check_outputs(out)
    assert 0 < finished < 40
    check_cache(Path(environment_for_subprocess()["SUMMARISE_CACHE_DIR"]))

    rerun = subprocess.run(command, env=environment_for_subprocess(), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    done = re.search(
        r"(\d+) briefs? written to \S+(?: \(\d+ from the cache\))?, (\d+) unchanged", rerun.stderr
    )
    assert done and int(done[1]) + int(done[2]) == 40 and int(done[2]) >= finished  # none redone
    assert check_outputs(out) == 40


def test_two_runs_at_once_share_cache_and_output(tmp_path: Path, copy_marian: Path, tiny_bart: Path) -> None:
    inputs, out = tmp_path / "inbox", tmp_path / "out"
    many_articles(inputs / "shared", 10)
    many_articles(inputs / "first", 4, tag="a")
    many_articles(inputs / "second", 4, tag="b")
    runs = [
        subprocess.Popen(
            [
                *brief_command(inputs / "shared", out, copy_marian),
                str(inputs / part),
                "--summariser",
                str(tiny_bart),
                "--beams",
                "1",
            ],
            env=environment_for_subprocess(),
            stderr=subprocess.PIPE,
            text=True,
        )
        for part in ("first", "second")
    ]
    for child in runs:
        _, stderr = child.communicate(timeout=300)
        assert child.returncode == 0, stderr
    assert check_outputs(out) == 18
    check_cache(Path(environment_for_subprocess()["SUMMARISE_CACHE_DIR"]))
    db = sqlite3.connect(Path(environment_for_subprocess()["SUMMARISE_CACHE_DIR"]) / "summarise.sqlite3")
    kinds = dict(db.execute("SELECT kind, COUNT(*) FROM entries GROUP BY kind").fetchall())
    assert kinds["translation"] == 18 and kinds["summary"] == 18  # no lost entry
