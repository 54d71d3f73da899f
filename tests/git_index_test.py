"""Reading git's index file and folders directly agrees with git itself."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hookrunner.git import index as git_index
from hookrunner.git.commands import find_repo, index_records
from hookrunner.git.spawn import git_output
from tests.conftest import git

ODD_NAMES = [
    "plain.py",
    "with space.txt",
    "ünïcödé.md",
    "deep/er/still/file.py",
    "deep/er/still/file2.py",
    "deep/other.py",
    "x" * 250 + ".py",
    "/".join(["d" * 200] * 5) + "/long.py",
]


def index_of(repo: Path) -> git_index.Index:
    index = git_index.read_index(str(repo / ".git" / "index"))
    assert index is not None
    return index


@pytest.fixture
def odd(repo: Path) -> Path:
    for name in ODD_NAMES:
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{name}\n")
    raw = os.fsdecode(b"latin-\xe9.txt")
    (repo / raw).write_text("bytes\n")
    (repo / "link").symlink_to("plain.py")
    (repo / "tool.sh").write_text("#!/bin/sh\n")
    (repo / "tool.sh").chmod(0o755)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "odd")
    return repo


@pytest.mark.parametrize("version", ["2", "3", "4"])
def test_entries_match_ls_files(odd: Path, version: str) -> None:
    git(odd, "update-index", "--index-version", version)
    index = index_of(odd)
    expected = [(mode, oid, path) for mode, oid, _stage, path in index_records(find_repo(odd))]
    assert index.records() == expected
    assert list(git_index.differing(str(odd), index)) == []


def test_a_changed_file_link_or_mode_is_not_unchanged(odd: Path) -> None:
    (odd / "plain.py").write_text("changed\n")
    (odd / "link").unlink()
    (odd / "link").symlink_to("deep")
    (odd / "tool.sh").chmod(0o644)
    (odd / "deep" / "other.py").unlink()
    index = index_of(odd)
    changed = set(git_index.differing(str(odd), index))
    assert changed == {"plain.py", "link", "tool.sh", "deep/other.py"}


def test_conflicts_and_intent_to_add_are_left_to_git(odd: Path) -> None:
    (odd / "new.py").write_text("new\n")
    git(odd, "add", "-N", "new.py")
    assert git_index.read_index(str(odd / ".git" / "index")) is None
    git(odd, "rm", "-q", "--cached", "new.py")
    git(odd, "checkout", "-qb", "other")
    (odd / "plain.py").write_text("other\n")
    git(odd, "commit", "-qam", "other")
    git(odd, "checkout", "-q", "-")
    (odd / "plain.py").write_text("main\n")
    git(odd, "commit", "-qam", "main")
    merge = git_status(odd, "merge", "other")
    assert merge != 0
    assert git_index.read_index(str(odd / ".git" / "index")) is None


def git_status(repo: Path, *args: str) -> int:
    import subprocess

    return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=False).returncode


@pytest.mark.parametrize(
    "data",
    [b"", b"DIRC", b"NOPE" + bytes(40), b"DIRC\x00\x00\x00\x05" + bytes(8), b"DIRC" + bytes(60)],
)
def test_a_damaged_or_foreign_index_is_none(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "index"
    path.write_bytes(data)
    assert git_index.read_index(str(path)) is None
    assert git_index.read_index(str(tmp_path / "missing")) is None


def test_find_walks_up_to_a_plain_repository(odd: Path) -> None:
    found = git_index.find(str(odd / "deep" / "er"), {})
    assert found == git_index.Repository(str(odd), str(odd / ".git"))
    assert git_index.find(str(odd), {"GIT_DIR": str(odd / ".git")}) is None
    assert git_index.find("/", {}) is None


def test_unusual_repositories_are_left_to_git(odd: Path, tmp_path: Path) -> None:
    git(odd, "worktree", "add", "-q", str(tmp_path / "wt"))
    assert git_index.find(str(tmp_path / "wt"), {}) is None
    git(odd, "config", "core.splitIndex", "true")
    assert git_index.find(str(odd), {}) is None


def test_git_output_reports_failure_as_none(odd: Path) -> None:
    assert git_output(str(odd), "rev-parse", "HEAD") is not None
    assert git_output(str(odd), "rev-parse", "no-such-ref") is None
    assert git_output(str(odd / "missing"), "status") is None


def test_a_truncated_or_inconsistent_index_is_none(odd: Path, tmp_path: Path) -> None:
    data = (odd / ".git" / "index").read_bytes()
    cut = tmp_path / "cut"
    cut.write_bytes(data[:100])
    assert git_index.read_index(str(cut)) is None
    # The first entry's name length (low 12 bits of its flags) no longer fits its name.
    bad = bytearray(data)
    bad[12 + 60 : 12 + 62] = (0x0001).to_bytes(2, "big")
    wrong = tmp_path / "wrong"
    wrong.write_bytes(bytes(bad))
    assert git_index.read_index(str(wrong)) is None
