"""The parallel executor: a ready queue over a task graph.

A task starts as soon as everything it waits for is done and a slot is free.
Among ready tasks the lower ``tier`` goes first, then the higher
``priority``, then the longer ``expected_duration``, then declaration order.

``depends_on`` edges need the dependency to succeed; ``after`` edges only
order (the task runs after the other finishes, whatever its outcome).

Under fail-fast the first failure cancels every running task and nothing
new starts. Cancellation, a timeout, Ctrl-C and SIGTERM all end the same way:
each task's child processes are stopped and reaped before we return or raise.

A task ends with one :class:`~hookrunner.engine.tasks.Outcome`; the result dicts
are made from it where a run hands results out (``ToolTask.result``).
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import signal
import time
from collections.abc import Callable, Sequence
from inspect import CO_COROUTINE

from hookrunner.engine import graph, signals
from hookrunner.engine.process import call
from hookrunner.engine.tasks import (
    ExecutionStatistics,
    Outcome,
    Result,
    ResultStatus,
    TaskStatus,
    ToolTask,
    describe,
    outcome_of,
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

# (executor, slot) inside a run's task: a run started there is nested (its outer
# run owns the signals and cancels it) and, on the same executor, may use the
# slot of the task waiting for it, so that shared slots never deadlock.
_inside: contextvars.ContextVar[tuple[ParallelExecutor, int] | None] = contextvars.ContextVar(
    "inside", default=None
)


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
    ) -> None:
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):
            raise TypeError(f"max_concurrency must be an int, got {max_concurrency!r}")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        self.max_concurrency = max_concurrency
        self.verbose = verbose
        self.on_start = on_start
        self.on_finish = on_finish
        self._tasks: list[ToolTask] = []
        self._wall_time = 0.0
        self._group_started = 0.0
        self._runs: list[_Run] = []
        self._free: list[int] = []
        self._next_slot = 0

    # -- planning -----------------------------------------------------------

    @staticmethod
    def _graph(tasks: Sequence[ToolTask], with_dependencies: bool = True) -> dict[str, list[str]]:
        if not with_dependencies:
            return graph.build((t.name, ()) for t in tasks)
        return graph.build((t.name, (*t.depends_on, *t.after)) for t in tasks)

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
            if run.ready:
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
        started = time.perf_counter()
        if not self._runs:
            self._tasks, self._group_started = [], started
        self._tasks.extend(tasks)
        run = _Run(self, tasks, edges, fail_fast, with_dependencies, started)
        self._runs.append(run)
        try:
            await run.guarded(nested=_inside.get() is not None)
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


class _Run:
    """The state of one execution: the ready heap, running jobs, finished ones."""

    def __init__(
        self,
        executor: ParallelExecutor,
        tasks: list[ToolTask],
        edges: dict[str, list[str]],
        fail_fast: bool,
        with_dependencies: bool,
        started: float,
    ) -> None:
        self.executor = executor
        self.loop = asyncio.get_running_loop()
        self.tasks = {t.name: t for t in tasks}
        self.index = {t.name: i for i, t in enumerate(tasks)}
        self.fail_fast = fail_fast
        self.started = started
        self.waiting = {name: len(deps) for name, deps in edges.items()}
        self.waiters = graph.dependents(edges) if with_dependencies else {}
        self.hard = (
            graph.dependents({t.name: list(dict.fromkeys(t.depends_on)) for t in tasks})
            if with_dependencies
            else {}
        )
        self.ready: list[tuple[int, int, float, int, str]] = []
        self.running: dict[str, asyncio.Task[None]] = {}
        self.finished: list[ToolTask] = []
        self.expired: set[str] = set()
        self.deadlines: list[tuple[float, int, str]] = []
        self.timer: asyncio.TimerHandle | None = None
        self.wake: asyncio.Future[None] | None = None
        self.stopped_by: str | None = None
        self.stopping = False
        self.fatal: BaseException | None = None
        self.fatal_in: str | None = None
        self.signal: int | None = None
        inside = _inside.get()
        self.lent = inside[1] if inside is not None and inside[0] is executor else None
        self.lent_used = False
        self.ready = [self._key(name) for name, count in self.waiting.items() if not count]
        heapq.heapify(self.ready)

    def _key(self, name: str) -> tuple[int, int, float, int, str]:
        task = self.tasks[name]
        return (task.tier, -task.priority, -(task.expected_duration or 0.0), self.index[name], name)

    def _push(self, name: str) -> None:
        heapq.heappush(self.ready, self._key(name))

    def _take_slot(self) -> int | None:
        if self.lent is not None and not self.lent_used:
            self.lent_used = True
            return self.lent
        return self.executor._take_slot()

    def _give_slot(self, slot: int) -> None:
        if slot == self.lent and self.lent_used:
            self.lent_used = False
            self.wake_up()
        else:
            self.executor._give_slot(slot)

    def wake_up(self) -> None:
        if self.wake is not None and not self.wake.done():
            self.wake.set_result(None)

    async def guarded(self, nested: bool) -> None:
        """Run; a signal cancels the run, then is raised once all is stopped
        (in every run it reached: the first to raise ends the event loop)."""
        current = asyncio.current_task()
        over = False

        def on_signal(signum: int) -> None:
            # A signal that lands after the run ended must not cancel the caller.
            if not over and self.signal is None and current is not None:
                self.signal = signum
                current.cancel()

        if nested or current is None:
            await self.run()
        else:
            with signals.listening(self.loop, on_signal) as scope:
                try:
                    await self.run()
                except asyncio.CancelledError:
                    if self.signal is None:
                        raise
                over = True
                if self.signal is not None and scope is not None:
                    await scope.settled()
        if self.fatal is not None:
            raise self.fatal
        if self.signal == signal.SIGINT:
            raise KeyboardInterrupt
        if self.signal is not None:
            raise SystemExit(128 + self.signal)

    async def run(self) -> None:
        try:
            while True:
                self._drain()
                self._start_ready()
                if self.stopping or not (self.running or self.ready or self.finished):
                    break
                if not self.finished:
                    self.wake = self.loop.create_future()
                    await self.wake
        finally:
            self.stopping = True
            if self.timer is not None:
                self.timer.cancel()
            await self._cancel_running()
            self._drain()
            self._settle_unstarted()

    def _drain(self) -> None:
        # Declaration order: with two failures at once, fail-fast names the
        # same one on every run.
        finished, self.finished = self.finished, []
        if len(finished) > 1 and any(t.status is not TaskStatus.COMPLETED for t in finished):
            finished.sort(key=lambda t: self.index[t.name])
        for task in finished:
            self._finished(task)

    def _start_ready(self) -> None:
        executor = self.executor
        while self.ready and not self.stopping:
            slot = self._take_slot()
            if slot is None:
                return
            task = self.tasks[heapq.heappop(self.ready)[-1]]
            task.status = TaskStatus.RUNNING
            try:
                if executor.on_start is not None:
                    executor.on_start(task, slot)
            except Exception as exc:
                self._give_slot(slot)
                task._record(Outcome(ResultStatus.FAILED, error=f"on_start: {describe(exc)}"))
                self.finished.append(task)
                continue
            job = self.loop.create_task(self._run_one(task, slot))
            self.running[task.name] = job

    async def _run_one(self, task: ToolTask, slot: int) -> None:
        _inside.set((self.executor, slot))
        if task.timeout is not None:
            self._watch(task.name, task.timeout)
        begin = time.perf_counter()
        try:
            func = task.func
            code = getattr(func, "__code__", None)
            if code is not None and code.co_flags & CO_COROUTINE:
                value = await func(**task.kwargs)
            else:
                value = await call(func, task.kwargs, task.pool)
            outcome = outcome_of(value)
            if self.expired and task.name in self.expired:
                outcome = self._timed_out(task)
        except asyncio.CancelledError:
            outcome = (
                self._timed_out(task)
                if task.name in self.expired
                else Outcome(ResultStatus.CANCELLED, error=self._cancel_reason())
            )
        except Exception as exc:
            outcome = Outcome(ResultStatus.FAILED, error=describe(exc))
        except BaseException as exc:  # SystemExit, KeyboardInterrupt: stop the run
            outcome = Outcome(ResultStatus.FAILED, error=describe(exc))
            if self.fatal is None:
                self.fatal, self.fatal_in = exc, task.name
        end = time.perf_counter()
        task._record(outcome.timed(begin - self.started, end - self.started, slot))
        del self.running[task.name]
        self.finished.append(task)
        self._give_slot(slot)
        self.wake_up()

    def _watch(self, name: str, timeout: float) -> None:
        """One timer for the whole run, armed for the earliest deadline: a
        finished task's deadline is dropped when it comes up."""
        deadline = self.loop.time() + timeout
        heapq.heappush(self.deadlines, (deadline, self.index[name], name))
        if self.timer is None or deadline < self.timer.when():
            if self.timer is not None:
                self.timer.cancel()
            self.timer = self.loop.call_at(deadline, self._expire)

    def _expire(self) -> None:
        assert self.timer is not None
        due, self.timer = self.timer.when(), None
        while self.deadlines and self.deadlines[0][0] <= due:
            name = heapq.heappop(self.deadlines)[-1]
            job = self.running.get(name)
            if job is not None:
                self.expired.add(name)
                job.cancel()
        if self.deadlines:
            self.timer = self.loop.call_at(self.deadlines[0][0], self._expire)

    def _timed_out(self, task: ToolTask) -> Outcome:
        return Outcome(ResultStatus.TIMEOUT, error=f"timed out after {task.timeout:g}s")

    def _cancel_reason(self) -> str:
        if self.fatal is not None:
            return f"stopped: {self.fatal_in} raised {type(self.fatal).__name__}"
        return f"fail-fast: {self.stopped_by} failed" if self.stopped_by else "interrupted"

    def _finished(self, task: ToolTask) -> None:
        assert task.outcome is not None
        status = task.outcome.status
        self._notify(task)
        if self.stopping:  # what has not ended is settled once all is stopped
            return
        if status is not ResultStatus.SUCCESS:
            if status in (ResultStatus.FAILED, ResultStatus.TIMEOUT) and self.fail_fast:
                if self.stopped_by is None:
                    self.stopped_by = task.name
                self.stopping = True
                return
            self._skip_dependents(task.name)
        if self.fatal is not None:
            self.stopping = True
        self._release(task.name)

    def _notify(self, task: ToolTask) -> None:
        try:
            if self.executor.on_finish is not None:
                self.executor.on_finish(task)
        except Exception as exc:
            # The host's callback failed: stop, clean up, then raise it.
            if self.fatal is None:
                self.fatal, self.fatal_in = exc, task.name
            self.stopping = True

    def _skip_dependents(self, name: str) -> None:
        """Everything that ``depends_on`` ``name``, directly or not, is skipped."""
        if not self.hard.get(name):
            return
        reason = f"dependency {name} {self.tasks[name].status.value}"
        skipped = [n for n in graph.closure([name], self.hard) if self.tasks[n].outcome is None]
        for other in skipped:
            self.waiting.pop(other, None)
            self._settle(self.tasks[other], reason)
        for other in skipped:
            self._release(other)

    def _release(self, name: str) -> None:
        """``name`` is over: whoever waits only for it becomes ready."""
        for waiter in self.waiters.get(name, ()):
            count = self.waiting.get(waiter)
            if count is None:
                continue
            self.waiting[waiter] = count - 1
            if count == 1:
                self._push(waiter)

    def _settle(self, task: ToolTask, reason: str) -> None:
        task._record(Outcome(ResultStatus.SKIPPED, error=reason))
        self._notify(task)

    async def _cancel_running(self) -> None:
        """Cancel whatever runs and wait for all of it, even if cancelled again."""
        if not self.running:
            return
        pending = set(self.running.values())
        for job in pending:
            job.cancel()
        cancelled_again = False
        while pending:
            try:
                await asyncio.wait(pending)
            except asyncio.CancelledError:
                cancelled_again = True
            pending = {job for job in pending if not job.done()}
        if cancelled_again:
            self._drain()
            raise asyncio.CancelledError

    def _settle_unstarted(self) -> None:
        reason = self._cancel_reason()
        for task in self.tasks.values():
            if task.outcome is None:
                self._settle(task, reason)
