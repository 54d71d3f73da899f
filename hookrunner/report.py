"""What a run looks like to the user: task lines, details, the summary, live status and JSON."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from hookrunner.model import STATUSES, RunReport, TaskResult

_LABELS = {
    "passed": "Passed",
    "failed": "Failed",
    "modified": "Modified files",
    "timeout": "Timed out",
    "cancelled": "Cancelled",
    "skipped": "Skipped",
}
_SUMMARY_WORDS = {"timeout": "timed out"}
# The exit codes of a run stopped by a signal (SPEC "Exit codes"), as the summary line says it.
_STOPPED = {130: "Interrupted", 143: "Terminated"}
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
# The live line is drawn with the cursor left at its first column, and erased
# from there to the end of the screen: a terminal that rewraps lines when it is
# made narrower (tmux, VTE, iTerm2) puts the cursor at the start of the rewrapped
# rows, and a "^C" echoed by the terminal lands on the line itself, so neither
# leaves rows behind that a plain erase-to-end-of-line would miss. The erase to
# the end of the screen starts one column in (the row itself is erased first):
# from the top left corner, tmux takes it for a clear screen and copies the
# screen into its scrollback.
_ERASE = "\r\x1b[K\x1b[C\x1b[J\r"
_FALLBACK_COLUMNS = 79
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
    for piece in result.discarded:
        took = piece.end - piece.start
        lines.append(f"- an early start ({took:.2f}s) did not count: {piece.reason}")
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
    the wall time is zero. A ratio below 1.0x is no speedup, only the share
    of the wall time the tasks took, so then the task time stands alone:
    ``1 passed in 0.10s (tasks took 0.02s)``. A run stopped by Ctrl-C
    (exit code 130) or SIGTERM (143) says so first:
    ``Interrupted: 1 passed, 2 cancelled, 1 skipped in 0.80s ...``.
    """
    counts = _counts(report.results)
    order = ("passed", "cached", *STATUSES[1:])
    parts = [f"{counts[key]} {_SUMMARY_WORDS.get(key, key)}" for key in order if key in counts]
    text = f"{', '.join(parts) or 'no tasks'} in {report.duration:.2f}s"
    if report.exit_code in _STOPPED:
        text = f"{_STOPPED[report.exit_code]}: {text}"
    busy = sum(result.duration for result in report.results if not result.cached)
    if busy > 0 and report.duration > 0:
        speedup = f"{busy / report.duration:.1f}"
        ratio = f": {speedup}x" if float(speedup) >= 1.0 else ""
        text += f" (tasks took {busy:.2f}s{ratio})"
    dropped = [piece for result in report.results for piece in result.discarded]
    if dropped:
        lost = sum(piece.end - piece.start for piece in dropped)
        starts = "early start" if len(dropped) == 1 else "early starts"
        text += f"; {len(dropped)} {starts} discarded ({lost:.2f}s)"
    return text


def _summary_color(report: RunReport) -> str:
    statuses = {result.status for result in report.results}
    if statuses & {"failed", "timeout"}:
        return _RED
    if statuses & {"modified", "cancelled"} or report.exit_code in _STOPPED:
        return _YELLOW
    return _GREEN


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or already closed
        return False


def terminal_columns(stream: TextIO) -> int:
    """The width of the terminal ``stream`` writes to, read anew on every call
    (one ioctl) so a resized window is seen at the next redraw; 79 when it has none."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # not a terminal, no fileno, or closed
        return _FALLBACK_COLUMNS
    return columns or _FALLBACK_COLUMNS  # a terminal that never got a size reports 0


def _char_columns(char: str) -> int:
    import unicodedata  # only for names that are not plain ASCII

    if unicodedata.category(char) in ("Mn", "Me"):  # combining marks sit on the char before
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _printable(text: str) -> str:
    """``text`` with the characters that would move the cursor or switch modes as ``?``."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(char if char.isprintable() else "?" for char in text)


def text_columns(text: str) -> int:
    """How many terminal columns printable ``text`` takes: wide (East Asian)
    characters take two, combining marks none."""
    if text.isascii():
        return len(text)
    return sum(_char_columns(char) for char in text)


def fit(text: str, columns: int) -> str:
    """The longest start of printable ``text`` that takes at most ``columns`` columns;
    combining marks stay with the character they follow."""
    if text.isascii():
        return text[: max(columns, 0)]
    used = 0
    for index, char in enumerate(text):
        used += _char_columns(char)
        if used > columns:
            return text[:index]
    return text


def live_allowed(stream: TextIO, env: Mapping[str, str]) -> bool:
    """A redrawn status line only makes sense on a terminal a person watches."""
    return (
        _isatty(stream)
        and not env.get("CI")
        and not github_actions(env)
        and env.get("TERM") != "dumb"
    )


def github_actions(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def _workflow_escape(text: str, property: bool = False) -> str:
    """A value for a GitHub Actions workflow command (``::error title=...::...``)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property else text


def _for_github(result: TaskResult, details: str) -> str:
    """A task's output folded in a group, and an annotation for a problem."""
    block = f"::group::{result.name}\n{details}::endgroup::\n" if details else ""
    if result.status in _PROBLEMS:
        message = f"{result.name}: {status_label(result)}"
        if result.reason:
            message += f" ({result.reason})"
        if result.modified:
            message += ": " + ", ".join(result.modified)
        title = _workflow_escape(f"hookrunner: {result.name}", property=True)
        block += f"::error title={title}::{_workflow_escape(message)}\n"
    return block


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
        columns: int | None = None,
        github: bool = False,
    ) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.color = color
        self.verbose = verbose
        self.quiet = quiet
        self.live = live
        self.width = width  # of the task lines, pre-commit's 79 whatever the terminal
        self.total = total  # tasks in the run, for the live line's "N left"
        # The live line's room; None reads the terminal's width at every redraw.
        self.columns = columns
        # GitHub Actions: outputs folded in groups, problems as annotations.
        self.github = github
        self.verbose_tasks: frozenset[str] = frozenset()
        """Tasks whose output is shown whatever their status."""
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
            details = ""
            if self.verbose or result.status in _PROBLEMS or result.name in self.verbose_tasks:
                details = format_details(result)
            block += _for_github(result, details) if self.github else details
        self._write(block)

    def finish(self, report: RunReport) -> None:
        self._running.clear()
        self.live = False
        summary = format_summary(report)
        if self.color:
            summary = f"{_summary_color(report)}{summary}{_RESET}"
        self._write(summary + "\n")

    def clear(self) -> None:
        """Erase the live line now, before something else writes to the terminal;
        the next task started or finished draws it again."""
        self._write("", redraw=False)

    def interrupt(self) -> None:
        """The run was interrupted: erase the live line for good, so that the
        lines of the tasks it stopped and the summary follow on a clean screen."""
        self.live = False
        self.clear()

    def _status(self, room: int) -> str:
        """What runs and what is left, in at most ``room`` columns: names that do
        not fit become ``+N more``, and a first name too long to fit is cut, so
        that the count of tasks left stays in view."""
        left = self.total - len(self._running) - self._finished
        tail = f" | {left} left" if left > 0 else ""
        names = [_printable(name) for name in self._running]
        if not names:
            return fit(tail[len(" | ") :], room)
        more = ""
        for shown in range(len(names), 0, -1):
            more = f", +{len(names) - shown} more" if shown < len(names) else ""
            text = f"running: {', '.join(names[:shown])}{more}{tail}"
            if text_columns(text) <= room:
                return text
        head = fit(f"running: {names[0]}", room - text_columns(more + tail))
        return head + more + tail if len(head) > len("running: ") else fit(text, room)

    def _write(self, block: str, redraw: bool = True) -> None:
        """Write ``block`` with the live line erased first and redrawn after, in one write.

        The line never reaches the terminal's last column, so it never wraps,
        and it ends with the cursor back at its start (see ``_ERASE``)."""
        text = _ERASE if self._live_shown else ""
        text += block
        status = ""
        if self.live and redraw:
            columns = self.columns if self.columns is not None else terminal_columns(self.stream)
            status = self._status(columns - 1)
        self._live_shown = bool(status)
        if status:
            text += status + "\r"
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
        if result.discarded:
            task["discarded"] = [
                {
                    "start": _round(piece.start),
                    "end": _round(piece.end),
                    "slot": piece.slot,
                    "reason": piece.reason,
                }
                for piece in result.discarded
            ]
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
    from hookrunner.atomic import write_atomically

    write_atomically(target, text)


def write_json(report: RunReport, target: str) -> None:
    import json  # only a run with --json pays for it

    write_text(target, json.dumps(to_json(report), indent=2) + "\n")
