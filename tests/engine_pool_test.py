"""Plain functions as tasks: a worker thread by default, a worker process on
request, with the executor's timeouts, cancellation, fail-fast and statistics."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest

from hookrunner import ParallelExecutor, TaskStatus, ToolTask
from hookrunner.engine.executor import Result
from tests.executor_test import run
from tests.proc_test import read_pid, wait_for_file, wait_gone

# Module level: a worker process imports this module to find them.


def square(n: int) -> int:
    return n * n


def whose_pid() -> dict[str, object]:
    return {"output": str(os.getpid())}


def refuses(reason: str) -> None:
    raise ValueError(reason)


def hangs(pidfile: str) -> None:
    Path(pidfile).write_text(str(os.getpid()))
    time.sleep(1000)


def test_a_plain_function_runs_off_the_event_loop() -> None:
    both_running = threading.Event()

    def blocking() -> str:
        # On the event loop thread this would wait forever: the coroutine
        # that sets the event could never run.
        return "ok" if both_running.wait(30) else "blocked"

    async def setter() -> None:
        await asyncio.sleep(0.01)
        both_running.set()

    results = run([ToolTask("blocking", blocking), ToolTask("setter", setter)])
    assert results["blocking"]["output"] == "ok"


def test_a_plain_function_in_a_worker_process() -> None:
    executor = ParallelExecutor()
    tasks = [
        ToolTask("square", square, kwargs={"n": 7}, pool="process"),
        ToolTask("pid", whose_pid, pool="process"),
        ToolTask("refuses", refuses, kwargs={"reason": "bad input"}, pool="process"),
    ]
    results = run(tasks, fail_fast=False, executor=executor)
    assert (results["square"]["status"], results["square"]["output"]) == ("success", 49)
    assert int(results["pid"]["output"]) != os.getpid()
    assert (results["refuses"]["status"], results["refuses"]["error"]) == (
        "failed", "ValueError: bad input")  # fmt: skip
    stats = executor.get_statistics()
    assert (stats.counts["success"], stats.counts["failed"]) == (2, 1)


def test_what_cannot_cross_the_process_boundary_fails_the_task() -> None:
    results = run([ToolTask("lambda", lambda: 1, pool="process")], fail_fast=False)
    assert results["lambda"]["status"] == "failed"
    # The same words on every Python version (3.13 names it AttributeError).
    assert results["lambda"]["error"].startswith(
        "TypeError: the task must pickle to run in a worker process: "
    )


def test_a_timeout_kills_the_worker_process(tmp_path: Path, cleanup_pids: list[int]) -> None:
    pidfile = tmp_path / "worker.pid"
    task = ToolTask("hangs", hangs, kwargs={"pidfile": str(pidfile)}, pool="process", timeout=3)
    results = run([task], fail_fast=False)
    assert results["hangs"]["status"] == "timeout"
    pid = read_pid(pidfile)
    cleanup_pids.append(pid)
    assert wait_gone(pid, within=0.5)


def test_fail_fast_kills_the_worker_process(tmp_path: Path, cleanup_pids: list[int]) -> None:
    pidfile = tmp_path / "worker.pid"

    async def fails_once_the_worker_runs() -> Result:
        await wait_for_file(pidfile)
        return {"status": "failed"}

    tasks = [
        ToolTask("hangs", hangs, kwargs={"pidfile": str(pidfile)}, pool="process"),
        ToolTask("fails", fails_once_the_worker_runs),
    ]
    results = run(tasks)
    assert results["hangs"]["status"] == "cancelled"
    assert tasks[0].status is TaskStatus.CANCELLED
    pid = read_pid(pidfile)
    cleanup_pids.append(pid)
    assert wait_gone(pid, within=0.5)


def test_process_pool_needs_a_plain_function() -> None:
    async def coro() -> None:
        return None

    with pytest.raises(ValueError, match="pool='process' needs a plain function"):
        ToolTask("c", coro, pool="process")
