"""Tasks off the critical path yield the CPU when cores are short (cli/priority.py)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from hookrunner.cache.history import load_cpu
from hookrunner.cli.priority import keeps_core, yielding
from hookrunner.engine.child import (
    LOW_PRIORITY,
    keep_core,
    share_cores,
    start_child,
    stop_child,
)
from hookrunner.model import TaskConfig
from hookrunner.plan import Invocation, PlannedTask
from tests.conftest import hookrunner, write_config
from tests.headstart_test import Held


def nice_of(pid: int) -> int:
    """The nice value that decides the CPU share of ``pid`` against other sessions."""
    grouped = Path("/proc/sys/kernel/sched_autogroup_enabled")
    if grouped.exists() and grouped.read_text().strip() == "1":
        return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])
    return os.getpriority(os.PRIO_PROCESS, pid)


def planned(name: str, stage: str = "lint", after: tuple[str, ...] = ()) -> PlannedTask:
    task = TaskConfig(name, ("true",), stage=stage)
    return PlannedTask(task, (), "", (Invocation(name, ("true",), ()),), after=after, barrier=after)


def test_the_tasks_off_the_critical_path_yield() -> None:
    plan = [
        planned("fmt", "format"),
        planned("lint", after=("fmt",)),
        planned("test", "test", ("fmt",)),
    ]
    cpu = {"fmt": 0.05, "lint": 0.2, "test": 0.3}
    # Stage barriers are relaxed as an optimistic run relaxes them: the path is
    # the test task alone.
    assert yielding(plan, cpu, jobs=5, cpus=2) == {"fmt", "lint"}
    # Enough cores, or slots, for every task: nobody yields.
    assert yielding(plan, cpu, jobs=5, cpus=4) == frozenset()
    assert yielding(plan, cpu, jobs=2, cpus=2) == frozenset()
    # No history: nothing is known to be longer.
    assert yielding(plan, {}, jobs=5, cpus=2) == frozenset()
    # Tasks that barely use the CPU are left alone.
    assert yielding(plan, {"fmt": 0.01, "lint": 0.02, "test": 0.03}, jobs=5, cpus=2) == frozenset()
    # A chain of writers is favoured from its start, even through a task whose
    # CPU time was too small to measure.
    native = planned("native", "format")
    fixer = planned("fixer", "format")._replace(after=("native",))
    chain = [native, fixer, planned("a", after=("native", "fixer")), planned("b")]
    cpu_chain = {"native": 0.0, "fixer": 0.2, "a": 0.1, "b": 0.1}
    assert yielding(chain, cpu_chain, jobs=5, cpus=2) == {"a", "b"}
    # A core is kept for the path when the rest fit in the other cores meanwhile.
    low = yielding(plan, cpu, jobs=5, cpus=2)
    assert keeps_core(plan, cpu, low, cpus=2)
    heavier = {**cpu, "lint": 0.25}
    assert yielding(plan, heavier, jobs=5, cpus=2) == low
    assert not keeps_core(plan, heavier, low, cpus=2)
    assert keeps_core(plan, heavier, low, cpus=3)
    assert not keeps_core(plan, cpu, low, cpus=1)
    assert not keeps_core(plan, cpu, frozenset(), cpus=2)
    # A skipped task is not counted.
    skipped = [*plan[:2], plan[2]._replace(skip="--skip")]
    assert yielding(skipped, cpu, jobs=5, cpus=2) == frozenset()


def test_a_low_priority_child_runs_at_nice_10(tmp_path: Path) -> None:
    low = start_child(["sleep", "30"], tmp_path, None, low_priority=True)
    plain = start_child(["sleep", "30"], tmp_path, None)
    try:
        assert nice_of(low.pid) == LOW_PRIORITY
        assert nice_of(plain.pid) == 0
    finally:
        stop_child(low, 0.0)
        stop_child(plain, 0.0)


def cpus_of(pid: int) -> set[int]:
    return set(os.sched_getaffinity(pid))


WHOLE = set(os.sched_getaffinity(0))
KEPT = max(WHOLE)
one_cpu = pytest.mark.skipif(len(WHOLE) < 2, reason="a core is kept only with two or more")


@one_cpu
def test_a_kept_core_is_left_to_the_children_that_do_not_yield(tmp_path: Path) -> None:
    script = tmp_path / "grandchild.sh"
    script.write_text("sleep 30 & wait\n")
    children = []
    assert keep_core()
    try:
        assert cpus_of(0) == WHOLE - {KEPT}
        low = start_child(["sh", str(script)], tmp_path, None, low_priority=True)
        plain = start_child(["sleep", "30"], tmp_path, None)
        children += [low, plain]
        assert cpus_of(low.pid) == WHOLE - {KEPT}
        assert cpus_of(plain.pid) == WHOLE
        grandchild = wait_for_child_of(low.pid)
        assert cpus_of(grandchild) == WHOLE - {KEPT}
    finally:
        share_cores()
    try:
        # Every process of the yielding sessions gets every CPU back, as does this one.
        assert cpus_of(0) == WHOLE
        assert cpus_of(low.pid) == WHOLE
        assert cpus_of(grandchild) == WHOLE
        share_cores()  # a second time changes nothing
        assert cpus_of(0) == WHOLE
    finally:
        for child in children:
            stop_child(child, 0.0)


def test_no_core_is_kept_with_one_cpu() -> None:
    os.sched_setaffinity(0, {KEPT})
    try:
        assert not keep_core()
        child = start_child(["sleep", "30"], None, None)
        try:
            assert cpus_of(child.pid) == {KEPT}
        finally:
            stop_child(child, 0.0)
    finally:
        os.sched_setaffinity(0, WHOLE)


def wait_for_child_of(parent: int) -> int:
    for _ in range(2000):
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == parent:
                    return int(entry.name)
        time.sleep(0.005)
    raise AssertionError(f"no child of {parent} appeared")


BURN = [sys.executable, "-c", "x = 0\nfor i in range(3_000_000): x += i"]


def test_a_run_keeps_each_tasks_cpu_time(repo: Path) -> None:
    write_config(
        repo,
        f"""
[tasks.burn]
cmd = {BURN!r}
pass_filenames = false
always_run = true
cache = false
[tasks.sleep]
cmd = ["sleep", "0.3"]
pass_filenames = false
always_run = true
cache = false
""".replace("'", '"'),
    )
    proc = hookrunner(repo, "run", "-a")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cpu = load_cpu(repo / ".git")
    assert cpu["burn"] > cpu["sleep"]
    assert cpu["sleep"] < 0.1


@pytest.mark.skipif(len(os.sched_getaffinity(0)) > 4, reason="needs more tasks than cores")
def test_the_critical_task_keeps_its_priority_and_the_rest_yield(
    repo: Path, tmp_path: Path
) -> None:
    cores = len(os.sched_getaffinity(0))
    body = "jobs = 16\n" + "".join(
        f'[tasks.t{i}]\ncmd = ["sleep", "0.{i + 11}"]\npass_filenames = false\nalways_run = true\n'
        for i in range(cores + 1)
    )
    write_config(repo, body)
    history = "".join(f"t{i}\t{0.5 if i == 1 else 0.1}\n" for i in range(cores + 1))
    (repo / ".git" / "hookrunner-cpu").write_text(history)
    report = tmp_path / "r.json"
    held = Held(repo, tmp_path, "-a", "--no-cache", "--json", str(report))
    try:
        nice = {}
        for pid in held.children():
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            nice[argv[1].decode()] = nice_of(pid)
        assert nice.pop("0.12") == 0  # t1, the longest by CPU time
        assert set(nice.values()) == {LOW_PRIORITY}
        assert len(nice) == cores
        if len(WHOLE) > 1:
            # One core is t1's alone: the others, and hookrunner, run elsewhere.
            assert cpus_of(held.proc.pid) == WHOLE - {KEPT}
            for pid, first in held_commands(held):
                assert cpus_of(pid) == (WHOLE if first == "0.12" else WHOLE - {KEPT})
    finally:
        code, out = held.finish()
    assert code == 0, out
    # It started first, though declared second.
    starts = {t["name"]: t["start"] for t in json.loads(report.read_text())["tasks"]}
    assert starts["t1"] == 0.0
    assert min(v for k, v in starts.items() if k != "t1") > 0.0
    # --no-optimistic: as before, every task at the same priority.
    held = Held(repo, tmp_path, "-a", "--no-cache", "--no-optimistic")
    try:
        assert {nice_of(pid) for pid in held.children()} == {0}
    finally:
        code, out = held.finish()
    assert code == 0, out


def held_commands(held: Held) -> list[tuple[int, str]]:
    """Each child of a held run, with its first argument."""
    return [
        (pid, Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[1].decode())
        for pid in held.children()
    ]


YIELDER = """
import os, pathlib, sys, time
whole = set({whole})
first = sorted(os.sched_getaffinity(0))
pathlib.Path("started-" + sys.argv[1]).write_text("")
while not pathlib.Path("crit-done").exists():
    time.sleep(0.01)
for _ in range(2000):
    if set(os.sched_getaffinity(0)) == whole:
        break
    time.sleep(0.01)
pathlib.Path(sys.argv[1]).write_text(f"{{first}} {{sorted(os.sched_getaffinity(0))}}")
"""


@one_cpu
@pytest.mark.skipif(len(WHOLE) > 4, reason="needs more tasks than cores")
def test_the_yielding_tasks_get_every_core_once_the_critical_path_ends(
    repo: Path, tmp_path: Path
) -> None:
    script = tmp_path / "yielder.py"
    script.write_text(YIELDER.format(whole=sorted(WHOLE)))
    body = "jobs = 16\n[tasks.crit]\n"
    # It ends once every yielding task has seen its CPUs.
    wait = f"while [ $(ls started-* | wc -l) -lt {len(WHOLE)} ]; do sleep 0.01; done"
    body += f'cmd = ["sh", "-c", "{wait} 2>/dev/null; touch crit-done"]\n'
    body += "pass_filenames = false\nalways_run = true\ncache = false\n"
    for i in range(len(WHOLE)):
        # Through a shell: the process that reads its CPUs is a grandchild.
        command = f"{sys.executable} {script} seen{i}"
        body += f'[tasks.low{i}]\ncmd = ["sh", "-c", "{command}"]\n'
        body += "pass_filenames = false\nalways_run = true\ncache = false\n"
    write_config(repo, body)
    history = "crit\t0.5\n" + "".join(f"low{i}\t0.1\n" for i in range(len(WHOLE)))
    (repo / ".git" / "hookrunner-cpu").write_text(history)
    proc = hookrunner(repo, "run", "-a")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rest, whole = sorted(WHOLE - {KEPT}), sorted(WHOLE)
    for i in range(len(WHOLE)):
        assert (repo / f"seen{i}").read_text() == f"{rest} {whole}"


@one_cpu
@pytest.mark.skipif(len(WHOLE) > 4, reason="needs more tasks than cores")
def test_dry_run_names_the_yielding_tasks_and_the_kept_core(repo: Path) -> None:
    names = [f"t{i}" for i in range(len(WHOLE) + 1)]
    write_config(
        repo,
        "jobs = 16\n"
        + "".join(f'[tasks.{n}]\ncmd = ["true"]\npass_filenames = false\n' for n in names),
    )
    history = repo / ".git" / "hookrunner-cpu"
    history.write_text("".join(f"{n}\t{0.5 if n == 't0' else 0.1}\n" for n in names))
    out = hookrunner(repo, "run", "-a", "--dry-run").stdout
    low = ", ".join(names[1:])
    assert f"off the path by earlier CPU time, {low} start at a lower CPU priority" in out
    assert "one core is kept for the path" in out
    # The others would not fit beside t0 in the other cores: no core is kept.
    history.write_text("".join(f"{n}\t0.5\n" for n in names))
    out = hookrunner(repo, "run", "-a", "--dry-run").stdout
    assert "start at a lower CPU priority" in out
    assert "one core is kept" not in out
