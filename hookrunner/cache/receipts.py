"""Receipts: what a full run on a clean work tree found, for the quick path
(:mod:`hookrunner.cli.quick`) to answer a later run on the same index.

A receipt holds the validated configuration and which tracked files each
task's filters keep, and is named by everything those depend on: the
configuration file's bytes, every index entry's path, mode and blob id (and
what each symlink leads to), the Python version and the code that validated
and sorted. Imports nothing costly.
"""

# No ``from __future__ import annotations``: typing.NamedTuple compiles every
# string annotation into a ForwardRef, which a cached run would pay for.

import contextlib
import marshal
import os
import stat
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from hookrunner.cache.store import DIRECTORY
from hookrunner.hashing import digest
from hookrunner.model import Config, TaskConfig

if TYPE_CHECKING:
    from hookrunner.cache.keys import Keyer
    from hookrunner.files import Classifier

RECEIPT_FORMAT = 3
RECEIPTS = "receipts"
"""The receipts' folder inside the cache's."""
MAX_RECEIPTS = 64
"""Past this many receipts the least recently used are removed, down to three quarters."""


class Receipt(NamedTuple):
    """What a full run found that depends only on the receipt's name."""

    settings: tuple[int, bool, float, bool, tuple[tuple[str, str, bool], ...]]
    """jobs, fail_fast, timeout, tests_wait_for_lint, and the workspace's member
    projects (:class:`~hookrunner.model.Project` fields)."""
    tasks: tuple[tuple[object, ...], ...]
    selected: dict[str, list[str]]
    """Per task, the tracked files its filters keep, in index order."""
    scope: dict[str, list[str] | None]
    """Per cached task, None (keys once named a scope here; the tree covers it now)."""
    inputs: dict[str, list[str]]
    """Per cached task, what :class:`~hookrunner.cache.keys.Keyer` calls its inputs."""


# The code a receipt's answers come from: validating the configuration (and
# joining a workspace's projects) and sorting files by their names and types.
# Another version of any of it makes every receipt a stranger.
_SOURCES = (
    "hookrunner/config.py",
    "hookrunner/workspace.py",
    "hookrunner/files.py",
    "hookrunner/model.py",
)
_LIBRARIES = ("identify/identify.py", "identify/extensions.py", "pathspec/__init__.py")


def _stamp() -> list[object]:
    """Where each source above is found on ``sys.path``, with its size and mtime
    (found by looking, not importing: that is the cost being saved)."""
    stamp: list[object] = []
    for name in (*_SOURCES, *_LIBRARIES):
        for folder in sys.path:
            path = os.path.join(folder or os.curdir, name)
            try:
                info = os.stat(path)
            except OSError:
                continue
            stamp.append((os.path.abspath(path), info.st_size, info.st_mtime_ns))
            break
        else:
            stamp.append(None)
    return stamp


def receipt_name(
    root: str, config_file: str, config_digest: str, records: Sequence[tuple[str, str, str]]
) -> str:
    head = repr([RECEIPT_FORMAT, sys.version, _stamp(), root, config_file, config_digest])
    # Paths hold no NUL: joined with it, the list cannot be read two ways. Whether a
    # symlink reaches tools depends on what it leads to, which the index does not say.
    indexed = "\0".join(
        f"{mode} {oid} {_leads_to(root, path) if mode == '120000' else '-'} {path}"
        for mode, oid, path in records
    )
    return digest(f"{head}\0\0{indexed}".encode("utf-8", "surrogateescape"))


def _leads_to(root: str, path: str) -> str:
    try:
        mode = os.stat(os.path.join(root, path)).st_mode
    except (OSError, ValueError):
        return "nothing"
    return "folder" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "other"


def receipt_path(git_dir: str, name: str) -> str:
    return os.path.join(git_dir, DIRECTORY, RECEIPTS, name)


def _prune(folder: str, limit: int = MAX_RECEIPTS) -> None:
    try:
        found = [(entry.stat().st_mtime_ns, entry.path) for entry in os.scandir(folder)]
    except OSError:
        return
    if len(found) > limit:
        for _mtime, path in sorted(found)[: len(found) - limit * 3 // 4]:
            with contextlib.suppress(OSError):
                os.unlink(path)


def save_receipt(
    git_dir: str,
    name: str,
    config: Config,
    classifier: "Classifier",
    keyers: "dict[str, Keyer]",
) -> None:
    """Write the receipt a later run on the same index will look for
    (``classifier``: one over every tracked file)."""
    receipt = Receipt(
        settings=(
            config.jobs,
            config.fail_fast,
            config.timeout,
            config.tests_wait_for_lint,
            tuple(tuple(project) for project in config.projects),  # type: ignore[misc]
        ),
        tasks=tuple(tuple(task) for task in config.tasks),
        selected={task.name: classifier.select(task) for task in config.tasks},
        scope=dict.fromkeys(keyers),
        inputs={n: list(k.inputs) for n, k in keyers.items()},
    )
    path = receipt_path(git_dir, name)
    with contextlib.suppress(OSError, ValueError):  # only a later run's speed depends on it
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = marshal.dumps(tuple(receipt))  # type: ignore[arg-type]  # plain values
        from hookrunner.atomic import write_atomically  # the quick path only reads

        write_atomically(path, data)
        with open(receipt_path(git_dir, seen(config.digest)), "wb"):
            pass
        _prune(os.path.dirname(path))


def seen(config_digest: str) -> str:
    """A mark that runs of this configuration leave receipts: runs of any
    other (no cached task, say) need not look for one."""
    return f"config-{config_digest}"


def load_receipt(git_dir: str, name: str) -> Receipt | None:
    path = receipt_path(git_dir, name)
    try:
        with open(path, "rb") as file:
            receipt = Receipt(*marshal.load(file))
        if not _well_formed(receipt):
            return None
        os.utime(path)  # recently used receipts survive pruning
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return receipt


def _well_formed(receipt: Receipt) -> bool:
    """The shape :func:`save_receipt` writes (a damaged file is no receipt, not a crash)."""
    tasks = receipt.tasks
    if not isinstance(tasks, tuple) or not all(
        isinstance(fields, tuple) and len(fields) == len(TaskConfig._fields) for fields in tasks
    ):
        return False
    names = {fields[0] for fields in tasks}
    parts = (receipt.selected, receipt.scope, receipt.inputs)
    return (
        isinstance(receipt.settings, tuple)
        and len(receipt.settings) == 5
        and all(isinstance(part, dict) for part in parts)
        and set(receipt.selected) == names
        and set(receipt.scope) == set(receipt.inputs) <= names
    )
