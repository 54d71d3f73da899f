"""Skip what already passed on the same content.

A result is keyed by everything the task can be seen to read: its definition,
the tool's executable, the Python version, the configuration file, the
content of the files in its scope and of its ``cache_inputs``. Content is
named by git blob id: the index's id for a file whose work-tree copy matches
the index, the same id computed from the bytes on disk for any other file,
so a staged run, a pre-push run and a run on the work tree agree on what a
file is. Only passes are stored.

The store is one small text file per key under the git directory, written
atomically, so two runs at once never see half an entry; a damaged entry is
dropped with a warning.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from hookrunner import git
from hookrunner.config import Config, TaskConfig
from hookrunner.files import Classifier, compile_globs
from hookrunner.plan import PlannedTask
from hookrunner.report import TaskResult

FORMAT = 1
DIRECTORY = "hookrunner-cache"
MAX_ENTRIES = 20_000
"""Past this many entries the oldest fifth is removed."""
_MAGIC = f"hookrunner-cache {FORMAT}"
MAX_OUTPUT = 64 * 1024
"""Characters of a passing task's output kept to show again with ``-v``."""


class Entry(NamedTuple):
    duration: float
    output: str


def _warn(message: str) -> None:
    print(f"hookrunner: {message}", file=sys.stderr)


class Store:
    """Entries under ``<git dir>/hookrunner-cache``, named by key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.written = 0

    def _entry(self, key: str) -> Path:
        return self.path / key[:2] / key[2:]

    def get(self, key: str) -> Entry | None:
        path = self._entry(key)
        try:
            magic, duration, output = path.read_text(encoding="utf-8").split("\n", 2)
            if magic != _MAGIC:
                raise ValueError(magic)
            entry = Entry(float(duration), output)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            _warn(f"ignoring a damaged cache entry ({path})")
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used entries survive pruning
        return entry

    def put(self, key: str, entry: Entry) -> None:
        path = self._entry(key)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(
                f"{_MAGIC}\n{entry.duration!r}\n{entry.output[-MAX_OUTPUT:]}",
                encoding="utf-8",
                errors="surrogateescape",
            )
            os.replace(tmp, path)
        except OSError as exc:
            _warn(f"cannot write the cache ({exc.strerror or exc}); results are not kept")
            with contextlib.suppress(OSError):
                tmp.unlink()
            return
        self.written += 1

    def entries(self) -> list[Path]:
        try:
            return [p for d in self.path.iterdir() if d.is_dir() for p in d.iterdir()]
        except OSError:
            return []

    def prune(self, limit: int = MAX_ENTRIES) -> int:
        """Keep the store bounded: drop the least recently used fifth past ``limit``."""
        entries = self.entries()
        if len(entries) <= limit:
            return 0
        entries.sort(key=_mtime)
        doomed = entries[: len(entries) - limit * 4 // 5]
        for path in doomed:
            with contextlib.suppress(OSError):
                path.unlink()
        return len(doomed)

    def clear(self) -> int:
        import shutil

        count = len(self.entries())
        shutil.rmtree(self.path, ignore_errors=True)
        return count


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def blob_id(data: bytes) -> str:
    """The id git gives a blob with this content."""
    import hashlib  # a run with nothing to cache never pays for OpenSSL

    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


class Contents:
    """What each file of the repository contains, as a task would read it.

    Read from git once, on first use: the index's blob ids and the files
    whose work-tree copy differs from the index. Files a format task changed
    during the run are marked dirty and read from disk from then on.
    """

    def __init__(
        self, repo: git.Repo, index_only: bool = False, index: dict[str, str] | None = None
    ) -> None:
        self.repo = repo
        # In a run on staged files the tasks see the index (unstaged work is
        # hidden from them), whatever the work tree holds now.
        self.index_only = index_only
        self._index = index
        self._checked = False
        self._dirty: set[str] = set()
        self._read: dict[str, str] = {}

    def _load(self) -> dict[str, str]:
        if self._index is None:
            self._index = git.index_entries(self.repo)
        if not self._checked:
            self._checked = True
            if not self.index_only:
                changed = git.run(self.repo, "diff-files", "--name-only", "-z", "--no-ext-diff")
                self._dirty.update(git.zsplit(changed.stdout))
        return self._index

    def tracked(self) -> list[str]:
        return list(self._load())

    def mark_dirty(self, files: Iterable[str]) -> None:
        for name in files:
            self._dirty.add(name)
            self._read.pop(name, None)

    def ident(self, path: str) -> str:
        index = self._load()
        if path in index and path not in self._dirty:
            return index[path]
        if path not in self._read:
            try:
                self._read[path] = blob_id((self.repo.root / path).read_bytes())
            except OSError:
                self._read[path] = "missing"
        return self._read[path]


def which(name: str, path_env: str | None) -> str | None:
    """What ``exec`` would run for ``name`` (shutil.which without importing
    shutil, which a hook would pay for on every commit)."""
    if os.sep in name:
        return name if os.access(name, os.X_OK) and not os.path.isdir(name) else None
    for folder in (path_env if path_env is not None else os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or os.curdir, name)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None


def tool_identity(argv0: str, path_env: str | None) -> list[object]:
    """The executable a command resolves to, with its size and modification time."""
    found = which(argv0, path_env)
    if found is None:
        return [argv0, None]
    try:
        info = os.stat(found)
    except OSError:
        return [found, None]
    return [os.path.realpath(found), info.st_size, info.st_mtime_ns]


def definition(task: TaskConfig) -> dict[str, object]:
    """The parts of a task's configuration that can change its result."""
    return {
        "name": task.name,
        "cmd": list(task.cmd),
        "stage": task.stage,
        "env": [list(pair) for pair in task.env],
        "cwd": task.cwd,
        "files": list(task.files),
        "exclude": list(task.exclude),
        "types": list(task.types),
        "pass_filenames": task.pass_filenames,
        "always_run": task.always_run,
        "cache": task.cache,
    }


class Keyer(NamedTuple):
    """Computes cache keys for one task; the shared parts are computed once."""

    task: TaskConfig
    contents: Contents
    tool: list[object]
    config_file: str
    inputs: Sequence[str]
    scope: Sequence[str] | None
    """For tasks that are not given filenames, every tracked file their
    filters match: such a tool reads the whole project."""

    def _base(self) -> list[object]:
        return [
            FORMAT,
            definition(self.task),
            self.tool,
            sys.version,
            self.contents.ident(self.config_file),
            [(p, self.contents.ident(p)) for p in self.inputs],
        ]

    def keys(self, files: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """The keys for an invocation on ``files``, each with the files it
        vouches for: one per file in per-file mode, else one for them all."""
        base = self._base()
        ident = self.contents.ident
        if self.task.cache == "per-file":
            return {_digest([*base, "per-file", f, ident(f)]): (f,) for f in files}
        scope = self.scope if self.scope is not None else files
        return {_digest([*base, [(p, ident(p)) for p in scope]]): tuple(files)}


def _digest(material: object) -> str:
    import hashlib

    # repr of str, int, float, bool, None, list and tuple is exact and stable.
    return hashlib.sha256(repr(material).encode("utf-8", "surrogateescape")).hexdigest()


def keyers(
    tasks: Iterable[TaskConfig],
    repo: git.Repo,
    config: Config,
    path_env: str | None,
    index_only: bool = False,
    index: dict[str, str] | None = None,
) -> tuple[Contents, dict[str, Keyer]]:
    """A :class:`Keyer` for each task whose results are cached (``index``: the
    index's entries, when the caller has already read them)."""
    contents = Contents(repo, index_only, index)
    result: dict[str, Keyer] = {}
    tasks = [t for t in tasks if t.cache]
    if not tasks:
        return contents, result
    try:
        config_file = config.path.resolve().relative_to(repo.root.resolve()).as_posix()
    except ValueError:
        config_file = str(config.path.resolve())
    tracked = contents.tracked()
    whole = Classifier(repo.root, tracked)
    for task in tasks:
        inputs = []
        if task.cache_inputs:  # pathspec is a costly import: only when there are globs
            spec = compile_globs(task.cache_inputs)
            inputs = [p for p in tracked if spec.match_file(p)]
        result[task.name] = Keyer(
            task=task,
            contents=contents,
            tool=tool_identity(task.cmd[0], path_env),
            config_file=config_file,
            inputs=inputs,
            scope=None if task.pass_filenames else whole.select(task),
        )
    return contents, result


def all_cached(
    plan: Sequence[PlannedTask], store: Store, keyers: Mapping[str, Keyer], started: float
) -> list[TaskResult] | None:
    """Every task's result from the cache, or None if any task has to run.

    Keys are normally taken as each task starts, after the formatters before
    it. When every task is a hit, no formatter runs and nothing changes, so
    the keys taken now are the keys the run would take: the run needs no
    executor, and unstaged work need not even be hidden.
    """
    found: list[tuple[PlannedTask, list[Entry]]] = []
    for planned in plan:
        if planned.skip:
            continue
        keyer = keyers.get(planned.name)
        if keyer is None:
            return None
        entries: list[Entry] = []
        for inv in planned.invocations:
            for key in keyer.keys(inv.files):
                entry = store.get(key)
                if entry is None:
                    return None
                entries.append(entry)
        found.append((planned, entries))
    at = time.perf_counter() - started
    return [
        TaskResult(
            name=planned.name,
            stage=planned.stage,
            status="passed",
            exit_code=0,
            start=at,
            end=at,
            cmd=planned.task.cmd,
            files=planned.files,
            output="".join(e.output for e in entries),
            cached=True,
            saved=sum(e.duration for e in entries),
        )
        for planned, entries in found
    ]
