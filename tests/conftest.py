"""Shared fixtures: isolated user folders, and small models built locally from the seed articles."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import COPY_MARIAN, SEEDS, check_against_schema, seed_lines

from summarise.localmodels import BART_TINY, MARIAN_TINY, build_bart, build_marian


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point every user folder at tmp_path and forbid the network, for every test."""
    monkeypatch.setenv("SUMMARISE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SUMMARISE_CONFIG", str(tmp_path / "config.toml"))  # none: the user's is never read
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-home" / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_VERBOSITY", "error")
    monkeypatch.delenv("SUMMARISE_MANIFEST", raising=False)
    # The web tests talk to a server on 127.0.0.1: never through a proxy the machine names.
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    yield
    # The CLI points the library's logger at the stderr of its run; under CliRunner that stream is
    # closed afterwards, and a later test's run() must not log into it.
    logging.getLogger("summarise").handlers.clear()


@pytest.fixture
def in_zone() -> Iterator[Callable[[str], None]]:
    """Sets the local time zone (`in_zone("Europe/Berlin")`) for the test; put back after."""
    before = os.environ.get("TZ")

    def set_zone(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield set_zone
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture(autouse=True)
def every_json_follows_its_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every brief record and run report any test makes is checked against the published schema
    (summarise/*.schema.json) as it is made: an invalid one fails the test that made it."""
    import summarise.render
    import summarise.report

    rendered = summarise.render.render_json
    reported = summarise.report.RunReport.to_json

    def render_json(brief: Any) -> str:
        text = rendered(brief)
        check_against_schema("brief", json.loads(text))
        return text

    def to_json(report: Any) -> dict[str, Any]:
        record = reported(report)
        check_against_schema("report", record)
        return record

    monkeypatch.setattr(summarise.render, "render_json", render_json)
    monkeypatch.setattr(summarise.report.RunReport, "to_json", to_json)


@pytest.fixture(scope="session")
def tiny_marian(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight Marian (real classes, SentencePiece trained on the seeds)."""
    return build_marian(seed_lines(), tmp_path_factory.mktemp("models") / "tiny-marian", MARIAN_TINY)


@pytest.fixture(scope="session")
def tiny_bart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight BART summariser (real classes, byte-level BPE trained on the seeds)."""
    return build_bart(seed_lines(), tmp_path_factory.mktemp("models") / "tiny-bart", BART_TINY)


@pytest.fixture(scope="session")
def copy_marian() -> Path:
    assert (COPY_MARIAN / "config.json").is_file(), "run scripts/train_copy_model.py"
    return COPY_MARIAN


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the seed articles."""
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    return folder
