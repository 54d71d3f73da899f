"""git as the full run asks it: which repository, the index, staging fixed files.

Every call reads machine output (``-z``, ``--no-ext-diff``, ``--no-color``)
so user settings such as ``diff.external`` or ``color.diff=always`` cannot
change what is parsed. Paths are repo-relative strings decoded with the
file-system encoding (surrogate escapes keep non-UTF-8 names intact).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from hookrunner.errors import HookrunnerError
from hookrunner.git.changes import NAME_DIFF, unique, zsplit
from hookrunner.git.index import discover


class Repo(NamedTuple):
    root: Path
    git_dir: Path
    common_dir: Path


def _environ(extra: Mapping[str, str] | None) -> dict[str, str]:
    # Paths handed to git are file names, never globs: a file called "*.py"
    # must not stage every Python file.
    return {**os.environ, "GIT_LITERAL_PATHSPECS": "1", **(extra or {})}


def call(
    repo: Repo,
    *args: str,
    input: bytes | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run git at the repository root; a failure raises HookrunnerError when ``check``."""
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotepath=false", *args],
            cwd=repo.root,
            input=input,
            capture_output=True,
            env=_environ(env),
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


def find_repo(cwd: Path | None = None) -> Repo:
    """The repository holding ``cwd`` (the current folder by default)."""
    where = os.getcwd() if cwd is None else os.path.realpath(cwd)
    # Found in the folders as git would find it, one git start-up fewer; git
    # answers whenever anything is unusual, and says what is wrong.
    found = discover(where, os.environ)
    if found is not None:
        root, git_dir, common_dir = found
        return Repo(Path(root), Path(git_dir), Path(common_dir))
    return _asked(Path(where))


def _asked(where: Path) -> Repo:
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
    return Subprocess(repo).index()


def index_entries(records: Sequence[tuple[str, str, str, str]]) -> dict[str, str]:
    """Every tracked path with its blob id (for a conflicted path, its last stage)."""
    return {path: oid for _mode, oid, _stage, path in records}


_SMALL_INDEX = 128 * 1024
"""Bytes of an index file read here rather than asked of git: parsing takes
~2 us an entry, a git process ~3 ms (an index this size holds ~1,400 files)."""


_read_index: dict[tuple[object, ...], list[str] | None] = {}
"""The last index read by :func:`small_index`, by its path and stat data (git
replaces the file on every write): a staged run asks before hiding the
unstaged work and again for its projects."""


def small_index(repo: Repo) -> list[str] | None:
    """Every path of a small, plain index without conflicts, read from the file;
    None when git must be asked (see :func:`hookrunner.git.index.read_index`)."""
    from hookrunner.git.index import Repository, index_path, read_index

    path = index_path(Repository(str(repo.root), str(repo.git_dir)), os.environ)
    try:
        info = os.stat(path)
    except OSError:
        return None
    if info.st_size > _SMALL_INDEX:
        return None
    stamp = (path, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    if stamp not in _read_index:
        index = read_index(path)
        _read_index.clear()
        _read_index[stamp] = None if index is None else [entry.path for entry in index.entries]
    return _read_index[stamp]


def unmerged_files(repo: Repo) -> list[str]:
    if small_index(repo) is not None:
        return []  # a conflict makes the index one git must read
    out = call(repo, "diff", *NAME_DIFF, "--diff-filter=U").stdout
    return unique(zsplit(out))


def config_value(repo: Repo, key: str) -> str | None:
    proc = call(repo, "config", "--get", key, check=False)
    return os.fsdecode(proc.stdout).rstrip("\n") if proc.returncode == 0 else None


def pathspec_input(files: Sequence[str]) -> bytes:
    """Paths for ``--pathspec-from-file=- --pathspec-file-nul``: no argv length limit."""
    return b"".join(os.fsencode(name) + b"\0" for name in files)


def _partial_commit_index() -> str | None:
    """During ``git commit PATH...``: the index git will keep once the commit is
    made. The hook is handed a temporary index (``next-index-*.lock``) that
    becomes the commit, while the real one waits as ``index.lock``: a file
    staged in one only would leave the index disagreeing with HEAD."""
    temporary = os.environ.get("GIT_INDEX_FILE", "")
    name = os.path.basename(temporary)
    if not (name.startswith("next-index-") and name.endswith(".lock")):
        return None
    kept = os.path.join(os.path.dirname(temporary), "index.lock")
    return kept if os.path.isfile(kept) else None


def stage(repo: Repo, files: Sequence[str]) -> None:
    """``git add`` the files to the index the commit is made from (and, during
    ``git commit PATH...``, to the index kept after it)."""
    if not files:
        return
    paths = pathspec_input(files)
    add = ("add", "--pathspec-from-file=-", "--pathspec-file-nul")
    call(repo, *add, input=paths)
    kept = _partial_commit_index()
    if kept is not None:
        call(repo, *add, input=paths, env={"GIT_INDEX_FILE": kept})


class Subprocess:
    """The full run's :class:`hookrunner.cli.scope.View`: git through :func:`call`."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.records: list[tuple[str, str, str, str]] | None = None
        """The index, once :meth:`index` has read it."""
        self._deleted: set[str] = set()

    @property
    def root(self) -> str:
        return str(self.repo.root)

    def index(self) -> list[tuple[str, str, str, str]]:
        """The index's entries (see :func:`index_records`), read once."""
        # One call for the index and what the work tree lacks: -t tags each
        # entry H, and lists a deleted one again, tagged R.
        if self.records is None:
            records = []
            out = call(self.repo, "ls-files", "-s", "-t", "-z", "--cached", "--deleted").stdout
            for record in zsplit(out):
                meta, _, path = record.partition("\t")
                tag, mode, oid, stage = meta.split()
                if tag == "R":
                    self._deleted.add(path)
                else:
                    records.append((mode, oid, stage, path))
            self.records = records
        return self.records

    def tracked(self) -> list[str]:
        return list(index_entries(self.index()))

    def missing(self) -> set[str]:
        self.index()
        return self._deleted

    def output(self, *args: str) -> bytes:
        return call(self.repo, *args).stdout

    def try_output(self, *args: str) -> bytes | None:
        proc = call(self.repo, *args, check=False)
        return proc.stdout if proc.returncode == 0 else None
