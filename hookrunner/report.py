"""What a run looks like to the user: task lines, details, the summary, live status and JSON."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, TextIO

STATUSES = ("passed", "failed", "modified", "timeout", "cancelled", "skipped")


class Slice(NamedTuple):
    slot: int  # concurrency slot index 0..jobs-1 (the trace's tid)
    start: float  # seconds from the run's start
    end: float
    label: str  # e.g. "ruff-check" or "ruff-check [2/3]" for a batch


class TaskResult(NamedTuple):
    name: str
    stage: str  # format | lint | test
    status: str  # one of STATUSES
    exit_code: int | None = None  # None when it never ran or was killed before exiting
    duration: float = 0.0  # seconds the task ran (sum over its batches' wall time)
    start: float | None = None  # seconds from run start; None when skipped
    end: float | None = None
    cmd: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    output: str = ""
    reason: str = ""  # why skipped / cancelled / timed out, e.g. "after 10s"
    modified: tuple[str, ...] = ()  # files a format task changed
    cached: bool = False
    saved: float = 0.0  # for cached results: the duration saved
    slices: tuple[Slice, ...] = ()


class RunReport(NamedTuple):
    results: tuple[TaskResult, ...]  # in finish order
    exit_code: int
    duration: float  # wall time of the run
    jobs: int


_LABELS = {
    "passed": "Passed",
    "failed": "Failed",
    "modified": "Modified files",
    "timeout": "Timed out",
    "cancelled": "Cancelled",
    "skipped": "Skipped",
}
_SUMMARY_WORDS = {"timeout": "timed out"}
# Written by hand: importing click for four escape codes would cost every commit its import time.
_GREEN, _RED, _YELLOW, _CYAN, _RESET = "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[36m", "\x1b[0m"
_COLORS = {
    "passed": _GREEN,
    "failed": _RED,
    "modified": _YELLOW,
    "timeout": _RED,
    "cancelled": _YELLOW,
    "skipped": _CYAN,
}
_PROBLEMS = frozenset({"failed", "timeout", "modified"})
_ERASE = "\r\x1b[K"
_MIN_DOTS = 3


def exit_code_of(results: Sequence[TaskResult], restaged: frozenset[str] = frozenset()) -> int:
    """1 when any task failed, timed out, was cancelled, or changed files that
    were not re-staged (``stage_fixed``); else 0."""
    for result in results:
        if result.status in ("failed", "timeout", "cancelled"):
            return 1
        if result.status == "modified" and result.name not in restaged:
            return 1
    return 0


def status_label(result: TaskResult) -> str:
    if result.cached and result.status == "passed":
        return "Cached"
    return _LABELS[result.status]


def _has_run(result: TaskResult) -> bool:
    if result.status == "skipped":
        return False
    # A task cancelled while still waiting has no time to show, only why.
    return not (result.status == "cancelled" and result.start is None)


def _tail(result: TaskResult) -> str:
    """After the label: the duration, the time a cache hit saved, or why it did not run."""
    if result.cached and result.status == "passed":
        return f" (saved {result.saved:.2f}s)"
    if _has_run(result):
        return f"  {result.duration:.2f}s"
    return f" ({result.reason})" if result.reason else ""


def format_line(result: TaskResult, width: int = 79, color: bool = False) -> str:
    """``name....Label  1.23s``, ``width`` columns wide; a long name still gets three dots."""
    label = status_label(result)
    tail = _tail(result)
    dots = "." * max(_MIN_DOTS, width - len(result.name) - len(label) - len(tail))
    if color:
        label = f"{_COLORS[result.status]}{label}{_RESET}"
    return f"{result.name}{dots}{label}{tail}"


def format_details(result: TaskResult) -> str:
    """The block under a task's line: exit code, why, modified files, then the output as is.

    Every line ends with a newline; a task with nothing to say gives "". As in
    pre-commit, the output sits between blank lines so it stands apart from the next task.
    """
    lines = []
    if result.exit_code is not None:
        lines.append(f"- exit code: {result.exit_code}")
    if result.status == "timeout":
        lines.append(f"- timed out {result.reason or f'after {result.duration:.2f}s'}")
    elif result.reason and result.status != "skipped":
        lines.append(f"- {result.reason}")
    if result.modified:
        lines.append("- files were modified by this task:")
        lines.extend(f"  {path}" for path in result.modified)
    output = result.output.strip("\r\n")
    if output.strip():
        lines.extend(("", output, ""))
    return "".join(f"{line}\n" for line in lines)


def _counts(results: tuple[TaskResult, ...]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        key = "cached" if result.cached and result.status == "passed" else result.status
        counts[key] = counts.get(key, 0) + 1
    return counts


def format_summary(report: RunReport) -> str:
    """The last line: ``6 passed, 1 skipped in 1.31s (tasks took 4.02s: 3.1x)``.

    Counts follow STATUSES order, with ``cached`` right after ``passed``: a
    result reused from the cache counts as cached, not as passed. Zero counts
    are left out. The part in parentheses is the summed task time over the wall
    time; it is left out when nothing ran (cached results do not count) or
    the wall time is zero.
    """
    counts = _counts(report.results)
    order = ("passed", "cached", *STATUSES[1:])
    parts = [f"{counts[key]} {_SUMMARY_WORDS.get(key, key)}" for key in order if key in counts]
    text = f"{', '.join(parts) or 'no tasks'} in {report.duration:.2f}s"
    busy = sum(result.duration for result in report.results if not result.cached)
    if busy > 0 and report.duration > 0:
        text += f" (tasks took {busy:.2f}s: {busy / report.duration:.1f}x)"
    return text


def _summary_color(report: RunReport) -> str:
    statuses = {result.status for result in report.results}
    if statuses & {"failed", "timeout"}:
        return _RED
    if statuses & {"modified", "cancelled"}:
        return _YELLOW
    return _GREEN


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or already closed
        return False


def live_allowed(stream: TextIO, env: Mapping[str, str]) -> bool:
    """A redrawn status line only makes sense on a terminal a person watches."""
    return _isatty(stream) and not env.get("CI") and env.get("TERM") != "dumb"


def color_allowed(choice: str, stream: TextIO, env: Mapping[str, str]) -> bool:
    """``--color auto|always|never``; auto honours https://no-color.org and dumb terminals."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if choice != "auto":
        raise ValueError(f"color must be auto, always or never, got {choice!r}")
    return _isatty(stream) and not env.get("NO_COLOR") and env.get("TERM") != "dumb"


class Printer:
    """Prints a run as it happens; each call writes whole blocks so tasks never interleave."""

    def __init__(
        self,
        stream: TextIO | None = None,
        color: bool = False,
        verbose: bool = False,
        quiet: bool = False,
        live: bool = False,
        width: int = 79,
        total: int = 0,
    ) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.color = color
        self.verbose = verbose
        self.quiet = quiet
        self.live = live
        self.width = width
        self.total = total  # tasks in the run, for the live line's "N left"
        self._running: list[str] = []
        self._finished = 0
        self._live_shown = False

    def task_started(self, name: str) -> None:
        self._running.append(name)
        self._write("")

    def task_finished(self, result: TaskResult) -> None:
        if result.name in self._running:
            self._running.remove(result.name)
        self._finished += 1
        block = ""
        if not self.quiet or result.status in _PROBLEMS:
            block = format_line(result, self.width, self.color) + "\n"
            if self.verbose or result.status in _PROBLEMS:
                block += format_details(result)
        self._write(block)

    def finish(self, report: RunReport) -> None:
        self._running.clear()
        self.live = False
        summary = format_summary(report)
        if self.color:
            summary = f"{_summary_color(report)}{summary}{_RESET}"
        self._write(summary + "\n")

    def _status(self) -> str:
        parts = []
        if self._running:
            parts.append("running: " + ", ".join(self._running))
        left = self.total - len(self._running) - self._finished
        if left > 0:
            parts.append(f"{left} left")
        return " | ".join(parts)[: self.width]

    def _write(self, block: str) -> None:
        """Write ``block`` with the live line erased first and redrawn after, in one write."""
        text = _ERASE if self._live_shown else ""
        text += block
        status = self._status() if self.live else ""
        self._live_shown = bool(status)
        text += status
        if text:
            self.stream.write(text)
            self.stream.flush()


def _round(value: float | None) -> float | None:
    # Microseconds are all a timer can tell apart; more digits are float noise.
    return None if value is None else round(value, 6)


def to_json(report: RunReport) -> dict[str, Any]:
    """The ``--json`` document (SPEC "Output"): one entry per task, in finish order."""
    tasks = []
    for result in report.results:
        task: dict[str, Any] = {
            "name": result.name,
            "stage": result.stage,
            "status": result.status,
            "exit_code": result.exit_code,
            "duration": _round(result.duration),
            "start": _round(result.start),
            "end": _round(result.end),
            "cmd": list(result.cmd),
            "files": list(result.files),
            "output": result.output,
        }
        if result.reason:
            task["reason"] = result.reason
        if result.status == "modified" or result.modified:
            task["modified"] = list(result.modified)
        if result.cached:
            task["cached"] = True
        tasks.append(task)
    return {
        "version": 1,
        "exit_code": report.exit_code,
        "duration": _round(report.duration),
        "tasks": tasks,
    }


def write_text(target: str, text: str) -> None:
    """Write to stdout for ``-``, else replace the file atomically so readers never see half."""
    if target == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    tmp = f"{target}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_json(report: RunReport, target: str) -> None:
    import json  # only a run with --json pays for it

    write_text(target, json.dumps(to_json(report), indent=2) + "\n")
