"""``hookrunner list``: the configured tasks and their graph as text, JSON, DOT or Mermaid."""

from __future__ import annotations

import itertools
import json
import shlex
from collections.abc import Callable, Mapping

from hookrunner.engine.graph import critical_path
from hookrunner.model import STAGES, Config, TaskConfig


def _edges(config: Config) -> dict[str, list[str]]:
    """What each task waits for when every task runs: its own dependencies and
    every task of the stages before its own."""
    earlier = {
        "format": (),
        "lint": ("format",),
        "test": ("format", "lint") if config.tests_wait_for_lint else ("format",),
    }
    return {
        t.name: list(dict.fromkeys(
            [*t.depends_on, *(u.name for u in config.tasks if u.stage in earlier[t.stage])]
        ))
        for t in config.tasks
    }  # fmt: skip


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
    path, total = critical_path(_edges(config), durations)
    if fmt == "json":
        data = {
            "tasks": [
                {**_describe(t), "expected_duration": durations.get(t.name)} for t in config.tasks
            ],
            "critical_path": path if total > 0 else [],
            "critical_path_duration": round(total, 4),
        }
        return json.dumps(data, indent=2) + "\n"
    if fmt == "dot":
        return _dot(config)
    if fmt == "mermaid":
        return _mermaid(config)
    return _text(config, durations, path if total > 0 else [], total)


def _text(config: Config, durations: Mapping[str, float], path: list[str], total: float) -> str:
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


def _dot(config: Config) -> str:
    lines = ["digraph hookrunner {", "  rankdir=LR;", "  node [shape=box];"]
    for stage in STAGES:
        tasks = [t for t in config.tasks if t.stage == stage]
        if tasks:
            lines.append(f"  subgraph cluster_{stage} {{")
            lines.append(f"    label={_quote(stage)};")
            lines.extend(f"    {_quote(t.name)};" for t in tasks)
            lines.append("  }")
    for t in config.tasks:
        lines.extend(f"  {_quote(d)} -> {_quote(t.name)};" for d in t.depends_on)
    lines.extend(_stage_edges(config, lambda a, b: f"  {_quote(a)} -> {_quote(b)} [style=dashed];"))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _stage_edges(config: Config, edge: Callable[[str, str], str]) -> list[str]:
    """One dashed edge from each task to each task of the next non-empty stage."""
    present = [s for s in STAGES if any(t.stage == s for t in config.tasks)]
    lines = []
    for before, after in itertools.pairwise(present):
        for a in (t for t in config.tasks if t.stage == before):
            for b in (t for t in config.tasks if t.stage == after):
                if a.name not in b.depends_on:
                    lines.append(edge(a.name, b.name))
    return lines


def _mermaid(config: Config) -> str:
    ids = {t.name: f"t{i}" for i, t in enumerate(config.tasks)}
    lines = ["flowchart LR"]
    for stage in STAGES:
        tasks = [t for t in config.tasks if t.stage == stage]
        if tasks:
            lines.append(f"  subgraph {stage}")
            lines.extend(f"    {ids[t.name]}[{_quote(t.name)}]" for t in tasks)
            lines.append("  end")
    for t in config.tasks:
        lines.extend(f"  {ids[d]} --> {ids[t.name]}" for d in t.depends_on)
    lines.extend(_stage_edges(config, lambda a, b: f"  {ids[a]} -.-> {ids[b]}"))
    return "\n".join(lines) + "\n"
