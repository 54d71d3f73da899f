"""Time the engine alone (executor + subprocess supervision), no CLI, no git.

Reproduces the design document's table (6 x 250 ms with 6 slots, 5 x 300 ms
with 5 slots) with real ``sleep`` processes through ``run_subprocess_async``,
and measures what the engine itself costs per task: in-process no-op tasks,
and ``true`` processes next to the bare cost of spawning ``true``.

usage: python benchmarks/engine.py [--runs N]

Compile the package first (``python -m compileall -q hookrunner``) so the
numbers do not include byte-compiling it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hookrunner import ParallelExecutor, ToolTask, run_subprocess_async


@dataclass(frozen=True)
class Sample:
    wall: float
    task_time: float
    mean_duration: float


def run_tasks(tasks: Sequence[ToolTask], slots: int) -> Sample:
    executor = ParallelExecutor(max_concurrency=slots)
    started = time.perf_counter()
    results = asyncio.run(executor.execute_parallel(tasks))
    wall = time.perf_counter() - started
    bad = [name for name, r in results.items() if r["status"] != "success"]
    if bad:
        raise SystemExit(f"benchmark tasks failed: {', '.join(bad)}")
    stats = executor.get_statistics()
    return Sample(wall, stats.task_time, stats.task_time / len(tasks))


def sleeps(count: int, seconds: float, slots: int) -> Sample:
    tasks = [
        ToolTask(
            name=f"sleep{i}", func=run_subprocess_async, kwargs={"cmd": ["sleep", f"{seconds}"]}
        )
        for i in range(count)
    ]
    return run_tasks(tasks, slots)


async def _noop() -> None:
    return None


def noops(count: int, slots: int) -> Sample:
    return run_tasks([ToolTask(name=f"noop{i}", func=_noop) for i in range(count)], slots)


def trues(count: int, slots: int) -> Sample:
    tasks = [
        ToolTask(name=f"true{i}", func=run_subprocess_async, kwargs={"cmd": ["true"]})
        for i in range(count)
    ]
    return run_tasks(tasks, slots)


def bare_spawns(count: int) -> Sample:
    """The OS's part of a ``true`` task: spawn, wait, one at a time."""
    started = time.perf_counter()
    for _ in range(count):
        subprocess.run(["true"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, check=True)
    wall = time.perf_counter() - started
    return Sample(wall, wall, wall / count)


def spread(values: Sequence[float], scale: float = 1.0, fmt: str = "{:.1f}") -> str:
    median = fmt.format(statistics.median(values) * scale)
    low, high = fmt.format(min(values) * scale), fmt.format(max(values) * scale)
    return f"{median} [{low} - {high}]"


def repeat(runs: int, measure: Callable[[], Sample]) -> list[Sample]:
    measure()  # warm-up: first spawn of sleep/true, page cache, imports
    return [measure() for _ in range(runs)]


def report_sleeps(runs: int, count: int, seconds: float, slots: int) -> None:
    samples = repeat(runs, lambda: sleeps(count, seconds, slots))
    walls = [s.wall for s in samples]
    speedups = [s.task_time / s.wall for s in samples]
    ms = seconds * 1000
    print(f"{count} x sleep {seconds:g} s, {slots} slots")
    print(f"  sequential baseline   {count} x {ms:.0f} ms = {count * ms:.0f} ms")
    print(f"  wall time             {spread(walls, 1000)} ms")
    print(f"  over one task         {spread([w - seconds for w in walls], 1000)} ms")
    print(f"  speedup (task/wall)   {spread(speedups, fmt='{:.2f}')}x  (limit {count}.0x)")
    print(f"  vs sequential         {spread([count * seconds / w for w in walls], fmt='{:.2f}')}x")


def report_overhead(runs: int) -> None:
    noop = repeat(runs, lambda: noops(1000, 5))
    print("1000 no-op in-process async tasks, 5 slots")
    print(f"  wall time             {spread([s.wall for s in noop], 1000)} ms")
    print(f"  per task              {spread([s.wall / 1000 for s in noop], 1e6)} us")

    true = repeat(runs, lambda: trues(100, 5))
    bare = repeat(runs, lambda: bare_spawns(100))
    print("100 x true, 5 slots")
    print(f"  wall time             {spread([s.wall for s in true], 1000)} ms")
    print(f"  wall per task         {spread([s.wall / 100 for s in true], 1000, '{:.2f}')} ms")
    print(f"  task duration (mean)  {spread([s.mean_duration for s in true], 1000, '{:.2f}')} ms")
    print(f"  bare spawn+wait       {spread([s.mean_duration for s in bare], 1000, '{:.2f}')} ms")


def machine() -> str:
    watch = "pidfd" if hasattr(os, "pidfd_open") else "polling"
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{platform.platform()}, {os.cpu_count()} CPUs, {python}, exit watch: {watch}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per workload")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    print(f"machine: {machine()}")
    print(f"median [min - max] of {args.runs} runs, after one warm-up run\n")
    report_sleeps(args.runs, 6, 0.25, 6)
    report_sleeps(args.runs, 5, 0.3, 5)
    report_overhead(args.runs)


if __name__ == "__main__":
    main()
