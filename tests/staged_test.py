from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from hookrunner.errors import HookrunnerError
from hookrunner.git.commands import Repo, find_repo
from hookrunner.git.lock import repo_lock
from hookrunner.git.staged_files_only import (
    recover_leftover,
    unstaged_changes_hidden,
)
from tests.conftest import git

Snapshot = tuple[dict[str, tuple[int, bytes]], str, str]


def snapshot(root: Path) -> Snapshot:
    """Every byte and mode of the work tree (untracked files too), and the index."""
    files: dict[str, tuple[int, bytes]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            if name == ".git":
                continue
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                files[rel] = (0, os.readlink(path).encode())
            else:
                files[rel] = (path.stat().st_mode, path.read_bytes())
    index = git(root, "ls-files", "--stage", "-z")
    status = git(root, "status", "--porcelain", "-z", "--untracked-files=all")
    return files, index, status


def work_tree_matches_index(root: Path) -> bool:
    proc = subprocess.run(
        ["git", "diff", "--quiet", "--ignore-submodules", "--no-ext-diff"], cwd=root, check=False
    )
    return proc.returncode == 0


def patches(repo: Path) -> list[Path]:
    return sorted((repo / ".git").glob("hookrunner-patch-*.patch"))


def kept_files(repo: Path) -> list[Path]:
    """Everything a run kept under the git directory (files and symlinks)."""
    kept = repo / ".git" / "hookrunner-kept"
    return sorted(p for p in kept.rglob("*") if p.is_symlink() or not p.is_dir())


def round_trip(repo: Path) -> Snapshot:
    """Run an empty body; check the tasks would see the index, and nothing changes."""
    before = snapshot(repo)
    with unstaged_changes_hidden(find_repo(repo)):
        assert work_tree_matches_index(repo)
        assert len(patches(repo)) == 1
    assert snapshot(repo) == before
    assert patches(repo) == []
    return before


def test_nothing_to_hide_writes_no_patch(repo: Path) -> None:
    (repo / "untracked.txt").write_text("mine\n")
    before = snapshot(repo)
    with unstaged_changes_hidden(find_repo(repo)):
        assert patches(repo) == []
        assert snapshot(repo) == before
    assert snapshot(repo) == before


def test_plain_unstaged_edit(repo: Path) -> None:
    (repo / "README").write_text("unstaged\n")
    with unstaged_changes_hidden(find_repo(repo)):
        assert (repo / "README").read_text() == "hello\n"
    assert (repo / "README").read_text() == "unstaged\n"
    round_trip(repo)


def test_unstaged_edit_on_top_of_a_staged_edit(repo: Path) -> None:
    (repo / "README").write_text("staged\n")
    git(repo, "add", "README")
    (repo / "README").write_text("staged\nand unstaged\n")
    before = snapshot(repo)
    with unstaged_changes_hidden(find_repo(repo)):
        assert (repo / "README").read_text() == "staged\n"
    assert snapshot(repo) == before


def test_intent_to_add_file(repo: Path) -> None:
    (repo / "new.txt").write_text("planned\n")
    (repo / "README").write_text("unstaged\n")
    git(repo, "add", "--intent-to-add", "new.txt")
    before = snapshot(repo)
    with unstaged_changes_hidden(find_repo(repo)):
        assert "new.txt" not in git(repo, "ls-files")
        assert (repo / "new.txt").read_text() == "planned\n"
    assert snapshot(repo) == before
    assert git(repo, "status", "--porcelain", "new.txt") == " A new.txt\n"


def test_only_intent_to_add_files(repo: Path) -> None:
    (repo / "new.txt").write_text("planned\n")
    git(repo, "add", "-N", "new.txt")
    round_trip(repo)


def test_binary_file(repo: Path) -> None:
    (repo / "blob.bin").write_bytes(bytes(range(256)) * 4)
    git(repo, "add", "blob.bin")
    (repo / "blob.bin").write_bytes(b"\0\xff\x00changed" + bytes(range(256)))
    round_trip(repo)


def test_crlf_with_autocrlf_true(repo: Path) -> None:
    git(repo, "config", "core.autocrlf", "true")
    (repo / "dos.txt").write_bytes(b"one\r\ntwo\r\nthree\r\n")
    git(repo, "add", "dos.txt")
    git(repo, "commit", "-q", "-m", "dos")
    (repo / "dos.txt").write_bytes(b"one\r\n2\r\nthree\r\nfour\r\n")
    before = round_trip(repo)
    assert before[0]["dos.txt"][1] == b"one\r\n2\r\nthree\r\nfour\r\n"


def test_crlf_work_tree_over_lf_blob_with_autocrlf_true(repo: Path) -> None:
    git(repo, "config", "core.autocrlf", "true")
    (repo / "unix.txt").write_bytes(b"one\ntwo\n")
    git(repo, "add", "unix.txt")
    git(repo, "commit", "-q", "-m", "unix")
    # An editor that writes LF endings in a checkout git keeps in CRLF.
    (repo / "unix.txt").write_bytes(b"one\n2\r\nthree\n")
    round_trip(repo)


def test_lf_work_tree_over_crlf_blob_with_autocrlf_true(repo: Path) -> None:
    (repo / "dos.txt").write_bytes(b"one\r\ntwo\r\n")
    git(repo, "add", "dos.txt")
    git(repo, "commit", "-q", "-m", "dos")
    git(repo, "config", "core.autocrlf", "true")
    (repo / "dos.txt").write_bytes(b"one\n2\n")
    round_trip(repo)


def test_eol_attribute(repo: Path) -> None:
    (repo / ".gitattributes").write_text("*.txt text eol=crlf\n")
    (repo / "dos.txt").write_bytes(b"one\r\ntwo\r\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "dos")
    (repo / "dos.txt").write_bytes(b"one\r\n2\r\n")
    (repo / "lf.txt").write_bytes(b"one\n")
    git(repo, "add", "lf.txt")
    (repo / "lf.txt").write_bytes(b"one\ntwo\n")
    round_trip(repo)


def test_crlf_with_autocrlf_input(repo: Path) -> None:
    (repo / "dos.txt").write_bytes(b"one\r\ntwo\r\n")
    git(repo, "add", "dos.txt")
    git(repo, "commit", "-q", "-m", "dos")
    git(repo, "config", "core.autocrlf", "input")
    (repo / "dos.txt").write_bytes(b"one\r\n2\r\n")
    # git would store LF for this file, but its CRLF bytes must come back.
    (repo / "README").write_bytes(b"hello\r\nworld\r\n")
    round_trip(repo)


def test_non_utf8_content_and_file_names(repo: Path) -> None:
    name = os.fsdecode(b"caf\xe9 [x].txt")
    (repo / name).write_bytes(b"latin-1: caf\xe9\n")
    git(repo, "add", "--", name)
    (repo / name).write_bytes(b"latin-1: caf\xe9 cr\xe8me\n")
    before = round_trip(repo)
    assert name in before[0]


def test_diff_external_and_color_always_do_not_leak_into_the_patch(
    repo: Path, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.sh"
    garbage.write_text("#!/bin/sh\necho garbage\nexit 0\n")
    garbage.chmod(0o755)
    git(repo, "config", "diff.external", str(garbage))
    git(repo, "config", "color.diff", "always")
    git(repo, "config", "color.ui", "always")
    git(repo, "config", "diff.noprefix", "true")
    (repo / "README").write_text("unstaged\n")
    round_trip(repo)


def test_submodule_with_changes_is_left_alone(repo: Path, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    git(lib, "init", "-q")
    (lib / "lib.txt").write_text("lib\n")
    git(lib, "add", ".")
    git(lib, "commit", "-q", "-m", "lib")
    git(repo, "submodule", "add", "-q", str(lib), "lib")
    git(repo, "commit", "-q", "-m", "submodule")
    sub = repo / "lib"
    (sub / "lib.txt").write_text("edited inside\n")
    (sub / "new.txt").write_text("a new commit\n")
    git(sub, "add", "new.txt")
    git(sub, "commit", "-q", "-m", "moved on")
    (repo / "README").write_text("unstaged\n")
    sub_head = git(sub, "rev-parse", "HEAD")
    sub_status = git(sub, "status", "--porcelain")
    before = snapshot(repo)
    with unstaged_changes_hidden(find_repo(repo)):
        assert (repo / "README").read_text() == "hello\n"
        assert git(sub, "rev-parse", "HEAD") == sub_head
        assert (sub / "lib.txt").read_text() == "edited inside\n"
    assert snapshot(repo) == before
    assert git(sub, "rev-parse", "HEAD") == sub_head
    assert git(sub, "status", "--porcelain") == sub_status


def test_untracked_files_are_untouched(repo: Path) -> None:
    (repo / "README").write_text("unstaged\n")
    (repo / "notes.txt").write_text("untracked\n")
    with unstaged_changes_hidden(find_repo(repo)):
        assert (repo / "notes.txt").read_text() == "untracked\n"
    round_trip(repo)


def test_deleted_but_not_staged_file(repo: Path) -> None:
    (repo / "README").unlink()
    with unstaged_changes_hidden(find_repo(repo)):
        assert (repo / "README").read_text() == "hello\n"
    assert not (repo / "README").exists()
    round_trip(repo)


def test_symlink_and_mode_change(repo: Path) -> None:
    (repo / "run.sh").write_text("#!/bin/sh\n")
    os.symlink("README", repo / "link")
    git(repo, "add", ".")
    (repo / "run.sh").chmod(0o755)
    (repo / "link").unlink()
    os.symlink("elsewhere", repo / "link")
    round_trip(repo)


def test_an_exception_in_the_body(repo: Path) -> None:
    (repo / "README").write_text("unstaged\n")
    before = snapshot(repo)
    with (
        pytest.raises(RuntimeError, match="task blew up"),
        unstaged_changes_hidden(find_repo(repo)),
    ):
        raise RuntimeError("task blew up")
    assert snapshot(repo) == before
    assert patches(repo) == []


def test_ctrl_c_in_the_body(repo: Path) -> None:
    (repo / "README").write_text("unstaged\n")
    before = snapshot(repo)

    def interrupted() -> None:
        os.kill(os.getpid(), signal.SIGINT)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())  # let it land now
        pytest.fail("SIGINT was not delivered")  # pragma: no cover

    with pytest.raises(KeyboardInterrupt):
        hide_around(repo, interrupted)
    assert snapshot(repo) == before
    assert patches(repo) == []


def test_ctrl_c_during_the_save_waits_for_it(repo: Path) -> None:
    """A smudge filter signals us while git checks files out: the save still completes."""
    (repo / ".gitattributes").write_text("*.txt filter=ping\n")
    (repo / "data.txt").write_text("staged\n")
    git(repo, "add", ".")
    git(repo, "config", "filter.ping.clean", "cat")
    git(repo, "config", "filter.ping.smudge", f"kill -INT {os.getpid()}; cat")
    (repo / "data.txt").write_text("unstaged\n")
    before = snapshot(repo)
    entered = False
    with pytest.raises(KeyboardInterrupt), unstaged_changes_hidden(find_repo(repo)):
        entered = True
    assert not entered
    assert snapshot(repo) == before
    assert patches(repo) == []


def hide_around(repo: Path, body: Callable[[], object]) -> None:
    with unstaged_changes_hidden(find_repo(repo)):
        body()


def must_not_run() -> None:
    pytest.fail("the body must not run")  # pragma: no cover


def fix(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new))


def test_a_fix_that_does_not_conflict_is_kept(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [f"line {n}\n" for n in range(20)]
    (repo / "code.py").write_text("".join(["x  =  1\n", *lines]))
    git(repo, "add", "code.py")
    (repo / "code.py").write_text("".join(["x  =  1\n", *lines, "user edit\n"]))
    with unstaged_changes_hidden(find_repo(repo)) as work:
        fix(repo / "code.py", "x  =  1", "x = 1")
    assert (repo / "code.py").read_text() == "".join(["x = 1\n", *lines, "user edit\n"])
    note = "hookrunner: code.py changed while your unstaged changes were hidden"
    assert work.notes == [f"{note}; it now holds them as well"]
    assert "kept in" not in capsys.readouterr().err
    assert patches(repo) == []
    assert not (repo / ".git" / "hookrunner-kept").exists()


def test_a_fix_that_conflicts_is_rolled_back(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "code.py").write_text("x  =  1\n")
    (repo / "other.py").write_text("y  =  2\n")
    git(repo, "add", ".")
    (repo / "code.py").write_text("x  =  1  # mine\n")
    with unstaged_changes_hidden(find_repo(repo)) as work:
        fix(repo / "code.py", "x  =  1", "x = 1")
        fix(repo / "other.py", "y  =  2", "y = 2")
    assert (repo / "code.py").read_text() == "x  =  1  # mine\n"
    assert (repo / "other.py").read_text() == "y = 2\n"  # no conflict there: kept
    [kept] = kept_files(repo)
    assert kept.read_text() == "x = 1\n"  # the fix is kept, not thrown away
    [note] = work.notes
    assert note.startswith("hookrunner: code.py changed while your unstaged changes were hidden")
    assert note.endswith(f"what was written is kept in {kept}")
    assert "task" not in note  # who wrote it is not known here
    assert capsys.readouterr().err == note + "\n"
    assert patches(repo) == []


def test_a_staged_fix_that_conflicts_is_rolled_back_in_the_index_too(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "README").write_text("unstaged\n")
    before = snapshot(repo)

    def stage_a_fix() -> None:
        (repo / "README").write_text("staged fix\n")
        git(repo, "add", "README")

    hide_around(repo, stage_a_fix)
    assert snapshot(repo) == before
    assert "your unstaged version is back; what was written is kept in" in capsys.readouterr().err
    [kept] = kept_files(repo)
    assert kept.read_text() == "staged fix\n"


def test_a_patch_that_cannot_come_back_is_kept_with_instructions(repo: Path) -> None:
    (repo / "README").write_text("unstaged\n")

    def damage_the_patch() -> None:
        [patch] = patches(repo)
        patch.write_bytes(patch.read_bytes().replace(b"-hello", b"-HELLO"))

    with pytest.raises(HookrunnerError) as raised:
        hide_around(repo, damage_the_patch)
    [patch] = patches(repo)
    assert f"git apply --whitespace=nowarn {patch}" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_unmerged_files_stop_before_anything_changes(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "side")
    (repo / "README").write_text("side\n")
    git(repo, "commit", "-q", "-am", "side")
    git(repo, "checkout", "-q", "main")
    (repo / "README").write_text("main\n")
    git(repo, "commit", "-q", "-am", "main")
    subprocess.run(["git", "merge", "side"], cwd=repo, capture_output=True, check=False)
    before = snapshot(repo)
    with pytest.raises(HookrunnerError, match=r"unmerged files \(README\)"):
        hide_around(repo, must_not_run)
    assert snapshot(repo) == before


@pytest.mark.parametrize("intent_to_add", [True, False])
def test_a_failed_save_puts_everything_back(repo: Path, intent_to_add: bool) -> None:
    (repo / "README").write_text("unstaged\n")
    if intent_to_add:
        (repo / "new.txt").write_text("planned\n")
        git(repo, "add", "-N", "new.txt")
    before = snapshot(repo)
    # Another git process holds the index: checking files out must fail.
    (repo / ".git" / "index.lock").write_text("")
    with pytest.raises(HookrunnerError, match=r"index\.lock"):
        hide_around(repo, must_not_run)
    (repo / ".git" / "index.lock").unlink()
    assert snapshot(repo) == before
    assert patches(repo) == []


def test_repository_without_commits(tmp_path: Path) -> None:
    repo = tmp_path / "fresh"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "a.txt").write_text("staged\n")
    git(repo, "add", "a.txt")
    (repo / "a.txt").write_text("staged\nunstaged\n")
    (repo / "b.txt").write_text("planned\n")
    git(repo, "add", "-N", "b.txt")
    with unstaged_changes_hidden(find_repo(repo)):
        assert (repo / "a.txt").read_text() == "staged\n"
    round_trip(repo)


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


@pytest.fixture
def killed_run(repo: Path) -> tuple[Repo, Snapshot]:
    """A run that hid the user's changes, then was killed with SIGKILL."""
    (repo / "README").write_text("staged\n")
    git(repo, "add", "README")
    (repo / "README").write_bytes(b"staged\nunstaged \xff\r\n")
    (repo / "deleted.txt").write_text("x\n")
    (repo / "new.txt").write_text("planned\n")
    git(repo, "add", "deleted.txt")
    git(repo, "add", "-N", "new.txt")
    (repo / "deleted.txt").unlink()
    before = snapshot(repo)
    found = find_repo(repo)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(repo)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "hidden\n"
        assert recover_leftover(found) is None  # its owner is alive
        assert len(patches(repo)) == 1
    finally:
        child.kill()
        child.wait()
    return found, before


def test_a_killed_run_leaves_the_patch_and_the_next_run_restores_it(
    killed_run: tuple[Repo, Snapshot],
) -> None:
    found, before = killed_run
    [patch] = patches(found.root)
    assert (found.root / "README").read_text() == "staged\n"
    assert work_tree_matches_index(found.root)
    message = recover_leftover(found)
    assert message == (
        f"hookrunner: restored unstaged changes left by an interrupted run ({patch})"
    )
    assert snapshot(found.root) == before
    assert patches(found.root) == []
    assert recover_leftover(found) is None


def test_a_leftover_already_in_the_work_tree_is_removed(killed_run: tuple[Repo, Snapshot]) -> None:
    found, before = killed_run
    [patch] = patches(found.root)
    git(found.root, "apply", str(patch))
    message = recover_leftover(found)
    assert message is not None
    assert "already in the work tree" in message
    assert patches(found.root) == []
    assert snapshot(found.root)[0] == before[0]


def test_a_conflicting_leftover_stops_with_how_to_restore_it(
    killed_run: tuple[Repo, Snapshot],
) -> None:
    found, _ = killed_run
    [patch] = patches(found.root)
    (found.root / "README").write_text("something else\n")
    with pytest.raises(HookrunnerError) as raised:
        recover_leftover(found)
    message = str(raised.value)
    assert str(patch) in message
    assert f"git apply --whitespace=nowarn {patch}" in message
    assert patches(found.root) == [patch]


def test_a_leftover_of_intent_to_add_files_only(repo: Path) -> None:
    found = find_repo(repo)
    patch = repo / ".git" / "hookrunner-patch-1-1.patch"
    patch.write_bytes(b'hookrunner: hidden\nhookrunner-intent-to-add: ["new.txt", "gone.txt"]\n')
    (repo / "new.txt").write_text("planned\n")
    assert recover_leftover(found) is not None
    assert git(repo, "status", "--porcelain") == " A new.txt\n"
    assert not patch.exists()


LOCK_HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from hookrunner.git.commands import find_repo
    from hookrunner.git.lock import repo_lock

    with repo_lock(find_repo(Path(sys.argv[1])).git_dir):
        print("locked", flush=True)
        time.sleep(120)
    """
)


def test_repo_lock_waits_then_stops_and_is_freed_when_the_owner_dies(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = find_repo(repo)
    child = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(repo)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "locked\n"
        with (
            pytest.raises(HookrunnerError, match=rf"another hookrunner run \(pid {child.pid}\)"),
            repo_lock(found.git_dir, wait=0.2),
        ):
            pytest.fail("got a lock that is held")  # pragma: no cover
        err = capsys.readouterr().err
        assert err == (
            f"hookrunner: waiting for another run in this repository (pid {child.pid})\n"
        )
    finally:
        child.kill()
        child.wait()
    with repo_lock(found.git_dir, wait=0):
        assert (repo / ".git" / "hookrunner.lock").read_text() == f"{os.getpid()}\n"


def test_repo_lock_is_acquired_once_the_other_run_ends(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = find_repo(repo)
    # flock belongs to an open file: a second descriptor competes like another process.
    other = os.open(repo / ".git" / "hookrunner.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(other, fcntl.LOCK_EX)
    release = threading.Timer(0.2, os.close, [other])
    release.start()
    try:
        with repo_lock(found.git_dir, wait=120):
            assert (repo / ".git" / "hookrunner.lock").read_text() == f"{os.getpid()}\n"
    finally:
        release.join()
    err = capsys.readouterr().err
    assert err == "hookrunner: waiting for another run in this repository (pid unknown)\n"
