"""The README's CLI reference stays true, and the default models work through the hub-id path."""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath

import typer
from support import COMMIT, REPO, put_in_hf_cache
from typer.testing import CliRunner

from summarise.cli import app
from summarise.outputs import output_stems


def cli_options() -> set[str]:
    options: set[str] = set()
    stack = [typer.main.get_command(app)]
    while stack:
        command = stack.pop()
        stack.extend(getattr(command, "commands", {}).values())
        for param in command.params:
            options.update(
                o for o in [*param.opts, *param.secondary_opts] if o.startswith("--") and o != "--help"
            )
    return options


def test_the_cli_reference_documents_every_option_and_no_other() -> None:
    reference = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(--[a-z-]+)", reference))
    assert documented == cli_options()


def _marked_commands(readme: str, name: str) -> list[str]:
    """The command lines of the README's block after `<!-- ci: NAME -->` (as .ci/readme-commands
    reads them)."""
    after = readme.split(f"<!-- ci: {name} -->", 1)[1].split("\n")[1:]
    commands: list[str] = []
    for line in after:
        if line.startswith("    "):
            commands.append(line[4:])
        elif commands or line.strip():
            break
    return commands


def test_ci_runs_the_readme_set_up_commands_verbatim() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash .ci/readme-commands" in ci
    assert ".venv/bin/python -m pytest -m slow" in ci  # the tier the README's fast suite leaves out
    (set_up,) = _marked_commands(readme, "set-up")
    (tests,) = _marked_commands(readme, "tests")
    assert set_up.endswith("summarise brief seeds/ -o briefs") and tests.endswith("python -m pytest")
    # Linux gets the CPU build of torch from PyTorch's CPU index, not the CUDA build.
    cpu_torch = "pip install torch==2.13.0 --extra-index-url https://download.pytorch.org/whl/cpu"
    assert cpu_torch in set_up and cpu_torch in tests
    try_it = _marked_commands(readme, "try-it")
    assert any("tests/data/copy-marian" in line for line in try_it)
    assert any("summarise.localmodels tiny-summariser" in line for line in try_it)


def test_the_readme_stays_a_users_page() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 250
    for page in re.findall(r"\]\((docs/[a-z-]+\.md)", readme):
        assert (REPO / page).is_file(), page


def test_default_models_resolve_offline_from_the_hf_cache(
    seeds_copy: Path, tmp_path: Path, tiny_marian: Path, tiny_bart: Path
) -> None:
    """No model options: the manifest's hub ids resolve from the cache, and the commit is recorded."""
    put_in_hf_cache(tiny_marian, "Helsinki-NLP/opus-mt-de-en")
    put_in_hf_cache(tiny_bart, "sshleifer/distilbart-cnn-12-6")
    out = tmp_path / "briefs"
    result = CliRunner().invoke(app, ["brief", str(seeds_copy), "-o", str(out), "--beams", "1"])
    assert result.exit_code == 0, result.output
    record = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
    assert record["models"]["translator"] == {
        "id": "Helsinki-NLP/opus-mt-de-en",
        "revision": COMMIT,
        "source": "hugging face cache",
        "engine": "ctranslate2 int8 on cpu",
    }
    assert record["models"]["summariser"]["revision"] == COMMIT
    listing = CliRunner().invoke(app, ["models", "list"])
    assert listing.exit_code == 0 and listing.stdout.count(f"revision {COMMIT}") == 2


def test_outputs_never_collide() -> None:
    files = [PurePosixPath(p) for p in ("a.txt", "a.md", "sub/a.txt", "b.txt", "digest.txt")]
    stems = output_stems(files, (".json", ".md", ".html"), reserved=("digest.md", "digest.html"))
    assert [str(stems[f]) for f in files] == ["a.txt", "a.md", "sub/a", "b", "digest.txt"]
