"""What a task wrote: each watched file's stat (and, for a formatter, its
content digest) before a command line runs, compared after it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

Stat = tuple[int, int, int, int]
Fingerprint = dict[str, tuple[Stat | None, bytes | None]]

_OFF_LOOP = 64
"""Past this many files a formatter's fingerprints are taken in a thread, so
the event loop keeps reading output and watching timeouts meanwhile."""


def _stat(path: str) -> Stat | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _digest(path: str) -> bytes | None:
    import hashlib  # only runs with a format task pay for it

    try:
        with open(path, "rb") as f:
            return hashlib.blake2b(f.read(), digest_size=20).digest()
    except OSError:
        return None


_known: dict[str, tuple[Stat, bytes]] = {}
"""The digest last taken of each path, with its stat then. A file whose stat is
unchanged was not written (the rule :func:`changed_files` relies on), so a
chain of formatters reads each file once, not once per formatter."""

_SETTLED_NS = 100_000_000
"""A file written this recently (by its modification time) may be written again
within the file system's timestamp granularity and keep its stat (git's "racy"
entries): its digest is taken again rather than remembered."""


def _digest_at(path: str, stat: Stat | None) -> bytes | None:
    """The digest of ``path``, whose stat is ``stat``; remembered (see :data:`_known`)."""
    if stat is None:
        return _digest(path)
    known = _known.get(path)
    if known is not None and known[0] == stat:
        return known[1]
    digest = _digest(path)
    # Remembered only if the file was not written while it was read, nor lately.
    if digest is not None and _stat(path) == stat and time.time_ns() - stat[1] > _SETTLED_NS:
        _known[path] = (stat, digest)
    return digest


def fingerprint(root: Path, files: Sequence[str], content: bool = True) -> Fingerprint:
    """Each file's stat and, with ``content``, its content digest (None for a
    missing file); without it a changed stat alone means a changed file."""
    paths = {name: os.path.join(root, name) for name in files}
    if not content:
        return {name: (_stat(path), None) for name, path in paths.items()}
    found: Fingerprint = {}
    for name, path in paths.items():
        stat = _stat(path)
        found[name] = (stat, _digest_at(path, stat))
    return found


def changed_files(root: Path, before: Fingerprint) -> tuple[list[str], list[str]]:
    """The files whose content is not what ``before`` saw, and every file
    written (its stat changed, same content or not). A file whose stat (size,
    times, inode) is unchanged was not written, so it is not read again."""
    changed, touched = [], []
    for name, (stat, digest) in before.items():
        path = os.path.join(root, name)
        now = _stat(path)
        if now == stat:
            continue
        touched.append(name)
        if digest is None or (None if now is None else _digest_at(path, now)) != digest:
            changed.append(name)
    return changed, touched


async def off_loop_if_large(func: Callable[..., Any], size: int, *args: Any) -> Any:
    if size <= _OFF_LOOP:
        return func(*args)
    import asyncio  # imported by then; this module is used before the event loop exists

    return await asyncio.get_running_loop().run_in_executor(None, func, *args)
