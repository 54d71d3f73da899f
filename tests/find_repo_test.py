"""The repository is found in the folders, as git finds it, without starting git;
git answers whenever anything is unusual."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hookrunner.errors import HookrunnerError
from hookrunner.git import commands as g
from tests.conftest import git, hookrunner, write_config

WHERE = """
[tasks.where]
cmd = ["sh", "-c", "pwd -P >> \\"$0\\"", "{log}"]
pass_filenames = false
always_run = true
cache = false
"""


def _configure(repo: Path, log: Path) -> None:
    write_config(repo, WHERE.format(log=log))


def _git_calls(trace: Path) -> list[str]:
    return [
        line.split("built-in: ", 1)[1]
        for line in trace.read_text().splitlines()
        if "built-in: " in line
    ]


def test_a_run_on_every_file_starts_git_once(repo: Path, tmp_path: Path) -> None:
    """Only the index is asked for: the repository and the workspace projects
    come from the folders and from that listing."""
    log, trace = tmp_path / "where.log", tmp_path / "trace"
    _configure(repo, log)
    (repo / "sub").mkdir()
    proc = hookrunner(repo / "sub", "run", "--all-files", env={"GIT_TRACE": str(trace)})
    assert proc.returncode == 0, proc.stderr
    calls = _git_calls(trace)
    assert [call.split()[:2] for call in calls] == [["git", "ls-files"]]
    assert log.read_text() == f"{repo.resolve()}\n"


def test_a_linked_worktree_is_its_own_work_tree_with_the_shared_git_directory(
    repo: Path, tmp_path: Path
) -> None:
    log = tmp_path / "where.log"
    _configure(repo, log)
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", str(linked))
    (linked / "deeper").mkdir()
    proc = hookrunner(linked / "deeper", "run", "--all-files")
    assert proc.returncode == 0, proc.stderr
    assert log.read_text() == f"{linked.resolve()}\n"
    # What a run keeps lives in the common git directory, as with git's answer.
    assert (repo / ".git" / "hookrunner-durations").is_file()
    assert g.find_repo(linked / "deeper") == g._asked(linked / "deeper")


def test_a_submodule_is_found(repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "where.log"
    inner = tmp_path / "inner"
    inner.mkdir()
    git(inner, "init", "-q")
    _configure(inner, log)
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner), "sm")
    proc = hookrunner(repo / "sm", "run", "--all-files")
    assert proc.returncode == 0, proc.stderr
    assert log.read_text() == f"{(repo / 'sm').resolve()}\n"
    assert (repo / ".git" / "modules" / "sm" / "hookrunner-durations").is_file()


def test_git_dir_and_work_tree_set_are_honoured(repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "where.log"
    _configure(repo, log)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"GIT_DIR": str(repo / ".git"), "GIT_WORK_TREE": str(repo)}
    proc = hookrunner(elsewhere, "run", "--all-files", env=env)
    assert proc.returncode == 0, proc.stderr
    assert log.read_text() == f"{repo.resolve()}\n"


def test_the_answer_is_gits_wherever_the_run_starts(repo: Path, tmp_path: Path) -> None:
    git(repo, "worktree", "add", "-q", str(tmp_path / "linked"))
    git(tmp_path, "init", "-q", "--bare", "bare.git")
    (repo / "a" / "b").mkdir(parents=True)
    (tmp_path / "link").symlink_to(repo / "a")
    (tmp_path / "plain").mkdir()
    places = [
        repo,
        repo / "a" / "b",
        tmp_path / "link",
        tmp_path / "linked",
        repo / ".git",
        repo / ".git" / "objects",
        tmp_path / "bare.git",
        tmp_path / "plain",
    ]
    for place in places:
        try:
            expected: object = g._asked(Path(os.path.realpath(place)))
        except HookrunnerError as exc:
            expected = str(exc)
        try:
            found: object = g.find_repo(place)
        except HookrunnerError as exc:
            found = str(exc)
        assert found == expected, place


@pytest.mark.parametrize("damage", ["gitdir: /nowhere\n", "not a pointer\n"])
def test_a_broken_git_file_gets_gits_message(repo: Path, tmp_path: Path, damage: str) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / ".git").write_text(damage)
    proc = hookrunner(broken, "run", "--all-files")
    assert proc.returncode == 2
    assert (
        proc.stderr.startswith("git rev-parse failed: fatal: ")
        or "not a git repository" in proc.stderr
    )


def test_a_repository_git_refuses_gets_gits_message(repo: Path) -> None:
    git(repo, "config", "core.repositoryformatversion", "1")
    git(repo, "config", "extensions.nosuchextension", "true")
    proc = hookrunner(repo, "run", "--all-files")
    assert proc.returncode == 2
    assert proc.stderr.startswith("git rev-parse failed: fatal: ")
    assert "extension" in proc.stderr
