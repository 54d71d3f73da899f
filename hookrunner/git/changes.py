"""Which files a commit, a push or a range of commits changes.

Written once for both ways of asking git: the full run's
(:class:`hookrunner.git.commands.Subprocess`) and the quick path's, which
spawns git without importing subprocess (:class:`hookrunner.git.spawn.Spawn`).
Every call reads machine output (``-z``, ``--no-ext-diff``, ``--no-color``), so
settings such as ``diff.external`` or ``color.diff=always`` cannot change what
is parsed. This module imports nothing costly.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Protocol

# Names under the ACMRT filter exist in the work tree: a type change (file to
# symlink) is still a path a tool can look at; deletions are never passed on.
NOT_DELETED = "--diff-filter=ACMRT"
NAME_DIFF = ("--name-only", "-z", "--no-ext-diff", "--no-color", "--no-textconv")


class Reader(Protocol):
    """How a run asks git: at the work tree's root, output as bytes."""

    def output(self, *args: str) -> bytes:
        """What ``git args...`` prints; a failure raises HookrunnerError."""

    def try_output(self, *args: str) -> bytes | None:
        """What ``git args...`` prints, or None when it fails."""


def zsplit(out: bytes) -> list[str]:
    return [os.fsdecode(part) for part in out.split(b"\0") if part]


def unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def staged_files(git: Reader) -> list[str]:
    """The files a commit would record: added, copied, modified, renamed, type-changed."""
    return zsplit(git.output("diff", "--cached", *NAME_DIFF, NOT_DELETED))


def changed_files(git: Reader, from_ref: str, to_ref: str) -> list[str]:
    out = git.try_output("diff", *NAME_DIFF, NOT_DELETED, f"{from_ref}...{to_ref}")
    if out is None:
        # Unrelated histories have no merge base: compare the two trees instead.
        out = git.output("diff", *NAME_DIFF, NOT_DELETED, from_ref, to_ref)
    return zsplit(out)


def _is_commit(git: Reader, sha: str) -> bool:
    return git.try_output("cat-file", "-e", f"{sha}^{{commit}}") is not None


def _new_branch_files(git: Reader, local_sha: str, remote: str) -> list[str]:
    # The oldest commit the remote lacks tells where the pushed work starts;
    # --parents gives its parent in the same call.
    out = git.output(
        "rev-list", "--topo-order", "--reverse", "--parents", local_sha, "--not",
        f"--remotes={remote}",
    ).decode()  # fmt: skip
    if not out.strip():
        return []
    _oldest, *parents = out.splitlines()[0].split()
    if parents:
        return changed_files(git, parents[0], local_sha)
    # The push starts with a root commit: everything in it is new to the remote.
    return zsplit(git.output("ls-tree", "-r", "-z", "--name-only", "--full-tree", local_sha))


def pushed_files(git: Reader, ref_lines: str, remote: str) -> list[str]:
    """The files changed by a push, from the ref lines git gives a pre-push hook
    (``<local ref> <local sha> <remote ref> <remote sha>``; deletions ignored)."""
    files: list[str] = []
    for line in ref_lines.splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue
        _local_ref, local_sha, _remote_ref, remote_sha = parts
        if set(local_sha) == {"0"}:
            continue
        if set(remote_sha) != {"0"} and _is_commit(git, remote_sha):
            files += changed_files(git, remote_sha, local_sha)
        else:
            files += _new_branch_files(git, local_sha, remote)
    return unique(files)


def pushed_commits(ref_lines: str) -> list[str]:
    """The commits a push sends, one per ref it updates (deletions ignored)."""
    commits = []
    for line in ref_lines.splitlines():
        parts = line.split()
        if len(parts) == 4 and set(parts[1]) != {"0"}:
            commits.append(parts[1])
    return unique(commits)
