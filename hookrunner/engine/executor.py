"""The parallel executor: a ready queue over a task graph.

A task starts as soon as everything it waits for is done and a slot is free.
Among ready tasks the lower ``tier`` goes first, then the higher
``priority``, then the longer ``expected_duration``, then declaration order.

``depends_on`` edges need the dependency to succeed; ``after`` edges only
order (the task runs after the other finishes, whatever its outcome).
``optimistic_after`` edges order too, but given a ``confirm`` callback the
task may start early, on a slot no ready task wants; once each such earlier
task ends, ``confirm(task, earlier)`` says whether the early work still
counts. If not, the attempt is stopped or dropped (kept in the task's
``discarded``) and the task runs again; a result counts only once every task
it waits for has ended.

Under fail-fast the first failure cancels every running task and nothing
new starts. Cancellation, a timeout, Ctrl-C and SIGTERM all end the same way:
each task's child processes are stopped and reaped before we return or raise.

A task ends with one :class:`~hookrunner.engine.tasks.Outcome`; the result dicts
are made from it where a run hands results out (``ToolTask.result``).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Sequence

from hookrunner.engine import graph
from hookrunner.engine.run import Run, inside
from hookrunner.engine.tasks import (
    ExecutionStatistics,
    Outcome,
    Result,
    ResultStatus,
    TaskStatus,
    ToolTask,
)

__all__ = [
    "ExecutionStatistics",
    "Outcome",
    "ParallelExecutor",
    "Result",
    "ResultStatus",
    "TaskStatus",
    "ToolTask",
]


class ParallelExecutor:
    """Runs :class:`ToolTask` objects concurrently, at most ``max_concurrency`` at
    once, across every run of this executor."""

    def __init__(
        self,
        max_concurrency: int = 5,
        verbose: bool = False,
        *,
        on_start: Callable[[ToolTask, int], None] | None = None,
        on_finish: Callable[[ToolTask], None] | None = None,
        confirm: Callable[[ToolTask, ToolTask], bool] | None = None,
    ) -> None:
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):
            raise TypeError(f"max_concurrency must be an int, got {max_concurrency!r}")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        self.max_concurrency = max_concurrency
        self.verbose = verbose
        self.on_start = on_start
        self.on_finish = on_finish
        self.confirm = confirm
        self.origin: float | None = None
        """A ``time.perf_counter()`` value the next run's clock starts from, when
        some of its work began before the run did (a result's ``began``)."""
        self._tasks: list[ToolTask] = []
        self._wall_time = 0.0
        self._group_started = 0.0
        self._runs: list[Run] = []
        self._free: list[int] = []
        self._next_slot = 0

    # -- planning -----------------------------------------------------------

    @staticmethod
    def _graph(tasks: Sequence[ToolTask], with_dependencies: bool = True) -> dict[str, list[str]]:
        if not with_dependencies:
            return graph.build((t.name, ()) for t in tasks)
        return graph.build((t.name, (*t.depends_on, *t.after, *t.optimistic_after)) for t in tasks)

    def get_execution_plan(self, tasks: Sequence[ToolTask]) -> list[list[str]]:
        """The dependency levels: each level depends only on earlier ones."""
        return graph.levels(self._graph(tasks))

    def get_critical_path(self, tasks: Sequence[ToolTask]) -> tuple[list[str], float]:
        """The longest chain by ``expected_duration`` (the wall-time lower bound)."""
        durations = {t.name: t.expected_duration or 0.0 for t in tasks}
        return graph.critical_path(self._graph(tasks), durations)

    # -- slots, shared by concurrent runs -------------------------------------

    def _take_slot(self) -> int | None:
        if self._free:
            return heapq.heappop(self._free)
        if self._next_slot < self.max_concurrency:
            self._next_slot += 1
            return self._next_slot - 1
        return None

    def _give_slot(self, slot: int) -> None:
        heapq.heappush(self._free, slot)
        for run in self._runs:
            if run.ready or run.queued_early:
                run.wake_up()

    # -- running ------------------------------------------------------------

    async def execute_parallel(
        self, tasks: Sequence[ToolTask], fail_fast: bool = True
    ) -> dict[str, Result]:
        """Run the tasks as independent of each other (``depends_on`` is not read)."""
        return await self._execute(tasks, fail_fast, with_dependencies=False)

    async def execute_with_dependencies(
        self, tasks: Sequence[ToolTask], fail_fast: bool = True
    ) -> dict[str, Result]:
        """Run the tasks, each after what it depends on."""
        return await self._execute(tasks, fail_fast, with_dependencies=True)

    async def _execute(
        self, tasks: Sequence[ToolTask], fail_fast: bool, with_dependencies: bool
    ) -> dict[str, Result]:
        tasks = list(tasks)
        edges = self._graph(tasks, with_dependencies)
        if with_dependencies:
            graph.validate(edges)
        for task in tasks:
            task.status, task.result, task.error, task.duration, task.outcome = (
                TaskStatus.PENDING, None, None, None, None)  # fmt: skip
            task.discarded = []
        started = time.perf_counter()
        if self.origin is not None and not self._runs:
            started, self.origin = min(started, self.origin), None
        if not self._runs:
            self._tasks, self._group_started = [], started
        self._tasks.extend(tasks)
        run = Run(self, tasks, edges, fail_fast, with_dependencies, started)
        self._runs.append(run)
        try:
            await run.guarded(nested=inside.get() is not None)
        finally:
            self._runs.remove(run)
            self._wall_time = time.perf_counter() - self._group_started
        if self.verbose:
            self._log_statistics()
        return {t.name: t.result or {} for t in tasks}

    # -- statistics ---------------------------------------------------------

    def get_statistics(self) -> ExecutionStatistics:
        return ExecutionStatistics.of(self._tasks, self._wall_time)

    def _log_statistics(self) -> None:
        self.get_statistics().log()
