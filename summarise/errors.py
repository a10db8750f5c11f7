"""Typed errors raised by the library. Only the CLI turns them into one-line messages.

Before a run starts work, errors are raised (bad options, models missing: exit 2). Once work has
started, a failure belongs to one article (the run goes on), or stops the run as an abort in the
run's report: the kinds of `RunAbort` below.
"""

from __future__ import annotations

from pathlib import Path


class SummariseError(Exception):
    """Base class for every error the library raises on purpose."""


class InputError(SummariseError):
    """An input file that cannot be briefed (unreadable, binary, empty, ...)."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


class ModelUnavailableError(SummariseError):
    """A model that is neither a local folder nor in the Hugging Face cache, and cannot be downloaded."""

    def __init__(self, model: str, option: str, detail: str = "") -> None:
        message = (
            f"model {model!r} is not available offline and could not be downloaded"
            f"{f' ({detail})' if detail else ''}; pass a local model folder with {option} PATH, "
            "or run `summarise models pull` on a machine with network to fill the Hugging Face cache"
        )
        super().__init__(message)
        self.model = model
        self.option = option


class ModelLoadError(SummariseError):
    """A model folder that exists but cannot be loaded (missing or broken files)."""


class ConfigError(SummariseError):
    """A bad option, manifest or output location."""


class OutputError(SummariseError):
    """An output that cannot be written: that article fails, the others go on."""


class OutputFolderUnusable(OutputError):
    """The output folder takes no more files (disk full, read-only file system): every other
    article would fail the same way, so the run stops."""


class CacheError(SummariseError):
    """The cache cannot be read or written (disk full, read-only): the run stops."""


class CacheCorruptError(CacheError):
    """The cache file is not a usable SQLite database; `summarise cache clear` starts it afresh."""


class StopRequested(Exception):
    """The user asked the run to stop (Ctrl-C); raised once the work in flight is safely kept."""
