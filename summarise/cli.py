"""The command line: parses options, calls the library, prints one line per problem.

Typed errors from the library become one-line messages here and nowhere else.
Exit codes: 0 every article done, 1 some articles failed (the rest were written), 2 usage or
configuration error (nothing was done).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from . import __version__
from .errors import SummariseError
from .models import ModelSpec, load_manifest

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

Paths = Annotated[
    list[Path],
    typer.Argument(help="Article files (.txt, .md) and folders (walked recursively).", show_default=False),
]
Translator = Annotated[
    str | None,
    typer.Option(
        "--translator",
        help="Translation model: hub id or local folder. (default: from models/manifest.toml)",
        show_default=False,
    ),
]
TranslatorRevision = Annotated[
    str | None,
    typer.Option(
        "--translator-revision",
        help="Hub revision (commit, tag or branch) of the translator.",
        show_default=False,
    ),
]
Summariser = Annotated[
    str | None,
    typer.Option(
        "--summariser",
        help="Summarisation model: hub id or local folder. (default: from models/manifest.toml)",
        show_default=False,
    ),
]
SummariserRevision = Annotated[
    str | None,
    typer.Option(
        "--summariser-revision",
        help="Hub revision (commit, tag or branch) of the summariser.",
        show_default=False,
    ),
]


class EngineChoice(StrEnum):
    auto = "auto"
    ct2 = "ct2"
    torch = "torch"


Engine = Annotated[
    EngineChoice,
    typer.Option(
        "--engine",
        help="ct2 (CTranslate2: int8 on CPU, float16 on CUDA) or torch (transformers, float32); "
        "auto = ct2, or torch on a GPU that CTranslate2 cannot use.",
    ),
]


class SourceLanguageChoice(StrEnum):
    auto = "auto"
    de = "de"
    en = "en"


SourceLanguage = Annotated[
    SourceLanguageChoice,
    typer.Option(
        "--source-lang",
        help="Language of the articles: auto = detect each (German translated, English passed "
        "through untranslated, others skipped); de or en = treat every article as such.",
    ),
]


KeepBoilerplate = Annotated[
    bool,
    typer.Option(
        "--keep-boilerplate",
        help="Translate every line: no removal of subscription prompts, link lists, disclaimers.",
    ),
]


class DeviceChoice(StrEnum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


Device = Annotated[
    DeviceChoice,
    typer.Option(
        "--device",
        help="Where the models run; auto = cuda where a first tiny generation on it works, else cpu.",
    ),
]
Threads = Annotated[
    int | None,
    typer.Option(
        "--threads", min=1, help="CPU threads for the models. (default: physical cores)", show_default=False
    ),
]
Beams = Annotated[
    int | None,
    typer.Option(
        "--beams",
        min=1,
        help="Beam size for both models (1 = greedy). (default: each model's own, 4)",
        show_default=False,
    ),
]
CacheDir = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="Cache folder. (default: $SUMMARISE_CACHE_DIR, else the user cache folder)",
        show_default=False,
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary line.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Say what is loaded and done.")]


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


@app.command()
def brief(
    paths: Paths,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("briefs"),
    translator: Translator = None,
    translator_revision: TranslatorRevision = None,
    summariser: Summariser = None,
    summariser_revision: SummariserRevision = None,
    source_lang: SourceLanguage = SourceLanguageChoice.auto,
    keep_boilerplate: KeepBoilerplate = False,
    engine: Engine = EngineChoice.auto,
    device: Device = DeviceChoice.auto,
    threads: Threads = None,
    beams: Beams = None,
    cache_dir: CacheDir = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Write an English brief (summary + translation + provenance) per article, and a digest."""
    _run(
        paths,
        out,
        translator=translator,
        translator_revision=translator_revision,
        summariser=summariser,
        summariser_revision=summariser_revision,
        with_summary=True,
        source_lang=source_lang,
        keep_boilerplate=keep_boilerplate,
        engine=engine,
        device=device,
        threads=threads,
        beams=beams,
        cache_dir=cache_dir,
        quiet=quiet,
        verbose=verbose,
    )


@app.command()
def translate(
    paths: Paths,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("translations"),
    translator: Translator = None,
    translator_revision: TranslatorRevision = None,
    source_lang: SourceLanguage = SourceLanguageChoice.auto,
    keep_boilerplate: KeepBoilerplate = False,
    engine: Engine = EngineChoice.auto,
    device: Device = DeviceChoice.auto,
    threads: Threads = None,
    beams: Beams = None,
    cache_dir: CacheDir = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Translate every article to English (.txt + .json per article), without summaries."""
    _run(
        paths,
        out,
        translator=translator,
        translator_revision=translator_revision,
        summariser=None,
        summariser_revision=None,
        with_summary=False,
        source_lang=source_lang,
        keep_boilerplate=keep_boilerplate,
        engine=engine,
        device=device,
        threads=threads,
        beams=beams,
        cache_dir=cache_dir,
        quiet=quiet,
        verbose=verbose,
    )


def _run(
    paths: list[Path],
    out: Path,
    *,
    translator: str | None,
    translator_revision: str | None,
    summariser: str | None,
    summariser_revision: str | None,
    with_summary: bool,
    source_lang: SourceLanguageChoice,
    keep_boilerplate: bool,
    engine: EngineChoice,
    device: DeviceChoice,
    threads: int | None,
    beams: int | None,
    cache_dir: Path | None,
    quiet: bool,
    verbose: bool,
) -> None:
    from .pipeline import RunOptions, run

    _configure_logging(verbose)
    try:
        manifest = _manifest()
        options = RunOptions(
            out_dir=out,
            translator=_spec(manifest["translator"], translator, translator_revision),
            summariser=_spec(manifest["summariser"], summariser, summariser_revision)
            if with_summary
            else None,
            source_language=source_lang.value,
            keep_boilerplate=keep_boilerplate,
            engine=engine.value,
            device=device.value,
            threads=threads,
            beams=beams,
            cache_dir=cache_dir,
        )
        with _progress(quiet) as progress, _stop_on_first_ctrl_c() as stop:
            report = run(paths, options, progress, stop.is_set)
    except SummariseError as error:
        _fail(str(error))
    except KeyboardInterrupt:  # landed outside the pipeline's own handling (start-up, digest)
        typer.echo(f"interrupted: briefs already in {out} are whole; run the same command again", err=True)
        raise typer.Exit(130) from None
    for failure in report.failures:
        typer.echo(f"error: {failure.path}: {failure.reason}", err=True)
    if report.aborted:
        typer.echo(f"error: {report.aborted}", err=True)
        typer.echo(
            f"stopped: {len(report.articles)} articles were written to {out} before it, whole; "
            "make room (or another --out/--cache-dir) and run the same command again",
            err=True,
        )
        raise typer.Exit(report.exit_code)
    if report.interrupted:
        typer.echo(
            f"interrupted: {len(report.articles)} articles done and written to {out}; "
            "run the same command again to do the rest",
            err=True,
        )
        raise typer.Exit(report.exit_code)
    if not quiet:
        cached = sum(1 for a in report.articles if a.cached)
        kind = "briefs" if with_summary else "translations"
        line = f"{len(report.articles)} {kind} written to {out} ({cached} from cache)"
        if report.failures:
            line += f", {len(report.failures)} failed"
        typer.echo(line, err=True)
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
    from .cache import CONVERTED_MODELS, Cache
    from .cache import cache_dir as resolve_cache_dir
    from .pipeline import LAST_RUN

    cache = Cache(resolve_cache_dir(cache_dir))
    try:
        stats = cache.stats()
        last = cache.get(*LAST_RUN)
    except SummariseError as error:
        _fail(str(error))
    typer.echo(f"cache: {stats.path}")
    for kind in ("translation", "summary", "segment"):
        typer.echo(f"  {kind} entries: {stats.entries.get(kind, 0)}")
    if last:
        segments = last["segments_translated"] + last["segments_remembered"]
        typer.echo(
            f"  last run ({last['finished']}): {last['articles_from_cache']} of {last['articles']} articles "
            f"from the cache ({_share(last['articles_from_cache'], last['articles'])}), "
            f"{last['segments_remembered']} of {segments} segments from the translation memory "
            f"({_share(last['segments_remembered'], segments)})"
        )
    typer.echo(f"  size on disk: {stats.size_bytes / 1024:.1f} KiB")
    converted = stats.path.parent / CONVERTED_MODELS
    if converted.is_dir():
        folders = [p for p in converted.iterdir() if p.is_dir() and not p.name.startswith(".")]
        size = sum(f.stat().st_size for p in folders for f in p.rglob("*") if f.is_file())
        typer.echo(
            f"  models converted for CTranslate2: {len(folders)} ({size / 2**20:.0f} MiB) in {converted}"
        )


@cache_app.command("clear")
def cache_clear(cache_dir: CacheDir = None) -> None:
    """Delete every cached translation and summary."""
    from .cache import Cache
    from .cache import cache_dir as resolve_cache_dir

    cache = Cache(resolve_cache_dir(cache_dir))
    try:
        removed = cache.clear()
    except SummariseError as error:
        _fail(str(error))
    typer.echo(f"removed {removed} entries from {cache.path}")


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


@contextlib.contextmanager
def _stop_on_first_ctrl_c() -> Iterator[threading.Event]:
    """First Ctrl-C: finish the batches in flight, keep them, stop. A second one: stop at once."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signal handlers can only be set from the main thread (e.g. CliRunner in a thread)
        return

    def on_sigint(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        typer.echo("stopping after the current batch (Ctrl-C again to stop at once)", err=True)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def _configure_logging(verbose: bool) -> None:
    if not verbose:
        # transformers' own warnings and weight-loading bars are noise for a user; -v shows them.
        # Environment, because both libraries read it when first imported, which comes later.
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO if verbose else logging.WARNING)
    log.propagate = False


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def main() -> None:
    app()
