"""A copy of the validated configuration in the cache's folder, so that a run
whose configuration files are unchanged skips the TOML reader and validation.

The copy is named by everything validation reads: the bytes of each
configuration file (the table's, every workspace project's, the repository's
``.pre-commit-config.yaml``), where they are, the folder the run starts in
(messages name files from there), the Python version and the code that reads
and checks them (this package's sources and the libraries they ask, by size
and mtime). Any other bytes, an edit to the code or a damaged copy: the files
are read again, and a new copy written. A folder a task runs in is checked
again on every use, as validation checks it. A ``.pre-commit-config.yaml``
alone depends on more than these files (the hooks' repositories and
environments, ``PATH``): its copy is also named by the tasks remembered for
it (:func:`hookrunner.cache.hooks.current`), and there is none until they
are. One the table names (``pre_commit_config``) is always read.
Imports nothing costly.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import Any

from hookrunner import __version__, model
from hookrunner.cache.store import DIRECTORY
from hookrunner.git.index import folder_inside
from hookrunner.hashing import digest
from hookrunner.model import Config
from hookrunner.precommit_plain import FILENAME

COPIES = os.path.join(DIRECTORY, "configs")
"""The copies' folder in the (common) git directory, beside the results' (``hookrunner
cache clear`` removes both): one file per name, holding its name, then the
configuration."""
MAX_COPIES = 16
"""Past this many copies (runs from other folders, other ``--config`` files)
the oldest are removed, down to three quarters."""
FORMAT = 2

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SOURCES = (
    "config.py",
    "values.py",
    "workspace.py",
    "model.py",
    "files.py",
    "precommit_plain.py",
    "hashing.py",
    "engine/graph.py",
    "cache/config_copy.py",
)
_LIBRARIES = ("identify/identify.py", "identify/extensions.py", "pathspec/__init__.py")


def file_stamp(path: str) -> tuple[int, int] | None:
    """A file's size and modification time, or None where there is none."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def _code() -> list[object]:
    """The code validation runs, as found on disk (looking, not importing)."""
    stamp: list[object] = [file_stamp(os.path.join(_PACKAGE, name)) for name in _SOURCES]
    for name in _LIBRARIES:
        for folder in sys.path:
            found = file_stamp(os.path.join(folder or os.curdir, name))
            if found is not None:
                stamp.append((folder, found))
                break
        else:
            stamp.append(None)
    return stamp


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def copy_name(root: Path, files: Sequence[Path]) -> str | None:
    """The name of the configuration ``files`` (the table's first) give, or None
    when the copy must not be used (see the module's docstring)."""
    contents = [(str(path), _read(path)) for path in files]
    if any(data is not None and b"pre_commit_config" in data for _path, data in contents):
        return None
    # Beside a table, a .pre-commit-config.yaml only names the configuration;
    # without one, its hooks are the tasks.
    pre_commit = _read(root / FILENAME)
    table = contents[0][1]
    hooks: list[object] | None = None
    if pre_commit is not None and (table is None or b"paratools" not in table):
        from hookrunner.cache.hooks import current

        hooks = current(pre_commit, str(root))
        if hooks is None:
            return None
    head = [FORMAT, __version__, sys.version, _code(), str(root), os.getcwd(), pre_commit, hooks]
    return digest(repr([*head, *contents]).encode("utf-8", "surrogateescape"))


def load_copy(git_dir: Path, name: str, root: Path) -> Config | None:
    """The configuration kept under ``name``, or None (no copy, another, damaged,
    or a task's folder gone)."""
    try:
        with open(git_dir / COPIES / name, "rb") as file:
            kept, value = marshal.load(file)
        if kept != name:
            return None
        config = _record(value)
    except Exception:  # a damaged copy is no copy, never a crash
        return None
    if not isinstance(config, Config):
        return None
    # Validation checked that each task's folder exists inside the repository.
    if any(task.cwd and not folder_inside(str(root), task.cwd) for task in config.tasks):
        return None
    return config


def save_copy(git_dir: Path, name: str, config: Config) -> None:
    folder = git_dir / COPIES
    with contextlib.suppress(OSError, ValueError, TypeError):  # only a later run's speed
        data = marshal.dumps((name, _plain(config)))  # type: ignore[arg-type]  # plain values
        from hookrunner.atomic import write_atomically

        os.makedirs(folder, exist_ok=True)
        write_atomically(folder / name, data)
        found = sorted((entry.stat().st_mtime_ns, entry.path) for entry in os.scandir(folder))
        if len(found) > MAX_COPIES:
            for _mtime, path in found[: len(found) - MAX_COPIES * 3 // 4]:
                os.unlink(path)


# Records and paths as marshal's plain values, each field by name: a field
# added to a record needs nothing here (the sources' stamp names another copy).


def _plain(value: object) -> object:
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        record: Any = value
        fields = {f: _plain(v) for f, v in record._asdict().items()}
        return ("record", type(value).__name__, fields)
    if isinstance(value, (tuple, list, frozenset)):
        return (type(value).__name__, [_plain(v) for v in value])
    if isinstance(value, PurePath):
        return ("path", str(value))
    if value is None or isinstance(value, (str, int, float, bytes)):
        return value
    raise TypeError(f"no plain form for {type(value).__name__}")


_KINDS: dict[str, Any] = {"tuple": tuple, "list": list, "frozenset": frozenset}


def _record(value: object) -> object:
    if not isinstance(value, tuple):
        return value
    kind = value[0]
    if kind == "record":
        cls = getattr(model, value[1])
        if not (isinstance(cls, type) and issubclass(cls, tuple)):
            raise TypeError(value[1])
        return cls(**{f: _record(v) for f, v in value[2].items()})
    if kind == "path":
        return Path(value[1])
    return _KINDS[kind](_record(v) for v in value[1])
