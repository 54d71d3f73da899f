"""A pre-commit configuration's hooks as tasks, remembered between runs.

Resolving hooks needs the pre-commit library: importing it, reading its store's
database, and asking each environment's interpreter whether it still works
(a few hundred milliseconds, on every commit). What comes out, the tasks, only
changes when what it came from does, so it is kept under pre-commit's store
(removed with it) by a name that covers the configuration's bytes, the
repository, hookrunner's task record and the code that makes the tasks,
this interpreter, ``PATH`` and the library's files; each environment's
install-state file and each hook folder must also be as they were. An
environment broken from outside (its base interpreter removed) is found again
by the library once any of that changes; ``pre-commit clean`` changes it.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from collections.abc import Sequence
from typing import Any, NamedTuple

from hookrunner.atomic import write_atomically
from hookrunner.cache.config_copy import file_stamp
from hookrunner.hashing import digest_of
from hookrunner.model import TaskConfig

FORMAT = 1

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SOURCES = ("precommit.py", "precommit_plain.py", "model.py", "cache/hooks.py")
"""The code that turns hooks into tasks: another version of it (an upgrade, an
edit of an editable install) resolves them again."""


def store_dir() -> str:
    """pre-commit's store, found as the library finds it."""
    home = os.environ.get("PRE_COMMIT_HOME")
    if home:
        return home
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "pre-commit")


def _library() -> object:
    import importlib.util

    spec = importlib.util.find_spec("pre_commit")
    if spec is None or spec.origin is None:
        return None
    # A new version is unpacked anew: the folder and its files change.
    folder = os.path.dirname(spec.origin)
    return [folder, _stamp(folder), _stamp(spec.origin)]


def _stamp(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _path(config: bytes, root: str) -> str:
    name = digest_of(
        [
            FORMAT,
            TaskConfig._fields,
            config,
            root,
            sys.executable,
            os.environ.get("PATH"),
            _library(),
            [file_stamp(os.path.join(_PACKAGE, name)) for name in _SOURCES],
        ]
    )
    return os.path.join(store_dir(), "hookrunner", name[:40])


class _Kept(NamedTuple):
    tasks: tuple[tuple[Any, ...], ...]  # marshal's plain values of TaskConfig
    fail_fast: bool
    name: list[object]
    """The file, by where and when it was written."""


def _kept(config: bytes, root: str) -> _Kept | None:
    """What is remembered for ``config``, while every watched path is as it was."""
    path = _path(config, root)
    try:
        with open(path, "rb") as file:
            info = os.fstat(file.fileno())
            tasks, fail_fast, stamps = marshal.load(file)
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if any(_stamp(watched) != stamp for watched, stamp in stamps):
        return None
    return _Kept(tasks, fail_fast, [path, info.st_size, info.st_mtime_ns, info.st_ino])


def recall(config: bytes, root: str) -> tuple[tuple[TaskConfig, ...], bool] | None:
    """The tasks and the configuration's ``fail_fast``, when still valid."""
    kept = _kept(config, root)
    if kept is None:
        return None
    return tuple(TaskConfig(*fields) for fields in kept.tasks), kept.fail_fast


def current(config: bytes, root: str) -> list[object] | None:
    """What names the tasks remembered for ``config`` while :func:`recall` would
    still give them; None when they would be resolved again. A copy of a
    configuration made of them is named with it (see
    :mod:`hookrunner.cache.config_copy`)."""
    kept = _kept(config, root)
    return None if kept is None else kept.name


def remember(
    config: bytes,
    root: str,
    tasks: Sequence[TaskConfig],
    fail_fast: bool,
    watched: Sequence[str],
) -> None:
    """Keep the tasks; ``watched``: the files and folders whose change voids them."""
    path = _path(config, root)
    data = marshal.dumps(
        (tuple(tuple(task) for task in tasks), fail_fast, tuple((p, _stamp(p)) for p in watched))
    )
    with contextlib.suppress(OSError):  # a read-only store: resolved again next time
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_atomically(path, data)
