"""Formatters that share files, in a wavefront (SPEC "Optimistic scheduling"):
they run at once on disjoint parts of their files, no file ever has two
writers at once, declaration order holds on every file, and each change is
attributed to the task that made it.

The fixers log each command line's begin and end and each file's open and
close to one append-only log: the tests read the order of those events, never
the clock. A formatter is split only once earlier runs say it is worth it, so
each test runs the tasks once first to record their durations.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from hookrunner import wavefront
from tests.conftest import git, hookrunner, pid_alive, write_config

# Appends "# TASK" to each file it is given, logging each step; a file named
# slow* takes longer. A file holding "boom" makes task B fail before writing;
# one holding "hang" makes task A hang.
FIXER = """\
import os, sys, time
task, names = sys.argv[1], sys.argv[2:]
def note(*words):
    fd = os.open(os.environ["WAVE_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, (" ".join(words) + "\\n").encode())
    os.close(fd)
note("begin", task, str(os.getpid()), *names)
for name in names:
    text = open(name).read()
    if "boom" in text and task == "B":
        note("end", task, str(os.getpid()))
        sys.exit(3)
    if "hang" in text and task == "A":
        time.sleep(60)
    note("open", task, name)
    time.sleep(0.12 if os.path.basename(name).startswith("slow") else 0.01)
    with open(name, "a") as f:
        f.write("# " + task + "\\n")
    note("close", task, name)
note("end", task, str(os.getpid()))
"""

TASKS = ("A", "B", "C")
FAST = [f"fast{i}.txt" for i in range(8)]
SLOW = [f"slow{i}.txt" for i in range(8)]


def fixer_tasks(log: Path, names: Sequence[str] = TASKS, extra: str = "") -> str:
    return "".join(
        f"""
[tasks.{name}]
stage = "format"
cmd = [{json.dumps(sys.executable)}, "fixer.py", "{name}"]
files = ["*.txt", "*.cfg"]
env = {{ WAVE_LOG = {json.dumps(str(log))} }}
{extra if name == "A" else ""}
"""
        for name in names
    )


@pytest.fixture
def shared(repo: Path) -> Path:
    """A repository of files that every fixer selects: the sorted union puts
    the fast ones in the first part and the slow ones in the second."""
    (repo / "fixer.py").write_text(FIXER)
    for name in FAST + SLOW:
        (repo / name).write_text("x\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "files")
    return repo


Event = tuple[str, ...]


def events(log: Path) -> list[Event]:
    return [tuple(line.split()) for line in log.read_text().splitlines()]


def warm_up(repo: Path, log: Path, *args: str) -> None:
    """One run that records each task's duration, then the files as committed."""
    done = hookrunner(repo, "run", "--all-files", "--no-cache", *args)
    assert done.returncode == 1, done.stdout + done.stderr  # files were modified
    git(repo, "checkout", "--", ".")
    log.unlink()


def run(repo: Path, *args: str) -> tuple[int, dict[str, dict[str, object]], str]:
    done = hookrunner(repo, "run", "--all-files", "--no-cache", "--json", "report.json", *args)
    data = json.loads((repo / "report.json").read_text())
    return done.returncode, {t["name"]: t for t in data["tasks"]}, done.stdout + done.stderr


def command_lines(log: list[Event]) -> list[tuple[str, int, int, tuple[str, ...]]]:
    """Each command line: its task, the positions of its begin and end in the
    log, and the files it was given."""
    begun: dict[str, tuple[str, int, tuple[str, ...]]] = {}
    found = []
    for at, event in enumerate(log):
        if event[0] == "begin":
            begun[event[2]] = (event[1], at, event[3:])
        elif event[0] == "end":
            task, start, files = begun.pop(event[2])
            found.append((task, start, at, files))
    return found


def assert_one_writer_per_file_in_order(log: list[Event], files: Sequence[str]) -> None:
    for name in files:
        steps = [(e[0], e[1]) for e in log if e[0] in ("open", "close") and e[2] == name]
        expected = [(step, task) for task in TASKS for step in ("open", "close")]
        assert steps == expected, (name, steps)


@pytest.mark.parametrize("option", ["--optimistic", "--no-optimistic"])
def test_formatters_that_share_files_fix_their_parts_side_by_side(
    shared: Path, tmp_path: Path, option: str
) -> None:
    repo, log = shared, tmp_path / "wave.log"
    write_config(repo, fixer_tasks(log))
    warm_up(repo, log, "-j", "2", option)
    code, tasks, out = run(repo, "-j", "2", option)
    assert code == 1, out
    seen = events(log)
    lines = command_lines(seen)
    # Each formatter was split into parts, one command line each.
    for task in TASKS:
        assert len([line for line in lines if line[0] == task]) == 2, lines
    # A later formatter fixed a part while an earlier one still fixed another.
    assert any(
        first[0] < second[0] and first[1] < second[1] < first[2]
        for first in lines
        for second in lines
    ), lines
    # ... yet no file had two writers at once, and on each A went first, then B, then C.
    assert_one_writer_per_file_in_order(seen, FAST + SLOW)
    for name in FAST + SLOW:
        assert (repo / name).read_text() == "x\n# A\n# B\n# C\n"
    # Every change is attributed to the task that made it.
    for task in TASKS:
        assert tasks[task]["status"] == "modified"
        assert sorted(tasks[task]["modified"]) == sorted(FAST + SLOW)  # type: ignore[call-overload]


def test_a_configuration_file_is_never_written_beside_another_formatter(
    shared: Path, tmp_path: Path
) -> None:
    # setup.cfg is a file tools read as their configuration: the command line
    # given it runs when no other formatter's does, and the later formatters
    # read it as the earlier ones left it.
    repo, log = shared, tmp_path / "wave.log"
    (repo / "setup.cfg").write_text("x\n")
    git(repo, "add", "setup.cfg")
    write_config(repo, fixer_tasks(log))
    warm_up(repo, log, "-j", "2")
    code, tasks, out = run(repo, "-j", "2")
    assert code == 1, out
    seen = events(log)
    lines = command_lines(seen)
    order = {task: i for i, task in enumerate(TASKS)}
    for task, start, _end, files in lines:
        for other, _other_start, other_end, other_files in lines:
            if order[other] < order[task] and "setup.cfg" in files + other_files:
                assert other_end < start, (task, files, other, other_files)
    assert_one_writer_per_file_in_order(seen, ["setup.cfg", *FAST, *SLOW])
    assert (repo / "setup.cfg").read_text() == "x\n# A\n# B\n# C\n"
    assert sorted(tasks["B"]["modified"]) == sorted(["setup.cfg", *FAST, *SLOW])  # type: ignore[call-overload]


def test_a_serial_formatter_keeps_one_command_line(shared: Path, tmp_path: Path) -> None:
    # pre-commit's require_serial: every file in one command line, which waits
    # for every part of the formatter before and which the parts after wait for.
    repo, log = shared, tmp_path / "wave.log"
    hooks = "".join(
        f"""
  - id: {task}
    name: {task}
    entry: '{sys.executable} fixer.py {task}'
    language: system
    files: \\.txt$
    require_serial: {"true" if task == "B" else "false"}
"""
        for task in TASKS
    )
    (repo / ".pre-commit-config.yaml").write_text("repos:\n- repo: local\n  hooks:" + hooks)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "hooks")
    env = {"WAVE_LOG": str(log)}
    done = hookrunner(repo, "run", "--all-files", "--no-cache", "-j", "2", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    git(repo, "checkout", "--", ".")
    log.unlink()
    done = hookrunner(repo, "run", "--all-files", "--no-cache", "-j", "2", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    seen = events(log)
    lines = command_lines(seen)
    serial = [line for line in lines if line[0] == "B"]
    assert len(serial) == 1
    assert sorted(serial[0][3]) == sorted(FAST + SLOW)
    # The formatters around it were split, and none ran beside it.
    assert len([line for line in lines if line[0] == "A"]) == 2, lines
    for task, start, end, _ in lines:
        if task == "A":
            assert end < serial[0][1]
        if task == "C":
            assert start > serial[0][2]
    assert_one_writer_per_file_in_order(seen, FAST + SLOW)


def test_a_failing_part_stops_the_parts_of_every_formatter(shared: Path, tmp_path: Path) -> None:
    repo, log = shared, tmp_path / "wave.log"
    write_config(repo, fixer_tasks(log, ("A", "B")))
    warm_up(repo, log, "-j", "2")
    # A hangs on the last slow file; B fails on the first fast one, which it
    # reaches once A has fixed the fast part: fail-fast stops A's hanging part.
    (repo / "fast0.txt").write_text("boom\n")
    (repo / SLOW[-1]).write_text("hang\n")
    code, tasks, out = run(repo, "-j", "2")
    assert code == 1, out
    assert tasks["B"]["status"] == "failed", out
    assert tasks["A"]["status"] == "cancelled", out
    pids = [int(e[2]) for e in events(log) if e[0] == "begin"]
    assert len(pids) == 3  # both of A's parts and B's first
    assert not [pid for pid in pids if pid_alive(pid)]
    assert (repo / SLOW[-1]).read_text() == "hang\n"


def test_a_part_past_its_timeout_stops_the_run(shared: Path, tmp_path: Path) -> None:
    repo, log = shared, tmp_path / "wave.log"
    write_config(repo, fixer_tasks(log, ("A", "B"), extra="timeout = 5"))
    warm_up(repo, log, "-j", "2")
    (repo / SLOW[-1]).write_text("hang\n")
    code, tasks, out = run(repo, "-j", "2")
    assert code != 0, out
    assert tasks["A"]["status"] == "timeout", out
    pids = [int(e[2]) for e in events(log) if e[0] == "begin"]
    assert not [pid for pid in pids if pid_alive(pid)]
    # B fixed the part A finished, and never touched the one A was stopped on.
    assert (repo / FAST[0]).read_text() == "x\n# A\n# B\n"
    assert (repo / SLOW[-1]).read_text() == "hang\n"


# Reads each file it is given, slowly, and changes none.
CHECKER = """\
import os, sys, time
fd = os.open(os.environ["WAVE_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
os.write(fd, ("begin " + " ".join(sys.argv[1:]) + "\\n").encode())
for name in sys.argv[2:]:
    open(name).read()
    time.sleep(0.12 if os.path.basename(name).startswith("slow") else 0.01)
"""


def test_a_rerun_is_cached_though_the_first_run_did_not_split(shared: Path, tmp_path: Path) -> None:
    # The first run has no durations yet, so nothing is split; the second is
    # split, and the first run's passes still answer for each part.
    repo, log = shared, tmp_path / "wave.log"
    (repo / "checker.py").write_text(CHECKER)
    git(repo, "add", "checker.py")
    tasks = fixer_tasks(log, ("A", "B")).replace('"fixer.py"', '"checker.py"')
    write_config(repo, tasks)
    done = hookrunner(repo, "run", "--all-files", "-j", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(events(log)) == 2
    plan = hookrunner(repo, "run", "--all-files", "-j", "2", "--dry-run").stdout
    assert plan.count("2 command lines") == 2, plan
    log.unlink()
    code, found, out = run_cached(repo, "-j", "2")
    assert code == 0, out
    assert [found[t].get("cached") for t in ("A", "B")] == [True, True], out
    # Each part learned its own key: the next run is answered by the quick
    # path, which plans the same parts (Python names the full run's module on
    # stderr when it is imported).
    code, found, out = run_cached(repo, "-j", "2", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert code == 0, out
    assert [found[t].get("cached") for t in ("A", "B")] == [True, True], out
    assert "hookrunner.cli.full" not in out
    assert not log.exists()


def run_cached(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, dict[str, object]], str]:
    done = hookrunner(repo, "run", "--all-files", "--json", "report.json", *args, env=env)
    data = json.loads((repo / "report.json").read_text())
    return done.returncode, {t["name"]: t for t in data["tasks"]}, done.stdout + done.stderr


def test_a_cached_rerun_of_split_formatters_is_answered_quickly(
    shared: Path, tmp_path: Path
) -> None:
    # Durations first (no cache), then a run that splits and stores each
    # part's pass: the quick path must plan the same parts to find them.
    repo, log = shared, tmp_path / "wave.log"
    (repo / "checker.py").write_text(CHECKER)
    git(repo, "add", "checker.py")
    write_config(repo, fixer_tasks(log, ("A", "B")).replace('"fixer.py"', '"checker.py"'))
    for args in (["--no-cache"], []):
        done = hookrunner(repo, "run", "--all-files", "-j", "2", *args)
        assert done.returncode == 0, done.stdout + done.stderr
    assert len(events(log)) == 2 + 4  # unsplit, then two parts each
    log.unlink()
    code, found, out = run_cached(repo, "-j", "2", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert code == 0, out
    assert [found[t].get("cached") for t in ("A", "B")] == [True, True], out
    assert "hookrunner.cli.full" not in out
    assert not log.exists()


def test_light_formatters_are_split_only_when_the_other_cores_would_idle() -> None:
    files = {name: [f"f{i}.txt" for i in range(32)] for name in ("A", "B", "C")}
    light = {"A": 0.03, "B": 0.03, "C": 0.03}
    cores = os.cpu_count() or 1
    # Nothing else to run beside a chain of ~30 ms fixers: each is split.
    alone = wavefront.partition(files, light, slots=8)
    assert alone.split == ({"A", "B", "C"} if cores > 1 else set())
    # Lint work enough to fill the other cores meanwhile: kept whole.
    busy = wavefront.partition(files, light, slots=8, beside=0.1 * cores)
    assert busy.split == set()
    # A heavy formatter is split either way, the light ones only on idle cores.
    heavy = wavefront.partition(files, {**light, "A": 0.6}, slots=8, beside=1.0 * cores)
    assert heavy.split == ({"A"} if cores > 1 else set())
