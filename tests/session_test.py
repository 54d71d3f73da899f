"""``hookrunner run`` end to end: real repositories, real processes, the real command.

Ordering is read from the JSON report's recorded start/end times; overlap is
proven by rendezvous (each task waits for a marker the other creates, and
fails if the other never runs beside it), never by wall-clock thresholds.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import git, hookrunner, pid_alive, write_config


def rendezvous(markers: Path, me: str, other: str) -> str:
    """A command that marks ``me`` as started and waits (up to ~20 s) for ``other``."""
    script = (
        f"touch {markers}/{me}; i=0; "
        f"while [ ! -e {markers}/{other} ]; do sleep 0.01; i=$((i+1)); "
        f"[ $i -gt 2000 ] && exit 9; done; exit 0"
    )
    return json.dumps(["sh", "-c", script])


def report(repo: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    proc = hookrunner(repo, *args, "--json", str(repo.parent / "report.json"), env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    data: dict[str, Any] = json.loads((repo.parent / "report.json").read_text())
    data["_proc"] = proc
    return data


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in data["tasks"]}


@pytest.fixture
def markers(tmp_path: Path) -> Path:
    path = tmp_path / "markers"
    path.mkdir()
    return path


def test_stages_run_in_order_and_lint_tasks_overlap(repo: Path, markers: Path) -> None:
    write_config(
        repo,
        f"""
optimistic = false
[tasks.fmt]
stage = "format"
cmd = "sleep 0.1"
pass_filenames = false
always_run = true
[tasks.lint-a]
cmd = {rendezvous(markers, "a", "b")}
pass_filenames = false
always_run = true
[tasks.lint-b]
cmd = {rendezvous(markers, "b", "a")}
pass_filenames = false
always_run = true
[tasks.test]
stage = "test"
cmd = "true"
always_run = true
""",
    )
    data = report(repo, "--all-files")
    tasks = by_name(data)
    assert data["exit_code"] == 0, data["_proc"].stdout
    assert [tasks[n]["status"] for n in ("fmt", "lint-a", "lint-b", "test")] == ["passed"] * 4
    for lint in ("lint-a", "lint-b"):
        assert tasks["fmt"]["end"] <= tasks[lint]["start"]
        assert tasks[lint]["end"] <= tasks["test"]["start"]


def test_tests_start_beside_lint_when_they_do_not_wait(repo: Path, markers: Path) -> None:
    write_config(
        repo,
        f"""
optimistic = false
tests_wait_for_lint = false
[tasks.fmt]
stage = "format"
cmd = "true"
always_run = true
pass_filenames = false
[tasks.lint]
cmd = {rendezvous(markers, "lint", "test")}
pass_filenames = false
always_run = true
[tasks.test]
stage = "test"
cmd = {rendezvous(markers, "test", "lint")}
always_run = true
""",
    )
    data = report(repo, "--all-files")
    tasks = by_name(data)
    assert data["exit_code"] == 0, data["_proc"].stdout
    assert tasks["fmt"]["end"] <= min(tasks["lint"]["start"], tasks["test"]["start"])


def test_tests_wait_for_lint_by_default(repo: Path) -> None:
    write_config(
        repo,
        """
optimistic = false
[tasks.lint]
cmd = "sleep 0.2"
pass_filenames = false
always_run = true
[tasks.test]
stage = "test"
cmd = "true"
always_run = true
""",
    )
    tasks = by_name(report(repo, "--all-files"))
    assert tasks["lint"]["end"] <= tasks["test"]["start"]


def _formatter_repo(repo: Path, markers: Path) -> None:
    (repo / "a.py").write_text("a = 1\n")
    (repo / "b.txt").write_text("b\n")
    write_config(
        repo,
        f"""
[tasks.py-1]
stage = "format"
cmd = "sleep 0.2"
files = ["*.py"]
pass_filenames = false
[tasks.py-2]
stage = "format"
cmd = "true"
files = ["a.py"]
[tasks.txt]
stage = "format"
cmd = {rendezvous(markers, "txt", "py")}
files = ["*.txt"]
pass_filenames = false
[tasks.py-3]
stage = "format"
cmd = {rendezvous(markers, "py", "txt")}
files = ["*.py"]
exclude = ["a.py"]
always_run = true
pass_filenames = false
""",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "files")


def test_overlapping_formatters_never_overlap_disjoint_ones_do(repo: Path, markers: Path) -> None:
    _formatter_repo(repo, markers)
    data = report(repo, "--all-files", "-j", "4")
    tasks = by_name(data)
    assert data["exit_code"] == 0, data["_proc"].stdout
    # py-1 and py-2 share a.py: declaration order, one after the other.
    assert tasks["py-1"]["end"] <= tasks["py-2"]["start"]
    # txt and py-3 touch disjoint files: they ran at once (else the rendezvous fails).
    assert tasks["txt"]["status"] == tasks["py-3"]["status"] == "passed"


def test_fail_fast_cancels_and_leaves_no_process_alive(repo: Path, tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    write_config(
        repo,
        f"""
[tasks.long]
cmd = ["sh", "-c", "sleep 1000 & echo $! > {pidfile}; wait"]
pass_filenames = false
always_run = true
[tasks.broken]
cmd = ["sh", "-c", "while [ ! -s {pidfile} ]; do sleep 0.01; done; echo boom; exit 3"]
pass_filenames = false
always_run = true
[tasks.later]
stage = "test"
cmd = "true"
always_run = true
""",
    )
    data = report(repo, "--all-files")
    tasks = by_name(data)
    assert data["exit_code"] == 1
    assert tasks["broken"]["status"] == "failed"
    assert tasks["broken"]["exit_code"] == 3
    assert "boom" in tasks["broken"]["output"]
    assert tasks["long"]["status"] == "cancelled"
    assert tasks["later"]["status"] == "skipped"
    assert not pid_alive(int(pidfile.read_text()))


def test_no_fail_fast_runs_the_rest_and_skips_dependents(repo: Path) -> None:
    write_config(
        repo,
        """
[tasks.broken]
cmd = ["sh", "-c", "exit 1"]
pass_filenames = false
always_run = true
[tasks.needs-broken]
cmd = "true"
depends_on = ["broken"]
always_run = true
[tasks.other]
cmd = "sleep 0.1"
pass_filenames = false
always_run = true
[tasks.test]
stage = "test"
cmd = "true"
always_run = true
""",
    )
    data = report(repo, "--all-files", "--no-fail-fast")
    tasks = by_name(data)
    assert data["exit_code"] == 1
    assert tasks["other"]["status"] == "passed"
    assert tasks["test"]["status"] == "passed"
    assert tasks["needs-broken"]["status"] == "skipped"
    assert tasks["needs-broken"]["reason"] == "dependency broken failed"


def test_format_changes_are_reported_and_lint_sees_the_fix(repo: Path) -> None:
    (repo / "a.py").write_text("x=1\n")
    (repo / "b.py").write_text("y = 2\n")
    fixer = (
        "import sys\n"
        "for f in sys.argv[1:]:\n"
        "    t = open(f).read()\n"
        "    open(f, 'w').write(t.replace('x=1', 'x = 1'))\n"
    )
    (repo / "fixer.py").write_text(fixer)
    write_config(
        repo,
        f"""
[tasks.fix]
stage = "format"
cmd = [{json.dumps(sys.executable)}, "fixer.py"]
files = ["a.py", "b.py"]
[tasks.check]
cmd = ["grep", "-q", "x = 1"]
files = ["a.py"]
""",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "files")
    data = report(repo, "--all-files")
    tasks = by_name(data)
    assert tasks["fix"]["status"] == "modified"
    assert tasks["fix"]["modified"] == ["a.py"]
    assert tasks["check"]["status"] == "passed"
    assert data["exit_code"] == 1
    assert "Modified files" in data["_proc"].stdout
    assert (repo / "a.py").read_text() == "x = 1\n"
    # A second run finds nothing to fix.
    assert report(repo, "--all-files")["exit_code"] == 0


def test_timeout_kills_the_task(repo: Path, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    write_config(
        repo,
        f"""
[tasks.slow]
cmd = ["sh", "-c", "echo $$ > {pidfile}; exec sleep 1000"]
timeout = 0.5
pass_filenames = false
always_run = true
""",
    )
    data = report(repo, "--all-files")
    slow = by_name(data)["slow"]
    assert slow["status"] == "timeout"
    assert data["exit_code"] == 1
    assert "Timed out" in data["_proc"].stdout
    assert not pid_alive(int(pidfile.read_text()))


def test_json_and_trace_match_their_schema(repo: Path, tmp_path: Path) -> None:
    write_config(
        repo,
        """
jobs = 2
[tasks.a]
cmd = ["echo", "hello"]
[tasks.b]
cmd = "true"
[tasks.c]
stage = "test"
cmd = "true"
hooks = ["pre-push"]
""",
    )
    trace = tmp_path / "trace.json"
    data = report(repo, "--all-files", "--trace", str(trace))
    assert set(data) - {"_proc"} == {"version", "exit_code", "duration", "tasks"}
    assert data["version"] == 1
    assert data["exit_code"] == 0
    keys = {"name", "stage", "status", "exit_code", "duration", "start", "end", "cmd", "files"}
    for task in data["tasks"]:
        assert keys | {"output"} <= set(task)
        assert task["status"] in {"passed", "failed", "modified", "timeout", "cancelled", "skipped"}
    a = by_name(data)["a"]
    assert a["cmd"] == ["echo", "hello"]
    assert a["files"] == ["README", "pyproject.toml"]
    assert a["output"].startswith("hello README pyproject.toml")
    assert by_name(data)["c"]["status"] == "skipped"
    events = json.loads(trace.read_text())["traceEvents"]
    slices = [e for e in events if e["ph"] == "X"]
    assert sorted(e["name"] for e in slices) == ["a", "b"]
    for event in slices:
        assert isinstance(event["ts"], int)
        assert isinstance(event["dur"], int)
        assert 1 <= event["tid"] <= 2


def test_file_lists_beyond_the_os_limit_are_split(repo: Path, tmp_path: Path) -> None:
    names = [f"{'d' * 60}/{i:05d}_{'f' * 40}.txt" for i in range(1500)]
    (repo / ("d" * 60)).mkdir()
    for name in names:
        (repo / name).write_text("")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "many")
    out = tmp_path / "calls"
    out.mkdir()
    recorder = (
        "import json, os, sys\n"
        f"path = os.path.join({str(out)!r}, str(os.getpid()))\n"
        "json.dump(sys.argv[1:], open(path, 'w'))\n"
    )
    write_config(
        repo,
        f"""
[tasks.record]
cmd = [{json.dumps(sys.executable)}, "-c", {json.dumps(recorder)}]
files = ["*.txt"]
""",
    )
    # The environment counts against the same limit as the arguments: fill
    # most of it so that the ~180 KB of file names no longer fit in one command.
    used = sum(len(k) + len(v) + 10 for k, v in os.environ.items())
    room = os.sysconf("SC_ARG_MAX") - used - 60_000
    filler = {f"FILL{i}": "x" * 100_000 for i in range(room // 100_000)}
    data = report(repo, "--all-files", env=filler)
    assert data["exit_code"] == 0, data["_proc"].stdout
    calls = [json.loads(p.read_text()) for p in out.iterdir()]
    assert len(calls) > 1
    passed = [name for call in calls for name in call]
    assert sorted(passed) == sorted(names)


ODD_NAMES = [
    "with space.py",
    "-leading-dash.py",
    "ünïcödé.py",
    "quote'single.py",
    'quote"double.py',
    "$(touch PWNED).py",
    "*.py",
    "semi;colon.py",
]


def test_odd_filenames_are_passed_verbatim(repo: Path, tmp_path: Path) -> None:
    for name in ODD_NAMES:
        (repo / name).write_text("")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "odd")
    out = tmp_path / "argv.json"
    recorder = f"import json, sys; json.dump(sys.argv[1:], open({str(out)!r}, 'w'))"
    write_config(
        repo,
        f"""
[tasks.record]
cmd = [{json.dumps(sys.executable)}, "-c", {json.dumps(recorder)}]
files = ["*.py"]
""",
    )
    data = report(repo, "--all-files")
    assert data["exit_code"] == 0, data["_proc"].stdout
    assert sorted(json.loads(out.read_text())) == sorted(ODD_NAMES)
    assert not (repo / "PWNED").exists()
    assert not (tmp_path / "PWNED").exists()


def test_explicit_files_and_filters(repo: Path, tmp_path: Path) -> None:
    (repo / "pkg").mkdir()
    for name in ("pkg/a.py", "pkg/b.py", "pkg/data.txt", "top.py"):
        (repo / name).write_text("")
    out = tmp_path / "argv.json"
    recorder = f"import json, sys; json.dump(sys.argv[1:], open({str(out)!r}, 'w'))"
    write_config(
        repo,
        f"""
[tasks.record]
cmd = [{json.dumps(sys.executable)}, "-c", {json.dumps(recorder)}]
types = ["python"]
exclude = ["pkg/b.py"]
""",
    )
    proc = hookrunner(repo / "pkg", "run", "a.py", "b.py", "data.txt", "../top.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(out.read_text()) == ["pkg/a.py", "top.py"]


def test_tasks_read_dev_null_and_output_is_not_interleaved(repo: Path) -> None:
    lines = "for i in $(seq 1 200); do echo {name}-$i; done"
    write_config(
        repo,
        f"""
[tasks.cat]
cmd = "cat"
pass_filenames = false
always_run = true
[tasks.one]
cmd = ["sh", "-c", "{lines.format(name="one")}"]
pass_filenames = false
always_run = true
[tasks.two]
cmd = ["sh", "-c", "{lines.format(name="two")}"]
pass_filenames = false
always_run = true
""",
    )
    proc = hookrunner(repo, "--all-files", "-v", input="this must not reach cat\n")
    assert proc.returncode == 0, proc.stdout
    assert "this must not reach" not in proc.stdout
    out = proc.stdout.splitlines()
    for name in ("one", "two"):
        where = [i for i, line in enumerate(out) if line.startswith(f"{name}-")]
        assert len(where) == 200
        assert where == list(range(where[0], where[0] + 200))


def test_skip_sources_and_hooks(repo: Path) -> None:
    write_config(
        repo,
        """
[tasks.a]
cmd = "true"
always_run = true
[tasks.b]
cmd = "true"
always_run = true
[tasks.c]
cmd = "true"
always_run = true
[tasks.push-only]
cmd = "true"
always_run = true
hooks = ["pre-push"]
""",
    )
    data = report(repo, "--all-files", "--skip", "a", env={"SKIP": "b, nonexistent"})
    tasks = by_name(data)
    assert tasks["a"]["reason"] == "skipped by --skip"
    assert tasks["b"]["status"] == "skipped"
    assert tasks["c"]["status"] == "passed"
    assert tasks["push-only"]["reason"] == "not in hook manual"
    data = report(repo, "--all-files", env={"SKIP": "c"})
    assert by_name(data)["c"]["reason"] == "skipped by SKIP"


def test_config_errors_are_one_line_and_exit_2(repo: Path) -> None:
    write_config(repo, '[tasks.mypy]\ncmd = "mypy"\ntimeout = "10s"\n', commit=False)
    proc = hookrunner(repo, "--all-files")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        'pyproject.toml: tool.paratools.tasks.mypy.timeout: expected a positive number, got "10s"'
    ]
    write_config(repo, '[tasks.a]\ncmd = "x"\ndepends_on = ["b"]\n[tasks.b]\ncmd = "x"\n'
                 'depends_on = ["a"]\n', commit=False)  # fmt: skip
    proc = hookrunner(repo, "--all-files")
    assert proc.returncode == 2
    assert "a -> b -> a" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signals_stop_every_child_and_exit_with_the_signal_code(
    repo: Path, tmp_path: Path, signum: int, code: int
) -> None:
    pidfile = tmp_path / "pid"
    write_config(
        repo,
        f"""
[tasks.long]
cmd = ["sh", "-c", "sleep 1000 & echo $! > {pidfile}; wait"]
pass_filenames = false
always_run = true
""",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "hookrunner", "--all-files"],
        cwd=repo,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not (pidfile.exists() and pidfile.read_text().strip()):
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.01)
    proc.send_signal(signum)
    proc.communicate(timeout=30)
    assert proc.returncode == code
    assert not pid_alive(int(pidfile.read_text()))


def test_dry_run_runs_nothing(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    write_config(
        repo,
        f"""
[tasks.touch]
cmd = ["touch", "{marker}"]
always_run = true
[tasks.never]
cmd = "true"
files = ["*.nothing"]
""",
    )
    proc = hookrunner(repo, "--all-files", "--dry-run")
    assert proc.returncode == 0
    assert not marker.exists()
    assert "touch (lint)" in proc.stdout
    assert "never (lint): skipped, no files to check" in proc.stdout
    assert shlex.join(["touch", str(marker)]) in proc.stdout


REWRITER = (
    "import sys\n"
    "for name in sys.argv[1:]:\n"
    "    data = open(name, 'rb').read()\n"
    "    if name == 'f7.txt':\n"
    "        data += b'fixed\\n'\n"
    "    open(name, 'wb').write(data)\n"
)


@pytest.mark.parametrize("count", [3, 200])
def test_a_rewrite_with_the_same_bytes_is_not_a_modification(repo: Path, count: int) -> None:
    """Every file is written again; only the one whose bytes changed counts,
    with a few files and with enough to be fingerprinted off the event loop."""
    for i in range(count):
        (repo / f"f{i}.txt").write_text(f"{i}\n")
    write_config(
        repo,
        f"""
[tasks.rewrite]
stage = "format"
cmd = [{json.dumps(sys.executable)}, "-c", {json.dumps(REWRITER)}]
files = ["*.txt"]
""",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "files")
    data = report(repo, "--all-files", "--no-cache")
    rewrite = by_name(data)["rewrite"]
    if count > 7:
        assert rewrite["status"] == "modified"
        assert rewrite["modified"] == ["f7.txt"]
    else:
        assert rewrite["status"] == "passed"


@pytest.mark.parametrize("cached", [False, True])
def test_a_staged_file_is_chosen_by_its_staged_content(
    repo: Path, tool: tuple[Path, dict[str, str]], cached: bool
) -> None:
    """File types are read from the files: a staged file deleted in the work
    tree, or a staged script whose work-tree copy lost its executable bit,
    is still checked, as pre-commit (which stashes first) would."""
    log, env = tool
    write_config(
        repo,
        f"[tasks.check]\ncmd = 'checker'\ntypes = ['python']\ncache = {str(cached).lower()}\n",
    )
    (repo / "tool").write_text("#!/usr/bin/env python3\nFAIL = 1\n")
    (repo / "tool").chmod(0o755)
    (repo / "gone.py").write_text("FAIL = 1\n")
    git(repo, "add", "tool", "gone.py")
    (repo / "gone.py").unlink()
    (repo / "tool").chmod(0o644)
    proc = hookrunner(repo, "run", "--hook", "pre-commit", env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert sorted(log.read_text().split()) == ["gone.py", "tool"]
    # The user's work tree is as it was.
    assert not (repo / "gone.py").exists()
    assert (repo / "tool").stat().st_mode & 0o111 == 0
