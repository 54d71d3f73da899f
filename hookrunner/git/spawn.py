"""Ask git without importing subprocess: a run answered from the cache pays
for no more than one small ``posix_spawn``."""

from __future__ import annotations

import os

from hookrunner.errors import HookrunnerError


def git_output(root: str, *args: str) -> bytes | None:
    """What ``git args...`` prints at ``root``, or None if it fails.

    The child is always waited for, also when a signal interrupts the read.
    """
    argv = ["git", "-C", root, "-c", "core.quotepath=false", *args]
    read_end, write_end = os.pipe()
    try:
        pid = os.posix_spawnp(
            "git",
            argv,
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, write_end, 1),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
            ],
        )
    except OSError:
        os.close(read_end)
        return None
    finally:
        os.close(write_end)
    chunks = []
    try:
        while chunk := os.read(read_end, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    return b"".join(chunks) if os.waitstatus_to_exitcode(status) == 0 else None


class Spawn:
    """A :class:`hookrunner.git.changes.Reader` over :func:`git_output`."""

    def __init__(self, root: str) -> None:
        self.root = root

    def try_output(self, *args: str) -> bytes | None:
        return git_output(self.root, *args)

    def output(self, *args: str) -> bytes:
        out = git_output(self.root, *args)
        if out is None:
            raise HookrunnerError(f"git {args[0]} failed")
        return out
