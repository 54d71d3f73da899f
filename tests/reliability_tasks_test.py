"""Tasks that fight back: ignoring SIGTERM, forking, never ending, flooding
the output, printing bytes that are not UTF-8."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import hookrunner, write_config
from tests.reliability import MARK_VAR, kill_marked, new_mark, start, survivors, wait_until

pytestmark = pytest.mark.slow

# Started with SIGTERM ignored, which every child inherits through exec.
STUBBORN = "trap '' TERM; sleep 600 & sleep 600 & touch \"$READY\"; wait; sleep 600"
FORKER = (
    # Grandchildren, a great-grandchild whose parent already left, and one
    # that also ignores SIGTERM: all in the task's process group.
    "sleep 600 & sleep 600 & sh -c 'sleep 600 & exit 0'; "
    "(trap '' TERM; sleep 600) & touch \"$READY\"; wait"
)


def _task(name: str, script: str, extra: str = "") -> str:
    return (
        f"[tasks.{name}]\ncmd = {json.dumps(['sh', '-c', script])}\n"
        f"pass_filenames = false\nalways_run = true\n{extra}"
    )


def _report(repo: Path, proc: subprocess.CompletedProcess[str]) -> dict[str, dict[str, object]]:
    assert "Traceback" not in proc.stderr, proc.stderr
    data = json.loads((repo.parent / "report.json").read_text())
    return {t["name"]: t for t in data["tasks"]}


@pytest.mark.parametrize("script", [STUBBORN, FORKER], ids=["ignores-sigterm", "forks"])
def test_timed_out_tasks_are_killed_with_everything_they_started(
    repo: Path, tmp_path: Path, script: str
) -> None:
    write_config(repo, _task("stubborn", script, "timeout = 0.5\n"))
    mark = new_mark()
    env = {MARK_VAR: mark, "READY": str(tmp_path / "ready")}
    try:
        proc = hookrunner(repo, "--all-files", "--json", str(repo.parent / "report.json"), env=env)
        left = survivors(mark)
    finally:
        kill_marked(mark)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    task = _report(repo, proc)["stubborn"]
    assert task["status"] == "timeout"
    assert "stubborn" in proc.stdout
    assert "Timed out" in proc.stdout
    assert left == []


@pytest.mark.parametrize("script", [STUBBORN, FORKER], ids=["ignores-sigterm", "forks"])
@pytest.mark.parametrize("ending", ["sigint", "sigterm", "fail-fast"])
def test_stopping_a_run_stops_stubborn_tasks(
    repo: Path, tmp_path: Path, script: str, ending: str
) -> None:
    ready = tmp_path / "ready"
    broken = _task("broken", 'while [ ! -e "$READY" ]; do sleep 0.01; done; exit 3')
    write_config(repo, _task("stubborn", script) + (broken if ending == "fail-fast" else ""))
    mark = new_mark()
    proc = start(repo, "--all-files", mark=mark, env={"READY": str(ready)})
    try:
        wait_until(ready.exists, "the task to start")
        if ending == "sigint":
            proc.send_signal(signal.SIGINT)
        elif ending == "sigterm":
            proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        left = survivors(mark)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        kill_marked(mark)
    expected = {"sigint": 130, "sigterm": 143, "fail-fast": 1}[ending]
    assert proc.returncode == expected, err.decode(errors="replace")
    assert b"Traceback" not in err
    if ending == "fail-fast":
        assert b"Cancelled" in out
    assert left == []


def test_a_task_that_exits_leaving_grandchildren_behind(repo: Path, tmp_path: Path) -> None:
    # The grandchildren hold the output pipe open: the run must not wait for
    # them, and must not leave them running.
    write_config(repo, _task("leaves", "sleep 600 & (trap '' TERM; sleep 600) & echo bye"))
    mark = new_mark()
    try:
        proc = hookrunner(repo, "--all-files", "-v", env={MARK_VAR: mark})
        left = survivors(mark)
    finally:
        kill_marked(mark)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "bye" in proc.stdout
    assert left == []


def test_a_daemon_that_left_the_group_does_not_hold_the_run(repo: Path) -> None:
    # setsid puts it out of reach of the group kill; it keeps the pipe open.
    write_config(repo, _task("daemon", "setsid sleep 600 & echo started"))
    mark = new_mark()
    try:
        proc = hookrunner(repo, "--all-files", env={MARK_VAR: mark}, timeout=60)
    finally:
        kill_marked(mark)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_task_that_never_ends_times_out(repo: Path) -> None:
    write_config(repo, _task("forever", "exec sleep 600", "timeout = 0.3\n") + _task("ok", "true"))
    mark = new_mark()
    try:
        proc = hookrunner(repo, "--all-files", "--json", str(repo.parent / "report.json"),
                          env={MARK_VAR: mark})  # fmt: skip
        left = survivors(mark)
    finally:
        kill_marked(mark)
    assert proc.returncode == 1
    tasks = _report(repo, proc)
    assert tasks["forever"]["status"] == "timeout"
    assert tasks["forever"]["reason"] == "after 0.3s"
    assert tasks["ok"]["status"] == "passed"
    assert left == []


FLOOD = 400_000_000
LINE = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxy\n"


def test_400_mb_of_output_takes_little_memory_and_is_truncated(repo: Path, tmp_path: Path) -> None:
    script = f"yes {LINE[:-1].decode()} | head -c {FLOOD}; echo END; exit 1"
    write_config(repo, _task("flood", script))
    out_path = tmp_path / "stdout"
    # A child's ru_maxrss includes what its parent held when it was (v)forked,
    # and this test process can be large late in a suite: a small Python in
    # between starts hookrunner and reports the peak of its children alone.
    measure = (
        "import resource, subprocess, sys\n"
        "with open(sys.argv[1], 'wb') as out:\n"
        "    code = subprocess.call([sys.executable, '-m', 'hookrunner', '--all-files'],\n"
        "                           stdin=subprocess.DEVNULL, stdout=out, stderr=out)\n"
        "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", measure, str(out_path)],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    code, maxrss = (int(word) for word in proc.stdout.split())
    peak_mb = maxrss / 1024  # KiB on Linux
    print(f"\npeak RSS of hookrunner while a task printed 400 MB: {peak_mb:.1f} MB")
    shown = out_path.read_bytes()
    assert code == 1, shown[-2000:]
    assert b"Traceback" not in shown
    assert peak_mb < 200
    assert len(shown) < 2 * 1024 * 1024
    # Exactly the first and the last 256 KiB of what the task printed, and
    # the count of everything between.
    kept = 256 * 1024
    lines = LINE * (kept // len(LINE) + 2)
    head = lines[:kept]
    start = (FLOOD - (kept - len(b"END\n"))) % len(LINE)
    tail = lines[start : start + kept - len(b"END\n")] + b"END\n"
    dropped = FLOOD + len(b"END\n") - 2 * kept
    assert head + f"\n[... {dropped} bytes of output dropped ...]\n".encode() + tail in shown


def _bad_bytes_task(repo: Path) -> None:
    script = (
        r"printf 'before \377\376 bad \200 after \342\234\223\n'; printf '\351t\351\n' >&2; exit 1"
    )
    write_config(repo, _task("bad", script))


def test_invalid_utf8_output_is_shown_with_replacement_characters(repo: Path) -> None:
    _bad_bytes_task(repo)
    proc = hookrunner(repo, "--all-files", "--json", str(repo.parent / "report.json"))
    assert proc.returncode == 1
    assert "before \ufffd\ufffd bad \ufffd after \u2713\n\ufffdt\ufffd\n" in proc.stdout
    assert "\ufffd\ufffd bad" in str(_report(repo, proc)["bad"]["output"])


def test_output_the_terminal_cannot_encode_does_not_crash_the_run(repo: Path) -> None:
    # PYTHONIOENCODING stands in for a terminal with a Latin-1 or ASCII locale.
    _bad_bytes_task(repo)
    proc = hookrunner(repo, "--all-files", env={"PYTHONIOENCODING": "ascii"})
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1
    assert "bad" in proc.stdout
