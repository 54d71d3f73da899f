"""The index file read directly, and the repository found without asking git.

A run answered from the cache reads these without subprocess or pathlib:

- the repository, found the way git finds it when nothing in the environment
  says otherwise;
- the index file, read directly (versions 2 to 4), with each entry's stat
  data, so that a file can be known unchanged without reading it.

Anything out of the ordinary (a ``.git`` file, a split or sparse index,
SHA-256 objects, flags such as skip-worktree) is reported as None: the
caller then takes the ordinary path through ``git`` itself.
"""

# No ``from __future__ import annotations``: typing.NamedTuple compiles every
# string annotation into a ForwardRef, which a cached run would pay for.

import contextlib
import os
import stat
import struct
import sys
from collections.abc import Generator, Mapping
from typing import NamedTuple

from hookrunner.hashing import blob_id

# Where git would find the repository from the environment instead of from
# the folders, or settings given for this command only (``git -c``): with any
# of them set, only git itself knows the answer. (Settings that change the
# index file's form are met when it is read.)
_GIT_LOCATIONS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG_PARAMETERS",
)
_UNUSUAL_CONFIG = (
    b"objectformat",
    b"worktree",
    b"splitindex",
    b"sparse",
    # git then calls a file whose executable bit changed unchanged, and a
    # receipt's file types may have been read with the other bit.
    b"filemode=false",
)

_STAT = struct.Struct(">10I")
"""An entry's stat data as the index keeps it: ctime s/ns, mtime s/ns, dev,
ino, mode, uid, gid, size, each cut to 32 bits."""
_FIXED = _STAT.size + 20 + 2  # stat data, object id, flags
_HEAD = struct.Struct(">24xI12x20sH")
"""Of an entry's fixed part: its mode, object id and flags."""
_MTIME = struct.Struct(">2I")
_FS_DECODING = (sys.getfilesystemencoding(), sys.getfilesystemencodeerrors())
_MODE_FILE, _MODE_EXEC, _MODE_LINK = 0o100644, 0o100755, 0o120000
_ASSUME_VALID, _EXTENDED = 0x8000, 0x4000
_NAME_MASK = 0x0FFF
_U32 = 0xFFFFFFFF
_NS = 1_000_000_000


class Repository(NamedTuple):
    root: str
    git_dir: str


def find(cwd: str, environ: Mapping[str, str]) -> Repository | None:
    """The work tree holding ``cwd`` with a plain ``.git`` folder, owned by us."""
    if any(name in environ for name in _GIT_LOCATIONS):
        return None
    here = cwd
    while True:
        dot_git = os.path.join(here, ".git")
        try:
            info = os.lstat(dot_git)
        except OSError:
            info = None
        if info is not None:
            # A .git file (worktree, submodule) or a repository of another
            # user (git's safe.directory) is left to git.
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
                return None
            return _plain(Repository(here, dot_git))
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _plain(repo: Repository) -> Repository | None:
    try:
        with open(os.path.join(repo.git_dir, "config"), "rb") as file:
            config = file.read().lower().replace(b" ", b"").replace(b"\t", b"")
    except OSError:
        return None
    if any(word in config for word in _UNUSUAL_CONFIG):
        return None
    return repo


# Settings of the repository's own configuration that move the work tree
# (core.worktree, a worktree's own file) or say there is none, an include
# that could say either, or extensions git may refuse (git names the one it
# does not know): git alone then knows the answer.
_MOVED = (b"worktree", b"bare=true", b"include", b"[extensions]")


def discover(cwd: str, environ: Mapping[str, str]) -> tuple[str, str, str] | None:
    """(work tree, git directory, common git directory) as ``git rev-parse
    --show-toplevel --absolute-git-dir --git-common-dir`` gives them for the
    physical folder ``cwd``, found in the folders; None when something
    unusual (see :func:`find`, a bare repository, a folder inside a git
    directory, another file system or owner) leaves the answer to git.

    Unlike :func:`find` it follows a ``.git`` file: a linked worktree's or a
    submodule's (whose core.worktree setting leaves it to git)."""
    if any(name in environ for name in _GIT_LOCATIONS):
        return None
    here = cwd
    uid = os.geteuid()
    try:
        device = os.stat(here).st_dev
        while True:
            folder = os.stat(here)
            if folder.st_dev != device or folder.st_uid != uid:
                return None
            dot_git = os.path.join(here, ".git")
            try:
                info = os.lstat(dot_git)
            except FileNotFoundError:
                # Inside a git directory (or a bare repository): git tells.
                if os.path.lexists(os.path.join(here, "HEAD")):
                    return None
                parent = os.path.dirname(here)
                if parent == here:
                    return None
                here = parent
                continue
            if info.st_uid != uid:
                return None
            return _linked(here, dot_git, info)
    except (OSError, ValueError):
        return None


def _linked(here: str, dot_git: str, info: os.stat_result) -> tuple[str, str, str] | None:
    """The repository of the work tree ``here``, whose ``.git`` was found."""
    if stat.S_ISDIR(info.st_mode):
        git_dir = dot_git
    elif stat.S_ISREG(info.st_mode):
        with open(dot_git, "rb") as file:
            line = file.read().rstrip(b"\r\n")
        if not line.startswith(b"gitdir: ") or b"\n" in line:
            return None
        git_dir = os.path.realpath(os.path.join(here, os.fsdecode(line[8:])))
    else:
        return None
    common = git_dir
    with contextlib.suppress(FileNotFoundError):
        with open(os.path.join(git_dir, "commondir"), "rb") as file:
            text = os.fsdecode(file.read().rstrip(b"\r\n"))
        common = os.path.realpath(os.path.join(git_dir, text))
    if not os.path.isfile(os.path.join(git_dir, "HEAD")):
        return None
    if (
        not os.path.isdir(os.path.join(common, "objects"))
        or os.stat(git_dir).st_uid != os.geteuid()
    ):
        return None
    with open(os.path.join(common, "config"), "rb") as file:
        config = file.read().lower().replace(b" ", b"").replace(b"\t", b"")
    if any(word in config for word in _MOVED):
        return None
    return here, git_dir, common


class IndexEntry(NamedTuple):
    path: str
    mode: int
    oid: str
    stat: bytes
    """The stat data as the index file holds it (see ``_STAT``)."""


class Index(NamedTuple):
    entries: list[IndexEntry]
    written: tuple[int, int]
    """The index file's own mtime (s, ns): an entry as new as that may be "racily clean"."""

    def records(self) -> list[tuple[str, str, str]]:
        """(mode, blob id, path) per entry, as ``git ls-files -s`` shows them."""
        return [(f"{e.mode:06o}", e.oid, e.path) for e in self.entries]


def index_path(repo: Repository, environ: Mapping[str, str]) -> str:
    """The index git reads: ``GIT_INDEX_FILE`` (a relative one from the root,
    where the full run runs git), else the git directory's."""
    chosen = environ.get("GIT_INDEX_FILE")
    return os.path.join(repo.root, chosen) if chosen else os.path.join(repo.git_dir, "index")


def clean_index(repo: Repository, environ: Mapping[str, str]) -> Index | None:
    """The index, when the work tree holds exactly what it says (see :func:`differing`)."""
    index = read_index(index_path(repo, environ))
    if index is None:
        return None
    with contextlib.closing(differing(repo.root, index)) as found:
        if next(found, None) is not None:
            return None
    return index


def folder_inside(root: str, relative: str) -> bool:
    """Whether ``root/relative`` is a folder that, symlinks followed, is still under ``root``."""
    path = os.path.join(root, relative)
    top = os.path.realpath(root)
    real = os.path.realpath(path)
    return os.path.isdir(path) and (real == top or real.startswith(top.rstrip(os.sep) + os.sep))


def read_index(path: str) -> Index | None:
    """The entries of a plain index, or None for anything else."""
    try:
        with open(path, "rb") as file:
            data = file.read()
            written = os.fstat(file.fileno()).st_mtime_ns
    except OSError:
        return None
    try:
        return _parse(data, divmod(written, _NS))
    except (ValueError, IndexError, struct.error):
        return None


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """git's offset encoding (varint.c): each continuation adds one before shifting."""
    byte = data[pos]
    pos += 1
    value = byte & 0x7F
    while byte & 0x80:
        byte = data[pos]
        pos += 1
        value = ((value + 1) << 7) | (byte & 0x7F)
    return value, pos


def _parse(data: bytes, written: tuple[int, int]) -> Index | None:
    if data[:4] != b"DIRC":
        return None
    version = int.from_bytes(data[4:8], "big")
    count = int.from_bytes(data[8:12], "big")
    if version not in (2, 3, 4):
        return None
    entries: list[IndexEntry] = []
    pos = 12
    previous = b""
    for _ in range(count):
        start = pos
        stat_data = data[pos : pos + _STAT.size]
        mode, raw_oid, flags = _HEAD.unpack_from(data, pos)
        pos += _FIXED
        # Conflicts, assume-unchanged, and (in the extended flags) skip-worktree
        # or intent-to-add all change what the work tree means: git decides.
        if flags & (_ASSUME_VALID | 0x3000) or mode not in (_MODE_FILE, _MODE_EXEC, _MODE_LINK):
            return None
        if flags & _EXTENDED:
            if version < 3 or int.from_bytes(data[pos : pos + 2], "big"):
                return None
            pos += 2
        if version == 4:
            strip, pos = _varint(data, pos)
            end = data.index(b"\0", pos)
            if strip > len(previous):
                return None
            name = previous[: len(previous) - strip] + data[pos:end]
            pos = end + 1
        else:
            end = data.index(b"\0", pos)
            name = data[pos:end]
            if len(name) < _NAME_MASK and len(name) != flags & _NAME_MASK:
                return None
            pos = start + ((end - start + 8) & ~7)
        if len(stat_data) != _STAT.size or pos > len(data):
            return None
        previous = name
        entries.append(IndexEntry(name.decode(*_FS_DECODING), mode, raw_oid.hex(), stat_data))
    # Extensions: a split index keeps entries elsewhere, a sparse one has folders.
    while pos + 8 <= len(data) - 20:
        signature = data[pos : pos + 4]
        if signature in (b"link", b"sdir"):
            return None
        pos += 8 + int.from_bytes(data[pos + 4 : pos + 8], "big")
    return Index(entries, written)


def _stat_data(info: os.stat_result, mode: int) -> bytes:
    ctime_s, ctime_ns = divmod(info.st_ctime_ns, _NS)
    mtime_s, mtime_ns = divmod(info.st_mtime_ns, _NS)
    return _STAT.pack(
        ctime_s & _U32,
        ctime_ns,
        mtime_s & _U32,
        mtime_ns,
        info.st_dev & _U32,
        info.st_ino & _U32,
        mode,
        info.st_uid & _U32,
        info.st_gid & _U32,
        info.st_size & _U32,
    )


def differing(root: str, index: Index) -> Generator[str, None, None]:
    """The entries whose work-tree file is not exactly the entry: another
    kind or mode, or other bytes. git's own test says a file whose stat data
    is what the index recorded is unchanged; any other file is read.

    An entry whose mtime is not older than the index file may have changed
    in the same tick as the index was written ("racily clean"): it is read.
    """
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for entry in index.entries:
            if not _same(folder, index.written, entry):
                yield entry.path
    finally:
        os.close(folder)


def _same(folder: int, written: tuple[int, int], entry: IndexEntry) -> bool:
    try:
        info = os.lstat(entry.path, dir_fd=folder)
        if stat.S_ISREG(info.st_mode):
            mode = _MODE_EXEC if info.st_mode & stat.S_IXUSR else _MODE_FILE
        elif stat.S_ISLNK(info.st_mode):
            mode = _MODE_LINK
        else:
            return False
        if mode != entry.mode:
            return False
        if _stat_data(info, mode) == entry.stat and _MTIME.unpack_from(entry.stat, 8) < written:
            return True
        if mode == _MODE_LINK:
            return blob_id(os.fsencode(os.readlink(entry.path, dir_fd=folder))) == entry.oid
        with open(os.open(entry.path, os.O_RDONLY, dir_fd=folder), "rb") as file:
            return blob_id(file.read()) == entry.oid
    except OSError:
        return False
