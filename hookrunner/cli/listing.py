"""``hookrunner list``: the configured tasks and their graph as text, JSON, DOT or Mermaid."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping

from hookrunner.engine.graph import closure, critical_path
from hookrunner.model import STAGES, Config, TaskConfig
from hookrunner.plan import waiting_edges

Edges = Mapping[str, list[str]]


def _describe(task: TaskConfig) -> dict[str, object]:
    return {
        "name": task.name,
        "stage": task.stage,
        "cmd": list(task.cmd),
        "depends_on": list(task.depends_on),
        "files": list(task.files),
        "exclude": list(task.exclude),
        "types": list(task.types),
        "hooks": sorted(task.hooks),
        "pass_filenames": task.pass_filenames,
        "always_run": task.always_run,
        "priority": task.priority,
        "timeout": task.timeout,
    }


def render(config: Config, fmt: str, durations: Mapping[str, float]) -> str:
    """The graph is :func:`hookrunner.plan.waiting_edges`: the one ``--dry-run``
    and the run use, with every task running."""
    edges = waiting_edges(config)
    path, total = critical_path(edges, durations)
    if fmt == "json":
        data = {
            "tasks": [
                {
                    **_describe(t),
                    "waits_for": edges[t.name],
                    "expected_duration": durations.get(t.name),
                }
                for t in config.tasks
            ],
            "critical_path": path if total > 0 else [],
            "critical_path_duration": round(total, 4),
        }
        return json.dumps(data, indent=2) + "\n"
    if fmt == "dot":
        return _dot(config, edges)
    if fmt == "mermaid":
        return _mermaid(config, edges)
    return _text(config, edges, durations, path if total > 0 else [], total)


def _shares_files(task: TaskConfig, edges: Edges) -> list[str]:
    """The earlier format tasks this one waits for because they may change the same files."""
    return [d for d in edges[task.name] if d not in task.depends_on and task.stage == "format"]


def _text(
    config: Config, edges: Edges, durations: Mapping[str, float], path: list[str], total: float
) -> str:
    if not config.tasks:
        return "no tasks in [tool.paratools.tasks]\n"
    width = max(len(t.name) for t in config.tasks)
    lines = []
    for stage in STAGES:
        tasks = [t for t in config.tasks if t.stage == stage]
        if not tasks:
            continue
        lines.append(f"{stage}:")
        for t in tasks:
            extra = []
            if t.depends_on:
                extra.append("depends on " + ", ".join(t.depends_on))
            if _shares_files(t, edges):
                extra.append("after " + ", ".join(_shares_files(t, edges)) + ": may share files")
            if set(t.hooks) != {"pre-commit", "pre-push", "manual"}:
                extra.append("hooks: " + ", ".join(sorted(t.hooks)))
            if t.name in durations:
                extra.append(f"~{durations[t.name]:.2f}s")
            suffix = f"  ({'; '.join(extra)})" if extra else ""
            lines.append(f"  {t.name:<{width}}  {shlex.join(t.cmd)}{suffix}")
    if path:
        lines.append(f"critical path: {' -> '.join(path)} (~{total:.2f}s)")
    return "\n".join(lines) + "\n"


def _quote(name: str) -> str:
    return json.dumps(name)


def _clusters(config: Config, node: Callable[[str], str], start: str, end: str) -> list[str]:
    """One box per non-empty stage around its tasks, in DOT or Mermaid words."""
    lines = []
    for stage in STAGES:
        tasks = [t for t in config.tasks if t.stage == stage]
        if tasks:
            lines.append(start.format(stage=stage, label=_quote(stage)))
            lines.extend(f"    {node(t.name)}" for t in tasks)
            lines.append(end)
    return lines


def _arrows(config: Config, edges: Edges) -> list[tuple[str, str, bool]]:
    """The edges worth drawing, as (from, to, is a dependency): every
    ``depends_on``, and each ordering edge that no longer path already implies
    (a test task waits for the format tasks through the lint tasks)."""
    arrows = []
    for t in config.tasks:
        for before in edges[t.name]:
            if before in t.depends_on:
                arrows.append((before, t.name, True))
                continue
            others = [d for d in edges[t.name] if d != before]
            if before not in closure(others, edges):
                arrows.append((before, t.name, False))
    return arrows


def _dot(config: Config, edges: Edges) -> str:
    lines = ["digraph hookrunner {", "  rankdir=LR;", "  node [shape=box];"]
    start = "  subgraph cluster_{stage} {{\n    label={label};"
    lines += _clusters(config, lambda n: f"{_quote(n)};", start, "  }")
    for a, b, needed in _arrows(config, edges):
        lines.append(f"  {_quote(a)} -> {_quote(b)};" if needed else
                     f"  {_quote(a)} -> {_quote(b)} [style=dashed];")  # fmt: skip
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid(config: Config, edges: Edges) -> str:
    ids = {t.name: f"t{i}" for i, t in enumerate(config.tasks)}
    lines = ["flowchart LR"]
    lines += _clusters(config, lambda n: f"{ids[n]}[{_quote(n)}]", "  subgraph {stage}", "  end")
    for a, b, needed in _arrows(config, edges):
        lines.append(f"  {ids[a]} {'-->' if needed else '-.->'} {ids[b]}")
    return "\n".join(lines) + "\n"
