"""How long each task took in earlier runs: the ready queue starts the longest
first; and the CPU time it used, which says which tasks yield the CPU to the
others (see :mod:`hookrunner.cli.priority`)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from hookrunner.atomic import write_atomically
from hookrunner.model import TaskResult

FILE = "hookrunner-durations"
"""One ``name<TAB>seconds`` line per task (task names hold no whitespace)."""


CPU_FILE = "hookrunner-cpu"
"""The same lines with each task's CPU seconds: unlike its wall time, they do
not grow when the task shares the cores with others."""


def load_durations(git_dir: Path) -> dict[str, float]:
    """Durations of earlier runs; a missing or damaged file is no history."""
    return _load(git_dir / FILE)


def load_cpu(git_dir: Path) -> dict[str, float]:
    """CPU seconds of earlier runs; a missing or damaged file is no history."""
    return _load(git_dir / CPU_FILE)


def _load(path: Path) -> dict[str, float]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return {}
    values = {}
    for line in text.splitlines():
        name, _, seconds = line.partition("\t")
        try:
            values[name] = float(seconds)
        except ValueError:
            continue
    return values


def save_durations(git_dir: Path, old: Mapping[str, float], results: Sequence[TaskResult]) -> None:
    """Keep the latest duration, and CPU time, of every task that ran to completion."""
    done = [r for r in results if r.status in ("passed", "modified", "failed") and not r.cached]
    _save(git_dir / FILE, old, {r.name: r.duration for r in done})
    cpu = {r.name: r.cpu for r in done if r.cpu is not None}
    if cpu:
        _save(git_dir / CPU_FILE, load_cpu(git_dir), cpu)


def _save(path: Path, old: Mapping[str, float], latest: Mapping[str, float]) -> None:
    new = {**old, **{name: round(value, 4) for name, value in latest.items()}}
    if new == old:
        return
    text = "".join(f"{k}\t{v}\n" for k, v in sorted(new.items()))
    with contextlib.suppress(OSError):  # only a later run's order depends on it
        write_atomically(path, text)
