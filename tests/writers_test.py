"""Any task may write files: what a run says about a task that did (SPEC "Files of a run")."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import git, hookrunner, write_config

# Sorts the lines of each file it is given; exits with FIX_EXIT when it changed one.
SORTER = """\
import os, sys
changed = False
for name in sys.argv[1:]:
    text = open(name).read()
    fixed = "".join(sorted(text.splitlines(keepends=True)))
    if fixed != text:
        open(name, "w").write(fixed)
        changed = True
sys.exit(int(os.environ.get("FIX_EXIT", "0")) if changed else 0)
"""


@pytest.fixture
def unsorted(repo: Path) -> Path:
    (repo / "sorter.py").write_text(SORTER)
    (repo / "a.txt").write_text("b\na\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "files")
    return repo


def sorter_task(name: str, stage: str, fix_exit: int = 0) -> str:
    return f"""
[tasks.{name}]
stage = "{stage}"
cmd = [{json.dumps(sys.executable)}, "sorter.py"]
files = ["*.txt"]
env = {{ FIX_EXIT = "{fix_exit}" }}
"""


def report(repo: Path, *args: str) -> tuple[int, dict[str, dict[str, object]], str]:
    done = hookrunner(repo, "run", "--all-files", "--json", "report.json", *args)
    data = json.loads((repo / "report.json").read_text())
    return done.returncode, {t["name"]: t for t in data["tasks"]}, done.stdout + done.stderr


def test_a_lint_task_that_writes_is_modified_files_and_never_cached(unsorted: Path) -> None:
    repo = unsorted
    write_config(repo, sorter_task("sort-lint", "lint"))
    code, tasks, out = report(repo)
    assert code == 1, out
    assert tasks["sort-lint"]["status"] == "modified"
    assert tasks["sort-lint"]["modified"] == ["a.txt"]
    assert "Modified files" in out
    assert 'give it stage = "format"' in out
    # The same content again: the task runs again, since a write is never a pass.
    (repo / "a.txt").write_text("b\na\n")
    code, tasks, out = report(repo)
    assert code == 1, out
    assert tasks["sort-lint"]["status"] == "modified"
    assert "cached" not in tasks["sort-lint"]


def test_a_writing_lint_task_stops_a_commit(unsorted: Path) -> None:
    repo = unsorted
    write_config(repo, sorter_task("sort-lint", "lint"))
    (repo / "a.txt").write_text("d\nc\n")
    git(repo, "add", "a.txt")
    done = hookrunner(repo, "run", "--hook", "pre-commit")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Modified files" in done.stdout


def test_a_formatter_that_fixes_and_exits_1_is_modified_not_failed(unsorted: Path) -> None:
    repo = unsorted
    # pre-commit-hooks' fixers exit 1 when they fix: that must not count as a failure
    # (fail-fast would cancel the other formatter, and the lint task would be skipped).
    (repo / "b.txt").write_text("z\ny\n")
    git(repo, "add", "b.txt")
    write_config(
        repo,
        sorter_task("fixer", "format", fix_exit=1)
        + """
[tasks.later]
stage = "lint"
cmd = ["true"]
""",
    )
    code, tasks, out = report(repo)
    assert code == 1, out
    assert tasks["fixer"]["status"] == "modified"
    assert sorted(tasks["fixer"]["modified"]) == ["a.txt", "b.txt"]  # type: ignore[call-overload]
    assert tasks["later"]["status"] == "passed"
    assert "Failed" not in out
    assert (repo / "a.txt").read_text() == "a\nb\n"


def test_a_formatter_that_exits_1_without_changes_still_fails(unsorted: Path) -> None:
    repo = unsorted
    (repo / "a.txt").write_text("a\nb\n")
    write_config(
        repo,
        """
[tasks.broken]
stage = "format"
cmd = ["false"]
""",
    )
    code, tasks, _out = report(repo)
    assert code == 1
    assert tasks["broken"]["status"] == "failed"
