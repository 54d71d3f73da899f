"""What a ``hookrunner run`` was asked to do, and what follows from the
command line and the environment alone: the hook, the tasks' environment, the
selection of tasks.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from typing import NamedTuple, TextIO

from hookrunner.errors import HookrunnerError
from hookrunner.model import Config
from hookrunner.plan import Selection
from hookrunner.report import Printer, RunReport, TaskResult, color_allowed, live_allowed


class RunOptions(NamedTuple):
    files: tuple[str, ...] = ()
    all_files: bool = False
    hook: str | None = None
    from_ref: str | None = None
    to_ref: str | None = None
    jobs: int | None = None
    fail_fast: bool | None = None
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    verbose: bool = False
    quiet: bool = False
    json_path: str | None = None
    trace_path: str | None = None
    color: str = "auto"
    config_path: str | None = None
    dry_run: bool = False
    no_cache: bool = False


def under_pre_commit(env: Mapping[str, str]) -> bool:
    return env.get("PRE_COMMIT") == "1"


def hook_of(options: RunOptions, env: Mapping[str, str]) -> str:
    """The hook this run stands for; under pre-commit, its stage."""
    if options.hook:
        return options.hook
    if under_pre_commit(env):
        stage = env.get("PRE_COMMIT_HOOK_STAGE", "")
        if stage in ("pre-commit", "pre-push", "manual"):
            return stage
        if env.get("PRE_COMMIT_FROM_REF") or env.get("PRE_COMMIT_TO_REF"):
            return "pre-push"
        return "pre-commit"
    return "manual"


def task_environment(hook: str, options: RunOptions) -> dict[str, str]:
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
    return env


def selection_of(config: Config, options: RunOptions, hook: str) -> Selection:
    names = [t.name for t in config.tasks]
    for flag, chosen in (("--only", options.only), ("--skip", options.skip)):
        for name in chosen:
            if name not in names:
                from difflib import get_close_matches

                close = get_close_matches(name, names, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise HookrunnerError(f"{flag} {name}: no such task{hint}")
    env_skip = [s.strip() for s in os.environ.get("SKIP", "").split(",") if s.strip()]
    source = "--skip" if options.skip else "SKIP"
    return Selection(
        hook=hook,
        only=options.only,
        skip=frozenset([*options.skip, *env_skip]),
        skip_source=source,
        stages=options.stages,
    )


def output_of(options: RunOptions) -> TextIO:
    """Where the run's lines go: stderr when the JSON report takes stdout."""
    return sys.stderr if options.json_path == "-" else sys.stdout


def printer_for(options: RunOptions, total: int) -> Printer:
    out = output_of(options)
    return Printer(
        out,
        color=color_allowed(options.color, out, os.environ),
        verbose=options.verbose,
        quiet=options.quiet,
        live=live_allowed(out, os.environ),
        width=79,
        total=total,
    )


def conclude(
    printer: Printer,
    results: Sequence[TaskResult],
    code: int,
    started: float,
    jobs: int,
    options: RunOptions,
) -> RunReport:
    """The summary line, then the ``--json`` report and the ``--trace`` the options ask for."""
    report = RunReport(tuple(results), code, time.perf_counter() - started, jobs)
    printer.finish(report)
    if options.json_path:
        from hookrunner.report import write_json

        write_json(report, options.json_path)
    if options.trace_path:
        from hookrunner.trace import write_trace

        write_trace(report, options.trace_path)
    return report
