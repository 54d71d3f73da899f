"""One execution of a task graph: the ready heap, the early starts, the
running jobs, the timeouts, fail-fast and the end of it all (see
:mod:`hookrunner.engine.executor` for the rules)."""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import signal
import time
from inspect import CO_COROUTINE
from typing import TYPE_CHECKING

from hookrunner.engine import graph, signals
from hookrunner.engine.process import call
from hookrunner.engine.tasks import (
    Outcome,
    ResultStatus,
    TaskStatus,
    ToolTask,
    describe,
    outcome_of,
)
from hookrunner.engine.timers import Deadlines

if TYPE_CHECKING:
    from hookrunner.engine.executor import ParallelExecutor

# (executor, slot) inside a run's task: a run started there is nested (its outer
# run owns the signals and cancels it) and, on the same executor, may use the
# slot of the task waiting for it, so that shared slots never deadlock.
inside: contextvars.ContextVar[tuple[ParallelExecutor, int] | None] = contextvars.ContextVar(
    "inside", default=None
)


def _soft_edges(
    tasks: list[ToolTask], edges: dict[str, list[str]], optimistic: bool
) -> tuple[dict[str, set[str]], dict[str, int]]:
    """Who may start before each task ends (its ``optimistic_after`` waiters,
    only given a confirm callback), and how many strict edges each task waits on."""
    soft: dict[str, list[str]] = {}
    for t in tasks if optimistic else ():
        strict = {*t.depends_on, *t.after}
        soft[t.name] = [n for n in dict.fromkeys(t.optimistic_after) if n not in strict]
    waiters: dict[str, set[str]] = {}
    for name, earlier in soft.items():
        for other in earlier:
            waiters.setdefault(other, set()).add(name)
    return waiters, {name: len(deps) - len(soft.get(name, ())) for name, deps in edges.items()}


class Run:
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
        self.confirm = executor.confirm if with_dependencies else None
        self.soft_waiters, self.strict = _soft_edges(tasks, edges, self.confirm is not None)
        self.early: list[tuple[int, int, float, int, str]] = []
        self.queued_early: set[str] = set()
        self.started_early: set[str] = set()
        """Tasks running or held that started before a task they wait for ended."""
        self.held: dict[str, Outcome] = {}
        self.discarding: dict[str, str] = {}
        self.yielding: set[str] = set()
        self.attempt: dict[str, int] = {}
        self.running: dict[str, asyncio.Task[None]] = {}
        self.finished: list[ToolTask] = []
        self.expired: set[str] = set()
        self.deadlines = Deadlines(self.loop, self._due)
        self.wake: asyncio.Future[None] | None = None
        self.stopped_by: str | None = None
        self.stopping = False
        self.fatal: BaseException | None = None
        self.fatal_in: str | None = None
        self.signal: int | None = None
        outer = inside.get()
        self.lent = outer[1] if outer is not None and outer[0] is executor else None
        self.lent_used = False
        self.ready = [self._key(name) for name, count in self.waiting.items() if not count]
        heapq.heapify(self.ready)
        for name, count in self.strict.items():
            if not count and self.waiting[name]:
                self._push_early(name)

    def _key(self, name: str) -> tuple[int, int, float, int, str]:
        task = self.tasks[name]
        return (task.tier, -task.priority, -(task.expected_duration or 0.0), self.index[name], name)

    def _push(self, name: str) -> None:
        self.queued_early.discard(name)
        heapq.heappush(self.ready, self._key(name))

    def _push_early(self, name: str) -> None:
        self.queued_early.add(name)
        heapq.heappush(self.early, self._key(name))

    def _next(self) -> str | None:
        """The next task to start: a ready one, else one that may start early."""
        if self.ready:
            return heapq.heappop(self.ready)[-1]
        while self.early:
            name = heapq.heappop(self.early)[-1]
            if name in self.queued_early:
                self.queued_early.discard(name)
                self.started_early.add(name)
                return name
        return None

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
            self.deadlines.cancel()
            await self._cancel_running()
            self._drain()
            for name, outcome in list(self.held.items()):
                self._discard(self.tasks[name], outcome, self._cancel_reason())
            self.held.clear()
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
        while (self.ready or self.queued_early) and not self.stopping:
            slot = self._take_slot()
            if slot is None:
                self._preempt()
                return
            name = self._next()
            if name is None:
                self._give_slot(slot)
                return
            task = self.tasks[name]
            self.attempt[name] = self.attempt.get(name, 0) + 1
            task.status = TaskStatus.RUNNING
            try:
                if executor.on_start is not None:
                    executor.on_start(task, slot)
            except Exception as exc:
                self._give_slot(slot)
                self.started_early.discard(name)
                task._record(Outcome(ResultStatus.FAILED, error=f"on_start: {describe(exc)}"))
                self.finished.append(task)
                continue
            job = self.loop.create_task(self._run_one(task, slot))
            self.running[task.name] = job

    async def _run_one(self, task: ToolTask, slot: int) -> None:
        inside.set((self.executor, slot))
        if task.timeout is not None:
            self.deadlines.watch(self.index[task.name], task.name, self.attempt[task.name],
                                 task.timeout)  # fmt: skip
        begin = time.perf_counter()
        try:
            func = task.func
            code = getattr(func, "__code__", None)
            if code is not None and code.co_flags & CO_COROUTINE:
                value = await func(**task.kwargs)
            else:
                value = await call(func, task.kwargs, task.pool)
            outcome = outcome_of(value)
            # Work that began before the call (a child started ahead of the
            # engine) counts from then, within the run.
            began = outcome.extra.get("began")
            if isinstance(began, float):
                begin = max(min(begin, began), self.started)
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
        timed = outcome.timed(begin - self.started, end - self.started, slot)
        del self.running[task.name]
        self._give_slot(slot)
        self._ended(task, timed)
        self.wake_up()

    def _preempt(self) -> None:
        """A ready task found no slot: an early attempt of a later tier gives its
        own up (one per ready task still waiting)."""
        if len(self.yielding) >= len(self.ready):
            return
        top = self.ready[0]
        victims = [
            key
            for key in map(self._key, self.started_early)
            if key[0] > top[0] and key[-1] in self.running and key[-1] not in self.held
        ]
        if victims:
            name = max(victims)[-1]
            self.started_early.discard(name)
            self.yielding.add(name)
            self.discarding[name] = f"gave its slot to {top[-1]}"
            self.running[name].cancel()

    def _ended(self, task: ToolTask, outcome: Outcome) -> None:
        """An attempt ended: it counts, waits for the tasks it started before, or is dropped."""
        name = task.name
        reason = self.discarding.pop(name, None)
        self.yielding.discard(name)
        if reason is None and name in self.started_early:
            if not self.stopping and self.fatal is None:
                self.held[name] = outcome
                return
            reason = self._cancel_reason()
        if reason is None:
            task._record(outcome)
            self.finished.append(task)
            return
        self._discard(task, outcome, reason)

    def _discard(self, task: ToolTask, outcome: Outcome, reason: str) -> None:
        """Drop an early attempt; the task waits to start again."""
        name = task.name
        task.discarded.append(outcome._replace(status=ResultStatus.CANCELLED, error=reason))
        task.status = TaskStatus.PENDING
        self.started_early.discard(name)
        self.expired.discard(name)
        if self.stopping or name not in self.waiting:
            return
        if not self.waiting[name]:
            self._push(name)
        elif not self.strict[name]:
            self._push_early(name)

    def _due(self, name: str, attempt: int) -> None:
        job = self.running.get(name)
        if job is not None and self.attempt[name] == attempt:
            self.expired.add(name)
            job.cancel()

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
        """``name`` is over: whoever waits only for it becomes ready (or may
        start early); work started before it ended is confirmed or dropped."""
        soft = self.soft_waiters.get(name, ())
        for waiter in self.waiters.get(name, ()):
            count = self.waiting.get(waiter)
            if count is None:
                continue
            count = self.waiting[waiter] = count - 1
            if waiter not in soft:
                self.strict[waiter] -= 1
            if waiter in self.started_early:
                self._overlapped(waiter, name, count)
            elif waiter not in self.discarding and self.tasks[waiter].outcome is None:
                if not count:
                    self._push(waiter)
                elif waiter not in soft and not self.strict[waiter]:
                    self._push_early(waiter)

    def _overlapped(self, name: str, earlier: str, count: int) -> None:
        """``earlier`` ended while ``name``'s early attempt ran or waited."""
        task = self.tasks[name]
        assert self.confirm is not None
        try:
            counts = self.confirm(task, self.tasks[earlier])
        except Exception as exc:
            if self.fatal is None:
                self.fatal, self.fatal_in = exc, name
            self.stopping, counts = True, True
        held = self.held.get(name)
        if not counts:
            reason = f"started before {earlier} changed files it reads"
            if held is not None:
                del self.held[name]
                self._discard(task, held, reason)
            else:
                self.started_early.discard(name)
                self.discarding[name] = reason
                self.running[name].cancel()
        elif not count:
            self.started_early.discard(name)
            if held is not None:
                del self.held[name]
                task._record(held)
                self.finished.append(task)

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
