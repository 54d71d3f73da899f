"""Run a plan on the executor and turn invocation results into task results.

A task's invocations are separate executor tasks (so each takes a slot and a
trace row of its own); the task's line is printed when the last of them ends.

Any task may write files. A format task's files are fingerprinted (stat and
content) before and after each invocation: no two command lines that share a
file run at once (hookrunner/wavefront.py), so a change is attributed
exactly, and a formatter that changed files is "modified" whatever its exit
code (pre-commit-hooks' fixers exit 1 when they fix). Every other task's
files are watched by their stat data (a stat per file, no read): a task
outside the format stage that rewrote one is "modified" too, never a pass
and never cached.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hookrunner.cli.headstart import HeadStart, Started, task_env
from hookrunner.cli.lookup import NO_LOOKUP, CacheUse, cache_use, command, look_up, remember
from hookrunner.cli.watch import changed_files, fingerprint, off_loop_if_large
from hookrunner.engine.child import share_cores, stop_child
from hookrunner.engine.executor import ParallelExecutor, Result, ToolTask
from hookrunner.engine.process import run_process
from hookrunner.engine.tasks import Outcome, ResultStatus
from hookrunner.model import Slice, TaskResult
from hookrunner.plan import PlannedTask, skipped_result, stage_rank

if TYPE_CHECKING:
    from hookrunner.cli.lookup import Cache


async def _invoke(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    root: Path,
    watch: Sequence[str],
    cache: CacheUse | None = None,
    formatter: bool = True,
    claim: Callable[[], Started | None] = lambda: None,
    low_priority: bool = False,
) -> Result:
    # Already running when the run started (hookrunner/cli/headstart.py)?
    started = claim()
    if started is not None:
        lookup, before = started.lookup, started.before
        proc = await run_process(
            started.argv, timeout=timeout, popen=started.popen, started=started.at
        )
    else:
        lookup = NO_LOOKUP if cache is None else look_up(cache)
        if lookup.hit is not None:
            return lookup.hit
        argv = command(argv, cache, lookup)
        before = await off_loop_if_large(fingerprint, len(watch), root, watch, formatter)
        proc = await run_process(argv, cwd=cwd, env=env, timeout=timeout, low_priority=low_priority)
    modified, touched = await off_loop_if_large(changed_files, len(watch), root, before)
    status = proc.status
    if modified and not proc.timed_out:
        # A formatter's fixes are what it is for: its dependents run on the
        # fixed files. Any other writer stops the run as a failure would.
        status = "success" if formatter else "failed"
    return {
        "status": status,
        "output": proc.output,
        "error": proc.error or None,
        "exit_code": proc.exit_code,
        "modified": modified,
        "touched": touched,
        # Stored once the result counts (see Runner.finished), not before: an
        # early start's work may be dropped.
        "learned": lookup.missing if cache is not None and proc.ok and not modified else None,
        "took": proc.duration,
        "cpu": proc.cpu,
        **({"began": started.at} if started is not None else {}),
    }


class Runner:
    """Collects invocation outcomes into one :class:`TaskResult` per task."""

    def __init__(
        self,
        plan: Sequence[PlannedTask],
        root: Path,
        env: Mapping[str, str],
        durations: Mapping[str, float],
        on_start: Callable[[str], None] = lambda name: None,
        on_result: Callable[[TaskResult], None] = lambda result: None,
        cache: Cache | None = None,
        optimistic: bool = True,
        writers: frozenset[str] = frozenset(),
        head: HeadStart | None = None,
    ) -> None:
        self.plan = list(plan)
        self.root = root
        self.env = dict(env)
        self.durations = durations
        self.on_start = on_start
        self.on_result = on_result
        self.cache = cache
        self.optimistic = optimistic
        self.writers = writers
        """Non-format tasks seen writing files: never started early."""
        self.head = head
        """Command lines started before the engine, taken by their invocations."""
        self.low: frozenset[str] = frozenset()
        """Tasks started at a lower CPU priority (hookrunner/cli/priority.py)."""
        self.kept = False
        """Whether a core is kept for the tasks not in ``low`` until they end
        (:func:`hookrunner.engine.child.keep_core`)."""
        self.on_done: Callable[[], None] = lambda: None
        """Called once the tasks are over, however the run ended."""
        self.results: list[TaskResult] = []
        self._owner: dict[str, PlannedTask] = {}
        self._done: dict[str, list[ToolTask]] = {}
        self._started: set[str] = set()
        self._tools: dict[str, ToolTask] = {}
        self._slots: dict[str, int] = {}
        self._dropped: dict[str, list[Slice]] = {}

    def tool_tasks(self) -> list[ToolTask]:
        by_name = {p.name: p for p in self.plan}

        def names(tasks: Sequence[str]) -> list[str]:
            return [inv.name for t in tasks for inv in by_name[t].invocations]

        tools = []
        for planned in self.plan:
            if planned.skip:
                continue
            task = planned.task
            env = task_env(self.env, planned)
            count = len(planned.invocations)
            expected = self.durations.get(task.name)
            # Waiting for an earlier stage may be optimistic; waiting for a
            # formatter on the same files never is (one writer per file): each
            # command line waits for the earlier formatters' command lines that
            # share a file with it (Invocation.after), not for the whole task.
            # Nor is it for a task seen writing files (self.writers).
            barrier = list(planned.barrier)
            strict: list[str] = []
            if not self.optimistic or task.name in self.writers:
                strict, barrier = names(barrier), []
            previous: list[str] = []
            for inv in planned.invocations:
                self._owner[inv.name] = planned
                kwargs: dict[str, Any] = {
                    "argv": inv.argv,
                    "cwd": self.root / task.cwd,
                    "env": env,
                    "timeout": task.timeout,
                    "root": self.root,
                    "watch": inv.files,
                    "cache": cache_use(self.cache, task, inv.files, planned),
                    "formatter": task.stage == "format",
                    "low_priority": task.name in self.low,
                }
                if self.head is not None:
                    kwargs["claim"] = functools.partial(self._claim, inv.name)
                tools.append(
                    tool := ToolTask(
                        name=inv.name,
                        func=_invoke,
                        kwargs=kwargs,
                        depends_on=names(planned.depends_on),
                        after=[*strict, *inv.after, *previous],
                        optimistic_after=names(barrier),
                        priority=task.priority,
                        timeout=None,
                        tier=stage_rank(task.stage),
                        expected_duration=expected / count if expected else None,
                    )
                )
                self._tools[inv.name] = tool
                if planned.serial:
                    previous = [inv.name]
            self._done[task.name] = []
        return tools

    def emit_skipped(self) -> None:
        for planned in self.plan:
            if planned.skip:
                self._emit(skipped_result(planned))

    def _emit(self, result: TaskResult) -> None:
        self.results.append(result)
        self.on_result(result)
        if self.kept:
            ended = {r.name for r in self.results}
            if all(p.name in ended or p.name in self.low for p in self.plan):
                # The critical path is over: what still runs may use every core.
                self.kept = False
                share_cores()

    def started(self, tool: ToolTask, slot: int) -> None:
        self._slots[tool.name] = slot
        planned = self._owner[tool.name]
        if planned.name not in self._started:
            self._started.add(planned.name)
            self.on_start(planned.name)

    def _claim(self, name: str) -> Started | None:
        """Command line ``name``'s child started before the engine, if it still
        counts: a formatter it waits for that ended before the engine got here
        wrote none of what it reads (see :meth:`confirm`; the engine confirms
        it against those still running when they end). Else it is stopped, shown
        as dropped, and the command line starts again."""
        assert self.head is not None
        started = self.head.take(name)
        if started is None:
            return None
        tool = self._tools[name]
        planned = self._owner[name]
        for earlier in (t for task in planned.barrier for t in self._done.get(task, ())):
            if not self.confirm(tool, earlier):
                stop_child(started.popen, 0.0)
                origin = self.head.origin or started.at
                self._dropped.setdefault(planned.name, []).append(
                    Slice(
                        self._slots.get(name, 0),
                        started.at - origin,
                        time.perf_counter() - origin,
                        name,
                        f"started before {earlier.name} changed files it reads",
                    )
                )
                return None
        return started

    def confirm(self, tool: ToolTask, earlier: ToolTask) -> bool:
        """Whether ``tool``'s work, started before ``earlier`` ended, still counts:
        ``earlier`` wrote none of its files and no configuration file; a task
        given no filenames may read any file, so any write drops its work."""
        # Every file whose stat changed, its content too or not (cli/watch.py).
        written = set((earlier.result or {}).get("touched", ()))
        if not written:
            return True
        planned = self._owner[tool.name]
        if not planned.task.pass_filenames:
            return False
        from hookrunner.cache.keys import config_files

        files = tool.kwargs["watch"]
        return written.isdisjoint(files) and not config_files(written)

    def finished(self, tool: ToolTask) -> None:
        planned = self._owner[tool.name]
        done = self._done[planned.name]
        done.append(tool)
        result = tool.result or {}
        changed = result.get("modified")
        if changed and self.cache is not None:
            self.cache[1].mark_dirty(changed)
        if result.get("learned"):
            cache = tool.kwargs["cache"]
            remember(cache, result["learned"], result["took"], result["output"])
        if len(done) == len(planned.invocations):
            self._emit(self._combine(planned, done))

    def _combine(self, planned: PlannedTask, tools: Sequence[ToolTask]) -> TaskResult:
        """One task's result from its invocations' outcomes."""
        outcomes = [t.outcome or _NOT_RUN for t in tools]
        modified = tuple(f for o in outcomes for f in o.extra.get("modified", ()))
        status, reason = _verdict(planned, outcomes, modified)
        ran = [(t.name, o) for t, o in zip(tools, outcomes, strict=True) if o.start is not None]
        slices = tuple(_slice(name, outcome) for name, outcome in ran)
        cached = bool(ran) and all(o.extra.get("cached") for _, o in ran)
        return TaskResult(
            name=planned.name,
            stage=planned.stage,
            status=status,
            exit_code=_exit_code([o.exit_code for _, o in ran]),
            duration=sum(o.duration for _, o in ran),
            start=min((piece.start for piece in slices), default=None),
            end=max((piece.end for piece in slices), default=None),
            cmd=planned.task.cmd,
            files=planned.files,
            output="".join(_line_ended(str(o.output or "")) for _, o in ran),
            reason=reason,
            modified=modified,
            cached=cached,
            saved=sum(float(o.extra.get("saved", 0.0)) for _, o in ran) if cached else 0.0,
            slices=slices,
            discarded=(*self._dropped.get(planned.name, ()), *_discarded(tools)),
            cpu=_cpu([o.extra.get("cpu") for _, o in ran]),
        )

    async def execute(self, jobs: int, fail_fast: bool) -> list[TaskResult]:
        self.emit_skipped()
        tools = self.tool_tasks()
        executor = ParallelExecutor(
            jobs, on_start=self.started, on_finish=self.finished, confirm=self.confirm
        )
        if self.head is not None:
            executor.origin = self.head.origin
        try:
            await executor.execute_with_dependencies(tools, fail_fast=fail_fast)
        finally:
            self.on_done()
        return self.results


_NOT_RUN = Outcome(ResultStatus.SKIPPED)


def _exit_code(codes: Sequence[object]) -> int | None:
    """The first non-zero exit code of a task's command lines, else the first."""
    found = next((c for c in codes if c), codes[0] if codes else None)
    return found if isinstance(found, int) else None


def _cpu(times: Sequence[object]) -> float | None:
    """The CPU time of a task's command lines, if every one of them says."""
    if not times or not all(isinstance(t, float) for t in times):
        return None
    return sum(t for t in times if isinstance(t, float))


def _discarded(tools: Sequence[ToolTask]) -> tuple[Slice, ...]:
    """Where and when each early attempt that did not count ran, and why."""
    return tuple(
        _slice(t.name, o)._replace(reason=o.error or "") for t in tools for o in t.discarded
    )


def _slice(name: str, outcome: Outcome) -> Slice:
    """Where and when one command line of a task ran (it did: it has a start)."""
    start = outcome.start or 0.0
    return Slice(outcome.slot or 0, start, outcome.end or start, name)


def _line_ended(output: str) -> str:
    return output if not output or output.endswith("\n") else output + "\n"


_REPORTED = {
    ResultStatus.TIMEOUT: "timeout",
    ResultStatus.FAILED: "failed",
    ResultStatus.CANCELLED: "cancelled",
    ResultStatus.SKIPPED: "skipped",
}
"""The statuses that decide a task's result, the first found among its
invocations' in this order; with none of them the task passed or modified files."""


def _verdict(
    planned: PlannedTask, outcomes: Sequence[Outcome], modified: Sequence[str]
) -> tuple[str, str]:
    """The task's status and the reason shown with it."""
    statuses = [o.status for o in outcomes]
    for status, word in _REPORTED.items():
        # A writer's exit code says nothing once it changed files.
        if status in statuses and not (modified and status is ResultStatus.FAILED):
            if status is ResultStatus.TIMEOUT:
                return word, f"after {planned.task.timeout:g}s"
            error = outcomes[statuses.index(status)].error or ""
            return word, "" if status is ResultStatus.FAILED else error
    if not modified:
        return "passed", ""
    if planned.stage == "format":
        return "modified", ""
    return "modified", (
        f'this {planned.stage} task changed files; give it stage = "format" '
        "if it is meant to fix them"
    )
