"""Skip what already passed on the same content: reading the contents from git.

:mod:`hookrunner.cache.keys` holds the keys and the store; here the run's files are
named by blob id (the index's id for a file whose work-tree copy matches the
index, the same id computed from the bytes on disk for any other file) and a
:class:`Keyer` is made for each cached task.
"""

from __future__ import annotations

from collections.abc import Iterable

from hookrunner.cache.keys import (
    DIRECTORY,
    FORMAT,
    MAX_ENTRIES,
    MAX_OUTPUT,
    Entry,
    Keyer,
    Store,
    all_cached,
    blob_id,
    config_name,
    definition,
    disk_ident,
    tool_identity,
    which,
)
from hookrunner.files import Classifier, compile_globs
from hookrunner.git import commands as git
from hookrunner.git.changes import zsplit
from hookrunner.model import Config, TaskConfig

__all__ = [
    "DIRECTORY",
    "FORMAT",
    "MAX_ENTRIES",
    "MAX_OUTPUT",
    "Contents",
    "Entry",
    "Keyer",
    "Store",
    "all_cached",
    "blob_id",
    "definition",
    "keyers",
    "tool_identity",
    "which",
]


class Contents:
    """What each file of the repository contains, as a task would read it.

    Read from git once, on first use: the index's blob ids and the files
    whose work-tree copy differs from the index. Files a format task changed
    during the run are marked dirty and read from disk from then on.
    """

    def __init__(
        self,
        repo: git.Repo,
        index_only: bool = False,
        records: list[tuple[str, str, str, str]] | None = None,
    ) -> None:
        self.repo = repo
        # In a run on staged files the tasks see the index (unstaged work is
        # hidden from them), whatever the work tree holds now.
        self.index_only = index_only
        self.records = records
        """The index as :func:`git.index_records` reads it, once read."""
        self._index = None if records is None else git.index_entries(records)
        self._checked = False
        self._worktree: list[str] | None = None
        self._dirty: set[str] = set()
        self._read: dict[str, str] = {}

    def _load(self) -> dict[str, str]:
        if self._index is None:
            self.records = git.index_records(self.repo)
            self._index = git.index_entries(self.records)
        if not self._checked:
            self._checked = True
            if not self.index_only:
                self._dirty.update(self.worktree_changes())
        return self._index

    def worktree_changes(self) -> list[str]:
        """Tracked files whose work-tree copy git finds changed from the index (asked once)."""
        if self._worktree is None:
            changed = git.call(self.repo, "diff-files", "--name-only", "-z", "--no-ext-diff")
            self._worktree = zsplit(changed.stdout)
        return self._worktree

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
            self._read[path] = disk_ident(self.repo.root, path)
        return self._read[path]


def keyers(
    tasks: Iterable[TaskConfig],
    repo: git.Repo,
    config: Config,
    path_env: str | None,
    index_only: bool = False,
    records: list[tuple[str, str, str, str]] | None = None,
    classifier: Classifier | None = None,
) -> tuple[Contents, dict[str, Keyer]]:
    """A :class:`Keyer` for each task whose results are cached (``records``:
    the index, when the caller has already read it; ``classifier``: the run's,
    whose file types are reused)."""
    contents = Contents(repo, index_only, records)
    result: dict[str, Keyer] = {}
    tasks = [t for t in tasks if t.cache]
    if not tasks:
        return contents, result
    config_file = config_name(config.path, repo.root)
    tracked = contents.tracked()
    whole = classifier.over(tracked) if classifier else Classifier(repo.root, tracked)
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
