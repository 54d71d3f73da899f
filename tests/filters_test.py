"""Which files a task is given: pre-commit's type keys, a single glob, the
warning for a pattern written as a pre-commit regular expression, and only
files (never a submodule or a folder behind a symlink), as the configuration
reads them and through the real command."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.config_test import only_task, task_error
from tests.conftest import git, hookrunner, write_config

FULL = {"HOOKRUNNER_QUICK": "0"}


@pytest.fixture
def opener(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """``opener`` on PATH: logs each file it is given, one a line, and fails on a
    folder ("Is a directory"), as a tool that opens its files does."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "opened.log"
    script = bin_dir / "opener"
    script.write_text(
        f'#!/bin/sh\nfor f in "$@"; do\n  echo "$f" >> {log}\n'
        '  if [ -d "$f" ]; then echo "$f: Is a directory"; exit 1; fi\ndone\n'
    )
    script.chmod(0o755)
    return log, {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def opened(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def run(repo: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return hookrunner(repo, "run", *args, env=env)


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("hookrunner: warning:")]


# -- pre-commit's type keys ---------------------------------------------------------------


@pytest.fixture
def typed(repo: Path) -> Path:
    (repo / "src").mkdir()
    (repo / "src" / "a.py").write_text("a = 1\n")
    (repo / "src" / "a.pyi").write_text("a: int\n")
    (repo / "src" / "notes.txt").write_text("notes\n")
    script = repo / "tool"
    script.write_text("#!/usr/bin/env python3\nprint(1)\n")
    script.chmod(0o755)
    return repo


def commit_all(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "files")


def test_types_or_takes_files_of_any_type(typed: Path, opener: tuple[Path, dict[str, str]]) -> None:
    log, env = opener
    write_config(typed, '[tasks.stubs]\ncmd = "opener"\ntypes_or = ["python", "pyi"]\n')
    commit_all(typed)
    proc = run(typed, "-a", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert opened(log) == ["src/a.py", "src/a.pyi", "tool"]


def test_exclude_types_takes_files_out(typed: Path, opener: tuple[Path, dict[str, str]]) -> None:
    log, env = opener
    write_config(
        typed,
        '[tasks.t]\ncmd = "opener"\ntypes = ["text"]\nexclude_types = ["executable", "pyi"]\n',
    )
    commit_all(typed)
    proc = run(typed, "-a", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert opened(log) == ["README", "pyproject.toml", "src/a.py", "src/notes.txt"]


def test_all_three_together_as_pre_commit_reads_them(
    typed: Path, opener: tuple[Path, dict[str, str]]
) -> None:
    log, env = opener
    write_config(
        typed,
        '[tasks.t]\ncmd = "opener"\ntypes = ["text"]\ntypes_or = ["python", "pyi"]\n'
        'exclude_types = ["executable"]\n',
    )
    commit_all(typed)
    assert run(typed, "-a", env=env).returncode == 0
    assert opened(log) == ["src/a.py", "src/a.pyi"]


def test_a_single_glob_string(typed: Path, opener: tuple[Path, dict[str, str]]) -> None:
    log, env = opener
    write_config(typed, '[tasks.t]\ncmd = "opener"\nfiles = "src/*"\nexclude = "*.txt"\n')
    commit_all(typed)
    proc = run(typed, "-a", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert opened(log) == ["src/a.py", "src/a.pyi"]


def test_types_no_file_can_have_together_is_a_configuration_error(
    typed: Path, opener: tuple[Path, dict[str, str]]
) -> None:
    log, env = opener
    write_config(typed, '[tasks.stubs]\ncmd = "opener"\ntypes = ["python", "pyi"]\n')
    proc = run(typed, "-a", env=env)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "pyproject.toml: tool.paratools.tasks.stubs.types: no file has all the types"
        ' ["python", "pyi"] (types needs every one); for files of any of them write'
        ' types_or = ["python", "pyi"]'
    ]
    assert opened(log) == []


# -- reading the keys -------------------------------------------------------------------


@pytest.mark.parametrize("key", ["files", "exclude", "cache_inputs"])
def test_a_single_glob_is_a_list_of_one(tmp_path: Path, key: str) -> None:
    task = only_task(tmp_path, f'cmd = "x"\n{key} = "src/**/*.py"')
    assert getattr(task, key) == ("src/**/*.py",)


@pytest.mark.parametrize("key", ["files", "exclude"])
def test_a_single_bad_glob_is_named(tmp_path: Path, key: str) -> None:
    assert task_error(tmp_path, f'{key} = "#x"') == (
        f'pyproject.toml: tool.paratools.tasks.t.{key}: invalid glob "#x": it matches no path'
    )


@pytest.mark.parametrize(
    "pattern",
    [
        r"^src/.*\.py$",
        r"^docs/",
        r".*\.pyi?$",
        r"\.py$",
        r"^(src|tests)/",
        r"src/.+/x",
        r"data/\d+",
        r"(?x)foo",
    ],
)
def test_patterns_that_look_like_regular_expressions(tmp_path: Path, pattern: str) -> None:
    task = only_task(tmp_path, f"cmd = 'x'\nfiles = ['*.md']\nexclude = ['{pattern}']")
    ((warning, found),) = task.regex_like
    assert found == pattern
    assert warning.startswith("pyproject.toml: tool.paratools.tasks.t.exclude: ")
    assert "regular expression" in warning


@pytest.mark.parametrize(
    "pattern", ["*.py", ".*", "setup.*", "tests/.*", "src/**/*.py", "/a.py", "[ab].c", "!x"]
)
def test_globs_do_not_look_like_regular_expressions(tmp_path: Path, pattern: str) -> None:
    task = only_task(tmp_path, f"cmd = 'x'\nfiles = ['*.md', '{pattern}']\nexclude = '{pattern}'")
    assert task.regex_like == ()


@pytest.mark.parametrize("key", ["types_or", "exclude_types"])
def test_types_or_and_exclude_types_take_identify_tags(tmp_path: Path, key: str) -> None:
    assert task_error(tmp_path, f'{key} = ["python", "pyton"]') == (
        f"pyproject.toml: tool.paratools.tasks.t.{key}: "
        'unknown type "pyton" (did you mean "python"?)'
    )
    task = only_task(tmp_path, f'cmd = "x"\n{key} = ["python", "pyi"]')
    assert getattr(task, key) == ("python", "pyi")


@pytest.mark.parametrize(
    "types",
    [
        ["python", "pyi"],
        ["python", "javascript"],
        ["python", "text", "yaml"],
        ["text", "binary"],
        ["executable", "non-executable"],
        ["file", "symlink"],
        ["directory", "python"],
        ["python", "non-executable", "python3"],
    ],
)
def test_types_no_file_can_have_together(tmp_path: Path, types: list[str]) -> None:
    listed = "[" + ", ".join(f'"{t}"' for t in types) + "]"
    assert task_error(tmp_path, f"types = {listed}") == (
        f"pyproject.toml: tool.paratools.tasks.t.types: no file has all the types {listed}"
        f" (types needs every one); for files of any of them write types_or = {listed}"
    )


@pytest.mark.parametrize(
    "types",
    [
        ["python", "text"],
        ["python", "executable"],
        ["pyi", "text", "non-executable", "file"],
        ["python", "binary"],  # an executable with a python shebang and binary content
        ["python", "python3", "executable"],
        ["shell", "bash"],
        ["python", "twisted"],
        ["symlink"],
        ["dockerfile", "text"],
    ],
)
def test_types_a_file_can_have_together(tmp_path: Path, types: list[str]) -> None:
    task = only_task(tmp_path, f"cmd = 'x'\ntypes = {types!r}")
    assert task.types == tuple(types)


def test_a_type_both_required_and_excluded(tmp_path: Path) -> None:
    assert task_error(tmp_path, 'types = ["text", "python"]\nexclude_types = ["python"]') == (
        "pyproject.toml: tool.paratools.tasks.t.exclude_types: "
        '"python" is also in types: no file can be both required and excluded'
    )


# -- a pattern written for pre-commit ------------------------------------------------------

REGEX_CONFIG = r"""
[tasks.lint]
cmd = "opener"
files = ['^src/.*\.py$', "*.txt"]
cache = true

[tasks.docs]
cmd = "opener"
exclude = '^docs/'
cache = true
"""
LINT_WARNING = (
    "hookrunner: warning: pyproject.toml: tool.paratools.tasks.lint.files:"
    ' "^src/.*\\\\.py$" matched none of this run\'s files; it looks like a regular'
    " expression (pre-commit's syntax), but hookrunner takes gitignore-style globs here,"
    ' such as "*.py" or "src/**"'
)


def test_a_pattern_like_a_regular_expression_is_warned_about_once(
    typed: Path, opener: tuple[Path, dict[str, str]]
) -> None:
    log, env = opener
    write_config(typed, REGEX_CONFIG)
    commit_all(typed)
    proc = run(typed, "-a", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert warnings(proc.stderr) == [
        LINT_WARNING,
        LINT_WARNING.replace("lint.files", "docs.exclude").replace('"^src/.*\\\\.py$"', '"^docs/"'),
    ]
    # the globs still select what they match
    assert "src/notes.txt" in opened(log)
    assert "src/a.py" in opened(log)  # docs excludes nothing


def test_the_warning_is_the_same_when_the_results_are_cached(
    typed: Path, opener: tuple[Path, dict[str, str]]
) -> None:
    log, env = opener
    write_config(typed, REGEX_CONFIG)
    commit_all(typed)
    first = run(typed, "-a", env=env)
    assert first.returncode == 0
    calls = len(opened(log))
    again = run(typed, "-a", env=env)
    full = run(typed, "-a", env={**env, **FULL})
    assert len(opened(log)) == calls  # both answered from the cache
    assert "Cached" in again.stdout
    assert again.stderr == full.stderr == first.stderr
    assert len(warnings(again.stderr)) == 2


def test_no_warning_when_the_pattern_matches_a_file_of_the_run(
    typed: Path, opener: tuple[Path, dict[str, str]]
) -> None:
    log, env = opener
    (typed / "^odd$").write_text("odd\n")
    write_config(typed, '[tasks.t]\ncmd = "opener"\nfiles = ["^odd$"]\ncache = true\n')
    commit_all(typed)
    for _ in range(2):
        proc = run(typed, "-a", env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert warnings(proc.stderr) == []
    assert opened(log) == ["^odd$"]
    # A commit that does not touch it: the pattern matches none of the run's files.
    (typed / "README").write_text("changed\n")
    git(typed, "add", "README")
    for extra in ({}, FULL):
        proc = run(typed, "--hook", "pre-commit", env={**env, **extra})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert len(warnings(proc.stderr)) == 1
        assert "tool.paratools.tasks.t.files: " in proc.stderr


# -- only files reach tools ------------------------------------------------------------------


@pytest.fixture
def odd_paths(repo: Path, tmp_path: Path) -> Path:
    """A repository with a submodule, a symlink to a folder, a symlink to a file
    and a symlink that leads nowhere, all committed."""
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    (other / "typo.txt").write_text("teh\n")
    git(other, "add", "typo.txt")
    git(other, "commit", "-qm", "other")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(other), "sub")
    (repo / "pkg").mkdir()
    (repo / "pkg" / "mod.py").write_text("x = 1\n")
    (repo / "to-folder").symlink_to("pkg")
    (repo / "to-file.py").symlink_to("pkg/mod.py")
    (repo / "to-nothing.py").symlink_to("gone.py")
    write_config(
        repo,
        '[tasks.every]\ncmd = "opener"\ncache = false\n\n'
        '[tasks.links]\ncmd = "opener"\ntypes = ["symlink"]\ncache = false\n',
        commit=False,
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "odd paths")
    return repo


FILES = [
    ".gitmodules",
    "README",
    "pkg/mod.py",
    "pyproject.toml",
    "to-file.py",
]


def test_all_files_hands_tools_only_files(
    odd_paths: Path, opener: tuple[Path, dict[str, str]]
) -> None:
    log, env = opener
    proc = run(odd_paths, "-a", "-j", "1", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = opened(log)
    assert "sub" not in lines
    assert "to-folder" not in lines
    # every: the files; links: the symlinks that are not folders, dangling too
    assert lines == [*FILES, "to-file.py", "to-nothing.py"]


def test_a_staged_submodule_bump_never_reaches_a_tool(
    odd_paths: Path, opener: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    log, env = opener
    sub = odd_paths / "sub"
    (sub / "more.txt").write_text("recieve\n")
    git(sub, "add", "more.txt")
    git(sub, "commit", "-qm", "more")
    git(odd_paths, "add", "sub")
    (odd_paths / "pkg" / "mod.py").write_text("x = 2\n")
    (odd_paths / "to-folder").unlink()
    (odd_paths / "to-folder").symlink_to("sub")
    git(odd_paths, "add", "pkg/mod.py", "to-folder")
    staged = git(odd_paths, "diff", "--cached", "--name-only").split()
    assert staged == ["pkg/mod.py", "sub", "to-folder"]
    for hook in ("pre-commit", "manual"):
        log.unlink(missing_ok=True)
        proc = run(odd_paths, "--hook", hook, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert opened(log) == ["pkg/mod.py"]
        assert "links" in proc.stdout
        assert "no files to check" in proc.stdout


def test_files_named_on_the_command_line(
    odd_paths: Path, opener: tuple[Path, dict[str, str]]
) -> None:
    log, env = opener
    (odd_paths / "untracked-folder").mkdir()
    (odd_paths / "untracked-link").symlink_to("untracked-folder")
    names = ["sub", "to-folder", "untracked-folder", "untracked-link", "to-file.py", "README"]
    proc = run(odd_paths, "-j", "1", *names, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert opened(log) == ["to-file.py", "README", "to-file.py"]


def test_a_symlink_that_comes_to_lead_to_a_folder_is_seen_by_a_cached_run(
    repo: Path, opener: tuple[Path, dict[str, str]]
) -> None:
    """The index does not change, the symlink's target does: what reaches the
    tool is the full run's answer, also for a run answered from the cache."""
    log, env = opener
    (repo / ".gitignore").write_text("/build\n")
    (repo / "build").mkdir()
    (repo / "out").symlink_to("build")
    write_config(repo, '[tasks.t]\ncmd = "opener"\ncache = true\n', commit=False)
    commit_all(repo)
    assert run(repo, "-a", env=env).returncode == 0
    assert "out" not in opened(log)
    assert run(repo, "-a", env=env).returncode == 0  # answered from the cache
    (repo / "build").rmdir()
    (repo / "build").write_text("built\n")
    log.unlink()
    proc = run(repo, "-a", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "out" in opened(log)
