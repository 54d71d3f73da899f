"""A file saved while a run has unstaged work hidden (an editor saving in the
middle of a commit) is never lost: what was saved stays in the work tree,
merged with the hidden changes, or is kept in a file the output names, and
the run fails."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hookrunner.git.commands import find_repo
from hookrunner.git.staged_files_only import unstaged_changes_hidden
from tests.conftest import git, hookrunner, write_config
from tests.staged_test import kept_files, patches

# Says it has started, then holds the run until the test has made its edit.
WAIT = (
    "import os, sys, time\n"
    "open(sys.argv[1], 'w').close()\n"
    "end = time.monotonic() + 60\n"
    "while not os.path.exists(sys.argv[2]) and time.monotonic() < end:\n"
    "    time.sleep(0.01)\n"
)
# A formatter: fixes its files first, then waits like WAIT.
FORMAT_THEN_WAIT = (
    "import sys\n"
    "for name in sys.argv[3:]:\n"
    "    text = open(name).read()\n"
    "    open(name, 'w').write(text.replace('x=1', 'x = 1'))\n" + WAIT
)
LINES = [f"line {n}\n" for n in range(1, 21)]
HEAD = "x = 1\n" + "".join(LINES)
STAGED = "x = 2\n" + "".join(LINES)
UNSTAGED = STAGED.replace("line 20\n", "line 20, unstaged\n")


def text(*lines: str) -> str:
    return "".join(lines)


@pytest.fixture
def project(repo: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    """code.py with a staged edit (line 1) and an unstaged one (the last
    line), other.py clean, and a commit hook whose task waits for ``go``."""
    started, go = tmp_path / "started", tmp_path / "go"
    cmd = [sys.executable, "-c", WAIT, str(started), str(go)]
    write_config(repo, f'[tasks.wait]\nstage = "test"\ncmd = {json.dumps(cmd)}\n')
    (repo / "code.py").write_text(HEAD)
    (repo / "other.py").write_text("other\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "files")
    assert hookrunner(repo, "install").returncode == 0
    (repo / "code.py").write_text(STAGED)
    git(repo, "add", "code.py")
    (repo / "code.py").write_text(UNSTAGED)
    return repo, started, go


def commit_with_a_save(
    project: tuple[Path, Path, Path], save: Callable[[Path], object]
) -> subprocess.CompletedProcess[str]:
    """``git commit``; once its task has started, ``save`` plays the editor."""
    repo, started, go = project
    args = ["git", "commit", "-q", "-m", "change"]
    proc = subprocess.Popen(args, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not started.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the task never started"
            time.sleep(0.01)
        save(repo)
        go.touch()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:  # pragma: no cover (only when the test failed)
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(args, proc.returncode, out.decode(), err.decode())


def editor(name: str, content: str) -> Callable[[Path], None]:
    def save(repo: Path) -> None:
        # The task runs: the unstaged work is hidden now.
        assert (repo / "code.py").read_text() == STAGED
        (repo / name).write_text(content)

    return save


def check_failed_without_blame(repo: Path, proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert git(repo, "log", "-1", "--format=%s") == "files\n"  # nothing committed
    assert git(repo, "show", ":code.py") == STAGED  # the index is as the user left it
    assert "fixes made by the tasks" not in proc.stderr
    [note] = [line for line in proc.stderr.splitlines() if "code.py changed" in line]
    assert "task" not in note
    assert patches(repo) == []
    return note


def test_a_save_that_conflicts_with_the_hidden_changes_is_kept_and_named(
    project: tuple[Path, Path, Path],
) -> None:
    """Issue 12, item 8: the user kept typing on the line they had changed."""
    saved = UNSTAGED.replace("line 20, unstaged\n", "line 20, typed on\nand more\n")
    proc = commit_with_a_save(project, editor("code.py", saved))
    repo = project[0]
    note = check_failed_without_blame(repo, proc)
    [kept] = kept_files(repo)
    assert kept.read_text() == saved
    assert note.endswith(f"your unstaged version is back; what was written is kept in {kept}")
    assert (repo / "code.py").read_text() == UNSTAGED


def test_a_save_that_already_holds_the_hidden_changes_stays(
    project: tuple[Path, Path, Path],
) -> None:
    """The editor's buffer had the unstaged changes; the user added a line."""
    saved = "# new first line\n" + UNSTAGED
    proc = commit_with_a_save(project, editor("code.py", saved))
    repo = project[0]
    note = check_failed_without_blame(repo, proc)
    assert note.endswith("it already holds them, and is left as it is")
    assert (repo / "code.py").read_text() == saved
    assert kept_files(repo) == []


def test_a_save_that_merges_with_the_hidden_changes_holds_both(
    project: tuple[Path, Path, Path],
) -> None:
    """The editor reloaded the file it was shown (the staged version), and
    the user edited that."""
    proc = commit_with_a_save(project, editor("code.py", "# new first line\n" + STAGED))
    repo = project[0]
    note = check_failed_without_blame(repo, proc)
    assert note.endswith("it now holds them as well")
    assert (repo / "code.py").read_text() == "# new first line\n" + UNSTAGED
    assert kept_files(repo) == []


def test_a_save_to_a_file_with_nothing_hidden_stays(project: tuple[Path, Path, Path]) -> None:
    proc = commit_with_a_save(project, editor("other.py", "saved\n"))
    repo = project[0]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (repo / "other.py").read_text() == "saved\n"
    assert (repo / "code.py").read_text() == UNSTAGED
    assert git(repo, "show", "HEAD:code.py") == STAGED
    assert git(repo, "show", "HEAD:other.py") == "other\n"


def test_a_formatter_and_a_save_on_the_same_file(project: tuple[Path, Path, Path]) -> None:
    """The formatter fixes the staged line 1, then the editor saves its buffer
    (the unstaged version plus a new line) over the fix."""
    repo, started, go = project
    cmd = [sys.executable, "-c", FORMAT_THEN_WAIT, str(started), str(go)]
    config = f'[tasks.fmt]\nstage = "format"\ncmd = {json.dumps(cmd)}\nfiles = ["code.py"]\n'
    write_config(repo, config, commit=False)
    git(repo, "add", "pyproject.toml")
    (repo / "code.py").write_text("x=1\n" + text(*LINES))
    git(repo, "add", "code.py")
    (repo / "code.py").write_text("x=1\n" + text(*LINES[:-1]) + "line 20, unstaged\n")
    saved = "x=1\n# typed while the hook ran\n" + text(*LINES[:-1]) + "line 20, unstaged\n"

    def save(repo: Path) -> None:
        assert (repo / "code.py").read_text() == "x = 1\n" + text(*LINES)  # fixed
        (repo / "code.py").write_text(saved)

    proc = commit_with_a_save(project, save)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (repo / "code.py").read_text() == saved
    assert "fixes made by the tasks" not in proc.stderr
    assert "code.py changed while your unstaged changes were hidden" in proc.stderr
    assert patches(repo) == []


def test_a_fix_staged_by_the_run_that_merges_needs_no_note(repo: Path) -> None:
    """stage_fixed: the run staged its own fix, which merges with the hidden
    changes: nothing for the user to look at, the commit goes on."""
    (repo / "code.py").write_text(STAGED)
    git(repo, "add", "code.py")
    (repo / "code.py").write_text(UNSTAGED)
    with unstaged_changes_hidden(find_repo(repo)) as work:
        (repo / "code.py").write_text(STAGED.replace("x = 2", "x = 3"))
        git(repo, "add", "code.py")
    assert work.notes == []
    assert (repo / "code.py").read_text() == UNSTAGED.replace("x = 2", "x = 3")


def test_a_hidden_file_deleted_during_the_run_comes_back(repo: Path) -> None:
    (repo / "code.py").write_text(STAGED)
    git(repo, "add", "code.py")
    (repo / "code.py").write_text(UNSTAGED)
    with unstaged_changes_hidden(find_repo(repo)) as work:
        (repo / "code.py").unlink()
    assert (repo / "code.py").read_text() == UNSTAGED
    [note] = work.notes
    assert note.endswith("your unstaged version is back; it had been deleted")
    assert kept_files(repo) == []


def test_file_names_are_never_globs_when_files_are_settled_one_by_one(repo: Path) -> None:
    """``git apply --include`` takes a pattern: 'a*[b].py' must not also pick
    'aX[b].py' or 'ab.py', whose hidden changes merge on their own."""
    names = ["a*[b].py", "aXb.py", "ab.py"]
    for name in names:
        (repo / name).write_text(STAGED)
    git(repo, "add", "-A")
    for name in names:
        (repo / name).write_text(UNSTAGED)
    with unstaged_changes_hidden(find_repo(repo)) as work:
        (repo / "a*[b].py").write_text(STAGED.replace("line 20", "line 20, fixed"))
        (repo / "ab.py").write_text("# fixed\n" + STAGED)
    [kept] = kept_files(repo)
    assert kept.name == "a*[b].py"
    assert kept.read_text() == STAGED.replace("line 20", "line 20, fixed")
    assert (repo / "a*[b].py").read_text() == UNSTAGED
    assert (repo / "aXb.py").read_text() == UNSTAGED
    assert (repo / "ab.py").read_text() == "# fixed\n" + UNSTAGED
    assert len(work.notes) == 2
