"""The design document's usage examples, run as written.

Only the import path (``agent.parallel_executor`` -> ``hookrunner``) and the
placeholder paths (``"/path"`` and ``"/path/to/project"`` -> ``path``, a
real repository's) differ from the document. Each example is wrapped in an
``async def``; names an example uses without defining are defined beside it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict  # noqa: UP035

import pytest

from hookrunner import (
    ParallelExecutor,
    ToolTask,
    format_code_async,
    git_diff_async,
    git_status_async,
)
from tests.api_test import PRETTY, UGLY, make_project, tools_on_path


@pytest.fixture
def project(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    tools_on_path(monkeypatch)
    return make_project(repo)


def test_basic_parallel_execution(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(project)
    (project / "README").write_text("hello\nchanged\n")

    async def example() -> dict[str, Any]:
        from hookrunner import ParallelExecutor, ToolTask, git_status_async, git_diff_async  # noqa: I001

        # Create executor
        executor = ParallelExecutor(max_concurrency=5, verbose=True)

        # Define tasks
        tasks = [
            ToolTask(name="git_status", func=git_status_async, kwargs={"project_dir": path}),
            ToolTask(name="git_diff", func=git_diff_async, kwargs={"project_dir": path}),
        ]

        # Execute in parallel
        results = await executor.execute_parallel(tasks)

        # Check results
        for task_name, result in results.items():
            if result["status"] == "success":
                print(f"✓ {task_name}: {result['output']}")
            else:
                print(f"✗ {task_name}: {result['error']}")

        return results

    results = asyncio.run(example())
    assert results["git_status"]["status"] == results["git_diff"]["status"] == "success"
    printed = capsys.readouterr().out
    assert "✓ git_status: ## main\n M README\n" in printed
    assert "✓ git_diff: diff --git a/README b/README" in printed
    assert "+changed" in printed
    assert "✗" not in printed


def test_execution_with_dependencies(project: Path) -> None:
    path = str(project)
    (project / "pkg" / "ugly.py").write_text(UGLY)

    async def example() -> dict[str, Any]:
        from hookrunner import ParallelExecutor, ToolTask, format_code_async, run_tests_async

        executor = ParallelExecutor(max_concurrency=5, verbose=True)

        # Define tasks with dependencies
        tasks = [
            ToolTask(
                name="format_code",
                func=format_code_async,
                kwargs={"project_dir": path},
                depends_on=[],  # No dependencies
            ),
            ToolTask(
                name="run_tests",
                func=run_tests_async,
                kwargs={"project_dir": path},
                depends_on=["format_code"],  # Wait for formatting
            ),
        ]

        # Execute with dependency resolution
        results = await executor.execute_with_dependencies(tasks)

        return results

    results = asyncio.run(example())
    assert results["format_code"]["status"] == "success"
    assert "1 file reformatted" in results["format_code"]["output"]
    assert (project / "pkg" / "ugly.py").read_text() == PRETTY
    assert results["run_tests"]["status"] == "success"
    assert "1 passed" in results["run_tests"]["output"]
    assert results["format_code"]["end"] <= results["run_tests"]["start"]


def test_custom_async_tasks(project: Path) -> None:
    path = str(project)

    async def example() -> dict[str, Any]:
        from hookrunner import ParallelExecutor, ToolTask

        async def my_custom_task(project_dir: str, config: dict) -> Dict[str, Any]:  # type: ignore[type-arg]  # noqa: UP006
            """Custom async task."""
            try:
                # Do async work
                await asyncio.sleep(1)

                return {
                    "status": "success",
                    "output": "Task completed",
                    "exit_code": 0,
                }
            except Exception as e:
                return {
                    "status": "failed",
                    "error": str(e),
                    "exit_code": 1,
                }

        # Use custom task
        task = ToolTask(
            name="custom_work",
            func=my_custom_task,
            kwargs={"project_dir": path, "config": {}},
            timeout=300,  # 5 minute timeout
        )

        return await ParallelExecutor().execute_parallel([task])

    result = asyncio.run(example())["custom_work"]
    assert (result["status"], result["output"], result["exit_code"], result["error"]) == (
        "success", "Task completed", 0, None)  # fmt: skip


def test_convenience_functions(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(project)
    (project / "README").write_text("hello\nchanged\n")
    (project / "pkg" / "ugly.py").write_text(UGLY)

    async def example() -> tuple[dict[str, Any], dict[str, Any]]:
        # Run common git operations in parallel
        from hookrunner import run_parallel_git_operations

        results = await run_parallel_git_operations(path)
        print(f"Git status: {results['git_status']['output']}")
        print(f"Git diff: {results['git_diff']['output']}")
        git_results = results

        # Run quality checks in parallel
        from hookrunner import run_parallel_checks

        results = await run_parallel_checks(
            path,
            run_format=True,
            run_tests=True,
        )

        return git_results, results

    git_results, results = asyncio.run(example())
    printed = capsys.readouterr().out
    assert "Git status: ## main\n M README\n?? pkg/ugly.py\n" in printed
    assert "Git diff: diff --git a/README b/README" in printed
    assert {r["status"] for r in git_results.values()} == {"success"}
    assert set(results) == {"git_status", "git_diff", "format_code", "run_tests"}
    assert {r["status"] for r in results.values()} == {"success"}
    assert (project / "pkg" / "ugly.py").read_text() == PRETTY
    assert "1 passed" in results["run_tests"]["output"]


def test_error_handling_examples(capsys: pytest.CaptureFixture[str]) -> None:
    from hookrunner import ParallelExecutor, ToolTask

    async def passes() -> dict[str, Any]:
        return {"status": "success", "output": "fine"}

    async def fails() -> dict[str, Any]:
        return {"status": "failed", "error": "lint errors", "exit_code": 1}

    async def slow_operation() -> dict[str, Any]:
        await asyncio.sleep(0.05)
        return {"status": "success", "output": "slow but done"}

    executor = ParallelExecutor()
    tasks = [ToolTask(name="ok", func=passes), ToolTask(name="bad", func=fails)]

    async def isolation() -> dict[str, Any]:
        results = await executor.execute_parallel(tasks, fail_fast=False)

        # Even if some tasks fail, all complete
        for name, result in results.items():
            if result["status"] == "failed":
                print(f"Task {name} failed: {result['error']}")

        return results

    async def fail_fast() -> dict[str, Any]:
        results = await executor.execute_parallel(tasks, fail_fast=True)

        return results

    async def timeout_handling() -> dict[str, Any]:
        task = ToolTask(
            name="slow_task",
            func=slow_operation,
            kwargs={},
            timeout=30,  # Kill after 30 seconds
        )

        return await executor.execute_parallel([task])

    results = asyncio.run(isolation())
    assert (results["ok"]["status"], results["bad"]["status"]) == ("success", "failed")
    assert capsys.readouterr().out == "Task bad failed: lint errors\n"
    results = asyncio.run(fail_fast())
    assert results["bad"]["status"] == "failed"
    assert asyncio.run(timeout_handling())["slow_task"]["output"] == "slow but done"


async def run_parallel_analysis(project_dir: Path) -> Dict[str, Any]:  # noqa: UP006
    """Run multiple analysis tools in parallel."""
    executor = ParallelExecutor(max_concurrency=4)

    tasks = [
        ToolTask(
            name="git_status", func=git_status_async, kwargs={"project_dir": str(project_dir)}
        ),
        ToolTask(name="git_diff", func=git_diff_async, kwargs={"project_dir": str(project_dir)}),
        ToolTask(
            name="format_check", func=format_code_async, kwargs={"project_dir": str(project_dir)}
        ),
    ]

    return await executor.execute_parallel(tasks)


def test_orchestrator_integration_example(project: Path) -> None:
    (project / "pkg" / "ugly.py").write_text(UGLY)

    # Call from sync context
    project_dir = project
    results = asyncio.run(run_parallel_analysis(project_dir))
    assert {r["status"] for r in results.values()} == {"success"}
    assert (project / "pkg" / "ugly.py").read_text() == PRETTY
