from __future__ import annotations

import os
from pathlib import Path

import pytest

from hookrunner.errors import HookrunnerError
from hookrunner.git import changes
from hookrunner.git import commands as g
from tests.conftest import git

ZERO_SHA = "0" * 40


def staged_files(repo: g.Repo) -> list[str]:
    return changes.staged_files(g.Subprocess(repo))


def changed_files(repo: g.Repo, from_ref: str, to_ref: str) -> list[str]:
    return changes.changed_files(g.Subprocess(repo), from_ref, to_ref)


def pushed_files(repo: g.Repo, ref_lines: str, remote: str) -> list[str]:
    return changes.pushed_files(g.Subprocess(repo), ref_lines, remote)


ODD_NAME = os.fsdecode(b"caf\xe9 [ab].txt")  # not UTF-8, and a glob


def commit(repo: Path, message: str = "c") -> str:
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def write(repo: Path, name: str, text: str = "x\n") -> None:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_find_repo_from_a_subdirectory(repo: Path) -> None:
    (repo / "a" / "b").mkdir(parents=True)
    found = g.find_repo(repo / "a" / "b")
    assert found == g.Repo(repo.resolve(), (repo / ".git").resolve(), (repo / ".git").resolve())


def test_find_repo_defaults_to_the_current_directory(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    assert g.find_repo().root == repo.resolve()


def test_find_repo_in_a_linked_worktree(repo: Path, tmp_path: Path) -> None:
    git(repo, "worktree", "add", "-q", str(tmp_path / "wt"))
    found = g.find_repo(tmp_path / "wt")
    assert found.root == (tmp_path / "wt").resolve()
    assert found.git_dir == (repo / ".git" / "worktrees" / "wt").resolve()
    assert found.common_dir == (repo / ".git").resolve()


def test_find_repo_outside_a_repository(tmp_path: Path) -> None:
    with pytest.raises(
        HookrunnerError, match=r"^not a git repository \(run hookrunner inside one\)$"
    ):
        g.find_repo(tmp_path)


def test_find_repo_in_a_bare_repository_shows_gits_reason(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--bare", "bare.git")
    with pytest.raises(HookrunnerError, match=r"git rev-parse failed: fatal: .*work tree"):
        g.find_repo(tmp_path / "bare.git")


def test_missing_git_is_a_clear_error(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = g.find_repo(repo)
    monkeypatch.setenv("PATH", "")
    # The repository is found in the folders; the next question needs git.
    with pytest.raises(HookrunnerError, match="git not found on PATH"):
        g.call(found, "status")
    monkeypatch.setenv("GIT_DIR", str(found.git_dir))  # only git can place the repository
    with pytest.raises(HookrunnerError, match="git not found on PATH"):
        g.find_repo(repo)
    with pytest.raises(HookrunnerError, match="git not found on PATH"):
        g.index_entries(g.index_records(found))


def test_git_failure_reports_the_first_line_of_stderr(repo: Path) -> None:
    with pytest.raises(HookrunnerError, match=r"^git diff failed: fatal: .*nope"):
        changed_files(g.find_repo(repo), "nope", "HEAD")


def test_index_entries_keep_odd_names_intact_with_their_blob_ids(repo: Path) -> None:
    write(repo, ODD_NAME)
    write(repo, "dir/sub.py")
    git(repo, "add", ".")
    entries = g.index_entries(g.index_records(g.find_repo(repo)))
    assert sorted(entries) == sorted(["README", ODD_NAME, "dir/sub.py"])
    assert entries["dir/sub.py"] == git(repo, "rev-parse", ":dir/sub.py").strip()
    assert (repo / ODD_NAME).exists()


def test_staged_files_leave_out_deletions_and_follow_renames(repo: Path) -> None:
    write(repo, "old.txt", "some content\n" * 20)
    write(repo, "gone.txt")
    git(repo, "add", ".")
    commit(repo)
    git(repo, "mv", "old.txt", "new.txt")
    git(repo, "rm", "-q", "gone.txt")
    write(repo, "added.txt")
    write(repo, "README", "changed\n")
    write(repo, "unstaged.txt")
    git(repo, "add", "added.txt", "README")
    assert sorted(staged_files(g.find_repo(repo))) == ["README", "added.txt", "new.txt"]


def test_staged_files_ignore_diff_settings(repo: Path, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.sh"
    garbage.write_text("#!/bin/sh\necho garbage\n")
    garbage.chmod(0o755)
    git(repo, "config", "diff.external", str(garbage))
    git(repo, "config", "color.diff", "always")
    git(repo, "config", "color.ui", "always")
    write(repo, "README", "changed\n")
    write(repo, ODD_NAME)
    git(repo, "add", ".")
    assert sorted(staged_files(g.find_repo(repo))) == sorted(["README", ODD_NAME])


def test_staged_files_in_a_repository_without_commits(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "fresh")
    write(tmp_path / "fresh", "a.py")
    git(tmp_path / "fresh", "add", "a.py")
    assert staged_files(g.find_repo(tmp_path / "fresh")) == ["a.py"]


def test_changed_files_use_the_merge_base(repo: Path) -> None:
    base = commit(repo)
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, "feature.txt")
    write(repo, "README", "feature\n")
    git(repo, "add", ".")
    feature = commit(repo)
    git(repo, "rm", "-q", "README")
    feature = commit(repo)
    git(repo, "checkout", "-q", "main")
    write(repo, "main-only.txt")
    git(repo, "add", ".")
    main = commit(repo)
    found = g.find_repo(repo)
    assert changed_files(found, main, feature) == ["feature.txt"]
    assert changed_files(found, base, main) == ["main-only.txt"]


def test_changed_files_across_unrelated_histories(repo: Path) -> None:
    main = commit(repo)
    git(repo, "checkout", "-q", "--orphan", "other")
    git(repo, "rm", "-q", "-r", "--cached", ".")
    write(repo, "other.txt")
    git(repo, "add", "other.txt")
    other = commit(repo)
    assert changed_files(g.find_repo(repo), main, other) == ["other.txt"]


@pytest.fixture
def pushing(repo: Path, tmp_path: Path) -> Path:
    """``repo`` with a bare remote ``origin`` that has its main branch."""
    git(tmp_path, "init", "-q", "--bare", "remote.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "remote.git"))
    git(repo, "push", "-q", "origin", "main")
    return repo


def push_line(local_sha: str, remote_sha: str, ref: str = "refs/heads/main") -> str:
    return f"{ref} {local_sha} {ref} {remote_sha}\n"


def test_pushed_files_of_an_existing_branch(pushing: Path) -> None:
    remote_sha = git(pushing, "rev-parse", "HEAD").strip()
    write(pushing, "a.txt")
    git(pushing, "add", ".")
    commit(pushing)
    write(pushing, "b.txt")
    git(pushing, "add", ".")
    local_sha = commit(pushing)
    found = g.find_repo(pushing)
    assert pushed_files(found, push_line(local_sha, remote_sha), "origin") == ["a.txt", "b.txt"]


def test_pushed_files_of_a_new_branch_are_what_the_remote_lacks(pushing: Path) -> None:
    git(pushing, "checkout", "-q", "-b", "topic")
    write(pushing, "topic.txt")
    git(pushing, "add", ".")
    local_sha = commit(pushing)
    stdin = push_line(local_sha, ZERO_SHA, "refs/heads/topic")
    assert pushed_files(g.find_repo(pushing), stdin, "origin") == ["topic.txt"]


def test_pushed_files_when_the_remote_sha_is_unknown_here(pushing: Path) -> None:
    write(pushing, "mine.txt")
    git(pushing, "add", ".")
    local_sha = commit(pushing)
    stdin = push_line(local_sha, "1234567" * 5 + "12345")
    assert pushed_files(g.find_repo(pushing), stdin, "origin") == ["mine.txt"]


def test_first_push_of_a_root_commit_checks_all_its_files(repo: Path, tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--bare", "remote.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "remote.git"))
    write(repo, "dir/a.txt")
    git(repo, "add", ".")
    local_sha = commit(repo)
    stdin = push_line(local_sha, ZERO_SHA)
    assert pushed_files(g.find_repo(repo), stdin, "origin") == ["README", "dir/a.txt"]


def test_pushed_files_skip_deletions_and_known_commits(pushing: Path) -> None:
    head = git(pushing, "rev-parse", "HEAD").strip()
    stdin = (
        f"(delete) {ZERO_SHA} refs/heads/old {head}\n"
        "\n" + push_line(head, ZERO_SHA, "refs/heads/alias")
        # A new name for a commit the remote already has: nothing new.
    )
    assert pushed_files(g.find_repo(pushing), stdin, "origin") == []


def test_pushed_files_union_in_first_seen_order(pushing: Path) -> None:
    remote_sha = git(pushing, "rev-parse", "HEAD").strip()
    write(pushing, "z.txt")
    write(pushing, "shared.txt")
    git(pushing, "add", ".")
    first = commit(pushing)
    git(pushing, "checkout", "-q", "-b", "other", remote_sha)
    write(pushing, "shared.txt", "other\n")
    write(pushing, "a.txt")
    git(pushing, "add", ".")
    second = commit(pushing)
    stdin = push_line(first, remote_sha) + push_line(second, ZERO_SHA, "refs/heads/other")
    files = pushed_files(g.find_repo(pushing), stdin, "origin")
    assert files == ["shared.txt", "z.txt", "a.txt"]


def test_unmerged_files_during_a_conflicted_merge(repo: Path) -> None:
    found = g.find_repo(repo)
    assert g.unmerged_files(found) == []
    git(repo, "checkout", "-q", "-b", "side")
    write(repo, "README", "side\n")
    git(repo, "commit", "-q", "-am", "side")
    git(repo, "checkout", "-q", "main")
    write(repo, "README", "main\n")
    git(repo, "commit", "-q", "-am", "main")
    assert g.call(found, "merge", "side", check=False).returncode == 1
    assert g.small_index(found) is None  # git is asked
    assert g.unmerged_files(found) == ["README"]
    assert list(g.index_entries(g.index_records(found))) == ["README"]


def test_a_small_plain_index_is_read_from_its_file(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(repo, "sub/pyproject.toml", "")
    git(repo, "add", "sub/pyproject.toml")
    found = g.find_repo(repo)
    assert g.small_index(found) == ["README", "sub/pyproject.toml"]
    # git's own index while it commits (GIT_INDEX_FILE) is the one read.
    git(repo, "read-tree", "--index-output=.git/other-index", "HEAD")
    monkeypatch.setenv("GIT_INDEX_FILE", ".git/other-index")
    assert g.small_index(found) == ["README"]
    monkeypatch.delenv("GIT_INDEX_FILE")
    # A large index is listed by git.
    monkeypatch.setattr(g, "_SMALL_INDEX", 10)
    assert g.small_index(found) is None
    assert g.unmerged_files(found) == []


def test_stage_adds_exactly_the_named_files(repo: Path) -> None:
    write(repo, ODD_NAME, "fixed\n")
    write(repo, os.fsdecode(b"caf\xe9 a.txt"), "matches the glob, not the name\n")
    write(repo, "README", "fixed\n")
    found = g.find_repo(repo)
    g.stage(found, [ODD_NAME, "README"])
    g.stage(found, [])
    assert sorted(staged_files(found)) == sorted(["README", ODD_NAME])


def test_config_value(repo: Path) -> None:
    found = g.find_repo(repo)
    assert g.config_value(found, "core.hooksPath") is None
    git(repo, "config", "core.hooksPath", "my hooks")
    assert g.config_value(found, "core.hooksPath") == "my hooks"
