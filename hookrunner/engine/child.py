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
LOW_PRIORITY = 10
"""The nice value of a task started with ``low_priority``."""

_whole: frozenset[int] | None = None
"""While a core is kept for the tasks that do not yield (:func:`keep_core`):
every CPU this process could run on before."""
_yielding: set[int] = set()
"""The sessions started with ``low_priority`` while a core is kept."""


def start_child(
    argv: Sequence[str],
    cwd: str | os.PathLike[str] | None,
    env: Mapping[str, str] | None,
    low_priority: bool = False,
) -> subprocess.Popen[bytes]:
    """``argv`` in a session of its own (its whole group can be signalled, and a
    terminal's Ctrl-C reaches only us), stdin from /dev/null, stdout and stderr
    on one pipe so their order is kept. ``low_priority``: it yields the CPU to
    the run's other tasks (see :func:`lower_priority`)."""
    popen = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        close_fds=True,
    )
    if low_priority:
        lower_priority(popen.pid)
        if _whole is not None:
            _yielding.add(popen.pid)
    elif _whole is not None:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(popen.pid, _whole)
    return popen


def keep_core() -> bool:
    """Keep one CPU for the tasks that do not yield (the critical path).

    A lower priority alone still lets the yielding tasks, and this process,
    take turns on the critical task's core: on 2 cores that cost a pytest run
    ~10% of its time. From here on this process, and what it starts with
    ``low_priority``, run on the other CPUs; a child started without it gets
    every CPU back (:func:`start_child`), so a task that runs workers in
    parallel keeps them all. :func:`share_cores` ends it. False where there
    is only one CPU, or no affinity to set."""
    global _whole
    try:
        whole = frozenset(os.sched_getaffinity(0))
        if len(whole) < 2:
            return False
        os.sched_setaffinity(0, whole - {max(whole)})
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return False
    _whole = whole
    return True


def share_cores() -> None:
    """Every CPU back to this process and to every process of the yielding
    tasks' sessions (their children too), once the critical path is over."""
    global _whole
    whole, _whole = _whole, None
    if whole is None:
        return
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, whole)
    sessions = set(_yielding)
    _yielding.clear()
    for pid in _in_sessions(sessions) if sessions else ():
        with contextlib.suppress(OSError):
            os.sched_setaffinity(pid, whole)


def _stat_fields(pid: int | str) -> list[bytes]:
    """The fields of ``/proc/PID/stat`` after the command name (the state first)."""
    with open(f"/proc/{pid}/stat", "rb") as stat:
        return stat.read().rsplit(b")", 1)[1].split()


def _in_sessions(sessions: set[int]) -> list[int]:
    """The processes whose session id is in ``sessions``, from /proc."""
    found = []
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    fields = _stat_fields(entry.name)
                except OSError:  # pragma: no cover - it ended meanwhile
                    continue
                if int(fields[3]) in sessions:
                    found.append(int(entry.name))
    return found


def lower_priority(pid: int) -> None:
    """Give the session ``pid`` leads the nice value :data:`LOW_PRIORITY`.

    Where Linux groups the CPU time by session (``sched_autogroup_enabled``),
    a process's own nice value only weighs it against its own session, so the
    session's (``/proc/PID/autogroup``) is set; elsewhere the process's own.
    Raising a nice value needs no privilege; failing to is not an error."""
    try:
        with open("/proc/sys/kernel/sched_autogroup_enabled", "rb") as flag:
            grouped = flag.read().strip() == b"1"
        if grouped:
            with open(f"/proc/{pid}/autogroup", "w") as group:
                group.write(str(LOW_PRIORITY))
            return
    except OSError:
        pass
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, pid, LOW_PRIORITY)


def exited(popen: subprocess.Popen[bytes]) -> bool:
    """Whether the child has exited, without reaping it: while it is unreaped its
    pid still names its group, so what it left there can still be killed."""
    try:
        return os.waitid(os.P_PID, popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """The CPU time (user and system) of exited, unreaped child ``pid`` and of
    the children it waited for; None where /proc does not say."""
    try:
        fields = _stat_fields(pid)
        return sum(int(field) for field in fields[11:15]) / _TICK
    except (OSError, ValueError, IndexError):
        return None


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
