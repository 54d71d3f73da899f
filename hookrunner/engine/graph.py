"""The task graph: validation, dependency levels and the critical path.

A graph is a mapping from each task name to the names it must wait for, in
declaration order. Nothing here knows what a task does. Every query is
linear in the number of tasks and edges.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

Graph = Mapping[str, Sequence[str]]

_SHOWN = 10
"""A longer cycle's message shows this many tasks and counts the rest."""


class CircularDependencyError(ValueError):
    """The task graph has a cycle; the message shows it as ``a -> b -> a``.

    ``cycle`` holds every task of it; a long one is shortened in the message.
    """

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        shown = cycle
        if len(cycle) > _SHOWN + 1:
            more = len(cycle) - 1 - _SHOWN
            shown = [*cycle[:_SHOWN], f"... ({more:,} more)", cycle[-1]]
        super().__init__("circular dependency: " + " -> ".join(shown))


class MissingDependencyError(ValueError):
    """A task depends on a task that does not exist."""

    def __init__(self, task: str, missing: str) -> None:
        self.task = task
        self.missing = missing
        super().__init__(f"task {task!r} depends on unknown task {missing!r}")


def build(entries: Iterable[tuple[str, Sequence[str]]]) -> dict[str, list[str]]:
    """A graph from (name, names it waits for) pairs; a name given twice is a
    ``ValueError``, a name waited for twice counts once."""
    edges: dict[str, list[str]] = {}
    for name, deps in entries:
        if name in edges:
            raise ValueError(f"duplicate task name: {name!r}")
        edges[name] = list(dict.fromkeys(deps)) if deps else []
    return edges


def _order(graph: Graph) -> list[str]:
    """The tasks in dependency order (Kahn); raise on a missing name or a cycle."""
    waiting: dict[str, int] = {}
    reverse: dict[str, list[str]] = {name: [] for name in graph}
    for name, deps in graph.items():
        distinct = dict.fromkeys(deps)
        waiting[name] = len(distinct)
        for dep in distinct:
            wanted = reverse.get(dep)
            if wanted is None:
                raise MissingDependencyError(name, dep)
            wanted.append(name)
    order = [name for name, count in waiting.items() if not count]
    for name in order:  # grows while it is read
        for waiter in reverse[name]:
            waiting[waiter] -= 1
            if not waiting[waiter]:
                order.append(waiter)
    if len(order) < len(graph):
        raise CircularDependencyError(_find_cycle(graph, waiting))
    return order


def _find_cycle(graph: Graph, waiting: Mapping[str, int]) -> list[str]:
    """A cycle among the tasks left waiting, in "depends on" order, starting
    from the task declared first. Each of them waits for another of them."""
    seen: dict[str, int] = {}
    path: list[str] = []
    name = next(n for n, count in waiting.items() if count)
    while name not in seen:
        seen[name] = len(path)
        path.append(name)
        name = next(d for d in graph[name] if waiting[d])
    nodes = path[seen[name] :]
    index = {n: i for i, n in enumerate(graph)}
    first = min(range(len(nodes)), key=lambda i: index[nodes[i]])
    nodes = nodes[first:] + nodes[:first]
    return [*nodes, nodes[0]]


def validate(graph: Graph) -> None:
    """Raise on a dependency that names no task, or on a cycle."""
    _order(graph)


def levels(graph: Graph) -> list[list[str]]:
    """Group tasks by depth: level 0 has no dependencies, level n depends on
    level n-1 at most. Names keep declaration order within a level."""
    depth: dict[str, int] = {}
    for name in _order(graph):
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
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}
    for name in _order(graph):
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
