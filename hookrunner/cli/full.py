"""The full run: repository, files, hidden unstaged work, configuration, plan,
cache, tasks, report.

Each step that changes something the user owns is a ``with`` block that
undoes it: the repository lock, then the hidden unstaged work. The report is
printed once both are given back, so another run may start meanwhile.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from hookrunner.cli.headstart import HeadStart
from hookrunner.cli.options import RunOptions
from hookrunner.cli.output import check_paths, conclude, output_of, printer_for
from hookrunner.cli.scope import (
    FileSet,
    files_of_run,
    hook_of,
    push_ref_lines,
    task_choice,
    task_environment,
    under_pre_commit,
    without_running,
)
from hookrunner.engine.child import GRACE_PERIOD, share_cores
from hookrunner.errors import HookrunnerError
from hookrunner.files import Classifier
from hookrunner.git import commands as git
from hookrunner.model import Config, TaskResult
from hookrunner.plan import PlannedTask, build_plan
from hookrunner.report import Printer, exit_code_of

if TYPE_CHECKING:
    from hookrunner.cache.contents import Contents
    from hookrunner.cache.keys import Keyer
    from hookrunner.cache.store import Store
    from hookrunner.cli.invoke import Runner


def config_path(repo: git.Repo, option: str | None) -> Path:
    return Path(option) if option else repo.root / "pyproject.toml"


def load(option: str | None) -> tuple[git.Repo, Config]:
    repo = git.find_repo()
    return repo, read_config(repo, option)


def read_config(
    repo: git.Repo, option: str | None, records: Sequence[tuple[str, str, str, str]] | None = None
) -> Config:
    """The configuration ``--config`` names, or the root ``pyproject.toml`` with
    every workspace project the index holds (``records``: the index, when
    already read); from the copy a run of the same files left, if any."""
    from hookrunner.cache.config_copy import copy_name, load_copy, save_copy
    from hookrunner.workspace import PYPROJECT, project_dirs

    path = config_path(repo, option)
    tracked: list[str] = []
    if records is not None:
        tracked = [name for _mode, _oid, _stage, name in records]
    elif not option:
        small = git.small_index(repo)
        if small is not None:
            tracked = small
        else:
            # The pathspec is a glob here (and "*" crosses folders): only the
            # pyproject.toml files below the root are listed.
            listed = git.call(repo, "ls-files", "-z", "--", f"*/{PYPROJECT}", env=_GLOBS).stdout
            tracked = os.fsdecode(listed).split("\0")[:-1]
    folders = [] if option else project_dirs(tracked)
    files = [path, *(repo.root / folder / PYPROJECT for folder in folders)]
    name = copy_name(repo.root, files)
    if name is not None:
        config = load_copy(repo.common_dir, name, repo.root)
        if config is not None:
            return config
    config = _validated(repo, option, path, tracked)
    # Kept only when the files still hold what named it: no copy of other bytes.
    if name is not None and copy_name(repo.root, files) == name:
        save_copy(repo.common_dir, name, config)
    return config


def _validated(repo: git.Repo, option: str | None, path: Path, tracked: list[str]) -> Config:
    if option:
        from hookrunner.config import load_config

        return load_config(path, repo.root)
    from hookrunner.workspace import load_workspace

    return load_workspace(path, repo.root, tracked)


_GLOBS = {"GIT_LITERAL_PATHSPECS": "0"}


class _Ran(NamedTuple):
    """What the tasks did, to be reported once the work tree is the user's again."""

    results: list[TaskResult]
    code: int
    printer: Printer
    jobs: int
    durations: dict[str, float]
    store: Store | None
    diff: str = ""
    """With --show-diff-on-failure: what the tasks changed, taken with unstaged work hidden."""


def run_session(options: RunOptions, ref_lines: str | None = None) -> int:
    """Run the tasks and report; ``ref_lines``: git's pre-push lines, when already read."""
    started = time.perf_counter()
    check_paths(options)
    repo = git.find_repo()
    hook = hook_of(options, os.environ)
    if ref_lines is None:
        ref_lines = push_ref_lines(options, hook, os.environ, sys.stdin)
    # pre-commit guards the work tree itself; a dry run does not touch it.
    guarded = not under_pre_commit(os.environ) and not options.dry_run
    with _locked(repo, guarded):
        ran = _run_locked(repo, options, hook, ref_lines, started, guarded)
    if ran is None:
        return 0
    if ran.diff:
        output_of(options).write(f"All changes made by the tasks:\n{ran.diff}")
    conclude(ran.printer, ran.results, ran.code, started, ran.jobs, options)
    from hookrunner.cache.history import save_durations

    save_durations(repo.common_dir, ran.durations, ran.results)
    if ran.store is not None and ran.store.written:
        ran.store.prune()
    return ran.code


@contextlib.contextmanager
def _locked(repo: git.Repo, guarded: bool) -> Iterator[None]:
    """The repository lock, and any work a killed run left hidden put back."""
    if not guarded:
        yield
        return
    from hookrunner.git.lock import repo_lock
    from hookrunner.git.staged_files_only import recover_leftover

    with repo_lock(repo.git_dir):
        message = recover_leftover(repo)
        if message:
            print(message, file=sys.stderr)
        yield


@contextlib.contextmanager
def _hidden(repo: git.Repo, hide: bool) -> Iterator[list[str]]:
    """Unstaged work out of the tasks' sight (and back afterwards) when ``hide``.

    Yields a list that, once the block is over, holds what putting the work
    back could not do as it was (a file saved meanwhile, kept aside): the
    run then fails, whatever its tasks did."""
    if not hide:
        yield []
        return
    if git.unmerged_files(repo):
        raise HookrunnerError(
            "unmerged files (a merge is in progress): resolve the conflicts and "
            "stage them before running hookrunner"
        )
    from hookrunner.git.staged_files_only import unstaged_changes_hidden

    with unstaged_changes_hidden(repo) as work:
        yield work.notes


def _run_locked(
    repo: git.Repo,
    options: RunOptions,
    hook: str,
    ref_lines: str,
    started: float,
    guarded: bool,
) -> _Ran | None:
    view = git.Subprocess(repo)
    fileset = files_of_run(view, options, hook, os.environ, ref_lines)
    pushed = _pushed_commit(repo, options, hook, ref_lines) if guarded else None
    if pushed is not None:
        from hookrunner.git import worktree

        if pushed != worktree.head(repo):
            # A push is judged by what it pushes: a commit that is not HEAD is
            # checked in a checkout of its own.
            with worktree.checkout(repo, pushed) as there:
                config = read_config(there, options.config_path)
                view = git.Subprocess(there)
                return _run_tasks(
                    there, view, config, options, hook, fileset, started, True, ref_lines
                )
    # Hidden before the configuration is read and the plan is made: a commit is
    # judged by what it commits, and file types are read from the files.
    hide = guarded and (fileset.staged or pushed is not None)
    with _hidden(repo, hide) as notes:
        config = read_config(repo, options.config_path, view.records)
        ran = _run_tasks(repo, view, config, options, hook, fileset, started, hide, ref_lines)
    if notes and ran is not None and ran.code == 0:
        ran = ran._replace(code=1)
    return ran


def _pushed_commit(repo: git.Repo, options: RunOptions, hook: str, ref_lines: str) -> str | None:
    """The commit a pre-push run checks, when it checks one commit."""
    if hook != "pre-push":
        return None
    if ref_lines:
        from hookrunner.git.changes import pushed_commits

        commits = pushed_commits(ref_lines)
    elif options.to_ref:
        out = git.call(repo, "rev-parse", "--verify", "--quiet", f"{options.to_ref}^{{commit}}")
        commits = [out.stdout.decode().strip()]
    else:
        return None
    # Several branches pushed at once, at different commits, are checked
    # in place (unstaged work hidden) on the files that exist there.
    return commits[0] if len(commits) == 1 else None


def _run_tasks(
    repo: git.Repo,
    view: git.Subprocess,
    config: Config,
    options: RunOptions,
    hook: str,
    fileset: FileSet,
    started: float,
    hidden: bool,
    ref_lines: str = "",
) -> _Ran | None:
    """Plan and run the tasks; ``hidden``: the work tree holds the index's content."""
    from hookrunner.cache.history import load_durations
    from hookrunner.engine.xargs import max_length

    env = task_environment(hook, options, ref_lines)
    durations = load_durations(repo.common_dir)
    files = fileset.files
    if hook == "pre-push":
        # A file the checked content lacks (deleted since, or pushed on
        # another branch) is never handed to a tool.
        files = [name for name in files if os.path.lexists(repo.root / name)]
    classifier = Classifier(repo.root, files, view.records)
    choice = task_choice(config, options, hook, fileset, str(repo.root))
    jobs = options.jobs or config.jobs
    plan = build_plan(config, classifier, choice, max_length(env), lambda: durations, jobs)
    if options.dry_run:
        output_of(options).write(_dry_run(plan, durations, repo, config, options, jobs))
        return None
    printer = printer_for(options, len(plan))
    printer.verbose_tasks = frozenset(t.name for t in config.tasks if t.verbose)
    cache = None
    # A task given git's arguments (a commit message) reads what no key covers.
    if not options.no_cache and choice.arguments is None:
        cache = _cache_for(plan, repo, config, env, hidden, classifier)
    store, keyers = (cache[0], cache[2]) if cache is not None else (None, {})
    results = without_running(plan, store, keyers, started)
    if results is not None:
        for result in results:
            printer.task_finished(result)
        return _Ran(results, exit_code_of(results), printer, jobs, durations, store)
    # The first command lines start now; the engine takes them over once
    # asyncio is imported and its loop runs.
    writers = _writers(repo, config, options)
    low, keep = _yielding(plan, repo, jobs, writers)
    head = HeadStart()
    try:
        head.start(plan, jobs, repo.root, env, cache, writers, low, durations, keep)
        from hookrunner.cli.invoke import Runner

        _collect_again()
        runner = Runner(
            plan, repo.root, env, durations, printer.task_started, printer.task_finished, cache
        )
        runner.head, runner.low, runner.kept = head, low, head.kept
        fail_fast = config.fail_fast if options.fail_fast is None else options.fail_fast
        _schedule(runner, repo, writers)
        try:
            results = _execute(runner, jobs, fail_fast)
        except (KeyboardInterrupt, SystemExit) as exc:
            printer.interrupt()  # no live line drawn again over what follows
            from hookrunner.engine.signals import exit_code

            return _Ran(runner.results, exit_code(exc), printer, jobs, durations, store)
    finally:
        head.stop(GRACE_PERIOD)
        share_cores()
    restaged: frozenset[str] = frozenset()
    if fileset.staged or (under_pre_commit(os.environ) and hook == "pre-commit"):
        restaged = _restage(repo, plan, results)
    code = exit_code_of(results, restaged)
    diff = _diff(repo, printer.color) if code and options.show_diff_on_failure else ""
    return _Ran(results, code, printer, jobs, durations, store, diff)


def _collect_again() -> None:
    """The garbage collector back on (:mod:`hookrunner.cli.main` holds it off while
    importing), over the objects made since: the imported ones stay put."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _diff(repo: git.Repo, color: bool) -> str:
    """``git diff`` of the work tree: what the tasks changed (pre-commit's
    ``--show-diff-on-failure``, the first thing a CI job adds)."""
    colored = "--color=always" if color else "--no-color"
    out = git.call(repo, "diff", "--no-ext-diff", colored, check=False).stdout
    return out.decode(errors="replace")


def _dry_run(
    plan: list[PlannedTask],
    durations: Mapping[str, float],
    repo: git.Repo,
    config: Config,
    options: RunOptions,
    jobs: int,
) -> str:
    from hookrunner.cache.history import load_cpu
    from hookrunner.cli.dryrun import describe

    writers = _writers(repo, config, options)
    return describe(plan, durations, writers, jobs, load_cpu(repo.common_dir))


def _optimistic(config: Config, options: RunOptions) -> bool:
    return config.optimistic if options.optimistic is None else options.optimistic


def _writers(repo: git.Repo, config: Config, options: RunOptions) -> frozenset[str] | None:
    """The tasks seen writing files, which never start early; None when no task
    starts early (``--no-optimistic``, ``optimistic = false``)."""
    if not _optimistic(config, options):
        return None
    from hookrunner.cache.writers import load_writers

    return load_writers(repo.common_dir)


def _yielding(
    plan: list[PlannedTask], repo: git.Repo, jobs: int, writers: frozenset[str] | None
) -> tuple[frozenset[str], bool]:
    """The tasks off the critical path, which yield the CPU in an optimistic run
    with more tasks than cores, and whether a core is kept for the others (see
    :mod:`hookrunner.cli.priority`)."""
    if writers is None:
        return frozenset(), False
    from hookrunner.cache.history import load_cpu
    from hookrunner.cli.priority import cores, keeps_core, yielding

    cpu, cpus = load_cpu(repo.common_dir), cores()
    low = yielding(plan, cpu, jobs, cpus)
    return low, keeps_core(plan, cpu, low, cpus)


def _schedule(runner: Runner, repo: git.Repo, writers: frozenset[str] | None) -> None:
    """Whether tasks may start early, and which never do (seen writing files)."""
    runner.optimistic = writers is not None
    if writers is not None:
        from hookrunner.cache.writers import save_writers

        runner.writers = writers
        runner.on_done = lambda: save_writers(repo.common_dir, writers, runner.results)


def _execute(runner: Runner, jobs: int, fail_fast: bool) -> list[TaskResult]:
    from hookrunner.engine.signals import run_held

    return run_held(lambda: runner.execute(jobs, fail_fast))


def _cache_for(
    plan: list[PlannedTask],
    repo: git.Repo,
    config: Config,
    env: Mapping[str, str],
    index_only: bool,
    classifier: Classifier,
) -> tuple[Store, Contents, dict[str, Keyer]] | None:
    # Every cached task, not only this run's: the receipt serves other hooks
    # too, and a run where all are skipped (a commit that only rewords its
    # message) is answered quickly the next time.
    tasks = [t for t in config.tasks if t.cache]
    if not tasks:
        return None
    from hookrunner.cache.contents import keyers
    from hookrunner.cache.store import DIRECTORY, Store

    contents, keys = keyers(tasks, repo, config, env, index_only)
    _save_receipt(repo, config, classifier, contents, keys)
    if not any(not p.skip and p.task.cache for p in plan):
        return None
    return Store(repo.common_dir / DIRECTORY), contents, keys


def _save_receipt(
    repo: git.Repo,
    config: Config,
    classifier: Classifier,
    contents: Contents,
    keys: dict[str, Keyer],
) -> None:
    """Leave the receipt :mod:`hookrunner.cli.quick` needs to answer a later run on this
    index, if git finds every tracked file in the work tree as the index has
    it (file types are read from the work tree)."""
    records = contents.records
    if not config.digest or records is None or repo.git_dir != repo.common_dir:
        return
    if any(stage != "0" for _mode, _oid, stage, _path in records) or contents.worktree_changes():
        return
    from hookrunner.cache import receipts
    from hookrunner.cache.keys import config_name

    name = receipts.receipt_name(
        str(repo.root),
        config_name(config.path, repo.root),
        config.digest,
        [(mode, oid, path) for mode, oid, _stage, path in records],
    )
    tracked = classifier.over(list(git.index_entries(records)), records)
    receipts.save_receipt(str(repo.git_dir), name, config, tracked, keys)


def _restage(repo: git.Repo, plan: list[PlannedTask], results: list[TaskResult]) -> frozenset[str]:
    """``stage_fixed`` tasks: add the files they fixed to the commit."""
    fixed = {p.name for p in plan if p.task.stage_fixed}
    names = set()
    files: list[str] = []
    for result in results:
        if result.status == "modified" and result.name in fixed:
            names.add(result.name)
            files.extend(result.modified)
    if files:
        git.stage(repo, list(dict.fromkeys(files)))
        print(f"hookrunner: re-staged {len(set(files))} fixed file(s)", file=sys.stderr)
    return frozenset(names)
