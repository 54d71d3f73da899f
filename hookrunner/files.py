"""Which of a run's files each task sees: gitignore-style globs and identify tags."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

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


class Classifier:
    """Built once per run from the run's file list; caches identify tags per file.

    ``known``: what an earlier run's filters kept of every tracked file, per
    task (a receipt of the quick path): filters judge each file alone, so a
    task keeps those of this run's files, and no file is read again.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        files: Sequence[str],
        known: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.root = root
        self.files = tuple(files)
        self._known = known
        self._tags: dict[str, frozenset[str]] = {}
        # tasks often share filters (ruff format, ruff check and mypy on types=["python"])
        self._selected: dict[tuple[tuple[str, ...], ...], list[str]] = {}

    def over(self, files: Sequence[str]) -> Classifier:
        """A classifier of other files that shares the file types found so far."""
        other = Classifier(self.root, files)
        other._tags = self._tags
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
        """The run's files, in order, that the task's files, exclude and types let through."""
        if self._known is not None:
            return self._from_known(self._known[task.name])
        key = (task.files, task.exclude, task.types)
        selected = self._selected.get(key)
        if selected is None:
            selected = list(self.files)
            if task.files:
                match = _matcher(task.files)
                selected = [path for path in selected if match(path)]
            if task.exclude:
                match = _matcher(task.exclude)
                selected = [path for path in selected if not match(path)]
            if task.types:
                types = frozenset(task.types)
                selected = [path for path in selected if types <= self.tags(path)]
            self._selected[key] = selected
        return list(selected)

    def _from_known(self, kept: Sequence[str]) -> list[str]:
        if len(kept) == len(self.files) and list(kept) == list(self.files):
            return list(kept)  # a run on every tracked file
        keep = set(kept)
        return [path for path in self.files if path in keep]
