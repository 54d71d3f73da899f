"""The records a run is made of: the configuration, the task results and the
run's report, and the names of stages and hooks.

Kept apart from the TOML reading and validation in :mod:`hookrunner.config`
so that a run answered from the cache (:mod:`hookrunner.cli.quick`) can use them
without importing tomllib or pathlib.
"""

# No ``from __future__ import annotations`` here: typing.NamedTuple turns each
# string annotation into a ForwardRef by compiling it, which costs every run
# (a git hook) about a millisecond per few records; real annotations cost nothing.

from os import PathLike
from typing import NamedTuple

STAGES: tuple[str, ...] = ("format", "lint", "test")
GIT_HOOKS: tuple[str, ...] = (
    "pre-commit",
    "pre-push",
    "commit-msg",
    "prepare-commit-msg",
    "post-checkout",
    "post-merge",
    "post-commit",
    "post-rewrite",
    "pre-rebase",
    "pre-merge-commit",
)
"""The git hooks hookrunner installs itself as."""
HOOKS: tuple[str, ...] = (*GIT_HOOKS, "manual")
"""What a task's ``hooks`` may name: a git hook, or ``manual`` (a run by hand)."""
DEFAULT_HOOKS: tuple[str, ...] = ("pre-commit", "pre-push", "manual")
"""A task's ``hooks`` when it names none."""
ARGUMENT_HOOKS = frozenset(
    {"commit-msg", "prepare-commit-msg", "post-commit", "post-rewrite", "pre-rebase"}
)
"""Hooks about a message or a history, not files: their tasks are given git's
arguments instead of filenames, and always run."""


class TaskConfig(NamedTuple):
    name: str
    cmd: tuple[str, ...]
    stage: str = "lint"
    depends_on: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    pass_filenames: bool = True
    always_run: bool = False
    timeout: float = 300.0
    env: tuple[tuple[str, str], ...] = ()
    cwd: str = ""
    hooks: frozenset[str] = frozenset(DEFAULT_HOOKS)
    priority: int = 0
    stage_fixed: bool = False
    cache: bool | str = False
    cache_inputs: tuple[str, ...] = ()
    types_or: tuple[str, ...] = ()
    """identify tags of which a file needs at least one (no constraint when empty)."""
    exclude_types: tuple[str, ...] = ()
    """identify tags of which a file may have none."""
    regex_like: tuple[tuple[str, str], ...] = ()
    """``(warning, pattern)`` for each ``files`` or ``exclude`` pattern that looks like
    a pre-commit regular expression: a run prints the warning (which names the
    configuration file and key) when the pattern matches none of its files."""
    position: int = 0
    project: str = ""
    """The folder of the project the task belongs to ("" for the root project):
    the task sees the run's files under it, its globs are relative to it."""
    nested: tuple[str, ...] = ()
    """The folders of the projects inside the task's own: their files are theirs."""

    files_re: tuple[str, ...] = ()
    """Python regular expressions a path must all match (``re.search``, pre-commit's
    ``files``)."""
    exclude_re: tuple[str, ...] = ()
    """Python regular expressions a path must match none of (pre-commit's ``exclude``)."""
    serial: bool = False
    """The task's command lines run one after another (pre-commit's ``require_serial``)."""
    origin: str = ""
    """Where a task not written in the table comes from, for its cache key: a
    pre-commit hook's repository, rev, definition and environment."""
    hook_id: str = ""
    """A pre-commit hook's ``id``, which ``SKIP`` names as well as the task's name."""
    verbose: bool = False
    """Its output is shown when it passes too (pre-commit's ``verbose``)."""


class Project(NamedTuple):
    """One ``pyproject.toml`` with a ``[tool.paratools]`` table in a workspace."""

    dir: str
    """Repository-relative folder, "" for the root project."""
    file: str
    """Its configuration file as messages name it."""
    tests_wait_for_lint: bool = True


class Config(NamedTuple):
    path: str | PathLike[str]
    jobs: int = 5
    fail_fast: bool = True
    timeout: float = 300.0
    tests_wait_for_lint: bool = True
    tasks: tuple[TaskConfig, ...] = ()
    digest: str = ""
    """Names the configuration file's bytes (see :func:`hookrunner.cache.keys.digest`)."""
    projects: tuple[Project, ...] = ()
    """The member projects of a workspace (the root's own settings are above)."""
    optimistic: bool = True
    """Later stages may start early on idle slots (see the README's "Optimistic scheduling")."""


# -- what a run did --------------------------------------------------------------

STATUSES = ("passed", "failed", "modified", "timeout", "cancelled", "skipped")


class Slice(NamedTuple):
    slot: int  # concurrency slot index 0..jobs-1 (the trace's tid)
    start: float  # seconds from the run's start
    end: float
    label: str  # e.g. "ruff-check" or "ruff-check [2/3]" for a batch
    reason: str = ""  # for discarded work: why it did not count


class TaskResult(NamedTuple):
    name: str
    stage: str  # format | lint | test
    status: str  # one of STATUSES
    exit_code: int | None = None  # None when it never ran or was killed before exiting
    duration: float = 0.0  # seconds the task ran (sum over its batches' wall time)
    start: float | None = None  # seconds from run start; None when skipped
    end: float | None = None
    cmd: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    output: str = ""
    reason: str = ""  # why skipped / cancelled / timed out, e.g. "after 10s"
    modified: tuple[str, ...] = ()  # files a format task changed
    cached: bool = False
    saved: float = 0.0  # for cached results: the duration saved
    slices: tuple[Slice, ...] = ()
    discarded: tuple[Slice, ...] = ()  # work started early that did not count
    cpu: float | None = None  # CPU seconds of its command lines, where known


class RunReport(NamedTuple):
    results: tuple[TaskResult, ...]  # in finish order
    exit_code: int
    duration: float  # wall time of the run
    jobs: int
