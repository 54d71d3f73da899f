"""The live status line on a real pseudo-terminal: ``hookrunner`` runs with its
output on a pty of a given width, and what it writes is played on a small
terminal model (autowrap, erase, resize with or without rewrapping, ^C echo)
to get the screen a person would see at the end. When tmux is installed the
same run is also checked on the screen tmux keeps."""

from __future__ import annotations

import fcntl
import os
import re
import select
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import git, write_config

# Four tasks, three at a time: the live line names more than a narrow terminal holds.
NAMES = ("lint-c", "lint-a", "lint-b-with-a-rather-long-name", "lint-d")
CONFIG = "jobs = 3\n" + "".join(
    f'[tasks.{name}]\ncmd = ["sleep", "{seconds}"]\npass_filenames = false\nalways_run = true\n'
    for name, seconds in zip(NAMES, ("1", "1.5", "2", "0.5"), strict=True)
)
RESULT = re.compile(r"^(\S+?)\.{3,}(Passed|Cancelled|Skipped)\b.*$")
SUMMARY = re.compile(r"^(Interrupted: )?\d+ \w+.* in \d+\.\d\ds( \(tasks took .*\))?$")


class Screen:
    """Just enough of a VT100 for hookrunner's output: printable ASCII with
    autowrap (the cursor waits in the last column until the next character),
    CR, LF, ``ESC [ n C``, ``ESC [ K``, ``ESC [ J`` and colors (ignored).
    Anything else fails the test, so a new escape sequence gets a look here."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.rows: list[list[str]] = [[]]
        self.wrapped: list[bool] = [False]  # row i goes on in row i + 1
        self.y = self.x = 0
        self.pending = False  # a character was written in the last column

    def feed(self, text: str) -> None:
        for token in re.findall(r"\x1b\[[0-9;]*[A-Za-z]|[\s\S]", text):
            self._token(token)

    def _token(self, token: str) -> None:
        if token == "\r":
            self.x, self.pending = 0, False
        elif token == "\n":
            self._down()
        elif token.startswith("\x1b["):
            self._escape(token[2:-1], token[-1])
        elif token.isprintable() and token.isascii():
            if self.pending:
                self.wrapped[self.y] = True
                self._down()
            row = self.rows[self.y]
            row.extend(" " * (self.x + 1 - len(row)))
            row[self.x] = token
            if self.x == self.width - 1:
                self.pending = True
            else:
                self.x += 1
        else:
            raise AssertionError(f"unexpected output {token!r}")

    def _down(self) -> None:
        self.y, self.x, self.pending = self.y + 1, 0, False
        if self.y == len(self.rows):
            self.rows.append([])
            self.wrapped.append(False)

    def _escape(self, params: str, command: str) -> None:
        if command == "m":
            return
        if command == "C":
            self.x, self.pending = min(self.x + int(params or 1), self.width - 1), False
        elif command in "KJ" and params in ("", "0"):
            del self.rows[self.y][self.x :]
            self.wrapped[self.y] = False
            if command == "J":
                del self.rows[self.y + 1 :], self.wrapped[self.y + 1 :]
        else:
            raise AssertionError(f"unexpected escape sequence ESC [ {params}{command}")

    def resize(self, width: int, rewrap: bool) -> None:
        """Narrower: ``rewrap`` joins wrapped rows and wraps them again at the
        new width, as tmux, VTE and iTerm2 do (the cursor keeps its place in
        the text); without it each row is cut, as xterm does."""
        if not rewrap:
            self.rows = [row[:width] for row in self.rows]
            self.width, self.x = width, min(self.x, width - 1)
            return
        rows: list[list[str]] = []
        wrapped: list[bool] = []
        line: list[str] = []
        cursor = (0, 0)
        for y, row in enumerate(self.rows):
            if y == self.y:
                cursor = (len(rows), len(line) + self.x)
            line += row + [" "] * (self.width - len(row)) if self.wrapped[y] else row
            if not self.wrapped[y]:
                chunks = [line[i : i + width] for i in range(0, len(line), width)] or [[]]
                rows += chunks
                wrapped += [True] * (len(chunks) - 1) + [False]
                line = []
        self.rows, self.wrapped, self.width = rows, wrapped, width
        self.y, self.x = cursor[0] + cursor[1] // width, cursor[1] % width
        self.pending = False

    def lines(self) -> list[str]:
        """The text as a person reads it: wrapped rows joined, blank lines left out."""
        text = ""
        for row, wrapped in zip(self.rows, self.wrapped, strict=True):
            text += "".join(row) if wrapped else "".join(row).rstrip() + "\n"
        return [line for line in text.splitlines() if line.strip()]


def test_screen_model() -> None:
    screen = Screen(4)
    screen.feed("abcdef\r\nxy\r\x1b[K\x1b[C\x1b[J\rz\x1b[31m!\x1b[0m")
    assert screen.lines() == ["abcdef", "z!"]
    screen.feed("\r\n0123456789")
    screen.resize(3, rewrap=True)
    assert screen.lines() == ["abcdef", "z!", "0123456789"]
    assert (screen.y, screen.x) == (6, 1)
    screen.resize(2, rewrap=False)
    assert screen.lines() == ["abde", "z!", "0134679"]  # each row cut, wrap marks kept
    with pytest.raises(AssertionError, match="ESC \\[ 2J"):
        screen.feed("\x1b[2J")


def set_size(fd: int, columns: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))


@pytest.fixture
def project(repo: Path) -> Path:
    write_config(repo, CONFIG)
    return repo


def _take_terminal() -> None:
    # In the child, a session leader: the pty becomes its controlling terminal,
    # so a ^C typed on it interrupts the run as it would in a shell.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def run_on_pty(
    cwd: Path,
    columns: int,
    screen: Screen,
    act: Callable[[str, int, subprocess.Popen[bytes]], bool] | None = None,
) -> int:
    """Run ``hookrunner run --all-files --no-cache`` on a pty ``columns`` wide,
    feeding all it writes to ``screen``. ``act(output so far, pty, process)`` is
    called whenever the output has gone quiet for a moment, until it returns True."""
    master, slave = os.openpty()
    set_size(slave, columns)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hookrunner", "run", "--all-files", "--no-cache"],
        cwd=cwd,
        env={**env, "TERM": "xterm"},
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=_take_terminal,  # the pty becomes its terminal
    )
    os.close(slave)
    seen = ""
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not select.select([master], [], [], 0.1)[0]:
                if act is not None and act(seen, master, proc):
                    act = None
                continue
            try:
                chunk = os.read(master, 65536).decode()
            except OSError:  # EIO: every writer has closed the pty
                break
            if not chunk:
                break
            seen += chunk
            screen.feed(chunk)
        return proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)


def check_screen(lines: list[str], statuses: set[str]) -> None:
    """Nothing on screen but whole task lines and the summary: no live line left,
    no piece of one, no task line split by one."""
    *tasks, summary = lines
    assert SUMMARY.match(summary), lines
    assert [RESULT.match(line) is not None for line in tasks] == [True] * len(NAMES), lines
    assert sorted(RESULT.match(line)[1] for line in tasks) == sorted(NAMES)  # type: ignore[index]
    assert {RESULT.match(line)[2] for line in tasks} == statuses  # type: ignore[index]
    assert "running" not in "".join(lines)


def test_narrow_terminal_keeps_no_pieces_of_the_live_line(project: Path) -> None:
    screen = Screen(30)
    drawn: list[str] = []

    def watch(seen: str, fd: int, proc: subprocess.Popen[bytes]) -> bool:
        drawn.append(seen)
        return False

    assert run_on_pty(project, 30, screen, watch) == 0
    check_screen(screen.lines(), {"Passed"})
    # the line was there while tasks ran, each time within 29 columns
    statuses = re.findall(r"(running: [^\r\n]*?)\r", drawn[-1])
    assert statuses
    assert max(len(s) for s in statuses) <= 29


@pytest.mark.parametrize("rewrap", [True, False], ids=["rewrapping", "cutting"])
def test_resize_while_running_leaves_no_copies(project: Path, rewrap: bool) -> None:
    screen = Screen(100)

    def shrink(seen: str, fd: int, proc: subprocess.Popen[bytes]) -> bool:
        if "running: lint-c, lint-a, lint-b-with-a-rather-long-name | 1 left" not in seen:
            return False
        screen.resize(30, rewrap)
        set_size(fd, 30)
        return True

    assert run_on_pty(project, 100, screen, shrink) == 0
    assert screen.width == 30
    check_screen(screen.lines(), {"Passed"})


def test_interrupt_erases_the_live_line_and_says_interrupted(project: Path) -> None:
    screen = Screen(60)

    def interrupt(seen: str, fd: int, proc: subprocess.Popen[bytes]) -> bool:
        if "Passed" not in seen or "running" not in seen.rsplit("Passed", 1)[1]:
            return False
        os.write(fd, b"\x03")  # Ctrl-C, typed on the terminal: it echoes ^C
        return True

    assert run_on_pty(project, 60, screen, interrupt) == 130
    lines = screen.lines()
    assert lines[-1].startswith("Interrupted: 1 passed, ")
    assert "running" not in "".join(lines)
    assert all(RESULT.match(line) for line in lines[:-1]), lines


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.parametrize("interrupt", [False, True], ids=["finished", "interrupted"])
def test_tmux_screen_has_no_pieces_of_the_live_line(project: Path, interrupt: bool) -> None:
    interrupted = False
    folder = tempfile.mkdtemp(prefix="hr-tmux-")  # short: a socket path has ~100 bytes
    tmux = ["tmux", "-S", os.path.join(folder, "socket"), "-f", "/dev/null"]
    command = f"{shlex.quote(sys.executable)} -m hookrunner run --all-files --no-cache"
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR", "TMUX")}
    new = [*tmux, "new-session", "-d", "-x", "30", "-y", "40", "-c", str(project)]
    subprocess.run([*new, f"{command}; echo EXIT $?; sleep 60"], env=env, check=True)
    screen = ""
    try:
        deadline = time.monotonic() + 60
        while "EXIT" not in screen and time.monotonic() < deadline:
            time.sleep(0.2)
            screen = subprocess.run(
                [*tmux, "capture-pane", "-p", "-J", "-S", "-", "-t", "0"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            if interrupt and "Passed" in screen:
                subprocess.run([*tmux, "send-keys", "-t", "0", "C-c"], check=True)
                interrupt = False
                interrupted = True
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)
        shutil.rmtree(folder)
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
    assert lines[-1] == ("EXIT 130" if interrupted else "EXIT 0")
    if interrupted:
        assert lines[-2].startswith("Interrupted: 1 passed"), lines
        assert all(RESULT.match(line) for line in lines[:-2]), lines
        assert "running" not in "".join(lines)
    else:
        check_screen(lines[:-1], {"Passed"})


def test_pipe_gets_no_live_line(project: Path) -> None:
    out = git(project, "status", "--short")  # the run below leaves the tree as it was
    proc = subprocess.run(
        [sys.executable, "-m", "hookrunner", "run", "--all-files", "--no-cache"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert "running" not in proc.stdout
    assert "\r" not in proc.stdout
    assert git(project, "status", "--short") == out
