"""Which files and tasks a run takes from its command line and from git, through
the real command (SPEC "Files of a run", "Command line", "Output")."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookrunner.cli.options import RUN_OPTIONS, RunOptions
from hookrunner.cli.quick import OPTION_USE
from tests.conftest import git, hookrunner, write_config

TWO_CHECKERS = """
[tasks.check-a]
cmd = "checker a"

[tasks.check-b]
cmd = "checker b"
"""


@pytest.fixture
def checked(repo: Path, tool: tuple[Path, dict[str, str]]) -> tuple[Path, Path, dict[str, str]]:
    write_config(repo, TWO_CHECKERS)
    (repo / "one.txt").write_text("one\n")
    (repo / "two.txt").write_text("two\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "files")
    log, env = tool
    return repo, log, env


def calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_a_positional_that_names_a_task_runs_that_task(
    checked: tuple[Path, Path, dict[str, str]],
) -> None:
    repo, log, env = checked
    done = hookrunner(repo, "run", "check-b", "--all-files", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert calls(log) == ["b README one.txt pyproject.toml two.txt"]
    assert "check-b" in done.stdout
    assert "check-a" not in done.stdout


def test_a_positional_task_name_runs_on_the_staged_files_without_all_files(
    checked: tuple[Path, Path, dict[str, str]],
) -> None:
    repo, log, env = checked
    (repo / "one.txt").write_text("one, changed\n")
    git(repo, "add", "one.txt")
    done = hookrunner(repo, "check-a", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert calls(log) == ["a one.txt"]


def test_files_with_all_files_is_a_usage_error(
    checked: tuple[Path, Path, dict[str, str]],
) -> None:
    repo, log, env = checked
    done = hookrunner(repo, "run", "one.txt", "--all-files", env=env)
    assert done.returncode == 2
    assert done.stderr.strip() == "give files or --all-files, not both"
    assert calls(log) == []


def test_a_missing_file_that_is_no_task_is_a_usage_error(
    checked: tuple[Path, Path, dict[str, str]],
) -> None:
    repo, log, env = checked
    done = hookrunner(repo, "run", "one.txt", "gone.txt", env=env)
    assert done.returncode == 2
    assert done.stderr.strip() == "gone.txt: no such file or task"
    assert "Traceback" not in done.stderr
    assert calls(log) == []


def test_a_misspelled_task_name_gets_a_suggestion(
    checked: tuple[Path, Path, dict[str, str]],
) -> None:
    repo, _log, env = checked
    done = hookrunner(repo, "run", "chek-a", env=env)
    assert done.returncode == 2
    assert done.stderr.strip() == "chek-a: no such file or task (did you mean 'check-a'?)"


def test_all_files_leaves_out_tracked_files_deleted_in_the_work_tree(
    checked: tuple[Path, Path, dict[str, str]],
) -> None:
    repo, log, env = checked
    (repo / "two.txt").unlink()
    done = hookrunner(repo, "run", "--all-files", "--only", "check-a", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert calls(log) == ["a README one.txt pyproject.toml"]


@pytest.mark.parametrize("flag", ["--json", "--trace"])
@pytest.mark.parametrize("where", ["missing/report.json", "folder"])
def test_report_paths_are_checked_before_any_task_runs(
    checked: tuple[Path, Path, dict[str, str]], flag: str, where: str
) -> None:
    repo, log, env = checked
    (repo / "folder").mkdir()
    done = hookrunner(repo, "run", "--all-files", flag, where, env=env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"{flag} {where}: ")
    assert calls(log) == []


def test_a_commit_is_judged_by_the_staged_configuration(
    repo: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    log, env = tool
    write_config(repo, '[tasks.check]\ncmd = "checker"\n')
    (repo / "a.py").write_text("FAIL\n")
    git(repo, "add", "a.py")
    # Excluding the bad file without staging that change must not let it through.
    write_config(repo, '[tasks.check]\ncmd = "checker"\nexclude = ["a.py"]\n', commit=False)
    done = hookrunner(repo, "run", "--hook", "pre-commit", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert calls(log) == ["a.py"]
    assert 'exclude = ["a.py"]' in (repo / "pyproject.toml").read_text()


def test_every_run_option_is_decided_for_the_quick_path() -> None:
    """A new option must say whether a run answered from the cache may take it."""
    assert set(OPTION_USE) == set(RunOptions._fields)
    assert set(OPTION_USE.values()) <= {"same", "full"}


def test_the_option_table_names_every_field_but_the_files() -> None:
    assert {o.field for o in RUN_OPTIONS} == set(RunOptions._fields) - {"files"}
