"""Two runs started at once in one repository: one waits for the other, and
neither sees or loses the user's unstaged work."""

from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path

import pytest

from tests.reliability import (
    check_work_is_back,
    holds_lock,
    index,
    kill_marked,
    marked_processes,
    new_mark,
    start,
    survivors,
    unstaged_work_repo,
    wait_for_lock,
    wait_until,
    work_tree,
)

pytestmark = pytest.mark.slow

# Every task logs when it begins and ends: the log of two runs shows whether
# their tasks ever touched the work tree at the same time (within a run, the
# stages keep strict barriers, so one run's log is begin/end pairs too).
FIXER = (
    'echo begin >> "$LOG"; grep -l mine "$@" >> "$LEAKS"; sleep "$FIX_DELAY"; '
    'for f; do printf "# fixed\\n" >> "$f"; done; echo end >> "$LOG"'
)
CONFIG = f"""
optimistic = false
[tasks.fixer]
stage = "format"
cmd = ["sh", "-c", {json.dumps(FIXER)}, "fixer"]
files = ["*.py"]
cache = false
[tasks.lint]
cmd = ["sh", "-c", "echo begin >> \\"$LOG\\"; sleep 0.05; echo end >> \\"$LOG\\""]
pass_filenames = false
always_run = true
cache = false
"""

WAITING = "hookrunner: waiting for another run in this repository (pid {})"


def test_two_runs_at_once_take_turns(tmp_path: Path) -> None:
    rng = random.Random(6)
    waited = 0
    for number in range(4):
        repo = unstaged_work_repo(tmp_path / f"round{number}", CONFIG)
        before, index_before = work_tree(repo), index(repo)
        log, leaks = tmp_path / f"log{number}", tmp_path / f"leaks{number}"
        env = {"LOG": str(log), "LEAKS": str(leaks), "FIX_DELAY": f"{rng.uniform(0.1, 0.3):.3f}"}
        mark = new_mark()
        try:
            runs = [start(repo, "run", mark=mark, env=env)]
            time.sleep(rng.uniform(0.0, 0.05))
            runs.append(start(repo, "run", mark=mark, env=env))
            errors = [run.communicate(timeout=120)[1].decode(errors="replace") for run in runs]
            left = survivors(mark)
        finally:
            kill_marked(mark)
        where = f"round {number}\n" + "\n".join(errors)
        for run, err in zip(runs, errors, strict=True):
            # Both fixed a file and say so: 1, never a crash or a refusal.
            assert run.returncode == 1, where
            assert "Traceback" not in err, where
        if any(WAITING.format(run.pid) in errors[1 - i] for i, run in enumerate(runs)):
            waited += 1
        assert log.read_text().split() == ["begin", "end"] * 4, where
        assert leaks.read_text() == "", where
        assert left == []
        check_work_is_back(repo, before, index_before)
    assert waited > 0


def test_a_waiting_run_can_be_stopped_and_changes_nothing(tmp_path: Path) -> None:
    repo = unstaged_work_repo(tmp_path / "repo", CONFIG)
    before, index_before = work_tree(repo), index(repo)
    log, leaks = tmp_path / "log", tmp_path / "leaks"
    env = {"LOG": str(log), "LEAKS": str(leaks), "FIX_DELAY": "1"}
    mark = new_mark()
    try:
        first = start(repo, "run", mark=mark, env=env)
        wait_until(log.exists, "the first run's fixer")
        second = start(repo, "run", mark=mark, env=env)
        assert second.stderr is not None
        line = second.stderr.readline().decode()
        assert line == WAITING.format(first.pid) + "\n"
        assert holds_lock(repo, first.pid)
        second.send_signal(signal.SIGTERM)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 143, err
        assert b"Traceback" not in err
        first.communicate(timeout=60)
        assert first.returncode == 1
        left = survivors(mark)
    finally:
        kill_marked(mark)
    assert log.read_text().split() == ["begin", "end"] * 2
    assert left == []
    check_work_is_back(repo, before, index_before)


def test_a_run_waiting_behind_a_killed_run_puts_its_work_back_first(tmp_path: Path) -> None:
    repo = unstaged_work_repo(tmp_path / "repo", CONFIG)
    before, index_before = work_tree(repo), index(repo)
    log, leaks = tmp_path / "log", tmp_path / "leaks"
    env = {"LOG": str(log), "LEAKS": str(leaks)}
    killed_mark, mark = new_mark(), new_mark()
    try:
        killed = start(repo, "run", mark=killed_mark, env={**env, "FIX_DELAY": "600"})
        wait_until(log.exists, "the first run's fixer")
        second = start(repo, "run", mark=mark, env={**env, "FIX_DELAY": "0.05"})
        assert second.stderr is not None
        assert second.stderr.readline().decode() == WAITING.format(killed.pid) + "\n"
        killed.kill()
        killed.wait()
        # The killed run's tasks live on (they have sessions of their own) but
        # hold neither the lock nor the patch: the waiting run goes ahead.
        wait_for_lock(repo, second, "the second run to take the lock")
        assert marked_processes(killed_mark) != []
        kill_marked(killed_mark)
        _, err = second.communicate(timeout=60)
        left = survivors(mark)
    finally:
        kill_marked(killed_mark)
        kill_marked(mark)
    stderr = err.decode(errors="replace")
    assert second.returncode == 1, stderr
    assert "hookrunner: restored unstaged changes left by an interrupted run" in stderr
    assert log.read_text().split() == ["begin", "begin", "end", "begin", "end"]
    assert leaks.read_text() == ""
    assert left == []
    check_work_is_back(repo, before, index_before)
