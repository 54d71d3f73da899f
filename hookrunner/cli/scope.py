"""What a run covers, decided the same way by the full run and the quick path:
the hook it stands for, the files it is given, the environment of its tasks,
and which tasks the command line chose.

The two front ends differ only in how they ask git (:class:`View`): the full
run through subprocess, the quick path through its own index reader and a
small ``posix_spawn``. This module imports nothing costly.
"""

# No ``from __future__ import annotations``: typing.NamedTuple compiles every
# string annotation into a ForwardRef, which a cached run would pay for.

import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol, TextIO

from hookrunner.cli.options import RunOptions
from hookrunner.errors import HookrunnerError
from hookrunner.git.changes import Reader, changed_files, pushed_files, staged_files, unique
from hookrunner.model import ARGUMENT_HOOKS, HOOKS, Config, TaskResult
from hookrunner.plan import PlannedTask, TaskChoice, skipped_result

if TYPE_CHECKING:
    from hookrunner.cache.keys import Keyer
    from hookrunner.cache.store import Store


class View(Reader, Protocol):
    """How one front end reads the repository."""

    @property
    def root(self) -> str:
        """The work tree's top folder."""

    def tracked(self) -> list[str]:
        """Every tracked path, in index order."""

    def missing(self) -> set[str]:
        """The tracked paths the work tree lacks."""


class FileSet(NamedTuple):
    files: list[str]
    staged: bool
    """The files are the index's: unstaged work must be hidden from the tasks."""
    tasks: tuple[str, ...] = ()
    """Positional arguments that are not paths: task names, checked once the
    configuration is read (``hookrunner run mypy``, pre-commit's habit)."""


def under_pre_commit(env: Mapping[str, str]) -> bool:
    return env.get("PRE_COMMIT") == "1"


def hook_of(options: RunOptions, env: Mapping[str, str]) -> str:
    """The hook this run stands for; under pre-commit, its stage."""
    if options.hook:
        return options.hook
    if under_pre_commit(env):
        stage = env.get("PRE_COMMIT_HOOK_STAGE", "")
        if stage in HOOKS:
            return stage
        if env.get("PRE_COMMIT_FROM_REF") or env.get("PRE_COMMIT_TO_REF"):
            return "pre-push"
        return "pre-commit"
    return "manual"


def _refs(options: RunOptions, env: Mapping[str, str]) -> tuple[str, str] | None:
    """The refs whose difference the run is given: ``--from-ref/--to-ref``, or
    pre-commit's for a pre-push stage."""
    if bool(options.from_ref) != bool(options.to_ref):
        raise HookrunnerError("--from-ref and --to-ref go together")
    if options.from_ref and options.to_ref:
        return options.from_ref, options.to_ref
    if under_pre_commit(env) and env.get("PRE_COMMIT_FROM_REF") and env.get("PRE_COMMIT_TO_REF"):
        return env["PRE_COMMIT_FROM_REF"], env["PRE_COMMIT_TO_REF"]
    return None


def reads_push_refs(options: RunOptions, hook: str, env: Mapping[str, str]) -> bool:
    """Whether the run's files come from git's pre-push lines on stdin."""
    return (
        hook == "pre-push"
        and not options.files
        and not options.all_files
        and _refs(options, env) is None
    )


def push_ref_lines(options: RunOptions, hook: str, env: Mapping[str, str], stdin: TextIO) -> str:
    """git's pre-push ref lines, read once (the quick path and the full run share them)."""
    if not reads_push_refs(options, hook, env):
        return ""
    if stdin.isatty():
        raise HookrunnerError(
            "--hook pre-push reads git's ref lines on stdin; run by hand, "
            "give --from-ref and --to-ref"
        )
    return stdin.read()


def hook_arguments(options: RunOptions) -> tuple[str, ...]:
    """What git gave the hook: ``--commit-msg-filename``, then each ``--hook-arg``."""
    first = (options.commit_msg_filename,) if options.commit_msg_filename else ()
    return (*first, *options.hook_args)


def _hook_files(view: View, hook: str, args: Sequence[str]) -> list[str]:
    """The files of a run of a hook that follows a change of HEAD."""
    if hook == "post-checkout" and len(args) == 3 and args[2] == "1" and set(args[0]) != {"0"}:
        return changed_files(view, args[0], args[1])  # a branch checkout: what changed
    if hook == "post-merge" and view.try_output("rev-parse", "--verify", "-q", "ORIG_HEAD"):
        return changed_files(view, "ORIG_HEAD", "HEAD")
    return []


def _split_positionals(root: str, names: Sequence[str]) -> tuple[list[str], tuple[str, ...]]:
    """Repository-relative paths for the arguments that exist, and the others
    (task names, or mistakes reported once the tasks are known)."""
    cwd = os.getcwd()
    paths: list[str] = []
    others: list[str] = []
    for name in names:
        full = os.path.abspath(os.path.join(cwd, name))
        if not os.path.lexists(full):
            others.append(name)
            continue
        relative = os.path.relpath(full, root)
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            raise HookrunnerError(f"{name}: outside the repository {root}")
        paths.append(relative.replace(os.sep, "/"))
    return unique(paths), tuple(unique(others))


def files_of_run(
    view: View, options: RunOptions, hook: str, env: Mapping[str, str], ref_lines: str
) -> FileSet:
    """The files the run's tasks are given (SPEC "Files of a run")."""
    refs = _refs(options, env)
    paths, tasks = _split_positionals(view.root, options.files) if options.files else ([], ())
    if paths and options.all_files:
        raise HookrunnerError("give files or --all-files, not both")
    if paths:
        return FileSet(paths, staged=False, tasks=tasks)
    if options.all_files:
        missing = view.missing()
        return FileSet([p for p in view.tracked() if p not in missing], False, tasks)
    if refs is not None:
        return FileSet(changed_files(view, *refs), staged=False, tasks=tasks)
    if hook == "pre-push":
        remote = env.get("HOOKRUNNER_REMOTE_NAME") or env.get("PRE_COMMIT_REMOTE_NAME") or "origin"
        return FileSet(pushed_files(view, ref_lines, remote), staged=False, tasks=tasks)
    if hook in ARGUMENT_HOOKS or hook in ("post-checkout", "post-merge"):
        return FileSet(_hook_files(view, hook, hook_arguments(options)), False, tasks)
    return FileSet(staged_files(view), staged=True, tasks=tasks)


def check_task_names(config: Config, names: Sequence[str], flag: str) -> None:
    known = [t.name for t in config.tasks]
    for name in names:
        if name not in known:
            from difflib import get_close_matches

            close = get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            what = "no such file or task" if flag == "FILES" else "no such task"
            shown = name if flag == "FILES" else f"{flag} {name}"
            raise HookrunnerError(f"{shown}: {what}{hint}")


def project_folder(config: Config, root: str, option: str | None) -> str | None:
    """``--project DIR`` as a repository-relative folder holding at least one project."""
    if option is None:
        return None
    full = os.path.abspath(option)
    folder = os.path.relpath(full, root).replace(os.sep, "/")
    if folder == os.pardir or folder.startswith(os.pardir + "/"):
        raise HookrunnerError(f"--project {option}: outside the repository {root}")
    folder = "" if folder == "." else folder
    from hookrunner.plan import in_folder

    folders = {t.project for t in config.tasks}
    if not any(in_folder(project, folder) for project in folders):
        raise HookrunnerError(f"--project {option}: no project with tasks there")
    return folder


def task_choice(
    config: Config, options: RunOptions, hook: str, fileset: FileSet, root: str = ""
) -> TaskChoice:
    """Which tasks the command line chose: ``--only``/``--skip``, ``SKIP``, ``--stage``,
    ``--project``, and task names given in place of files."""
    # A pre-commit hook's id names every task of that id (its alias, a numbered repeat).
    ids: dict[str, list[str]] = {}
    for task in config.tasks:
        if task.hook_id:
            ids.setdefault(task.hook_id, []).append(task.name)
    named = [n for name in (*options.only, *fileset.tasks) for n in ids.get(name, [name])]
    check_task_names(config, [n for n in fileset.tasks if n not in ids], "FILES")
    check_task_names(config, [n for n in options.only if n not in ids], "--only")
    check_task_names(config, [n for n in options.skip if n not in ids], "--skip")
    env_skip = [s.strip() for s in os.environ.get("SKIP", "").split(",") if s.strip()]
    skip = {*options.skip, *env_skip}
    skip.update(n for name in list(skip) for n in ids.get(name, ()))
    return TaskChoice(
        hook=hook,
        only=tuple(named),
        skip=frozenset(skip),
        skip_source="--skip" if options.skip else "SKIP",
        stages=options.stages,
        project=project_folder(config, root, options.project),
        arguments=hook_arguments(options) if hook in ARGUMENT_HOOKS else None,
    )


def task_environment(hook: str, options: RunOptions, ref_lines: str = "") -> dict[str, str]:
    """The environment every task gets: ours, plus ``HOOKRUNNER_HOOK``, the remote
    and the pushed refs (``HOOKRUNNER_FROM_REF``/``TO_REF``, as pre-commit gives
    ``PRE_COMMIT_FROM_REF``/``TO_REF``: the first ref the push updates)."""
    env = dict(os.environ)
    # Tools installed beside hookrunner (the same virtualenv) are found even
    # when git runs the hook from a shell where that environment is not active.
    here = os.path.dirname(sys.executable)
    path = env.get("PATH", "")
    if here and here not in path.split(os.pathsep):
        env["PATH"] = here + os.pathsep + path if path else here
    env["HOOKRUNNER_HOOK"] = hook
    # Under pre-commit the same facts arrive under its names.
    for ours, theirs in (
        ("HOOKRUNNER_REMOTE_NAME", "PRE_COMMIT_REMOTE_NAME"),
        ("HOOKRUNNER_REMOTE_URL", "PRE_COMMIT_REMOTE_URL"),
        ("HOOKRUNNER_FROM_REF", "PRE_COMMIT_FROM_REF"),
        ("HOOKRUNNER_TO_REF", "PRE_COMMIT_TO_REF"),
    ):
        if theirs in env and ours not in env:
            env[ours] = env[theirs]
    if options.from_ref and options.to_ref:
        env["HOOKRUNNER_FROM_REF"] = options.from_ref
        env["HOOKRUNNER_TO_REF"] = options.to_ref
    for line in ref_lines.splitlines():
        parts = line.split()
        if len(parts) == 4 and set(parts[1]) != {"0"}:
            if set(parts[3]) != {"0"}:
                env["HOOKRUNNER_FROM_REF"] = parts[3]
            env["HOOKRUNNER_TO_REF"] = parts[1]
            break
    args = hook_arguments(options)
    if args:
        import shlex

        env["HOOKRUNNER_HOOK_ARGS"] = shlex.join(args)
        if hook == "post-checkout" and len(args) == 3:
            env["HOOKRUNNER_FROM_REF"], env["HOOKRUNNER_TO_REF"] = args[0], args[1]
    return env


def without_running(
    plan: Sequence[PlannedTask],
    store: "Store | None",
    keyers: "Mapping[str, Keyer]",
    started: float,
) -> list[TaskResult] | None:
    """The results of a run where no task has to run (every task skipped or
    answered from the cache), else None."""
    skipped = [skipped_result(p) for p in plan if p.skip]
    if len(skipped) == len(plan):
        return skipped
    if store is None:
        return None
    from hookrunner.cache.keys import all_cached

    cached = all_cached(plan, store, keyers, started)
    return None if cached is None else skipped + cached
