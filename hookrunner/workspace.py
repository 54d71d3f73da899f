"""Workspaces: every tracked ``pyproject.toml`` with a ``[tool.paratools]``
table below the root is a project of its own (a uv workspace member, a
monorepo package).

Projects are found from the index (the tracked ``pyproject.toml`` files), never
by walking folders. Their tasks join the root project's in one
:class:`~hookrunner.model.Config`, named ``<dir>:<task>``, run in their
project's folder, and see the files under it that no deeper project owns
(:class:`hookrunner.files.Classifier` reads ``project`` and ``nested``).
"""

from __future__ import annotations

import posixpath
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from hookrunner import values
from hookrunner.engine.graph import CircularDependencyError, validate
from hookrunner.errors import ConfigError
from hookrunner.hashing import digest
from hookrunner.model import STAGES, Config, Project, TaskConfig
from hookrunner.plan import in_folder
from hookrunner.values import show, suggest

PYPROJECT = "pyproject.toml"


def project_dirs(tracked: Iterable[str]) -> list[str]:
    """The folders below the root that hold a tracked ``pyproject.toml``."""
    suffix = "/" + PYPROJECT
    return sorted({path[: -len(suffix)] for path in tracked if path.endswith(suffix)})


def _has_table(data: bytes) -> bool:
    """Whether a ``pyproject.toml`` is a project of ours; text that cannot be read
    as TOML counts when it names paratools (its error is then reported)."""
    if b"paratools" not in data:
        return False
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    try:
        document = tomllib.loads(data.decode())
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True
    tool = document.get("tool")
    return not isinstance(tool, dict) or "paratools" in tool


def load_workspace(path: Path, root: Path, tracked: Sequence[str]) -> Config:
    """The root configuration ``path`` and every member project found among the
    ``tracked`` paths, as one configuration. Without members it is
    :func:`hookrunner.config.load_config`'s."""
    # The TOML reader and validation are imported by a run that reads the files
    # (not one the configuration's copy answers, see hookrunner.cache.config_copy).
    from hookrunner.config import load_config

    members: list[tuple[str, Config]] = []
    for folder in project_dirs(tracked):
        file = root / folder / PYPROJECT
        try:
            text = file.read_bytes()
        except OSError:
            continue  # deleted in the work tree: not part of this run
        if _has_table(text):
            members.append((folder, load_config(file, root / folder, foreign=True)))
    if not members:
        return load_config(path, root)
    data: bytes | None
    try:
        data = path.read_bytes()
    except OSError:
        data = None
    if data is not None and _has_table(data):
        top = load_config(path, root, foreign=True)
    else:
        top = Config(path=path, digest="" if data is None else digest(data))
    return _merge(top, members)


def _merge(top: Config, members: Sequence[tuple[str, Config]]) -> Config:
    folders = [folder for folder, _config in members]
    tasks = [t._replace(nested=tuple(folders)) for t in top.tasks]
    files = dict.fromkeys((t.name for t in tasks), values.display(Path(top.path)))
    for folder, config in members:
        own = {t.name for t in config.tasks}
        nested = tuple(f for f in folders if f != folder and in_folder(f, folder))
        for task in config.tasks:
            full = f"{folder}:{task.name}"
            tasks.append(
                task._replace(
                    name=full,
                    depends_on=tuple(f"{folder}:{d}" if d in own else d for d in task.depends_on),
                    cwd=posixpath.join(folder, task.cwd) if task.cwd else folder,
                    project=folder,
                    nested=nested,
                )
            )
            files[full] = values.display(Path(config.path))
    merged = tuple(t._replace(position=i) for i, t in enumerate(tasks))
    _check_across(merged, files)
    projects = tuple(
        Project(folder, f"{folder}/{PYPROJECT}", config.tests_wait_for_lint)
        for folder, config in members
    )
    return top._replace(tasks=merged, projects=projects)


def _local(task: TaskConfig) -> str:
    return task.name[len(task.project) + 1 :] if task.project else task.name


def _check_across(tasks: Sequence[TaskConfig], files: dict[str, str]) -> None:
    """``depends_on`` entries that name another project's task: they exist, go
    against no stage, and make no cycle."""
    by_name = {task.name: task for task in tasks}
    for task in tasks:
        at = f"tool.paratools.tasks.{values.key(_local(task))}.depends_on"
        for dep in task.depends_on:
            if dep not in by_name:
                others = [name for name in by_name if name != task.name]
                raise ConfigError(
                    files[task.name],
                    at,
                    f"unknown task {show(dep)}{suggest(dep, others, show)}",
                )
            stage = by_name[dep].stage
            if STAGES.index(stage) > STAGES.index(task.stage):
                raise ConfigError(
                    files[task.name],
                    at,
                    f"a {task.stage} task cannot depend on {show(dep)}, a {stage} task"
                    f" (stages run {' -> '.join(STAGES)})",
                )
    try:
        validate({task.name: task.depends_on for task in tasks})
    except CircularDependencyError as e:
        first = by_name[e.cycle[0]]
        at = f"tool.paratools.tasks.{values.key(_local(first))}.depends_on"
        raise ConfigError(files[first.name], at, str(e)) from None
