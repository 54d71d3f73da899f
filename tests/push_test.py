"""A push is judged by what it pushes (SPEC "Files of a run"): a real bare
remote, the installed pre-push hook and real ``git push``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git, hookrunner, write_config

SORTER = (
    "import sys\n"
    "for name in sys.argv[1:]:\n"
    "    text = open(name).read()\n"
    "    open(name, 'w').write(''.join(sorted(text.splitlines(keepends=True))))\n"
)


@pytest.fixture
def pushing(repo: Path, tmp_path: Path, tool: tuple[Path, dict[str, str]]) -> Path:
    """A repository whose pre-push hook runs ``checker`` (fails on FAIL) on the pushed files."""
    _log, env = tool
    os.environ["PATH"] = env["PATH"]  # the hook finds checker as a user's would
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    (repo / "sorter.py").write_text(SORTER)
    write_config(
        repo,
        f"""
[tasks.sort]
stage = "format"
cmd = [{json.dumps(sys.executable)}, "sorter.py"]
files = ["*.txt"]
hooks = ["pre-push"]

[tasks.check]
cmd = "checker"
files = ["*.txt"]
hooks = ["pre-push"]
""",
    )
    git(repo, "add", "sorter.py")
    git(repo, "commit", "-qm", "sorter")
    git(repo, "push", "-q", "origin", "main")
    done = hookrunner(repo, "install", "--hook", "pre-push")
    assert done.returncode == 0, done.stderr
    return repo


def push(repo: Path, *refs: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "push", "origin", *refs], cwd=repo, capture_output=True, text=True, check=False
    )


def commit_file(repo: Path, name: str, text: str) -> None:
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-qm", f"add {name}")


def leftovers(repo: Path) -> list[str]:
    return sorted(p.name for p in (repo / ".git").glob("hookrunner-push-*"))


def test_a_bad_commit_is_blocked_though_the_work_tree_has_the_fix(pushing: Path) -> None:
    repo = pushing
    commit_file(repo, "a.txt", "FAIL\n")
    (repo / "a.txt").write_text("fixed, not committed\n")
    done = push(repo, "main")
    assert done.returncode != 0, done.stdout + done.stderr
    assert (repo / "a.txt").read_text() == "fixed, not committed\n"
    assert git(repo, "rev-parse", "origin/main") != git(repo, "rev-parse", "main")


def test_a_good_commit_goes_through_and_unstaged_work_is_left_alone(pushing: Path) -> None:
    repo = pushing
    commit_file(repo, "a.txt", "a\nb\n")
    # Work in progress: unsorted and failing. The formatter must not touch it.
    (repo / "a.txt").write_text("z\nFAIL\na\n")
    done = push(repo, "main")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / "a.txt").read_text() == "z\nFAIL\na\n"
    assert git(repo, "rev-parse", "origin/main") == git(repo, "rev-parse", "main")


def test_a_branch_that_is_not_checked_out_is_checked_in_its_own_checkout(
    pushing: Path,
) -> None:
    repo = pushing
    git(repo, "checkout", "-q", "-b", "topic")
    commit_file(repo, "topic.txt", "good\n")
    git(repo, "checkout", "-q", "main")
    assert not (repo / "topic.txt").exists()
    done = push(repo, "topic")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No such file" not in done.stderr
    assert leftovers(repo) == []
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    git(repo, "checkout", "-q", "topic")
    commit_file(repo, "topic.txt", "FAIL\n")
    git(repo, "checkout", "-q", "main")
    done = push(repo, "topic")
    assert done.returncode != 0, done.stdout + done.stderr
    assert leftovers(repo) == []


def test_a_checkout_left_by_a_killed_run_is_removed_by_the_next(pushing: Path) -> None:
    repo = pushing
    git(repo, "worktree", "add", "-q", "--detach", str(repo / ".git" / "hookrunner-push-1"))
    git(repo, "checkout", "-q", "-b", "topic")
    commit_file(repo, "topic.txt", "good\n")
    git(repo, "checkout", "-q", "main")
    done = push(repo, "topic")
    assert done.returncode == 0, done.stdout + done.stderr
    assert leftovers(repo) == []
