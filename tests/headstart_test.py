"""A run's first command lines start before the event loop exists (cli/headstart.py).

The run is held at the moment it imports asyncio by a stand-in ``asyncio``
package first on PYTHONPATH: it notes that the import began, waits for the
test to open a gate, then loads the real asyncio. While it waits, every
command line the run started ahead of the engine is running, and nothing else.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from hookrunner.cli.headstart import HeadStart, _signals_noted
from hookrunner.cli.invoke import Runner
from hookrunner.engine.child import start_child, stop_child
from hookrunner.engine.process import run_process
from hookrunner.model import TaskConfig
from hookrunner.plan import Invocation, PlannedTask
from tests.conftest import git, pid_alive, write_config
from tests.reliability import kill_marked, marked_processes, new_mark, start, survivors, wait_until

STAND_IN = """
import importlib.machinery, importlib.util, os, sys, time

open(os.environ["HEADSTART_IMPORTING"], "w").close()
while not os.path.exists(os.environ["HEADSTART_GATE"]):
    time.sleep(0.005)
here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
path = [p for p in sys.path if os.path.abspath(p or ".") != here]
spec = importlib.machinery.PathFinder.find_spec("asyncio", path)
module = importlib.util.module_from_spec(spec)
sys.modules["asyncio"] = module
spec.loader.exec_module(module)
"""


class Held:
    """A ``hookrunner run`` held where it imports asyncio."""

    def __init__(self, repo: Path, tmp_path: Path, *args: str) -> None:
        here = Path(tempfile.mkdtemp(dir=tmp_path))
        shadow = here / "shadow"
        (shadow / "asyncio").mkdir(parents=True)
        (shadow / "asyncio" / "__init__.py").write_text(STAND_IN)
        self.importing = here / "importing"
        self.gate = here / "gate"
        self.mark = new_mark()
        env = {
            "PYTHONPATH": str(shadow),
            "HEADSTART_IMPORTING": str(self.importing),
            "HEADSTART_GATE": str(self.gate),
        }
        self.proc = start(repo, "run", *args, mark=self.mark, env=env)
        wait_until(self.importing.exists, "the run to import asyncio")

    def children(self, all_started: bool = False) -> list[int]:
        """The processes running now: hookrunner's children (or all it started)."""
        found = []
        for pid in marked_processes(self.mark):
            try:
                parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if pid != self.proc.pid and (parent == self.proc.pid or all_started):
                found.append(pid)
        return found

    def commands(self, children: bool = True) -> list[str]:
        """The command lines running now: hookrunner's children (or all it started)."""
        found = []
        for pid in self.children(all_started=not children):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            found.append(" ".join(a.decode() for a in argv if a))
        return sorted(found)

    def finish(self) -> tuple[int, str]:
        self.gate.touch()
        out, err = self.proc.communicate(timeout=120)
        return self.proc.returncode, (out + err).decode()


def test_the_first_command_lines_run_while_asyncio_is_imported(repo: Path, tmp_path: Path) -> None:
    # A formatter, a lint task and a test.
    write_config(
        repo,
        """
[tasks.fmt]
stage = "format"
cmd = ["sleep", "0.51"]
pass_filenames = false
always_run = true
[tasks.lint]
cmd = ["sleep", "0.52"]
pass_filenames = false
always_run = true
[tasks.test]
stage = "test"
cmd = ["sleep", "0.53"]
pass_filenames = false
always_run = true
""",
    )
    # With strict stage barriers only the formatter waits for nothing.
    held = Held(repo, tmp_path, "-a", "--no-cache", "--no-optimistic")
    assert held.commands() == ["sleep 0.51"]
    code, out = held.finish()
    assert code == 0, out
    # Optimistic (the default): the lint and test tasks start early beside
    # it, when every one of them has a slot.
    held = Held(repo, tmp_path, "-a", "--no-cache", "--json", str(tmp_path / "r.json"))
    assert held.commands() == ["sleep 0.51", "sleep 0.52", "sleep 0.53"]
    code, out = held.finish()
    assert code == 0, out
    report = {t["name"]: t for t in json.loads((tmp_path / "r.json").read_text())["tasks"]}
    assert {t["status"] for t in report.values()} == {"passed"}
    # Each task's time counts from its start, ahead of the engine; the longest
    # by the first run's history started first.
    assert report["test"]["start"] == 0.0
    for name, seconds in (("fmt", 0.51), ("lint", 0.52), ("test", 0.53)):
        assert report[name]["duration"] >= seconds
    assert survivors(held.mark) == []


def test_an_early_line_a_formatter_invalidates_is_dropped_and_run_again(
    repo: Path, tmp_path: Path
) -> None:
    # The lint task reads a.py at once and fails on BAD a moment later; the
    # formatter turns BAD into GOOD after a moment: the lint task's first look
    # saw BAD, and must not count.
    write_config(
        repo,
        """
[tasks.fix]
stage = "format"
cmd = ["sh", "-c", "sleep 0.2; sed -i s/BAD/GOOD/ \\"$@\\"", "fix"]
files = ["*.py"]
[tasks.check]
cmd = ["sh", "-c", "seen=$(cat \\"$@\\"); sleep 0.3; case $seen in *BAD*) exit 1;; esac", "check"]
files = ["*.py"]
""",
    )
    (repo / "a.py").write_text("BAD\n")
    git(repo, "add", "a.py")
    git(repo, "commit", "-qm", "a")
    report = tmp_path / "r.json"
    held = Held(repo, tmp_path, "-a", "--no-cache", "--json", str(report))
    assert len(held.commands()) == 2
    code, out = held.finish()
    assert code == 1, out  # the formatter changed a file
    assert (repo / "a.py").read_text() == "GOOD\n"
    tasks = {t["name"]: t for t in json.loads(report.read_text())["tasks"]}
    assert tasks["fix"]["status"] == "modified"
    assert tasks["check"]["status"] == "passed"
    (dropped,) = tasks["check"]["discarded"]
    assert "fix" in dropped["reason"], dropped


def test_only_lines_that_wait_for_nothing_and_fit_in_the_slots(repo: Path, tmp_path: Path) -> None:
    write_config(
        repo,
        """
jobs = 3
[tasks.a]
cmd = ["sleep", "0.31"]
pass_filenames = false
always_run = true
[tasks.b]
cmd = ["sleep", "0.32"]
pass_filenames = false
always_run = true
[tasks.after-a]
cmd = ["sleep", "0.33"]
pass_filenames = false
always_run = true
depends_on = ["a"]
[tasks.skipped]
cmd = ["sleep", "0.34"]
pass_filenames = false
always_run = true
""",
    )
    held = Held(repo, tmp_path, "-a", "--no-cache", "--skip", "skipped")
    assert held.commands() == ["sleep 0.31", "sleep 0.32"]
    code, out = held.finish()
    assert code == 0, out
    assert "after-a" in out

    # Four that wait for nothing on three slots: the engine picks which go first.
    write_config(
        repo,
        "jobs = 3\n"
        + "".join(
            f'[tasks.t{i}]\ncmd = ["sleep", "0.4{i}"]\npass_filenames = false\nalways_run = true\n'
            for i in range(4)
        ),
    )
    held = Held(repo, tmp_path, "-a", "--no-cache")
    assert held.commands() == []
    code, out = held.finish()
    assert code == 0, out


def test_a_cached_line_is_answered_not_started(repo: Path, tmp_path: Path) -> None:
    write_config(
        repo,
        """
[tasks.check]
cmd = ["sh", "-c", "sleep 0.21", "check"]
files = ["*.py"]
[tasks.other]
cmd = ["sleep", "0.22"]
always_run = true
pass_filenames = false
cache = false
""",
    )
    (repo / "a.py").write_text("x = 1\n")
    git(repo, "add", "a.py")
    git(repo, "commit", "-qm", "a")
    report = tmp_path / "r.json"
    held = Held(repo, tmp_path, "-a", "--json", str(report))
    assert held.commands() == ["sh -c sleep 0.21 check a.py", "sleep 0.22"]
    code, out = held.finish()
    assert code == 0, out
    # The second run asks the cache before starting anything: only the
    # uncached task starts ahead of the engine.
    held = Held(repo, tmp_path, "-a", "--json", str(report))
    assert held.commands() == ["sleep 0.22"]
    code, out = held.finish()
    assert code == 0, out
    cached = {t["name"]: t.get("cached", False) for t in json.loads(report.read_text())["tasks"]}
    assert cached == {"check": True, "other": False}


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_before_the_engine_stops_the_started_lines(
    repo: Path, tmp_path: Path, signum: int, code: int
) -> None:
    # The task leaves a grandchild in its group: it is stopped too.
    write_config(
        repo,
        """
[tasks.slow]
cmd = ["sh", "-c", "sleep 60 & sleep 61; wait"]
pass_filenames = false
always_run = true
""",
    )
    held = Held(repo, tmp_path, "-a", "--no-cache")
    try:
        wait_until(lambda: "sleep 60" in held.commands(children=False), "the grandchild")
        held.proc.send_signal(signum)
        held.proc.communicate(timeout=60)
        assert held.proc.returncode == code
        assert survivors(held.mark) == []
    finally:
        kill_marked(held.mark)


def test_a_started_child_is_supervised_from_its_start(tmp_path: Path) -> None:
    argv = ["sh", "-c", "echo out; sleep 0.6"]
    at = time.perf_counter()
    popen = start_child(argv, tmp_path, None)
    time.sleep(0.3)
    # A timeout of 0.5 s counted from the start ends it; counted from now it
    # would not (the child ends 0.6 s after its start).
    result = asyncio.run(run_process(argv, timeout=0.5, popen=popen, started=at))
    assert result.timed_out
    assert result.duration >= 0.5
    assert result.output == "out\n"
    assert not pid_alive(popen.pid)

    popen = start_child(["sh", "-c", "echo fine"], tmp_path, None)
    result = asyncio.run(run_process(["x"], popen=popen, started=time.perf_counter()))
    assert (result.exit_code, result.output) == (0, "fine\n")


def test_stop_child_stops_the_group_and_reaps(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    # The child ignores SIGTERM: SIGKILL after the grace period ends it.
    script = f"trap '' TERM; sleep 60 & echo $! > {pids}; echo $$ >> {pids}; wait"
    popen = start_child(["sh", "-c", script], tmp_path, None)
    wait_until(lambda: pids.exists() and len(pids.read_text().split()) == 2, "the pids")
    stop_child(popen, 0.1)
    assert popen.returncode is not None
    assert popen.stdout is not None
    assert popen.stdout.closed
    for pid in map(int, pids.read_text().split()):
        wait_until(lambda pid=pid: not pid_alive(pid), f"{pid} to go")  # type: ignore[misc]


def test_signals_in_the_start_loop_are_raised_after_it() -> None:
    steps = []

    def start_loop() -> None:
        with _signals_noted():
            os.kill(os.getpid(), signal.SIGINT)
            steps.append("went on")

    with pytest.raises(KeyboardInterrupt):
        start_loop()
    assert steps == ["went on"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_no_asyncio_before_the_head_start() -> None:
    code = (
        "import sys, hookrunner.cli.full, hookrunner.cli.headstart; print('asyncio' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _planned(name: str, stage: str, argv: tuple[str, ...], barrier: tuple[str, ...]) -> PlannedTask:
    task = TaskConfig(name, argv[:1], stage=stage)
    line = Invocation(name, argv, ("a.py",))
    return PlannedTask(task, ("a.py",), "", (line,), after=barrier, barrier=barrier)


@pytest.mark.parametrize(("touched", "counts"), [(["a.py"], False), (["b.py"], True)])
def test_the_engine_reaching_a_line_after_its_formatter_ended_checks_what_it_wrote(
    tmp_path: Path, touched: list[str], counts: bool
) -> None:
    (tmp_path / "a.py").write_text("x\n")
    fix = _planned("fix", "format", ("true",), ())
    check = _planned("check", "lint", ("sleep", "30"), ("fix",))
    head = HeadStart()
    head.start([fix, check], 2, tmp_path, dict(os.environ), None, frozenset())
    try:
        runner = Runner([fix, check], tmp_path, {}, {}, head=head)
        tools = {tool.name: tool for tool in runner.tool_tasks()}
        # The formatter ended, and wrote ``touched``, before the engine took the
        # lint task's child.
        tools["fix"].result = {"touched": touched}
        runner.finished(tools["fix"])
        popen = head._running["check"].popen
        started = runner._claim("check")
        if counts:
            assert started is not None
            assert started.argv == ("sleep", "30")
            assert pid_alive(started.popen.pid)
        else:
            assert started is None
            assert popen.returncode is not None  # stopped and reaped
            assert runner._dropped["check"][0].reason == "started before fix changed files it reads"
        assert head.take("check") is None
    finally:
        head.stop(0.0)
        if counts and started is not None:
            stop_child(started.popen, 0.0)


def test_a_command_that_cannot_start_is_reported_as_before(repo: Path, tmp_path: Path) -> None:
    write_config(
        repo,
        """
[tasks.missing]
cmd = ["hookrunner-no-such-tool"]
pass_filenames = false
always_run = true
[tasks.fine]
cmd = ["sleep", "0.2"]
pass_filenames = false
always_run = true
""",
    )
    report = tmp_path / "r.json"
    held = Held(repo, tmp_path, "-a", "--no-cache", "--no-fail-fast", "--json", str(report))
    assert held.commands() == ["sleep 0.2"]
    code, out = held.finish()
    assert code == 1, out
    tasks = {t["name"]: t for t in json.loads(report.read_text())["tasks"]}
    assert tasks["missing"]["status"] == "failed"
    assert "command not found: hookrunner-no-such-tool" in out
    assert tasks["fine"]["status"] == "passed"
