"""`--cluster ray` (issue 14): the models on a Ray cluster's actors, on a local Ray instance here.
The same briefs as a plain run, an actor killed mid-run costs nothing, and the cache a cluster run
fills serves a plain run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support import many_articles, options, runner, translate_args

from summarise.cache import DB_NAME
from summarise.cli import app
from summarise.pipeline import run
from summarise.report import RunReport


def test_without_ray_installed_the_option_is_one_line_exit_2(
    tmp_path: Path, copy_marian: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails, as where the extra is missing
    many_articles(tmp_path / "inbox", 1)
    result = runner.invoke(
        app, [*translate_args(tmp_path / "inbox", tmp_path / "out", copy_marian), "--cluster", "ray"]
    )
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == 'error: --cluster ray needs Ray, an optional extra: pip install "summarise[ray]"'
    )
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    ray = pytest.importorskip("ray", reason='Ray is not installed (pip install "summarise[ray]")')
    os.environ.pop("RAY_ADDRESS", None)
    yield ray
    ray.shutdown()


def records(out: Path) -> dict[str, dict[str, Any]]:
    """Each brief's JSON, without what differs between two runs of the same articles."""
    found = {}
    for path in sorted(out.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        for key in ("created", "cached"):
            record.pop(key)
        found[path.name] = record
    return found


def actor_processes(name: str) -> list[int]:
    """Processes of Ray actors whose class is `name` (Ray names its worker processes after them)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and name in (entry / "cmdline").read_bytes().decode(errors="replace"):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def segments_stored(database: Path) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=0.1) as db:
            return int(db.execute("SELECT COUNT(*) FROM entries WHERE kind = 'segment'").fetchone()[0])
    except sqlite3.Error:
        return 0


def briefed(inbox: Path, out: Path, cache: Path, marian: Path, bart: Path | None, cluster: bool) -> RunReport:
    settings = replace(options(out, marian, bart), cache_dir=cache, cluster="ray" if cluster else "none")
    report = run([inbox], settings)
    assert report.exit_code == 0, report.failures
    return report


def test_a_cluster_run_writes_the_briefs_a_plain_run_writes_and_fills_the_cache_for_it(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path, local_ray: Any
) -> None:
    inbox = tmp_path / "inbox"
    many_articles(inbox, 6)
    plain = briefed(
        inbox, tmp_path / "plain", tmp_path / "cache-plain", copy_marian, tiny_bart, cluster=False
    )
    on_ray = briefed(inbox, tmp_path / "ray", tmp_path / "cache", copy_marian, tiny_bart, cluster=True)
    assert on_ray.segments_translated == plain.segments_translated > 0
    assert records(tmp_path / "ray") == records(tmp_path / "plain")  # translations, in order; summaries
    assert [a.source.path for a in on_ray.articles] == [a.source.path for a in plain.articles]
    # The driver alone wrote the cache: a plain run over it is fully cached and loads no model.
    again = briefed(inbox, tmp_path / "again", tmp_path / "cache", copy_marian, tiny_bart, cluster=False)
    assert all(a.cached for a in again.articles) and again.models_loaded == []
    assert again.segments_translated == 0
    # From the command line, capped at one actor.
    args = [
        *translate_args(inbox, tmp_path / "cli", copy_marian),
        "--cluster",
        "ray",
        "--cluster-actors",
        "1",
    ]
    result = runner.invoke(app, [*args, "--cache-dir", str(tmp_path / "cache-cli")])
    assert result.exit_code == 0, result.output
    assert "6 translations written" in result.stderr


def test_an_actor_killed_mid_run_has_its_batch_redone_and_the_run_completes(
    tmp_path: Path, copy_marian: Path, tiny_bart: Path, local_ray: Any
) -> None:
    inbox = tmp_path / "inbox"
    many_articles(inbox, 120, tag="k")
    killed: list[int] = []
    stored_at_kill: list[int] = []
    finished = threading.Event()

    def kill_one_translator() -> None:
        deadline = time.monotonic() + 120
        database = tmp_path / "cache" / DB_NAME
        while not finished.is_set() and time.monotonic() < deadline:
            # Mid-run: the driver has stored the first results, and actors are at work on the rest.
            alive = actor_processes("TranslateActor")
            if alive and (stored := segments_stored(database)) > 0:
                stored_at_kill.append(stored)
                os.kill(alive[0], signal.SIGKILL)  # as the kernel's OOM killer would
                killed.append(alive[0])
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_translator)
    killer.start()
    try:
        report = briefed(inbox, tmp_path / "ray", tmp_path / "cache", copy_marian, None, cluster=True)
    finally:
        finished.set()
        killer.join()
    assert killed, "no translating actor was seen alive to be killed"
    # Every article, with the same translations as a plain run: the killed actor's batch was redone
    # (by the actor Ray started in its place, or by another one, whichever came first).
    assert len(report.articles) == 120 and not report.failures
    assert stored_at_kill[0] < report.segments_translated  # the kill came with work still to do
    plain = briefed(inbox, tmp_path / "plain", tmp_path / "cache-plain", copy_marian, None, cluster=False)
    assert records(tmp_path / "ray") == records(tmp_path / "plain")
    assert plain.segments_translated == report.segments_translated


def test_a_node_without_the_model_fails_the_run_in_one_line_naming_the_node(
    tmp_path: Path, copy_marian: Path, local_ray: Any
) -> None:
    from summarise.cluster import ClusterTranslator, ModelJob, connect
    from summarise.errors import ModelLoadError
    from summarise.models import ModelSpec, resolve_models
    from summarise.placement import plan
    from summarise.translate import translation_settings

    [model] = resolve_models([ModelSpec("translator", str(copy_marian))])  # on the driver
    elsewhere = ModelSpec("translator", str(tmp_path / "not-on-this-node"))  # what the node looks for
    job = ModelJob(
        elsewhere,
        "translator",
        "ct2",
        "cpu",
        1,
        str(tmp_path / "ct2"),
        translation_settings(model, "ct2", 1),
        None,
    )
    translator = ClusterTranslator(connect(None), job, model, plan("ct2", "cpu", 1))
    with pytest.raises(ModelLoadError) as raised:
        translator.translate(["Putin traf Kim in Pjöngjang."])
    message = str(raised.value)
    assert (
        message.startswith(f"node {local_ray.util.get_node_ip_address()}: ") and "not-on-this-node" in message
    )
    assert "\n" not in message


def test_a_cluster_that_does_not_answer_is_one_line_exit_2_at_once(
    tmp_path: Path, copy_marian: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ray", reason='Ray is not installed (pip install "summarise[ray]")')
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{port}")
    many_articles(tmp_path / "inbox", 1)
    started = time.monotonic()
    result = runner.invoke(
        app, [*translate_args(tmp_path / "inbox", tmp_path / "out", copy_marian), "--cluster", "ray"]
    )
    assert result.exit_code == 2 and time.monotonic() - started < 30
    assert result.stderr.startswith(
        f"error: cannot connect to the Ray cluster at 127.0.0.1:{port} (RAY_ADDRESS): "
    )
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()
