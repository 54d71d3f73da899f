"""The design document's async helpers: ready-made tasks for git, formatting and tests.

Each returns the executor's result mapping (``status``, ``output``, ``error``,
``exit_code``, ``duration``), so they can be used as :class:`ToolTask` funcs.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hookrunner.engine.executor import ParallelExecutor, Result, ToolTask
from hookrunner.engine.process import run_process
from hookrunner.engine.tasks import check_timeout

_GIT = ("git", "-c", "core.quotepath=false", "-c", "color.ui=false")


async def run_subprocess_async(
    cmd: Sequence[str] | str,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float | None = 300,
) -> Result:
    """Run a command (a list, or a string split like a POSIX shell; never a shell).

    ``timeout`` is a positive number of seconds, or None for no limit.
    """
    check_timeout(timeout)
    argv = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
    if not argv:
        return {"status": "failed", "output": "", "error": "empty command",
                "exit_code": None, "duration": 0.0}  # fmt: skip
    proc = await run_process(argv, cwd=cwd, timeout=timeout)
    return {
        "status": proc.status,
        "output": proc.output,
        "error": proc.error or None,
        "exit_code": proc.exit_code,
        "duration": proc.duration,
    }


async def git_status_async(project_dir: str | os.PathLike[str]) -> Result:
    """``git status`` in short form."""
    return await run_subprocess_async([*_GIT, "status", "--short", "--branch"], cwd=project_dir)


async def git_diff_async(
    project_dir: str | os.PathLike[str], staged: bool = False, path: str | None = None
) -> Result:
    """``git diff`` of the work tree, or of the index with ``staged=True``."""
    argv = [*_GIT, "diff", "--no-ext-diff", "--no-color"]
    if staged:
        argv.append("--cached")
    if path is not None:
        argv += ["--", path]
    return await run_subprocess_async(argv, cwd=project_dir)


_FORMATTERS = {
    "ruff": ["ruff", "format"],
    "black": ["black", "--quiet"],
    "isort": ["isort", "--quiet"],
}


async def format_code_async(
    project_dir: str | os.PathLike[str],
    formatter: str = "ruff",
    paths: Sequence[str] | None = None,
) -> Result:
    """Format ``paths`` (None: the whole project; an empty list: nothing) with
    ruff, black, isort or any other command given by name."""
    command = _FORMATTERS.get(formatter) or shlex.split(formatter)
    if not command:
        raise ValueError(f"formatter must name a command, got {formatter!r}")
    if paths is not None and not paths:
        return {"status": "success", "output": "", "error": None, "exit_code": None,
                "duration": 0.0}  # fmt: skip
    argv = [*command, *(["."] if paths is None else paths)]
    return await run_subprocess_async(argv, cwd=project_dir)


async def run_tests_async(
    project_dir: str | os.PathLike[str],
    test_path: str | None = None,
    extra_args: Sequence[str] | None = None,
) -> Result:
    """Run pytest with this interpreter in ``project_dir``."""
    argv = [sys.executable, "-m", "pytest", "-q"]
    if test_path is not None:
        argv.append(test_path)
    argv += list(extra_args or [])
    return await run_subprocess_async(argv, cwd=project_dir, timeout=None)


async def run_parallel_git_operations(project_dir: str | os.PathLike[str]) -> dict[str, Result]:
    """``git status`` and ``git diff`` at once; keys ``git_status`` and ``git_diff``."""
    kwargs: dict[str, Any] = {"project_dir": str(project_dir)}
    tasks = [
        ToolTask(name="git_status", func=git_status_async, kwargs=kwargs),
        ToolTask(name="git_diff", func=git_diff_async, kwargs=kwargs),
    ]
    return await ParallelExecutor().execute_parallel(tasks, fail_fast=False)


async def run_parallel_checks(
    project_dir: str | os.PathLike[str], run_format: bool = True, run_tests: bool = True
) -> dict[str, Result]:
    """git status and diff beside formatting, then the tests once formatting is done.

    Keys: ``git_status``, ``git_diff``, ``format_code`` and ``run_tests`` (the
    last two when asked for).
    """
    kwargs: dict[str, Any] = {"project_dir": str(Path(project_dir))}
    tasks = [
        ToolTask(name="git_status", func=git_status_async, kwargs=kwargs),
        ToolTask(name="git_diff", func=git_diff_async, kwargs=kwargs),
    ]
    if run_format:
        tasks.append(ToolTask(name="format_code", func=format_code_async, kwargs=kwargs))
    if run_tests:
        after = ["format_code"] if run_format else []
        tasks.append(
            ToolTask(
                name="run_tests", func=run_tests_async, kwargs=kwargs, after=after, timeout=None
            )
        )
    return await ParallelExecutor().execute_with_dependencies(tasks, fail_fast=False)
