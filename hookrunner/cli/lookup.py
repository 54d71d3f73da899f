"""How one command line asks the result cache, and feeds it.

Used by the engine's invocation (:mod:`hookrunner.cli.invoke`) and, before the
event loop exists, by :mod:`hookrunner.cli.headstart`: nothing here imports
asyncio.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from hookrunner.model import TaskConfig
from hookrunner.plan import PlannedTask

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
