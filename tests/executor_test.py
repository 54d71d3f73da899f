from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from hookrunner import (
    CircularDependencyError,
    ExecutionStatistics,
    ParallelExecutor,
    TaskStatus,
    ToolTask,
    run_subprocess_async,
)
from hookrunner.engine.executor import Result
from hookrunner.engine.graph import MissingDependencyError
from hookrunner.engine.tasks import normalize_result
from tests.proc_test import (
    STUBBORN,
    ignoring_sigterm,
    is_gone,
    read_pid,
    wait_for_file,
    wait_gone,
)

PY = sys.executable


class Recorder:
    """Task functions that log ("start", name) and ("end", name) in the order
    they happen, and count how many run at once."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.active = 0
        self.peak = 0

    def func(
        self, name: str, delay: float = 0.05, *, fail: bool = False
    ) -> Callable[[], Awaitable[Result]]:
        async def run() -> Result:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.events.append(("start", name))
            try:
                await asyncio.sleep(delay)
            finally:
                self.active -= 1
                self.events.append(("end", name))
            return {"status": "failed" if fail else "success", "output": name,
                    "exit_code": 1 if fail else 0}  # fmt: skip

        return run

    def task(self, name: str, delay: float = 0.05, *, fail: bool = False, **kw: Any) -> ToolTask:
        return ToolTask(name=name, func=self.func(name, delay, fail=fail), **kw)

    def at(self, kind: str, name: str) -> int:
        return self.events.index((kind, name))

    def started(self) -> list[str]:
        return [name for kind, name in self.events if kind == "start"]


def run(
    tasks: Sequence[ToolTask],
    *,
    jobs: int = 5,
    fail_fast: bool = True,
    deps: bool = True,
    executor: ParallelExecutor | None = None,
) -> dict[str, Result]:
    executor = executor or ParallelExecutor(max_concurrency=jobs)
    method = executor.execute_with_dependencies if deps else executor.execute_parallel
    # A guard, not a measurement: a hang fails the test instead of the suite.
    return asyncio.run(asyncio.wait_for(method(tasks, fail_fast=fail_fast), 60))


def peak_overlap(intervals: Sequence[tuple[float, float]]) -> int:
    # Ends sort before starts at the same instant: touching is not overlapping.
    points = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    peak = current = 0
    for _, step in points:
        current += step
        peak = max(peak, current)
    return peak


def sh(script: str, timeout: float = 300) -> dict[str, Any]:
    return {"cmd": ["sh", "-c", script], "timeout": timeout}


# -- concurrency ---------------------------------------------------------------


@pytest.mark.parametrize("jobs", [1, 2, 5])
def test_concurrency_limit_in_process(jobs: int) -> None:
    rec = Recorder()
    results = run([rec.task(f"t{i}", 0.03) for i in range(12)], jobs=jobs)
    assert rec.peak == jobs
    assert {r["status"] for r in results.values()} == {"success"}
    assert {r["slot"] for r in results.values()} == set(range(jobs))


@pytest.mark.parametrize("jobs", [1, 2, 5])
def test_concurrency_limit_with_subprocesses(jobs: int) -> None:
    tasks = [
        ToolTask(name=f"s{i}", func=run_subprocess_async, kwargs={"cmd": ["sleep", "0.1"]})
        for i in range(7)
    ]
    results = run(tasks, jobs=jobs)
    assert {r["status"] for r in results.values()} == {"success"}
    assert peak_overlap([(r["start"], r["end"]) for r in results.values()]) == jobs
    for slot in range(jobs):
        # Tasks sharing a slot ran one after the other.
        spans = sorted((r["start"], r["end"]) for r in results.values() if r["slot"] == slot)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_independent_tasks_overlap() -> None:
    rec = Recorder()
    run([rec.task(n, 0.1) for n in "abc"])
    # Every task started before any ended.
    assert [kind for kind, _ in rec.events] == ["start"] * 3 + ["end"] * 3


def test_ready_queue_starts_a_dependent_before_an_unrelated_slow_task_ends() -> None:
    rec = Recorder()
    tasks = [rec.task("a", 0.02), rec.task("b", 0.4), rec.task("c", 0.02, depends_on=["a"])]
    results = run(tasks, jobs=2)
    assert rec.at("end", "a") < rec.at("start", "c") < rec.at("end", "b")
    assert results["c"]["end"] < results["b"]["end"]


def test_ready_tasks_order_tier_priority_duration_declaration() -> None:
    rec = Recorder()
    tasks = [
        rec.task("late-tier", 0, tier=1, priority=100, expected_duration=100),
        rec.task("short", 0, expected_duration=0.1),
        rec.task("unknown-1", 0),
        rec.task("urgent", 0, priority=5),
        rec.task("long", 0, expected_duration=2.0),
        rec.task("unknown-2", 0),
        rec.task("low", 0, priority=-1, expected_duration=50),
    ]
    run(tasks, jobs=1)
    assert rec.started() == [
        "urgent", "long", "short", "unknown-1", "unknown-2", "low", "late-tier",
    ]  # fmt: skip


def test_after_orders_without_requiring_success() -> None:
    rec = Recorder()
    tasks = [rec.task("first", 0.05, fail=True), rec.task("then", 0.01, after=["first"])]
    results = run(tasks, fail_fast=False)
    assert rec.at("end", "first") < rec.at("start", "then")
    assert (results["first"]["status"], results["then"]["status"]) == ("failed", "success")


def test_a_task_waits_for_all_its_dependencies() -> None:
    rec = Recorder()
    tasks = [
        rec.task("quick", 0.01),
        rec.task("slow", 0.1),
        rec.task("both", 0.01, depends_on=["quick"], after=["slow"]),
    ]
    run(tasks)
    assert rec.at("end", "quick") < rec.at("end", "slow") < rec.at("start", "both")


def test_execute_parallel_ignores_dependencies() -> None:
    rec = Recorder()
    tasks = [rec.task("a", 0.1), rec.task("b", 0.1, depends_on=["a", "not-a-task"])]
    results = run(tasks, deps=False)
    assert rec.at("start", "b") < rec.at("end", "a")
    assert {r["status"] for r in results.values()} == {"success"}


# -- failures --------------------------------------------------------------------


def test_fail_fast_kills_the_running_group_and_starts_nothing_new(
    tmp_path: Path, cleanup_pids: list[int]
) -> None:
    pidfile = tmp_path / "grandchild.pid"
    rec = Recorder()

    async def fail_once_started() -> Result:
        await wait_for_file(pidfile)
        return {"status": "failed", "error": "lint errors", "exit_code": 1}

    tasks = [
        ToolTask(name="long", func=run_subprocess_async,
                 kwargs=sh(f"sleep 1000 & echo $! > {pidfile}; wait")),
        ToolTask(name="bad", func=fail_once_started),
        rec.task("queued-1", 0.01),
        rec.task("queued-2", 0.01),
        rec.task("dependent", 0.01, depends_on=["bad"]),
    ]  # fmt: skip
    results = run(tasks, jobs=2)
    pid = read_pid(pidfile)
    cleanup_pids.append(pid)
    assert wait_gone(pid)
    assert rec.events == []
    assert results["bad"]["status"] == "failed"
    assert results["long"]["status"] == "cancelled"
    assert results["long"]["error"] == "fail-fast: bad failed"
    assert tasks[0].status is TaskStatus.CANCELLED
    assert tasks[1].status is TaskStatus.FAILED
    for name in ("queued-1", "queued-2", "dependent"):
        assert results[name]["status"] == "skipped"
        assert results[name]["error"] == "fail-fast: bad failed"
    assert tasks[2].status is TaskStatus.SKIPPED


def test_timeout_kills_a_child_that_ignores_sigterm(
    tmp_path: Path, cleanup_pids: list[int]
) -> None:
    pidfile = tmp_path / "pid"
    rec = Recorder()
    tasks = [
        ToolTask(name="stuck", func=run_subprocess_async,
                 kwargs={"cmd": ignoring_sigterm(pidfile)}, timeout=0.5),
        rec.task("other", 0.01),
    ]  # fmt: skip
    results = run(tasks, fail_fast=False)
    pid = read_pid(pidfile)
    cleanup_pids.append(pid)
    assert is_gone(pid)
    assert results["stuck"]["status"] == "timeout"
    assert results["stuck"]["error"] == "timed out after 0.5s"
    assert tasks[0].status is TaskStatus.FAILED
    assert results["other"]["status"] == "success"


def test_no_fail_fast_skips_dependents_transitively() -> None:
    rec = Recorder()
    tasks = [
        rec.task("bad", 0.05, fail=True),
        rec.task("child", depends_on=["bad"]),
        rec.task("grandchild", depends_on=["child"]),
        rec.task("orders-only", 0.01, after=["bad"]),
        rec.task("after-skipped", 0.01, after=["child"]),
        rec.task("free", 0.1),
        rec.task("free-dependent", 0.01, depends_on=["free"]),
    ]
    results = run(tasks, fail_fast=False)
    status = {name: r["status"] for name, r in results.items()}
    assert status == {
        "bad": "failed",
        "child": "skipped",
        "grandchild": "skipped",
        "orders-only": "success",
        "after-skipped": "success",
        "free": "success",
        "free-dependent": "success",
    }
    assert results["child"]["error"] == "dependency bad failed"
    assert results["grandchild"]["error"] == "dependency bad failed"
    assert "child" not in rec.started()
    assert "grandchild" not in rec.started()
    assert rec.at("end", "bad") < rec.at("start", "orders-only")
    assert tasks[1].status is TaskStatus.SKIPPED


def test_no_fail_fast_with_a_timed_out_dependency() -> None:
    rec = Recorder()
    tasks = [rec.task("slow", 10, timeout=0.05), rec.task("next", depends_on=["slow"])]
    results = run(tasks, fail_fast=False)
    assert results["slow"]["status"] == "timeout"
    assert results["next"]["status"] == "skipped"
    assert results["next"]["error"] == "dependency slow failed"


def test_exception_in_a_task_is_its_failure() -> None:
    rec = Recorder()

    async def broken() -> Result:
        await asyncio.sleep(0.01)
        raise RuntimeError("the tool exploded")

    def not_async() -> str:
        return "not awaitable"

    tasks = [
        ToolTask(name="broken", func=broken),
        ToolTask(name="sync", func=not_async),
        rec.task("fine", 0.05),
    ]
    results = run(tasks, fail_fast=False)
    assert results["broken"]["status"] == "failed"
    assert results["broken"]["error"] == "RuntimeError: the tool exploded"
    assert tasks[0].error == "RuntimeError: the tool exploded"
    # A plain function runs in a worker thread.
    assert (results["sync"]["status"], results["sync"]["output"]) == ("success", "not awaitable")
    assert results["fine"]["status"] == "success"


def test_simultaneous_failures_under_fail_fast() -> None:
    rec = Recorder()

    async def fail_now() -> Result:
        return {"exit_code": 1}

    tasks = [
        rec.task("running", 5),
        ToolTask(name="f1", func=fail_now),
        ToolTask(name="f2", func=fail_now),
        rec.task("queued", 0.01),
    ]
    results = run(tasks, jobs=3)
    assert (results["f1"]["status"], results["f2"]["status"]) == ("failed", "failed")
    assert results["running"]["status"] == "cancelled"
    # Either failure may be named first, but only one is.
    assert results["running"]["error"] in ("fail-fast: f1 failed", "fail-fast: f2 failed")
    assert results["queued"]["error"] == results["running"]["error"]


def test_exception_under_fail_fast_cancels_the_rest() -> None:
    rec = Recorder()

    async def broken() -> Result:
        raise ValueError("bad input")

    tasks = [rec.task("running", 5), ToolTask(name="broken", func=broken)]
    results = run(tasks)
    assert results["broken"]["error"] == "ValueError: bad input"
    assert results["running"]["status"] == "cancelled"
    assert rec.events == [("start", "running"), ("end", "running")]


# -- results and statistics -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {"status": "success", "output": "", "error": None, "exit_code": 0}),
        ("text", {"status": "success", "output": "text", "error": None, "exit_code": 0}),
        ({"exit_code": 2}, {"status": "failed", "output": "", "error": None, "exit_code": 2}),
        ({"exit_code": None}, {"status": "success", "output": "", "error": None,
                               "exit_code": None}),
        ({"status": "bogus", "output": "x"}, {"status": "failed", "output": "x",
                                              "error": "unknown status 'bogus'",
                                              "exit_code": None}),
        ({"status": "timeout"}, {"status": "timeout", "output": "", "error": None,
                                 "exit_code": None}),
    ],
)  # fmt: skip
def test_normalize_result(value: object, expected: Result) -> None:
    assert normalize_result(value) == expected


def test_results_and_task_fields() -> None:
    async def answer(value: int) -> Result:
        return {"output": f"got {value}", "extra": [value]}

    task = ToolTask(name="answer", func=answer, kwargs={"value": 7}, timeout=None)
    results = run([task])
    result = results["answer"]
    assert (result["status"], result["output"], result["error"], result["exit_code"]) == (
        "success", "got 7", None, 0)  # fmt: skip
    assert result["extra"] == [7]
    assert result["slot"] == 0
    assert 0 <= result["start"] <= result["end"]
    assert result["duration"] == task.duration
    assert task.status is TaskStatus.COMPLETED
    assert task.result is result
    assert task.error is None


def test_a_task_list_can_run_again() -> None:
    rec = Recorder()
    tasks = [rec.task("a", 0.01, fail=True)]
    run(tasks)
    assert tasks[0].status.value == "failed"
    tasks[0].func = rec.func("a", 0.01)
    run(tasks)
    assert tasks[0].status is TaskStatus.COMPLETED
    assert tasks[0].error is None


def test_statistics_add_up(caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder()
    executor = ParallelExecutor(max_concurrency=3, verbose=True)
    tasks = [
        rec.task("ok-1", 0.05),
        rec.task("ok-2", 0.08),
        rec.task("bad", 0.02, fail=True),
        rec.task("skipped", depends_on=["bad"]),
        rec.task("slow", 5, timeout=0.05),
    ]
    with caplog.at_level(logging.INFO, logger="hookrunner"):
        results = run(tasks, fail_fast=False, executor=executor)
    stats = executor.get_statistics()
    assert isinstance(stats, ExecutionStatistics)
    assert stats.total_tasks == 5
    assert sum(stats.counts.values()) == stats.total_tasks
    assert dict(stats.counts) == {"success": 2, "failed": 1, "timeout": 1, "cancelled": 0,
                                  "skipped": 1}  # fmt: skip
    assert set(stats.durations) == {"ok-1", "ok-2", "bad", "slow"}
    assert stats.task_time == pytest.approx(sum(r["duration"] for r in results.values()))
    assert stats.task_time == pytest.approx(sum(stats.durations.values()))
    assert stats.speedup == pytest.approx(stats.task_time / stats.wall_time)
    assert stats.as_dict()["counts"] == stats.counts
    messages = [r.getMessage() for r in caplog.records if r.name == "hookrunner"]
    assert messages[0].startswith("5 tasks (2 success, 1 failed, 1 timeout, 1 skipped) in ")
    assert "speedup" in messages[0]
    assert sorted(m.split(":")[0].strip() for m in messages[1:]) == ["bad", "ok-1", "ok-2", "slow"]


def test_statistics_before_and_after_an_empty_run(caplog: pytest.LogCaptureFixture) -> None:
    executor = ParallelExecutor(verbose=True)
    empty = executor.get_statistics()
    assert (empty.total_tasks, empty.task_time, empty.speedup) == (0, 0.0, 0.0)
    with caplog.at_level(logging.INFO, logger="hookrunner"):
        assert run([], executor=executor) == {}
    assert "0 tasks (none)" in caplog.records[0].getMessage()


def test_quiet_executor_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder()
    with caplog.at_level(logging.DEBUG, logger="hookrunner"):
        run([rec.task("a", 0.01)])
    assert caplog.records == []


def test_callbacks_see_every_start_and_finish() -> None:
    rec = Recorder()
    seen: list[tuple[str, str, int | None]] = []
    executor = ParallelExecutor(
        max_concurrency=2,
        on_start=lambda task, slot: seen.append(("start", task.name, slot)),
        on_finish=lambda task: seen.append(("finish", task.name, None)),
    )
    tasks = [rec.task("a", 0.05, fail=True), rec.task("b", 0.01, depends_on=["a"])]
    run(tasks, fail_fast=False, executor=executor)
    assert seen == [("start", "a", 0), ("finish", "a", None), ("finish", "b", None)]


# -- planning --------------------------------------------------------------------


def test_execution_plan_and_critical_path() -> None:
    rec = Recorder()
    tasks = [
        rec.task("fmt", expected_duration=0.2),
        rec.task("lint", depends_on=["fmt"], expected_duration=0.3),
        rec.task("types", after=["fmt"], expected_duration=0.5),
        rec.task("test", depends_on=["lint", "types"], expected_duration=1.0),
        rec.task("free"),
    ]
    executor = ParallelExecutor()
    assert executor.get_execution_plan(tasks) == [["fmt", "free"], ["lint", "types"], ["test"]]
    path, length = executor.get_critical_path(tasks)
    assert path == ["fmt", "types", "test"]
    assert length == pytest.approx(1.7)


def test_cycle_is_rejected_before_anything_runs() -> None:
    rec = Recorder()
    tasks = [rec.task("a", depends_on=["b"]), rec.task("b", after=["a"])]
    with pytest.raises(CircularDependencyError, match=r"a -> b -> a"):
        ParallelExecutor().get_execution_plan(tasks)
    with pytest.raises(ValueError, match=r"circular dependency: a -> b -> a"):
        run(tasks)
    assert rec.events == []


def test_unknown_dependency_is_rejected() -> None:
    rec = Recorder()
    with pytest.raises(MissingDependencyError, match="'a' depends on unknown task 'nope'"):
        run([rec.task("a", depends_on=["nope"])])


def test_duplicate_names_are_rejected() -> None:
    rec = Recorder()
    with pytest.raises(ValueError, match="duplicate task name: 'x'"):
        run([rec.task("x"), rec.task("y"), rec.task("x")])


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_concurrency must be at least 1, got 0"):
        ParallelExecutor(max_concurrency=0)


def test_defaults_follow_the_design_document() -> None:
    executor = ParallelExecutor()
    assert (executor.max_concurrency, executor.verbose) == (5, False)

    async def noop() -> None:
        pass

    task = ToolTask("n", noop)
    assert (task.kwargs, task.depends_on, task.priority, task.timeout) == ({}, [], 0, 300)
    assert (task.status, task.result, task.error, task.duration) == (
        TaskStatus.PENDING, None, None, None)  # fmt: skip
    assert {s.name for s in TaskStatus} >= {
        "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"}  # fmt: skip


# -- cancellation and signals -------------------------------------------------------


def test_cancelling_the_run_reaps_every_child(tmp_path: Path, cleanup_pids: list[int]) -> None:
    pidfile = tmp_path / "pid"
    rec = Recorder()
    tasks = [
        ToolTask(name="child", func=run_subprocess_async,
                 kwargs={"cmd": [PY, "-c", STUBBORN, str(pidfile)]}),
        rec.task("sleeper", 100),
        rec.task("queued", 0.01, depends_on=["sleeper"]),
    ]  # fmt: skip

    async def main() -> None:
        job = asyncio.ensure_future(ParallelExecutor().execute_with_dependencies(tasks))
        await wait_for_file(pidfile)
        cleanup_pids.append(read_pid(pidfile))
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        # The child was reaped before the cancellation reached us.
        with pytest.raises(ProcessLookupError):
            os.kill(read_pid(pidfile), 0)

    asyncio.run(main())
    assert [t.status for t in tasks] == [
        TaskStatus.CANCELLED, TaskStatus.CANCELLED, TaskStatus.SKIPPED]  # fmt: skip
    assert tasks[0].error == "interrupted"
    assert tasks[2].error == "interrupted"


def test_cancelled_again_while_stopping_still_waits_for_children(
    tmp_path: Path, cleanup_pids: list[int]
) -> None:
    pidfile = tmp_path / "pid"

    async def fail_once_started() -> Result:
        await wait_for_file(pidfile)
        return {"status": "failed"}

    tasks = [
        ToolTask(name="child", func=run_subprocess_async,
                 kwargs={"cmd": [PY, "-c", STUBBORN, str(pidfile)]}),
        ToolTask(name="bad", func=fail_once_started),
    ]  # fmt: skip

    async def main() -> None:
        job = asyncio.ensure_future(ParallelExecutor().execute_parallel(tasks))
        await wait_for_file(pidfile)
        cleanup_pids.append(read_pid(pidfile))
        # The child ignores SIGTERM: fail-fast is still stopping it when we cancel.
        await asyncio.sleep(0.2)
        assert not job.done()
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        with pytest.raises(ProcessLookupError):
            os.kill(read_pid(pidfile), 0)

    asyncio.run(main())
    assert tasks[0].status is TaskStatus.CANCELLED
    assert tasks[0].error == "fail-fast: bad failed"


@pytest.mark.parametrize(
    ("signum", "raised"),
    [(signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, SystemExit)],
)
def test_signal_in_process_cancels_and_raises(
    signum: int, raised: type[BaseException], tmp_path: Path, cleanup_pids: list[int]
) -> None:
    pidfile = tmp_path / "pid"
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    async def signal_once_started() -> Result:
        await wait_for_file(pidfile)
        os.kill(os.getpid(), signum)
        # A second signal while stopping changes nothing: the first one decides.
        os.kill(os.getpid(), signal.SIGTERM if signum == signal.SIGINT else signal.SIGINT)
        await asyncio.sleep(100)
        return {}

    tasks = [
        ToolTask(name="child", func=run_subprocess_async,
                 kwargs=sh(f"sleep 1000 & echo $! > {pidfile}; wait")),
        ToolTask(name="signaller", func=signal_once_started),
    ]  # fmt: skip
    with pytest.raises(raised) as e:
        asyncio.run(ParallelExecutor().execute_parallel(tasks))
    if raised is SystemExit:
        assert e.value.args == (143,)
    pid = read_pid(pidfile)
    cleanup_pids.append(pid)
    assert wait_gone(pid)
    assert [t.status for t in tasks] == [TaskStatus.CANCELLED, TaskStatus.CANCELLED]
    assert {s: signal.getsignal(s) for s in before} == before


def test_runs_outside_the_main_thread_without_touching_signals() -> None:
    rec = Recorder()
    results: dict[str, Result] = {}

    def worker() -> None:
        results.update(run([rec.task("a", 0.01), rec.task("b", 0.01)]))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(60)
    assert {r["status"] for r in results.values()} == {"success"}


SIGNAL_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from hookrunner import ParallelExecutor, ToolTask, run_subprocess_async

    async def main():
        task = ToolTask(
            name="long",
            func=run_subprocess_async,
            kwargs={"cmd": ["sh", "-c", "sleep 1000 & echo $! > " + sys.argv[1] + "; wait"]},
        )
        await ParallelExecutor().execute_parallel([task])

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(130)
    """
)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_to_a_program_using_the_executor(
    signum: int, code: int, tmp_path: Path, cleanup_pids: list[int]
) -> None:
    pidfile = tmp_path / "grandchild.pid"
    program = subprocess.Popen(
        [PY, "-c", SIGNAL_SCRIPT, str(pidfile)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        asyncio.run(asyncio.wait_for(wait_for_file(pidfile), 30))
        pid = read_pid(pidfile)
        cleanup_pids.append(pid)
        program.send_signal(signum)
        output, _ = program.communicate(timeout=30)
    finally:
        program.kill()
        program.wait()
    assert program.returncode == code, output.decode(errors="replace")
    assert b"Traceback" not in output
    assert wait_gone(pid)
