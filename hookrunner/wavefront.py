"""Formatters that share files, in a wavefront: one writer per file at a time.

Format tasks whose files overlap used to run one after another, whole. Here
the files of such formatters are cut into parts by one partition that every
one of them shares (the sorted union of their files in contiguous chunks, so a
file is in the same part for each formatter), and each command line waits only
for the command lines of earlier-declared formatters that share a file with
it: formatter B fixes part 1 while A fixes part 2. No file has two writers at
once, declaration order still decides which writer goes first on each file,
and each command line's changes are still its own (it fingerprints the files
it is given before and after it runs).

A part costs each formatter one more process start, so a formatter is split
only when its duration in earlier runs says its work outweighs that: at least
:data:`PART_SECONDS` per part and :data:`MIN_PART_FILES` files per part, and
no more parts than the run has slots or the machine has cores. A ``serial``
formatter (pre-commit's ``require_serial``: every file in one command line)
is never split; it waits for the parts before it and the parts after it wait
for it.

A tool may read a configuration file (``pyproject.toml``, ...) that another
formatter fixes. Those files go into the first part, and a command line given
one waits for every command line of the earlier formatters, while every
command line of a later formatter waits for the earlier formatters' command
lines given one: a configuration file is never written while another
formatter of the wavefront runs, and is read as the formatters before have
left it (formatters on other files ran beside it before, and still do). A command
line given no filenames may read any file: it waits for, and is waited for
by, every command line of the formatters it shares files with.
"""

# No ``from __future__ import annotations``: see hookrunner/plan.py.

import os
from collections.abc import Collection, Mapping, Sequence

PART_SECONDS = 0.25
"""The least work, by a formatter's duration in earlier runs, worth a part
of its own (a Python tool's start alone takes some 30 to 80 ms)."""
IDLE_PART_SECONDS = 0.012
"""The same when the other cores would be idle: a part that is mostly a
process start still overlaps the next formatter's start with this one's work
(a chain of pre-commit-hooks fixers of ~30 ms each: 4% less wall time on 2
cores), but beside other work it only adds CPU time (7% more wall time on a
pre-commit configuration with lint hooks)."""
MIN_PART_FILES = 8
"""The fewest files in a part (a small commit is not split)."""


class Partition:
    """Which part of the shared files each file is in, and which formatters are split."""

    def __init__(self, part: Mapping[str, int], split: Collection[str], config: Collection[str]):
        self.part = dict(part)
        self.split = frozenset(split)
        self.config = frozenset(config)
        """The shared files a tool may read as its configuration."""

    def groups(self, task: str, files: Sequence[str]) -> list[list[str]]:
        """``files`` of ``task`` by part, in their order within each part."""
        if task not in self.split:
            return [list(files)]
        parts: dict[int, list[str]] = {}
        for name in files:
            parts.setdefault(self.part.get(name, 0), []).append(name)
        return [parts[i] for i in sorted(parts)]


NO_PARTS = Partition({}, (), ())


def partition(
    files: Mapping[str, Sequence[str]],
    durations: Mapping[str, float],
    slots: int,
    whole: Collection[str] = (),
    beside: float = 0.0,
) -> Partition:
    """The parts of the files of the formatters that share files (``files``:
    each such formatter's files), from their ``durations`` in earlier runs.
    The formatters in ``whole`` are never split (a ``serial`` task gets every
    file in one command line, a task given no filenames reads them all).
    ``beside``: the seconds of the run's other tasks, which may run beside the
    formatters; when they cannot fill the other cores for as long as the
    formatters run one after another, parts may be as small as
    :data:`IDLE_PART_SECONDS`."""
    from hookrunner.cache.keys import config_files  # only a run with such formatters

    union = sorted({name for names in files.values() for name in names})
    config = config_files(union)
    cores = os.cpu_count() or 1
    chain = sum(durations.get(t, 0.0) for t in files)
    least = IDLE_PART_SECONDS if beside < (cores - 1) * chain else PART_SECONDS
    heavy = [t for t in files if t not in whole and durations.get(t, 0.0) >= 2 * least]
    most = max((durations[t] for t in heavy), default=0.0)
    count = min(slots, cores, int(most / least), len(union) // MIN_PART_FILES)
    if count < 2:
        return Partition({}, (), config)
    chosen = set(config)
    ordered = config + [name for name in union if name not in chosen]
    size = -(-len(ordered) // count)
    part = {name: i // size for i, name in enumerate(ordered)}
    return Partition(part, heavy, config)


class Piece:
    """One command line as the wavefront sees it."""

    def __init__(self, name: str, files: Sequence[str], whole: bool, config: Collection[str]):
        self.name = name
        self.files = frozenset(files)
        self.whole = whole or not files
        """It may read any file (no filenames given)."""
        self.config = not self.files.isdisjoint(config)

    def waits_for(self, earlier: "Piece") -> bool:
        """Whether this command line goes after ``earlier``'s (of an earlier
        formatter that shares files with this one's)."""
        return (
            self.whole
            or earlier.whole
            or self.config
            or earlier.config
            or not self.files.isdisjoint(earlier.files)
        )


def waits(
    pieces: Mapping[str, Sequence[Piece]], writers: Mapping[str, Sequence[str]]
) -> dict[str, tuple[str, ...]]:
    """For each command line of each formatter in ``writers`` (its earlier
    formatters that share files with it), the earlier command lines it waits for."""
    found: dict[str, tuple[str, ...]] = {}
    for task, earlier in writers.items():
        for piece in pieces[task]:
            found[piece.name] = tuple(
                other.name
                for before in earlier
                for other in pieces[before]
                if piece.waits_for(other)
            )
    return found
