"""The brief's JSON is a contract for users' scripts: on a fixed input set, the JSON (and the
Markdown brief, the plain translation and the digest) must come out exactly as recorded.

Inputs: the seeds plus an article with a segment the faithfulness guard doubts, an English article
(passed through), a cp1252 file (a decoding warning) and a saved web page (metadata). Models: the
committed copy model (transformers, float32, greedy) and the tiny BART built from the seeds, both
deterministic. Paths and the date are replaced by placeholders before comparing.

After an intended change of the outputs, regenerate with
`SUMMARISE_REGENERATE_GOLDEN=1 python -m pytest tests/test_golden.py` and announce it in the README.
"""

from __future__ import annotations

import os
import re
import shutil
from html import escape
from pathlib import Path

import pytest
from support import SEEDS, times_as_placeholders
from typer.testing import CliRunner

from summarise.cli import app

pytestmark = pytest.mark.slow  # the slow tier: `python -m pytest -m slow` (CI runs it)

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
runner = CliRunner()


def normalised(text: str, replacements: dict[str, str], html: bool = False) -> str:
    """Run-specific paths and times as placeholders (escaped in HTML, as the page would show them)."""
    shown = escape if html else str
    for value, placeholder in replacements.items():
        text = text.replace(value, shown(placeholder))
    text = times_as_placeholders(text, html)
    # A local folder's fingerprint hashes large files by size and mtime, and a clone sets new mtimes.
    return re.sub(r"local-[0-9a-f]{16}", "local-<fingerprint>", text)


@pytest.mark.parametrize("command", ["brief", "translate"])
def test_outputs_match_the_recorded_ones(
    command: str, tmp_path: Path, copy_marian: Path, tiny_bart: Path
) -> None:
    inputs = tmp_path / "input"
    shutil.copytree(SEEDS, inputs)
    for extra in (GOLDEN / "extra").iterdir():
        shutil.copy(extra, inputs / extra.name)
    out = tmp_path / "out"
    args = [command, str(inputs), "-o", str(out), "--translator", str(copy_marian)]
    if command == "brief":
        args += ["--summariser", str(tiny_bart)]
    result = runner.invoke(app, [*args, "--engine", "torch", "--device", "cpu", "--beams", "1", "-q"])
    assert result.exit_code == 0, result.output
    replacements = {str(inputs): "<input>", str(tiny_bart): "<tiny-bart>", str(copy_marian): "<copy-marian>"}
    assert (out / ".summarise-output").is_file()  # the marker: this folder is never read as input
    produced = {
        p.name: normalised(p.read_text(encoding="utf-8"), replacements, html=p.suffix == ".html")
        for p in out.iterdir()
        if not p.name.startswith(".")
    }
    # The day's digest is the latest one, under the day's name.
    for suffix in (".md", ".html") if command == "brief" else ():
        (dated,) = [name for name in produced if re.fullmatch(rf"digest-\d{{4}}-\d\d-\d\d{suffix}", name)]
        assert produced.pop(dated) == produced[f"digest{suffix}"]
    expected_dir = GOLDEN / command
    if os.environ.get("SUMMARISE_REGENERATE_GOLDEN"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        expected_dir.mkdir(parents=True)
        for name, text in produced.items():
            (expected_dir / name).write_text(text, encoding="utf-8")
    expected = {p.name: p.read_text(encoding="utf-8") for p in expected_dir.iterdir()}
    assert sorted(produced) == sorted(expected)
    for name in sorted(expected):
        assert produced[name] == expected[name], f"{command}: {name} differs from {expected_dir / name}"
