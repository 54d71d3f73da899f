"""The Python API as a library user meets it: a task's own exceptions, fatal
exceptions, what depends_on requires, runs sharing one executor, arguments
checked where they are given, and what the package exports."""

from __future__ import annotations

import asyncio
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn

import pytest

import hookrunner
from hookrunner import (
    ExecutionStatistics,
    MissingDependencyError,
    Outcome,
    ParallelExecutor,
    ResultStatus,
    TaskStatus,
    ToolTask,
    format_code_async,
    run_subprocess_async,
)
from hookrunner.engine.executor import Result
from tests.executor_test import PY, Recorder, run
from tests.proc_test import read_pid, wait_for_file, wait_gone

# -- a task's own exceptions are that task's failure ----------------------------------


@pytest.mark.parametrize("timeout", [None, 300])
@pytest.mark.parametrize("error", [TimeoutError, asyncio.TimeoutError])
def test_a_tasks_own_timeout_error_is_its_failure(
    timeout: float | None, error: type[Exception]
) -> None:
    rec = Recorder()

    async def gives_up() -> Result:
        raise error("the server did not answer")

    tasks = [ToolTask("gives-up", gives_up, timeout=timeout), rec.task("sibling", 0.05)]
    results = run(tasks, fail_fast=False)
    assert results["gives-up"]["status"] == "failed"
    assert results["gives-up"]["error"] == f"{error.__name__}: the server did not answer"
    assert results["sibling"]["status"] == "success"
    assert [t.status for t in tasks] == [TaskStatus.FAILED, TaskStatus.COMPLETED]


def test_the_executor_timeout_is_still_a_timeout() -> None:
    rec = Recorder()
    results = run([rec.task("slow", 5, timeout=0.05)], fail_fast=False)
    assert (results["slow"]["status"], results["slow"]["error"]) == (
        "timeout", "timed out after 0.05s")  # fmt: skip


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("cannot print me")


def test_an_exception_that_cannot_be_printed_is_a_failure() -> None:
    rec = Recorder()

    async def broken() -> Result:
        raise Unprintable

    tasks = [ToolTask("broken", broken), rec.task("sibling", 0.05)]
    results = run(tasks, fail_fast=False)
    assert results["broken"]["status"] == "failed"
    assert results["broken"]["error"].startswith("Unprintable: ")
    assert results["sibling"]["status"] == "success"
    assert TaskStatus.RUNNING not in {t.status for t in tasks}


def test_an_on_start_callback_that_raises_fails_that_task() -> None:
    rec = Recorder()

    def on_start(task: ToolTask, slot: int) -> None:
        if task.name == "b":
            raise RuntimeError("display broke")

    executor = ParallelExecutor(2, on_start=on_start)
    tasks = [rec.task("a", 0.05), rec.task("b", 0.05), rec.task("c", 0.05)]
    results = run(tasks, fail_fast=False, executor=executor)
    assert {n: r["status"] for n, r in results.items()} == {
        "a": "success", "b": "failed", "c": "success"}  # fmt: skip
    assert results["b"]["error"] == "on_start: RuntimeError: display broke"
    assert rec.started() == ["a", "c"]
    assert TaskStatus.RUNNING not in {t.status for t in tasks}


def test_an_on_finish_callback_that_raises_stops_the_run_then_propagates() -> None:
    rec = Recorder()

    def on_finish(task: ToolTask) -> None:
        if task.name == "a":
            raise RuntimeError("display broke")

    executor = ParallelExecutor(2, on_finish=on_finish)
    tasks = [rec.task("a", 0.01), rec.task("long", 5), rec.task("later", 0.01)]
    with pytest.raises(RuntimeError, match="display broke"):
        run(tasks, fail_fast=False, executor=executor)
    assert [t.status for t in tasks] == [
        TaskStatus.COMPLETED, TaskStatus.CANCELLED, TaskStatus.SKIPPED]  # fmt: skip


# -- SystemExit and KeyboardInterrupt in a task -------------------------------------


@pytest.mark.parametrize("fatal", [SystemExit(3), KeyboardInterrupt()])
def test_a_fatal_exception_in_a_task_reaps_siblings_then_propagates(
    fatal: BaseException, tmp_path: Path, cleanup_pids: list[int]
) -> None:
    pidfile = tmp_path / "grandchild.pid"

    async def quits() -> NoReturn:
        await wait_for_file(pidfile)
        raise fatal

    script = f"sleep 153 & echo $! > {pidfile}; wait"
    tasks = [
        ToolTask("child", run_subprocess_async, kwargs={"cmd": ["sh", "-c", script]}),
        ToolTask("quits", quits),
    ]
    with pytest.raises(type(fatal)):
        asyncio.run(ParallelExecutor().execute_parallel(tasks, fail_fast=False))
    pid = read_pid(pidfile)
    cleanup_pids.append(pid)
    assert wait_gone(pid, within=0.5)
    assert [t.status for t in tasks] == [TaskStatus.CANCELLED, TaskStatus.FAILED]
    assert tasks[0].error == f"stopped: quits raised {type(fatal).__name__}"


# -- depends_on needs success ----------------------------------------------------


@pytest.mark.parametrize("ending", ["cancelled", "skipped", "timeout", "raise-cancelled"])
def test_a_dependency_that_did_not_succeed_skips_its_dependents(ending: str) -> None:
    rec = Recorder()

    async def build() -> Result:
        if ending == "raise-cancelled":
            raise asyncio.CancelledError
        if ending == "timeout":
            await asyncio.sleep(5)
        return {"status": ending}

    tasks = [
        ToolTask("build", build, timeout=0.05 if ending == "timeout" else 300),
        rec.task("deploy", 0.01, depends_on=["build"]),
        rec.task("announce", 0.01, depends_on=["deploy"]),
        rec.task("cleanup", 0.01, after=["build"]),
    ]
    results = run(tasks, fail_fast=False)
    assert results["deploy"]["status"] == "skipped"
    assert results["announce"]["status"] == "skipped"
    assert results["cleanup"]["status"] == "success"
    assert rec.started() == ["cleanup"]


# -- runs on one executor share its slots, and its statistics -------------------------


def test_concurrent_runs_share_max_concurrency() -> None:
    rec = Recorder()
    executor = ParallelExecutor(max_concurrency=2)

    async def both() -> tuple[dict[str, Result], dict[str, Result]]:
        return await asyncio.gather(
            executor.execute_parallel([rec.task(f"a{i}", 0.03) for i in range(4)]),
            executor.execute_parallel([rec.task(f"b{i}", 0.03) for i in range(4)]),
        )

    first, second = asyncio.run(both())
    assert rec.peak == 2
    assert {r["slot"] for r in [*first.values(), *second.values()]} == {0, 1}
    stats = executor.get_statistics()
    assert stats.total_tasks == 8
    assert stats.counts["success"] == 8


# -- arguments are checked where they are given --------------------------------------


async def _noop() -> None:
    return None


@pytest.mark.parametrize(
    ("value", "error"),
    [({"status": "error"}, "unknown status 'error'"),
     ({"status": "error", "error": "disk full"}, "unknown status 'error': disk full")],
)  # fmt: skip
def test_an_unknown_status_is_a_failure_with_the_reason(value: Result, error: str) -> None:
    async def odd() -> Result:
        return value

    results = run([ToolTask("odd", odd)], fail_fast=False)
    assert (results["odd"]["status"], results["odd"]["error"]) == ("failed", error)


@pytest.mark.parametrize("timeout", [0, -1, math.nan])
def test_a_timeout_must_be_positive(timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout must be a positive number or None"):
        ToolTask("t", _noop, timeout=timeout)
    with pytest.raises(ValueError, match="timeout must be a positive number or None"):
        asyncio.run(run_subprocess_async(["true"], timeout=timeout))


def test_other_arguments_are_checked_at_once() -> None:
    with pytest.raises(TypeError, match="timeout must be a positive number or None"):
        ToolTask("t", _noop, timeout="10")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"max_concurrency must be an int, got 2\.5"):
        ParallelExecutor(max_concurrency=2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="depends_on must be a list of task names"):
        ToolTask("t", _noop, depends_on="format_code")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="func must be callable"):
        ToolTask("t", "not a function")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pool must be 'thread' or 'process'"):
        ToolTask("t", _noop, pool="gpu")


def test_duplicates_and_cycles_are_reported_linearly() -> None:
    # 50,000 tasks: a duplicate at the end and a cycle through all of them
    # are found in one pass each (a guard, not a timing: quadratic work here
    # would take minutes).
    many = [ToolTask(f"t{i}", _noop, depends_on=[f"t{i - 1}"] if i else []) for i in range(50_000)]
    with pytest.raises(ValueError, match="duplicate task name: 't0'"):
        ParallelExecutor().get_execution_plan([*many, ToolTask("t0", _noop)])
    many[0].depends_on = ["t49999"]
    with pytest.raises(hookrunner.CircularDependencyError) as e:
        ParallelExecutor().get_execution_plan(many)
    assert len(e.value.cycle) == 50_001
    assert str(e.value) == (
        "circular dependency: t0 -> t49999 -> t49998 -> t49997 -> t49996 -> t49995 -> "
        "t49994 -> t49993 -> t49992 -> t49991 -> ... (49,990 more) -> t0"
    )


# -- what the package exports -----------------------------------------------------------


def test_every_raised_exception_is_exported() -> None:
    assert "MissingDependencyError" in hookrunner.__all__
    with pytest.raises(MissingDependencyError):
        run([ToolTask("a", _noop, depends_on=["nope"])])


def test_statistics_are_a_record_not_half_a_mapping() -> None:
    executor = ParallelExecutor()
    run([ToolTask("a", _noop)], executor=executor)
    stats = executor.get_statistics()
    assert isinstance(stats, ExecutionStatistics)
    assert not hasattr(stats, "__getitem__")
    assert stats.as_dict()["counts"]["success"] == 1


def test_outcome_is_the_record_behind_the_result() -> None:
    task = ToolTask("a", _noop)
    results = run([task])
    assert isinstance(task.outcome, Outcome)
    assert task.outcome.status is ResultStatus.SUCCESS
    assert results["a"] == task.outcome.as_result()


def test_a_misspelled_import_fails_mypy(tmp_path: Path) -> None:
    source = tmp_path / "user.py"
    source.write_text(
        "from hookrunner import ParallelExecuter\n"
        "from hookrunner import ParallelExecutor, MissingDependencyError\n"
    )
    out = subprocess.run(
        [PY, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, str(source)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(Path(hookrunner.__file__).parent.parent)},
    )
    assert out.returncode == 1, out.stdout
    assert 'Module "hookrunner" has no attribute "ParallelExecuter"' in out.stdout
    assert out.stdout.count("error:") == 1


def test_format_code_with_no_paths_formats_nothing(tmp_path: Path) -> None:
    ugly = tmp_path / "ugly.py"
    ugly.write_text("x=1\n")
    bindir = os.path.dirname(sys.executable)
    result = asyncio.run(format_code_async(tmp_path, formatter=f"{bindir}/ruff", paths=[]))
    assert result["status"] == "success"
    assert ugly.read_text() == "x=1\n"


@pytest.mark.parametrize("formatter", ["", "   "])
def test_an_empty_formatter_is_rejected(formatter: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="formatter must name a command"):
        asyncio.run(format_code_async(tmp_path, formatter=formatter))


def test_any_value_of_a_plain_function(tmp_path: Path) -> None:
    def add(a: int, b: int) -> dict[str, Any]:
        return {"output": str(a + b)}

    results = run([ToolTask("add", add, kwargs={"a": 2, "b": 3})])
    assert results["add"]["output"] == "5"


def test_a_nested_run_on_the_same_executor_uses_its_callers_slot() -> None:
    rec = Recorder()
    executor = ParallelExecutor(max_concurrency=1)

    async def outer() -> Result:
        inner = await executor.execute_parallel([rec.task("i1", 0.01), rec.task("i2", 0.01)])
        return {"output": ",".join(r["status"] for r in inner.values())}

    results = run([ToolTask("outer", outer)], executor=executor)
    assert results["outer"]["output"] == "success,success"
    assert rec.peak == 1
