"""Which of a run's files each task sees: gitignore-style globs, files only, and
identify tags.

Only files reach tools: regular files and symlinks to files. A submodule (a
gitlink), a folder, a symlink to a folder or anything else that is not a file
never does; a symlink that leads nowhere reaches only a task that asks for
symlinks by type. Telling them apart must not cost a stat per file on a run of
thousands: git's index knows each tracked path's kind (a gitlink is mode
160000, a symlink 120000), so only symlinks, and paths git does not track, are
looked at on disk.
"""

from __future__ import annotations

import functools
import operator
import os
import stat
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

    from hookrunner.model import TaskConfig


def compile_globs(patterns: Sequence[str]) -> GitIgnoreSpec:
    """A gitignore-style matcher: ``*.py`` at any depth, ``/x`` at the root, ``!`` negates."""
    return _compile(tuple(patterns))


@functools.cache
def _compile(patterns: tuple[str, ...]) -> GitIgnoreSpec:
    # pathspec costs ~17 ms to import: a config without globs never pays it
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines(patterns)


@functools.cache
def _matcher(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    spec = compile_globs(patterns)
    if any(pattern.include is False for pattern in spec.patterns):
        return spec.match_file
    # Without negations gitignore rules reduce to "any pattern matches", and git's paths need
    # none of pathspec's normalizing: calling the regexes directly is twice as fast.
    matchers = [p.regex.search for p in spec.patterns if p.include and p.regex is not None]

    def match(path: str) -> bool:
        for matcher in matchers:  # noqa: SIM110 (any() over a generator costs half the gain)
            if matcher(path):
                return True
        return False

    return match


Records = Sequence[tuple[str, str, str, str]]
"""The index as ``git.index_records`` gives it: (mode, blob id, stage, path)."""

GITLINK, SYMLINK = "160000", "120000"
LOOK_LIMIT = 1000
"""Up to this many paths are looked at on disk (one lstat each, a few
milliseconds); more are told apart by the index, which git lists in about the
time of 5,000 lstats."""
_FILE, _NOT_FILE, _DANGLING = 0, 1, 2


class _Index(NamedTuple):
    tracked: frozenset[str]
    odd: dict[str, str]
    """The mode of each gitlink and symlink."""


def _index_of(records: Records) -> _Index:
    # Most indexes hold neither: the one pass in Python is saved then.
    odd = {}
    if not set(map(operator.itemgetter(0), records)).isdisjoint((GITLINK, SYMLINK)):
        odd = {path: mode for mode, _oid, _stage, path in records if mode in (GITLINK, SYMLINK)}
    return _Index(frozenset(map(operator.itemgetter(3), records)), odd)


def _read_index(root: str) -> _Index | None:
    from hookrunner.git.spawn import git_output

    # Without the object ids git lists the index in half the time (git 2.38 and later).
    out = git_output(root, "ls-files", "-z", "--format=%(objectmode)\t%(path)")
    if out is None:
        out = git_output(root, "ls-files", "-s", "-z")
    return None if out is None else _listed(os.fsdecode(out))


def _listed(text: str) -> _Index:
    """The index from ``ls-files -z`` records: mode, object id and stage when listed,
    a tab, the path."""
    # Every path starts where the first one does.
    records = text.split("\0")[:-1]
    start = records[0].index("\t") + 1 if records else 0
    odd = {}
    if text.startswith((GITLINK, SYMLINK)) or any(f"\0{m}" in text for m in (GITLINK, SYMLINK)):
        odd = {r[start:]: r[:6] for r in records if r.startswith((GITLINK, SYMLINK))}
    return _Index(frozenset(map(operator.itemgetter(slice(start, None)), records)), odd)


def _target(path: str) -> int:
    try:
        return _FILE if stat.S_ISREG(os.stat(path).st_mode) else _NOT_FILE
    except (OSError, ValueError):
        return _DANGLING


def _look(path: str) -> int:
    try:
        mode = os.lstat(path).st_mode
    except (OSError, ValueError):
        # Gone since git listed it: kept, as before, for the tool to report.
        return _FILE
    if stat.S_ISLNK(mode):
        return _target(path)
    return _FILE if stat.S_ISREG(mode) else _NOT_FILE


class _Kinds:
    """What the paths that need a look are, learnt once per run and shared by its
    classifiers."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.kinds: dict[str, int] = {}
        self.index: _Index | None = None
        self.index_read = False

    def _learn(self, paths: Sequence[str], records: Records | None) -> set[str]:
        """Those of ``paths`` whose kind the index does not tell, each looked at once."""
        if self.index is None and records is not None:
            self.index = _index_of(records)
        elif self.index is None and not self.index_read and len(paths) > LOOK_LIMIT:
            self.index_read = True
            self.index = _read_index(self.root)
        index = self.index
        wanted = set(paths)
        # Tracked paths other than gitlinks and symlinks are files: no look needed.
        looks = wanted if index is None else wanted - index.tracked | wanted & index.odd.keys()
        for path in looks - self.kinds.keys():
            mode = None if index is None else index.odd.get(path)
            full = os.path.join(self.root, path)
            kind = _look(full) if mode is None else _target(full) if mode == SYMLINK else _NOT_FILE
            self.kinds[path] = kind
        return looks

    def files(self, paths: list[str], records: Records | None, links: bool) -> list[str]:
        """``paths`` that are files (``links``: symlinks that lead nowhere too)."""
        kinds = self.kinds
        keep = (_FILE, _DANGLING) if links else (_FILE,)
        dropped = {path for path in self._learn(paths, records) if kinds[path] not in keep}
        return [path for path in paths if path not in dropped] if dropped else paths


def tags_can_meet(tags: frozenset[str]) -> bool:
    """Whether one file can have every tag: identify gives a file one type, one
    mode, one encoding, and the tags of one extension, one file name or one
    shebang interpreter. (A name that joins two of them, such as ``wscript.pyi``,
    does not count.)"""
    from identify import extensions, interpreters
    from identify.identify import ENCODING_TAGS, MODE_TAGS, TYPE_TAGS

    if tags & TYPE_TAGS - {"file"}:
        return len(tags) == 1
    if len(tags & MODE_TAGS) > 1 or len(tags & ENCODING_TAGS) > 1:
        return False
    kind = tags - TYPE_TAGS - MODE_TAGS - ENCODING_TAGS
    if not kind:
        return True
    encoding = tags & ENCODING_TAGS
    named = (
        *extensions.EXTENSIONS.values(),
        *extensions.EXTENSIONS_NEED_BINARY_CHECK.values(),
        *extensions.NAMES.values(),
    )
    by_shebang = () if "non-executable" in tags else interpreters.INTERPRETERS.values()
    return any(
        kind <= found and (not found & ENCODING_TAGS or encoding <= found)
        for found in (*named, *by_shebang)
    )


def _by_regex(paths: list[str], files: Sequence[str], exclude: Sequence[str]) -> list[str]:
    """pre-commit's filter: every ``files`` expression found in the path, no ``exclude`` one."""
    import re

    keep = [re.compile(pattern).search for pattern in files]
    drop = [re.compile(pattern).search for pattern in exclude]
    return [
        path
        for path in paths
        if all(search(path) for search in keep) and not any(search(path) for search in drop)
    ]


def _fits(
    tags: frozenset[str], every: frozenset[str], some: frozenset[str], none: frozenset[str]
) -> bool:
    """pre-commit's test: ``types`` all, ``types_or`` any, ``exclude_types`` none."""
    return every <= tags and (not some or not some.isdisjoint(tags)) and none.isdisjoint(tags)


def _owned(files: Sequence[str], project: str, nested: Sequence[str]) -> list[str]:
    """The files of a workspace project: under its folder and under none of the
    projects inside it (the deepest project owns a file)."""
    if project:
        prefix = project + "/"
        files = [path for path in files if path.startswith(prefix)]
    if nested:
        inner = tuple(folder + "/" for folder in nested)
        return [path for path in files if not path.startswith(inner)]
    return list(files)


class Classifier:
    """Built once per run from the run's file list; caches identify tags per file.

    ``records``: the index, when the caller has read it (see :data:`Records`);
    otherwise git is asked for it when many files need telling apart.
    ``known``: what an earlier run's filters kept of every tracked file, per
    task (a receipt of the quick path): filters judge each file alone, so a
    task keeps those of this run's files, and no file is read again.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        files: Sequence[str],
        records: Records | None = None,
        known: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.root = root
        self.files = tuple(files)
        self._records = records
        self._known = known
        self._tags: dict[str, frozenset[str]] = {}
        self._kinds = _Kinds(os.fspath(root))
        # tasks often share filters (ruff format, ruff check and mypy on types=["python"])
        self._selected: dict[tuple[tuple[str, ...], ...], list[str]] = {}
        self._warn = True
        self._warned: set[str] = set()

    def over(self, files: Sequence[str], records: Records | None = None) -> Classifier:
        """A classifier of other files that shares what is known of them so far, and
        prints no warnings (they are about the run's files)."""
        other = Classifier(self.root, files, records)
        other._tags = self._tags
        other._kinds = self._kinds
        other._warn = False
        return other

    def tags(self, path: str) -> frozenset[str]:
        tags = self._tags.get(path)
        if tags is None:
            # identify costs ~3 ms to import: runs without type filters never pay it
            from identify.identify import tags_from_path

            try:
                tags = frozenset(tags_from_path(os.path.join(self.root, path)))
            except (ValueError, OSError):  # gone since git listed it, or unreadable
                tags = frozenset()
            self._tags[path] = tags
        return tags

    def select(self, task: TaskConfig) -> list[str]:
        """The run's files, in order, that are files and that the task's files,
        exclude, types, types_or and exclude_types let through."""
        if self._known is not None:
            return self._from_known(self._known[task.name])
        if self._warn and task.regex_like:
            self._warn_unmatched(task)
        key = (
            task.files, task.exclude, task.types, task.types_or, task.exclude_types,
            (task.project,), task.nested, task.files_re, task.exclude_re,
        )  # fmt: skip
        selected = self._selected.get(key)
        if selected is None:
            selected = _owned(self.files, task.project, task.nested)
            # A project's globs are relative to its folder.
            cut = len(task.project) + 1 if task.project else 0
            if task.files:
                match = _matcher(task.files)
                selected = [path for path in selected if match(path[cut:])]
            if task.exclude:
                match = _matcher(task.exclude)
                selected = [path for path in selected if not match(path[cut:])]
            if task.files_re or task.exclude_re:
                selected = _by_regex(selected, task.files_re, task.exclude_re)
            links = "symlink" in task.types or "symlink" in task.types_or
            selected = self._kinds.files(selected, self._records, links)
            if task.types or task.types_or or task.exclude_types:
                every, some = frozenset(task.types), frozenset(task.types_or)
                none = frozenset(task.exclude_types)
                selected = [p for p in selected if _fits(self.tags(p), every, some, none)]
            self._selected[key] = selected
        return list(selected)

    def _from_known(self, kept: Sequence[str]) -> list[str]:
        if len(kept) == len(self.files) and list(kept) == list(self.files):
            return list(kept)  # a run on every tracked file
        keep = set(kept)
        return [path for path in self.files if path in keep]

    def _warn_unmatched(self, task: TaskConfig) -> None:
        for warning, pattern in task.regex_like:
            if warning in self._warned:
                continue
            self._warned.add(warning)
            match = _matcher((pattern,))
            if not any(match(path) for path in self.files):
                print(f"hookrunner: warning: {warning}", file=sys.stderr)
