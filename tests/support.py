"""Helpers shared by the tests: paths, the seed text, commands and options, the sample texts.

Fixtures live in conftest.py; everything else a test file needs from elsewhere comes from here,
never from a sibling test file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html import escape
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarise.models import ModelSpec
from summarise.options import Options

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
# A Marian model trained to copy German (scripts/train_copy_model.py): what goes in must come out.
COPY_MARIAN = Path(__file__).resolve().parent / "data" / "copy-marian"
# A commit id for models laid out as in the Hugging Face cache.
COMMIT = "0123456789abcdef0123456789abcdef01234567"

runner = CliRunner()

GOOD = "Putin traf Kim in Pjöngjang. Sie sprachen zwei Stunden über die Lage."
ENGLISH = (
    "The city council voted on Tuesday to close the old bridge over the river for repairs.\n"
    "Engineers said the work would take at least six months and cost more than two million euros.\n"
    "Commuters will have to use a ferry or a detour through the industrial district in the meantime."
)
FRENCH = (
    "Le conseil municipal a voté mardi la fermeture du vieux pont sur la rivière pour travaux.\n"
    "Selon les ingénieurs, le chantier durera au moins six mois et coûtera plus de deux millions d'euros."
)


def seed_lines() -> list[str]:
    return [
        line.strip()
        for path in sorted(SEEDS.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def environment_for_subprocess() -> dict[str, str]:
    """os.environ as the autouse fixture set it, for a child process."""
    return dict(os.environ)


def without_permission_override() -> list[str]:
    """A command prefix under which file permissions hold: root passes them unless its capabilities go."""
    if os.getuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv to drop the file-permission override")
    dropped = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={dropped}", f"--bounding-set={dropped}"]


def put_in_hf_cache(model: Path, hub_id: str, commit: str = COMMIT) -> Path:
    """Lay a model folder out as the Hugging Face cache does after a download."""
    repo = Path(os.environ["HF_HUB_CACHE"]) / ("models--" + hub_id.replace("/", "--"))
    snapshot = repo / "snapshots" / commit
    shutil.copytree(model, snapshot)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot


def many_articles(folder: Path, count: int, tag: str = "") -> None:
    """`count` distinct articles made of the seeds (enough work to stop a run in the middle)."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds = sorted(SEEDS.glob("*.txt"))
    for i in range(count):
        text = seeds[i % len(seeds)].read_text(encoding="utf-8")
        (folder / f"{i:02}.txt").write_text(f"Artikel {tag}{i}.\n{text}", encoding="utf-8")


def translate_args(inputs: Path, out: Path, marian: Path) -> list[str]:
    return ["translate", str(inputs), "-o", str(out), "--translator", str(marian), "--beams", "1"]


def inbox_with(tmp_path: Path, files: dict[str, str]) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    for name, text in files.items():
        (inbox / name).write_text(text, encoding="utf-8")
    return inbox


def brief_args(inputs: Path, out: Path, marian: Path, bart: Path) -> list[str]:
    """`summarise brief` on local models, greedy."""
    args = ["brief", str(inputs), "-o", str(out), "--translator", str(marian), "--summariser", str(bart)]
    return [*args, "--beams", "1"]


def options(out: Path, marian: Path, bart: Path | None) -> Options:
    """Library run options on local models, greedy, on the CPU; translate only without `bart`."""
    return Options(
        out_dir=out,
        translator=ModelSpec("translator", str(marian)),
        summariser=ModelSpec("summariser", str(bart)) if bart else None,
        device="cpu",
        beams=1,
    )


SCHEMA_CHECKS: dict[str, int] = {"brief": 0, "report": 0}  # records checked so far, per kind


def check_against_schema(kind: str, record: Any) -> None:
    """Raise (jsonschema.ValidationError) unless `record` follows summarise/<kind>.schema.json."""
    from importlib import resources

    import jsonschema

    schema = json.loads(resources.files("summarise").joinpath(f"{kind}.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(record)
    SCHEMA_CHECKS[kind] += 1


def console_script() -> str:
    """The installed `summarise` command of this environment."""
    return str(Path(sys.executable).with_name("summarise"))


def run_summarise(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, **streams: Any
) -> subprocess.CompletedProcess[str]:
    """`summarise ARGS` in a child process (as a user runs it): stdout and stderr captured unless
    `streams` say otherwise (stdout=, stderr= as subprocess.run takes them)."""
    streams.setdefault("stdout", subprocess.PIPE)
    streams.setdefault("stderr", subprocess.PIPE)
    return subprocess.run(
        [console_script(), *args],
        cwd=cwd,
        env=env or environment_for_subprocess(),
        text=True,
        timeout=300,
        **streams,
    )


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip
_SHOWN_DAY = re.compile(rf"\b(?:{'|'.join(_DAYS)}) \d\d? (?:{'|'.join(_MONTHS)}) \d{{4}}\b")
_SHOWN_CLOCK = re.compile(r"\b\d\d:\d\d (?:UTC[+-]\d\d(?::\d\d)?|[A-Z]{2,5})(?![A-Za-z0-9])")


def times_as_placeholders(text: str, html: bool = False) -> str:
    """Times of a run as placeholders: recorded ones (ISO 8601, UTC) as <created>; those shown to
    the reader in the local zone ("Sunday 6 December 2026", "16:05 CET") as <day> and <time>
    (escaped in HTML, as the page would show them)."""
    shown = escape if html else str
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", shown("<created>"), text)
    text = _SHOWN_DAY.sub(shown("<day>"), text)
    return _SHOWN_CLOCK.sub(shown("<time>"), text)
