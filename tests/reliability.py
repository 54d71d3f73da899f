"""Shared pieces of the reliability suites (``reliability_*_test.py``).

They attack the installed command in real repositories: runs are started as
child processes and judged only by what a user can see afterwards (exit
code, stderr, the bytes of the work tree, the index, leftover processes).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from tests.conftest import git, write_config

MARK_VAR = "HOOKRUNNER_RELIABILITY_MARK"
"""Every process a run starts inherits this variable: a scan of /proc finds
whatever a run left behind, even a grandchild that never reported its pid."""

Files = dict[str, bytes]


def new_mark() -> str:
    return uuid.uuid4().hex


def start(
    cwd: Path,
    *args: str,
    mark: str,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``python -m hookrunner`` as a user would, without waiting for it.

    It leads a process group of its own, as a shell's foreground job does: a
    signal to that group reaches hookrunner and its git children, and the
    clean-up after a SIGKILL can kill that group without hitting pytest.
    """
    return subprocess.Popen(
        [sys.executable, "-m", "hookrunner", *args],
        cwd=cwd,
        env={**os.environ, **(env or {}), MARK_VAR: mark},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def marked_processes(mark: str) -> list[int]:
    """Live (not zombie) processes carrying ``mark`` in their environment."""
    needle = f"{MARK_VAR}={mark}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                environ = f.read().split(b"\0")
            with open(f"/proc/{entry}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in environ and state != b"Z":
            found.append(int(entry))
    return found


def survivors(mark: str, settle: float = 5.0) -> list[int]:
    """Marked processes still alive once SIGKILLs already sent have landed.

    A process killed just before its parent exited may take a moment to be
    torn down by the kernel; one that lives past ``settle`` was never killed.
    """
    deadline = time.monotonic() + settle
    while True:
        alive = marked_processes(mark)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.02)


def kill_marked(mark: str) -> None:
    """Clean up after a run that could not do it itself (it got SIGKILL)."""
    for pid in marked_processes(mark):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            group = os.getpgid(pid)
            # A git child of a run started with hookrunner() shares our group.
            if group != os.getpgrp():
                os.killpg(group, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert survivors(mark) == []


def wait_until(condition: Callable[[], bool], what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.002)


def wait_for_lock(repo: Path, run: subprocess.Popen[bytes], what: str) -> None:
    """Wait until ``run`` holds the repository lock: it is past its start-up."""
    wait_until(lambda: holds_lock(repo, run.pid), what)


def holds_lock(repo: Path, pid: int) -> bool:
    """True once run ``pid`` holds the repository lock (it writes its pid there)."""
    try:
        return (repo / ".git" / "hookrunner.lock").read_text() == f"{pid}\n"
    except OSError:
        return False


def work_tree(root: Path) -> Files:
    """Every file's bytes, untracked ones included (``.git`` excepted)."""
    files: Files = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            path = Path(dirpath, name)
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def index(root: Path) -> str:
    return git(root, "ls-files", "--stage", "-z")


def patches(root: Path) -> list[Path]:
    return sorted((root / ".git").glob("hookrunner-patch-*.patch"))


# -- a repository with unstaged work of every kind ----------------------------

FIXED = b"# fixed\n"
STAGED_ONLY = "c.py"
"""The one file the fixer changes that carries no unstaged work: its fix is
kept, every other file must come back byte for byte."""

FIXER = (
    # A formatter that takes a while and appends to each file it is given.
    # The unstaged work also ends each file, so a fix collides with it.
    'grep -l mine "$@" >> "$LEAKS"; sleep "$FIX_DELAY"; '
    'for f; do printf "# fixed\\n" >> "$f"; sleep 0.01; done; sleep "$FIX_DELAY"'
)


def unstaged_work_repo(path: Path, config: str) -> Path:
    """A repository configured with ``config`` whose staged files a fixer
    rewrites, with unstaged changes of every kind on top: a text edit over a
    staged edit, non-UTF-8 text, an intent-to-add file, a binary file, CRLF
    text and an untracked file."""
    path.mkdir()
    git(path, "init", "-q")
    write_config(path, config, commit=False)
    (path / "a.py").write_bytes(b"a = 1\n")
    (path / "b.py").write_bytes(b"b = 1\n")
    (path / "c.py").write_bytes(b"c = 1\n")
    (path / "bin.dat").write_bytes(bytes(range(256)) * 4)
    (path / "crlf.txt").write_bytes(b"one\r\ntwo\r\n")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "base")
    (path / "a.py").write_bytes(b"a = 2\n")
    (path / "c.py").write_bytes(b"c = 2\n")
    git(path, "add", "a.py", "c.py")
    (path / "a.py").write_bytes(b"a = 2\nmine = 'a'\n")
    (path / "b.py").write_bytes(b"b = 1\nmine = '\xff\xfe not utf-8'\n")
    (path / "bin.dat").write_bytes(b"\0mine\0" + bytes(range(256)))
    (path / "crlf.txt").write_bytes(b"one\r\ntwo\r\nmine\r\n")
    (path / "new.py").write_bytes(b"mine = 'new'\n")
    git(path, "add", "--intent-to-add", "new.py")
    (path / "untracked.txt").write_bytes(b"mine, untracked\n")
    return path


def check_work_is_back(root: Path, before: Files, index_before: str) -> None:
    """The user's unstaged work byte for byte, the index as it was, no patch left."""
    after = work_tree(root)
    fixed = before[STAGED_ONLY] + FIXED
    assert after[STAGED_ONLY] in (before[STAGED_ONLY], fixed)
    after[STAGED_ONLY] = before[STAGED_ONLY]
    assert after == before
    assert index(root) == index_before
    assert patches(root) == []
