"""The engine's records: a task, how it ended (one outcome), the statistics.

Inside the engine a task ends with one :class:`Outcome`; the design
document's result dicts are made from it only where a run hands results out.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any, NamedTuple

Result = dict[str, Any]
TaskFunc = Callable[..., Any]


class ResultStatus(Enum):
    """How a task ended: the ``status`` of its result."""

    SUCCESS = "success"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


RESULT_STATUSES = tuple(s.value for s in ResultStatus)


class TaskStatus(Enum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


_TASK_STATUS = {
    ResultStatus.SUCCESS: TaskStatus.COMPLETED,
    ResultStatus.FAILED: TaskStatus.FAILED,
    ResultStatus.TIMEOUT: TaskStatus.FAILED,
    ResultStatus.CANCELLED: TaskStatus.CANCELLED,
    ResultStatus.SKIPPED: TaskStatus.SKIPPED,
}


def _check_names(value: object, what: str) -> list[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise TypeError(f"{what} must be a list of task names, got {value!r}")
    for name in value:
        if not isinstance(name, str):
            raise TypeError(f"{what} must be a list of task names, got {name!r} in it")
    return list(value)


@dataclass(eq=False)
class ToolTask:
    """One unit of work: ``func(**kwargs)``, awaited if it is a coroutine
    function, otherwise run in a worker thread (or, with ``pool="process"``,
    a worker process). It returns a result mapping or its output."""

    name: str
    func: TaskFunc
    kwargs: dict[str, Any] = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)
    priority: int = 0
    timeout: float | None = 300
    after: list[str] = field(default_factory=list)
    tier: int = 0
    expected_duration: float | None = None
    pool: str = "thread"
    optimistic_after: list[str] = field(default_factory=list)
    """Tasks this one runs after, though it may start before they end when a
    slot would otherwise stay idle (see :class:`ParallelExecutor`'s ``confirm``)."""

    status: TaskStatus = TaskStatus.PENDING
    result: Result | None = None
    error: str | None = None
    duration: float | None = None
    outcome: Outcome | None = None
    discarded: list[Outcome] = field(default_factory=list)
    """Attempts started early whose work did not count (``error`` says why)."""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"task name must be a string, got {self.name!r}")
        if not callable(self.func):
            raise TypeError(f"task {self.name!r}: func must be callable, got {self.func!r}")
        if not isinstance(self.kwargs, Mapping):
            raise TypeError(f"task {self.name!r}: kwargs must be a mapping, got {self.kwargs!r}")
        self.depends_on = _check_names(self.depends_on, f"task {self.name!r}: depends_on")
        self.after = _check_names(self.after, f"task {self.name!r}: after")
        self.optimistic_after = _check_names(
            self.optimistic_after, f"task {self.name!r}: optimistic_after"
        )
        check_timeout(self.timeout, f"task {self.name!r}: timeout")
        if self.pool not in ("thread", "process"):
            raise ValueError(f"task {self.name!r}: pool must be 'thread' or 'process'")
        if self.pool == "process" and inspect.iscoroutinefunction(self.func):
            raise ValueError(f"task {self.name!r}: pool='process' needs a plain function")

    def _record(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.result = outcome.as_result()
        self.status = _TASK_STATUS[outcome.status]
        self.error = outcome.error if outcome.status is not ResultStatus.SUCCESS else None
        self.duration = outcome.duration if outcome.start is not None else None


_NO_EXTRA: Mapping[str, Any] = MappingProxyType({})
_CORE = frozenset(("status", "output", "error", "exit_code", "duration", "start", "end", "slot"))


class Outcome(NamedTuple):
    """How one task ended (immutable). ``start``/``end`` (seconds since the
    run began) and ``slot`` are set only for a task that ran; ``extra`` holds
    the other keys its function returned."""

    status: ResultStatus
    output: Any = ""
    error: str | None = None
    exit_code: Any = None
    duration: float = 0.0
    start: float | None = None
    end: float | None = None
    slot: int | None = None
    extra: Mapping[str, Any] = _NO_EXTRA

    def timed(self, start: float, end: float, slot: int) -> Outcome:
        """This outcome of a task that ran from ``start`` to ``end`` on ``slot``."""
        return Outcome(self.status, self.output, self.error, self.exit_code, end - start,
                       start, end, slot, self.extra)  # fmt: skip

    def as_result(self) -> Result:
        """The design document's result mapping."""
        result: Result = {"status": self.status.value, "output": self.output,
                          "error": self.error, "exit_code": self.exit_code,
                          "duration": self.duration}  # fmt: skip
        if self.extra:
            result.update(self.extra)
        if self.start is not None:
            result.update(start=self.start, end=self.end, slot=self.slot)
        return result


_SUCCESS = Outcome(ResultStatus.SUCCESS, "", None, 0)


def check_timeout(value: object, what: str = "timeout") -> None:
    """A timeout is a positive number of seconds, or None for no limit."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a positive number or None, got {value!r}")
    if not value > 0:
        raise ValueError(f"{what} must be a positive number or None, got {value!r}")


@dataclass(frozen=True)
class ExecutionStatistics:
    """What the last run (or the runs that overlapped it) did."""

    total_tasks: int
    counts: Mapping[str, int]
    wall_time: float
    task_time: float
    speedup: float
    durations: Mapping[str, float]

    @classmethod
    def of(cls, tasks: Sequence[ToolTask], wall: float) -> ExecutionStatistics:
        counts = dict.fromkeys(RESULT_STATUSES, 0)
        durations: dict[str, float] = {}
        for task in tasks:
            outcome = task.outcome
            counts[outcome.status.value if outcome else "skipped"] += 1
            if outcome is not None and outcome.start is not None:
                durations[task.name] = outcome.duration
        task_time = sum(durations.values())
        speedup = task_time / wall if wall > 0 else 0.0
        return cls(len(tasks), counts, wall, task_time, speedup, durations)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def log(self) -> None:
        # logging is imported only when asked for: a hook pays for every import.
        import logging

        logger = logging.getLogger("hookrunner")
        counts = ", ".join(f"{n} {s}" for s, n in self.counts.items() if n)
        logger.info(
            "%d tasks (%s) in %.3fs; task time %.3fs; speedup %.2fx",
            self.total_tasks, counts or "none", self.wall_time, self.task_time, self.speedup,
        )  # fmt: skip
        for name, duration in self.durations.items():
            logger.info("  %s: %.3fs", name, duration)


def describe(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:
        text = "<exception with an unprintable message>"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def outcome_of(value: Any) -> Outcome:
    """Turn what a task function returned into an outcome (without timing).

    A mapping keeps its keys; without ``status`` it succeeds unless it carries
    a non-zero ``exit_code``; a ``status`` that is not one of the five fails.
    Anything else is the output of a success.
    """
    if value is None:
        return _SUCCESS
    if type(value) is not dict and not isinstance(value, Mapping):
        return Outcome(ResultStatus.SUCCESS, "" if value is None else value, None, 0)
    error = value.get("error")
    raw = value.get("status")
    if raw is None:
        code = value.get("exit_code", 0)
        status = ResultStatus.SUCCESS if code in (0, None) else ResultStatus.FAILED
    elif isinstance(raw, ResultStatus) or raw in RESULT_STATUSES:
        status = ResultStatus(raw)
    else:
        status = ResultStatus.FAILED
        error = f"unknown status {raw!r}" + (f": {error}" if error else "")
    default_code = 0 if status is ResultStatus.SUCCESS else None
    extra = {k: v for k, v in value.items() if k not in _CORE}
    return Outcome(status, value.get("output", ""), error, value.get("exit_code", default_code),
                   extra=extra)  # fmt: skip


def normalize_result(value: Any) -> Result:
    """The result mapping for what a task function returned (without timing)."""
    outcome = outcome_of(value)
    return {"status": outcome.status.value, "output": outcome.output, "error": outcome.error,
            "exit_code": outcome.exit_code, **outcome.extra}  # fmt: skip
