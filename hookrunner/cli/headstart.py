"""A run's first command lines, started before the event loop exists.

Importing asyncio and building the engine take a run ~20 ms. The command lines
that nothing comes before (no stage before theirs in the plan, no
``depends_on``, no earlier formatter sharing a file) start the moment the
engine does, whatever order it picks, as long as they fit in the run's slots.
So they are started first, here, with the same preparation the engine's
invocation makes (the cache is asked, the files are fingerprinted), and the
engine supervises the running child when it reaches that command line (see
``_invoke`` in :mod:`hookrunner.cli.invoke`). Their time and timeout count
from the start.

A child the engine never reached (Ctrl-C while asyncio is imported, an error
before the run) is stopped and reaped by :meth:`HeadStart.stop`. While the
children are started, SIGINT and SIGTERM are noted and raised once each child
is on the list :meth:`HeadStart.stop` stops: a signal landing inside
``Popen`` would otherwise leave a child that nobody waits for. (Blocking the
signals instead would leave them blocked in the children.)

Nothing here imports asyncio.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NamedTuple

from hookrunner.cli.lookup import NO_LOOKUP, Lookup, cache_use, command, look_up
from hookrunner.cli.watch import Fingerprint, fingerprint
from hookrunner.engine.child import keep_core, start_child, stop_child
from hookrunner.plan import Invocation, PlannedTask

if TYPE_CHECKING:
    from hookrunner.cli.lookup import Cache


def task_env(base: Mapping[str, str], planned: PlannedTask) -> dict[str, str]:
    return {**base, **dict(planned.task.env)}


class Started(NamedTuple):
    """A command line already running, and what its invocation learned first."""

    popen: subprocess.Popen[bytes]
    at: float
    """``time.perf_counter()`` when it started."""
    argv: tuple[str, ...]
    before: Fingerprint
    lookup: Lookup


def first_lines(
    plan: Sequence[PlannedTask], jobs: int, early: frozenset[str] | None = None
) -> list[tuple[PlannedTask, Invocation]]:
    """The command lines that wait for nothing, and with ``early`` (an optimistic
    run's tasks seen writing files, which never start early) those that wait
    only for earlier stages, if they all fit in ``jobs`` slots: the engine
    starts them all at once. Else only the first kind, if they fit (which of
    them start first is otherwise the engine's choice), else none."""
    first: list[tuple[PlannedTask, Invocation]] = []
    then: list[tuple[PlannedTask, Invocation]] = []
    for planned in plan:
        if planned.skip or planned.depends_on:
            continue
        # What waits must wait only for earlier stages, which an optimistic run
        # lets it start beside.
        if planned.after and (
            early is None or planned.after != planned.barrier or planned.name in early
        ):
            continue
        found = then if planned.after else first
        for index, inv in enumerate(planned.invocations):
            # A serial task's command lines run one after another.
            if not inv.after and not (planned.serial and index):
                found.append((planned, inv))
    for lines in (first + then, first):
        if len(lines) <= jobs:
            return lines
    return []


class HeadStart:
    """The children started before the engine, until the engine takes them."""

    def __init__(self) -> None:
        self._running: dict[str, Started] = {}
        self.origin: float | None = None
        """When the first child started (``time.perf_counter()``), if one did."""
        self.kept = False
        """Whether a core is kept for the tasks that do not yield
        (:func:`hookrunner.engine.child.keep_core`)."""

    def start(
        self,
        plan: Sequence[PlannedTask],
        jobs: int,
        root: Path,
        env: Mapping[str, str],
        cache: Cache | None,
        early: frozenset[str] | None = None,
        low: frozenset[str] = frozenset(),
        durations: Mapping[str, float] | None = None,
        keep: bool = False,
    ) -> None:
        """Start the plan's first command lines (see :func:`first_lines`); one the
        cache answers, or that cannot start, is left to the engine. ``low``: the
        tasks started at a lower CPU priority (:mod:`hookrunner.cli.priority`),
        started last; the others start longest first by ``durations``: each
        start takes a moment, and the run waits for the longest task.
        ``keep``: once the others run, a core is kept for them
        (:func:`hookrunner.engine.child.keep_core`)."""
        if threading.current_thread() is not threading.main_thread():
            return
        took = durations or {}
        lines = sorted(
            first_lines(plan, jobs, early),
            key=lambda line: (line[0].name in low, -took.get(line[0].name, 0.0)),
        )
        with _signals_noted():
            for planned, inv in lines:
                if keep and not self.kept and planned.name in low:
                    self.kept = keep_core()
                task = planned.task
                use = cache_use(cache, task, inv.files, planned)
                lookup = NO_LOOKUP if use is None else look_up(use)
                if lookup.hit is not None:
                    continue
                argv = tuple(command(inv.argv, use, lookup))
                before = fingerprint(root, inv.files, task.stage == "format")
                at = time.perf_counter()
                try:
                    popen = start_child(
                        argv, root / task.cwd, task_env(env, planned), task.name in low
                    )
                except OSError:
                    continue  # the engine starts it again and reports why it cannot
                self._running[inv.name] = Started(popen, at, argv, before, lookup)
                if self.origin is None:
                    self.origin = at
            if keep and not self.kept:
                self.kept = keep_core()

    def take(self, name: str) -> Started | None:
        """The running child of command line ``name``, now the caller's to supervise."""
        return self._running.pop(name, None)

    def stop(self, grace: float) -> None:
        """Stop and reap every child not taken."""
        while self._running:
            _name, started = self._running.popitem()
            stop_child(started.popen, grace)


@contextlib.contextmanager
def _signals_noted() -> Iterator[None]:
    """SIGINT and SIGTERM noted inside, raised through their handlers at the end."""
    noted: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        noted.append(signum)

    previous = {signum: signal.signal(signum, note) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            # None: a handler set outside Python, which cannot be put back as such.
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        if noted:
            signal.raise_signal(noted[0])
