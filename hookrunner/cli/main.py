"""The ``hookrunner`` entry point: the usual run without click, the rest with it."""

from __future__ import annotations

import gc
import io
import os
import signal
import sys
import time
from collections.abc import Sequence

from hookrunner.engine import signals
from hookrunner.errors import HookrunnerError


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line ``argv`` (the process's own when None) and exit."""
    if argv is not None:
        _main(list(argv))
        return
    caller = sys._getframe(1).f_globals.get("__file__")
    try:
        _main(sys.argv[1:])
    except SystemExit as exc:
        # Only the program Python was started with (the console script,
        # ``python -m hookrunner``) ends the process: code that runs it
        # in-process, catching its SystemExit, goes on.
        if isinstance(caller, str) and sys.argv and _same_file(caller, sys.argv[0]):
            _leave(exc)
        raise


def _same_file(one: str, other: str) -> bool:
    return os.path.realpath(one) == os.path.realpath(other)


def _leave(exc: SystemExit) -> None:
    """End the process at once with the exit's code, once its output and the
    ``atexit`` work are done; returns when that cannot be shown safe.

    The interpreter's own teardown (freeing every module a run imported,
    asyncio's among them) costs a run more than its git calls, and does
    nothing a finished run needs: every child was waited for, every file the
    run wrote was closed by its ``with`` block."""
    code = exc.code
    if not (code is None or isinstance(code, int)) or sys.flags.inspect:
        return  # a message for Python to print, or a prompt to open
    threading = sys.modules.get("threading")
    if threading is not None:
        main_thread = threading.main_thread()
        if any(not t.daemon for t in threading.enumerate() if t is not main_thread):
            return  # the teardown waits for it
    import atexit

    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # a signal meanwhile, a closed pipe: Python's teardown
        return  # reports it, and chooses the exit code, as ever
    os._exit(code or 0)


def _main(args: list[str]) -> None:
    started = time.perf_counter()
    # A task's output goes to whatever the terminal can show: a character its
    # encoding lacks becomes "?" rather than a crash in the middle of a run.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    # This process never speaks TLS; without this asyncio imports ssl just in
    # case, and a hook pays for it on every commit.
    if "ssl" not in sys.modules:
        sys.modules["ssl"] = None  # type: ignore[assignment]
    signals.install()
    # Importing makes many objects and no garbage: the collector would only
    # walk them again and again. It is back on once the imports are done
    # (hookrunner.cli.full, before the tasks start), and here after.
    collecting = gc.isenabled()
    gc.disable()
    try:
        from hookrunner.cli.argv import parse_run

        options = parse_run(args)
        if options is None:
            from hookrunner.cli import commands

            commands.main(args)
        else:
            from hookrunner.cli.quick import attempt

            answer = attempt(options, started)
            if answer.code is not None:
                sys.exit(answer.code)
            from hookrunner.cli.full import run_session

            sys.exit(run_session(options, answer.ref_lines))
    except HookrunnerError as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("hookrunner: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        # Whoever read the output went away (``| head``): the run was stopped
        # and cleaned up as for a signal; exit as a process that SIGPIPE
        # ended would, without Python failing again to flush stdout.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(128 + signal.SIGPIPE)
    finally:
        if collecting:
            gc.enable()
        else:
            gc.disable()
