"""Settings: a config file in the user's config folder gives defaults, and options override them.

The file is TOML (`summarise config` shows where, the effective settings and where each came
from). Every key is optional:

    translator = "/models/opus-mt-de-en"     # hub id or local folder
    translator_revision = "main"
    summariser = "sshleifer/distilbart-cnn-12-6"
    summariser_revision = "main"
    engine = "ct2"                           # auto, ct2, torch
    device = "cpu"                           # auto, cpu, cuda
    threads = 4
    beams = 4
    source_lang = "auto"                     # auto, de, en
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, InputError
from .files import read_small_text

CHOICES = {
    "engine": ("auto", "ct2", "torch"),
    "device": ("auto", "cpu", "cuda"),
    "source_lang": ("auto", "de", "en"),
}
_TEXT = ("translator", "translator_revision", "summariser", "summariser_revision")
_FOLDERS = ("cache_dir", "briefs_folder", "translations_folder")
# The bounds of the numeric settings, wherever they are given (option, config file, library):
# beyond them a run would abort the interpreter (OpenMP at 100,000 threads) or run for hours.
LIMITS: dict[str, tuple[float, float]] = {
    "threads": (1, 256),
    "beams": (1, 16),
    "cluster_actors": (1, 4096),
    "max_size": (0.001, 1024),  # MB of one article file
}
_COUNTS = ("threads", "beams")
KEYS = (*_TEXT, *CHOICES, *_COUNTS, *_FOLDERS)

# Where a setting came from, as `summarise config` says it.
FROM_OPTION = "command line"
FROM_DEFAULT = "default"


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
    if key not in KEYS:
        raise ConfigError(f"{where}: unknown setting (known: {', '.join(KEYS)})")
    if key in CHOICES:
        if value not in CHOICES[key]:
            raise ConfigError(f"{where}: {value!r} is not one of {', '.join(CHOICES[key])}")
        return value
    if key in _COUNTS:
        low, high = LIMITS[key]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ConfigError(f"{where}: {value!r} is not a whole number from {low:g} to {high:g}")
        return value
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {value!r} is not a non-empty string")
    if key in _FOLDERS:
        return Path(value).expanduser()
    return value


def check_limits(**values: float | None) -> None:
    """Raise ConfigError naming the first setting outside its LIMITS (None: not given)."""
    for key, value in values.items():
        low, high = LIMITS[key]
        if value is not None and not low <= value <= high:
            raise ConfigError(
                f"{key.replace('_', '-')} {value:g} is out of range: it must be from {low:g} to {high:g}"
            )


@dataclass(frozen=True)
class Setting:
    value: Any
    source: str  # FROM_OPTION, the config file, FROM_DEFAULT, or another default's origin


def resolve(config: Config, given: dict[str, Any], defaults: dict[str, Setting]) -> dict[str, Setting]:
    """Each setting of `defaults`: the option given on the command line, else the config file's,
    else the default. The one place where options and the config file meet."""
    settings = {}
    for key, default in defaults.items():
        if given.get(key) is not None:
            settings[key] = Setting(given[key], FROM_OPTION)
        elif config.get(key) is not None:
            settings[key] = Setting(config.get(key), config.source)
        else:
            settings[key] = default
    return settings
