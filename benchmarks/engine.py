"""Time the engine alone (executor + subprocess supervision), no CLI, no git.

Reproduces the design document's table (6 x 250 ms with 6 slots, 5 x 300 ms
with 5 slots) with real ``sleep`` processes through ``run_subprocess_async``,
and measures what the engine itself costs per task: in-process no-op tasks,
and ``true`` processes next to the bare cost of spawning ``true``.

usage: python benchmarks/engine.py [--runs N] [--scale]

``--scale`` measures only the engine's own cost on large graphs (trivial
coroutine tasks against a plain ``asyncio.Semaphore`` + ``gather``, a chain
beside idle tasks, the two error paths, the plan against ``graphlib``), in
CPU time of this process, so that other load on the machine counts less.

Compile the package first (``python -m compileall -q hookrunner``) so the
numbers do not include byte-compiling it.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import graphlib
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hookrunner import CircularDependencyError, ParallelExecutor, ToolTask, run_subprocess_async


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


# -- scale: the engine's own cost on large graphs ------------------------------------


def cpu(func: Callable[[], object]) -> float:
    started = time.process_time()
    func()
    return time.process_time() - started


def semaphore_gather(count: int, slots: int) -> None:
    async def main() -> None:
        limit = asyncio.Semaphore(slots)

        async def one() -> None:
            async with limit:
                await _noop()

        await asyncio.gather(*(one() for _ in range(count)))

    asyncio.run(main())


def executor_run(count: int, slots: int) -> float:
    """CPU seconds of ``execute_parallel`` alone (the task list is built first)."""
    tasks = [ToolTask(name=f"t{i}", func=_noop) for i in range(count)]
    executor = ParallelExecutor(max_concurrency=slots)
    return cpu(lambda: asyncio.run(executor.execute_parallel(tasks)))


def chain_run(steps: int, idle: int) -> float:
    """CPU seconds of a run of a ``steps`` chain while ``idle`` tasks wait for its end."""
    done = asyncio.Event()

    async def last() -> None:
        done.set()

    async def wait() -> None:
        await done.wait()

    chain = [ToolTask(name="c0", func=_noop)]
    chain += [ToolTask(name=f"c{i}", func=_noop, depends_on=[f"c{i - 1}"]) for i in range(1, steps)]
    chain.append(ToolTask(name="end", func=last, depends_on=[f"c{steps - 1}"]))
    # The idle tasks come first, so they hold their slots while the chain runs.
    tasks = [ToolTask(name=f"idle{i}", func=wait) for i in range(idle)] + chain
    executor = ParallelExecutor(max_concurrency=idle + 1)

    async def main() -> None:
        done.clear()
        await executor.execute_with_dependencies(tasks)

    return cpu(lambda: asyncio.run(main()))


def step_cost(idle: int) -> float:
    """CPU seconds per step of a chain: 2,000 steps against 200, so the idle
    tasks' own start and end cancel out."""
    return (chain_run(2000, idle) - chain_run(200, idle)) / 1800


def graph_tasks(count: int, shape: str) -> list[ToolTask]:
    def deps(i: int) -> list[str]:
        if shape == "chain":
            return [f"t{i - 1}"] if i else []
        if shape == "layers":  # 100 wide, each on three of the layer before
            return [f"t{j}" for j in (i - 100, i - 101, i - 150) if j >= 0]
        return []

    return [ToolTask(name=f"t{i}", func=_noop, depends_on=deps(i)) for i in range(count)]


def graphlib_plan(tasks: Sequence[ToolTask]) -> None:
    list(graphlib.TopologicalSorter({t.name: t.depends_on for t in tasks}).static_order())


def error_paths(count: int) -> tuple[float, float, int]:
    executor = ParallelExecutor()
    duplicate = [*graph_tasks(count, "independent"), ToolTask(name=f"t{count - 1}", func=_noop)]

    def plan(tasks: Sequence[ToolTask]) -> None:
        try:
            executor.get_execution_plan(tasks)
        except ValueError:
            return
        raise SystemExit("benchmark graph was accepted")

    cycle = graph_tasks(count, "chain")
    cycle[0].depends_on = [f"t{count - 1}"]
    try:
        executor.get_execution_plan(cycle)
        raise SystemExit("benchmark cycle was accepted")
    except CircularDependencyError as exc:
        message = len(str(exc))
    return cpu(lambda: plan(duplicate)), cpu(lambda: plan(cycle)), message


def report_scale(runs: int) -> None:
    print("trivial coroutine tasks, CPU ms: executor vs Semaphore + gather")
    for count in (1_000, 10_000, 50_000):
        for slots in (5, 1000):
            ours = [executor_run(count, slots) for _ in range(runs)]
            base = [cpu(functools.partial(semaphore_gather, count, slots)) for _ in range(runs)]
            ratio = statistics.median(ours) / statistics.median(base)
            print(f"  N={count:>6,} slots={slots:<5} {spread(ours, 1000, '{:.0f}')}"
                  f" vs {spread(base, 1000, '{:.0f}')}  ({ratio:.2f}x)")  # fmt: skip
    alone = [step_cost(0) for _ in range(runs)]
    beside = [step_cost(4000) for _ in range(runs)]
    print("2,000-step chain, CPU us per step")
    print(f"  alone                 {spread(alone, 1e6)}")
    print(f"  beside 4,000 idle     {spread(beside, 1e6)}")
    paths = [error_paths(50_000) for _ in range(runs)]
    print("50,000 tasks, CPU ms")
    print(f"  duplicate name last   {spread([p[0] for p in paths], 1000)}")
    print(f"  cycle through all     {spread([p[1] for p in paths], 1000)}"
          f"  (message {paths[0][2]} characters)")  # fmt: skip
    executor = ParallelExecutor()
    for shape in ("independent", "chain", "layers"):
        tasks = graph_tasks(50_000, shape)
        ours = [cpu(functools.partial(executor.get_execution_plan, tasks)) for _ in range(runs)]
        base = [cpu(functools.partial(graphlib_plan, tasks)) for _ in range(runs)]
        ratio = statistics.median(ours) / statistics.median(base)
        print(f"  plan, {shape:<15} {spread(ours, 1000)} vs graphlib {spread(base, 1000)}"
              f"  ({ratio:.2f}x)")  # fmt: skip


def machine() -> str:
    watch = "pidfd" if hasattr(os, "pidfd_open") else "polling"
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{platform.platform()}, {os.cpu_count()} CPUs, {python}, exit watch: {watch}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per workload")
    parser.add_argument("--scale", action="store_true", help="only the large-graph costs")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    print(f"machine: {machine()}")
    print(f"median [min - max] of {args.runs} runs, after one warm-up run\n")
    if args.scale:
        report_scale(args.runs)
        return
    report_sleeps(args.runs, 6, 0.25, 6)
    report_sleeps(args.runs, 5, 0.3, 5)
    report_overhead(args.runs)


if __name__ == "__main__":
    main()
