"""``hookrunner list``: the configured tasks and their graph as text, JSON, DOT or Mermaid."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping, Sequence

from hookrunner.engine.graph import closure, critical_path
from hookrunner.model import STAGES, Config, TaskConfig
from hookrunner.plan import waiting_edges

Edges = Mapping[str, list[str]]


def _describe(task: TaskConfig) -> dict[str, object]:
    return {
        "name": task.name,
        "project": task.project,
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
            "optimistic": config.optimistic,
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
    if not config.projects:
        lines += _stage_lines(config.tasks, edges, durations, width, "")
    for folder, file, tasks in _projects(config) if config.projects else ():
        lines.append(f"project {folder or '.'} ({file}):")
        lines += _stage_lines(tasks, edges, durations, width, "  ")
    if path:
        lines.append(f"critical path: {' -> '.join(path)} (~{total:.2f}s)")
    if config.optimistic and len({t.stage for t in config.tasks}) > 1:
        lines.append(
            "optimistic: a later stage may start on an idle slot before the earlier ones end;"
            " its work is redone if a file it reads is written meanwhile (optimistic = false:"
            " strict stage barriers)"
        )
    return "\n".join(lines) + "\n"


def _projects(config: Config) -> list[tuple[str, str, list[TaskConfig]]]:
    """A workspace's projects that have tasks, the root's first: folder, file, tasks."""
    # A workspace is read from the root's pyproject.toml (never from --config).
    root = [("", "pyproject.toml", [t for t in config.tasks if not t.project])]
    members = [(p.dir, p.file, [t for t in config.tasks if t.project == p.dir])
               for p in config.projects]  # fmt: skip
    return [group for group in (*root, *members) if group[2]]


def _stage_lines(
    tasks: Sequence[TaskConfig],
    edges: Edges,
    durations: Mapping[str, float],
    width: int,
    indent: str,
) -> list[str]:
    lines = []
    for stage in STAGES:
        staged = [t for t in tasks if t.stage == stage]
        if not staged:
            continue
        lines.append(f"{indent}{stage}:")
        for t in staged:
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
            lines.append(f"{indent}  {t.name:<{width}}  {shlex.join(t.cmd)}{suffix}")
    return lines


def _quote(name: str) -> str:
    return json.dumps(name)


def _clusters(
    tasks: Sequence[TaskConfig], node: Callable[[str], str], start: str, end: str, prefix: str = ""
) -> list[str]:
    """One box per non-empty stage around its tasks, in DOT or Mermaid words
    (``prefix``: the project's, to keep box names apart)."""
    lines = []
    for stage in STAGES:
        staged = [t for t in tasks if t.stage == stage]
        if staged:
            title = f" [{stage}]" if prefix else ""
            lines.append(start.format(id=prefix + stage, label=_quote(stage), title=title))
            lines.extend(f"    {node(t.name)}" for t in staged)
            lines.append(end)
    return lines


def _boxes(config: Config, node: Callable[[str], str], start: str, end: str) -> list[str]:
    """The stage boxes; in a workspace, inside one box per project."""
    if not config.projects:
        return _clusters(config.tasks, node, start, end)
    lines = []
    for i, (folder, _file, tasks) in enumerate(_projects(config)):
        name = _quote(folder or ".")
        lines.append(start.format(id=f"p{i}", label=name, title=f" [{name}]"))
        inner = _clusters(tasks, node, start, end, f"p{i}_")
        lines.extend("  " + line.replace("\n", "\n  ") for line in inner)
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
    start = "  subgraph cluster_{id} {{\n    label={label};"
    lines += _boxes(config, lambda n: f"{_quote(n)};", start, "  }")
    for a, b, needed in _arrows(config, edges):
        lines.append(f"  {_quote(a)} -> {_quote(b)};" if needed else
                     f"  {_quote(a)} -> {_quote(b)} [style=dashed];")  # fmt: skip
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid(config: Config, edges: Edges) -> str:
    ids = {t.name: f"t{i}" for i, t in enumerate(config.tasks)}
    lines = ["flowchart LR"]
    lines += _boxes(config, lambda n: f"{ids[n]}[{_quote(n)}]", "  subgraph {id}{title}", "  end")
    for a, b, needed in _arrows(config, edges):
        lines.append(f"  {ids[a]} {'-->' if needed else '-.->'} {ids[b]}")
    return "\n".join(lines) + "\n"
