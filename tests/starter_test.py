"""``hookrunner init`` on small projects, then the table it wrote run with
the real ruff and mypy."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import git, hookrunner

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover (exercised on 3.10 only)
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

RUFF_BAD = "import os\nx=1\n"


def project(repo: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "project")
    return repo


def init(repo: Path) -> tuple[list[str], dict[str, dict[str, object]]]:
    """Run ``hookrunner init``; its message lines and the tasks it wrote."""
    proc = hookrunner(repo, "init")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["paratools"]
    return proc.stdout.splitlines(), table.get("tasks", {})


def statuses(repo: Path) -> dict[str, str]:
    """``hookrunner run -a`` with the tools from this interpreter's environment."""
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = hookrunner(repo, "run", "-a", "--no-fail-fast", "--json", "-", env=env)
    report = json.loads(proc.stdout)
    return {t["name"]: t["status"] for t in report["tasks"]}


@pytest.mark.parametrize(
    ("files", "cmd"),
    [
        ({"pyproject.toml": '[tool.mypy]\nfiles = ["lib"]\n'}, "mypy"),
        ({"mypy.ini": "[mypy]\nfiles = lib\n"}, "mypy"),
        ({"setup.cfg": "[mypy]\npackages = lib\n"}, "mypy"),
        ({"pyproject.toml": "[tool.mypy]\n", "src/lib/__init__.py": ""}, "mypy src"),
        (
            {"mypy.ini": "[mypy]\n", "lib/__init__.py": "", "tests/__init__.py": ""},
            "mypy lib",
        ),
    ],
)
def test_mypy_gets_a_target(repo: Path, files: dict[str, str], cmd: str) -> None:
    project(repo, files)
    lines, tasks = init(repo)
    assert tasks["mypy"]["cmd"] == cmd
    if cmd != "mypy":
        assert f"mypy checks {cmd[5:]}/: its configuration names no files" in lines


def test_mypy_without_a_target_is_left_out_and_the_message_says_why(repo: Path) -> None:
    project(repo, {"pyproject.toml": "[tool.mypy]\nstrict = true\n", "tests/__init__.py": ""})
    lines, tasks = init(repo)
    assert "mypy" not in tasks
    assert lines[1:] == [
        "mypy: commented out in the table, as its configuration names no files and there is "
        "no src/ or package folder to check; set files there, then uncomment it"
    ]
    assert '# cmd = "mypy"' in (repo / "pyproject.toml").read_text()
    assert hookrunner(repo, "list").returncode == 0


def test_starter_table_runs_clean_on_a_src_layout_project(repo: Path) -> None:
    """mypy gets a target, ruff honours the project's excludes, pytest waits for a push."""
    project(
        repo,
        {
            "pyproject.toml": (
                '[project]\nname = "lib"\n\n[tool.ruff]\nextend-exclude = ["examples/"]\n\n'
                "[tool.mypy]\nstrict = true\n"
            ),
            "src/lib/__init__.py": "def double(x: int) -> int:\n    return 2 * x\n",
            "examples/demo.py": RUFF_BAD,
            "tests/conftest.py": "",
            "tests/test_lib.py": "def test_fails() -> None:\n    raise AssertionError\n",
        },
    )
    init(repo)
    git(repo, "add", "pyproject.toml")
    git(repo, "commit", "-q", "-m", "starter table")
    assert statuses(repo) == {
        "ruff-format": "passed",
        "ruff-check": "passed",
        "mypy": "passed",
        "pytest": "skipped",
    }
    assert (repo / "examples" / "demo.py").read_text() == RUFF_BAD
    assert git(repo, "status", "--porcelain") == ""


def test_file_local_tools_cache_per_file_and_mypy_keeps_the_default(repo: Path) -> None:
    project(
        repo,
        {
            "pyproject.toml": (
                "[tool.ruff]\n[tool.black]\n[tool.isort]\n[tool.codespell]\n"
                '[tool.mypy]\nfiles = ["lib"]\n'
            ),
            ".flake8": "[flake8]\n",
            "pytest.ini": "[pytest]\n",
        },
    )
    _, tasks = init(repo)
    assert {name: task.get("cache") for name, task in tasks.items()} == {
        "ruff-format": "per-file",
        "black": "per-file",
        "isort": "per-file",
        "ruff-check": "per-file",
        "flake8": "per-file",
        "codespell": "per-file",
        "mypy": None,
        "pytest": None,
    }
    assert tasks["pytest"]["hooks"] == ["pre-push"]
    assert hookrunner(repo, "list").returncode == 0


def test_an_existing_pre_commit_config_is_run_and_only_what_it_lacks_is_added(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "store"))
    config = (
        "repos:\n- repo: local\n  hooks:\n"
        "  - {id: ruff, name: ruff, language: system, entry: 'true', types: [python]}\n"
    )
    project(repo, {".pre-commit-config.yaml": config, "pyproject.toml": "[tool.ruff]\n"})
    lines, tasks = init(repo)
    assert lines == [
        "wrote a starter [tool.paratools] table to pyproject.toml (ruff-format)",
        "found .pre-commit-config.yaml: its hooks run as tasks (pre_commit_config = true);"
        " left to it: ruff-check",
    ]
    table = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["paratools"]
    assert table["pre_commit_config"] is True
    assert list(tasks) == ["ruff-format"]
    listed = hookrunner(repo, "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert [t["name"] for t in json.loads(listed.stdout)["tasks"]] == ["ruff-format", "ruff"]
