"""``optimistic_after`` and ``confirm`` in the Python API: early starts,
confirmed or dropped work, and what fail-fast, timeouts and slots do to them.

Order is read from an event log the tasks write, never from the clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from hookrunner import ParallelExecutor, TaskStatus, ToolTask
from hookrunner.engine.tasks import ResultStatus


class Log:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.flags: dict[str, asyncio.Event] = {}

    def flag(self, name: str) -> asyncio.Event:
        return self.flags.setdefault(name, asyncio.Event())

    def task(
        self, name: str, wait_for: str = "", fail: bool = False, forever: bool = False
    ) -> Callable[[], Any]:
        async def work() -> dict[str, Any]:
            self.events.append(f"{name} start")
            self.flag(f"{name} started").set()
            try:
                if wait_for:
                    await self.flag(wait_for).wait()
                if forever:
                    await asyncio.sleep(3600)
                await asyncio.sleep(0)
            except asyncio.CancelledError:
                self.events.append(f"{name} cancelled")
                raise
            self.events.append(f"{name} end")
            return {"exit_code": 1 if fail else 0}

        return work


def run(
    tasks: list[ToolTask],
    confirm: Callable[[ToolTask, ToolTask], bool] | None,
    jobs: int = 4,
    fail_fast: bool = True,
) -> dict[str, Any]:
    executor = ParallelExecutor(jobs, confirm=confirm)
    return asyncio.run(executor.execute_with_dependencies(tasks, fail_fast=fail_fast))


def test_early_work_that_still_holds_counts_once() -> None:
    log = Log()
    tasks = [
        # The formatter ends only once the lint task has started.
        ToolTask("fmt", log.task("fmt", wait_for="lint started"), tier=0),
        ToolTask("lint", log.task("lint"), optimistic_after=["fmt"], tier=1),
    ]
    results = run(tasks, confirm=lambda task, earlier: True)
    assert log.events == ["fmt start", "lint start", "lint end", "fmt end"]
    assert results["lint"]["status"] == "success"
    assert tasks[1].discarded == []


def test_early_work_that_no_longer_holds_runs_again_after() -> None:
    log = Log()
    asked: list[tuple[str, str]] = []

    def confirm(task: ToolTask, earlier: ToolTask) -> bool:
        asked.append((task.name, earlier.name))
        return False

    tasks = [
        ToolTask("fmt", log.task("fmt", wait_for="lint started")),
        ToolTask("lint", log.task("lint"), optimistic_after=["fmt"], tier=1),
    ]
    results = run(tasks, confirm)
    assert log.events == [
        "fmt start",
        "lint start",
        "lint end",
        "fmt end",
        "lint start",
        "lint end",
    ]
    assert asked == [("lint", "fmt")]
    assert results["lint"]["status"] == "success"
    [dropped] = tasks[1].discarded
    assert dropped.status is ResultStatus.CANCELLED
    assert dropped.error == "started before fmt changed files it reads"
    assert dropped.start is not None
    assert dropped.end is not None


def test_a_running_attempt_is_stopped_when_its_work_no_longer_holds() -> None:
    log = Log()
    tasks = [
        ToolTask("fmt", log.task("fmt", wait_for="lint started")),
        # Its first attempt would never end on its own.
        ToolTask("lint", log.task("lint", wait_for="fmt ended"), optimistic_after=["fmt"]),
        ToolTask("mark", log.task("mark"), after=["fmt"]),
    ]

    def confirm(task: ToolTask, earlier: ToolTask) -> bool:
        log.flag("fmt ended").set()  # the next attempt finds it set
        return False

    results = run(tasks, confirm)
    assert log.events[:4] == ["fmt start", "lint start", "fmt end", "lint cancelled"]
    assert sorted(log.events[4:]) == ["lint end", "lint start", "mark end", "mark start"]
    assert results["lint"]["status"] == "success"
    assert len(tasks[1].discarded) == 1


def test_without_confirm_the_edge_is_a_barrier() -> None:
    log = Log()
    tasks = [
        ToolTask("fmt", log.task("fmt")),
        ToolTask("lint", log.task("lint"), optimistic_after=["fmt"]),
    ]
    run(tasks, confirm=None)
    assert log.events == ["fmt start", "fmt end", "lint start", "lint end"]


def test_ready_tasks_take_slots_before_early_ones() -> None:
    log = Log()
    tasks = [
        ToolTask("fmt", log.task("fmt", wait_for="other started")),
        ToolTask("late", log.task("late"), optimistic_after=["fmt"], tier=2),
        ToolTask("other", log.task("other", wait_for="late started"), tier=1),
    ]
    # Two slots: fmt and other are ready, so late starts only when one frees.
    run(tasks, confirm=lambda task, earlier: True, jobs=2)
    assert log.events.index("late start") > log.events.index("fmt end")


def test_an_early_failure_waits_for_what_it_overlapped_then_stops_the_run() -> None:
    log = Log()
    tasks = [
        ToolTask("fmt", log.task("fmt", wait_for="lint started")),
        ToolTask("lint", log.task("lint", fail=True), optimistic_after=["fmt"]),
        ToolTask("test", log.task("test"), after=["lint"]),
    ]
    results = run(tasks, confirm=lambda task, earlier: True)
    assert results["lint"]["status"] == "failed"
    assert results["test"]["status"] == "skipped"
    assert log.events == ["fmt start", "lint start", "lint end", "fmt end"]


def test_fail_fast_drops_early_work_and_settles_it_as_never_run() -> None:
    log = Log()
    tasks = [
        ToolTask("fmt", log.task("fmt", wait_for="test started", fail=True)),
        ToolTask("test", log.task("test", forever=True), optimistic_after=["fmt"]),
    ]
    results = run(tasks, confirm=lambda task, earlier: True)
    assert results["fmt"]["status"] == "failed"
    assert results["test"]["status"] == "skipped"
    assert results["test"]["error"] == "fail-fast: fmt failed"
    assert tasks[1].status is TaskStatus.SKIPPED
    [dropped] = tasks[1].discarded
    assert dropped.error == "fail-fast: fmt failed"
    assert "test cancelled" in log.events


def test_without_fail_fast_early_work_counts_beside_a_failure() -> None:
    log = Log()
    tasks = [
        ToolTask("lint", log.task("lint", wait_for="test started", fail=True)),
        ToolTask("test", log.task("test"), optimistic_after=["lint"], tier=2),
    ]
    results = run(tasks, confirm=lambda task, earlier: True, fail_fast=False)
    assert results["lint"]["status"] == "failed"
    assert results["test"]["status"] == "success"
    assert log.events.count("test start") == 1


def test_the_first_attempts_timeout_does_not_stop_the_second() -> None:
    attempts: list[str] = []

    async def fmt() -> None:
        while not attempts:
            await asyncio.sleep(0.01)
        await asyncio.sleep(1.0)

    async def lint() -> None:
        attempts.append("start")
        if len(attempts) == 1:
            await asyncio.sleep(3600)  # dropped when fmt ends
        # Runs past the first attempt's deadline (2 s after it began),
        # well within its own.
        await asyncio.sleep(1.5)

    tasks = [
        ToolTask("fmt", fmt),
        ToolTask("lint", lint, optimistic_after=["fmt"], timeout=2.0),
    ]
    results = run(tasks, confirm=lambda task, earlier: False)
    assert results["lint"]["status"] == "success", results["lint"]
    assert attempts == ["start", "start"]


def test_a_confirm_that_raises_stops_the_run_and_is_raised() -> None:
    log = Log()
    tasks = [
        ToolTask("fmt", log.task("fmt", wait_for="lint started")),
        ToolTask("lint", log.task("lint", forever=True), optimistic_after=["fmt"]),
    ]

    def confirm(task: ToolTask, earlier: ToolTask) -> bool:
        raise RuntimeError("no answer")

    with pytest.raises(RuntimeError, match="no answer"):
        run(tasks, confirm)
    assert "lint cancelled" in log.events


def test_optimistic_after_is_checked() -> None:
    with pytest.raises(TypeError, match="optimistic_after"):
        ToolTask("x", lambda: None, optimistic_after="fmt")  # type: ignore[arg-type]


def test_an_early_attempt_gives_its_slot_to_a_ready_task_of_an_earlier_stage() -> None:
    log = Log()
    attempts: list[str] = []

    async def test() -> None:
        attempts.append("start")
        log.flag("test started").set()
        if len(attempts) == 1:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                log.events.append("test cancelled")
                raise

    tasks = [
        ToolTask("fmt", log.task("fmt", wait_for="lint-2 started")),
        ToolTask("gate", log.task("gate", wait_for="test started")),
        ToolTask("test", test, optimistic_after=["fmt"], tier=2),
        ToolTask("lint-1", log.task("lint-1"), after=["gate"], tier=1),
        ToolTask("lint-2", log.task("lint-2"), after=["gate"], tier=1),
    ]

    async def main() -> dict[str, Any]:
        executor = ParallelExecutor(3, confirm=lambda task, earlier: True)
        return await asyncio.wait_for(executor.execute_with_dependencies(tasks), 30)

    # Three slots: fmt, gate and the early test. When gate ends, two lint
    # tasks are ready and one slot is free: the test gives its slot up.
    results = asyncio.run(main())
    assert log.events.index("test cancelled") < log.events.index("lint-2 start")
    assert [o.error for o in tasks[2].discarded] == ["gave its slot to lint-2"]
    assert results["test"]["status"] == "success"
    assert attempts == ["start", "start"]


def test_a_slot_freed_by_another_run_lets_an_early_task_start() -> None:
    log = Log()
    executor = ParallelExecutor(2, confirm=lambda task, earlier: True)
    # Two slots, two runs: "first" holds one until "earlier" runs; "earlier"
    # holds the other until "late" has started early in the slot "first" frees.
    first = [ToolTask("first", log.task("first", wait_for="earlier started"))]
    second = [
        ToolTask("earlier", log.task("earlier", wait_for="late started")),
        ToolTask("late", log.task("late"), optimistic_after=["earlier"]),
    ]

    async def main() -> None:
        await asyncio.wait_for(
            asyncio.gather(
                executor.execute_with_dependencies(first),
                executor.execute_with_dependencies(second),
            ),
            30,
        )

    asyncio.run(main())
    assert log.events.index("first end") < log.events.index("late start")
    assert log.events.index("late start") < log.events.index("earlier end")
