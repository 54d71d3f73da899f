"""Git plumbing: which repository, which files, and staging fixed files.

Every call reads machine output (``-z``, ``--no-ext-diff``, ``--no-color``)
so user settings such as ``diff.external`` or ``color.diff=always`` cannot
change what is parsed. Paths are repo-relative strings decoded with the
file-system encoding (surrogate escapes keep non-UTF-8 names intact).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from hookrunner.errors import HookrunnerError
from hookrunner.git.index import NAME_DIFF as _NAME_DIFF
from hookrunner.git.index import NOT_DELETED as _NOT_DELETED
from hookrunner.git.index import zsplit as zsplit

ZERO_SHA = "0" * 40


class Repo(NamedTuple):
    root: Path
    git_dir: Path
    common_dir: Path


def _environ() -> dict[str, str]:
    # Paths handed to git are file names, never globs: a file called "*.py"
    # must not stage every Python file.
    return {**os.environ, "GIT_LITERAL_PATHSPECS": "1"}


def run(
    repo: Repo, *args: str, input: bytes | None = None, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    """Run git at the repository root; a failure raises HookrunnerError when ``check``."""
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotepath=false", *args],
            cwd=repo.root,
            input=input,
            capture_output=True,
            env=_environ(),
            check=False,
        )
    except FileNotFoundError:
        raise HookrunnerError("git not found on PATH") from None
    if check and proc.returncode != 0:
        raise HookrunnerError(f"git {args[0]} failed: {_first_line(proc.stderr)}")
    return proc


def _first_line(stderr: bytes) -> str:
    lines = os.fsdecode(stderr).strip().splitlines()
    return lines[0] if lines else "no error message"


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def find_repo(cwd: Path | None = None) -> Repo:
    where = Path.cwd() if cwd is None else cwd
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--show-toplevel", "--absolute-git-dir", "--git-common-dir"],
            cwd=where,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise HookrunnerError("git not found on PATH") from None
    if proc.returncode != 0:
        message = _first_line(proc.stderr)
        if "not a git repository" in message:
            raise HookrunnerError("not a git repository (run hookrunner inside one)")
        raise HookrunnerError(f"git rev-parse failed: {message}")
    root, git_dir, common_dir = os.fsdecode(proc.stdout).splitlines()
    # --git-common-dir is relative to the directory git ran in, unlike the others.
    return Repo(Path(root), Path(git_dir), (where / common_dir).resolve())


def index_records(repo: Repo) -> list[tuple[str, str, str, str]]:
    """(mode, blob id, stage, path) for every index entry, in ``ls-files`` order."""
    records = []
    for record in zsplit(run(repo, "ls-files", "-s", "-z").stdout):
        meta, _, path = record.partition("\t")
        mode, oid, stage = meta.split()
        records.append((mode, oid, stage, path))
    return records


def index_entries(records: Sequence[tuple[str, str, str, str]]) -> dict[str, str]:
    """Every tracked path with its blob id (for a conflicted path, its last stage)."""
    return {path: oid for _mode, oid, _stage, path in records}


def staged_files(repo: Repo) -> list[str]:
    return zsplit(run(repo, "diff", "--cached", *_NAME_DIFF, _NOT_DELETED).stdout)


def changed_files(repo: Repo, from_ref: str, to_ref: str) -> list[str]:
    proc = run(repo, "diff", *_NAME_DIFF, _NOT_DELETED, f"{from_ref}...{to_ref}", check=False)
    if proc.returncode != 0:
        # Unrelated histories have no merge base: compare the two trees instead.
        proc = run(repo, "diff", *_NAME_DIFF, _NOT_DELETED, from_ref, to_ref)
    return zsplit(proc.stdout)


def _is_commit(repo: Repo, sha: str) -> bool:
    return run(repo, "cat-file", "-e", f"{sha}^{{commit}}", check=False).returncode == 0


def _new_branch_files(repo: Repo, local_sha: str, remote: str) -> list[str]:
    # The oldest commit the remote lacks tells where the pushed work starts;
    # --parents gives its parent in the same call.
    out = run(
        repo,
        "rev-list",
        "--topo-order",
        "--reverse",
        "--parents",
        local_sha,
        "--not",
        f"--remotes={remote}",
    ).stdout.decode()
    if not out.strip():
        return []
    _oldest, *parents = out.splitlines()[0].split()
    if parents:
        return changed_files(repo, parents[0], local_sha)
    # The push starts with a root commit: everything in it is new to the remote.
    out_tree = run(repo, "ls-tree", "-r", "-z", "--name-only", "--full-tree", local_sha).stdout
    return zsplit(out_tree)


def pushed_files(repo: Repo, stdin: str, remote: str) -> list[str]:
    """The files changed by a push, from the ref lines git gives a pre-push hook."""
    files: list[str] = []
    for line in stdin.splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue
        _local_ref, local_sha, _remote_ref, remote_sha = parts
        if set(local_sha) == {"0"}:
            continue
        if set(remote_sha) != {"0"} and _is_commit(repo, remote_sha):
            files += changed_files(repo, remote_sha, local_sha)
        else:
            files += _new_branch_files(repo, local_sha, remote)
    return _unique(files)


def unmerged_files(repo: Repo) -> list[str]:
    out = run(repo, "diff", *_NAME_DIFF, "--diff-filter=U").stdout
    return _unique(zsplit(out))


def config_value(repo: Repo, key: str) -> str | None:
    proc = run(repo, "config", "--get", key, check=False)
    return os.fsdecode(proc.stdout).rstrip("\n") if proc.returncode == 0 else None


def pathspec_input(files: Sequence[str]) -> bytes:
    """Paths for ``--pathspec-from-file=- --pathspec-file-nul``: no argv length limit."""
    return b"".join(os.fsencode(name) + b"\0" for name in files)


def stage(repo: Repo, files: Sequence[str]) -> None:
    if files:
        run(
            repo,
            "add",
            "--pathspec-from-file=-",
            "--pathspec-file-nul",
            input=pathspec_input(files),
        )
