"""Which tasks yield the CPU: all but the critical path, when cores are short.

An optimistic run starts every task it can at once, and with more tasks than
cores the kernel shares the CPU evenly among them: the task the run waits for
longest (pytest, say) gets a third of a core while three short lint tasks
run. When earlier runs' CPU times name a critical path (the longest chain by
CPU time, with stage barriers relaxed as an optimistic run relaxes them), the
tasks off it start at a lower CPU priority (nice 10, see
:func:`hookrunner.engine.child.lower_priority`): they run on what the path
leaves. When they fit in the other cores while the path runs, one core is
kept for the path (:func:`hookrunner.engine.child.keep_core`): a lower
priority alone still lets them take turns on its core. CPU time, not wall
time: a task's wall time grows when it shares the cores, so a history of
wall times would favour whichever task yielded last time. Nothing changes
when the tasks fit in the cores, without a history, or with
``--no-optimistic``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from hookrunner.engine.graph import critical_path
from hookrunner.plan import PlannedTask

BUSY = 0.05
"""CPU seconds some task must have used for priorities to matter at all (tasks
that mostly wait, on a network or a ``sleep``, are left as they are)."""


def cores() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def relaxed_path(plan: Sequence[PlannedTask], durations: Mapping[str, float]) -> list[str]:
    """The critical path when the stage barriers are relaxed (the formatters
    change nothing): ``depends_on`` and writers of the same files still order it."""
    edges = {
        p.name: [*p.depends_on, *(a for a in p.after if a not in p.barrier)]
        for p in plan
        if not p.skip
    }
    path, total = critical_path(edges, durations)
    return path if total > 0 else []


def yielding(
    plan: Sequence[PlannedTask], cpu: Mapping[str, float], jobs: int, cpus: int
) -> frozenset[str]:
    """The tasks that start at a lower CPU priority in an optimistic run, by
    earlier runs' ``cpu`` seconds per task."""
    running = [p.name for p in plan if not p.skip]
    if min(jobs, len(running)) <= cpus:
        return frozenset()
    if max((cpu.get(name, 0.0) for name in running), default=0.0) < BUSY:
        return frozenset()
    # A task that used no measurable CPU time still weighs a little, so the path
    # runs from where its chain begins (a native formatter before the fixers).
    path = relaxed_path(plan, {name: cpu.get(name, 0.0) + 0.001 for name in running})
    return frozenset(running) - frozenset(path)


OWN_CPU = 0.05
"""About the CPU seconds a run spends on itself while its tasks run."""


def keeps_core(
    plan: Sequence[PlannedTask], cpu: Mapping[str, float], low: frozenset[str], cpus: int
) -> bool:
    """Whether a core is kept for the tasks that do not yield
    (:func:`hookrunner.engine.child.keep_core`): when the yielding tasks, and
    the run itself, fit by earlier CPU times in the other cores while the
    critical path runs. If they do not, they would wait for the kept core."""
    if not low or cpus < 2:
        return False
    path = sum(cpu.get(p.name, 0.0) for p in plan if not p.skip and p.name not in low)
    rest = sum(cpu.get(name, 0.0) for name in low) + OWN_CPU
    return rest <= (cpus - 1) * path
