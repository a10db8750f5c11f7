"""A folder of hostile inputs beside good articles: each bad file is named once with its reason,
every good file gets its brief, and the exit code is 1."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from support import ENGLISH, FRENCH, GOOD, SEEDS, environment_for_subprocess, without_permission_override
from typer.testing import CliRunner

from summarise.cli import app


def seed_lines_of(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def hostile_folder(root: Path) -> tuple[dict[str, str], list[str]]:
    """Returns {bad file: expected reason} and the briefs expected for the good files."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("a.txt", "hallo")
    files: dict[str, bytes] = {
        "good.txt": GOOD.encode(),
        "empty.txt": b"",
        "blank.txt": b"  \n\t\n  ",
        "image.txt": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        "archive.txt": archive.getvalue(),
        "utf16.txt": GOOD.encode("utf-16"),
        "cp1252.txt": "Die Straße führt über die Brücke. Größere Schäden gab es nicht.".encode("cp1252"),
        "latin1.txt": "Größere Schäden gab es nicht, sagte er \x81.".encode("latin-1"),
        "crlf.txt": b"Erster Absatz.\r\nZweiter Absatz.\rDritter Absatz.",
        "no-punctuation.txt": ("wort" * 5000).encode(),  # one 20,000-character "sentence"
        "name with spaces.txt": GOOD.encode(),
        "ünïcödé.txt": GOOD.encode(),
        "-leading-dash.txt": GOOD.encode(),
        "same-content.txt": GOOD.encode(),
        "folder.txt/inner.txt": GOOD.encode(),
        "a/same.txt": GOOD.encode(),
        "b/same.txt": b"Der Vertrag trat im Dezember in Kraft.",
        "english.txt": ENGLISH.encode(),
        "french.txt": FRENCH.encode(),
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    os.symlink("missing-target.txt", root / "broken.txt")
    os.symlink("loop.txt", root / "loop.txt")
    bad = {
        "empty.txt": "empty file",
        "blank.txt": "empty file",
        "image.txt": "binary file",
        "archive.txt": "binary file",
        "broken.txt": "broken symbolic link",
        "loop.txt": "symbolic link loop",
    }
    skipped = {"french.txt": "written in French (fr, detected with confidence 1.00), not German"}
    briefs = sorted(
        str(Path(name).with_suffix(".md")) for name in files if Path(name).name not in (bad | skipped)
    )
    return bad | skipped, briefs


def test_hostile_folder(tmp_path: Path, copy_marian: Path, tiny_bart: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    bad, briefs = hostile_folder(inbox)
    out = tmp_path / "out"
    args = ["brief", str(inbox), "-o", str(out), "--translator", str(copy_marian)]
    result = CliRunner().invoke(app, [*args, "--summariser", str(tiny_bart), "--beams", "1"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    said = [line for line in result.stderr.splitlines() if line.startswith(("error:", "skipped:"))]
    assert len(said) == len(bad), said
    for name, reason in bad.items():
        prefix = "skipped" if name == "french.txt" else "error"  # another language is no failure
        assert any(line.startswith(f"{prefix}: {inbox / name}: {reason}") for line in said), (name, said)
    assert (
        sorted(str(p.relative_to(out)) for p in out.rglob("*.md") if not p.name.startswith("digest"))
        == briefs
    )
    assert "not valid UTF-8; decoded as cp1252" in (out / "cp1252.md").read_text(encoding="utf-8")
    assert "Straße" in (out / "cp1252.json").read_text(encoding="utf-8")
    long_record = (out / "no-punctuation.json").read_text(encoding="utf-8")
    assert long_record.count('"source": "wortwort') > 1  # split inside the word, nothing dropped
    # English is never translated "from German": it goes through as it is, labelled.
    english = json.loads((out / "english.json").read_text(encoding="utf-8"))
    assert english["language"]["code"] == "en" and not english["language"]["translated"]
    assert english["translation"] == ENGLISH.replace("\n", "\n\n")
    assert "translator" not in english["models"] and english["coverage"]["translated"] == 0
    brief = (out / "english.md").read_text(encoding="utf-8")
    assert "## Text (English, not translated)" in brief and "- Language: English (en, detected" in brief
    assert "- Language: German (de, detected" in (out / "good.md").read_text(encoding="utf-8")


@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
def test_a_5mb_article_is_translated_whole(tmp_path: Path, copy_marian: Path) -> None:
    """A 5 MB file (a dump of many agency articles): every paragraph comes back, in order.

    Peak memory and time against size are measured by scripts/large_article.py, not here.
    """
    lines = [line for path in sorted(SEEDS.glob("*.txt")) for line in seed_lines_of(path)]
    one_round = sum(len(line.encode()) + 1 for line in lines)
    paragraphs = lines * math.ceil(5 * 2**20 / one_round)
    article = tmp_path / "dump.txt"
    article.write_text("\n".join(paragraphs), encoding="utf-8")
    assert article.stat().st_size >= 5 * 2**20
    out = tmp_path / "out"
    args = ["translate", str(article), "-o", str(out), "--translator", str(copy_marian), "--beams", "1"]
    args.append("--keep-boilerplate")  # every line comes back, the seeds' boilerplate too
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    record = json.loads((out / "dump.json").read_text(encoding="utf-8"))
    assert record["headline"]["source"] == " ".join(paragraphs[0].split())  # the first line
    assert len(record["translation"].split("\n\n")) == len(paragraphs) - 1
    assert " ".join(s["source"] for s in record["segments"]).split() == " ".join(paragraphs[1:]).split()
    assert record["coverage"]["translated"] == record["coverage"]["segments"]


@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
def test_a_file_without_read_permission_is_named_and_skipped(tmp_path: Path, copy_marian: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "good.txt").write_text(GOOD, encoding="utf-8")
    (inbox / "secret.txt").write_text(GOOD, encoding="utf-8")
    (inbox / "secret.txt").chmod(0)
    prefix = without_permission_override()
    command = [sys.executable, "-m", "summarise", "translate", str(inbox), "-o", str(tmp_path / "out")]
    done = subprocess.run(
        [*prefix, *command, "--translator", str(copy_marian), "--beams", "1"],
        env=environment_for_subprocess(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {inbox / 'secret.txt'}: cannot read: Permission denied"], done.stderr
    assert (tmp_path / "out" / "good.txt").is_file()
