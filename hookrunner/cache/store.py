"""Where results that passed are kept: one small text file per key under the
git directory, written atomically, so two runs at once never see half an
entry; a damaged entry is dropped with a warning. Imports nothing costly."""

# No ``from __future__ import annotations``: typing.NamedTuple compiles every
# string annotation into a ForwardRef, which a cached run would pay for.

import contextlib
import os
import sys
from typing import NamedTuple

FORMAT = 2
DIRECTORY = "hookrunner-cache"
"""The store's folder in the git directory."""
MAX_ENTRIES = 20_000
"""Past this many entries the oldest fifth is removed."""
_MAGIC = f"hookrunner-cache {FORMAT}"
MAX_OUTPUT = 64 * 1024
"""Characters of a passing task's output kept to show again with ``-v``."""


class Entry(NamedTuple):
    duration: float
    output: str


def _warn(message: str) -> None:
    print(f"hookrunner: {message}", file=sys.stderr)


class Store:
    """Entries under ``<git dir>/hookrunner-cache``, named by key."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.written = 0

    def _entry(self, key: str) -> str:
        return os.path.join(self.path, key[:2], key[2:])

    def get(self, key: str) -> Entry | None:
        path = self._entry(key)
        try:
            with open(path, encoding="utf-8") as file:
                magic, duration, output = file.read().split("\n", 2)
            if magic != _MAGIC:
                raise ValueError(magic)
            entry = Entry(float(duration), output)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            _warn(f"ignoring a damaged cache entry ({path})")
            with contextlib.suppress(OSError):
                os.unlink(path)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used entries survive pruning
        return entry

    def put(self, key: str, entry: Entry) -> None:
        path = self._entry(key)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            text = f"{_MAGIC}\n{entry.duration!r}\n{entry.output[-MAX_OUTPUT:]}"
            from hookrunner.atomic import write_atomically  # a run of hits writes none

            write_atomically(path, text)
        except OSError as exc:
            _warn(f"cannot write the cache ({exc.strerror or exc}); results are not kept")
            return
        self.written += 1

    def entries(self) -> list[str]:
        try:
            # Entries sit in folders named by two hex digits; others are not entries.
            folders = [d.path for d in os.scandir(self.path) if len(d.name) == 2 and d.is_dir()]
            return [e.path for folder in folders for e in os.scandir(folder)]
        except OSError:
            return []

    def prune(self, limit: int = MAX_ENTRIES) -> int:
        """Keep the store bounded: drop the least recently used fifth past ``limit``."""
        entries = self.entries()
        if len(entries) <= limit:
            return 0
        entries.sort(key=_mtime)
        doomed = entries[: len(entries) - limit * 4 // 5]
        for path in doomed:
            with contextlib.suppress(OSError):
                os.unlink(path)
        return len(doomed)

    def clear(self) -> int:
        import shutil

        count = len(self.entries())
        shutil.rmtree(self.path, ignore_errors=True)
        return count


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0
