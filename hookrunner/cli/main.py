"""The ``hookrunner`` entry point: the usual run without click, the rest with it."""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Sequence

from hookrunner.engine import signals
from hookrunner.errors import HookrunnerError


def main(argv: Sequence[str] | None = None) -> None:
    started = time.perf_counter()
    args = list(argv) if argv is not None else sys.argv[1:]
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
