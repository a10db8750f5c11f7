"""Settings: where each option of a run comes from, for the CLI and for library users alike.

    an option given (on the command line, or to the library) > the environment
        > the config file > the model manifest > the default

The config file is TOML in the user's config folder (`summarise config` shows where, the effective
settings and where each came from). Its keys are the options' (summarise/options.py), every one
optional:

    translator = "/models/opus-mt-de-en"     # hub id or local folder
    translator_revision = "main"
    summariser = "sshleifer/distilbart-cnn-12-6"
    engine = "ct2"                           # auto, ct2, torch
    device = "cpu"                           # auto, cpu, cuda
    threads = 4
    beams = 4
    source_lang = "auto"                     # auto, de, en
    keep_boilerplate = false
    max_size = 20                            # MB
    cluster = "none"                         # none, ray
    cache_dir = "~/news/cache"
    briefs_folder = "~/news/briefs"          # -o of `summarise brief`
    translations_folder = "~/news/english"   # -o of `summarise translate`

An unknown key or a value of the wrong kind is a configuration error naming the file and the key,
before any work: a typo never silently falls back to a default.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_origin

from .errors import ConfigError, InputError
from .files import read_small_text
from .models import ROLES, ModelSpec, load_manifest
from .options import (
    CONFIG_KEYS,
    DEFAULT_FOLDERS,
    OPTIONS,
    Command,
    Options,
)

# Where a setting came from, as `summarise config` says it.
FROM_OPTION = "command line"
FROM_DEFAULT = "default"
FROM_MANIFEST = "model manifest"


def config_path() -> Path:
    """$SUMMARISE_CONFIG, else `config.toml` in the platform's user config folder."""
    if override := os.environ.get("SUMMARISE_CONFIG"):
        return Path(override).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("summarise")) / "config.toml"


@dataclass(frozen=True)
class Config:
    """The settings the config file gives (only those it names), and the file itself."""

    path: Path
    exists: bool
    values: dict[str, Any]

    def get(self, key: str) -> Any:
        return self.values.get(key)

    @property
    def source(self) -> str:
        return f"config file {self.path}"


def load_config(path: Path | None = None) -> Config:
    """The config file's settings, checked; an absent file gives none."""
    path = path or config_path()
    try:
        text = read_small_text(path)
    except FileNotFoundError:
        return Config(path, False, {})
    except InputError as error:
        raise ConfigError(f"{path}: cannot read the config file: {error.reason}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None
    values: dict[str, Any] = {}
    for key, value in data.items():
        values[key] = _checked(path, key, value)
    return Config(path, True, values)


def pin_revision(role: str, commit: str, path: Path | None = None) -> Path:
    """Pin a model's revision in the user's config file (`<role>_revision`), keeping the rest of
    the file as it is. The model manifest shipped with summarise is never written: in a wheel it
    lives in site-packages, read-only for many and replaced on every upgrade."""
    path = path or config_path()
    load_config(path)  # a file with a mistake is named, not rewritten
    try:
        text = read_small_text(path)
    except FileNotFoundError:
        text = ""
    except InputError as error:
        raise ConfigError(f"{path}: cannot read the config file: {error.reason}") from None
    line = f'{role}_revision = "{commit}"'
    key = re.compile(rf"(?m)^{role}_revision\s*=.*$")
    if key.search(text):
        text = key.sub(line, text, count=1)
    else:
        text += ("" if not text or text.endswith("\n") else "\n") + line + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        raise ConfigError(f"{path}: cannot write the config file: {error.strerror or error}") from None
    return path


def _checked(path: Path, key: str, value: Any) -> Any:
    where = f"{path}: {key}"
    spec = CONFIG_KEYS.get(key)
    if spec is None:
        raise ConfigError(f"{where}: unknown setting (known: {', '.join(CONFIG_KEYS)})")
    kind = spec.type
    if spec.choices:
        if value not in spec.choices:
            raise ConfigError(f"{where}: {value!r} is not one of {', '.join(spec.choices)}")
        return value
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {value!r} is not true or false")
        return value
    if get_origin(kind) is list:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError(f"{where}: {value!r} is not a list of non-empty strings")
        return value
    if kind in (int, float):
        low, high = spec.limits or (float("-inf"), float("inf"))
        number = (int,) if kind is int else (int, float)
        if not isinstance(value, number) or isinstance(value, bool) or not low <= value <= high:
            what = "a whole number" if kind is int else "a number"
            raise ConfigError(f"{where}: {value!r} is not {what} from {low:g} to {high:g}")
        return value
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {value!r} is not a non-empty string")
    if kind is Path:
        return Path(value).expanduser()
    return value


@dataclass(frozen=True)
class Setting:
    value: Any
    source: str  # FROM_OPTION, the environment, the config file, FROM_MANIFEST or FROM_DEFAULT


def settings(
    command: Command,
    given: Mapping[str, Any] | None = None,
    config: Config | None = None,
    only: Iterable[str] | None = None,
) -> dict[str, Setting]:
    """Every option of `command` (by its key, as in OPTIONS), each with where it came from: the
    value given (None: not given), else the environment's, else the config file's, else the model
    manifest's, else the default (`only`: these keys alone). The one place where options,
    environment and file meet."""
    given = given or {}
    unknown = sorted(set(given) - {spec.key for spec in OPTIONS if command in spec.commands})
    if unknown:
        raise ConfigError(f"not an option of `{command}`: {', '.join(unknown)}")
    config = config if config is not None else load_config()
    manifest: dict[str, ModelSpec] | None = None
    resolved: dict[str, Setting] = {}
    wanted = set(only) if only is not None else None
    for spec in OPTIONS:
        if command not in spec.commands or (wanted is not None and spec.key not in wanted):
            continue
        from_file = config.get(spec.config_key(command))
        if given.get(spec.key) not in (None, []):  # a repeatable option given no time: not given
            resolved[spec.key] = Setting(given[spec.key], FROM_OPTION)
        elif spec.env and os.environ.get(spec.env):
            resolved[spec.key] = Setting(Path(os.environ[spec.env]).expanduser(), f"environment {spec.env}")
        elif from_file is not None:
            resolved[spec.key] = Setting(from_file, config.source)
        elif spec.key in ROLES:
            manifest = manifest or load_manifest()
            resolved[spec.key] = Setting(manifest[spec.key].name, FROM_MANIFEST)
        elif spec.key == "out":
            resolved[spec.key] = Setting(DEFAULT_FOLDERS[command], FROM_DEFAULT)
        else:
            resolved[spec.key] = Setting(spec.default, FROM_DEFAULT)
    return resolved


def options_for(
    command: Command = "brief", given: Mapping[str, Any] | None = None, config: Config | None = None
) -> Options:
    """The options of a run as `summarise COMMAND` would make them from the same option values
    (`given`, by key: out, translator, beams, max_size in MB, ...): a library user gets the config
    file and the defaults the command line gets. Raises ConfigError for a value out of bounds."""
    resolved = settings(command, given, config)
    values: dict[str, Any] = {}
    for spec in OPTIONS:
        if spec.field is None or spec.key not in resolved or spec.key in ROLES:
            continue
        spec.check(value := resolved[spec.key].value)  # in the unit the user gave it
        values[spec.field] = spec.to_field(value)
    options = Options(
        translator=model_spec("translator", resolved),
        summariser=model_spec("summariser", resolved) if command == "brief" else None,
        **values,
    )
    options.check()
    return options


def model_spec(role: str, resolved: dict[str, Setting]) -> ModelSpec:
    """The model of a role: the manifest's at its pinned revision, unless another is named (its
    revision then main, unless one is given)."""
    configured = load_manifest()[role]
    name, revision = resolved[role].value, resolved[f"{role}_revision"].value
    if name == configured.name:
        return ModelSpec(role, configured.name, revision or configured.revision, configured.licence)
    return ModelSpec(role, name, revision or "main")


def configured(config: Config | None = None) -> dict[str, Setting]:
    """Every key of the config file with its effective value and where that came from, as
    `summarise config` shows them (the output folders last)."""
    config = config if config is not None else load_config()
    by_command: dict[str, dict[str, Setting]] = {
        command: settings(command, config=config) for command in ("brief", "translate")
    }
    shown: dict[str, Setting] = {}
    folders: dict[str, Setting] = {}
    for key, spec in CONFIG_KEYS.items():
        if spec.config_keys:
            command = next(c for c, k in spec.config_keys.items() if k == key)
            folders[key] = by_command[command][spec.key]
        else:
            shown[key] = by_command["brief"][spec.key]
    return shown | folders
