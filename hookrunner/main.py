"""The ``hookrunner`` entry point: the usual run without click, the rest with it."""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import NoReturn

from hookrunner.errors import HookrunnerError


def _terminate(signum: int, frame: FrameType | None) -> NoReturn:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> None:
    args = list(argv) if argv is not None else sys.argv[1:]
    # This process never speaks TLS; without this asyncio imports ssl just in
    # case, and a hook pays for it on every commit.
    if "ssl" not in sys.modules:
        sys.modules["ssl"] = None  # type: ignore[assignment]
    # SIGTERM must unwind like Ctrl-C so that `finally` blocks put the
    # user's unstaged work back.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        from hookrunner.argv import parse_run

        options = parse_run(args)
        if options is None:
            from hookrunner import cli

            cli.main(args)
        else:
            from hookrunner.session import run_session

            sys.exit(run_session(options))
    except HookrunnerError as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("hookrunner: interrupted", file=sys.stderr)
        sys.exit(130)
