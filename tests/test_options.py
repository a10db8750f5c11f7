"""Options declared once (summarise/options.py) and resolved once (summarise/config.py): the CLI's
parameters, the config file's keys and the library's `options_for` all come from the same
declarations, in the order option > environment > config file > manifest > default."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from support import runner

from summarise import Options, options_for
from summarise.cli import app
from summarise.config import FROM_DEFAULT, FROM_MANIFEST, FROM_OPTION, configured, load_config, settings
from summarise.errors import ConfigError
from summarise.options import CONFIG_KEYS, DEFAULT_MAX_BYTES, MEGABYTE, OPTIONS


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"  # where the autouse fixture points SUMMARISE_CONFIG
    path.write_text(text, encoding="utf-8")
    return path


def test_every_field_of_options_is_declared_once_and_every_declaration_reaches_the_cli() -> None:
    declared = [spec.field for spec in OPTIONS if spec.field]
    assert len(declared) == len(set(declared))
    assert set(declared) == {f.name for f in dataclasses.fields(Options)} - {"lengths"}  # benchmarks only
    for command in ("brief", "translate"):
        shown = runner.invoke(app, [command, "--help"], terminal_width=200).stdout
        for spec in OPTIONS:
            flag = spec.flags[0].split("/")[0]
            assert (flag in shown) == (command in spec.commands), (command, flag)
            if spec.choices:  # the choices of the Literal type, as the help offers them
                assert f"{flag} <{'|'.join(spec.choices)}>" in shown


def test_each_source_in_its_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(
        tmp_path,
        f'engine = "torch"\nbeams = 2\ncache_dir = "{tmp_path / "from-file"}"\nkeep_boilerplate = true\n'
        f'translations_folder = "{tmp_path / "english"}"\n',
    )
    monkeypatch.setenv("SUMMARISE_CACHE_DIR", str(tmp_path / "from-env"))
    resolved = settings("translate", {"beams": 3})
    assert resolved["beams"].value == 3 and resolved["beams"].source == FROM_OPTION
    assert resolved["engine"].value == "torch" and resolved["engine"].source == f"config file {config}"
    assert resolved["cache_dir"].value == tmp_path / "from-env"  # the environment beats the file
    assert resolved["cache_dir"].source == "environment SUMMARISE_CACHE_DIR"
    assert resolved["translator"].source == FROM_MANIFEST
    assert resolved["device"].value == "auto" and resolved["device"].source == FROM_DEFAULT
    assert resolved["out"].value == tmp_path / "english"  # translate's folder, not brief's
    assert "summariser" not in resolved  # not an option of translate
    monkeypatch.delenv("SUMMARISE_CACHE_DIR")
    assert settings("translate")["cache_dir"].value == tmp_path / "from-file"


def test_the_library_gets_what_the_command_line_gets(tmp_path: Path) -> None:
    write_config(tmp_path, f'beams = 2\nmax_size = 0.5\nbriefs_folder = "{tmp_path / "morning"}"\n')
    brief = options_for("brief")
    assert brief.beams == 2 and brief.max_bytes == MEGABYTE // 2 and brief.out_dir == tmp_path / "morning"
    assert brief.summariser is not None and brief.summariser.name == "sshleifer/distilbart-cnn-12-6"
    translate = options_for("translate", {"out": tmp_path / "english", "threads": 3})
    assert translate.summariser is None and translate.out_dir == tmp_path / "english"
    assert translate.threads == 3 and translate.max_bytes == MEGABYTE // 2
    assert options_for("translate", {"max_size": 1}).max_bytes == MEGABYTE


def test_the_manifest_model_keeps_its_pinned_revision_even_when_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        '[translator]\nid = "org/de-en"\nrevision = "abc123"\nlicence = "MIT"\n'
        '[summariser]\nid = "org/sum"\nrevision = "def456"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("SUMMARISE_MANIFEST", str(manifest))
    assert options_for("brief").translator.revision == "abc123"
    assert options_for("brief", {"translator": "org/de-en"}).translator.revision == "abc123"
    assert options_for("brief", {"translator": "org/other"}).translator.revision == "main"
    named = options_for("brief", {"translator": "org/other", "translator_revision": "v2"})
    assert named.translator.revision == "v2"


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"engine": "gpu"}, "--engine must be one of auto, ct2, torch"),
        ({"threads": 0}, "threads 0 is out of range"),
        ({"max_size": 4096}, "max-size 4096 is out of range"),
        ({"summariser": "x"}, "not an option of `translate`: summariser"),
        ({"colour": "red"}, "not an option of `translate`: colour"),
    ],
)
def test_the_library_refuses_what_the_command_line_refuses(given: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        options_for("translate", given)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("keep_boilerplate = 1\n", "keep_boilerplate: 1 is not true or false"),
        ('max_size = "big"\n', "max_size: 'big' is not a number from 0.001 to 1024"),
        ('cluster = "spark"\n', "cluster: 'spark' is not one of none, ray"),
        ("cluster_actors = 1.5\n", "cluster_actors: 1.5 is not a whole number from 1 to 4096"),
    ],
)
def test_every_option_in_the_config_file_is_checked_by_its_declaration(
    tmp_path: Path, text: str, message: str
) -> None:
    write_config(tmp_path, text)
    with pytest.raises(ConfigError, match=message):
        load_config()


def test_config_shows_every_key_the_file_takes(tmp_path: Path) -> None:
    shown = configured()
    assert list(shown) == [
        *(k for k in CONFIG_KEYS if not k.endswith("_folder")),
        "briefs_folder",
        "translations_folder",
    ]
    assert shown["max_size"].value == DEFAULT_MAX_BYTES / MEGABYTE


def test_a_boolean_from_the_config_file_is_overridden_on_the_command_line(tmp_path: Path) -> None:
    write_config(tmp_path, "keep_boilerplate = true\n")
    assert options_for("brief").keep_boilerplate is True
    assert options_for("brief", {"keep_boilerplate": False}).keep_boilerplate is False


def test_every_option_is_in_the_cli_reference() -> None:
    """docs/cli.md lists every option: a declaration without a line there fails here."""
    from support import REPO

    reference = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for spec in OPTIONS:
        flag = spec.flags[0].split("/")[0]
        assert f"| `{flag}`" in reference, flag
