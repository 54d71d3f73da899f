"""The task graph: validation, dependency levels and the critical path.

A graph is a mapping from each task name to the names it must wait for, in
declaration order. Nothing here knows what a task does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from graphlib import CycleError, TopologicalSorter

from hookrunner.errors import CircularDependencyError, MissingDependencyError

Graph = Mapping[str, Sequence[str]]


def validate(graph: Graph) -> None:
    """Raise on a dependency that names no task, or on a cycle."""
    for name, deps in graph.items():
        for dep in deps:
            if dep not in graph:
                raise MissingDependencyError(name, dep)
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        raise CircularDependencyError(_readable_cycle(exc.args[1], list(graph))) from None


def _readable_cycle(cycle: list[str], order: list[str]) -> list[str]:
    """Turn graphlib's cycle (each node a predecessor of the next) into
    "depends on" order, starting from the task declared first."""
    nodes = list(reversed(cycle[:-1]))
    first = min(range(len(nodes)), key=lambda i: order.index(nodes[i]))
    nodes = nodes[first:] + nodes[:first]
    return [*nodes, nodes[0]]


def levels(graph: Graph) -> list[list[str]]:
    """Group tasks by depth: level 0 has no dependencies, level n depends on
    level n-1 at most. Names keep declaration order within a level."""
    validate(graph)
    depth: dict[str, int] = {}
    for name in TopologicalSorter(graph).static_order():
        depth[name] = 1 + max((depth[d] for d in graph[name]), default=-1)
    result: list[list[str]] = [[] for _ in range(1 + max(depth.values(), default=-1))]
    for name in graph:
        result[depth[name]].append(name)
    return result


def critical_path(graph: Graph, durations: Mapping[str, float]) -> tuple[list[str], float]:
    """The longest chain of dependent tasks by expected duration, and its length.

    Tasks without a duration count as zero. This is the lower bound on wall
    time with unlimited slots.
    """
    validate(graph)
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}
    for name in TopologicalSorter(graph).static_order():
        before = max(graph[name], key=lambda d: finish[d], default=None)
        via[name] = before
        finish[name] = (finish[before] if before is not None else 0.0) + durations.get(name, 0.0)
    if not finish:
        return [], 0.0
    end = max(graph, key=lambda n: finish[n])
    path: list[str] = []
    last: str | None = end
    while last is not None:
        path.append(last)
        last = via[last]
    return path[::-1], finish[end]


def dependents(graph: Graph) -> dict[str, list[str]]:
    """The reverse edges: for each task, the tasks that wait for it."""
    reverse: dict[str, list[str]] = {name: [] for name in graph}
    for name, deps in graph.items():
        for dep in deps:
            reverse[dep].append(name)
    return reverse


def closure(start: Iterable[str], edges: Mapping[str, Sequence[str]]) -> set[str]:
    """Every node reachable from ``start`` along ``edges`` (``start`` excluded)."""
    seen: set[str] = set()
    stack = list(start)
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen
