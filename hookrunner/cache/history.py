"""How long each task took in earlier runs: the ready queue starts the longest first."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from hookrunner.atomic import write_atomically
from hookrunner.model import TaskResult

FILE = "hookrunner-durations"
"""One ``name<TAB>seconds`` line per task (task names hold no whitespace)."""


def load_durations(git_dir: Path) -> dict[str, float]:
    """Durations of earlier runs; a missing or damaged file is no history."""
    try:
        text = (git_dir / FILE).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return {}
    durations = {}
    for line in text.splitlines():
        name, _, seconds = line.partition("\t")
        try:
            durations[name] = float(seconds)
        except ValueError:
            continue
    return durations


def save_durations(git_dir: Path, old: Mapping[str, float], results: Sequence[TaskResult]) -> None:
    """Keep the latest duration of every task that ran to completion."""
    new = dict(old)
    for result in results:
        if result.status in ("passed", "modified", "failed") and not result.cached:
            new[result.name] = round(result.duration, 4)
    if new == old:
        return
    text = "".join(f"{k}\t{v}\n" for k, v in sorted(new.items()))
    with contextlib.suppress(OSError):  # only a later run's order depends on it
        write_atomically(git_dir / FILE, text)
