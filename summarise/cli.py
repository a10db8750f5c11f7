"""The command line: parses options, calls the library, prints one line per problem.

Typed errors from the library become one-line messages here and nowhere else. Exit codes: 0 every
article done, 1 some articles failed (the rest were written), 2 usage or configuration error, or a
run that had to stop (disk full, cache unusable, standard output unwritable), 70 an unexpected error
(a bug: one line, and the traceback with --verbose), 128 + the signal that stopped it (130 Ctrl-C).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import logging
import sys
import traceback
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
import typer.core

from . import __version__
from .config import load_config, options_for
from .errors import SummariseError, first_line
from .options import (
    DEFAULT_FOLDERS,
    FEED_INTERVAL_SECONDS,
    IDLE_RELEASE_SECONDS,
    OPTION_BY_KEY,
    OPTIONS,
    SETTLE_SECONDS,
    Command,
    OptionSpec,
)
from .terminal import (
    UNWRITABLE,
    StdoutUnwritable,
    StopRequest,
    configure_logging,
    guard_standard_streams,
    out,
    progress_bars,
    say,
    stdout_unwritable,
    stop_on_first_signal,
)

if TYPE_CHECKING:
    from .report import ArticleFailure, RunReport


class _OneLineUsageErrors(typer.core.TyperGroup):
    """Usage errors (an unknown option, a bad value) as one `error:` line and exit 2, like the
    tool's own errors, instead of click's box of usage text."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        standalone_mode = kwargs.get("standalone_mode", True)
        kwargs["standalone_mode"] = False  # errors come back to us instead of being printed
        try:
            code = super().main(*args, **kwargs)
        except typer.Abort:  # end of input at a prompt
            say("error: aborted")
            code = 1
        except Exception as error:
            if not (hasattr(error, "format_message") and hasattr(error, "exit_code")):
                raise  # not a usage error: main() reports it
            if type(error).__name__ == "NoArgsIsHelpError":  # `summarise` alone: the help, as a usage error
                error.show()  # type: ignore[attr-defined]
                code = 2
            else:
                say(f"error: {_usage_message(error)}")
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
    (
        "quiet",
        Annotated[
            bool,
            typer.Option(
                "--quiet",
                "-q",
                help="No progress bar, no summary line, and nothing said of files skipped or failing as they "
                "failed before: only what newly went wrong (for a cron job's mail).",
            ),
        ],
    ),
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
        out(f"summarise {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    pass


Paths = Annotated[
    list[str] | None,  # text, not Path: a web address keeps its "//"; none: the feeds alone (--feed)
    typer.Argument(
        help="Article files (.txt, .md, .html, .htm), folders (walked recursively) and web addresses "
        "(http:// or https://: fetched, kept in OUT/.pages, briefed like a saved page).",
        metavar="PATH",
        show_default=False,
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
def brief(paths: Paths = None, *, given: dict[str, Any], shown: Presentation) -> None:
    """Write an English brief (summary + translation + provenance) per article, and a digest."""
    _run(paths, "brief", given, shown)


@app.command(epilog=_TRANSLATE_EXAMPLES)
@with_run_options("translate")
def translate(paths: Paths = None, *, given: dict[str, Any], shown: Presentation) -> None:
    """Translate every article to English (.txt + .json per article), without summaries."""
    _run(paths, "translate", given, shown)


_WATCH_EXAMPLES = """Examples:

\b
  summarise watch ~/inbox -o ~/briefs          # brief what arrives, until Ctrl-C or SIGTERM
  summarise watch /mnt/share/inbox --poll      # a network share: look every second
"""


@app.command(epilog=_WATCH_EXAMPLES)
@with_run_options("brief")
def watch(
    inboxes: Annotated[
        list[Path],
        typer.Argument(
            help="Folders to watch (recursively); articles in them when the watch starts are briefed first.",
            metavar="INBOX",
            show_default=False,
            readable=False,
        ),
    ],
    poll: Annotated[
        bool,
        typer.Option(
            "--poll",
            help="Look at the folders every second instead of waiting for the system's events (network "
            "shares and other file systems whose changes raise no events).",
        ),
    ] = False,
    settle: Annotated[
        float,
        typer.Option(
            "--settle",
            min=0.1,
            max=3600.0,
            help="Seconds a file's size and time must stay the same before it counts as complete (a "
            "file closed after writing, or renamed into place, counts at once).",
        ),
    ] = SETTLE_SECONDS,
    release_after: Annotated[
        float,
        typer.Option(
            "--release-after",
            min=1.0,
            max=7 * 86_400.0,
            help="Seconds without work after which the models are released (memory back to the system; "
            "the next article loads them again, seconds).",
        ),
    ] = IDLE_RELEASE_SECONDS,
    feed_every: Annotated[
        float,
        typer.Option(
            "--feed-every",
            min=10.0,
            max=7 * 86_400.0,
            help="Seconds between two readings of the feeds (--feed, or the config file's feeds).",
        ),
    ] = FEED_INTERVAL_SECONDS,
    *,
    given: dict[str, Any],
    shown: Presentation,
) -> None:
    """Brief each article that arrives in INBOX once it is complete, and again when it changes."""
    from .watch import Watcher, WatchSettings

    configure_logging(shown.verbose)
    for inbox in inboxes:
        if not inbox.is_dir():
            _fail(f"{inbox}: not a folder (watch takes the folders articles arrive in)")
    stop = StopRequest()
    out_dir = given["out"] or DEFAULT_FOLDERS["brief"]  # for the messages, until options are resolved
    told: set[tuple[str, str]] = set()  # failures already said: a file that keeps failing is said once

    def on_run(report: RunReport, why: str) -> None:
        _say_watch_run(report, why, told, shown, out_dir)

    try:
        options = options_for("brief", given)
        out_dir = options.out_dir
        settings = WatchSettings(
            polling=poll, settle=settle, idle_release=release_after, feed_interval=feed_every
        )
        watcher = Watcher(
            inboxes,
            options,
            settings,
            on_run,
            stop.is_set,
            on_release=lambda: log.info("models released after %g s without work", release_after),
        )
        with stop_on_first_signal(stop):  # before the line that says it is watching: it is
            if not shown.quiet:
                where = ", ".join(str(i) for i in inboxes)
                say(f"watching {where} (Ctrl-C stops); briefs in {out_dir}")
            last = watcher.run()
    except SummariseError as error:
        _fail(str(error))
    except KeyboardInterrupt:  # a second signal, or a batch that outlasted the grace
        say(f"stopped: briefs in {out_dir} are whole; run the same command again to go on")
        raise typer.Exit(0) from None
    except StdoutUnwritable:
        raise
    except Exception as error:
        _unexpected(error, shown.verbose)
    if last is not None and last.aborted:
        raise typer.Exit(2)
    if not shown.quiet:
        say(f"stopped: briefs in {out_dir} are whole")
    raise typer.Exit(0)


def _say_watch_run(
    report: RunReport, why: str, told: set[tuple[str, str]], shown: Presentation, out_dir: Path
) -> None:
    """What a run of the watch did, in a line stamped with the local time; each failure once."""
    for failure in report.failures:
        if (str(failure.path), failure.reason) not in told:
            told.add((str(failure.path), failure.reason))
            if failure.news or not shown.quiet:
                say(_failure_line(failure, str(failure.path)))
    if report.aborted:
        say(f"error: {report.aborted.reason}")
    elif not shown.quiet and (why == "start" or any(a.rewritten for a in report.articles)):
        stamp = datetime.now().astimezone().strftime("%H:%M:%S")
        nothing = not report.articles and not report.failures
        say(f"{stamp} {'no articles yet' if nothing else _closing_line(report, 'brief', out_dir)}")
    if shown.json_report:  # one line per run: JSON Lines
        out(json.dumps(report.to_json(), ensure_ascii=False))


STANDARD_INPUT = "-"


def _run(given_paths: list[str] | None, command: Command, given: dict[str, Any], shown: Presentation) -> None:
    given_paths = given_paths or []
    from .pipeline import run

    configure_logging(shown.verbose)
    stop = StopRequest()
    out_dir = given["out"] or DEFAULT_FOLDERS[command]  # for the messages below, until options are resolved
    kind = "brief" if command == "brief" else "translation"
    filtering = STANDARD_INPUT in given_paths  # `-`: a Unix filter, the article in, its brief out
    if filtering:
        _check_filter(given_paths, given, shown)
    paths: Sequence[Path | str] = given_paths
    try:
        options = options_for(command, given)
        out_dir = options.out_dir
        with contextlib.ExitStack() as temporary:
            if filtering:
                paths, out_dir = _standard_input_as_a_file(temporary, options.max_bytes)
                options = replace(options, out_dir=out_dir)
            with progress_bars(shown.quiet) as progress, stop_on_first_signal(stop):
                report = run(paths, options, progress, stop.is_set)
            if stop.signal is not None:
                report.stop_signal = stop.signal
            if filtering:  # the brief's Markdown, or the translation's text, is the answer
                for article in report.articles:
                    answer = next(p for p in article.outputs if p.suffix in (".md", ".txt"))
                    out(answer.read_text(encoding="utf-8").rstrip("\n"))
    except SummariseError as error:
        _fail(str(error))
    except KeyboardInterrupt:  # landed outside the pipeline's own handling (start-up, digest)
        say(
            "interrupted"
            if filtering
            else f"interrupted: briefs already in {out_dir} are whole; run the same command again"
        )
        raise typer.Exit(stop.exit_code()) from None
    except StdoutUnwritable:
        raise
    except Exception as error:
        _unexpected(error, shown.verbose)
    for failure in report.failures:
        if failure.news or not shown.quiet:  # quiet: only what newly went wrong (a cron job's mail)
            say(_failure_line(failure, "-" if filtering else str(failure.path)))
    if report.aborted:
        say(f"error: {report.aborted.reason}")
        if report.aborted.advice:
            written = len(report.articles)
            advice = report.aborted.advice
            say(f"stopped: {written} articles were written to {out_dir} before it, whole; {advice}")
    elif report.interrupted and filtering:
        say("interrupted: nothing printed")
    elif report.interrupted:
        say(
            f"interrupted: {len(report.articles)} articles done and written to {out_dir}; "
            "run the same command again to do the rest"
        )
    elif not shown.quiet and not filtering:
        say(_closing_line(report, kind, out_dir))
    if shown.json_report:  # last: the report says the exit code the process ends with
        out(json.dumps(report.to_json(), ensure_ascii=False))
    raise typer.Exit(report.exit_code)


def _failure_line(failure: ArticleFailure, path: str) -> str:
    """An article that failed, or was skipped, in one line; one that fails as it failed before
    (unchanged) says since when, and is no news."""
    if failure.skipped:
        return f"skipped: {path}: {failure.reason}"
    if failure.failing_since:
        return f"still failing: {path}: {failure.reason} (since {failure.since_shown})"
    return f"error: {path}: {failure.reason}"


def _check_filter(paths: list[str], given: dict[str, Any], shown: Presentation) -> None:
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
        say("reading the article from standard input (Ctrl-D ends it)")
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
    if failed := sum(1 for failure in report.failures if failure.news):
        line += f", {failed} failed"
    if still := len(report.failures) - skipped - failed:
        line += f", {still} still failing"
    if skipped:
        line += f", {skipped} skipped"
    return line


def _count(number: int, noun: str, plural: str = "") -> str:
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


@models_app.command("list")
def models_list() -> None:
    """Show the configured models, their pinned revisions and where they resolve offline."""
    from . import manage

    configure_logging(False)
    try:
        configured = manage.configured_models()
    except SummariseError as error:
        _fail(str(error))
    for model in configured:
        out(f"{model.role}: {model.spec.name}")
        out(f"  pinned revision: {model.spec.revision}")
        out(f"  licence: {model.spec.licence or 'unknown'}")
        if (resolved := model.resolved) is not None:
            out(f"  resolves to: {resolved.path} ({resolved.source}, revision {resolved.revision})")
        else:
            out(f"  resolves to: nothing here ({model.problem})")


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

    configure_logging(True)
    try:
        pulled = manage.pull_models(pin)
    except SummariseError as error:
        _fail(str(error))
    for model in pulled:
        out(f"{model.role}: {model.spec.name} at {model.resolved.revision} in {model.resolved.path}")
        if model.pinned_in is not None:
            out(f"  pinned in {model.pinned_in}")


@cache_app.command("stats")
def cache_stats(cache_dir: CacheDir = None) -> None:
    """Show where the cache is, what it holds and its size on disk."""
    from . import manage

    try:
        stats = manage.cache_stats(cache_dir)
        if stats is None:
            out(f"cache: none at {manage.cache_folder(cache_dir)} yet (a run creates it)")
            return
    except SummariseError as error:
        _fail(str(error))
    out(f"cache: {stats.path}")
    out(f"  translation entries: {stats.translations}")
    out(f"  summary entries: {stats.summaries}")
    out(f"  segment entries: {stats.segments}")
    if last := stats.last_run:
        segments = last.segments_translated + last.segments_remembered
        out(
            f"  last run ({last.finished}): {last.articles_from_cache} of {last.articles} articles "
            f"from the cache ({_share(last.articles_from_cache, last.articles)}), "
            f"{last.segments_remembered} of {segments} segments from the translation memory "
            f"({_share(last.segments_remembered, segments)})"
        )
    out(f"  size on disk: {stats.size_bytes / 1024:.1f} KiB")
    if stats.converted_models:
        out(
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
            out(f"nothing to clear: no cache at {folder}")
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
            say(f"{folder} holds {held}.")
            say(
                "Cleared, the next run translates and summarises every article again"
                + (", and converts each model again (seconds each)." if not keep_converted else ".")
            )
            if not _confirmed("Clear the cache?"):
                say("cache kept")
                raise typer.Exit(1)
        cleared = manage.clear_cache(cache_dir, keep_converted)
    except SummariseError as error:
        _fail(str(error))
    assert cleared is not None
    line = f"removed {cleared.entries} entries from {cleared.path}"
    if cleared.converted_models:
        line += f" and {cleared.converted_models} converted models"
    out(line)


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
    out(f"config file: {path}{'' if exists else ' (none yet: every setting is a default)'}")
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
        out(f"  {key} = {_shown_default(shown)}  [{setting.source}]")


# ----------------------------------------------------------------------------- helpers


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def _fail(message: str) -> NoReturn:
    say(f"error: {message}")
    raise typer.Exit(2)


def _unexpected(error: BaseException, verbose: bool) -> NoReturn:
    """The last resort: an error nobody expected is a bug; one line, the traceback on request."""
    if verbose:
        with contextlib.suppress(OSError, ValueError):
            traceback.print_exception(error, file=sys.stderr)
    first = first_line(error)
    hint = "" if verbose else " (--verbose shows where)"
    say(f"error: unexpected {type(error).__name__}: {first}{hint}; please report it")
    raise typer.Exit(UNEXPECTED_EXIT)


def main() -> None:
    guard_standard_streams()
    try:
        app()
    except StdoutUnwritable as failure:
        stdout_unwritable(failure.error)
    except Exception as error:  # outside a run (its own handler catches those): still one line
        if isinstance(error, OSError) and error.errno in UNWRITABLE:  # the help text, --version
            stdout_unwritable(error)
        try:
            _unexpected(error, "--verbose" in sys.argv or "-v" in sys.argv)
        except typer.Exit as done:
            sys.exit(done.exit_code)
