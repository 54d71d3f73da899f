from __future__ import annotations

import itertools
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hookrunner.model import RunReport, Slice, TaskResult
from hookrunner.trace import to_trace, write_trace


def sample() -> RunReport:
    return RunReport(
        results=(
            TaskResult(
                name="ruff-check",
                stage="lint",
                status="passed",
                exit_code=0,
                duration=0.5,
                start=0.0,
                end=0.3,
                slices=(
                    Slice(slot=0, start=0.0, end=0.3, label="ruff-check [1/2]"),
                    Slice(slot=1, start=0.0, end=0.2, label="ruff-check [2/2]"),
                ),
            ),
            TaskResult(name="pytest", stage="test", status="skipped", reason="no files to check"),
            TaskResult(
                name="mypy",
                stage="lint",
                status="failed",
                exit_code=1,
                duration=1.0000004,
                start=0.3,
                end=1.3000004,
                slices=(Slice(slot=0, start=0.3, end=1.3000004, label="mypy"),),
            ),
        ),
        exit_code=1,
        duration=1.31,
        jobs=3,
    )


def events(trace: dict[str, Any], phase: str) -> list[dict[str, Any]]:
    return [event for event in trace["traceEvents"] if event["ph"] == phase]


def test_trace_events() -> None:
    trace = to_trace(sample())
    assert trace["displayTimeUnit"] == "ms"
    assert events(trace, "X") == [
        {
            "name": "ruff-check [1/2]",
            "cat": "lint",
            "ph": "X",
            "ts": 0,
            "dur": 300000,
            "pid": 1,
            "tid": 1,
            "args": {"status": "passed", "exit_code": 0},
        },
        {
            "name": "ruff-check [2/2]",
            "cat": "lint",
            "ph": "X",
            "ts": 0,
            "dur": 200000,
            "pid": 1,
            "tid": 2,
            "args": {"status": "passed", "exit_code": 0},
        },
        {
            "name": "mypy",
            "cat": "lint",
            "ph": "X",
            "ts": 300000,
            "dur": 1000000,
            "pid": 1,
            "tid": 1,
            "args": {"status": "failed", "exit_code": 1},
        },
    ]


def test_trace_names_the_process_and_every_slot() -> None:
    meta = events(to_trace(sample()), "M")
    assert meta[0]["name"] == "process_name"
    assert meta[0]["args"] == {"name": "hookrunner"}
    threads = {event["tid"]: event["args"]["name"] for event in meta[1:]}
    assert threads == {1: "slot 1", 2: "slot 2", 3: "slot 3"}
    assert {event["name"] for event in meta[1:]} == {"thread_name"}


def test_trace_names_slots_beyond_jobs() -> None:
    result = TaskResult(
        name="a", stage="lint", status="passed", slices=(Slice(slot=4, start=0, end=1, label="a"),)
    )
    trace = to_trace(RunReport(results=(result,), exit_code=0, duration=1.0, jobs=1))
    assert [event["tid"] for event in events(trace, "M")] == [0, 1, 2, 3, 4, 5]


def test_skipped_tasks_have_no_slice() -> None:
    names = {event["name"] for event in events(to_trace(sample()), "X")}
    assert "pytest" not in names


def test_write_trace(tmp_path: Path) -> None:
    path = tmp_path / "trace.json"
    write_trace(sample(), str(path))
    assert json.loads(path.read_text()) == to_trace(sample())
    assert os.listdir(tmp_path) == ["trace.json"]


@st.composite
def reports(draw: st.DrawFn) -> RunReport:
    """Reports as the runner makes them: on each slot, one slice at a time."""
    jobs = draw(st.integers(min_value=1, max_value=4))
    results = []
    clocks = [0.0] * jobs
    for index in range(draw(st.integers(min_value=0, max_value=8))):
        status = draw(st.sampled_from(["passed", "failed", "timeout", "cancelled", "skipped"]))
        slices = []
        if status != "skipped":
            for part in range(draw(st.integers(min_value=1, max_value=3))):
                slot = draw(st.integers(min_value=0, max_value=jobs - 1))
                start = clocks[slot] + draw(st.floats(min_value=0, max_value=2))
                end = start + draw(st.floats(min_value=0, max_value=2))
                clocks[slot] = end
                slices.append(Slice(slot=slot, start=start, end=end, label=f"t{index} [{part}]"))
        results.append(
            TaskResult(name=f"t{index}", stage="lint", status=status, slices=tuple(slices))
        )
    return RunReport(results=tuple(results), exit_code=0, duration=max(clocks), jobs=jobs)


@given(reports())
def test_slices_on_a_slot_never_overlap(report: RunReport) -> None:
    trace = json.loads(json.dumps(to_trace(report)))
    by_tid: defaultdict[int, list[tuple[int, int]]] = defaultdict(list)
    for event in events(trace, "X"):
        assert isinstance(event["ts"], int)
        assert isinstance(event["dur"], int)
        assert event["ts"] >= 0
        assert event["dur"] >= 0
        assert 1 <= event["tid"] <= report.jobs
        by_tid[event["tid"]].append((event["ts"], event["ts"] + event["dur"]))
    for spans in by_tid.values():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start
    expected = sum(len(result.slices) for result in report.results)
    assert len(events(trace, "X")) == expected
