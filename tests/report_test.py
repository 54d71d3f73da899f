from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from hookrunner.model import STATUSES, RunReport, TaskResult
from hookrunner.report import (
    Printer,
    color_allowed,
    fit,
    format_details,
    format_line,
    format_summary,
    live_allowed,
    status_label,
    terminal_columns,
    text_columns,
    to_json,
    write_json,
)
from tests.conftest import write_config

ERASE = "\r\x1b[K\x1b[C\x1b[J\r"
HOME = "\r"  # the live line leaves the cursor at its start


class Tty(io.StringIO):
    def isatty(self) -> bool:
        super().isatty()  # raises once closed, like a real stream
        return True


def ran(
    name: str,
    status: str = "passed",
    duration: float = 1.0,
    *,
    output: str = "",
    reason: str = "",
    modified: tuple[str, ...] = (),
) -> TaskResult:
    return TaskResult(
        name=name,
        stage="lint",
        status=status,
        exit_code=0 if status == "passed" else 1,
        duration=duration,
        start=0.0,
        end=duration,
        output=output,
        reason=reason,
        modified=modified,
    )


def skipped(name: str, reason: str = "no files to check") -> TaskResult:
    return TaskResult(name=name, stage="test", status="skipped", reason=reason)


def cached(name: str, saved: float = 1.2) -> TaskResult:
    return TaskResult(
        name=name, stage="lint", status="passed", exit_code=0, cached=True, saved=saved
    )


@pytest.mark.parametrize(
    ("result", "label"),
    [
        (ran("a"), "Passed"),
        (ran("a", "failed"), "Failed"),
        (ran("a", "modified"), "Modified files"),
        (ran("a", "timeout"), "Timed out"),
        (ran("a", "cancelled"), "Cancelled"),
        (skipped("a"), "Skipped"),
        (cached("a"), "Cached"),
    ],
)
def test_status_label(result: TaskResult, label: str) -> None:
    assert status_label(result) == label


def test_line_passed_fills_the_width() -> None:
    line = format_line(ran("mypy", duration=1.921), width=40)
    assert line == "mypy.......................Passed  1.92s"
    assert len(line) == 40


def test_line_failed_and_timeout_show_the_duration() -> None:
    assert format_line(ran("ruff", "failed", 0.5), width=30) == "ruff" + "." * 13 + "Failed  0.50s"
    assert format_line(ran("t", "timeout", 10.0), width=30) == "t" + "." * 12 + "Timed out  10.00s"


def test_line_skipped_shows_the_reason_instead_of_a_duration() -> None:
    line = format_line(skipped("pytest", "not in hook pre-commit"), width=50)
    assert line == "pytest" + "." * 12 + "Skipped (not in hook pre-commit)"
    assert len(line) == 50


def test_line_skipped_without_reason() -> None:
    assert format_line(skipped("pytest", ""), width=20) == "pytest.......Skipped"


def test_line_cached_shows_the_time_saved() -> None:
    line = format_line(cached("ruff-check", 1.2), width=40)
    assert line == "ruff-check" + "." * 10 + "Cached (saved 1.20s)"


def test_line_cancelled_before_start_shows_why() -> None:
    result = TaskResult(
        name="pytest", stage="test", status="cancelled", reason="fail-fast: mypy failed"
    )
    assert (
        format_line(result, width=45) == "pytest" + "." * 5 + "Cancelled (fail-fast: mypy failed)"
    )


def test_line_cancelled_while_running_shows_the_duration() -> None:
    line = format_line(ran("pytest", "cancelled", 0.25, reason="fail-fast: mypy failed"), width=30)
    assert line == "pytest" + "." * 8 + "Cancelled  0.25s"


def test_line_long_name_keeps_three_dots() -> None:
    name = "x" * 100
    assert format_line(ran(name), width=79) == name + "...Passed  1.00s"


def test_line_default_width_is_79() -> None:
    assert len(format_line(ran("mypy"))) == 79


@pytest.mark.parametrize(
    ("result", "code"),
    [
        (ran("a"), "\x1b[32m"),
        (cached("a"), "\x1b[32m"),
        (ran("a", "failed"), "\x1b[31m"),
        (ran("a", "timeout"), "\x1b[31m"),
        (ran("a", "modified"), "\x1b[33m"),
        (ran("a", "cancelled"), "\x1b[33m"),
        (skipped("a"), "\x1b[36m"),
    ],
)
def test_line_colors_only_the_label(result: TaskResult, code: str) -> None:
    plain = format_line(result, width=60)
    colored = format_line(result, width=60, color=True)
    label = status_label(result)
    assert "\x1b" not in plain
    assert colored == plain.replace(label, f"{code}{label}\x1b[0m", 1)


def test_details_failed() -> None:
    result = ran("mypy", "failed", output="a.py:1: error: boom\n")
    assert format_details(result) == "- exit code: 1\n\na.py:1: error: boom\n\n"


def test_details_output_is_kept_as_is_apart_from_surrounding_newlines() -> None:
    result = ran("t", "failed", output="\n  indented\n\n  more  \n\n")
    assert format_details(result) == "- exit code: 1\n\n  indented\n\n  more  \n\n"


def test_details_empty_output_has_no_block() -> None:
    assert format_details(ran("t", "failed", output="\n\n")) == "- exit code: 1\n"
    assert format_details(ran("t", "failed", output=" \n")) == "- exit code: 1\n"


def test_details_timeout() -> None:
    result = TaskResult(
        name="t", stage="test", status="timeout", duration=10.0, reason="after 10s", output="slow"
    )
    assert format_details(result) == "- timed out after 10s\n\nslow\n\n"


def test_details_timeout_without_reason_uses_the_duration() -> None:
    result = TaskResult(name="t", stage="test", status="timeout", duration=2.5)
    assert format_details(result) == "- timed out after 2.50s\n"


def test_details_modified_lists_the_files() -> None:
    result = ran("ruff-format", "modified", modified=("a.py", "b/c.py"))
    assert format_details(result) == (
        "- exit code: 1\n- files were modified by this task:\n  a.py\n  b/c.py\n"
    )


def test_details_reason_of_a_cancelled_task() -> None:
    result = TaskResult(name="t", stage="test", status="cancelled", reason="fail-fast: mypy failed")
    assert format_details(result) == "- fail-fast: mypy failed\n"


def test_details_skipped_reason_is_already_on_the_line() -> None:
    assert format_details(skipped("t")) == ""


def test_details_passed_without_output() -> None:
    assert format_details(ran("t")) == "- exit code: 0\n"


def report(*results: TaskResult, duration: float = 1.0, exit_code: int = 0) -> RunReport:
    return RunReport(results=results, exit_code=exit_code, duration=duration, jobs=4)


def test_summary_example() -> None:
    results = [ran(f"t{i}", duration=0.67) for i in range(6)]
    text = format_summary(report(*results, skipped("s"), duration=1.31))
    assert text == "6 passed, 1 skipped in 1.31s (tasks took 4.02s: 3.1x)"


def test_summary_counts_in_status_order_with_cached_after_passed() -> None:
    results = (
        skipped("s"),
        ran("c", "cancelled"),
        ran("t", "timeout"),
        ran("m", "modified"),
        ran("f", "failed"),
        cached("k"),
        ran("p"),
        ran("p2"),
    )
    text = format_summary(report(*results, duration=2.0))
    assert text == (
        "2 passed, 1 cached, 1 failed, 1 modified, 1 timed out, 1 cancelled, 1 skipped"
        " in 2.00s (tasks took 6.00s: 3.0x)"
    )


def test_summary_no_tasks() -> None:
    assert format_summary(report(duration=0.01)) == "no tasks in 0.01s"


def test_summary_without_speedup_when_nothing_ran() -> None:
    assert format_summary(report(skipped("a"), cached("b"), duration=0.2)) == (
        "1 cached, 1 skipped in 0.20s"
    )


def test_summary_without_speedup_when_wall_time_is_zero() -> None:
    assert format_summary(report(ran("a"), duration=0.0)) == "1 passed in 0.00s"


def test_summary_below_one_x_gives_the_task_time_without_a_ratio() -> None:
    assert format_summary(report(ran("a", duration=0.02), duration=0.1)) == (
        "1 passed in 0.10s (tasks took 0.02s)"
    )
    # 0.96x shows as 1.0x: the ratio is kept when it reads as at least 1.0x
    assert format_summary(report(ran("a", duration=0.96), duration=1.0)) == (
        "1 passed in 1.00s (tasks took 0.96s: 1.0x)"
    )


def test_summary_of_an_interrupted_run() -> None:
    interrupted = report(ran("a"), ran("b", "cancelled"), duration=0.5, exit_code=130)
    assert format_summary(interrupted) == (
        "Interrupted: 1 passed, 1 cancelled in 0.50s (tasks took 2.00s: 4.0x)"
    )
    assert format_summary(report(duration=0.5, exit_code=130)) == "Interrupted: no tasks in 0.50s"
    assert format_summary(report(skipped("a"), exit_code=143)) == "Terminated: 1 skipped in 1.00s"
    assert format_summary(report(ran("a", "failed"), exit_code=1)).startswith("1 failed in")


def run_printer(printer: Printer, *results: TaskResult, duration: float = 1.0) -> None:
    for result in results:
        if result.status != "skipped":
            printer.task_started(result.name)
        printer.task_finished(result)
    printer.finish(report(*results, duration=duration))


def test_printer_plain() -> None:
    out = io.StringIO()
    failed = ran("mypy", "failed", 0.5, output="boom\n")
    run_printer(Printer(out, width=30), ran("ruff"), failed, skipped("pytest", "x"))
    assert out.getvalue() == (
        "ruff" + "." * 13 + "Passed  1.00s\n"
        "mypy" + "." * 13 + "Failed  0.50s\n"
        "- exit code: 1\n\nboom\n\n"
        "pytest" + "." * 13 + "Skipped (x)\n"
        "1 passed, 1 failed, 1 skipped in 1.00s (tasks took 1.50s: 1.5x)\n"
    )


def test_printer_defaults_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    Printer().finish(report())
    assert capsys.readouterr().out == "no tasks in 1.00s\n"


def test_printer_verbose_shows_details_of_every_task() -> None:
    out = io.StringIO()
    run_printer(Printer(out, verbose=True, width=30), ran("ruff", output="ok"))
    assert out.getvalue().splitlines()[1:5] == ["- exit code: 0", "", "ok", ""]


def test_printer_quiet_prints_only_problems_and_the_summary() -> None:
    out = io.StringIO()
    results = (
        ran("ok"),
        skipped("s"),
        ran("c", "cancelled"),
        ran("f", "failed"),
        ran("t", "timeout"),
        ran("m", "modified", modified=("a.py",)),
    )
    run_printer(Printer(out, quiet=True, width=30), *results)
    lines = out.getvalue().splitlines()
    assert [line.split(".")[0] for line in lines if "..." in line] == ["f", "t", "m"]
    assert "- files were modified by this task:" in lines
    assert lines[-1].startswith("1 passed, 1 failed, 1 modified, 1 timed out")


def test_printer_color() -> None:
    out = io.StringIO()
    run_printer(Printer(out, color=True, width=30), ran("a"))
    assert out.getvalue() == (
        "a" + "." * 16 + "\x1b[32mPassed\x1b[0m  1.00s\n"
        "\x1b[32m1 passed in 1.00s (tasks took 1.00s: 1.0x)\x1b[0m\n"
    )


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("passed", "\x1b[32m"),
        ("failed", "\x1b[31m"),
        ("timeout", "\x1b[31m"),
        ("modified", "\x1b[33m"),
    ],
)
def test_printer_colors_the_summary_by_the_worst_status(status: str, code: str) -> None:
    out = io.StringIO()
    Printer(out, color=True).finish(report(ran("a"), ran("b", status)))
    assert out.getvalue().startswith(code)


def test_printer_without_color_writes_no_escapes() -> None:
    out = io.StringIO()
    run_printer(Printer(out, total=2), ran("a", "failed"), ran("b", "modified"))
    assert "\x1b" not in out.getvalue()
    assert "\r" not in out.getvalue()


def test_printer_live_line_is_redrawn_and_erased() -> None:
    out = io.StringIO()
    printer = Printer(out, live=True, width=30, total=4)
    printer.task_started("mypy")
    assert out.getvalue() == "running: mypy | 3 left" + HOME
    printer.task_started("pytest")
    assert out.getvalue().endswith(ERASE + "running: mypy, pytest | 2 left" + HOME)
    mark = len(out.getvalue())
    printer.task_finished(ran("mypy"))
    line = "mypy" + "." * 13 + "Passed  1.00s"
    assert out.getvalue()[mark:] == ERASE + line + "\n" + "running: pytest | 2 left" + HOME
    mark = len(out.getvalue())
    printer.task_finished(skipped("ruff"))
    printer.task_finished(skipped("black"))
    printer.task_finished(ran("pytest"))
    tail = out.getvalue()[mark:]
    assert tail.count(ERASE) == 3
    assert tail.endswith("Passed  1.00s\n")
    mark = len(out.getvalue())
    printer.finish(report(ran("mypy"), ran("pytest"), skipped("ruff"), skipped("black")))
    summary = "2 passed, 2 skipped in 1.00s (tasks took 2.00s: 2.0x)\n"
    # Nothing was left on the status line, so there is nothing to erase.
    assert out.getvalue()[mark:] == summary


def test_printer_live_line_is_erased_at_finish() -> None:
    out = io.StringIO()
    printer = Printer(out, live=True, total=2)
    printer.task_started("mypy")
    printer.finish(report(ran("mypy", "cancelled")))
    assert out.getvalue().endswith(
        "running: mypy | 1 left" + HOME + ERASE + "1 cancelled in 1.00s (tasks took 1.00s: 1.0x)\n"
    )


def test_printer_live_line_between_tasks_shows_what_is_left() -> None:
    out = io.StringIO()
    printer = Printer(out, live=True, quiet=True, total=2)
    printer.task_started("a")
    printer.task_finished(ran("a"))
    assert out.getvalue() == "running: a | 1 left" + HOME + ERASE + "1 left" + HOME


def test_printer_live_line_never_reaches_the_last_column() -> None:
    out = io.StringIO()
    printer = Printer(out, live=True, columns=13)
    printer.task_started("a-very-long-task-name")
    assert out.getvalue() == "running: a-v" + HOME


def test_printer_live_line_keeps_the_count_left_in_view() -> None:
    out = io.StringIO()
    printer = Printer(out, live=True, columns=42, total=6)
    for name in ("lint-c", "lint-a", "lint-b-with-a-rather-long-name"):
        printer.task_started(name)
    assert out.getvalue().rsplit(ERASE, 1)[-1] == "running: lint-c, lint-a, +1 more | 3 left" + HOME
    printer.columns = 34
    printer.task_started("lint-d")
    assert out.getvalue().rsplit(ERASE, 1)[-1] == "running: lint-c, +3 more | 2 left" + HOME
    printer.columns = 30  # the first name is cut rather than the count left
    printer.task_started("lint-e")
    assert out.getvalue().rsplit(ERASE, 1)[-1] == "running: li, +4 more | 1 left" + HOME


def test_printer_live_line_counts_columns_not_characters() -> None:
    out = io.StringIO()
    printer = Printer(out, live=True, columns=16)
    printer.task_started("\u691c\u67fb\u3059\u308b")  # four wide characters: 8 columns
    assert out.getvalue() == "running: \u691c\u67fb\u3059" + HOME
    assert text_columns(out.getvalue()[:-1]) == 15


def test_printer_live_line_shows_control_characters_as_question_marks() -> None:
    out = io.StringIO()
    Printer(out, live=True).task_started("a\x1b[2Jb")
    assert out.getvalue() == "running: a?[2Jb" + HOME


def test_fit_and_text_columns() -> None:
    assert fit("abcdef", 3) == "abc"
    assert fit("abc", 0) == ""
    assert fit("\u65e5\u672c\u8a9e", 5) == "\u65e5\u672c"
    assert fit("\u65e5\u672c\u8a9e", 6) == "\u65e5\u672c\u8a9e"
    # a combining accent stays with its letter and takes no column
    assert text_columns("cafe\u0301") == 4
    assert fit("cafe\u0301s", 4) == "cafe\u0301"
    assert text_columns("\u65e5x") == 3


def test_printer_clear_erases_the_live_line_until_the_next_event() -> None:
    out = io.StringIO()
    printer = Printer(out, live=True, total=2)
    printer.clear()
    assert out.getvalue() == ""
    printer.task_started("a")
    mark = len(out.getvalue())
    printer.clear()
    assert out.getvalue()[mark:] == ERASE
    printer.clear()
    assert out.getvalue()[mark:] == ERASE
    printer.task_started("b")
    assert out.getvalue()[mark:] == ERASE + "running: a, b" + HOME


def test_printer_interrupt_erases_the_line_for_good() -> None:
    out = io.StringIO()
    printer = Printer(out, live=True, total=3)
    printer.task_started("a")
    printer.task_started("b")
    mark = len(out.getvalue())
    printer.interrupt()
    assert out.getvalue()[mark:] == ERASE
    printer.task_finished(ran("a", "cancelled"))
    printer.task_finished(ran("b", "cancelled"))
    printer.finish(
        report(ran("a", "cancelled"), ran("b", "cancelled"), skipped("c"), exit_code=130)
    )
    assert out.getvalue()[mark:] == ERASE + (
        "a" + "." * 62 + "Cancelled  1.00s\n"
        "b" + "." * 62 + "Cancelled  1.00s\n"
        "Interrupted: 2 cancelled, 1 skipped in 1.00s (tasks took 2.00s: 2.0x)\n"
    )


def test_interrupted_summary_is_yellow_even_when_all_passed() -> None:
    out = io.StringIO()
    printer = Printer(out, color=True)
    printer.interrupt()
    printer.finish(report(ran("a"), exit_code=130))
    assert (
        out.getvalue() == "\x1b[33mInterrupted: 1 passed in 1.00s (tasks took 1.00s: 1.0x)\x1b[0m\n"
    )


def test_terminal_columns_reads_the_terminal_at_every_call() -> None:
    master, slave = pty.openpty()
    with open(slave, "w", closefd=True) as stream, open(master, "rb", buffering=0) as reader:
        resize(slave, 33)
        assert terminal_columns(stream) == 33
        printer = Printer(stream, live=True, total=2)
        printer.task_started("a-task-with-a-name-longer-than-the-terminal")
        first = read_available(reader)
        resize(slave, 24)
        assert terminal_columns(stream) == 24
        printer.task_started("b")
        second = read_available(reader)
    assert first == b"running: a-task-with-a- | 1 left\r"  # 32 columns
    assert second == ERASE.encode() + b"running: a-tas, +1 more\r"  # 23 columns
    assert terminal_columns(io.StringIO()) == 79
    closed = Tty()
    closed.close()
    assert terminal_columns(closed) == 79


def resize(fd: int, columns: int, rows: int = 24) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def read_available(reader: io.RawIOBase) -> bytes:
    data = b""
    while select.select([reader], [], [], 0.2)[0]:
        chunk = reader.read(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_live_allowed() -> None:
    assert live_allowed(Tty(), {"TERM": "xterm"})
    assert live_allowed(Tty(), {})
    assert not live_allowed(io.StringIO(), {})
    assert not live_allowed(Tty(), {"CI": "true"})
    assert not live_allowed(Tty(), {"TERM": "dumb"})
    closed = Tty()
    closed.close()
    assert not live_allowed(closed, {})


def test_color_allowed() -> None:
    assert color_allowed("always", io.StringIO(), {"NO_COLOR": "1"})
    assert not color_allowed("never", Tty(), {})
    assert color_allowed("auto", Tty(), {})
    assert color_allowed("auto", Tty(), {"NO_COLOR": ""})
    assert not color_allowed("auto", Tty(), {"NO_COLOR": "1"})
    assert not color_allowed("auto", Tty(), {"TERM": "dumb"})
    assert not color_allowed("auto", io.StringIO(), {})
    with pytest.raises(ValueError, match="auto, always or never"):
        color_allowed("sometimes", Tty(), {})


def full_report() -> RunReport:
    return RunReport(
        results=(
            TaskResult(
                name="ruff-format",
                stage="format",
                status="modified",
                exit_code=0,
                duration=0.1 + 0.2,
                start=0.0,
                end=0.3,
                cmd=("ruff", "format"),
                files=("a.py", "b.py"),
                output="1 file reformatted\n",
                modified=("a.py",),
            ),
            cached("ruff-check"),
            skipped("pytest", "not in hook pre-commit"),
            TaskResult(
                name="mypy",
                stage="lint",
                status="timeout",
                duration=10.0,
                start=0.3,
                end=10.3,
                cmd=("mypy",),
                reason="after 10s",
            ),
        ),
        exit_code=1,
        duration=10.4,
        jobs=4,
    )


TASK_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "stage": str,
    "status": str,
    "exit_code": (int, type(None)),
    "duration": float,
    "start": (float, type(None)),
    "end": (float, type(None)),
    "cmd": list,
    "files": list,
    "output": str,
}


def check_schema(doc: dict[str, object]) -> None:
    assert list(doc) == ["version", "exit_code", "duration", "tasks"]
    assert doc["version"] == 1
    assert isinstance(doc["exit_code"], int)
    assert isinstance(doc["duration"], float)
    assert isinstance(doc["tasks"], list)
    for task in doc["tasks"]:
        assert list(task)[: len(TASK_KEYS)] == list(TASK_KEYS)
        assert set(task) - set(TASK_KEYS) <= {"reason", "modified", "cached"}
        for key, kind in TASK_KEYS.items():
            assert isinstance(task[key], kind), key
        assert task["status"] in STATUSES
        assert all(isinstance(item, str) for item in task["cmd"] + task["files"])


def test_to_json() -> None:
    doc = to_json(full_report())
    check_schema(doc)
    modified, hit, skip, timeout = doc["tasks"]
    assert modified == {
        "name": "ruff-format",
        "stage": "format",
        "status": "modified",
        "exit_code": 0,
        "duration": 0.3,
        "start": 0.0,
        "end": 0.3,
        "cmd": ["ruff", "format"],
        "files": ["a.py", "b.py"],
        "output": "1 file reformatted\n",
        "modified": ["a.py"],
    }
    assert hit["status"] == "passed"
    assert hit["cached"] is True
    assert "reason" not in hit
    assert "modified" not in hit
    assert skip["reason"] == "not in hook pre-commit"
    assert skip["start"] is None
    assert skip["end"] is None
    assert skip["exit_code"] is None
    assert "cached" not in skip
    assert timeout["status"] == "timeout"
    assert timeout["reason"] == "after 10s"


def test_to_json_empty_modified_list_for_a_modified_task() -> None:
    doc = to_json(report(ran("f", "modified")))
    assert doc["tasks"][0]["modified"] == []


def test_write_json_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    write_json(full_report(), str(target))
    doc = json.loads(target.read_text())
    check_schema(doc)
    assert doc == to_json(full_report())
    assert os.listdir(tmp_path) == ["out.json"]


def test_write_json_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    write_json(full_report(), "-")
    assert json.loads(capsys.readouterr().out) == to_json(full_report())


def test_write_json_failure_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "a-directory"
    target.mkdir()
    (target / "keep").write_text("")
    with pytest.raises(OSError):  # noqa: PT011 - the errno differs between systems
        write_json(full_report(), str(target))
    assert sorted(os.listdir(tmp_path)) == ["a-directory"]


def test_write_json_to_a_missing_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_json(full_report(), str(tmp_path / "missing" / "out.json"))


def test_import_stays_light() -> None:
    code = "import hookrunner.report, sys; print('click' in sys.modules, 'asyncio' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


STOPPABLE = """
jobs = 2
[tasks.quick]
cmd = "true"
pass_filenames = false
always_run = true
[tasks.slow]
cmd = ["sleep", "30"]
pass_filenames = false
always_run = true
"""


@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [(signal.SIGINT, 130, "Interrupted"), (signal.SIGTERM, 143, "Terminated")],
)
def test_a_stopped_run_says_so_on_its_summary_line(
    repo: Path, cleanup_pids: list[int], signum: int, code: int, word: str
) -> None:
    write_config(repo, STOPPABLE)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hookrunner", "run", "--all-files", "--no-cache"],
        cwd=repo,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    cleanup_pids.append(proc.pid)
    assert proc.stdout is not None
    first = proc.stdout.readline()  # quick is done, slow runs
    assert first.startswith("quick...")
    assert "Passed" in first
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert out.splitlines()[-1].startswith(f"{word}: 1 passed, 1 cancelled in ")
