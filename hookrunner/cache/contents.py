"""Skip what already passed on the same content: what each file holds.

:mod:`hookrunner.cache.keys` holds the keys and the store; here :class:`Contents`
names each file as a task reads it, for the full run and for a run answered
from the cache (:mod:`hookrunner.cli.quick`) alike, each feeding it what it has
already read of git, and :func:`keyers` makes a :class:`Keyer` for each
cached task of a full run.

A file is named by its mode and git blob id, taken from the index when the
bytes on disk are provably the blob's, else computed from disk: a file git
finds changed, one git is told not to look at (``--skip-worktree``,
``--assume-unchanged``), a conflicted one, a file a formatter changed in this
run, and every file when git may convert content on checkout (line endings,
filters). A symlink is named with the content it leads to.

Nothing costly is imported at the top: a run answered from the cache uses
:class:`Contents` too.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from hookrunner.cache.keys import (
    Keyer,
    config_files,
    config_name,
    keyer,
    project_config,
    project_files,
)
from hookrunner.hashing import blob_id, digest

if TYPE_CHECKING:
    from hookrunner.git import commands as git
    from hookrunner.model import Config, TaskConfig

LINK = "120000"


class Contents:
    """What each file holds as a task reads it, named by mode and blob id.

    ``entries``: the index as (mode, blob id, path); ``from_disk``: the tracked
    files whose index entry does not vouch for the bytes on disk;
    ``converting``: git may convert content on checkout, so no entry vouches
    for its file. A tracked file read from disk that is not what its index
    entry says is named with the entry too (a tool may ask git for the mode).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        entries: Iterable[tuple[str, str, str]],
        from_disk: Iterable[str] = (),
        converting: bool = False,
        records: list[tuple[str, str, str, str]] | None = None,
        changed: list[str] | None = None,
    ) -> None:
        self.root = os.fspath(root)
        self.index = {path: f"{mode} {oid}" for mode, oid, path in entries}
        self.converting = converting
        self.records = records
        """The index as ``git ls-files -s`` shows it, when the full run read it."""
        self._changed = changed or []
        self._disk = set(from_disk)
        self._read: dict[str, str] = {}
        self._links: dict[str, str] = {}
        self._tree: str | None = None

    def worktree_changes(self) -> list[str]:
        """The tracked files git found changed in the work tree, when the full
        run asked (see :func:`read_contents`)."""
        return self._changed

    def tracked(self) -> list[str]:
        return list(self.index)

    def mark_dirty(self, files: Iterable[str]) -> None:
        """Files a task changed: read from disk from now on."""
        for name in files:
            self._disk.add(name)
            self._read.pop(name, None)
        self._links.clear()  # a link may lead to one of them
        self._tree = None

    def ident(self, path: str) -> str:
        entry = self.index.get(path)
        if entry is not None and not self.converting and path not in self._disk:
            if entry.startswith(LINK):
                return self._link(path, entry)
            return entry
        found = self._read.get(path)
        if found is None:
            found = self._from_disk(path)
            # A tracked file that is not its entry is named with both.
            if entry is not None and found.partition(" -> ")[0] != entry:
                found = f"{found} (index {entry})"
            self._read[path] = found
        return found

    def tree(self) -> str:
        if self._tree is None:
            ident = self.ident
            named = "\0".join(f"{path}\0{ident(path)}" for path in self.index)
            self._tree = digest(named.encode("utf-8", "surrogateescape"))
        return self._tree

    def _link(self, path: str, entry: str) -> str:
        found = self._links.get(path)
        if found is None:
            found = self._links[path] = f"{entry} -> {_content(os.path.join(self.root, path))}"
        return found

    def _from_disk(self, path: str) -> str:
        full = os.path.join(self.root, path)
        try:
            info = os.lstat(full)
        except OSError:
            return "missing"
        if stat.S_ISLNK(info.st_mode):
            try:
                target = blob_id(os.fsencode(os.readlink(full)))
            except OSError:
                return "missing"
            return f"{LINK} {target} -> {_content(full)}"
        if not stat.S_ISREG(info.st_mode):
            return "not a file"
        mode = "100755" if info.st_mode & stat.S_IXUSR else "100644"
        return f"{mode} {_content(full)}"


def _content(path: str) -> str:
    """The blob id of the bytes a tool opening ``path`` reads (links followed)."""
    try:
        with open(path, "rb") as file:
            return blob_id(file.read())
    except OSError:
        return "unreadable"


# -- when git may give a tool other bytes than the blob's ------------------------------

_CONVERTING_WORDS = (b"text", b"eol", b"crlf", b"filter", b"ident", b"encoding")
"""In a gitattributes file: attributes that convert content between the
index and the work tree (conservatively: any mention, ``-text`` included)."""
_OFF = (b"false", b"no", b"off", b"0", b"")


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return b""


def _config_files(git_dir: str, common_dir: str, environ: Mapping[str, str]) -> list[str]:
    """The configuration files git reads, in its order."""
    home = environ.get("HOME", "")
    xdg = environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    files = []
    if environ.get("GIT_CONFIG_NOSYSTEM", "").lower() not in ("1", "true", "yes", "on"):
        files.append(environ.get("GIT_CONFIG_SYSTEM", "/etc/gitconfig"))
    if "GIT_CONFIG_GLOBAL" in environ:
        files.append(environ["GIT_CONFIG_GLOBAL"])
    else:
        files += [os.path.join(xdg, "git", "config"), os.path.join(home, ".gitconfig")]
    files += [os.path.join(common_dir, "config"), os.path.join(git_dir, "config.worktree")]
    return [f for f in files if f]


def _settings(
    root: str, git_dir: str, common_dir: str, environ: Mapping[str, str]
) -> tuple[bool, str | None]:
    """``core.autocrlf`` on, and ``core.attributesFile``, read from git's files
    (git itself is asked when they include others or come from the environment)."""
    autocrlf, attributes = False, None
    unsure = "GIT_CONFIG_COUNT" in environ or "GIT_CONFIG_PARAMETERS" in environ
    for path in _config_files(git_dir, common_dir, environ):
        for line in _read(path).splitlines():
            compact = b"".join(line.split()).lower()
            if compact.startswith(b"[include"):
                unsure = True
            elif compact.startswith(b"autocrlf"):
                value = compact.split(b"#")[0].split(b";")[0]
                autocrlf = value == b"autocrlf" or value[9:] not in _OFF
            elif compact.startswith(b"attributesfile="):
                value = line.split(b"=", 1)[1].strip().strip(b'"')
                attributes = os.path.expanduser(os.fsdecode(value))
    if unsure:
        from hookrunner.git.spawn import git_output

        asked = git_output(
            root, "config", "-z", "--get-regexp", r"^core\.(autocrlf|attributesfile)$"
        )
        autocrlf, attributes = False, None
        for item in (asked or b"").split(b"\0"):
            name, _, value = item.partition(b"\n")
            if name.lower() == b"core.autocrlf":
                autocrlf = value.lower() not in _OFF or value == b""
            elif name.lower() == b"core.attributesfile":
                attributes = os.path.expanduser(os.fsdecode(value))
    return autocrlf, attributes


def converting(
    root: str | os.PathLike[str],
    git_dir: str | os.PathLike[str],
    common_dir: str | os.PathLike[str],
    tracked: Iterable[str],
    environ: Mapping[str, str],
) -> bool:
    """Whether git may convert content between the index and the work tree
    (``core.autocrlf``, or a gitattributes file that names ``text``, ``eol``,
    a ``filter``, ``ident`` or ``working-tree-encoding``): then a file git
    calls unchanged may hold other bytes than its blob."""
    root, git_dir, common_dir = os.fspath(root), os.fspath(git_dir), os.fspath(common_dir)
    autocrlf, attributes = _settings(root, git_dir, common_dir, environ)
    if autocrlf:
        return True
    if attributes is None:
        home = environ.get("HOME", "")
        xdg = environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        attributes = os.path.join(xdg, "git", "attributes")
    sources = [attributes, os.path.join(common_dir, "info", "attributes")]
    if not environ.get("GIT_ATTR_NOSYSTEM"):
        sources.append("/etc/gitattributes")
    # The root's file even untracked (git reads it from the work tree).
    sources.append(os.path.join(root, ".gitattributes"))
    sources += [os.path.join(root, path) for path in tracked if path.endswith("/.gitattributes")]
    for source in sources:
        text = _read(source)
        if text and any(word in text for word in _CONVERTING_WORDS):
            return True
    return False


# -- the full run ------------------------------------------------------------------------


def read_contents(repo: git.Repo, index_only: bool = False) -> Contents:
    """The repository's :class:`Contents`, from one ``git ls-files``: every
    index entry with its flags, and the files changed in the work tree (read
    from disk unless the tasks see the index: a run on staged files hides
    unstaged work)."""
    from hookrunner.git import commands as git
    from hookrunner.git.changes import zsplit

    records: list[tuple[str, str, str, str]] = []
    from_disk: list[str] = []
    changed: list[str] = []
    out = git.call(repo, "ls-files", "--stage", "-v", "--modified", "-z").stdout
    for item in zsplit(out):
        meta, _, path = item.partition("\t")
        tag, mode, oid, stage = meta.split()
        if tag == "C":  # --modified: the work-tree copy is not the entry
            changed.append(path)
            continue
        records.append((mode, oid, stage, path))
        # "H": a plain entry. "S" skip-worktree, lower case assume-unchanged,
        # "M" conflicted: git's entry says nothing of the file on disk.
        if tag != "H":
            from_disk.append(path)
    if not index_only:
        from_disk += changed
    entries = [(mode, oid, path) for mode, oid, _stage, path in records]
    tracked = [path for _mode, _oid, path in entries]
    converts = converting(repo.root, repo.git_dir, repo.common_dir, tracked, os.environ)
    return Contents(repo.root, entries, from_disk, converts, records, changed)


def keyers(
    tasks: Iterable[TaskConfig],
    repo: git.Repo,
    config: Config,
    env: Mapping[str, str],
    index_only: bool = False,
) -> tuple[Contents, dict[str, Keyer]]:
    """A :class:`Keyer` for each task whose results are cached, in a run that
    gives its tasks ``env``."""
    contents = read_contents(repo, index_only)
    result: dict[str, Keyer] = {}
    tasks = [t for t in tasks if t.cache]
    if not tasks:
        return contents, result
    config_file = config_name(config.path, repo.root)
    tracked = contents.tracked()
    configs: list[str] | None = None
    for task in tasks:
        inputs: list[str] = []
        if task.cache == "per-file":
            if configs is None:
                configs = config_files(tracked)
            inputs = project_files(task, configs)
            if task.cache_inputs:  # pathspec is a costly import: only when there are globs
                from hookrunner.files import compile_globs

                spec = compile_globs(task.cache_inputs)
                prefix = task.project + "/" if task.project else ""  # globs are the project's
                inputs += [
                    p
                    for p in tracked
                    if p.startswith(prefix) and spec.match_file(p[len(prefix) :])
                    and p not in configs
                ]  # fmt: skip
        own = project_config(task, config_file)
        result[task.name] = keyer(task, contents, own, inputs, repo.root, env)
    return contents, result
