"""Typed errors raised by the library. Only the CLI turns them into one-line messages."""

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
    """An output that cannot be written.

    `folder_unusable`: the output folder takes no more files (disk full, read-only file system),
    so the run stops rather than fail every article the same way.
    """

    def __init__(self, message: str, folder_unusable: bool = False) -> None:
        super().__init__(message)
        self.folder_unusable = folder_unusable


class CacheError(SummariseError):
    """The cache cannot be read or written (disk full, read-only, not a database)."""

    def __init__(self, message: str, corrupt: bool = False) -> None:
        super().__init__(message)
        self.corrupt = corrupt  # the file is not a usable SQLite database


class StopRequested(Exception):
    """The user asked the run to stop (Ctrl-C); raised once the work in flight is safely kept."""
