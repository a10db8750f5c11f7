"""The command line: parses options, calls the library, prints one line per problem.

Typed errors from the library become one-line messages here and nowhere else. Exit codes: 0 every
article done, 1 some articles failed (the rest were written), 2 usage or configuration error, or a
run that had to stop (disk full, cache unusable), 70 an unexpected error (a bug: one line, and the
traceback with --verbose), 130 interrupted.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from . import __version__
from .errors import SummariseError
from .models import ModelSpec, load_manifest
from .read import DEFAULT_MAX_BYTES

app = typer.Typer(
    help="German news articles in, English briefs out: summary, full translation and provenance.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(
    help="The configured models: where they resolve, and downloading them.", no_args_is_help=True
)
cache_app = typer.Typer(help="The results cache: what it holds, and emptying it.", no_args_is_help=True)
app.add_typer(models_app, name="models")
app.add_typer(cache_app, name="cache")

log = logging.getLogger("summarise")

UNEXPECTED_EXIT = 70  # EX_SOFTWARE: a bug


class EngineChoice(StrEnum):
    auto = "auto"
    ct2 = "ct2"
    torch = "torch"


class SourceLanguageChoice(StrEnum):
    auto = "auto"
    de = "de"
    en = "en"


class DeviceChoice(StrEnum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


CacheDir = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="Cache folder. (default: $SUMMARISE_CACHE_DIR, else the user cache folder)",
        show_default=False,
        readable=False,  # the library says what is wrong with it, in one line
    ),
]


# ----------------------------------------------------------------------------- run options, once


@dataclass(frozen=True)
class RunFlags:
    """The options `brief` and `translate` share, as parsed."""

    out: Path | None
    translator: str | None
    translator_revision: str | None
    source_lang: SourceLanguageChoice
    keep_boilerplate: bool
    engine: EngineChoice
    device: DeviceChoice
    threads: int | None
    beams: int | None
    max_size: float
    cache_dir: Path | None
    quiet: bool
    verbose: bool


# Each shared option declared once: (parameter, type with its typer.Option, default).
_RUN_OPTIONS: list[tuple[str, Any, Any]] = [
    (
        "out",
        Annotated[
            Path | None,
            typer.Option(
                "--out",
                "-o",
                help="Output folder. (default: briefs, or translations for `translate`)",
                readable=False,
            ),
        ],
        None,
    ),
    (
        "translator",
        Annotated[
            str | None,
            typer.Option(
                "--translator",
                help="Translation model: hub id or local folder. (default: from models/manifest.toml)",
                show_default=False,
            ),
        ],
        None,
    ),
    (
        "translator_revision",
        Annotated[
            str | None,
            typer.Option(
                "--translator-revision",
                help="Hub revision (commit, tag or branch) of the translator.",
                show_default=False,
            ),
        ],
        None,
    ),
    (
        "source_lang",
        Annotated[
            SourceLanguageChoice,
            typer.Option(
                "--source-lang",
                help="Language of the articles: auto = detect each (German translated, English passed "
                "through untranslated, others skipped); de or en = treat every article as such.",
            ),
        ],
        SourceLanguageChoice.auto,
    ),
    (
        "keep_boilerplate",
        Annotated[
            bool,
            typer.Option(
                "--keep-boilerplate",
                help="Translate every line: no removal of subscription prompts, link lists, disclaimers.",
            ),
        ],
        False,
    ),
    (
        "engine",
        Annotated[
            EngineChoice,
            typer.Option(
                "--engine",
                help="ct2 (CTranslate2: int8 on CPU, float16 on CUDA) or torch (transformers, float32); "
                "auto = ct2, or torch on a GPU that CTranslate2 cannot use.",
            ),
        ],
        EngineChoice.auto,
    ),
    (
        "device",
        Annotated[
            DeviceChoice,
            typer.Option(
                "--device",
                help="Where the models run; auto = cuda where a first tiny generation on it works, else cpu.",
            ),
        ],
        DeviceChoice.auto,
    ),
    (
        "threads",
        Annotated[
            int | None,
            typer.Option(
                "--threads",
                min=1,
                help="CPU threads for the models. (default: physical cores)",
                show_default=False,
            ),
        ],
        None,
    ),
    (
        "beams",
        Annotated[
            int | None,
            typer.Option(
                "--beams",
                min=1,
                help="Beam size for both models (1 = greedy). (default: each model's own, 4)",
                show_default=False,
            ),
        ],
        None,
    ),
    (
        "max_size",
        Annotated[
            float,
            typer.Option(
                "--max-size",
                min=0.001,
                help="Largest article file read, in MB (1 MB = 2**20 bytes); larger ones are refused.",
            ),
        ],
        DEFAULT_MAX_BYTES / 2**20,
    ),
    ("cache_dir", CacheDir, None),
    (
        "quiet",
        Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary line.")],
        False,
    ),
    ("verbose", Annotated[bool, typer.Option("--verbose", "-v", help="Say what is loaded and done.")], False),
]


def with_run_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give a command the shared run options; it receives them as one `flags: RunFlags`."""
    own = inspect.signature(command)
    kept = [p for p in own.parameters.values() if p.name != "flags"]
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind, default=default)
        for name, kind, default in _RUN_OPTIONS
    ]

    @functools.wraps(command)
    def parsed(**values: Any) -> None:
        flags = RunFlags(**{name: values.pop(name) for name, _, _ in _RUN_OPTIONS})
        command(**values, flags=flags)

    # typer reads the parameters from the signature and their types from the annotations.
    parsed.__signature__ = own.replace(parameters=[*kept, *shared])  # type: ignore[attr-defined]
    parsed.__annotations__ = {p.name: p.annotation for p in [*kept, *shared]}
    return parsed


# ----------------------------------------------------------------------------- commands


def _version(value: bool) -> None:
    if value:
        typer.echo(f"summarise {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    pass


Paths = Annotated[
    list[Path],
    typer.Argument(
        help="Article files (.txt, .md, .html) and folders (walked recursively).",
        show_default=False,
        readable=False,  # an unreadable file is that article's failure, named in one line
    ),
]


@app.command()
@with_run_options
def brief(
    paths: Paths,
    summariser: Annotated[
        str | None,
        typer.Option(
            "--summariser",
            help="Summarisation model: hub id or local folder. (default: from models/manifest.toml)",
            show_default=False,
        ),
    ] = None,
    summariser_revision: Annotated[
        str | None,
        typer.Option(
            "--summariser-revision",
            help="Hub revision (commit, tag or branch) of the summariser.",
            show_default=False,
        ),
    ] = None,
    *,
    flags: RunFlags,
) -> None:
    """Write an English brief (summary + translation + provenance) per article, and a digest."""
    _run(paths, flags, Path("briefs"), summariser=(summariser, summariser_revision))


@app.command()
@with_run_options
def translate(paths: Paths, *, flags: RunFlags) -> None:
    """Translate every article to English (.txt + .json per article), without summaries."""
    _run(paths, flags, Path("translations"), summariser=None)


def _run(
    paths: list[Path], flags: RunFlags, default_out: Path, summariser: tuple[str | None, str | None] | None
) -> None:
    from .pipeline import RunOptions, run

    _configure_logging(flags.verbose)
    out = flags.out or default_out
    stop = _StopRequest()
    try:
        manifest = _manifest()
        options = RunOptions(
            out_dir=out,
            translator=_spec(manifest["translator"], flags.translator, flags.translator_revision),
            summariser=_spec(manifest["summariser"], *summariser) if summariser is not None else None,
            source_language=flags.source_lang.value,
            keep_boilerplate=flags.keep_boilerplate,
            engine=flags.engine.value,
            device=flags.device.value,
            threads=flags.threads,
            beams=flags.beams,
            max_bytes=int(flags.max_size * 2**20),
            cache_dir=flags.cache_dir,
        )
        with _progress(flags.quiet) as progress, _stop_on_first_signal(stop):
            report = run(paths, options, progress, stop.is_set)
    except SummariseError as error:
        _fail(str(error))
    except KeyboardInterrupt:  # landed outside the pipeline's own handling (start-up, digest)
        _say(f"interrupted: briefs already in {out} are whole; run the same command again")
        raise typer.Exit(stop.exit_code()) from None
    except Exception as error:
        _unexpected(error, flags.verbose)
    for failure in report.failures:
        _say(f"error: {failure.path}: {failure.reason}")
    if report.aborted:
        _say(f"error: {report.aborted.reason}")
        if report.aborted.advice:
            written = len(report.articles)
            _say(
                f"stopped: {written} articles were written to {out} before it, whole; {report.aborted.advice}"
            )
        raise typer.Exit(report.exit_code)
    if report.interrupted:
        _say(
            f"interrupted: {len(report.articles)} articles done and written to {out}; "
            "run the same command again to do the rest"
        )
        raise typer.Exit(stop.exit_code())
    if not flags.quiet:
        cached = sum(1 for a in report.articles if a.cached)
        kind = "briefs" if summariser is not None else "translations"
        line = f"{len(report.articles)} {kind} written to {out} ({cached} from cache)"
        if report.failures:
            line += f", {len(report.failures)} failed"
        _say(line)
    raise typer.Exit(report.exit_code)


@models_app.command("list")
def models_list() -> None:
    """Show the configured models, their pinned revisions and where they resolve offline."""
    from .models import resolve_model

    _configure_logging(False)
    for role, spec in _manifest().items():
        typer.echo(f"{role}: {spec.name}")
        typer.echo(f"  pinned revision: {spec.revision}")
        typer.echo(f"  licence: {spec.licence or 'unknown'}")
        try:
            resolved = resolve_model(spec, f"--{role}", download=False)
            typer.echo(f"  resolves to: {resolved.path} ({resolved.source}, revision {resolved.revision})")
        except SummariseError as error:
            typer.echo(f"  resolves to: nothing here ({error})")


@models_app.command("pull")
def models_pull(
    pin: Annotated[
        bool, typer.Option("--pin", help="Write the resolved commits into the manifest as pinned revisions.")
    ] = False,
) -> None:
    """Download the configured models into the Hugging Face cache (needs network)."""
    from .models import pin_revision, resolve_model

    _configure_logging(True)
    try:
        for role, spec in _manifest().items():
            resolved = resolve_model(spec, f"--{role}", refresh=True)
            typer.echo(f"{role}: {spec.name} at {resolved.revision} in {resolved.path}")
            if pin:
                typer.echo(f"  pinned in {pin_revision(role, resolved.revision)}")
    except SummariseError as error:
        _fail(str(error))


@cache_app.command("stats")
def cache_stats(cache_dir: CacheDir = None) -> None:
    """Show where the cache is, what it holds and its size on disk."""
    from .cache import SEGMENT, SUMMARY, TRANSLATION, Store

    try:
        store = Store.at(cache_dir)
        store.check()
        stats = store.stats()
    except SummariseError as error:
        _fail(str(error))
    typer.echo(f"cache: {stats.path}")
    for kind in (TRANSLATION, SUMMARY, SEGMENT):
        typer.echo(f"  {kind} entries: {stats.entries.get(kind, 0)}")
    if last := stats.last_run:
        segments = last["segments_translated"] + last["segments_remembered"]
        typer.echo(
            f"  last run ({last['finished']}): {last['articles_from_cache']} of {last['articles']} articles "
            f"from the cache ({_share(last['articles_from_cache'], last['articles'])}), "
            f"{last['segments_remembered']} of {segments} segments from the translation memory "
            f"({_share(last['segments_remembered'], segments)})"
        )
    typer.echo(f"  size on disk: {stats.size_bytes / 1024:.1f} KiB")
    if stats.converted_models:
        typer.echo(
            f"  models converted for CTranslate2: {stats.converted_models} "
            f"({stats.converted_bytes / 2**20:.0f} MiB) in {stats.converted_path}"
        )


@cache_app.command("clear")
def cache_clear(
    cache_dir: CacheDir = None,
    keep_converted: Annotated[
        bool,
        typer.Option("--keep-converted", help="Keep the models converted for CTranslate2 (no reconversion)."),
    ] = False,
) -> None:
    """Delete every cached translation and summary, and the models converted for CTranslate2."""
    from .cache import Store

    store = Store.at(cache_dir)
    try:
        store.check()
        cleared = store.clear(keep_converted=keep_converted)
    except SummariseError as error:
        _fail(str(error))
    line = f"removed {cleared.entries} entries from {store.path}"
    if cleared.converted_models:
        line += f" and {cleared.converted_models} converted models"
    typer.echo(line)


# ----------------------------------------------------------------------------- helpers


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def _manifest() -> dict[str, ModelSpec]:
    return load_manifest()


def _spec(configured: ModelSpec, name: str | None, revision: str | None) -> ModelSpec:
    """The model to use: the manifest's, unless an option names another (whose revision is main)."""
    if name is None:
        return ModelSpec(
            configured.role, configured.name, revision or configured.revision, configured.licence
        )
    return ModelSpec(configured.role, name, revision or "main")


def _progress(quiet: bool) -> Any:
    if quiet or not sys.stderr.isatty():
        return nullcontext(None)
    return _TqdmProgress()


class _TqdmProgress:
    """A per-article progress bar with ETA, on a terminal only."""

    def __enter__(self) -> _TqdmProgress:
        from tqdm import tqdm

        self.bar = tqdm(total=0, unit="article", dynamic_ncols=True, leave=False)
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()

    def start(self, total: int) -> None:
        self.bar.reset(total=total)

    def advance(self, articles: int = 1) -> None:
        self.bar.update(articles)


# Signals that ask a run to stop: Ctrl-C, a service manager, a closed terminal.
_STOP_SIGNALS: dict[int, str] = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}


class _StopRequest:
    """Set by the first stop signal; remembers which, for the exit code (128 + its number)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal: int | None = None

    def is_set(self) -> bool:
        return self.event.is_set()

    def exit_code(self) -> int:
        return 128 + (self.signal or signal.SIGINT)


@contextlib.contextmanager
def _stop_on_first_signal(request: _StopRequest) -> Iterator[_StopRequest]:
    """The first Ctrl-C, SIGTERM or SIGHUP: finish the batches in flight, keep them, stop.
    A second one: stop at once (still nothing half-written)."""
    if threading.current_thread() is not threading.main_thread():
        yield request  # signal handlers can only be set from the main thread (e.g. CliRunner in a thread)
        return

    def on_signal(signum: int, frame: object) -> None:
        if request.is_set():
            raise KeyboardInterrupt
        request.signal = signum
        request.event.set()
        _say(f"{_STOP_SIGNALS[signum]}: stopping after the current batch (again to stop at once)")

    previous = {signum: signal.signal(signum, on_signal) for signum in _STOP_SIGNALS}
    try:
        yield request
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _printable(text: str) -> str:
    """File names that are not valid UTF-8 reach us with surrogates: show their bytes escaped."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _say(line: str) -> None:
    typer.echo(_printable(line), err=True)


class _PrintableFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return _printable(super().format(record))


def _configure_logging(verbose: bool) -> None:
    if not verbose:
        # transformers' own warnings and weight-loading bars are noise for a user; -v shows them.
        # Environment, because both libraries read it when first imported, which comes later.
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_PrintableFormatter("%(levelname)s: %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO if verbose else logging.WARNING)
    log.propagate = False


def _fail(message: str) -> NoReturn:
    _say(f"error: {message}")
    raise typer.Exit(2)


def _unexpected(error: BaseException, verbose: bool) -> NoReturn:
    """The last resort: an error nobody expected is a bug; one line, the traceback on request."""
    if verbose:
        traceback.print_exception(error, file=sys.stderr)
    first = (str(error).strip().splitlines() or [""])[0]
    hint = "" if verbose else " (--verbose shows where)"
    _say(f"error: unexpected {type(error).__name__}: {first}{hint}; please report it")
    raise typer.Exit(UNEXPECTED_EXIT)


def main() -> None:
    try:
        app()
    except Exception as error:  # outside a run (its own handler catches those): still one line
        try:
            _unexpected(error, "--verbose" in sys.argv or "-v" in sys.argv)
        except typer.Exit as done:
            sys.exit(done.exit_code)
