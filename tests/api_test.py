from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

import hookrunner
from hookrunner import (
    format_code_async,
    git_diff_async,
    git_status_async,
    run_parallel_checks,
    run_parallel_git_operations,
    run_subprocess_async,
    run_tests_async,
)
from tests.conftest import git

UGLY = "def add(a,b):\n    return a+b\n"
PRETTY = "def add(a, b):\n    return a + b\n"


def make_project(path: Path) -> Path:
    """A committed package with one passing test, ready for ruff and pytest."""
    (path / "pkg").mkdir()
    (path / "pkg" / "__init__.py").write_text(PRETTY)
    (path / "tests").mkdir()
    (path / "tests" / "test_pkg.py").write_text(
        "from pkg import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    )
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "package")
    return path


def tools_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # The helpers find tools on PATH, as a user's shell would; ruff lives
    # beside the interpreter running the tests.
    bindir = os.path.dirname(sys.executable)
    monkeypatch.setenv("PATH", bindir + os.pathsep + os.environ["PATH"])
    # The project's own pytest needs none of the plugins installed here, and
    # loading them all costs more than its test run.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture
def project(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    tools_on_path(monkeypatch)
    return make_project(repo)


# -- the package surface ----------------------------------------------------------

EXPORTED = {
    "ParallelExecutor",
    "ToolTask",
    "TaskStatus",
    "CircularDependencyError",
    "run_subprocess_async",
    "git_status_async",
    "git_diff_async",
    "format_code_async",
    "run_tests_async",
    "run_parallel_git_operations",
    "run_parallel_checks",
}


def test_all_has_the_specified_names() -> None:
    assert set(hookrunner.__all__) == EXPORTED | {
        "ExecutionStatistics", "MissingDependencyError", "Outcome", "ResultStatus",
        "__version__"}  # fmt: skip
    for name in hookrunner.__all__:
        assert getattr(hookrunner, name) is not None
    assert sorted(dir(hookrunner)) == sorted(hookrunner.__all__)


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        hookrunner.nope  # type: ignore[attr-defined]  # noqa: B018


def test_importing_the_package_does_not_import_asyncio() -> None:
    code = (
        "import sys, hookrunner;"
        "print('asyncio' in sys.modules, 'hookrunner.engine.executor' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "False False\n"
    code = "import sys, hookrunner; hookrunner.ParallelExecutor; print('asyncio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "True\n"


# -- run_subprocess_async --------------------------------------------------------------


def test_run_subprocess_with_a_list(tmp_path: Path) -> None:
    result = asyncio.run(run_subprocess_async(["pwd"], cwd=tmp_path))
    assert result["status"] == "success"
    assert result["output"] == f"{tmp_path}\n"
    assert (result["error"], result["exit_code"]) == (None, 0)
    assert result["duration"] > 0


def test_run_subprocess_with_a_string_is_split_not_shelled(tmp_path: Path) -> None:
    result = asyncio.run(run_subprocess_async("printf '%s|' 'a b' c '$HOME'", cwd=tmp_path))
    assert result["output"] == "a b|c|$HOME|"


def test_run_subprocess_failure() -> None:
    result = asyncio.run(run_subprocess_async(["sh", "-c", "echo no >&2; exit 4"]))
    assert (result["status"], result["output"], result["error"], result["exit_code"]) == (
        "failed", "no\n", "exit code 4", 4)  # fmt: skip


def test_run_subprocess_timeout() -> None:
    result = asyncio.run(run_subprocess_async(["sleep", "100"], timeout=0.1))
    assert result["status"] == "timeout"
    assert result["error"] == "timed out after 0.1s"


def test_run_subprocess_missing_command_and_empty_command() -> None:
    missing = asyncio.run(run_subprocess_async(["hookrunner-no-such-tool"]))
    assert (missing["status"], missing["exit_code"]) == ("failed", None)
    assert missing["error"] == "command not found: hookrunner-no-such-tool"
    empty = asyncio.run(run_subprocess_async("  "))
    assert (empty["status"], empty["error"]) == ("failed", "empty command")


# -- git -------------------------------------------------------------------------------


def test_git_status_and_diff_on_real_changes(project: Path) -> None:
    (project / "README").write_text("hello\nunstaged line\n")
    (project / "pkg" / "new.py").write_text("NEW = 1\n")
    git(project, "add", "pkg/new.py")
    (project / "pkg" / "__init__.py").write_text(PRETTY + "STAGED = 2\n")
    git(project, "add", "pkg/__init__.py")

    status = asyncio.run(git_status_async(str(project)))
    assert status["status"] == "success"
    assert status["output"].splitlines() == [
        "## main", " M README", "M  pkg/__init__.py", "A  pkg/new.py"]  # fmt: skip

    unstaged = asyncio.run(git_diff_async(str(project)))
    assert "+unstaged line" in unstaged["output"]
    assert "STAGED" not in unstaged["output"]

    staged = asyncio.run(git_diff_async(str(project), staged=True))
    assert "+STAGED = 2" in staged["output"]
    assert "+NEW = 1" in staged["output"]
    assert "unstaged line" not in staged["output"]

    one_path = asyncio.run(git_diff_async(str(project), staged=True, path="pkg/new.py"))
    assert "+NEW = 1" in one_path["output"]
    assert "STAGED" not in one_path["output"]


def test_git_outside_a_repository_fails(tmp_path: Path) -> None:
    result = asyncio.run(git_status_async(tmp_path))
    assert result["status"] == "failed"
    assert "not a git repository" in result["output"]


# -- formatting and tests ------------------------------------------------------------------


def test_format_code_with_ruff_rewrites_a_file(project: Path) -> None:
    ugly = project / "pkg" / "ugly.py"
    ugly.write_text(UGLY)
    result = asyncio.run(format_code_async(str(project)))
    assert result["status"] == "success", result["output"]
    assert "1 file reformatted" in result["output"]
    assert ugly.read_text() == PRETTY


def test_format_code_with_a_command_and_paths(project: Path) -> None:
    ugly = project / "pkg" / "ugly.py"
    ugly.write_text(UGLY)
    (project / "pkg" / "other.py").write_text(UGLY)
    result = asyncio.run(
        format_code_async(str(project), formatter="ruff format --check", paths=["pkg/ugly.py"])
    )
    assert (result["status"], result["exit_code"]) == ("failed", 1)
    assert "ugly.py" in result["output"]
    assert "other.py" not in result["output"]
    assert ugly.read_text() == UGLY


def test_run_tests_passing(project: Path) -> None:
    result = asyncio.run(run_tests_async(str(project)))
    assert result["status"] == "success", result["output"]
    assert "1 passed" in result["output"]


def test_run_tests_failing_with_path_and_args(project: Path) -> None:
    (project / "tests" / "test_bad.py").write_text(
        "def test_bad():\n    assert 1 == 2\n\n\ndef test_other():\n    pass\n"
    )
    result = asyncio.run(
        run_tests_async(str(project), test_path="tests/test_bad.py", extra_args=["-k", "not other"])
    )
    assert (result["status"], result["exit_code"]) == ("failed", 1)
    assert "1 failed, 1 deselected" in result["output"]


# -- the parallel conveniences ------------------------------------------------------------


def test_run_parallel_git_operations(project: Path) -> None:
    (project / "README").write_text("changed\n")
    results = asyncio.run(run_parallel_git_operations(project))
    assert set(results) == {"git_status", "git_diff"}
    assert results["git_status"]["output"] == "## main\n M README\n"
    assert "+changed" in results["git_diff"]["output"]


@pytest.mark.parametrize(
    ("run_format", "run_tests"), [(True, True), (True, False), (False, True), (False, False)]
)
def test_run_parallel_checks(project: Path, run_format: bool, run_tests: bool) -> None:
    ugly = project / "pkg" / "ugly.py"
    ugly.write_text(UGLY)
    results = asyncio.run(run_parallel_checks(project, run_format=run_format, run_tests=run_tests))
    expected = {"git_status", "git_diff"}
    expected |= {"format_code"} if run_format else set()
    expected |= {"run_tests"} if run_tests else set()
    assert set(results) == expected
    assert {r["status"] for r in results.values()} == {"success"}
    assert ugly.read_text() == (PRETTY if run_format else UGLY)
    if run_tests:
        assert "1 passed" in results["run_tests"]["output"]
    if run_format and run_tests:
        assert results["format_code"]["end"] <= results["run_tests"]["start"]
    if run_format:
        # git waits for nothing: it runs beside the formatter.
        assert results["git_status"]["start"] < results["format_code"]["end"]
        assert results["format_code"]["start"] < results["git_status"]["end"]


def test_run_parallel_checks_runs_tests_even_if_formatting_fails(project: Path) -> None:
    (project / "pkg" / "broken.py").write_text("def broken(:\n")
    results = asyncio.run(run_parallel_checks(project))
    assert results["format_code"]["status"] == "failed"
    assert results["run_tests"]["status"] == "success"
    assert results["format_code"]["end"] <= results["run_tests"]["start"]
