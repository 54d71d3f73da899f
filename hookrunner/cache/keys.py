"""Cache keys: what a result is reused for.

A result is keyed by everything the task can be seen to read: its definition,
the tool as the task resolves it, the Python version, the variables
hookrunner gives the task, the configuration file, and content: with
``cache = true`` every tracked file (the tree), with ``cache = "per-file"``
the file itself and the tracked configuration files tools read (plus
``cache_inputs``). A file's content is its mode and git blob id, so a staged
run, a pre-push run and a run on the work tree agree on what a file is;
:class:`hookrunner.cache.Contents` says when that must be read from disk.
Only passes are stored.

This module imports nothing costly (no hashlib, pathlib or subprocess): a
run whose every task is a hit pays only for what is here. How the contents
are read from git is :mod:`hookrunner.cache.contents`'s business.
"""

# No ``from __future__ import annotations``: typing.NamedTuple compiles every
# string annotation into a ForwardRef, which a cached run would pay for.

import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol

from hookrunner.cache.store import FORMAT, Entry, Store
from hookrunner.hashing import digest_of
from hookrunner.model import TaskConfig, TaskResult

if TYPE_CHECKING:
    from hookrunner.plan import PlannedTask


def config_name(config_path: str | os.PathLike[str], root: str | os.PathLike[str]) -> str:
    """How a key names the configuration file: repository-relative when inside it."""
    real = os.path.realpath(config_path)
    top = os.path.realpath(root)
    if real.startswith(top.rstrip(os.sep) + os.sep):
        return os.path.relpath(real, top).replace(os.sep, "/")
    return real


def which(name: str, path_env: str | None, cwd: str = "") -> str | None:
    """What ``exec`` would run for ``name`` in a child started in ``cwd``
    (shutil.which without importing shutil, which a hook would pay for on
    every commit): a relative name, or a relative ``PATH`` entry, is taken
    from ``cwd``, as the child sees it."""
    if os.sep in name:
        path = os.path.join(cwd, name)
        return path if os.access(path, os.X_OK) and not os.path.isdir(path) else None
    for folder in (path_env if path_env is not None else os.defpath).split(os.pathsep):
        candidate = os.path.join(cwd, folder or os.curdir, name)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None


def tool_identity(argv0: str, path_env: str | None, cwd: str = "") -> list[object]:
    """The executable a command resolves to in ``cwd`` with ``PATH`` =
    ``path_env``, with its size and modification time."""
    found = which(argv0, path_env, cwd)
    if found is None:
        return [argv0, None]
    try:
        info = os.stat(found)
    except OSError:
        return [found, None]
    return [os.path.realpath(found), info.st_size, info.st_mtime_ns]


def definition(task: TaskConfig) -> dict[str, object]:
    """The parts of a task's configuration that can change its result."""
    found: dict[str, object] = {
        "name": task.name,
        "cmd": list(task.cmd),
        "stage": task.stage,
        "env": [list(pair) for pair in task.env],
        "cwd": task.cwd,
        "files": list(task.files),
        "exclude": list(task.exclude),
        "types": list(task.types),
        "pass_filenames": task.pass_filenames,
        "always_run": task.always_run,
        "cache": task.cache,
        "types_or": list(task.types_or),
        "exclude_types": list(task.exclude_types),
        # regex_like only decides a warning, and names the file as seen from the
        # folder the run started in: it never changes a result.
    }
    if task.origin:
        # A pre-commit hook's variables are its environment's (named by origin) laid over
        # the caller's PATH, which differs between a terminal and a git hook: as for
        # any task, that PATH is not part of the key, only the tool it resolves to.
        found["env"] = [name for name, _value in task.env]
    # Added only when set, so that the keys of the table's own tasks stay as they were.
    for field in ("files_re", "exclude_re", "origin"):
        value = getattr(task, field)
        if value:
            found[field] = list(value) if isinstance(value, tuple) else value
    return found


GIVEN = (
    "HOOKRUNNER_HOOK",
    "HOOKRUNNER_REMOTE_NAME",
    "HOOKRUNNER_REMOTE_URL",
)
"""The variables hookrunner gives a task (see ``cli.scope.task_environment``):
a task may behave otherwise on a push, so they are part of every key. The
pushed refs (``HOOKRUNNER_FROM_REF``/``TO_REF``) are not: every push names
new commits, so with them no push would ever reuse a pass, and the key
already covers the content they lead to. A task that judges the refs
themselves (the messages of the pushed commits, say) wants ``cache = false``."""

CONFIG_FILES = frozenset(
    {
        # read by many tools
        "pyproject.toml", "setup.cfg", "tox.ini", ".editorconfig",
        ".pre-commit-config.yaml",
        # each tool's own
        "ruff.toml", ".ruff.toml", ".flake8", ".pycodestyle", ".pydocstyle",
        ".pydocstyle.ini", ".pydocstylerc", ".pydocstylerc.ini", ".pylintrc",
        "pylintrc", ".pylintrc.toml", "pylintrc.toml", "mypy.ini", ".mypy.ini",
        "pyrightconfig.json", ".isort.cfg", ".codespellrc", ".bandit", "bandit.yaml",
        ".yamllint", ".yamllint.yaml", ".yamllint.yml", ".style.yapf", ".sqlfluff",
        "pytest.ini", ".shellcheckrc", ".hadolint.yaml", ".hadolint.yml",
        ".clang-format", "_clang-format", ".clang-tidy", "typos.toml", "_typos.toml",
        ".typos.toml", "biome.json", "biome.jsonc", "taplo.toml", ".taplo.toml",
        "rustfmt.toml", ".rustfmt.toml", ".rubocop.yml", "deno.json", "deno.jsonc",
        ".jshintrc", ".mdlrc", ".vale.ini", ".djlintrc", ".cspell.json", "cspell.json",
    }
)  # fmt: skip
"""Configuration files that tools look for, by name, in any folder."""
CONFIG_PREFIXES = (
    ".prettierrc", "prettier.config.", ".eslintrc", "eslint.config.", ".stylelintrc",
    "stylelint.config.", ".markdownlint", ".golangci.", ".swiftlint", ".ruff.",
)  # fmt: skip
"""... and the families of names some tools accept (``.prettierrc.json``, ...)."""


def config_files(tracked: Iterable[str]) -> list[str]:
    """The tracked files a tool may read as its configuration (what a per-file
    key covers besides the file): :data:`CONFIG_FILES` and
    :data:`CONFIG_PREFIXES`, anywhere in the tree."""
    found = []
    for path in tracked:
        name = path.rpartition("/")[2]
        if name in CONFIG_FILES or name.startswith(CONFIG_PREFIXES):
            found.append(path)
    return found


def project_config(task: TaskConfig, config_file: str) -> str:
    """The configuration file that defines ``task``: its workspace project's, or
    ``config_file`` (the root's)."""
    return f"{task.project}/pyproject.toml" if task.project else config_file


def project_files(task: TaskConfig, paths: Iterable[str]) -> list[str]:
    """Of ``paths``, those a workspace project's task may read as its own: in the
    folders above its project, or in it but in no project inside it. Another
    project's configuration files change none of this one's per-file keys."""
    if not task.project and not task.nested:
        return list(paths)
    inner = tuple(folder + "/" for folder in task.nested)
    kept = []
    for path in paths:
        folder = path.rpartition("/")[0]
        above = task.project == folder or task.project.startswith(folder + "/") or not folder
        own = (not task.project or path.startswith(task.project + "/")) and not path.startswith(
            inner
        )
        if above or own:
            kept.append(path)
    return kept


class Idents(Protocol):
    def ident(self, path: str) -> str:
        """What ``path`` holds as the task reads it (mode, blob id, link target)."""

    def tree(self) -> str:
        """One name for what every tracked file holds."""


class Keyer(NamedTuple):
    """Computes cache keys for one task; the shared parts are computed once."""

    task: TaskConfig
    contents: Idents
    tool: list[object]
    """The executable, as the task resolves it (see :func:`tool_identity`)."""
    config_file: str
    inputs: Sequence[str]
    """Per-file mode: the tracked configuration files and ``cache_inputs``
    (with ``cache = true`` the tree covers every tracked file)."""
    given: tuple[tuple[str, str | None], ...]
    """The :data:`GIVEN` variables as the task gets them."""

    def _base(self) -> list[object]:
        return [
            FORMAT,
            definition(self.task),
            self.tool,
            sys.version,
            self.given,
            self.contents.ident(self.config_file),
            [(p, self.contents.ident(p)) for p in self.inputs],
        ]

    def keys(self, files: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """The keys for an invocation on ``files``, each with the files it
        vouches for: one per file in per-file mode, else one for them all,
        which also names the whole tree (a tool may read any tracked file)."""
        base = self._base()
        ident = self.contents.ident
        if self.task.cache == "per-file":
            return {digest_of([*base, "per-file", f, ident(f)]): (f,) for f in files}
        # A tool that is not given filenames does not see which files they are.
        named = [(f, ident(f)) for f in files] if self.task.pass_filenames else []
        return {digest_of([*base, "tree", self.contents.tree(), named]): tuple(files)}


def keyer(
    task: TaskConfig,
    contents: Idents,
    config_file: str,
    inputs: Sequence[str],
    root: str | os.PathLike[str],
    env: Mapping[str, str],
) -> Keyer:
    """The :class:`Keyer` of ``task`` in a run that gives tasks ``env``: the
    tool is resolved where the task runs, with the task's own ``env``."""
    task_env = {**env, **dict(task.env)}
    cwd = os.path.join(root, task.cwd)
    return Keyer(
        task=task,
        contents=contents,
        tool=tool_identity(task.cmd[0], task_env.get("PATH"), cwd),
        config_file=config_file,
        inputs=inputs,
        given=tuple((name, task_env.get(name)) for name in GIVEN),
    )


def all_cached(
    plan: "Sequence[PlannedTask]", store: Store, keyers: Mapping[str, Keyer], started: float
) -> list[TaskResult] | None:
    """Every task's result from the cache, or None if any task has to run.

    Keys are normally taken as each task starts, after the formatters before
    it. When every task is a hit, no formatter runs and nothing changes, so
    the keys taken now are the keys the run would take: the run needs no
    executor.
    """
    found: list[tuple[PlannedTask, list[Entry]]] = []
    for planned in plan:
        if planned.skip:
            continue
        keyer = keyers.get(planned.name)
        if keyer is None:
            return None
        entries: list[Entry] = []
        for inv in planned.invocations:
            for key in keyer.keys(inv.files):
                entry = store.get(key)
                if entry is None:
                    return None
                entries.append(entry)
        found.append((planned, entries))
    at = time.perf_counter() - started
    return [
        TaskResult(
            name=planned.name,
            stage=planned.stage,
            status="passed",
            exit_code=0,
            start=at,
            end=at,
            cmd=planned.task.cmd,
            files=planned.files,
            output="".join(e.output for e in entries),
            cached=True,
            saved=sum(e.duration for e in entries),
        )
        for planned, entries in found
    ]
