"""Split a file list into command lines the OS will accept.

Linux counts every argument and environment string as its bytes, a NUL and a
pointer in the new process's argv/envp arrays, against ARG_MAX; a single
string may not exceed MAX_ARG_STRLEN. We count the same way and keep some
headroom, as POSIX xargs does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

_POINTER = 8
_HEADROOM = 4096
_MAX_ARG_STRLEN = 128 * 1024
_FALLBACK_ARG_MAX = 128 * 1024


def _cost(arg: str) -> int:
    return len(os.fsencode(arg)) + 1 + _POINTER


def max_length(env: Mapping[str, str]) -> int:
    """Bytes left for argv once ``env`` is counted."""
    try:
        limit = os.sysconf("SC_ARG_MAX")
    except (ValueError, OSError):  # pragma: no cover (every POSIX system has it)
        limit = _FALLBACK_ARG_MAX
    if limit <= 0:  # pragma: no cover (reported as "unlimited" nowhere we run)
        limit = _FALLBACK_ARG_MAX
    env_cost = sum(_cost(f"{k}={v}") for k, v in env.items()) + _POINTER
    return limit - env_cost - _HEADROOM


def partition(cmd: Sequence[str], files: Sequence[str], limit: int) -> list[list[str]]:
    """``cmd`` followed by as many of ``files`` as fit in ``limit``, repeated
    until every file is passed exactly once, in order."""
    base = sum(_cost(arg) for arg in cmd) + _POINTER
    if not files:
        return [list(cmd)]
    batches: list[list[str]] = []
    current: list[str] = []
    used = base
    for name in files:
        cost = _cost(name)
        if cost - 1 - _POINTER > _MAX_ARG_STRLEN or base + cost > limit:
            raise ValueError(f"file name too long for a command line: {name[:80]}...")
        if current and used + cost > limit:
            batches.append([*cmd, *current])
            current, used = [], base
        current.append(name)
        used += cost
    batches.append([*cmd, *current])
    return batches
