"""Where a run's lines go and how it ends: the printer, the summary line, and
the ``--json`` and ``--trace`` files."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from hookrunner.cli.options import RunOptions
from hookrunner.errors import HookrunnerError
from hookrunner.model import RunReport, TaskResult
from hookrunner.report import Printer, color_allowed, github_actions, live_allowed


def check_paths(options: RunOptions) -> None:
    """``--json``, ``--trace`` and ``--junit`` must be writable places before any task runs."""
    for flag, target in (
        ("--json", options.json_path),
        ("--trace", options.trace_path),
        ("--junit", options.junit_path),
    ):
        if not target or (flag == "--json" and target == "-"):
            continue
        if os.path.isdir(target):
            raise HookrunnerError(f"{flag} {target}: is a folder, not a file")
        folder = os.path.dirname(os.path.abspath(target))
        if not os.path.isdir(folder):
            raise HookrunnerError(f"{flag} {target}: no such folder {folder}")


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
        github=github_actions(os.environ),
    )


def conclude(
    printer: Printer,
    results: Sequence[TaskResult],
    code: int,
    started: float,
    jobs: int,
    options: RunOptions,
) -> RunReport:
    """The summary line, then the ``--json``, ``--trace`` and ``--junit`` files asked for."""
    report = RunReport(tuple(results), code, time.perf_counter() - started, jobs)
    printer.finish(report)
    if options.json_path:
        from hookrunner.report import write_json

        write_json(report, options.json_path)
    if options.trace_path:
        from hookrunner.trace import write_trace

        write_trace(report, options.trace_path)
    if options.junit_path:
        from hookrunner.junit import write_junit

        write_junit(report, options.junit_path)
    return report
