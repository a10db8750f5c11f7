"""The options of a run, each declared once.

`Options` is what the library runs with: each field's type (its choices, as a Literal) and default
are declared there and nowhere else. `OPTIONS` declares how a user gives each one: its command-line
flags, help text, config file key, environment variable and bounds. The CLI derives its parameters
from these declarations, the config file is checked against them, and `config.options_for`
resolves them (option > environment > config file > model manifest > default) for the CLI and for
library users alike.

Adding an option: a field on `Options`, an `OptionSpec` here, and the code that uses it.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from .errors import ConfigError
from .models import ModelSpec

Engine = Literal["auto", "ct2", "torch"]
Device = Literal["auto", "cpu", "cuda"]
SourceLanguage = Literal["auto", "de", "en"]
ClusterKind = Literal["none", "ray"]
Command = Literal["brief", "translate"]  # brief: translation and summary; translate: translation only

MEGABYTE = 2**20
DEFAULT_MAX_BYTES = 20 * MEGABYTE
# `summarise watch`: a file whose size and modification time stayed the same this long is taken as
# complete; articles arriving within DEBOUNCE_SECONDS of each other are briefed in one run; without
# work for IDLE_RELEASE_SECONDS the models are released (a translator and a summariser hold about
# 1.5 GB), and the next article loads them again (seconds, from the converted copies in the cache).
SETTLE_SECONDS = 2.0
DEBOUNCE_SECONDS = 1.0
LONGEST_WAIT_SECONDS = 5.0  # a complete article waits no longer for others to arrive with it
IDLE_RELEASE_SECONDS = 15 * 60.0
FEED_INTERVAL_SECONDS = 15 * 60.0  # `watch --feed`: how often the feeds are read
# Where a command writes when no -o and no config file says.
DEFAULT_FOLDERS: dict[str, Path] = {"brief": Path("briefs"), "translate": Path("translations")}


def choices(kind: Any) -> tuple[str, ...]:
    """The values a Literal type allows (empty for any other type)."""
    return tuple(get_args(kind)) if get_origin(kind) is Literal else ()


ENGINES = choices(Engine)
DEVICES = choices(Device)
SOURCE_LANGUAGES = choices(SourceLanguage)
CLUSTERS = choices(ClusterKind)


@dataclass(frozen=True)
class FixedLengths:
    """Benchmarks only: random weights never stop by themselves, so every output is made exactly
    this long: ceil(`translation_ratio` x the batch's longest source) tokens for a translation,
    `summary_tokens` for a summary. Doubtful segments are then not retried (random weights would
    have every one retried)."""

    translation_ratio: float = 1.1
    summary_tokens: int = 80

    def translation_tokens(self, longest_source: int) -> int:
        return math.ceil(self.translation_ratio * longest_source)


@dataclass(frozen=True)
class Options:
    """Everything a run (or a long-lived `Briefer`) is told: the library's one options object."""

    out_dir: Path
    translator: ModelSpec
    summariser: ModelSpec | None  # None: translate only
    engine: Engine = "auto"
    device: Device = "auto"
    threads: int | None = None  # None: the physical cores
    beams: int | None = None  # None: each model's own
    cache_dir: Path | None = None  # None: $SUMMARISE_CACHE_DIR, else the user cache folder
    source_language: SourceLanguage = "auto"  # "de" or "en": no language detection
    keep_boilerplate: bool = False  # the clean stage then only normalises white space
    max_bytes: int = DEFAULT_MAX_BYTES  # larger article files are refused
    cluster: ClusterKind = "none"  # "ray": the models run on a Ray cluster's actors (cluster.py)
    cluster_actors: int | None = None  # at most this many actors per model
    pages_dir: Path | None = None  # where fetched web pages are kept; None: OUT/.pages
    feeds: tuple[str, ...] = ()  # RSS or Atom feeds whose entries are fetched and briefed
    refetch: bool = False  # ask for every web page unconditionally (not "has it changed?")
    fetch_interval: float = 1.0  # seconds between two requests to one host (politeness)
    glossary: Path | None = None  # the user's glossary (TOML or TSV): German term -> English
    default_names: bool = True  # the shipped names in the news (summarise/names/), under the glossary
    lengths: FixedLengths | None = None  # benchmarks only: outputs of a fixed length

    def check(self) -> None:
        """Raise ConfigError naming the first option outside its choices or bounds."""
        for spec in OPTIONS:
            if spec.field is None:
                continue
            spec.check(spec.from_field(getattr(self, spec.field)))

    @property
    def command(self) -> Command:
        return "brief" if self.summariser is not None else "translate"


@dataclass(frozen=True)
class OptionSpec:
    """How a user gives one option: on the command line, in the config file, in the environment."""

    key: str  # the config file's key, and the CLI's parameter name
    flags: tuple[str, ...]  # on the command line; a bool's "--x/--no-x" pair as one
    help: str
    field: str | None  # the `Options` field it sets (None: it is part of another, e.g. a revision)
    kind: Any = None  # the value's type when there is no field of its own (or it differs)
    default_text: str = ""  # what the help says the default is, where it is not the plain value
    limits: tuple[float, float] | None = None
    env: str | None = None  # an environment variable that gives it (before the config file)
    commands: tuple[Command, ...] = ("brief", "translate")
    config_keys: dict[str, str] | None = None  # per command, where the key differs by command
    scale: int | None = None  # the field holds the value times this (MB given, bytes held)

    @property
    def type(self) -> Any:
        if self.kind is not None:
            return self.kind
        assert self.field is not None
        return _FIELD_TYPES[self.field]

    @property
    def choices(self) -> tuple[str, ...]:
        return choices(self.type)

    @property
    def default(self) -> Any:
        """The value when nothing gives one (None: the library decides, as the help says)."""
        if self.field is not None and get_origin(self.type) is list:
            listed = _FIELD_DEFAULTS.get(self.field)
            return list(listed) if isinstance(listed, tuple | list) else []
        if self.field is None or (self.kind is not None and self.scale is None):
            return None
        default = _FIELD_DEFAULTS.get(self.field)
        return None if default is MISSING else self.from_field(default)

    def to_field(self, value: Any) -> Any:
        """The option's value as its `Options` field holds it."""
        if value is None:
            return None
        if get_origin(self.type) is list:
            return tuple(value)
        if self.scale is not None:
            return int(value * self.scale)
        return Path(value) if self.type is Path else value

    def from_field(self, value: Any) -> Any:
        """A field's value as the option gives it (the unit of its bounds and help)."""
        return value / self.scale if self.scale is not None and value is not None else value

    def config_key(self, command: Command) -> str:
        return (self.config_keys or {}).get(command, self.key)

    def check(self, value: Any) -> None:
        """Raise ConfigError where `value` (None: not given) is outside the choices or bounds."""
        if value is None:
            return
        name = self.flags[0].split("/")[0]
        if self.choices and value not in self.choices:
            raise ConfigError(f"{name} must be one of {', '.join(self.choices)}, not {value!r}")
        if self.limits is not None:
            low, high = self.limits
            if not low <= value <= high:
                raise ConfigError(
                    f"{name.lstrip('-')} {value:g} is out of range: it must be from {low:g} to {high:g}"
                )


OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec(
        "out",
        ("--out", "-o"),
        "Output folder.",
        "out_dir",
        kind=Path,
        default_text="the config file's briefs_folder, else briefs; for `translate` translations_folder, "
        "else translations",
        config_keys={"brief": "briefs_folder", "translate": "translations_folder"},
    ),
    OptionSpec(
        "translator",
        ("--translator",),
        "Translation model: hub id or local folder.",
        "translator",
        kind=str,
        default_text="from models/manifest.toml",
    ),
    OptionSpec(
        "translator_revision",
        ("--translator-revision",),
        "Hub revision (commit, tag or branch) of the translator.",
        None,
        kind=str,
        default_text="the manifest's pinned one for its model, else main",
    ),
    OptionSpec(
        "summariser",
        ("--summariser",),
        "Summarisation model: hub id or local folder.",
        "summariser",
        kind=str,
        default_text="from models/manifest.toml",
        commands=("brief",),
    ),
    OptionSpec(
        "summariser_revision",
        ("--summariser-revision",),
        "Hub revision (commit, tag or branch) of the summariser.",
        None,
        kind=str,
        default_text="the manifest's pinned one for its model, else main",
        commands=("brief",),
    ),
    OptionSpec(
        "source_lang",
        ("--source-lang",),
        "Language of the articles: auto = detect each (German translated, English passed through "
        "untranslated, others skipped); de or en = treat every article as such.",
        "source_language",
    ),
    OptionSpec(
        "keep_boilerplate",
        ("--keep-boilerplate/--no-keep-boilerplate",),
        "Translate every line: no removal of subscription prompts, link lists, disclaimers.",
        "keep_boilerplate",
    ),
    OptionSpec(
        "engine",
        ("--engine",),
        "ct2 (CTranslate2: int8 on CPU, float16 on CUDA) or torch (transformers, float32); auto = ct2, "
        "or torch on a GPU that CTranslate2 cannot use.",
        "engine",
    ),
    OptionSpec(
        "device",
        ("--device",),
        "Where the models run; auto = cuda where a first tiny generation on it works, else cpu.",
        "device",
    ),
    OptionSpec(
        "threads",
        ("--threads",),
        "CPU threads for the models.",
        "threads",
        default_text="physical cores",
        limits=(1, 256),  # beyond, OpenMP aborts the interpreter
    ),
    OptionSpec(
        "beams",
        ("--beams",),
        "Beam size for both models (1 = greedy).",
        "beams",
        default_text="each model's own, 4",
        limits=(1, 16),
    ),
    OptionSpec(
        "cluster",
        ("--cluster",),
        "ray: run the models on a Ray cluster's actors (RAY_ADDRESS, or a local Ray instance when "
        'unset); needs pip install "newsbrief[ray]".',
        "cluster",
    ),
    OptionSpec(
        "cluster_actors",
        ("--cluster-actors",),
        "With --cluster ray: at most this many actors per model.",
        "cluster_actors",
        default_text="as the cluster's CPUs (--threads each) or GPUs allow",
        limits=(1, 4096),
    ),
    OptionSpec(
        "max_size",
        ("--max-size",),
        "Largest article file read, in MB (1 MB = 2**20 bytes); larger ones are refused.",
        "max_bytes",
        kind=float,
        limits=(0.001, 1024),
        scale=MEGABYTE,
    ),
    OptionSpec(
        "pages",
        ("--pages",),
        "Folder where web pages fetched from a URL are kept (with an index of what came with them).",
        "pages_dir",
        kind=Path,
        default_text="OUT/.pages",
    ),
    OptionSpec(
        "feeds",
        ("--feed",),
        "An RSS or Atom feed: its entries not taken before are fetched and briefed (repeatable; a "
        "local .opml file gives the feeds it lists).",
        "feeds",
        kind=list[str],
        default_text="the config file's feeds, else none",
    ),
    OptionSpec(
        "refetch",
        ("--refetch/--no-refetch",),
        "Fetch every URL whole again, instead of asking the server whether it changed.",
        "refetch",
    ),
    OptionSpec(
        "fetch_interval",
        ("--fetch-interval",),
        "Seconds between two requests to the same web host (more where its robots.txt asks).",
        "fetch_interval",
        limits=(0.0, 3600.0),
    ),
    OptionSpec(
        "glossary",
        ("--glossary",),
        "A glossary file (TOML or TSV): German terms and the English the translation must use "
        "(docs/glossary.md); its entries override the default names.",
        "glossary",
        kind=Path,
        default_text="none",
    ),
    OptionSpec(
        "default_names",
        ("--default-names/--no-default-names",),
        "Render names in the news the English way (Selenskyj -> Zelenskyy, Kiew -> Kyiv): the "
        "shipped list of CLDR's country and city names and a curated list of people and places.",
        "default_names",
    ),
    OptionSpec(
        "cache_dir",
        ("--cache-dir",),
        "Cache folder.",
        "cache_dir",
        kind=Path,
        default_text="$SUMMARISE_CACHE_DIR, else the user cache folder",
        env="SUMMARISE_CACHE_DIR",
    ),
)

OPTION_BY_KEY = {spec.key: spec for spec in OPTIONS}
# The config file's keys: every option's (the output folder's, one per command).
CONFIG_KEYS: dict[str, OptionSpec] = {
    key: spec
    for spec in OPTIONS
    for key in ([*spec.config_keys.values()] if spec.config_keys else [spec.key])
}


def _field_types() -> dict[str, Any]:
    import typing

    hints = typing.get_type_hints(Options)
    return {name: _without_none(kind) for name, kind in hints.items()}


def _without_none(kind: Any) -> Any:
    """`int | None` as int: None is how any option says "not given"."""
    arguments = [a for a in get_args(kind) if a is not type(None)]
    if get_origin(kind) is not Literal and len(arguments) == 1 and type(None) in get_args(kind):
        return arguments[0]
    return kind


_FIELD_TYPES = _field_types()
_FIELD_DEFAULTS = {f.name: f.default for f in fields(Options)}
