"""The ``--trace`` file: a run as Chrome Trace Events, for Perfetto or chrome://tracing."""

from __future__ import annotations

from typing import Any

from hookrunner.model import RunReport
from hookrunner.report import write_text

_PID = 1


def _us(seconds: float) -> int:
    # Start and end round on their own: rounding is monotonic, so slices that
    # touch or follow each other on a slot still do after conversion.
    return max(0, round(seconds * 1_000_000))


def to_trace(report: RunReport) -> dict[str, Any]:
    """One complete ("X") event per slice, one thread per concurrency slot."""
    slices = []
    slots = report.jobs
    for result in report.results:
        pieces = [(piece, False) for piece in result.slices]
        pieces += [(piece, True) for piece in result.discarded]
        for piece, dropped in pieces:
            slots = max(slots, piece.slot + 1)
            start = _us(piece.start)
            args: dict[str, Any] = {"status": result.status, "exit_code": result.exit_code}
            if dropped:
                args = {"status": "discarded", "reason": piece.reason}
            slices.append(
                {
                    "name": f"{piece.label} (discarded)" if dropped else piece.label,
                    "cat": "discarded" if dropped else result.stage,
                    "ph": "X",
                    "ts": start,
                    "dur": max(0, _us(piece.end) - start),
                    "pid": _PID,
                    "tid": piece.slot + 1,
                    "args": args,
                }
            )
    slices.sort(key=lambda event: (event["ts"], event["tid"]))
    meta: list[dict[str, Any]] = [
        {"name": "process_name", "ph": "M", "pid": _PID, "tid": 0, "args": {"name": "hookrunner"}}
    ]
    meta.extend(
        {"name": "thread_name", "ph": "M", "pid": _PID, "tid": tid, "args": {"name": f"slot {tid}"}}
        for tid in range(1, slots + 1)
    )
    return {"traceEvents": meta + slices, "displayTimeUnit": "ms"}


def write_trace(report: RunReport, path: str) -> None:
    import json  # only a run with --trace pays for it

    write_text(path, json.dumps(to_trace(report)) + "\n")
