"""Every input bounded, every stop obeyed (issue 21): whatever summarise reads besides articles
(config file, manifest, ledger, cache, model files, options, standard streams) is one line and an
exit code from the README's table, never a hang, a crash or exit 70."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest
from support import (
    GOOD,
    brief_args,
    console_script,
    environment_for_subprocess,
    inbox_with,
    options,
    run_summarise,
    translate_args,
)

from summarise.errors import ConfigError
from summarise.ledger import LEDGER_NAME
from summarise.pipeline import run


def one_error_line(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr, result.stderr
    for part in expected:
        assert part in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("kind", ["fifo", "zero", "urandom", "folder"])
@pytest.mark.parametrize("command", [["config"], ["cache", "stats"], ["brief", "inbox"]])
def test_a_config_file_that_is_no_regular_file_is_one_line_not_a_hang(
    tmp_path: Path, kind: str, command: list[str]
) -> None:
    place = tmp_path / "config.toml"
    if kind == "fifo":
        os.mkfifo(place)
    elif kind == "folder":
        place.mkdir()
    else:
        place.symlink_to(f"/dev/{kind}")
    inbox_with(tmp_path, {"a.txt": GOOD})
    env = environment_for_subprocess() | {"SUMMARISE_CONFIG": str(place)}
    env.pop("SUMMARISE_CACHE_DIR")  # `cache stats` then reads the config file for its cache_dir
    started = time.monotonic()
    result = run_summarise(*command, cwd=tmp_path, env=env)
    assert time.monotonic() - started < 60
    assert result.returncode == 2
    one_error_line(result, str(place), "cannot read the config file")


def test_a_manifest_that_is_a_device_is_one_line(tmp_path: Path) -> None:
    env = environment_for_subprocess() | {"SUMMARISE_MANIFEST": "/dev/urandom"}
    result = run_summarise("config", cwd=tmp_path, env=env)
    assert result.returncode == 2
    one_error_line(result, "/dev/urandom", "not a regular file")


def test_a_config_file_nested_too_deeply_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("threads = " + "[" * 5000 + "]" * 5000 + "\n")
    result = run_summarise("config", cwd=tmp_path)
    assert result.returncode == 2
    one_error_line(result, "config.toml", "not valid TOML")


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: "[" * 100_000 + "]" * 100_000, id="nested-too-deeply"),
        pytest.param(lambda data: _entries(data, card={"title": None}), id="null-titles"),
        pytest.param(lambda data: _entries(data, outputs=None), id="null-outputs"),
        pytest.param(lambda data: _entries(data, state=[1, 2]), id="short-state"),
        pytest.param(lambda data: _entries(data, lines=[None], verdicts=[0]), id="null-lines"),
        pytest.param(
            lambda data: '{"format": 1, "context": ' + json.dumps(data["context"]) + "}", id="no-articles"
        ),
    ],
)
@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
def test_a_damaged_ledger_is_ignored_and_written_anew(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path, damage: object
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD, "b.txt": GOOD.replace("Kim", "Lee")})
    out = tmp_path / "out"
    assert run_summarise(*brief_args(inbox, out, copy_marian, tiny_bart)).returncode == 0
    ledger = out / LEDGER_NAME
    assert callable(damage)
    ledger.write_text(damage(json.loads(ledger.read_text())))
    result = run_summarise(*brief_args(inbox, out, copy_marian, tiny_bart))
    assert result.returncode == 0, result.stderr
    assert "2 briefs unchanged" in result.stderr  # the ledger ignored: the briefs read, found the same
    assert set(json.loads(ledger.read_text())["articles"]) == {str(inbox / "a.txt"), str(inbox / "b.txt")}


def _entries(data: dict[str, object], **changes: object) -> str:
    articles = data["articles"]
    assert isinstance(articles, dict)
    for entry in articles.values():
        for key, value in changes.items():
            entry[key] = entry[key] | value if isinstance(value, dict) else value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("option", "value"),
    [("--threads", "100000"), ("--beams", "5000"), ("--max-size", "100000"), ("--cluster-actors", "999999")],
)
def test_extreme_options_are_refused_before_any_work(
    tmp_path: Path, copy_marian: Path, option: str, value: str
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    args = [*translate_args(inbox, tmp_path / "out", copy_marian), option, value]
    started = time.monotonic()
    result = run_summarise(*args)
    assert time.monotonic() - started < 60
    assert result.returncode == 2
    one_error_line(result, option)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("key", "value"), [("threads", 100_000), ("beams", 5000), ("beams", 0)])
def test_extreme_settings_in_the_config_file_are_refused(tmp_path: Path, key: str, value: int) -> None:
    (tmp_path / "config.toml").write_text(f"{key} = {value}\n")
    result = run_summarise("config", cwd=tmp_path)
    assert result.returncode == 2
    one_error_line(result, "config.toml", key, "from 1 to")


def test_the_library_checks_the_same_limits(tmp_path: Path, copy_marian: Path) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    base = options(tmp_path / "out", copy_marian, None)
    for settings in (
        replace(base, threads=100_000),
        replace(base, beams=5000),
        replace(base, max_bytes=2**50),
    ):
        with pytest.raises(ConfigError, match="out of range"):
            run([inbox], settings)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        ("source.spm:random", "source.spm"),
        ("source.spm:empty", "source.spm"),
        ("model.safetensors:cut", "model.safetensors"),
        ("vocab.json:cut", "vocab.json"),
    ],
)
@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
@pytest.mark.parametrize("engine", ["torch", "ct2"])
def test_broken_model_files_are_one_line_naming_the_file(
    tmp_path: Path, copy_marian: Path, damage: str, named: str, engine: str
) -> None:
    model = tmp_path / "model"
    shutil.copytree(copy_marian, model)
    name, how = damage.split(":")
    path = model / name
    if how == "random":
        path.write_bytes(os.urandom(5000))
    elif how == "empty":
        path.write_bytes(b"")
    else:
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    result = run_summarise(*translate_args(inbox, tmp_path / "out", model), "--engine", engine)
    assert result.returncode == 2, result.stderr
    line = one_error_line(result, str(model))
    assert named in line or "tokenizer" in line


def _cache_of_another_version(folder: Path, columns: str, rows: list[tuple[str, ...]]) -> None:
    folder.mkdir(parents=True)
    db = sqlite3.connect(folder / "summarise.sqlite3")
    db.execute(f"CREATE TABLE entries ({columns}, PRIMARY KEY (kind, key))")
    for row in rows:
        db.execute(f"INSERT INTO entries VALUES ({', '.join('?' * len(row))})", row)
    db.commit()
    db.close()


@pytest.mark.parametrize(
    ("columns", "said"),
    [
        ("kind TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, created TEXT NOT NULL", "no column"),
        (
            "kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, created_at TEXT NOT NULL, "
            "origin TEXT NOT NULL",
            "a column origin",
        ),
    ],
)
@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
def test_a_cache_laid_out_by_another_version_is_one_line_and_clear_starts_it_afresh(
    tmp_path: Path, copy_marian: Path, columns: str, said: str
) -> None:
    cache = tmp_path / "cache"
    _cache_of_another_version(cache, columns, [])
    result = run_summarise("cache", "stats")
    assert result.returncode == 2
    one_error_line(result, "another version of summarise", said, "summarise cache clear")
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    result = run_summarise(*translate_args(inbox, tmp_path / "out", copy_marian))
    assert result.returncode == 2
    one_error_line(result, "another version of summarise")
    assert run_summarise("cache", "clear", "--yes").returncode == 0
    assert run_summarise(*translate_args(inbox, tmp_path / "out", copy_marian)).returncode == 0
    assert run_summarise("cache", "stats").returncode == 0


@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
def test_entries_of_another_shape_are_misses_not_errors(tmp_path: Path, copy_marian: Path) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    out = tmp_path / "out"
    assert run_summarise(*translate_args(inbox, out, copy_marian)).returncode == 0
    db = sqlite3.connect(tmp_path / "cache" / "summarise.sqlite3")
    # Another version's run figures (renamed fields), translation and segments (other fields).
    db.execute('UPDATE entries SET value = \'{"finished": "x", "count": 3}\' WHERE kind = \'run\'')
    db.execute("UPDATE entries SET value = '{\"engine\": 1, \"text\": null}' WHERE kind = 'translation'")
    db.execute("UPDATE entries SET value = 'not json' WHERE kind = 'segment'")
    db.commit()
    db.close()
    stats = run_summarise("cache", "stats")
    assert stats.returncode == 0 and "translation entries: 1" in stats.stdout, stats.stderr
    (out / "a.json").unlink()
    again = run_summarise(*translate_args(inbox, out, copy_marian), "--json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["segments"]["translated"] > 0 and report["counts"]["from_cache"] == 0


@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
def test_standard_output_that_takes_nothing_is_one_line_exit_2_and_the_briefs_are_written(
    tmp_path: Path, copy_marian: Path
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    out = tmp_path / "out"
    with open("/dev/full", "w") as full:
        result = run_summarise(*translate_args(inbox, out, copy_marian), "--json", "-q", stdout=full)
    assert result.returncode == 2
    one_error_line(result, "cannot write to standard output", "No space left on device")
    assert json.loads((out / "a.json").read_text(encoding="utf-8"))["translation"]
    with open("/dev/full", "w") as full:
        for command in (["cache", "stats"], ["config"], ["--help"], ["--version"]):
            result = run_summarise(*command, stdout=full)
            assert result.returncode == 2, command
            one_error_line(result, "cannot write to standard output")


@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
def test_a_pipe_whose_reader_is_gone_is_one_line_not_exit_1(tmp_path: Path, copy_marian: Path) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD})
    reader, writer = os.pipe()
    os.close(reader)  # nobody will read the report
    try:
        result = run_summarise(*translate_args(inbox, tmp_path / "out", copy_marian), "--json", stdout=writer)
    finally:
        os.close(writer)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert lines == ["error: cannot write to standard output: Broken pipe"], result.stderr
    assert (tmp_path / "out" / "a.json").is_file()


@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
@pytest.mark.parametrize("closed", ["stderr", "stdout", "both"])
def test_closed_standard_streams_lose_messages_not_briefs(
    tmp_path: Path, copy_marian: Path, closed: str
) -> None:
    inbox = inbox_with(tmp_path, {"a.txt": GOOD, "b.txt": "", "c.txt": GOOD.replace("Kim", "Lee")})
    out = tmp_path / "out"
    shell = " ".join(f"'{a}'" for a in [console_script(), *translate_args(inbox, out, copy_marian), "--json"])
    redirect = {"stderr": "2>&-", "stdout": ">&-", "both": ">&- 2>&-"}[closed]
    status = subprocess.run(
        ["/bin/bash", "-c", f"{shell} {redirect}"], env=environment_for_subprocess(), timeout=300
    )
    assert status.returncode == 1  # b.txt is empty: one article failed, the others were written
    for name in ("a", "c"):
        assert json.loads((out / f"{name}.json").read_text(encoding="utf-8"))["translation"]
    # Nothing was written into a file that took the closed stream's number (the cache, a brief).
    assert run_summarise("cache", "stats").returncode == 0
    for path in out.glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.slow  # a child process per run: the slow tier (docs in README, Development)
def test_a_stop_request_ends_a_run_within_seconds_whatever_it_is_doing(
    tmp_path: Path, copy_marian: Path
) -> None:
    """A 9 MB article takes minutes to split into sentences: SIGTERM still ends the run within the
    grace (10 s), with the report and the process agreeing on 143."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    words = GOOD.replace(".", "").split()
    text = " ".join(words[i % len(words)] + ("." if i % 13 == 12 else "") for i in range(1_500_000))
    (inbox / "gross.txt").write_text(text, encoding="utf-8")
    args = [
        console_script(),
        *translate_args(inbox, tmp_path / "out", copy_marian),
        "--max-size",
        "50",
        "--json",
    ]
    child = subprocess.Popen(
        args, env=environment_for_subprocess(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(3)
    asked = time.monotonic()
    child.send_signal(signal.SIGTERM)
    stdout, stderr = child.communicate(timeout=120)
    assert time.monotonic() - asked < 30, stderr  # not a timing test: it never stopped before
    assert child.returncode == 143, stderr
    assert json.loads(stdout)["exit_code"] == 143
    assert "Traceback" not in stderr
