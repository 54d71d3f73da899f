"""From the configuration and a run's files to the graph of invocations.

This decides, without running anything, which tasks run on which files,
which are skipped and why, how their file lists are split into command
lines, and what waits for what:
- stage order: format -> lint -> test (test only after format when
  ``tests_wait_for_lint = false``), as ordering edges;
- ``depends_on``: edges that need the dependency to succeed;
- format tasks whose files overlap: on each shared file the later-declared
  waits for the earlier, command line by command line (hookrunner/wavefront.py).
"""

# No ``from __future__ import annotations`` here: typing.NamedTuple turns each
# string annotation into a ForwardRef by compiling it, which costs every run
# (a git hook) about a millisecond per few records; real annotations cost nothing.

import posixpath
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import NamedTuple, Protocol

from hookrunner import wavefront
from hookrunner.engine.xargs import partition
from hookrunner.model import HOOKS, STAGES, Config, TaskConfig, TaskResult


class FileFilter(Protocol):
    """Which of the run's files a task's filters keep (:class:`hookrunner.files.Classifier`)."""

    def select(self, task: TaskConfig) -> list[str]: ...


class Invocation(NamedTuple):
    """One command line of a task; a task has several when its files do not fit in one."""

    name: str
    argv: tuple[str, ...]
    files: tuple[str, ...]
    after: tuple[str, ...] = ()
    """The command lines of earlier-declared formatters this one waits for:
    those sharing a file with it (see :mod:`hookrunner.wavefront`)."""


class PlannedTask(NamedTuple):
    task: TaskConfig
    files: tuple[str, ...] = ()
    skip: str = ""
    invocations: tuple[Invocation, ...] = ()
    after: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    serial: bool = False
    barrier: tuple[str, ...] = ()
    """The part of ``after`` that is stage order: an optimistic run may start
    the task before these end (the rest are writers of the same files)."""

    @property
    def name(self) -> str:
        return self.task.name

    @property
    def stage(self) -> str:
        return self.task.stage


class TaskChoice(NamedTuple):
    """Which tasks the command line chose."""

    hook: str = "manual"
    only: tuple[str, ...] = ()
    skip: Collection[str] = ()
    skip_source: str = "--skip"
    stages: tuple[str, ...] = ()
    project: str | None = None
    """``--project``: only the projects in this repository-relative folder ("" is every one)."""
    arguments: tuple[str, ...] | None = None
    """For a hook about a message or a history (commit-msg, ...): git's
    arguments, given to every task in place of filenames; such tasks always run."""


def in_folder(project: str, folder: str) -> bool:
    """Whether the project folder ``project`` is ``folder`` or inside it ("" is the root)."""
    return not folder or project == folder or project.startswith(folder + "/")


def stage_rank(stage: str) -> int:
    return STAGES.index(stage)


def _skip_reason(task: TaskConfig, choice: TaskChoice, files: Sequence[str]) -> str:
    if choice.hook not in task.hooks:
        return f"not in hook {choice.hook}"
    if task.name in choice.skip:
        return f"skipped by {choice.skip_source}"
    if not files and not task.always_run and choice.arguments is None:
        return "no files to check"
    return ""


def relative(files: Sequence[str], cwd: str) -> list[str]:
    return [posixpath.relpath(f, cwd) for f in files] if cwd else list(files)


def _invocations(
    task: TaskConfig,
    groups: Sequence[Sequence[str]],
    arg_limit: int,
    arguments: tuple[str, ...] | None,
) -> tuple[Invocation, ...]:
    """The command lines of ``task`` on its files in ``groups`` (one group
    unless the wavefront splits them), each group as many as fit."""
    if arguments is not None:
        return (Invocation(task.name, (*task.cmd, *arguments), ()),)
    if not task.pass_filenames:
        return (Invocation(task.name, task.cmd, tuple(f for g in groups for f in g)),)
    pieces = []
    for files in groups:
        start = 0
        for argv in partition(task.cmd, relative(files, task.cwd), arg_limit):
            count = len(argv) - len(task.cmd)
            pieces.append((tuple(argv), tuple(files[start : start + count])))
            start += count
    if len(pieces) == 1:
        return (Invocation(task.name, *pieces[0]),)
    total = len(pieces)
    return tuple(
        Invocation(f"{task.name} [{i}/{total}]", argv, files)
        for i, (argv, files) in enumerate(pieces, 1)
    )


def earlier_stages(config: Config, project: str = "") -> dict[str, tuple[str, ...]]:
    """The stages each stage of ``project`` waits for (its ``tests_wait_for_lint``)."""
    waits = config.tests_wait_for_lint
    for member in config.projects:
        if member.dir == project:
            waits = member.tests_wait_for_lint
    return {
        "format": (),
        "lint": ("format",),
        "test": ("format", "lint") if waits else ("format",),
    }


class _Chosen(NamedTuple):
    task: TaskConfig
    files: list[str]
    skip: str


def _writers_before(task: TaskConfig, chosen: Sequence[_Chosen], config: Config) -> list[str]:
    """Earlier-declared formatters sharing a file with ``task``: they go first, unless
    an explicit dependency the other way round already orders them."""
    from hookrunner.engine.graph import closure  # only a run with formatters needs it

    requires = {t.name: t.depends_on for t in config.tasks}
    mine = set(next(c.files for c in chosen if c.task.name == task.name))
    return [
        c.task.name
        for c in chosen
        if c.task.stage == "format"
        and c.task.position < task.position
        and not mine.isdisjoint(c.files)
        and task.name not in closure([c.task.name], requires)
    ]


def _kept(task: TaskConfig, choice: TaskChoice) -> bool:
    """Whether ``--only``, ``--stage`` and ``--project`` keep the task in the plan."""
    return (
        (not choice.only or task.name in choice.only)
        and (not choice.stages or task.stage in choice.stages)
        and (choice.project is None or in_folder(task.project, choice.project))
    )


def build_plan(
    config: Config,
    classifier: FileFilter,
    choice: TaskChoice,
    arg_limit: int,
    durations: Callable[[], Mapping[str, float]] | None = None,
    slots: int = 1,
) -> list[PlannedTask]:
    """Every configured task that the choice keeps, in declaration order.

    ``durations`` (earlier runs', asked for only when formatters share files)
    and ``slots`` decide whether those formatters are split into parts
    (:func:`hookrunner.wavefront.partition`)."""
    chosen = [
        _Chosen(task, files, _skip_reason(task, choice, files))
        for task in config.tasks
        if _kept(task, choice)
        for files in (classifier.select(task),)
    ]
    running = [c for c in chosen if not c.skip]
    names = {c.task.name for c in running}
    earlier = {p: earlier_stages(config, p) for p in {c.task.project for c in running}}
    writers = _writers(running, config)
    parts = _partition(running, writers, durations, slots, choice)
    plan = []
    for task, files, skip in chosen:
        if skip:
            plan.append(PlannedTask(task, tuple(files), skip))
            continue
        # Stage order holds within a project: another project's stages go their own pace.
        waits = earlier[task.project][task.stage]
        after = [
            c.task.name for c in running if c.task.stage in waits and c.task.project == task.project
        ]
        barrier = tuple(after)
        after += writers.get(task.name, [])
        groups = parts.groups(task.name, files)
        plan.append(
            PlannedTask(
                task,
                tuple(files),
                "",
                _invocations(task, groups, arg_limit, choice.arguments),
                after=tuple(dict.fromkeys(after)),
                depends_on=tuple(d for d in task.depends_on if d in names),
                serial=task.serial,
                barrier=barrier,
            )
        )
    return _with_waits(plan, writers, parts)


def _writers(running: Sequence[_Chosen], config: Config) -> dict[str, list[str]]:
    """Each formatter that shares files with earlier ones: those (:func:`_writers_before`)."""
    found = {}
    for c in running:
        if c.task.stage == "format":
            before = _writers_before(c.task, running, config)
            if before:
                found[c.task.name] = before
    return found


def _partition(
    running: Sequence[_Chosen],
    writers: Mapping[str, Sequence[str]],
    durations: Callable[[], Mapping[str, float]] | None,
    slots: int,
    choice: TaskChoice,
) -> wavefront.Partition:
    """The parts of the files that formatters share (none when no two do)."""
    if not writers or choice.arguments is not None:
        return wavefront.NO_PARTS
    sharing = {*writers, *(name for found in writers.values() for name in found)}
    files = {c.task.name: c.files for c in running if c.task.name in sharing}
    whole = {c.task.name for c in running if c.task.serial or not c.task.pass_filenames}
    took = durations() if durations else {}
    beside = sum(took.get(c.task.name, 0.0) for c in running if c.task.stage != "format")
    return wavefront.partition(files, took, slots, whole, beside)


def _with_waits(
    plan: list[PlannedTask], writers: Mapping[str, Sequence[str]], parts: wavefront.Partition
) -> list[PlannedTask]:
    """The plan with each formatter's command lines given the earlier
    formatters' command lines they wait for."""
    if not writers:
        return plan
    by_name = {p.name: p for p in plan}
    sharing = {*writers, *(name for found in writers.values() for name in found)}
    pieces = {
        name: [
            wavefront.Piece(
                inv.name, inv.files, not by_name[name].task.pass_filenames, parts.config
            )
            for inv in by_name[name].invocations
        ]
        for name in sharing
    }
    found = wavefront.waits(pieces, writers)
    return [
        p._replace(invocations=tuple(i._replace(after=found[i.name]) for i in p.invocations))
        if p.name in writers
        else p
        for p in plan
    ]


def expected_order(plan: Sequence[PlannedTask], durations: Mapping[str, float]) -> list[str]:
    """The order the ready queue would start the tasks in with one slot:
    what ``--dry-run`` shows."""
    pending = {p.name: set(p.after) | set(p.depends_on) for p in plan if not p.skip}
    index = {p.name: i for i, p in enumerate(plan)}
    by_name = {p.name: p for p in plan}
    order: list[str] = []
    while pending:
        ready = [n for n, deps in pending.items() if not deps]
        best = min(
            ready,
            key=lambda n: (
                stage_rank(by_name[n].stage),
                -by_name[n].task.priority,
                -durations.get(n, 0.0),
                index[n],
            ),
        )
        order.append(best)
        del pending[best]
        for deps in pending.values():
            deps.discard(best)
    return order


def skipped_result(planned: PlannedTask) -> TaskResult:
    return TaskResult(
        name=planned.name,
        stage=planned.stage,
        status="skipped",
        cmd=planned.task.cmd,
        files=planned.files,
        reason=planned.skip,
    )


# Tags of which a file has at most one (identify gives a symlink no other tag at all).
_EXCLUSIVE_TAGS = (
    frozenset({"text", "binary"}),
    frozenset({"executable", "non-executable"}),
    frozenset({"file", "symlink", "directory", "socket"}),
)


def types_disjoint(first: Collection[str], second: Collection[str]) -> bool:
    """True when no file can have all of ``first`` and all of ``second`` as
    ``types`` tags, e.g. ``["python"]`` and ``["markdown"]``; False whenever one
    could, or when either is empty (no type filter).

    Tags that exclude each other (text/binary, executable/non-executable) decide
    it first. Otherwise the kind tags (python, markdown, ...) must all come from
    one of identify's file names, extensions or shebang interpreters. identify
    also joins a known name with a known extension (``wscript.md`` is python
    and markdown); such names are left out, or no two kinds would ever be apart.
    """
    if not first or not second:
        return False
    wanted = {*first, *second}
    if any(len(wanted & group) > 1 for group in _EXCLUSIVE_TAGS):
        return True
    kind = wanted.difference(*_EXCLUSIVE_TAGS)
    if not kind:
        return False
    from identify import extensions, interpreters

    sources = (
        extensions.NAMES,
        extensions.EXTENSIONS,
        extensions.EXTENSIONS_NEED_BINARY_CHECK,
        interpreters.INTERPRETERS,
    )
    return not any(kind <= tags for source in sources for tags in source.values())


class _Overlaps:
    """Stands in for a run's files when there is no run: each task gets a file
    of its own, and each pair of format tasks that may share files gets one
    more that both select, so :func:`build_plan` orders exactly those pairs."""

    def __init__(self, tasks: Sequence[TaskConfig]) -> None:
        self.files = {t.name: [f"only/{t.position}"] for t in tasks}
        formats = [t for t in tasks if t.stage == "format"]
        for i, first in enumerate(formats):
            for second in formats[i + 1 :]:
                # Projects own disjoint files.
                if first.project != second.project:
                    continue
                if not types_disjoint(first.types, second.types):
                    shared = f"shared/{first.position}/{second.position}"
                    self.files[first.name].append(shared)
                    self.files[second.name].append(shared)

    def select(self, task: TaskConfig) -> list[str]:
        return self.files[task.name]


def waiting_edges(config: Config) -> dict[str, list[str]]:
    """What each configured task waits for when every task runs, in declaration
    order: the graph ``hookrunner list`` draws and measures the critical path on.

    The edges are :func:`build_plan`'s (stage order under ``tests_wait_for_lint``,
    ``depends_on``, format tasks that share files one after another in declaration
    order), so ``list`` and ``--dry-run`` agree. With no run there are no files to
    compare: two format tasks count as sharing files unless their ``types``
    cannot both hold for one file (:func:`types_disjoint`); ``files``,
    ``exclude`` and ``types_or`` globs are not compared, which errs on the side
    of ordering them.
    """
    every_hook = frozenset(HOOKS)
    everywhere = config._replace(tasks=tuple(t._replace(hooks=every_hook) for t in config.tasks))
    plan = build_plan(everywhere, _Overlaps(everywhere.tasks), TaskChoice(), arg_limit=1 << 30)
    return {p.name: list(dict.fromkeys([*p.depends_on, *p.after])) for p in plan}
