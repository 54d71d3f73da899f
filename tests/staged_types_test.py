"""Hiding unstaged work where a tracked path changed type: untracked data in
the way of the checkout (a folder where a file was, a file where a folder
was) is set aside and put back, never deleted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hookrunner.errors import HookrunnerError
from hookrunner.git.commands import find_repo
from hookrunner.git.staged_files_only import recover_leftover, unstaged_changes_hidden
from tests.conftest import git, hookrunner, write_config
from tests.staged_test import kept_files, patches, snapshot, work_tree_matches_index


def commit_files(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "files")


def file_to_folder(repo: Path) -> None:
    """A tracked file replaced by a folder of untracked (and ignored) data."""
    commit_files(repo, {"config": "tracked\n", ".gitignore": "*.secret\n"})
    (repo / "config").unlink()
    (repo / "config" / "deep" / "er").mkdir(parents=True)
    (repo / "config" / "local.toml").write_text("PRECIOUS\n")
    (repo / "config" / "deep" / "er" / "key.secret").write_text("ignored, but mine\n")
    (repo / "config" / "empty").mkdir()


def folder_to_file(repo: Path) -> None:
    commit_files(repo, {"pkg/a.py": "a\n", "pkg/sub/b.py": "b\n"})
    subprocess.run(["rm", "-r", str(repo / "pkg")], check=True)
    (repo / "pkg").write_text("PRECIOUS\n")


def file_to_symlink_to_a_folder(repo: Path) -> None:
    commit_files(repo, {"data": "tracked\n", "real/inside.txt": "x\n"})
    (repo / "data").unlink()
    os.symlink("real", repo / "data")


def symlink_to_folder(repo: Path) -> None:
    (repo / "target.txt").write_text("t\n")
    os.symlink("target.txt", repo / "link")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "link")
    (repo / "link").unlink()
    (repo / "link").mkdir()
    (repo / "link" / "notes.txt").write_text("PRECIOUS\n")


def folder_to_symlink(repo: Path, tmp_path: Path) -> None:
    commit_files(repo, {"lib/mod.py": "tracked\n"})
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "mod.py").write_text("not in the repository\n")
    subprocess.run(["rm", "-r", str(repo / "lib")], check=True)
    os.symlink(outside, repo / "lib")


def nested(repo: Path) -> None:
    """Both ways at once, deep down: a folder became a file, a file a folder."""
    commit_files(repo, {"a/b/c/d.txt": "d\n", "a/b/e.txt": "e\n", "x/y/z.txt": "z\n"})
    subprocess.run(["rm", "-r", str(repo / "a" / "b" / "c")], check=True)
    (repo / "a" / "b" / "c").write_text("PRECIOUS c\n")
    (repo / "x" / "y" / "z.txt").unlink()
    (repo / "x" / "y" / "z.txt").mkdir()
    (repo / "x" / "y" / "z.txt" / "inner.txt").write_text("PRECIOUS z\n")


def staged_change(repo: Path) -> None:
    (repo / "README").write_text("staged\n")
    git(repo, "add", "README")


CASES: dict[str, Callable[[Path], None]] = {
    "file to folder": file_to_folder,
    "folder to file": folder_to_file,
    "file to symlink to a folder": file_to_symlink_to_a_folder,
    "symlink to folder": symlink_to_folder,
    "nested": nested,
}


@pytest.mark.parametrize("case", list(CASES))
def test_untracked_data_where_a_path_changed_type_comes_back(repo: Path, case: str) -> None:
    CASES[case](repo)
    staged_change(repo)
    before = snapshot(repo)
    with unstaged_changes_hidden(find_repo(repo)) as work:
        # The tasks see exactly the index, as for any hidden change.
        assert work_tree_matches_index(repo)
        assert git(repo, "status", "--porcelain", "--untracked-files=all", "--ignored") == (
            "M  README\n"
        )
    assert snapshot(repo) == before
    assert work.notes == []
    assert patches(repo) == []
    assert not (repo / ".git" / "hookrunner-kept").exists()


def test_a_folder_replaced_by_a_symlink_never_writes_through_it(repo: Path, tmp_path: Path) -> None:
    folder_to_symlink(repo, tmp_path)
    staged_change(repo)
    before = snapshot(repo)
    with unstaged_changes_hidden(find_repo(repo)):
        assert not (repo / "lib").is_symlink()
        assert (repo / "lib" / "mod.py").read_text() == "tracked\n"
        assert (tmp_path / "outside" / "mod.py").read_text() == "not in the repository\n"
    assert snapshot(repo) == before
    assert os.readlink(repo / "lib") == str(tmp_path / "outside")
    assert (tmp_path / "outside" / "mod.py").read_text() == "not in the repository\n"


def test_data_whose_place_is_taken_after_the_run_is_kept_and_named(repo: Path) -> None:
    folder_to_file(repo)
    staged_change(repo)
    with unstaged_changes_hidden(find_repo(repo)) as work:
        # A task importing the package leaves a cache in the checked-out folder.
        (repo / "pkg" / "__pycache__").mkdir()
        (repo / "pkg" / "__pycache__" / "a.pyc").write_bytes(b"\0")
    [kept] = kept_files(repo)
    assert kept.read_text() == "PRECIOUS\n"
    assert kept.name == "pkg"
    [note] = work.notes
    assert note.startswith("hookrunner: pkg: written during the run, so the untracked data")
    assert f"'mv {kept} pkg'" in note
    assert patches(repo) == []


def test_data_that_cannot_be_set_aside_stops_the_run_before_anything_changes(
    repo: Path,
) -> None:
    file_to_folder(repo)
    staged_change(repo)
    (repo / ".git" / "hookrunner-kept").write_text("in the way\n")
    before = snapshot(repo)
    with (
        pytest.raises(HookrunnerError, match=r"^config: untracked data .* changed nothing"),
        unstaged_changes_hidden(find_repo(repo)),
    ):
        pytest.fail("the body must not run")  # pragma: no cover
    assert snapshot(repo) == before
    assert patches(repo) == []


CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from hookrunner.git.commands import find_repo
    from hookrunner.git.staged_files_only import unstaged_changes_hidden

    with unstaged_changes_hidden(find_repo(Path(sys.argv[1]))):
        print("hidden", flush=True)
        time.sleep(120)
    """
)


def kill_while_hidden(repo: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(repo)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "hidden\n"
    finally:
        child.kill()
        child.wait()


def test_a_killed_run_gets_its_set_aside_data_back_on_the_next_run(repo: Path) -> None:
    file_to_folder(repo)
    staged_change(repo)
    before = snapshot(repo)
    kill_while_hidden(repo)
    assert (repo / "config").read_text() == "tracked\n"
    assert (repo / ".git" / "hookrunner-kept").exists()
    message = recover_leftover(find_repo(repo))
    assert message is not None
    assert message.startswith("hookrunner: restored unstaged changes")
    assert snapshot(repo) == before
    assert not (repo / ".git" / "hookrunner-kept").exists()


def test_a_killed_run_whose_patch_no_longer_applies_says_where_the_data_is(
    repo: Path,
) -> None:
    file_to_folder(repo)
    staged_change(repo)
    kill_while_hidden(repo)
    (repo / "config").write_text("edited since\n")
    with pytest.raises(HookrunnerError) as raised:
        recover_leftover(find_repo(repo))
    aside = next((repo / ".git" / "hookrunner-kept").glob("*/set-aside"))
    assert f"'mv {aside / 'config'} config'" in str(raised.value)
    assert (aside / "config" / "local.toml").read_text() == "PRECIOUS\n"


def test_the_issue_case_through_a_real_commit(repo: Path) -> None:
    """Issue 17: commit a file, make it a folder with a file in it, commit
    anything else: the folder's file must still be there."""
    write_config(repo, '[tasks.ok]\ncmd = ["true"]\nalways_run = true\n')
    commit_files(repo, {"config": "tracked\n"})
    assert hookrunner(repo, "install").returncode == 0
    (repo / "config").unlink()
    (repo / "config").mkdir()
    (repo / "config" / "local.toml").write_text("PRECIOUS\n")
    (repo / "other.txt").write_text("anything\n")
    git(repo, "add", "other.txt")
    proc = subprocess.run(
        ["git", "commit", "-q", "-m", "other"], cwd=repo, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (repo / "config" / "local.toml").read_text() == "PRECIOUS\n"
    assert git(repo, "show", "HEAD:config") == "tracked\n"
    assert git(repo, "log", "-1", "--format=%s") == "other\n"


def test_a_killed_run_whose_data_lost_its_place_says_how_to_move_it_back(repo: Path) -> None:
    folder_to_file(repo)
    staged_change(repo)
    kill_while_hidden(repo)
    (repo / "pkg" / "new.txt").write_text("written since\n")
    message = recover_leftover(find_repo(repo))
    assert message is not None
    [kept] = kept_files(repo)
    assert kept.read_text() == "PRECIOUS\n"
    assert message.endswith(f"move it back with 'mv {kept} pkg'")
    assert (repo / "pkg" / "new.txt").read_text() == "written since\n"
    assert patches(repo) == []


def test_ctrl_c_in_the_run_still_puts_the_data_back(repo: Path) -> None:
    file_to_folder(repo)
    staged_change(repo)
    before = snapshot(repo)

    def interrupted() -> None:
        assert (repo / "config").read_text() == "tracked\n"
        os.kill(os.getpid(), signal.SIGINT)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())  # let it land now
        pytest.fail("SIGINT was not delivered")  # pragma: no cover

    with pytest.raises(KeyboardInterrupt), unstaged_changes_hidden(find_repo(repo)):
        interrupted()
    assert snapshot(repo) == before
    assert not (repo / ".git" / "hookrunner-kept").exists()


# Says it has started (with its pid), then waits to be stopped.
WAIT = (
    "import os, sys, time\n"
    "open(sys.argv[1] + '.tmp', 'w').write(str(os.getpid()))\n"
    "os.rename(sys.argv[1] + '.tmp', sys.argv[1])\n"
    "end = time.monotonic() + 60\n"
    "while time.monotonic() < end:\n"
    "    time.sleep(0.01)\n"
)


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_the_real_command_stopped_mid_run_gives_the_data_back(
    repo: Path, tmp_path: Path, how: signal.Signals, cleanup_pids: list[int]
) -> None:
    started = tmp_path / "started"
    cmd = [sys.executable, "-c", WAIT, str(started)]
    write_config(repo, f'[tasks.wait]\nstage = "test"\ncmd = {json.dumps(cmd)}\n')
    file_to_folder(repo)
    staged_change(repo)
    before = snapshot(repo)
    args = [sys.executable, "-m", "hookrunner", "run"]
    proc = subprocess.Popen(args, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    cleanup_pids.append(proc.pid)
    deadline = time.monotonic() + 60
    while not started.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.01)
    assert (repo / "config").read_text() == "tracked\n"
    proc.send_signal(how)
    _, err = proc.communicate(timeout=60)
    if how == signal.SIGKILL:
        # The task, in a session of its own, outlives a SIGKILLed hookrunner.
        task = int(started.read_text())
        cleanup_pids.append(task)
        os.kill(task, signal.SIGKILL)
        again = hookrunner(repo, "run", env={"SKIP": "wait"})
        assert again.returncode == 0, again.stderr
        assert "restored unstaged changes left by an interrupted run" in again.stderr
    else:
        assert proc.returncode == {signal.SIGINT: 130, signal.SIGTERM: 143}[how], err
    assert snapshot(repo) == before
    assert not (repo / ".git" / "hookrunner-kept").exists()
