"""The terminal side of the command line: progress bars that stay out of the way of messages,
one-line messages on stderr, answers on stdout (and what to do when it takes nothing), logging,
and the stop signals (Ctrl-C, SIGTERM, SIGHUP: finish what is in flight, keep it, stop).
"""

from __future__ import annotations

import _thread
import contextlib
import errno
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any, NoReturn

import typer

log = logging.getLogger("summarise")


def progress_bars(quiet: bool) -> Any:
    if quiet or not sys.stderr.isatty():
        return nullcontext(None)
    return TqdmProgress()


class TqdmProgress:
    """Two bars on a terminal: articles finished out of all (its ETA is the run's), and the phase
    the run is in with its own steps (segments translated, articles summarised), which moves
    while a wave is translated."""

    def __enter__(self) -> TqdmProgress:
        from tqdm import tqdm
        from tqdm.contrib.logging import logging_redirect_tqdm

        # Warnings during the run are printed above the bars, not into them; the terminal's own
        # "^C" echo is switched off meanwhile, or it would be drawn into them too.
        self.terminal = EchoControlOff()
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


class EchoControlOff:
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
_active_progress: TqdmProgress | None = None  # the bars on the terminal, while a run draws them


# After a stop request, the work in flight has this long to finish before the run stops at once.
STOP_GRACE_SECONDS = 10.0
# Signals that ask a run to stop: Ctrl-C, a service manager, a closed terminal.
_STOP_SIGNALS: dict[int, str] = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}


class StopRequest:
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
def stop_on_first_signal(request: StopRequest) -> Iterator[StopRequest]:
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
        say(
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


def printable(text: str) -> str:
    """File names that are not valid UTF-8 reach us with surrogates: show their bytes escaped."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def say(line: str) -> None:
    """One line on stderr (above the progress bars while they are drawn: a Ctrl-C message is
    not drawn over them). A closed or full stderr loses messages, never the work (nor the exit
    code)."""
    with contextlib.suppress(OSError, ValueError):
        if _active_progress is not None:
            _active_progress.write(printable(line))
        else:
            typer.echo(printable(line), err=True)


class _PrintableFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Log lines on stderr; where stderr takes none (closed, full), they are lost quietly."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def configure_logging(verbose: bool) -> None:
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


def guard_standard_streams() -> None:
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


class StdoutUnwritable(Exception):
    """Printing to standard output failed: the OSError it gave."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def out(text: str) -> None:
    """A line on standard output (a command's answer, the run report)."""
    try:
        typer.echo(text)
    except ValueError:  # closed by the program itself
        raise StdoutUnwritable(OSError(errno.EBADF, "it is closed")) from None
    except OSError as error:
        raise StdoutUnwritable(error) from None


# What writing to a stream that takes nothing raises (click's own help text ends in main()).
UNWRITABLE = {errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EBADF}


def stdout_unwritable(error: OSError) -> NoReturn:
    """Standard output takes nothing (a full disk, a pipe whose reader is gone): one line on stderr
    and exit 2; what the command did before is whole. /dev/null in its place, so that the exit
    does not try (and fail) to print the rest."""
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    say(f"error: cannot write to standard output: {error.strerror or error}")
    sys.exit(2)
