"""The command line: parses options, calls the library, prints one line per problem.

Typed errors from the library become one-line messages here and nowhere else. Exit codes: 0 every
article done, 1 some articles failed (the rest were written), 2 usage or configuration error, or a
run that had to stop (disk full, cache unusable, standard output unwritable), 70 an unexpected error
(a bug: one line, and the traceback with --verbose), 128 + the signal that stopped it (130 Ctrl-C).
"""

from __future__ import annotations

import _thread
import contextlib
import errno
import functools
import inspect
import json
import logging
import os
import signal
import sys
import threading
import traceback
import typing
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
import typer.core

from . import __version__
from .config import load_config, options_for
from .errors import SummariseError, first_line
from .options import DEFAULT_FOLDERS, OPTION_BY_KEY, OPTIONS, Command, OptionSpec

if TYPE_CHECKING:
    from .report import RunReport


class _OneLineUsageErrors(typer.core.TyperGroup):
    """Usage errors (an unknown option, a bad value) as one `error:` line and exit 2, like the
    tool's own errors, instead of click's box of usage text."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        standalone_mode = kwargs.get("standalone_mode", True)
        kwargs["standalone_mode"] = False  # errors come back to us instead of being printed
        try:
            code = super().main(*args, **kwargs)
        except typer.Abort:  # end of input at a prompt
            _say("error: aborted")
            code = 1
        except Exception as error:
            if not (hasattr(error, "format_message") and hasattr(error, "exit_code")):
                raise  # not a usage error: main() reports it
            if type(error).__name__ == "NoArgsIsHelpError":  # `summarise` alone: the help, as a usage error
                error.show()  # type: ignore[attr-defined]
                code = 2
            else:
                _say(f"error: {_usage_message(error)}")
                code = 2
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


def _usage_message(error: Any) -> str:
    """click's message on one line, with the command whose --help explains it."""
    message = " ".join(str(error.format_message()).split()).replace("Value error, ", "").rstrip(".")
    context = getattr(error, "ctx", None)
    if context is not None:
        message += f" (see `{context.command_path} --help`)"
    return message


app = typer.Typer(
    cls=_OneLineUsageErrors,
    rich_markup_mode=None,
    help="German news articles in, English briefs out: summary, full translation and provenance.",
    no_args_is_help=True,
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


def _parameter(spec: OptionSpec) -> Any:
    """The typer parameter of a declared option (summarise/options.py): its flags, type and
    choices, bounds and help. Its default is None, "not given": the library's settings resolution
    then takes the environment's, the config file's or the default."""
    kind = spec.type
    extra: dict[str, Any] = {}
    if spec.limits is not None:
        low, high = spec.limits
        extra["min"], extra["max"] = (int(low), int(high)) if kind is int else (low, high)
    if kind is Path:
        extra["readable"] = False  # the library says what is wrong with it, in one line
    default = spec.default_text or _shown_default(spec.default)
    return Annotated[
        kind | None,
        typer.Option(*spec.flags, help=f"{spec.help} (default: {default})", show_default=False, **extra),
    ]


def _shown_default(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else str(value)


# `cache stats/clear --cache-dir`: the run option's declaration (a type alias for mypy).
CacheDir: typing.TypeAlias = _parameter(OPTION_BY_KEY["cache_dir"])  # type: ignore[valid-type]


@dataclass(frozen=True)
class Presentation:
    """How a run speaks to its user: options of the command line alone, not of the library."""

    json_report: bool
    quiet: bool
    verbose: bool


_PRESENTATION: list[tuple[str, Any]] = [
    (
        "json_report",
        Annotated[
            bool,
            typer.Option(
                "--json", help="Print the run's report as one JSON object on stdout (for scripts and cron)."
            ),
        ],
    ),
    ("quiet", Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary line.")]),
    ("verbose", Annotated[bool, typer.Option("--verbose", "-v", help="Say what is loaded and done.")]),
]


def with_run_options(command: Command) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the run options of `command` (every OptionSpec for it) and the presentation
    options; it receives them as `given` (the options' values by key, None where not given) and
    `shown` (a Presentation)."""

    def decorate(function: Callable[..., None]) -> Callable[..., None]:
        own = inspect.signature(function)
        # The function's own annotations are strings here (postponed evaluation): resolve them with
        # their typer.Option metadata, or typer would see bare types and drop the help texts.
        hints = typing.get_type_hints(function, include_extras=True)
        kept = [
            p.replace(annotation=hints[p.name])
            for p in own.parameters.values()
            if p.name not in ("given", "shown")
        ]
        specs = [spec for spec in OPTIONS if command in spec.commands]
        keyword = inspect.Parameter.KEYWORD_ONLY
        added = [inspect.Parameter(s.key, keyword, annotation=_parameter(s), default=None) for s in specs]
        added += [inspect.Parameter(n, keyword, annotation=kind, default=False) for n, kind in _PRESENTATION]

        @functools.wraps(function)
        def parsed(**values: Any) -> None:
            given = {spec.key: values.pop(spec.key) for spec in specs}
            shown = Presentation(**{name: values.pop(name) for name, _ in _PRESENTATION})
            function(**values, given=given, shown=shown)

        # typer reads the parameters from the signature and their types from the annotations.
        parsed.__signature__ = own.replace(parameters=[*kept, *added])  # type: ignore[attr-defined]
        parsed.__annotations__ = {p.name: p.annotation for p in [*kept, *added]}
        return parsed

    return decorate


# ----------------------------------------------------------------------------- commands


def _version(value: bool) -> None:
    if value:
        _out(f"summarise {__version__}")
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
        help="Article files (.txt, .md, .html, .htm) and folders (walked recursively).",
        metavar="PATH",
        show_default=False,
        readable=False,  # an unreadable file is that article's failure, named in one line
    ),
]


_BRIEF_EXAMPLES = """Examples:

\b
  summarise brief seeds/                      # every article in seeds/ -> briefs/
  summarise brief inbox/ -o today/ --json     # and a run report on stdout
  summarise brief a.txt b.html --beams 1      # faster, greedy decoding
  summarise brief inbox/ --translator ./opus-mt-de-en --summariser ./distilbart
"""

_TRANSLATE_EXAMPLES = """Examples:

\b
  summarise translate seeds/                  # every article -> translations/
  summarise translate archive/ -o english/ --engine torch --device cuda
"""


@app.command(epilog=_BRIEF_EXAMPLES)
@with_run_options("brief")
def brief(paths: Paths, *, given: dict[str, Any], shown: Presentation) -> None:
    """Write an English brief (summary + translation + provenance) per article, and a digest."""
    _run(paths, "brief", given, shown)


@app.command(epilog=_TRANSLATE_EXAMPLES)
@with_run_options("translate")
def translate(paths: Paths, *, given: dict[str, Any], shown: Presentation) -> None:
    """Translate every article to English (.txt + .json per article), without summaries."""
    _run(paths, "translate", given, shown)


STANDARD_INPUT = Path("-")


def _run(paths: list[Path], command: Command, given: dict[str, Any], shown: Presentation) -> None:
    from .pipeline import run

    _configure_logging(shown.verbose)
    stop = _StopRequest()
    out = given["out"] or DEFAULT_FOLDERS[command]  # for the messages below, until options are resolved
    kind = "brief" if command == "brief" else "translation"
    filtering = STANDARD_INPUT in paths  # `-`: a Unix filter, the article in, its brief out
    if filtering:
        _check_filter(paths, given, shown)
    try:
        options = options_for(command, given)
        out = options.out_dir
        with contextlib.ExitStack() as temporary:
            if filtering:
                paths, out = _standard_input_as_a_file(temporary, options.max_bytes)
                options = replace(options, out_dir=out)
            with _progress(shown.quiet) as progress, _stop_on_first_signal(stop):
                report = run(paths, options, progress, stop.is_set)
            if stop.signal is not None:
                report.stop_signal = stop.signal
            if filtering:  # the brief's Markdown, or the translation's text, is the answer
                for article in report.articles:
                    answer = next(p for p in article.outputs if p.suffix in (".md", ".txt"))
                    _out(answer.read_text(encoding="utf-8").rstrip("\n"))
    except SummariseError as error:
        _fail(str(error))
    except KeyboardInterrupt:  # landed outside the pipeline's own handling (start-up, digest)
        _say(
            "interrupted"
            if filtering
            else f"interrupted: briefs already in {out} are whole; run the same command again"
        )
        raise typer.Exit(stop.exit_code()) from None
    except _StdoutUnwritable:
        raise
    except Exception as error:
        _unexpected(error, shown.verbose)
    for failure in report.failures:
        _say(f"error: {'-' if filtering else failure.path}: {failure.reason}")
    if report.aborted:
        _say(f"error: {report.aborted.reason}")
        if report.aborted.advice:
            written = len(report.articles)
            _say(
                f"stopped: {written} articles were written to {out} before it, whole; {report.aborted.advice}"
            )
    elif report.interrupted and filtering:
        _say("interrupted: nothing printed")
    elif report.interrupted:
        _say(
            f"interrupted: {len(report.articles)} articles done and written to {out}; "
            "run the same command again to do the rest"
        )
    elif not shown.quiet and not filtering:
        _say(_closing_line(report, kind, out))
    if shown.json_report:  # last: the report says the exit code the process ends with
        _out(json.dumps(report.to_json(), ensure_ascii=False))
    raise typer.Exit(report.exit_code)


def _check_filter(paths: list[Path], given: dict[str, Any], shown: Presentation) -> None:
    """`-` reads the article from standard input and writes the answer to standard output: alone."""
    if len(paths) > 1:
        _fail("- (standard input) is read alone: give either - or files and folders")
    if given["out"] is not None:
        _fail("-o: with - the answer goes to standard output (redirect it: > brief.md)")
    if shown.json_report:
        _fail("--json: with - standard output carries the answer; leave out one of them")


def _standard_input_as_a_file(temporary: contextlib.ExitStack, max_bytes: int) -> tuple[list[Path], Path]:
    """The article on standard input, as a file in a folder of its own (and its output folder):
    it goes through the same reading, caching and guard as any file. A web page (it starts with
    markup) is read as one. At most `max_bytes` + 1 bytes are read: more is refused by size."""
    import tempfile

    if sys.stdin.isatty():
        _say("reading the article from standard input (Ctrl-D ends it)")
    data = sys.stdin.buffer.read(max_bytes + 1)
    folder = Path(temporary.enter_context(tempfile.TemporaryDirectory(prefix="summarise-stdin-")))
    page = data.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))
    article = folder / ("standard-input.html" if page else "standard-input.txt")
    article.write_bytes(data)
    return [article], folder / "out"


def _closing_line(report: RunReport, kind: str, out: Path) -> str:
    """One line for the end of a run: what was written, what was already there, what went wrong."""
    written = [a for a in report.articles if a.rewritten]
    unchanged = len(report.articles) - len(written)
    restored = sum(1 for a in written if a.cached)  # outputs made again from the cache
    if not written and unchanged:
        line = f"nothing new in {out}: {_count(unchanged, kind)} unchanged"
    else:
        line = f"{_count(len(written), kind)} written to {out}"
    line += f" ({restored} from the cache)" if restored else ""
    line += f", {unchanged} unchanged" if unchanged and written else ""
    skipped = sum(1 for failure in report.failures if failure.skipped)
    if failed := len(report.failures) - skipped:
        line += f", {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    return line


def _count(number: int, noun: str, plural: str = "") -> str:
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


@models_app.command("list")
def models_list() -> None:
    """Show the configured models, their pinned revisions and where they resolve offline."""
    from . import manage

    _configure_logging(False)
    try:
        configured = manage.configured_models()
    except SummariseError as error:
        _fail(str(error))
    for model in configured:
        _out(f"{model.role}: {model.spec.name}")
        _out(f"  pinned revision: {model.spec.revision}")
        _out(f"  licence: {model.spec.licence or 'unknown'}")
        if (resolved := model.resolved) is not None:
            _out(f"  resolves to: {resolved.path} ({resolved.source}, revision {resolved.revision})")
        else:
            _out(f"  resolves to: nothing here ({model.problem})")


@models_app.command("pull")
def models_pull(
    pin: Annotated[
        bool,
        typer.Option(
            "--pin",
            help="Pin the resolved commits: in your config file, or in the manifest $SUMMARISE_MANIFEST "
            "names (the manifest shipped with summarise is never written).",
        ),
    ] = False,
) -> None:
    """Download the configured models into the Hugging Face cache (needs network)."""
    from . import manage

    _configure_logging(True)
    try:
        pulled = manage.pull_models(pin)
    except SummariseError as error:
        _fail(str(error))
    for model in pulled:
        _out(f"{model.role}: {model.spec.name} at {model.resolved.revision} in {model.resolved.path}")
        if model.pinned_in is not None:
            _out(f"  pinned in {model.pinned_in}")


@cache_app.command("stats")
def cache_stats(cache_dir: CacheDir = None) -> None:
    """Show where the cache is, what it holds and its size on disk."""
    from . import manage

    try:
        stats = manage.cache_stats(cache_dir)
        if stats is None:
            _out(f"cache: none at {manage.cache_folder(cache_dir)} yet (a run creates it)")
            return
    except SummariseError as error:
        _fail(str(error))
    _out(f"cache: {stats.path}")
    _out(f"  translation entries: {stats.translations}")
    _out(f"  summary entries: {stats.summaries}")
    _out(f"  segment entries: {stats.segments}")
    if last := stats.last_run:
        segments = last.segments_translated + last.segments_remembered
        _out(
            f"  last run ({last.finished}): {last.articles_from_cache} of {last.articles} articles "
            f"from the cache ({_share(last.articles_from_cache, last.articles)}), "
            f"{last.segments_remembered} of {segments} segments from the translation memory "
            f"({_share(last.segments_remembered, segments)})"
        )
    _out(f"  size on disk: {stats.size_bytes / 1024:.1f} KiB")
    if stats.converted_models:
        _out(
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
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Clear without asking (needed where no terminal can ask).")
    ] = False,
) -> None:
    """Delete every cached translation and summary, and the models converted for CTranslate2."""
    from . import manage

    try:
        folder = manage.cache_folder(cache_dir)
        if not manage.cache_present(cache_dir):
            _out(f"nothing to clear: no cache at {folder}")
            return
        if not yes:
            if not sys.stdin.isatty():
                _fail("cache clear deletes the whole cache: add --yes to clear it without being asked")
            try:
                stats = manage.cache_stats(cache_dir)
                assert stats is not None
                held = (
                    f"{_count(stats.translations, 'translation')}, "
                    f"{_count(stats.summaries, 'summary', 'summaries')} and "
                    f"{_count(stats.segments, 'remembered segment')} "
                    f"({stats.size_bytes / 2**20:.1f} MiB)"
                )
                if stats.converted_models and not keep_converted:
                    size = stats.converted_bytes / 2**20
                    held += f", and {stats.converted_models} converted models ({size:.0f} MiB)"
            except SummariseError:  # a damaged database: clearing is the cure, say so
                held = "a database that cannot be read"
            _say(f"{folder} holds {held}.")
            _say(
                "Cleared, the next run translates and summarises every article again"
                + (", and converts each model again (seconds each)." if not keep_converted else ".")
            )
            if not _confirmed("Clear the cache?"):
                _say("cache kept")
                raise typer.Exit(1)
        cleared = manage.clear_cache(cache_dir, keep_converted)
    except SummariseError as error:
        _fail(str(error))
    assert cleared is not None
    line = f"removed {cleared.entries} entries from {cleared.path}"
    if cleared.converted_models:
        line += f" and {cleared.converted_models} converted models"
    _out(line)


def _confirmed(question: str) -> bool:
    """Yes from the terminal (the question on stderr, nothing on stdout); no by default."""
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"{question} [y/N] ")
        sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


@app.command("config")
def config_show() -> None:
    """Show the effective settings of a run and where each comes from (config file, default)."""
    from .config import config_path, configured

    try:
        path = config_path()
        exists = load_config(path).exists
        settings = configured()
    except SummariseError as error:
        _fail(str(error))
    _out(f"config file: {path}{'' if exists else ' (none yet: every setting is a default)'}")
    for key, setting in settings.items():
        value = setting.value
        if key == "cache_dir" and value is None:
            from .manage import cache_folder

            value = cache_folder()
        shown = "(each model's own)" if key == "beams" and value is None else value
        shown = "(physical cores)" if key == "threads" and value is None else shown
        shown = "(as the cluster allows)" if key == "cluster_actors" and value is None else shown
        shown = "(the model's pinned or main)" if key.endswith("_revision") and value is None else shown
        shown = str(shown).lower() if isinstance(shown, bool) else shown  # as TOML writes it
        _out(f"  {key} = {_shown_default(shown)}  [{setting.source}]")


# ----------------------------------------------------------------------------- helpers


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def _progress(quiet: bool) -> Any:
    if quiet or not sys.stderr.isatty():
        return nullcontext(None)
    return _TqdmProgress()


class _TqdmProgress:
    """Two bars on a terminal: articles finished out of all (its ETA is the run's), and the phase
    the run is in with its own steps (segments translated, articles summarised), which moves
    while a wave is translated."""

    def __enter__(self) -> _TqdmProgress:
        from tqdm import tqdm
        from tqdm.contrib.logging import logging_redirect_tqdm

        # Warnings during the run are printed above the bars, not into them; the terminal's own
        # "^C" echo is switched off meanwhile, or it would be drawn into them too.
        self.terminal = _EchoControlOff()
        self.redirect = logging_redirect_tqdm(loggers=[log])
        self.redirect.__enter__()
        self.articles = tqdm(
            total=0, desc="articles", unit="article", dynamic_ncols=True, leave=False, bar_format=_NO_ETA_YET
        )
        self.current = tqdm(
            total=0, desc="starting", dynamic_ncols=True, leave=False, position=1, bar_format=_NO_STEPS
        )
        global _active_progress
        _active_progress = self
        # A batch of a slow model can take many seconds: redraw every second so that the clocks
        # run and the terminal shows the run is alive, not hung.
        self.stopped = threading.Event()
        self.ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
        self.ticker.start()
        return self

    def _tick(self) -> None:
        while not self.stopped.wait(1.0):
            self.articles.refresh()
            self.current.refresh()

    def __exit__(self, *exc: object) -> None:
        global _active_progress
        _active_progress = None
        self.stopped.set()
        self.ticker.join()
        self.current.close()
        self.articles.close()
        self.redirect.__exit__(None, None, None)
        self.terminal.restore()

    def start(self, total: int) -> None:
        self.articles.reset(total=total)
        self.phase("reading articles")

    def advance(self, articles: int = 1) -> None:
        if self.articles.n == 0:  # an estimate of the time left, once there is something to go by
            self.articles.bar_format = None
        self.articles.update(articles)

    def phase(self, description: str, total: int | None = None, unit: str = "") -> None:
        self.current.reset()
        self.current.total = total
        self.current.unit = unit or "it"
        # A phase without steps (loading a model) shows how long it has taken, not "0it [?it/s]".
        self.current.bar_format = None if total else _NO_STEPS
        self.current.set_description_str(description, refresh=True)

    def write(self, line: str) -> None:
        """A line above the bars (the bars are cleared first, then drawn again below it)."""
        from tqdm import tqdm

        tqdm.write(line, file=sys.stderr)

    def step(self, count: int = 1) -> None:
        self.current.update(count)


class _EchoControlOff:
    """The terminal's echo of control keys (Ctrl-C as "^C") off until restore(), where standard
    input is a terminal that has it."""

    def __init__(self) -> None:
        self.saved: list[Any] | None = None
        try:
            import termios

            # Only in the foreground: a background job that sets the terminal is stopped (SIGTTOU).
            if sys.stdin.isatty() and os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp():
                attributes = termios.tcgetattr(sys.stdin)
                self.saved = list(attributes)
                attributes[3] &= ~termios.ECHOCTL
                termios.tcsetattr(sys.stdin, termios.TCSANOW, attributes)
        except (ImportError, OSError, ValueError, AttributeError):  # not a POSIX terminal: as it is
            self.saved = None

    def restore(self) -> None:
        if self.saved is not None:
            import termios

            with contextlib.suppress(OSError, ValueError):
                termios.tcsetattr(sys.stdin, termios.TCSANOW, self.saved)


# The articles bar before the first article is done: no "?" where the time left will be.
_NO_ETA_YET = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}]"
_NO_STEPS = "{desc}: {elapsed}"  # a phase without a count of steps (loading a model): its time
_active_progress: _TqdmProgress | None = None  # the bars on the terminal, while a run draws them


# After a stop request, the work in flight has this long to finish before the run stops at once.
STOP_GRACE_SECONDS = 10.0
# Signals that ask a run to stop: Ctrl-C, a service manager, a closed terminal.
_STOP_SIGNALS: dict[int, str] = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}


class _StopRequest:
    """Set by the first stop signal; remembers which, for the exit code (128 + its number)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal: int | None = None
        self.timer: threading.Timer | None = None  # stops the run at once when the grace is over

    def is_set(self) -> bool:
        return self.event.is_set()

    def exit_code(self) -> int:
        return 128 + (self.signal or signal.SIGINT)


@contextlib.contextmanager
def _stop_on_first_signal(request: _StopRequest) -> Iterator[_StopRequest]:
    """The first Ctrl-C, SIGTERM or SIGHUP: finish the batches in flight, keep them, stop. A
    second one, or STOP_GRACE_SECONDS without the run reaching a point where it can stop (a batch
    that takes long, a file that takes long to read): stop at once, still nothing half-written."""
    if threading.current_thread() is not threading.main_thread():
        yield request  # signal handlers can only be set from the main thread (e.g. CliRunner in a thread)
        return
    lock = threading.Lock()
    active = True  # the handlers are ours: the grace timer may still interrupt

    def stop_now(signum: int) -> None:
        with lock:
            if active:  # as a second signal would: on_signal raises KeyboardInterrupt
                _thread.interrupt_main(signal.Signals(signum))

    def on_signal(signum: int, frame: object) -> None:
        if request.is_set():
            raise KeyboardInterrupt
        request.signal = signum
        request.event.set()
        request.timer = threading.Timer(STOP_GRACE_SECONDS, stop_now, args=(signum,))
        request.timer.daemon = True
        request.timer.start()
        _say(
            f"{_STOP_SIGNALS[signum]}: stopping after the current batch, within {STOP_GRACE_SECONDS:g} s "
            "(again to stop at once)"
        )

    previous = {signum: signal.signal(signum, on_signal) for signum in _STOP_SIGNALS}
    try:
        yield request
    finally:
        with lock:
            active = False
        if request.timer is not None:
            request.timer.cancel()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _printable(text: str) -> str:
    """File names that are not valid UTF-8 reach us with surrogates: show their bytes escaped."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _say(line: str) -> None:
    """One line on stderr (above the progress bars while they are drawn: a Ctrl-C message is
    not drawn over them). A closed or full stderr loses messages, never the work (nor the exit
    code)."""
    with contextlib.suppress(OSError, ValueError):
        if _active_progress is not None:
            _active_progress.write(_printable(line))
        else:
            typer.echo(_printable(line), err=True)


class _PrintableFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return _printable(super().format(record))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Log lines on stderr; where stderr takes none (closed, full), they are lost quietly."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def _configure_logging(verbose: bool) -> None:
    # transformers' weight-loading bars would be drawn into ours, -v or not; its own warnings are
    # noise for a user, and -v shows them. Environment, because both libraries read it when first
    # imported, which comes later.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if not verbose:
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    handler = _StderrHandler(sys.stderr)
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
        with contextlib.suppress(OSError, ValueError):
            traceback.print_exception(error, file=sys.stderr)
    first = first_line(error)
    hint = "" if verbose else " (--verbose shows where)"
    _say(f"error: unexpected {type(error).__name__}: {first}{hint}; please report it")
    raise typer.Exit(UNEXPECTED_EXIT)


def _guard_standard_streams() -> None:
    """Standard streams closed at start (`2>&-`): /dev/null in their place. Else the next file
    opened would take the number, and every message would be written into it (a brief, the
    cache's database). What would have been printed there is lost, nothing else."""
    for fd in (0, 1, 2):  # in order: os.open takes the lowest free number
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    for name, mode in (("stdin", "r"), ("stdout", "w"), ("stderr", "w")):
        if getattr(sys, name) is None:  # Python found the stream closed
            setattr(sys, name, open(os.devnull, mode))  # noqa: SIM115 (for the life of the process)


class _StdoutUnwritable(Exception):
    """Printing to standard output failed: the OSError it gave."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _out(text: str) -> None:
    """A line on standard output (a command's answer, the run report)."""
    try:
        typer.echo(text)
    except ValueError:  # closed by the program itself
        raise _StdoutUnwritable(OSError(errno.EBADF, "it is closed")) from None
    except OSError as error:
        raise _StdoutUnwritable(error) from None


# What writing to a stream that takes nothing raises (click's own help text ends in main()).
_UNWRITABLE = {errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EBADF}


def _stdout_unwritable(error: OSError) -> NoReturn:
    """Standard output takes nothing (a full disk, a pipe whose reader is gone): one line on stderr
    and exit 2; what the command did before is whole. /dev/null in its place, so that the exit
    does not try (and fail) to print the rest."""
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    _say(f"error: cannot write to standard output: {error.strerror or error}")
    sys.exit(2)


def main() -> None:
    _guard_standard_streams()
    try:
        app()
    except _StdoutUnwritable as failure:
        _stdout_unwritable(failure.error)
    except Exception as error:  # outside a run (its own handler catches those): still one line
        if isinstance(error, OSError) and error.errno in _UNWRITABLE:  # the help text, --version
            _stdout_unwritable(error)
        try:
            _unexpected(error, "--verbose" in sys.argv or "-v" in sys.argv)
        except typer.Exit as done:
            sys.exit(done.exit_code)
