"""Answer a run whose every task is a cache hit, in a fraction of a full run's time.

A full run spends most of its time before any task starts: importing the
TOML reader, pathlib, subprocess and identify, asking git three times, and
sorting files by type. When every task's result is in the cache none of
that is needed again, provided the run can be shown to see what an earlier
run saw. That earlier run leaves a *receipt* (:mod:`hookrunner.cache.receipts`):
the validated configuration and which tracked files each task's filters
keep, named by everything those depend on. Filters judge each file alone,
so the receipt answers for any run on tracked files: all of them, the staged
ones, a push of any commits.

This module checks, reading files directly:
- the repository is a plain one, no other run holds it, no saved work waits
  to be put back;
- every tracked file in the work tree is exactly its index entry (git's own
  stat test, or the bytes when the stat cannot tell), so the receipt's file
  types still hold and each file's blob id is the index's;
- a receipt exists for this configuration and this index.

It then plans the run and computes every key with the same code as a full
run (:mod:`hookrunner.plan`, :mod:`hookrunner.cache.keys`), looks the keys up, and
prints what a full run would print. On any doubt, or the first miss, it
returns None and the full run takes over, so it can only ever be slower, not
different. ``HOOKRUNNER_QUICK=0`` turns it off.
"""

# No ``from __future__ import annotations``: typing.NamedTuple compiles every
# string annotation into a ForwardRef, which a cached run would pay for.

import os
import sys
from typing import NamedTuple

from hookrunner.cache.contents import Contents, converting
from hookrunner.cache.keys import config_name, keyer, project_config
from hookrunner.cache.receipts import load_receipt, receipt_name, receipt_path, seen
from hookrunner.cache.store import DIRECTORY, Store
from hookrunner.cli.options import RunOptions
from hookrunner.cli.output import check_paths, conclude, printer_for
from hookrunner.cli.scope import (
    files_of_run,
    hook_of,
    push_ref_lines,
    reads_push_refs,
    task_choice,
    task_environment,
    under_pre_commit,
    without_running,
)
from hookrunner.engine.xargs import max_length
from hookrunner.errors import HookrunnerError
from hookrunner.files import Classifier
from hookrunner.git import index as git_index
from hookrunner.git.lock import PATCH_PREFIX, repo_lock
from hookrunner.git.spawn import Spawn
from hookrunner.hashing import config_digest as named
from hookrunner.model import DEFAULT_HOOKS, Config, Project, TaskConfig, TaskResult
from hookrunner.plan import build_plan
from hookrunner.precommit_plain import FILENAME


class Attempt(NamedTuple):
    code: int | None
    """The run's exit code, or None: the full run must answer."""
    ref_lines: str | None = None
    """A pre-push hook's ref lines, once read from stdin, for the full run."""


OPTION_USE = {
    "files": "full",
    "all_files": "same",
    "hook": "same",
    "hook_args": "full",
    "commit_msg_filename": "full",
    "from_ref": "same",
    "to_ref": "same",
    "jobs": "same",
    "fail_fast": "same",
    "optimistic": "same",
    "only": "full",
    "skip": "full",
    "stages": "full",
    "verbose": "same",
    "quiet": "same",
    "json_path": "same",
    "trace_path": "same",
    "junit_path": "same",
    "show_diff_on_failure": "same",
    "color": "same",
    "config_path": "same",
    "dry_run": "full",
    "no_cache": "full",
    "project": "same",
}
"""How the quick path treats each :class:`RunOptions` field: ``same`` (read by
the code the full run uses), or ``full`` (a run that sets it is the full run's).
A test checks that every field is here."""


def _needs_full_run(options: RunOptions) -> bool:
    defaults = RunOptions._field_defaults
    return (
        any(getattr(options, name) != defaults[name] for name, use in OPTION_USE.items()
            if use == "full")
        or (options.hook or "manual") not in DEFAULT_HOOKS
        or os.environ.get("HOOKRUNNER_QUICK") == "0"
        or under_pre_commit(os.environ)
    )  # fmt: skip


def attempt(options: RunOptions, started: float) -> Attempt:
    """Answer the run from the cache, or say that the full run must."""
    if _needs_full_run(options):
        return Attempt(None)
    repo = git_index.find(os.getcwd(), os.environ)
    if repo is None:
        return Attempt(None)
    config_path = (
        os.path.join(os.getcwd(), options.config_path)
        if options.config_path
        else os.path.join(repo.root, "pyproject.toml")
    )
    # Named as the full run names it (config.load_config): the table's file and
    # the repository's .pre-commit-config.yaml (alone, it is the configuration).
    pre_commit = _read(os.path.join(repo.root, FILENAME))
    table = _read(config_path)
    if table is None and pre_commit is not None and not os.path.lexists(config_path):
        table = b""
    if table is None:
        return Attempt(None)
    config_digest = named(table, pre_commit)
    try:
        os.utime(receipt_path(repo.git_dir, seen(config_digest)))
    except OSError:
        return Attempt(None)
    if any(name.startswith(PATCH_PREFIX) for name in os.listdir(repo.git_dir)):
        return Attempt(None)
    check_paths(options)
    hook = hook_of(options, os.environ)
    if reads_push_refs(options, hook, os.environ) and sys.stdin.isatty():
        return Attempt(None)  # the full run says what to do instead
    ref_lines = push_ref_lines(options, hook, os.environ, sys.stdin)
    with repo_lock(repo.git_dir, wait=None) as locked:
        config_at = (config_path, config_digest)
        answer = _answer(repo, options, hook, ref_lines, config_at, started) if locked else None
    if answer is None:
        return Attempt(None, ref_lines)
    # The lock is the user's again, as in a full run, before anything is shown.
    results, total, jobs, verbose = answer
    printer = printer_for(options, total)
    printer.verbose_tasks = verbose
    for result in results:
        printer.task_finished(result)
    return Attempt(conclude(printer, results, 0, started, jobs, options).exit_code, ref_lines)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return None


def _durations(git_dir: str) -> dict[str, float]:
    from pathlib import Path

    from hookrunner.cache.history import load_durations

    return load_durations(Path(git_dir))


class _IndexView(Spawn):
    """The quick path's :class:`hookrunner.cli.scope.View`: the index it read
    itself, and a work tree known to match it."""

    def __init__(self, root: str, index: git_index.Index) -> None:
        super().__init__(root)
        self.paths = [entry.path for entry in index.entries]

    def tracked(self) -> list[str]:
        return list(self.paths)

    def missing(self) -> set[str]:
        return set()


def _answer(
    repo: git_index.Repository,
    options: RunOptions,
    hook: str,
    ref_lines: str,
    config_at: tuple[str, str],
    started: float,
) -> tuple[list[TaskResult], int, int, frozenset[str]] | None:
    """When every task is a hit: the results, the number of tasks planned, the
    jobs setting and the tasks whose output is always shown (for the report);
    else None. Called holding the lock."""
    config_path, config_digest = config_at
    index = git_index.clean_index(repo, os.environ)
    if index is None:
        return None
    view = _IndexView(repo.root, index)
    try:
        fileset = files_of_run(view, options, hook, os.environ, ref_lines)
    except HookrunnerError:
        return None  # the full run says what went wrong
    files = fileset.files
    # The receipt knows tracked files only (a pushed file the index lacks is news).
    if not set(files).issubset(view.paths):
        return None
    config_file = config_name(config_path, repo.root)
    name = receipt_name(repo.root, config_file, config_digest, index.records())
    receipt = load_receipt(repo.git_dir, name)
    if receipt is None:
        return None
    tasks = tuple(TaskConfig(*fields) for fields in receipt.tasks)  # type: ignore[arg-type]
    for task in tasks:
        # Validation checked that a task's folder exists inside the repository.
        if task.cwd and not git_index.folder_inside(repo.root, task.cwd):
            return None
        # Whether its warning is due depends on the run's files: the full run tells.
        if task.regex_like:
            return None
    jobs, fail_fast, timeout, tests_wait_for_lint, members = receipt.settings
    projects = tuple(Project(*fields) for fields in members)
    config = Config(config_path, jobs, fail_fast, timeout, tests_wait_for_lint, tasks)
    config = config._replace(projects=projects)
    env = task_environment(hook, options, ref_lines)
    plan = build_plan(
        config,
        Classifier(repo.root, files, known=receipt.selected),
        task_choice(config, options, hook, fileset, repo.root),
        max_length(env),
        # Formatters that share files are split as the full run splits them.
        lambda: _durations(repo.git_dir),
        options.jobs or jobs,
    )
    # The work tree is the index (clean_index): only git's conversions on
    # checkout and links make a task read other bytes than the entries name.
    converts = converting(repo.root, repo.git_dir, repo.git_dir, view.paths, os.environ)
    contents = Contents(repo.root, index.records(), converting=converts)
    keyers = {
        t.name: keyer(
            t, contents, project_config(t, config_file), receipt.inputs[t.name], repo.root, env
        )
        for t in tasks
        if t.cache and t.name in receipt.inputs
    }
    store = Store(os.path.join(repo.git_dir, DIRECTORY))
    results = without_running(plan, store, keyers, started)
    if results is None:
        return None
    verbose = frozenset(t.name for t in tasks if t.verbose)
    return results, len(plan), options.jobs or jobs, verbose
