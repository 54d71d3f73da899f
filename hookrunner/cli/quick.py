"""Answer a run whose every task is a cache hit, in a fraction of a full run's time.

A full run spends most of its time before any task starts: importing the
TOML reader, pathlib, subprocess and identify, asking git three times, and
sorting files by type. When every task's result is in the cache none of
that is needed again, provided the run can be shown to see what an earlier
run saw. That earlier run leaves a *receipt*: the validated configuration
and which tracked files each task's filters keep, named by everything those
depend on (the configuration file's bytes and every index entry's path, mode
and blob id). Filters judge each file alone, so the receipt answers for any
run on tracked files: all of them, the staged ones, a push of any commits.

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

from __future__ import annotations

import contextlib
import marshal
import os
import stat
import sys
from collections.abc import Sequence
from typing import NamedTuple

from hookrunner.atomic import write_atomically
from hookrunner.cache.contents import Contents, converting
from hookrunner.cache.keys import Keyer, config_name, keyer
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
from hookrunner.git import index as plumbing
from hookrunner.git.lock import PATCH_PREFIX, repo_lock
from hookrunner.git.spawn import Spawn
from hookrunner.hashing import digest
from hookrunner.model import DEFAULT_HOOKS, Config, TaskConfig, TaskResult
from hookrunner.plan import build_plan

RECEIPT_FORMAT = 2
RECEIPTS = "receipts"
"""The receipts' folder inside the cache's."""
MAX_RECEIPTS = 64
"""Past this many receipts the least recently used are removed, down to three quarters."""


class Attempt(NamedTuple):
    code: int | None
    """The run's exit code, or None: the full run must answer."""
    ref_lines: str | None = None
    """A pre-push hook's ref lines, once read from stdin, for the full run."""


class Receipt(NamedTuple):
    """What a full run found that depends only on the receipt's name."""

    settings: tuple[int, bool, float, bool]
    """jobs, fail_fast, timeout, tests_wait_for_lint."""
    tasks: tuple[tuple[object, ...], ...]
    selected: dict[str, list[str]]
    """Per task, the tracked files its filters keep, in index order."""
    scope: dict[str, list[str] | None]
    """Per cached task, None (keys once named a scope here; the tree covers it now)."""
    inputs: dict[str, list[str]]
    """Per cached task, what :class:`~hookrunner.cache.keys.Keyer` calls its inputs."""


# The code a receipt's answers come from: validating the configuration and
# sorting files by their names and types. Another version of any of it makes
# every receipt a stranger.
_SOURCES = ("hookrunner/config.py", "hookrunner/files.py", "hookrunner/model.py")
_LIBRARIES = ("identify/identify.py", "identify/extensions.py", "pathspec/__init__.py")


def _stamp() -> list[object]:
    """Where each source above is found on ``sys.path``, with its size and mtime
    (found by looking, not importing: that is the cost being saved)."""
    stamp: list[object] = []
    for name in (*_SOURCES, *_LIBRARIES):
        for folder in sys.path:
            path = os.path.join(folder or os.curdir, name)
            try:
                info = os.stat(path)
            except OSError:
                continue
            stamp.append((os.path.abspath(path), info.st_size, info.st_mtime_ns))
            break
        else:
            stamp.append(None)
    return stamp


def receipt_name(
    root: str, config_file: str, config_digest: str, records: Sequence[tuple[str, str, str]]
) -> str:
    head = repr([RECEIPT_FORMAT, sys.version, _stamp(), root, config_file, config_digest])
    # Paths hold no NUL: joined with it, the list cannot be read two ways. Whether a
    # symlink reaches tools depends on what it leads to, which the index does not say.
    indexed = "\0".join(
        f"{mode} {oid} {_leads_to(root, path) if mode == '120000' else '-'} {path}"
        for mode, oid, path in records
    )
    return digest(f"{head}\0\0{indexed}".encode("utf-8", "surrogateescape"))


def _leads_to(root: str, path: str) -> str:
    try:
        mode = os.stat(os.path.join(root, path)).st_mode
    except (OSError, ValueError):
        return "nothing"
    return "folder" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "other"


def _receipt_path(git_dir: str, name: str) -> str:
    return os.path.join(git_dir, DIRECTORY, RECEIPTS, name)


def _prune(folder: str, limit: int = MAX_RECEIPTS) -> None:
    try:
        found = [(entry.stat().st_mtime_ns, entry.path) for entry in os.scandir(folder)]
    except OSError:
        return
    if len(found) > limit:
        for _mtime, path in sorted(found)[: len(found) - limit * 3 // 4]:
            with contextlib.suppress(OSError):
                os.unlink(path)


def save_receipt(
    git_dir: str,
    name: str,
    config: Config,
    classifier: Classifier,
    keyers: dict[str, Keyer],
) -> None:
    """Write the receipt a later run on the same index will look for
    (``classifier``: one over every tracked file)."""
    receipt = Receipt(
        settings=(config.jobs, config.fail_fast, config.timeout, config.tests_wait_for_lint),
        tasks=tuple(tuple(task) for task in config.tasks),
        selected={task.name: classifier.select(task) for task in config.tasks},
        scope=dict.fromkeys(keyers),
        inputs={n: list(k.inputs) for n, k in keyers.items()},
    )
    path = _receipt_path(git_dir, name)
    with contextlib.suppress(OSError, ValueError):  # only a later run's speed depends on it
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = marshal.dumps(tuple(receipt))  # type: ignore[arg-type]  # plain values
        write_atomically(path, data)
        with open(_receipt_path(git_dir, _seen(config.digest)), "wb"):
            pass
        _prune(os.path.dirname(path))


def _seen(config_digest: str) -> str:
    """A mark that runs of this configuration leave receipts: runs of any
    other (no cached task, say) need not look for one."""
    return f"config-{config_digest}"


def _load_receipt(git_dir: str, name: str) -> Receipt | None:
    path = _receipt_path(git_dir, name)
    try:
        with open(path, "rb") as file:
            receipt = Receipt(*marshal.load(file))
        if not _well_formed(receipt):
            return None
        os.utime(path)  # recently used receipts survive pruning
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return receipt


def _well_formed(receipt: Receipt) -> bool:
    """The shape :func:`save_receipt` writes (a damaged file is no receipt, not a crash)."""
    tasks = receipt.tasks
    if not isinstance(tasks, tuple) or not all(
        isinstance(fields, tuple) and len(fields) == len(TaskConfig._fields) for fields in tasks
    ):
        return False
    names = {fields[0] for fields in tasks}
    parts = (receipt.selected, receipt.scope, receipt.inputs)
    return (
        isinstance(receipt.settings, tuple)
        and len(receipt.settings) == 4
        and all(isinstance(part, dict) for part in parts)
        and set(receipt.selected) == names
        and set(receipt.scope) == set(receipt.inputs) <= names
    )


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
    repo = plumbing.find(os.getcwd(), os.environ)
    if repo is None:
        return Attempt(None)
    config_path = (
        os.path.join(os.getcwd(), options.config_path)
        if options.config_path
        else os.path.join(repo.root, "pyproject.toml")
    )
    try:
        with open(config_path, "rb") as file:
            config_digest = digest(file.read())
        os.utime(_receipt_path(repo.git_dir, _seen(config_digest)))
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
    results, total, jobs = answer
    printer = printer_for(options, total)
    for result in results:
        printer.task_finished(result)
    return Attempt(conclude(printer, results, 0, started, jobs, options).exit_code, ref_lines)


class _IndexView(Spawn):
    """The quick path's :class:`hookrunner.cli.scope.View`: the index it read
    itself, and a work tree known to match it."""

    def __init__(self, root: str, index: plumbing.Index) -> None:
        super().__init__(root)
        self.paths = [entry.path for entry in index.entries]

    def tracked(self) -> list[str]:
        return list(self.paths)

    def missing(self) -> set[str]:
        return set()


def _answer(
    repo: plumbing.Repository,
    options: RunOptions,
    hook: str,
    ref_lines: str,
    config_at: tuple[str, str],
    started: float,
) -> tuple[list[TaskResult], int, int] | None:
    """When every task is a hit: the results, the number of tasks planned and
    the jobs setting (for the report); else None. Called holding the lock."""
    config_path, config_digest = config_at
    index = plumbing.clean_index(repo, os.environ)
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
    receipt = _load_receipt(repo.git_dir, name)
    if receipt is None:
        return None
    tasks = tuple(TaskConfig(*fields) for fields in receipt.tasks)  # type: ignore[arg-type]
    for task in tasks:
        # Validation checked that a task's folder exists inside the repository.
        if task.cwd and not plumbing.folder_inside(repo.root, task.cwd):
            return None
        # Whether its warning is due depends on the run's files: the full run tells.
        if task.regex_like:
            return None
    jobs, fail_fast, timeout, tests_wait_for_lint = receipt.settings
    config = Config(config_path, jobs, fail_fast, timeout, tests_wait_for_lint, tasks)
    env = task_environment(hook, options, ref_lines)
    plan = build_plan(
        config,
        Classifier(repo.root, files, known=receipt.selected),
        task_choice(config, options, hook, fileset),
        max_length(env),
    )
    # The work tree is the index (clean_index): only git's conversions on
    # checkout and links make a task read other bytes than the entries name.
    converts = converting(repo.root, repo.git_dir, repo.git_dir, view.paths, os.environ)
    contents = Contents(repo.root, index.records(), converting=converts)
    keyers = {
        t.name: keyer(t, contents, config_file, receipt.inputs[t.name], repo.root, env)
        for t in tasks
        if t.cache and t.name in receipt.inputs
    }
    store = Store(os.path.join(repo.git_dir, DIRECTORY))
    results = without_running(plan, store, keyers, started)
    if results is None:
        return None
    return results, len(plan), options.jobs or jobs
