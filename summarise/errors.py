"""Typed errors raised by the library. Only the CLI turns them into one-line messages.

Before a run starts work, errors are raised (bad options, models missing: exit 2). Once work has
started, a failure belongs to one article (the run goes on), or stops the run as an abort in the
run's report: the kinds of `RunAbort` below.
"""

from __future__ import annotations

from pathlib import Path


def first_line(error: BaseException | str, otherwise: str = "") -> str:
    """The first line of an error's message (a library's can run to pages), else `otherwise`."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else otherwise


def error_line(error: BaseException) -> str:
    """`Class: first line` of an error, for a message that names what a library raised."""
    line = first_line(error)
    return f"{type(error).__name__}: {line}" if line else type(error).__name__


class SummariseError(Exception):
    """Base class for every error the library raises on purpose."""


class InputError(SummariseError):
    """An input file that cannot be briefed (unreadable, binary, empty, ...)."""

    def __init__(self, path: Path | str, reason: str, *, skipped: bool = False) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason
        self.skipped = skipped  # not an article for this tool (a PDF, our own output), not broken


class FetchError(InputError):
    """A web address that could not be fetched, or that is no article (`skipped`)."""

    def __init__(self, url: str, reason: str, *, skipped: bool = False) -> None:
        super().__init__(url, reason, skipped=skipped)
        self.url = url


class ModelUnavailableError(SummariseError):
    """Models that are neither local folders nor in the Hugging Face cache, and cannot be downloaded.

    `missing`: (model, option, detail) for each, so that a run names every missing model at once.
    """

    def __init__(self, model: str, option: str, detail: str = "") -> None:
        self.missing = [(model, option, detail)]
        super().__init__(self._message())

    @classmethod
    def of_all(cls, errors: list[ModelUnavailableError]) -> ModelUnavailableError:
        combined = cls(*errors[0].missing[0])
        combined.missing = [entry for error in errors for entry in error.missing]
        combined.args = (combined._message(),)
        return combined

    @property
    def model(self) -> str:
        return self.missing[0][0]

    def _message(self) -> str:
        details = sorted({detail for _, _, detail in self.missing if detail})
        why = f" ({'; '.join(details)})" if details else ""
        if len(self.missing) == 1:
            model, option, _ = self.missing[0]
            what, cure = f"model {model!r} is", f"pass a local model folder with {option} PATH"
        else:
            what = (
                "models "
                + " and ".join(f"{model!r} ({option})" for model, option, _ in self.missing)
                + " are"
            )
            cure = "pass local model folders with " + " and ".join(
                f"{option} PATH" for _, option, _ in self.missing
            )
        return (
            f"{what} not available offline and could not be downloaded{why}; {cure}, "
            "or run `summarise models pull` on a machine with network to fill the Hugging Face cache "
            '(to see summarise work without them: "Try it without the models" in its README)'
        )


class ModelLoadError(SummariseError):
    """A model folder that exists but cannot be loaded (missing or broken files)."""


class ConfigError(SummariseError):
    """A bad option, manifest or output location."""


class GlossaryError(ConfigError):
    """A glossary file that cannot be used: named with the line of its first bad entry."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"glossary {where}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class NoArticles(ConfigError):
    """The paths of a run hold no article file at all (a usage error for a run; for a watched
    inbox, only nothing to do yet)."""


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
