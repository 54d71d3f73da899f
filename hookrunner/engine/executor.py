"""The parallel executor: a ready queue over a task graph.

A task starts as soon as everything it waits for is done and a slot is free.
Among ready tasks the lower ``tier`` goes first, then the higher
``priority``, then the longer ``expected_duration``, then declaration order.

``depends_on`` edges need the dependency to succeed; ``after`` edges only
order (the task runs after the other finishes, whatever its outcome).

Under fail-fast the first failure cancels every running task and nothing
new starts. Cancellation, a timeout, Ctrl-C and SIGTERM all end the same way:
each task's child processes are stopped and reaped before we return or raise.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import heapq
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from hookrunner.engine import graph

Result = dict[str, Any]
TaskFunc = Callable[..., Awaitable[Any]]

RESULT_STATUSES = ("success", "failed", "timeout", "cancelled", "skipped")


class TaskStatus(Enum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


_STATUS_OF_RESULT = {
    "success": TaskStatus.COMPLETED,
    "failed": TaskStatus.FAILED,
    "timeout": TaskStatus.FAILED,
    "cancelled": TaskStatus.CANCELLED,
    "skipped": TaskStatus.SKIPPED,
}


@dataclass(eq=False)
class ToolTask:
    """One unit of work: ``await func(**kwargs)`` returning a result mapping."""

    name: str
    func: TaskFunc
    kwargs: dict[str, Any] = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)
    priority: int = 0
    timeout: float | None = 300
    after: list[str] = field(default_factory=list)
    tier: int = 0
    expected_duration: float | None = None

    status: TaskStatus = TaskStatus.PENDING
    result: Result | None = None
    error: str | None = None
    duration: float | None = None


@dataclass(frozen=True)
class ExecutionStatistics:
    """What the last run did. Also readable as a mapping (``stats["speedup"]``)."""

    total_tasks: int
    counts: Mapping[str, int]
    wall_time: float
    task_time: float
    speedup: float
    durations: Mapping[str, float]

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def normalize_result(value: Any) -> Result:
    """Turn what a task function returned into a result mapping.

    A mapping keeps its keys; without ``status`` it succeeds unless it carries
    a non-zero ``exit_code``. Anything else is the output of a success.
    """
    if isinstance(value, Mapping):
        result = dict(value)
        if result.get("status") not in RESULT_STATUSES:
            code = result.get("exit_code", 0)
            result["status"] = "success" if code in (0, None) else "failed"
    else:
        result = {"status": "success", "output": "" if value is None else value}
    result.setdefault("output", "")
    result.setdefault("error", None)
    result.setdefault("exit_code", 0 if result["status"] == "success" else None)
    return result


def _result(status: str, error: str | None = None, **extra: Any) -> Result:
    return {"status": status, "output": "", "error": error, "exit_code": None,
            "duration": 0.0, **extra}  # fmt: skip


class ParallelExecutor:
    """Runs :class:`ToolTask` objects concurrently, at most ``max_concurrency`` at once."""

    def __init__(
        self,
        max_concurrency: int = 5,
        verbose: bool = False,
        *,
        on_start: Callable[[ToolTask, int], None] | None = None,
        on_finish: Callable[[ToolTask], None] | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        self.max_concurrency = max_concurrency
        self.verbose = verbose
        self.on_start = on_start
        self.on_finish = on_finish
        self._tasks: list[ToolTask] = []
        self._wall_time = 0.0
        self._signal: int | None = None

    # -- planning -----------------------------------------------------------

    @staticmethod
    def _graph(tasks: Sequence[ToolTask], with_dependencies: bool = True) -> dict[str, list[str]]:
        names = [t.name for t in tasks]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise ValueError(f"duplicate task name: {dup!r}")
        if not with_dependencies:
            return {t.name: [] for t in tasks}
        return {t.name: list(dict.fromkeys([*t.depends_on, *t.after])) for t in tasks}

    def get_execution_plan(self, tasks: Sequence[ToolTask]) -> list[list[str]]:
        """The dependency levels: each level depends only on earlier ones."""
        return graph.levels(self._graph(tasks))

    def get_critical_path(self, tasks: Sequence[ToolTask]) -> tuple[list[str], float]:
        """The longest chain by ``expected_duration`` (the wall-time lower bound)."""
        durations = {t.name: t.expected_duration or 0.0 for t in tasks}
        return graph.critical_path(self._graph(tasks), durations)

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
        edges = self._graph(tasks, with_dependencies)
        graph.validate(edges)
        self._tasks = list(tasks)
        for task in tasks:
            task.status, task.result, task.error, task.duration = (
                TaskStatus.PENDING, None, None, None)  # fmt: skip
        self._signal = None
        started = time.perf_counter()
        try:
            with self._signals_cancel():
                await _Run(self, tasks, edges, fail_fast, with_dependencies, started).run()
        except asyncio.CancelledError:
            if self._signal is None:
                raise
        finally:
            self._wall_time = time.perf_counter() - started
        if self._signal == signal.SIGINT:
            raise KeyboardInterrupt
        if self._signal is not None:
            raise SystemExit(128 + self._signal)
        if self.verbose:
            self._log_statistics()
        return {t.name: t.result or _result("skipped") for t in tasks}

    @contextlib.contextmanager
    def _signals_cancel(self) -> Iterator[None]:
        """While running in the main thread, turn SIGINT and SIGTERM into a
        cancellation of the run, so every child is stopped and reaped first."""
        loop = asyncio.get_running_loop()
        current = asyncio.current_task()
        if current is None or threading.current_thread() is not threading.main_thread():
            yield
            return
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        active = True

        def handler(signum: int) -> None:
            # A signal that lands after the run ended must not cancel the caller.
            if active and self._signal is None:
                self._signal = signum
                current.cancel()

        for sig in saved:
            loop.add_signal_handler(sig, handler, sig)
        try:
            yield
        finally:
            active = False
            for sig, previous in saved.items():
                loop.remove_signal_handler(sig)
                # None: a handler installed outside Python, which we cannot put back.
                if previous is not None:
                    signal.signal(sig, previous)

    # -- statistics ---------------------------------------------------------

    def get_statistics(self) -> ExecutionStatistics:
        counts = dict.fromkeys(RESULT_STATUSES, 0)
        durations: dict[str, float] = {}
        for task in self._tasks:
            status = (task.result or {}).get("status", "skipped")
            counts[status] = counts.get(status, 0) + 1
            if task.duration is not None:
                durations[task.name] = task.duration
        task_time = sum(durations.values())
        wall = self._wall_time
        return ExecutionStatistics(
            total_tasks=len(self._tasks),
            counts=counts,
            wall_time=wall,
            task_time=task_time,
            speedup=task_time / wall if wall > 0 else 0.0,
            durations=durations,
        )

    def _log_statistics(self) -> None:
        # logging is imported only when asked for: a hook pays for every import.
        import logging

        logger = logging.getLogger("hookrunner")
        stats = self.get_statistics()
        counts = ", ".join(f"{n} {s}" for s, n in stats.counts.items() if n)
        logger.info(
            "%d tasks (%s) in %.3fs; task time %.3fs; speedup %.2fx",
            stats.total_tasks, counts or "none", stats.wall_time, stats.task_time,
            stats.speedup,
        )  # fmt: skip
        for name, duration in stats.durations.items():
            logger.info("  %s: %.3fs", name, duration)


class _Run:
    """The state of one execution: the ready heap, free slots, running tasks."""

    def __init__(
        self,
        executor: ParallelExecutor,
        tasks: Sequence[ToolTask],
        edges: dict[str, list[str]],
        fail_fast: bool,
        with_dependencies: bool,
        started: float,
    ) -> None:
        self.executor = executor
        self.tasks = {t.name: t for t in tasks}
        self.index = {t.name: i for i, t in enumerate(tasks)}
        self.fail_fast = fail_fast
        self.started = started
        self.waiting = {name: set(deps) for name, deps in edges.items()}
        self.waiters = graph.dependents(edges)
        self.hard = (
            graph.dependents({t.name: t.depends_on for t in tasks}) if with_dependencies else {}
        )
        self.ready: list[tuple[int, int, float, int, str]] = []
        # More slots than tasks are never used; a huge limit (`jobs` or `-j`
        # are only bounded below) must not become a huge list.
        self.free = list(range(min(executor.max_concurrency, len(tasks))))
        self.running: dict[asyncio.Task[None], ToolTask] = {}
        self.stopped_by: str | None = None
        for name, deps in self.waiting.items():
            if not deps:
                self._push(name)

    def _push(self, name: str) -> None:
        task = self.tasks[name]
        key = (task.tier, -task.priority, -(task.expected_duration or 0.0), self.index[name])
        heapq.heappush(self.ready, (*key, name))

    async def run(self) -> None:
        try:
            while True:
                self._start_ready()
                if not self.running or self.stopped_by is not None:
                    break
                done, _ = await asyncio.wait(self.running, return_when=asyncio.FIRST_COMPLETED)
                # Declaration order: with two failures at once, fail-fast
                # names the same one on every run.
                for finished in sorted(done, key=lambda job: self.index[self.running[job].name]):
                    self._finished(self.running.pop(finished))
        finally:
            await self._cancel_running()
            self._settle_unstarted()

    def _start_ready(self) -> None:
        while self.ready and self.free and self.stopped_by is None:
            name = heapq.heappop(self.ready)[-1]
            slot = heapq.heappop(self.free)
            task = self.tasks[name]
            task.status = TaskStatus.RUNNING
            if self.executor.on_start is not None:
                self.executor.on_start(task, slot)
            job = asyncio.ensure_future(self._run_one(task, slot))
            self.running[job] = task

    async def _run_one(self, task: ToolTask, slot: int) -> None:
        begin = time.perf_counter()
        try:
            awaitable = task.func(**task.kwargs)
            if task.timeout:
                value = await asyncio.wait_for(awaitable, task.timeout)
            else:
                value = await awaitable
            result = normalize_result(value)
        except asyncio.TimeoutError:
            result = _result("timeout", f"timed out after {task.timeout:g}s")
        except asyncio.CancelledError:
            result = _result("cancelled", self._cancel_reason())
        except Exception as exc:
            result = _result("failed", f"{type(exc).__name__}: {exc}")
        end = time.perf_counter()
        task.duration = end - begin
        result.update(
            duration=task.duration,
            start=begin - self.started,
            end=end - self.started,
            slot=slot,
        )
        task.result = result
        task.error = result.get("error") if result["status"] != "success" else None
        task.status = _STATUS_OF_RESULT[result["status"]]
        heapq.heappush(self.free, slot)

    def _cancel_reason(self) -> str:
        return f"fail-fast: {self.stopped_by} failed" if self.stopped_by else "interrupted"

    def _finished(self, task: ToolTask) -> None:
        assert task.result is not None
        status = task.result["status"]
        if self.executor.on_finish is not None:
            self.executor.on_finish(task)
        if status in ("failed", "timeout"):
            if self.fail_fast:
                if self.stopped_by is None:
                    self.stopped_by = task.name
                return
            skipped = [
                name
                for name in graph.closure([task.name], self.hard)
                if self.tasks[name].result is None
            ]
            for name in skipped:
                self.waiting.pop(name, None)
                self._settle(self.tasks[name], _result("skipped", f"dependency {task.name} failed"))
            for name in skipped:
                self._release(name)
        self._release(task.name)

    def _release(self, name: str) -> None:
        """``name`` is over: whoever waits only for it becomes ready."""
        for waiter in self.waiters[name]:
            deps = self.waiting.get(waiter)
            if deps is None:
                continue
            deps.discard(name)
            if not deps:
                self._push(waiter)

    def _settle(self, task: ToolTask, result: Result) -> None:
        task.result = result
        task.error = result["error"]
        task.status = _STATUS_OF_RESULT[result["status"]]
        if self.executor.on_finish is not None:
            self.executor.on_finish(task)

    async def _cancel_running(self) -> None:
        """Cancel whatever runs and wait for all of it, even if cancelled again."""
        if not self.running:
            return
        for job in self.running:
            job.cancel()
        pending = set(self.running)
        cancelled_again = False
        while pending:
            try:
                await asyncio.wait(pending)
            except asyncio.CancelledError:
                cancelled_again = True
            pending = {job for job in pending if not job.done()}
        for job, task in list(self.running.items()):
            del self.running[job]
            self._finished(task)
        if cancelled_again:
            raise asyncio.CancelledError

    def _settle_unstarted(self) -> None:
        reason = f"fail-fast: {self.stopped_by} failed" if self.stopped_by else "interrupted"
        for task in self.tasks.values():
            if task.result is None:
                self._settle(task, _result("skipped", reason))
