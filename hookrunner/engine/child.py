"""Start a task's child process, and stop one nobody supervises yet.

This module imports no event loop: the command starts a run's first command
lines with it before asyncio is imported (see :mod:`hookrunner.cli.headstart`),
and :mod:`hookrunner.engine.process` starts every other one the same way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence

GRACE_PERIOD = 1.0
"""Seconds between SIGTERM and SIGKILL when stopping a task."""


def start_child(
    argv: Sequence[str], cwd: str | os.PathLike[str] | None, env: Mapping[str, str] | None
) -> subprocess.Popen[bytes]:
    """``argv`` in a session of its own (its whole group can be signalled, and a
    terminal's Ctrl-C reaches only us), stdin from /dev/null, stdout and stderr
    on one pipe so their order is kept."""
    return subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        close_fds=True,
    )


def exited(popen: subprocess.Popen[bytes]) -> bool:
    """Whether the child has exited, without reaping it: while it is unreaped its
    pid still names its group, so what it left there can still be killed."""
    try:
        return os.waitid(os.P_PID, popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def signal_group(popen: subprocess.Popen[bytes], signum: int) -> None:
    # Only while the leader is unreaped is its pid sure to name our group.
    if popen.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(popen.pid, signum)


def stop_child(popen: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the group, wait up to ``grace`` seconds for the child, SIGKILL
    what is left of the group, reap the child and close its pipe."""
    signal_group(popen, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while not exited(popen) and time.monotonic() < deadline:
        time.sleep(0.005)
    signal_group(popen, signal.SIGKILL)
    popen.wait()
    if popen.stdout is not None:
        popen.stdout.close()
