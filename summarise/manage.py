"""Looking after summarise's models and cache, as library functions: what `summarise models` and
`summarise cache` do, with the settings a run would use (option > environment > config file >
manifest > default), so that the CLI stays a thin layer over the library.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import config, models
from .cache import CacheStats, Cleared, Store, cache_dir
from .errors import ConfigError, SummariseError
from .models import ROLES, ModelSpec, ResolvedModel


@dataclass(frozen=True)
class ConfiguredModel:
    """A model a run would use, and where it resolves on this machine without a download."""

    role: str
    spec: ModelSpec
    resolved: ResolvedModel | None  # None: not here
    problem: str = ""  # why it does not resolve


@dataclass(frozen=True)
class PulledModel:
    role: str
    spec: ModelSpec
    resolved: ResolvedModel
    pinned_in: Path | None  # the file its commit was pinned in, when asked to pin


def configured_models() -> list[ConfiguredModel]:
    """The translator and summariser a `brief` run would use (config file, else manifest)."""
    settings = config.settings("brief")
    found = []
    for role in ROLES:
        spec = config.model_spec(role, settings)
        try:
            found.append(ConfiguredModel(role, spec, models.resolve_model(spec, f"--{role}", download=False)))
        except SummariseError as error:
            found.append(ConfiguredModel(role, spec, None, str(error)))
    return found


def pull_models(pin: bool = False) -> list[PulledModel]:
    """Download the configured models into the Hugging Face cache (needs the network). `pin`: the
    resolved commits are pinned in the user's config file, or in the manifest $SUMMARISE_MANIFEST
    names (the manifest shipped with summarise is never written)."""
    settings = config.settings("brief")
    pulled = []
    for role in ROLES:
        spec = config.model_spec(role, settings)
        resolved = models.resolve_model(spec, f"--{role}", refresh=True)
        pinned_in = None
        if pin and os.environ.get("SUMMARISE_MANIFEST"):  # a manifest of the user's own
            pinned_in = models.pin_revision(role, resolved.revision)
        elif pin:
            pinned_in = config.pin_revision(role, resolved.revision)
        pulled.append(PulledModel(role, spec, resolved, pinned_in))
    return pulled


def cache_folder(given: Path | None = None) -> Path:
    """The cache folder a run would use: `given` (--cache-dir), else the environment's, else the
    config file's, else the user cache folder."""
    resolved = config.settings("translate", {"cache_dir": given}, only=["cache_dir"])
    folder: Path | None = resolved["cache_dir"].value
    return cache_dir(folder)


def cache_present(given: Path | None = None) -> bool:
    """Whether there is a cache where a run would keep it (a CacheError where that is no usable
    folder). A folder named with --cache-dir that does not exist is a mistake (ConfigError), not a
    cache that a run has not made yet."""
    folder = cache_folder(given)
    if folder.exists() or folder.is_symlink():
        Store(folder).check(database=False)
        return True
    if given is not None:
        raise ConfigError(f"--cache-dir {given}: no cache there (no such folder)")
    return False


def _store(given: Path | None, database: bool = True) -> Store | None:
    """The cache's store, checked; None where there is no cache yet."""
    if not cache_present(given):
        return None
    store = Store(cache_folder(given))
    store.check(database=database)  # a database that cannot be used is what clearing cures
    return store


def cache_stats(given: Path | None = None) -> CacheStats | None:
    """What the cache holds (None: no cache at the folder a run would use, yet)."""
    store = _store(given)
    if store is None:
        return None
    try:
        return store.stats()
    finally:
        store.close()


def clear_cache(given: Path | None = None, keep_converted: bool = False) -> Cleared | None:
    """Delete every cached result (and the converted models unless kept); None: no cache there."""
    store = _store(given, database=False)
    if store is None:
        return None
    try:
        return store.clear(keep_converted=keep_converted)
    finally:
        store.close()
