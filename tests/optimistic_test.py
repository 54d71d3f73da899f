"""Optimistic scheduling through the real command (SPEC "Optimistic scheduling").

Overlap is read from recorded events (the JSON report's start and end of each
task), never from wall-clock thresholds. A task that must overlap another
waits for a marker file the other writes, so a strict barrier would show as
the wrong order, not as a slow test.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import git, hookrunner, pid_alive, write_config

PY = json.dumps(sys.executable)

# Waits (at most 20 s) until the file named by WAIT_FOR exists, then replaces
# BAD with GOOD in the files it is given.
FIXER = """\
import os, sys, time
marker = os.environ.get("WAIT_FOR")
for _ in range(400):
    if not marker or os.path.exists(marker):
        break
    time.sleep(0.05)
for name in sys.argv[1:]:
    text = open(name).read()
    if "BAD" in text:
        open(name, "w").write(text.replace("BAD", "GOOD"))
"""

# Writes the marker named by MARK (its own start), logs each start, and fails
# when a file it is given (or, without files, any .txt file) holds BAD.
CHECKER = """\
import glob, os, sys
mark = os.environ.get("MARK")
if mark:
    open(mark, "a").close()
with open(os.environ["LOG"], "a") as log:
    log.write(os.environ["NAME"] + "\\n")
names = sys.argv[1:] or sorted(glob.glob("*.txt"))
sys.exit(any("BAD" in open(n).read() for n in names))
"""


@pytest.fixture
def project(repo: Path, tmp_path: Path) -> Path:
    (repo / "fixer.py").write_text(FIXER)
    (repo / "checker.py").write_text(CHECKER)
    (repo / "a.txt").write_text("fine\n")
    (repo / "b.md").write_text("fine\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "files")
    return repo


def fixer(files: str = "*.txt", wait_for: str = "") -> str:
    return f"""
[tasks.fix]
stage = "format"
cmd = [{PY}, "fixer.py"]
files = ["{files}"]
env = {{ WAIT_FOR = "{wait_for}" }}
"""


def checker(name: str, stage: str, log: Path, mark: str = "", files: str = "*.txt") -> str:
    return f"""
[tasks.{name}]
stage = "{stage}"
cmd = [{PY}, "checker.py"]
files = ["{files}"]
env = {{ MARK = "{mark}", LOG = "{log}", NAME = "{name}" }}
"""


def run(repo: Path, *args: str) -> tuple[int, dict[str, dict[str, Any]], str]:
    done = hookrunner(repo, "run", "--all-files", "--json", "report.json", *args)
    data = json.loads((repo / "report.json").read_text())
    return done.returncode, {t["name"]: t for t in data["tasks"]}, done.stdout + done.stderr


def test_lint_runs_beside_a_formatter_that_changes_nothing(project: Path, tmp_path: Path) -> None:
    marker, log = tmp_path / "lint-started", tmp_path / "log"
    write_config(project, fixer(wait_for=str(marker)) + checker("lint", "lint", log, str(marker)))
    code, tasks, out = run(project)
    assert code == 0, out
    assert tasks["lint"]["status"] == "passed"
    # The formatter waited for the lint task to start: they overlapped.
    assert tasks["lint"]["start"] < tasks["fix"]["end"]
    assert "discarded" not in tasks["lint"]
    assert log.read_text().split() == ["lint"]
    assert "discarded" not in out


def test_lint_work_on_a_file_a_formatter_fixed_is_redone(project: Path, tmp_path: Path) -> None:
    marker, log = tmp_path / "lint-started", tmp_path / "log"
    (project / "a.txt").write_text("BAD\n")
    git(project, "commit", "-qam", "bad")
    write_config(project, fixer(wait_for=str(marker)) + checker("lint", "lint", log, str(marker)))
    code, tasks, out = run(project, "--verbose")
    assert code == 1, out  # the formatter changed a file
    assert tasks["fix"]["status"] == "modified"
    # Its early start saw BAD; what counts ran on the fixed file, after the formatter.
    assert tasks["lint"]["status"] == "passed"
    assert tasks["lint"]["start"] >= tasks["fix"]["end"]
    [dropped] = tasks["lint"]["discarded"]
    assert dropped["start"] < tasks["fix"]["end"]
    assert "fix changed files it reads" in dropped["reason"]
    assert log.read_text().split() == ["lint", "lint"]
    assert "1 early start discarded" in out
    assert "an early start" in out
    assert "did not count" in out


def test_a_fix_elsewhere_keeps_the_early_work(project: Path, tmp_path: Path) -> None:
    marker, log = tmp_path / "lint-started", tmp_path / "log"
    (project / "b.md").write_text("BAD\n")
    git(project, "commit", "-qam", "bad markdown")
    # The formatter fixes markdown; the lint task reads only the text files.
    body = fixer(files="*.md", wait_for=str(marker)) + checker("lint", "lint", log, str(marker))
    write_config(project, body)
    _code, tasks, out = run(project)
    assert tasks["fix"]["status"] == "modified", out
    assert tasks["lint"]["status"] == "passed"
    assert tasks["lint"]["start"] < tasks["fix"]["end"]
    assert "discarded" not in tasks["lint"]
    assert log.read_text().split() == ["lint"]


def test_a_task_given_no_filenames_redoes_work_after_any_fix(project: Path, tmp_path: Path) -> None:
    marker, log = tmp_path / "lint-started", tmp_path / "log"
    (project / "b.md").write_text("BAD\n")
    git(project, "commit", "-qam", "bad markdown")
    body = fixer(files="*.md", wait_for=str(marker)) + checker("lint", "lint", log, str(marker))
    write_config(project, body.replace('files = ["*.txt"]', "pass_filenames = false"))
    _code, tasks, out = run(project)
    assert tasks["fix"]["status"] == "modified", out
    assert tasks["lint"]["status"] == "passed"
    assert len(tasks["lint"]["discarded"]) == 1
    assert tasks["lint"]["start"] >= tasks["fix"]["end"]


@pytest.mark.parametrize("how", ["--no-optimistic", "optimistic = false"])
def test_strict_barriers_on_request(project: Path, tmp_path: Path, how: str) -> None:
    log = tmp_path / "log"
    body = fixer() + checker("lint", "lint", log) + checker("test", "test", log)
    args: tuple[str, ...] = ()
    if how.startswith("--"):
        args = (how,)
    else:
        body = how + "\n" + body
    write_config(project, body)
    code, tasks, out = run(project, *args)
    assert code == 0, out
    assert tasks["lint"]["start"] >= tasks["fix"]["end"]
    assert tasks["test"]["start"] >= tasks["lint"]["end"]


def test_tests_start_before_lint_ends_and_a_lint_failure_stops_them(
    project: Path, tmp_path: Path, cleanup_pids: list[int]
) -> None:
    _log, pid_file, started = tmp_path / "log", tmp_path / "test.pid", tmp_path / "test-started"
    # The lint task fails once the test task runs: it waits for the test's marker.
    lint = f"""
[tasks.lint]
stage = "lint"
cmd = ["sh", "-c", "while [ ! -e {started} ]; do sleep 0.05; done; exit 1"]
pass_filenames = false
always_run = true
"""
    test = f"""
[tasks.test]
stage = "test"
cmd = ["sh", "-c", "echo $$ > {pid_file}; touch {started}; exec sleep 60"]
pass_filenames = false
always_run = true
"""
    write_config(project, fixer() + lint + test)
    code, tasks, out = run(project)
    cleanup_pids.append(int(pid_file.read_text()))
    assert code == 1, out
    assert tasks["lint"]["status"] == "failed"
    # The test task ran beside lint; its work does not count: no test verdict.
    assert tasks["test"]["status"] in ("skipped", "cancelled")
    assert "fail-fast: lint failed" in tasks["test"]["reason"]
    [dropped] = tasks["test"]["discarded"]
    assert dropped["start"] < tasks["lint"]["end"]
    assert not pid_alive(int(pid_file.read_text()))


def test_ready_lint_work_goes_before_early_tests(project: Path, tmp_path: Path) -> None:
    log = tmp_path / "log"
    body = "jobs = 1\n" + fixer() + checker("lint", "lint", log) + checker("test", "test", log)
    write_config(project, body)
    code, tasks, out = run(project)
    assert code == 0, out
    # One slot: nothing is idle, so nothing starts early.
    assert tasks["fix"]["end"] <= tasks["lint"]["start"]
    assert tasks["lint"]["end"] <= tasks["test"]["start"]


def test_trace_shows_discarded_work(project: Path, tmp_path: Path) -> None:
    marker, log = tmp_path / "lint-started", tmp_path / "log"
    (project / "a.txt").write_text("BAD\n")
    git(project, "commit", "-qam", "bad")
    write_config(project, fixer(wait_for=str(marker)) + checker("lint", "lint", log, str(marker)))
    hookrunner(project, "run", "--all-files", "--trace", "trace.json")
    events = json.loads((project / "trace.json").read_text())["traceEvents"]
    names = [e["name"] for e in events if e["ph"] == "X"]
    assert sorted(names) == ["fix", "lint", "lint (discarded)"]
    dropped = next(e for e in events if e["name"] == "lint (discarded)")
    assert dropped["cat"] == "discarded"
    assert "fix changed files it reads" in dropped["args"]["reason"]


def test_a_cached_rerun_after_early_work(project: Path, tmp_path: Path) -> None:
    marker, log = tmp_path / "lint-started", tmp_path / "log"
    write_config(project, fixer(wait_for=str(marker)) + checker("lint", "lint", log, str(marker)))
    assert run(project)[0] == 0
    os.remove(marker)
    code, tasks, out = run(project)
    assert code == 0, out
    assert tasks["lint"].get("cached")
    assert tasks["fix"].get("cached")
    assert log.read_text().split() == ["lint"]


def test_dry_run_and_list_explain_the_schedule(project: Path, tmp_path: Path) -> None:
    log = tmp_path / "log"
    write_config(project, fixer() + checker("lint", "lint", log) + checker("test", "test", log))
    dry = hookrunner(project, "run", "--all-files", "--dry-run").stdout
    assert "lint (lint): 1 file; after fix; may start early on an idle slot" in dry
    assert "--no-optimistic keeps strict stage barriers" in dry
    strict = hookrunner(project, "run", "--all-files", "--dry-run", "--no-optimistic").stdout
    assert "may start early" not in strict
    assert "optimistic" not in strict
    listed = hookrunner(project, "list").stdout
    assert "optimistic: a later stage may start on an idle slot" in listed
    assert json.loads(hookrunner(project, "list", "--format", "json").stdout)["optimistic"]


def test_ctrl_c_stops_early_work_too(project: Path, tmp_path: Path) -> None:
    fmt_pid, test_pid = tmp_path / "fmt.pid", tmp_path / "test.pid"
    body = f"""
[tasks.fmt]
stage = "format"
cmd = ["sh", "-c", "sleep 1000 & echo $! > {fmt_pid}; wait"]
pass_filenames = false
always_run = true
[tasks.test]
stage = "test"
cmd = ["sh", "-c", "sleep 1000 & echo $! > {test_pid}; wait"]
pass_filenames = false
always_run = true
"""
    write_config(project, body)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hookrunner", "--all-files", "--json", "report.json"],
        cwd=project,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    # The test task runs while the formatter still does: it started early.
    while not all(p.exists() and p.read_text().strip() for p in (fmt_pid, test_pid)):
        assert time.monotonic() < deadline, "the tasks never both started"
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert not pid_alive(int(fmt_pid.read_text()))
    assert not pid_alive(int(test_pid.read_text()))


def test_stage_fixed_commit_is_judged_on_the_fixed_content(project: Path, tmp_path: Path) -> None:
    marker, log = tmp_path / "lint-started", tmp_path / "log"
    body = fixer(wait_for=str(marker)) + "stage_fixed = true\n"
    write_config(project, body + checker("lint", "lint", log, str(marker)))
    assert hookrunner(project, "install").returncode == 0
    (project / "a.txt").write_text("BAD\n")
    git(project, "add", "a.txt")
    (project / "b.md").write_text("unstaged\n")
    done = subprocess.run(
        ["git", "commit", "-q", "-m", "fixed on the way in"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    # The lint task's early attempt saw BAD and was redone on the fix.
    assert log.read_text().split() == ["lint", "lint"]
    assert git(project, "show", "HEAD:a.txt") == "GOOD\n"
    assert (project / "b.md").read_text() == "unstaged\n"
    assert git(project, "status", "--porcelain") == " M b.md\n"


def test_a_lint_task_seen_writing_never_starts_early_again(project: Path, tmp_path: Path) -> None:
    marker = tmp_path / "lint-started"
    writer = f"""
[tasks.lint]
stage = "lint"
cmd = ["sh", "-c", "touch {marker}; for f; do echo more >> $f; done", "lint"]
files = ["*.txt"]
cache = false
"""
    write_config(project, fixer(wait_for=str(marker)) + writer)
    code, tasks, out = run(project)
    assert code == 1, out
    assert tasks["lint"]["status"] == "modified"
    # The first run could not know: it started the writer early.
    starts = [tasks["lint"]["start"], *(d["start"] for d in tasks["lint"].get("discarded", ()))]
    assert min(starts) < tasks["fix"]["end"]
    git(project, "checkout", "--", "a.txt")
    # Known now: it waits for the formatter (which no longer waits for it).
    write_config(project, fixer() + writer)
    dry = hookrunner(project, "run", "--all-files", "--dry-run").stdout
    [line] = [line for line in dry.splitlines() if line.startswith("  2. lint (lint)")]
    assert "after fix" in line
    assert "may start early" not in line
    code, tasks, out = run(project)
    assert tasks["lint"]["status"] == "modified", out
    assert tasks["lint"]["start"] >= tasks["fix"]["end"]
    assert "discarded" not in tasks["lint"]
    git(project, "checkout", "--", "a.txt")
    # Once it writes nothing, it may start early again.
    write_config(project, fixer(wait_for=str(marker)) + writer.replace("echo more >> $f", "true"))
    assert run(project)[0] == 0
    marker.unlink()
    code, tasks, out = run(project, "--no-cache")
    assert code == 0, out
    assert tasks["lint"]["start"] < tasks["fix"]["end"]
