"""paratools: run format, lint and test checks concurrently (the ``hookrunner`` command).

The engine stands alone as a library::

    from hookrunner import ParallelExecutor, ToolTask
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = [
    "CircularDependencyError",
    "ExecutionStatistics",
    "MissingDependencyError",
    "Outcome",
    "ParallelExecutor",
    "ResultStatus",
    "TaskStatus",
    "ToolTask",
    "__version__",
    "format_code_async",
    "git_diff_async",
    "git_status_async",
    "run_parallel_checks",
    "run_parallel_git_operations",
    "run_subprocess_async",
    "run_tests_async",
]

# The command line imports submodules directly; importing the engine (and
# asyncio with it) only when the library API is asked for keeps a hook's
# start-up cost to what the run uses.
_HOMES = {
    "CircularDependencyError": "hookrunner.engine.graph",
    "ExecutionStatistics": "hookrunner.engine.executor",
    "MissingDependencyError": "hookrunner.engine.graph",
    "Outcome": "hookrunner.engine.executor",
    "ResultStatus": "hookrunner.engine.executor",
    "ParallelExecutor": "hookrunner.engine.executor",
    "TaskStatus": "hookrunner.engine.executor",
    "ToolTask": "hookrunner.engine.executor",
    "format_code_async": "hookrunner.engine.helpers",
    "git_diff_async": "hookrunner.engine.helpers",
    "git_status_async": "hookrunner.engine.helpers",
    "run_parallel_checks": "hookrunner.engine.helpers",
    "run_parallel_git_operations": "hookrunner.engine.helpers",
    "run_subprocess_async": "hookrunner.engine.helpers",
    "run_tests_async": "hookrunner.engine.helpers",
}

if TYPE_CHECKING:
    from hookrunner.engine.executor import (
        ExecutionStatistics,
        Outcome,
        ParallelExecutor,
        ResultStatus,
        TaskStatus,
        ToolTask,
    )
    from hookrunner.engine.graph import CircularDependencyError, MissingDependencyError
    from hookrunner.engine.helpers import (
        format_code_async,
        git_diff_async,
        git_status_async,
        run_parallel_checks,
        run_parallel_git_operations,
        run_subprocess_async,
        run_tests_async,
    )
else:
    # Hidden from type checkers, so a misspelled name fails `mypy --strict`
    # instead of being typed Any.
    def __getattr__(name: str) -> object:
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module 'hookrunner' has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(home), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(__all__)
