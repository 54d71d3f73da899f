"""The ``hookrunner`` entry point: the usual run without click, the rest with it."""

from __future__ import annotations

import io
import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType
from typing import Any, NoReturn

from hookrunner.errors import HookrunnerError


def _terminate(signum: int, frame: FrameType | None) -> NoReturn:
    raise SystemExit(128 + signum)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, as our own handler raises it.

    Python's handler raises KeyboardInterrupt itself, and when that lands in
    code run from a string (``exec``/``eval``, which namedtuple and dataclass
    creation use while a module is imported) CPython marks the interrupt as
    unhandled, even once it is caught: ``python -m hookrunner`` then ends as
    killed by SIGINT instead of with its exit code. A subclass is not marked.
    """


def _interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    raise Interrupted


_lost: list[BaseException] = []


def _deliver_lost(signum: int, frame: FrameType | None) -> NoReturn:
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    raise _lost.pop()


def _reraise_lost_signal(unraisable: Any) -> None:
    """A Ctrl-C or SIGTERM whose handler raised inside a finalizer (say a
    Popen's ``__del__``) is printed and dropped by Python, and the run would
    go on. Raise it again a moment later, in ordinary code (raising it here
    would be dropped the same way), so the run stops and puts the work back."""
    exc = unraisable.exc_value
    lost = isinstance(exc, KeyboardInterrupt) or (
        isinstance(exc, SystemExit) and exc.code == 128 + signal.SIGTERM
    )
    if not lost:
        sys.__unraisablehook__(unraisable)
        return
    _lost[:] = [exc]
    signal.signal(signal.SIGALRM, _deliver_lost)
    signal.setitimer(signal.ITIMER_REAL, 0.001)


def main(argv: Sequence[str] | None = None) -> None:
    started = time.perf_counter()
    args = list(argv) if argv is not None else sys.argv[1:]
    # A task's output goes to whatever the terminal can show: a character its
    # encoding lacks becomes "?" rather than a crash in the middle of a run.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    sys.unraisablehook = _reraise_lost_signal
    # This process never speaks TLS; without this asyncio imports ssl just in
    # case, and a hook pays for it on every commit.
    if "ssl" not in sys.modules:
        sys.modules["ssl"] = None  # type: ignore[assignment]
    # SIGTERM must unwind like Ctrl-C so that `finally` blocks put the
    # user's unstaged work back.
    signal.signal(signal.SIGTERM, _terminate)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupt)
    try:
        from hookrunner.cli.argv import parse_run

        options = parse_run(args)
        if options is None:
            from hookrunner.cli import commands as cli

            cli.main(args)
        else:
            from hookrunner.cli.quick import attempt

            answer = attempt(options, started)
            if answer.code is not None:
                sys.exit(answer.code)
            from hookrunner.cli.full import run_session

            stdin = None if answer.stdin is None else io.StringIO(answer.stdin)
            sys.exit(run_session(options, stdin))
    except HookrunnerError as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("hookrunner: interrupted", file=sys.stderr)
        sys.exit(130)
