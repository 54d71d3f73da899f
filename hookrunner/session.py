"""One ``hookrunner run``: repository, config, files, plan, safety, execution, report."""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO

from hookrunner import git
from hookrunner.config import load_config
from hookrunner.errors import HookrunnerError
from hookrunner.files import Classifier
from hookrunner.model import Config
from hookrunner.options import (
    RunOptions,
    conclude,
    hook_of,
    output_of,
    printer_for,
    selection_of,
    task_environment,
    under_pre_commit,
)
from hookrunner.plan import PlannedTask, build_plan, expected_order, skipped_result
from hookrunner.report import (
    TaskResult,
    exit_code_of,
)

if TYPE_CHECKING:
    from hookrunner.cache import Contents, Keyer, Store
    from hookrunner.run import Runner


def load(config_path: str | None) -> tuple[git.Repo, Config]:
    repo = git.find_repo()
    path = Path(config_path) if config_path else repo.root / "pyproject.toml"
    return repo, load_config(path, repo.root)


class FileSet(NamedTuple):
    files: list[str]
    staged: bool  # the files are the index's: unstaged work must be hidden
    records: list[tuple[str, str, str, str]] | None = None  # the index, when it was read


def _from_cwd(repo: git.Repo, names: tuple[str, ...]) -> list[str]:
    cwd = Path.cwd()
    result = []
    for name in names:
        full = Path(os.path.abspath(cwd / name))
        try:
            result.append(full.relative_to(repo.root).as_posix())
        except ValueError:
            raise HookrunnerError(f"{name}: outside the repository {repo.root}") from None
    return list(dict.fromkeys(result))


def files_of_run(
    repo: git.Repo, options: RunOptions, hook: str, env: Mapping[str, str], stdin: TextIO
) -> FileSet:
    if bool(options.from_ref) != bool(options.to_ref):
        raise HookrunnerError("--from-ref and --to-ref go together")
    if options.files:
        return FileSet(_from_cwd(repo, options.files), staged=False)
    if options.all_files:
        # The cache needs the blob ids too: one ls-files serves both.
        records = git.index_records(repo)
        return FileSet(list(git.index_entries(records)), staged=False, records=records)
    if options.from_ref and options.to_ref:
        return FileSet(git.changed_files(repo, options.from_ref, options.to_ref), staged=False)
    if under_pre_commit(env) and env.get("PRE_COMMIT_FROM_REF") and env.get("PRE_COMMIT_TO_REF"):
        files = git.changed_files(repo, env["PRE_COMMIT_FROM_REF"], env["PRE_COMMIT_TO_REF"])
        return FileSet(files, staged=False)
    if hook == "pre-push":
        if stdin.isatty():
            raise HookrunnerError(
                "--hook pre-push reads git's ref lines on stdin; run by hand, "
                "give --from-ref and --to-ref"
            )
        remote = env.get("HOOKRUNNER_REMOTE_NAME") or env.get("PRE_COMMIT_REMOTE_NAME") or "origin"
        return FileSet(git.pushed_files(repo, stdin.read(), remote), staged=False)
    return FileSet(git.staged_files(repo), staged=True)


def describe_plan(plan: list[PlannedTask], durations: Mapping[str, float]) -> str:
    from hookrunner.graph import critical_path

    lines = []
    order = expected_order(plan, durations)
    position = {name: i for i, name in enumerate(order, 1)}
    for p in sorted(plan, key=lambda p: position.get(p.name, len(plan) + 1)):
        if p.skip:
            lines.append(f"  -  {p.name} ({p.stage}): skipped, {p.skip}")
            continue
        waits = [*p.depends_on, *(a for a in p.after if a not in p.depends_on)]
        parts = [f"{len(p.files)} file{'s' * (len(p.files) != 1)}"]
        if len(p.invocations) > 1:
            parts.append(f"{len(p.invocations)} command lines")
        if p.name in durations:
            parts.append(f"~{durations[p.name]:.2f}s")
        if waits:
            parts.append("after " + ", ".join(waits))
        lines.append(f"{position[p.name]:3d}. {p.name} ({p.stage}): {'; '.join(parts)}")
        lines.append(f"       $ {shlex.join(p.task.cmd)}")
    edges = {p.name: [*p.after, *p.depends_on] for p in plan if not p.skip}
    path, total = critical_path(edges, durations)
    if path and total > 0:
        lines.append(f"critical path: {' -> '.join(path)} (~{total:.2f}s)")
    return "\n".join(lines) + "\n"


def run_session(options: RunOptions, stdin: TextIO | None = None) -> int:
    started = time.perf_counter()
    repo, config = load(options.config_path)
    pre_commit = under_pre_commit(os.environ)
    with contextlib.ExitStack() as stack:
        # pre-commit guards the work tree itself; a dry run does not touch it.
        if not pre_commit and not options.dry_run:
            from hookrunner import staged

            stack.enter_context(staged.repo_lock(repo))
            message = staged.recover_leftover(repo)
            if message:
                print(message, file=sys.stderr)
        code = _run_locked(repo, config, options, stdin or sys.stdin, stack, started)
    return code


def _run_locked(
    repo: git.Repo,
    config: Config,
    options: RunOptions,
    stdin: TextIO,
    stack: contextlib.ExitStack,
    started: float,
) -> int:
    env_in = os.environ
    pre_commit = under_pre_commit(env_in)
    hook = hook_of(options, env_in)
    fileset = files_of_run(repo, options, hook, env_in, stdin)
    hide = fileset.staged and not pre_commit and not options.dry_run
    if hide and git.unmerged_files(repo):
        raise HookrunnerError(
            "unmerged files (a merge is in progress): resolve the conflicts and "
            "stage them before running hookrunner"
        )
    from hookrunner.history import load_durations, save_durations
    from hookrunner.xargs import max_length

    env = task_environment(hook, options)
    selection = selection_of(config, options, hook)
    durations = load_durations(repo.common_dir)
    jobs = options.jobs or config.jobs
    restaged: frozenset[str] = frozenset()
    interrupted: BaseException | None = None
    with contextlib.ExitStack() as hidden:
        if hide:
            # Hidden before the plan: the file types that choose a task's files
            # are read from the files, which must be the staged ones (a staged
            # file deleted in the work tree is still checked).
            from hookrunner import staged

            hidden.enter_context(staged.unstaged_changes_hidden(repo))
        classifier = Classifier(repo.root, fileset.files)
        plan = build_plan(config, classifier, selection, max_length(env))
        if options.dry_run:
            output_of(options).write(describe_plan(plan, durations))
            return 0
        printer = printer_for(options, len(plan))
        cache = (
            None if options.no_cache else _cache_for(plan, repo, config, env, fileset, classifier)
        )
        results = _all_cached(plan, cache, started)
        if results is not None:
            for result in results:
                printer.task_finished(result)
        else:
            from hookrunner.run import Runner

            runner = Runner(
                plan, repo.root, env, durations, printer.task_started, printer.task_finished, cache
            )
            fail_fast = config.fail_fast if options.fail_fast is None else options.fail_fast
            try:
                results = _execute(runner, jobs, fail_fast)
            except (KeyboardInterrupt, SystemExit) as exc:
                interrupted = exc
                results = runner.results
            commit_run = fileset.staged or (pre_commit and hook == "pre-commit")
            if interrupted is None and commit_run:
                restaged = _restage(repo, plan, results)
    # The work tree is the user's again: other runs may go on while we report.
    stack.close()
    code = exit_code_of(results, restaged)
    if isinstance(interrupted, KeyboardInterrupt):
        code = 130
    elif isinstance(interrupted, SystemExit):
        code = interrupted.code if isinstance(interrupted.code, int) else 143
    conclude(printer, results, code, started, jobs, options)
    save_durations(repo.common_dir, durations, results)
    if cache is not None and cache[0].written:
        cache[0].prune()
    return code


def _cache_for(
    plan: list[PlannedTask],
    repo: git.Repo,
    config: Config,
    env: Mapping[str, str],
    fileset: FileSet,
    classifier: Classifier,
) -> tuple[Store, Contents, dict[str, Keyer]] | None:
    # Every cached task, not only this run's: the receipt serves other hooks
    # too, and a run where all are skipped (a commit that only rewords its
    # message) is answered quickly the next time.
    tasks = [t for t in config.tasks if t.cache]
    if not tasks:
        return None
    from hookrunner.cache import DIRECTORY, Store, keyers

    contents, keys = keyers(tasks, repo, config, env, fileset.staged)
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
    """Leave what :mod:`hookrunner.quick` needs to answer a later run on this
    index, if git finds every tracked file in the work tree as the index has
    it (file types are read from the work tree)."""
    records = contents.records
    if not config.digest or records is None or repo.git_dir != repo.common_dir:
        return
    if any(stage != "0" for _mode, _oid, stage, _path in records) or contents.worktree_changes():
        return
    from hookrunner import quick
    from hookrunner.keys import config_name

    name = quick.receipt_name(
        str(repo.root),
        config_name(config.path, repo.root),
        config.digest,
        [(mode, oid, path) for mode, oid, _stage, path in records],
    )
    tracked = classifier.over(list(git.index_entries(records)))
    quick.save_receipt(str(repo.git_dir), name, config, tracked, keys)


def _all_cached(
    plan: list[PlannedTask],
    cache: tuple[Store, Contents, dict[str, Keyer]] | None,
    started: float,
) -> list[TaskResult] | None:
    """Skipped and cached results for a run where no task has to run, else None."""
    if all(p.skip for p in plan):
        return [skipped_result(p) for p in plan]
    if cache is None:
        return None
    from hookrunner.cache import all_cached

    cached = all_cached(plan, cache[0], cache[2], started)
    if cached is None:
        return None
    return [skipped_result(p) for p in plan if p.skip] + cached


def _execute(runner: Runner, jobs: int, fail_fast: bool) -> list[TaskResult]:
    """``asyncio.run``, except that Ctrl-C or SIGTERM is held while the event
    loop is built and the run is wrapped in a task: a signal landing in between
    would leave a half-built loop, or a coroutine never started, whose
    finalizer prints a traceback over the run's output."""
    import asyncio
    import signal

    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        loop = asyncio.new_event_loop()
        main = loop.create_task(runner.execute(jobs, fail_fast))
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(main)
    finally:
        try:
            # As asyncio.run ends: whatever is left is cancelled and awaited
            # (a task cut short by a signal still stops its processes).
            left = asyncio.all_tasks(loop)
            for task in left:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


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
