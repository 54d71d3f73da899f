"""What a cache key covers: every way a pass could be reused on input the tool
would read differently is a miss (through the real command, in a real repository)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cache_test import run, was_cached
from tests.conftest import git, hookrunner, write_config
from tests.quick_test import assert_same_as_full_run, full_run_imported


def check(repo: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The ``check`` task's line of a run's JSON report."""
    return run(repo, *args, env=env)["check"]


def passed_then_cached(repo: Path, *args: str, env: dict[str, str] | None = None) -> None:
    first = check(repo, *args, env=env)
    assert first["status"] in ("passed", "modified"), first
    again = check(repo, *args, env=env)
    assert again["status"] == "passed", again
    assert was_cached(again), again


def fails_afresh(repo: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = check(repo, *args, env=env)
    assert not was_cached(result), result
    assert result["status"] in ("failed", "modified"), result
    return result


def commit_all(repo: Path, message: str = "commit") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def grep_rejects(word: str, path: str = '"$@"') -> list[str]:
    """A tool that fails when ``path`` holds ``word``."""
    return ["sh", "-c", f"! grep -q {word} {path}", "sh"]


# -- issue 12: configuration outside pyproject.toml, cross-file tools ------------------


@pytest.mark.parametrize("mode", ["true", '"per-file"'])
@pytest.mark.parametrize("where", ["ruff.toml", "pkg/setup.cfg", ".flake8", "mypy.ini"])
def test_a_tool_configuration_file_is_in_the_key(repo: Path, mode: str, where: str) -> None:
    (repo / "pkg").mkdir()
    (repo / "a.py").write_text("a = 1\n")
    (repo / where).write_text("select = []\n")
    cmd = ["sh", "-c", f'! grep -q strict {where} && cat "$@" > /dev/null', "sh"]
    table = f"[tasks.check]\ncmd = {json.dumps(cmd)}\nfiles = ['*.py']\ncache = {mode}\n"
    write_config(repo, table, commit=False)
    commit_all(repo)
    passed_then_cached(repo, "-a")
    (repo / where).write_text("select = ['strict']\n")
    fails_afresh(repo, "-a")  # unstaged
    commit_all(repo)
    fails_afresh(repo, "-a")  # committed: the quick path's case


def test_a_cross_file_tool_given_one_file_sees_the_others_change(repo: Path) -> None:
    """mypy as pre-commit users run it: a.py's pass depends on b.py."""
    (repo / "a.py").write_text("from b import f\nf(1)\n")
    (repo / "b.py").write_text("def f(x): ...\n")
    cmd = ["sh", "-c", 'cat "$@" > /dev/null; grep -q "def f(x)" b.py', "sh"]
    write_config(repo, f"[tasks.check]\ncmd = {json.dumps(cmd)}\nfiles = ['a.py']\n")
    commit_all(repo)
    passed_then_cached(repo, "a.py")
    (repo / "b.py").write_text("def f(): ...\n")
    fails_afresh(repo, "a.py")
    commit_all(repo, "b")
    fails_afresh(repo, "-a")


def test_per_file_mode_keys_each_file_with_the_configuration_only(repo: Path) -> None:
    """The opt-in for file-local tools: another file's change keeps a.py's pass."""
    (repo / "a.py").write_text("a = 1\n")
    (repo / "b.py").write_text("b = 1\n")
    write_config(
        repo, f"[tasks.check]\ncmd = {json.dumps(grep_rejects('BAD'))}\ncache = 'per-file'\n"
    )
    commit_all(repo)
    passed_then_cached(repo, "a.py")
    (repo / "b.py").write_text("b = 2\n")
    assert was_cached(check(repo, "a.py"))
    (repo / "deep" / "er").mkdir(parents=True)
    (repo / "deep" / "er" / "tox.ini").write_text("[flake8]\n")
    git(repo, "add", "deep")
    assert not was_cached(check(repo, "a.py"))


# -- issue 17: what a file is, as the tool reads it -----------------------------------


@pytest.mark.parametrize("committed", [True, False])
def test_the_executable_bit_is_in_the_key(repo: Path, committed: bool) -> None:
    """check-shebang-scripts-are-executable, per-file."""
    script = repo / "run.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    cmd = ["sh", "-c", 'for f; do test -x "$f" || exit 1; done', "sh"]
    write_config(
        repo, f"[tasks.check]\ncmd = {json.dumps(cmd)}\nfiles = ['*.sh']\ncache = 'per-file'\n"
    )
    commit_all(repo)
    passed_then_cached(repo, "-a")
    script.chmod(0o644)
    if committed:
        commit_all(repo, "chmod -x")
    fails_afresh(repo, "-a")


@pytest.mark.parametrize("flag", ["--skip-worktree", "--assume-unchanged"])
@pytest.mark.parametrize("mode", ["true", '"per-file"'])
def test_a_file_git_does_not_look_at_is_read_from_disk(repo: Path, flag: str, mode: str) -> None:
    (repo / "a.py").write_text("a = 1\n")
    write_config(
        repo,
        f"[tasks.check]\ncmd = {json.dumps(grep_rejects('BAD'))}\nfiles = ['*.py']\n"
        f"cache = {mode}\n",
    )
    commit_all(repo)
    passed_then_cached(repo, "-a")
    (repo / "a.py").write_text("BAD\n")
    git(repo, "update-index", flag, "a.py")
    assert git(repo, "status", "--porcelain") == ""
    fails_afresh(repo, "-a")


FIX_LF = (
    "import sys\n"
    "bad = 0\n"
    "for name in sys.argv[1:]:\n"
    "    data = open(name, 'rb').read()\n"
    "    if b'\\r\\n' in data:\n"
    "        open(name, 'wb').write(data.replace(b'\\r\\n', b'\\n'))\n"
    "        bad = 1\n"
    "sys.exit(bad)\n"
)
"""mixed-line-ending --fix=lf."""


@pytest.mark.parametrize("how", ["core.autocrlf", "gitattributes"])
def test_line_endings_converted_on_checkout_are_seen(repo: Path, how: str) -> None:
    (repo / "a.txt").write_text("one\ntwo\n")
    cmd = [sys.executable, "-c", FIX_LF]
    write_config(
        repo,
        f"[tasks.check]\nstage = 'format'\ncmd = {json.dumps(cmd)}\nfiles = ['*.txt']\n"
        "cache = 'per-file'\n",
    )
    commit_all(repo)
    passed_then_cached(repo, "-a")
    if how == "core.autocrlf":
        git(repo, "config", "core.autocrlf", "true")
    else:
        (repo / ".gitattributes").write_text("*.txt text eol=crlf\n")
        commit_all(repo, "attributes")
    (repo / "a.txt").unlink()
    git(repo, "checkout", "a.txt")
    assert (repo / "a.txt").read_bytes() == b"one\r\ntwo\r\n"
    assert git(repo, "status", "--porcelain") == ""
    fails_afresh(repo, "-a")
    assert (repo / "a.txt").read_bytes() == b"one\ntwo\n"


def test_a_symlink_is_keyed_by_what_it_leads_to(repo: Path) -> None:
    (repo / "target.py").write_text("ok = 1\n")
    (repo / "link.py").symlink_to("target.py")
    write_config(
        repo,
        f"[tasks.check]\ncmd = {json.dumps(grep_rejects('BAD'))}\nfiles = ['link.py']\n"
        "cache = 'per-file'\n",
    )
    commit_all(repo)
    passed_then_cached(repo, "-a")
    (repo / "target.py").write_text("BAD = 1\n")
    fails_afresh(repo, "-a")
    commit_all(repo, "bad target")
    fails_afresh(repo, "-a")


# -- issue 17: the tool as the task resolves it, and what hookrunner gives it ---------


def stricter(script: Path) -> None:
    """Replace the tool with one that rejects everything."""
    script.write_text("#!/bin/sh\necho stricter\nexit 1\n")
    script.chmod(0o755)


def a_tool(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def per_file_project(repo: Path, table: str) -> None:
    (repo / "sub").mkdir(exist_ok=True)
    (repo / "sub" / "a.py").write_text("a = 1\n")
    (repo / ".git" / "info" / "exclude").write_text("sub/check.sh\ntools/\nbin/\n")
    write_config(repo, f"[tasks.check]\n{table}cache = 'per-file'\n", commit=False)
    commit_all(repo)


def test_a_relative_tool_is_resolved_in_the_tasks_cwd(repo: Path) -> None:
    script = a_tool(repo / "sub" / "check.sh")
    per_file_project(repo, "cmd = ['./check.sh']\ncwd = 'sub'\n")
    passed_then_cached(repo, "-a")
    stricter(script)
    fails_afresh(repo, "-a")


def test_a_tool_path_is_resolved_from_the_root_whatever_the_folder(repo: Path) -> None:
    script = a_tool(repo / "tools" / "check.sh")
    per_file_project(repo, "cmd = ['tools/check.sh']\n")
    passed_then_cached(repo / "sub", "-a")
    stricter(script)
    fails_afresh(repo / "sub", "-a")


def test_a_tool_is_found_on_the_path_the_task_is_given(repo: Path) -> None:
    script = a_tool(repo / "bin" / "private-checker")
    path = f"{repo / 'bin'}{os.pathsep}{os.environ['PATH']}"
    per_file_project(repo, f"cmd = ['private-checker']\nenv = {{ PATH = {json.dumps(path)} }}\n")
    passed_then_cached(repo, "-a")
    stricter(script)
    fails_afresh(repo, "-a")


def test_the_hook_is_in_the_key(repo: Path) -> None:
    (repo / "a.py").write_text("a = 1\n")
    cmd = ["sh", "-c", 'test "$HOOKRUNNER_HOOK" != pre-push', "sh"]
    write_config(repo, f"[tasks.check]\ncmd = {json.dumps(cmd)}\n")
    commit_all(repo)
    passed_then_cached(repo, "-a")
    fails_afresh(repo, "-a", "--hook", "pre-push")
    passed_then_cached(repo, "-a", "--hook", "manual")


# -- the quick path answers these repositories as the full run does ------------------


def test_the_quick_path_keys_links_modes_and_conversions_as_the_full_run(
    repo: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    _, env = tool
    git(repo, "config", "core.autocrlf", "true")
    (repo / "a.py").write_text("a = 1\n")
    (repo / "run.sh").write_text("#!/bin/sh\n")
    (repo / "run.sh").chmod(0o755)
    (repo / "link.py").symlink_to("a.py")
    write_config(
        repo,
        "[tasks.check]\ncmd = 'checker'\ncache = 'per-file'\n"
        "[tasks.whole]\ncmd = 'checker a.py'\npass_filenames = false\n",
        commit=False,
    )
    commit_all(repo)
    assert hookrunner(repo, "run", "-a", env=env).returncode == 0
    quick = assert_same_as_full_run(repo, ("-a",), env)
    assert "2 cached" in quick.stdout
    (repo / "a.py").write_text("FAIL\n")
    commit_all(repo, "fail")
    proc = hookrunner(repo, "run", "-a", env={**env, "PYTHONPROFILEIMPORTTIME": "1"})
    assert proc.returncode == 1
    assert full_run_imported(proc.stderr)
