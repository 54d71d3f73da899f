"""``--dry-run``: the plan in the order the run would start it, what each task
waits for, and what optimistic scheduling changes."""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from hookrunner.cli.priority import cores, keeps_core, relaxed_path, yielding
from hookrunner.engine.graph import critical_path
from hookrunner.plan import PlannedTask, expected_order


def describe(
    plan: list[PlannedTask],
    durations: Mapping[str, float],
    writers: frozenset[str] | None = frozenset(),
    jobs: int = 1,
    cpu: Mapping[str, float] | None = None,
) -> str:
    """``writers``: the tasks that never start early (seen writing); None when
    the run keeps strict barriers. ``jobs``: the run's slots; ``cpu``: earlier
    runs' CPU time per task."""
    lines = []
    order = expected_order(plan, durations)
    position = {name: i for i, name in enumerate(order, 1)}
    for p in sorted(plan, key=lambda p: position.get(p.name, len(plan) + 1)):
        if p.skip:
            lines.append(f"  -  {p.name} ({p.stage}): skipped, {p.skip}")
            continue
        early = writers is not None and bool(p.barrier) and p.name not in writers
        lines.append(f"{position[p.name]:3d}. {p.name} ({p.stage}): {_about(p, durations, early)}")
        where = f"cd {shlex.quote(p.task.cwd)} && " if p.task.cwd else ""
        lines.append(f"       $ {where}{shlex.join(p.task.cmd)}")
    edges = {p.name: [*p.after, *p.depends_on] for p in plan if not p.skip}
    path, total = critical_path(edges, durations)
    if path and total > 0:
        lines.append(f"critical path: {' -> '.join(path)} (~{total:.2f}s)")
    if writers is not None and any(p.barrier for p in plan if not p.skip):
        lines += _early_lines(plan, durations)
    if writers is not None:
        lines += _priority_lines(plan, jobs, cpu or {})
    return "\n".join(lines) + "\n"


def _about(p: PlannedTask, durations: Mapping[str, float], early: bool) -> str:
    waits = [*p.depends_on, *(a for a in p.after if a not in p.depends_on)]
    parts = [f"{len(p.files)} file{'s' * (len(p.files) != 1)}"]
    if len(p.invocations) > 1:
        parts.append(f"{len(p.invocations)} command lines")
    if p.name in durations:
        parts.append(f"~{durations[p.name]:.2f}s")
    if waits:
        parts.append("after " + ", ".join(waits))
    if early:
        parts.append("may start early on an idle slot")
    return "; ".join(parts)


def _early_lines(plan: list[PlannedTask], durations: Mapping[str, float]) -> list[str]:
    """How optimistic scheduling changes the schedule (see the README)."""
    lines = [
        "optimistic: a task marked 'may start early' starts before the stages it waits for end,",
        "  on a slot no ready task wants; its work counts only if nothing it reads is "
        "written meanwhile",
        "  (else it runs again after them); --no-optimistic keeps strict stage barriers",
    ]
    path = relaxed_path(plan, durations)
    if path:
        total = sum(durations.get(name, 0.0) for name in path)
        lines.append(f"  when the formatters change nothing: {' -> '.join(path)} (~{total:.2f}s)")
    return lines


def _priority_lines(plan: list[PlannedTask], jobs: int, cpu: Mapping[str, float]) -> list[str]:
    """Which tasks yield the CPU, and whether a core is kept (cli/priority.py)."""
    lines = []
    low = yielding(plan, cpu, jobs, cores())
    if low:
        lines.append(
            f"  more tasks than cores ({cores()}): off the path by earlier CPU time, "
            + ", ".join(sorted(low))
            + " start at a lower CPU priority"
        )
    if keeps_core(plan, cpu, low, cores()):
        lines.append("  they fit in the other cores meanwhile: one core is kept for the path")
    return lines
