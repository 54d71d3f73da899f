"""The tasks outside the format stage that earlier runs saw writing files.

An optimistic run never starts such a task early: beside a formatter it
would be a second writer of the same files. The first run that sees one
reports it (``Modified files``, with a hint to make it a format task), and
a later run in which it writes nothing takes it off the list.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from hookrunner.atomic import write_atomically
from hookrunner.model import TaskResult

FILE = "hookrunner-writers"
"""One task name per line."""


def load_writers(git_dir: Path) -> frozenset[str]:
    """The names; a missing or damaged file is an empty list."""
    try:
        return frozenset((git_dir / FILE).read_text(encoding="utf-8").split())
    except (OSError, ValueError):
        return frozenset()


def save_writers(git_dir: Path, old: frozenset[str], results: Sequence[TaskResult]) -> None:
    new = set(old)
    for result in results:
        if result.stage == "format" or result.cached:
            continue
        if result.modified:
            new.add(result.name)
        elif result.status in ("passed", "failed"):
            new.discard(result.name)
    if new == old:
        return
    with contextlib.suppress(OSError):  # only a later run's early starts depend on it
        write_atomically(git_dir / FILE, "".join(f"{name}\n" for name in sorted(new)))
