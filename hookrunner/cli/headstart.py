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
from typing import TYPE_CHECKING, Any, NamedTuple

from hookrunner.cli.watch import Fingerprint, fingerprint
from hookrunner.engine.child import start_child, stop_child
from hookrunner.model import TaskConfig
from hookrunner.plan import Invocation, PlannedTask

if TYPE_CHECKING:
    from hookrunner.cache.contents import Contents
    from hookrunner.cache.keys import Keyer
    from hookrunner.cache.store import Store

    Cache = tuple[Store, Contents, Mapping[str, Keyer]]

Result = dict[str, Any]


class CacheUse(NamedTuple):
    """How one invocation consults and feeds the result cache."""

    keyer: Keyer
    store: Store
    cmd: tuple[str, ...]
    cwd: str
    files: tuple[str, ...]
    """Repo-relative: the files this invocation is given."""
    whole: tuple[str, ...] = ()
    """The task's files when it has several command lines (else empty)."""


def cache_use(
    cache: Cache | None, task: TaskConfig, files: tuple[str, ...], planned: PlannedTask
) -> CacheUse | None:
    if cache is None or task.name not in cache[2]:
        return None
    store, _, keyers = cache
    whole = planned.files if len(planned.invocations) > 1 else ()
    return CacheUse(keyers[task.name], store, task.cmd, task.cwd, files, whole)


def cached(output: str, saved: float) -> Result:
    return {"status": "success", "output": output, "error": None, "exit_code": 0,
            "cached": True, "saved": saved}  # fmt: skip


class Lookup(NamedTuple):
    """What the cache holds for one invocation."""

    hit: Result | None
    """The whole answer, when every key is a hit."""
    missing: dict[str, tuple[str, ...]]
    """Each key that missed, with the files it vouches for."""


NO_LOOKUP = Lookup(None, {})


def look_up(cache: CacheUse) -> Lookup:
    # Keys are computed now, not when planning: a formatter that ran before
    # this task may have changed what it reads.
    keys = cache.keyer.keys(cache.files)
    entries = {key: cache.store.get(key) for key in keys}
    missing = {key: keys[key] for key, entry in entries.items() if entry is None}
    if missing:
        return Lookup(_whole_hit(cache, missing), missing)
    hits = [entry for entry in entries.values() if entry is not None]
    return Lookup(cached("".join(e.output for e in hits), sum(e.duration for e in hits)), {})


def _whole_hit(cache: CacheUse, missing: dict[str, tuple[str, ...]]) -> Result | None:
    """One of several command lines of a task keyed by the tree: a pass of
    the whole task on the same tree vouches for its files too (an earlier run
    may not have split the task alike, see hookrunner/wavefront.py). The
    part's own key is then learned."""
    if not cache.whole or cache.keyer.task.cache == "per-file":
        return None
    entries = [cache.store.get(key) for key in cache.keyer.keys(cache.whole)]
    if not entries or None in entries:
        return None
    found = [e for e in entries if e is not None]
    first = cache.files[:1] == cache.whole[:1]
    # The task's output once, with its first command line.
    output = "".join(e.output for e in found) if first else ""
    share = len(cache.files) / len(cache.whole)
    saved = sum(e.duration for e in found) * share
    return {**cached(output, saved), "learned": missing, "took": saved}


def remember(cache: CacheUse, missing: Mapping[str, object], duration: float, output: str) -> None:
    from hookrunner.cache.store import Entry

    # Per-file entries vouch for one file each and keep no output.
    kept = "" if cache.keyer.task.cache == "per-file" else output
    for key in missing:
        cache.store.put(key, Entry(duration / len(missing), kept))


def command(argv: Sequence[str], cache: CacheUse | None, lookup: Lookup) -> Sequence[str]:
    """The command line to run: a per-file cached task gets only the files
    whose keys missed."""
    if cache is None or cache.keyer.task.cache != "per-file":
        return argv
    from hookrunner.plan import relative

    todo = [name for names in lookup.missing.values() for name in names]
    return [*cache.cmd, *relative(todo, cache.cwd)]


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
        # Waiting only for earlier stages: an optimistic run starts it early.
        starts_early = early is not None and planned.after == planned.barrier
        if planned.after and not (starts_early and planned.name not in (early or ())):
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
    ) -> None:
        """Start the plan's first command lines (see :func:`first_lines`); one the
        cache answers, or that cannot start, is left to the engine. ``low``: the
        tasks started at a lower CPU priority (:mod:`hookrunner.cli.priority`),
        started last; the others start longest first by ``durations``: each
        start takes a moment, and the run waits for the longest task."""
        if threading.current_thread() is not threading.main_thread():
            return
        took = durations or {}
        lines = sorted(
            first_lines(plan, jobs, early),
            key=lambda line: (line[0].name in low, -took.get(line[0].name, 0.0)),
        )
        with _signals_noted():
            for planned, inv in lines:
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
