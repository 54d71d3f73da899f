"""A temporary checkout of a pushed commit that is not HEAD, so that a push is
judged by what it pushes and never by the work tree.

The checkout is a linked worktree under the git directory, made without
running any hook and removed afterwards, also after Ctrl-C or SIGTERM; one
left by a run that was killed outright is removed by the next run, which holds
the repository lock and so knows no other run uses it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hookrunner.engine.signals import held
from hookrunner.git import commands as git

PREFIX = "hookrunner-push-"


def _git(repo: git.Repo, *args: str) -> None:
    # No post-checkout hook of the user's runs for a checkout of ours.
    git.call(repo, "-c", f"core.hooksPath={os.devnull}", *args)


@contextmanager
def checkout(repo: git.Repo, commit: str) -> Iterator[git.Repo]:
    """The repository as a linked worktree at ``commit`` while the block runs."""
    where = repo.common_dir / f"{PREFIX}{os.getpid()}"
    with held():
        remove_leftovers(repo)
        _git(repo, "worktree", "add", "--quiet", "--detach", str(where), commit)
    try:
        yield git.find_repo(where)
    finally:
        with held():
            _remove(repo, where)


def _remove(repo: git.Repo, where: Path) -> None:
    if git.call(repo, "worktree", "remove", "--force", str(where), check=False).returncode:
        shutil.rmtree(where, ignore_errors=True)
        git.call(repo, "worktree", "prune", check=False)


def remove_leftovers(repo: git.Repo) -> None:
    """Remove checkouts that killed runs left behind (call it holding the lock)."""
    for where in repo.common_dir.glob(f"{PREFIX}*"):
        _remove(repo, where)


def head(repo: git.Repo) -> str | None:
    proc = git.call(repo, "rev-parse", "--verify", "--quiet", "HEAD", check=False)
    return proc.stdout.decode().strip() or None
