"""``hookrunner list`` draws the graph the run uses: plan.waiting_edges."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from hookrunner.model import Config, TaskConfig
from hookrunner.plan import types_disjoint, waiting_edges
from tests.conftest import git, hookrunner, write_config

SLEEP = 'cmd = ["sleep", "0.1"]\npass_filenames = false\n'
CONFIG = f"""
[tasks.fmt-py]
stage = "format"
types = ["python"]
{SLEEP}
[tasks.fmt-md]
stage = "format"
types = ["markdown"]
{SLEEP}
[tasks.fmt-all]
stage = "format"
{SLEEP}
[tasks.lint]
{SLEEP}
[tasks.unit]
stage = "test"
always_run = true
{SLEEP}
"""


@pytest.fixture
def project(repo: Path) -> Path:
    (repo / "a.py").write_text("a = 1\n")
    (repo / "b.md").write_text("# b\n")
    write_config(repo, CONFIG, commit=False)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "project")
    return repo


def dry_run_waits(repo: Path) -> dict[str, set[str]]:
    """What ``--dry-run`` says each task starts after."""
    out = hookrunner(repo, "run", "--all-files", "--dry-run")
    assert out.returncode == 0, out.stderr
    waits = {}
    for match in re.finditer(r"^\s*\d+\. (\S+) \((\w+)\): (.*)$", out.stdout, re.MULTILINE):
        after = re.search(r"after ([^;]*)", match[3])
        waits[match[1]] = set(after[1].split(", ")) if after else set()
    return waits


def list_json(repo: Path) -> dict[str, Any]:
    out = hookrunner(repo, "list", "--format", "json")
    assert out.returncode == 0, out.stderr
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def test_list_waits_as_the_run_does(project: Path) -> None:
    tasks = list_json(project)["tasks"]
    listed = {t["name"]: set(t["waits_for"]) for t in tasks}
    assert listed == dry_run_waits(project)
    # formatters of python and of markdown files never share one; the one without types may
    assert listed["fmt-md"] == set()
    assert listed["fmt-all"] == {"fmt-py", "fmt-md"}
    assert listed["unit"] == {"fmt-py", "fmt-md", "fmt-all", "lint"}


def test_list_critical_path_matches_dry_run(project: Path) -> None:
    assert hookrunner(project, "run", "--all-files").returncode == 0  # records durations
    listed = list_json(project)["critical_path"]
    dry = hookrunner(project, "run", "--all-files", "--dry-run").stdout
    path = re.search(r"^critical path: (.*) \(~", dry, re.MULTILINE)
    assert path is not None, dry
    assert listed == path[1].split(" -> ")
    # fmt-all waits for a formatter that may touch its files, so the path goes through both
    assert listed[-3:] == ["fmt-all", "lint", "unit"]
    assert listed[0] in ("fmt-py", "fmt-md")
    text = hookrunner(project, "list").stdout
    assert f"critical path: {' -> '.join(listed)} (~" in text
    assert "fmt-all" in text
    assert "(after fmt-py, fmt-md: may share files; ~" in text


def test_list_draws_test_after_format_when_tests_do_not_wait_for_lint(repo: Path) -> None:
    write_config(
        repo,
        f'tests_wait_for_lint = false\n[tasks.fmt]\nstage = "format"\n{SLEEP}'
        f'[tasks.lint]\n{SLEEP}[tasks.check]\ndepends_on = ["lint"]\n{SLEEP}'
        f'[tasks.unit]\nstage = "test"\n{SLEEP}',
    )
    dot = hookrunner(repo, "list", "--format", "dot").stdout
    edges = re.findall(r'^  "(\S+)" -> "(\S+)"( \[style=dashed\])?;$', dot, re.MULTILINE)
    assert sorted(edges) == [
        ("fmt", "lint", " [style=dashed]"),
        ("fmt", "unit", " [style=dashed]"),
        ("lint", "check", ""),
    ]
    mermaid = hookrunner(repo, "list", "--format", "mermaid").stdout
    assert sorted(re.findall(r"^  (t\d) (-->|-\.->) (t\d)$", mermaid, re.MULTILINE)) == [
        ("t0", "-.->", "t1"),
        ("t0", "-.->", "t3"),
        ("t1", "-->", "t2"),
    ]
    for stage in ("format", "lint", "test"):
        assert f'  subgraph cluster_{stage} {{\n    label="{stage}";\n' in dot
        assert f"  subgraph {stage}\n" in mermaid


def task(name: str, stage: str = "format", **keys: object) -> TaskConfig:
    return TaskConfig(name=name, cmd=("true",), stage=stage, **keys)  # type: ignore[arg-type]


def test_waiting_edges_follow_build_plan() -> None:
    config = Config(
        path="pyproject.toml",
        tasks=(
            task("a", types=("python",), hooks=frozenset({"pre-push"}), position=0),
            task("b", types=("pyi",), position=1),
            task("c", depends_on=("d",), position=2),
            task("d", types=("text",), position=3),
            task("t", stage="test", position=4),
        ),
    )
    assert waiting_edges(config) == {
        "a": [],
        "b": [],
        "c": ["d", "a", "b"],  # d comes later but c depends on it: no edge back
        "d": ["a", "b"],
        "t": ["a", "b", "c", "d"],
    }


@pytest.mark.parametrize(
    ("first", "second", "disjoint"),
    [
        (["python"], ["markdown"], True),
        (["python"], ["pyi"], True),  # identify tags .pyi files pyi, not python
        (["python"], ["python", "executable"], False),
        (["python"], ["text"], False),
        (["text"], ["binary"], True),
        (["executable"], ["non-executable"], True),
        ([], ["python"], False),
        (["python"], ["shell"], True),
        (["dockerfile"], ["text"], False),
        (["made-up-tag"], ["python"], True),
    ],
)
def test_types_disjoint(first: list[str], second: list[str], disjoint: bool) -> None:
    assert types_disjoint(first, second) is disjoint
    assert types_disjoint(second, first) is disjoint
