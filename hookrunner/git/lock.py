"""One run at a time may change a work tree: the repository lock.

The lock is an ``flock`` on a file in the git directory, so the kernel drops
it when its holder dies, however it dies; the holder's pid is written into the
file only for a waiting run to name it. The same primitives mark the patch
files that hold a run's hidden unstaged work: a patch whose lock can be taken
belongs to a run that is gone.

This module imports nothing costly: a run answered from the cache takes the
lock too.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from hookrunner.errors import HookrunnerError

LOCK_NAME = "hookrunner.lock"
"""In the git directory: held by the run that may change the work tree."""
PATCH_PREFIX = "hookrunner-patch-"
"""In the git directory: unstaged work saved by a run (``<prefix><time>-<pid>.patch``)."""


def open_lock(git_dir: str) -> int:
    """The repository lock's file, opened (see :data:`LOCK_NAME`)."""
    return os.open(os.path.join(git_dir, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)


def try_lock(fd: int) -> bool:
    """Lock the file ``fd`` if no one holds it now; the kernel drops it if we die."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _sign(fd: int) -> None:
    """Leave our pid in the lock's file, for a run that waits to name us."""
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)


def _owner(fd: int) -> str:
    return os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"


def _wait(fd: int, git_dir: str, wait: float) -> None:
    owner = _owner(fd)
    print(f"hookrunner: waiting for another run in this repository (pid {owner})", file=sys.stderr)
    deadline = time.monotonic() + wait
    while not try_lock(fd):
        if time.monotonic() >= deadline:
            raise HookrunnerError(
                f"another hookrunner run (pid {owner}) still holds "
                f"{os.path.join(git_dir, LOCK_NAME)} after {wait:g}s; stopping so that "
                "two runs never change the work tree at once"
            )
        time.sleep(0.05)


@contextmanager
def repo_lock(git_dir: str | os.PathLike[str], wait: float | None = 300.0) -> Iterator[bool]:
    """Hold the repository lock inside the block.

    With ``wait`` seconds, wait that long for another run to let go, then
    stop with an error; with ``wait=None``, do not wait: the block runs
    either way and is told (``as held``) whether it holds the lock.
    """
    folder = os.fspath(git_dir)
    fd = open_lock(folder)
    try:
        held = try_lock(fd)
        if not held and wait is not None:
            _wait(fd, folder, wait)
            held = True
        if held:
            _sign(fd)
        yield held
    finally:
        os.close(fd)
