"""Load and validate the ``[tool.paratools]`` table of ``pyproject.toml``."""

from __future__ import annotations

import posixpath
import re
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hookrunner import precommit_plain, values
from hookrunner.engine.graph import CircularDependencyError, validate
from hookrunner.errors import ConfigError
from hookrunner.files import compile_globs, tags_can_meet
from hookrunner.hashing import config_digest
from hookrunner.model import DEFAULT_HOOKS, STAGES, Config, TaskConfig
from hookrunner.precommit_plain import FILENAME
from hookrunner.values import lower, one_of, quote_key, show, suggest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    # mypy checks as 3.10, where tomli may be absent from the checking environment
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

TOP_KEYS = (
    "jobs", "fail_fast", "timeout", "tests_wait_for_lint", "optimistic", "pre_commit_config",
    "tasks",
)  # fmt: skip
TASK_KEYS = (
    "cmd",
    "stage",
    "depends_on",
    "files",
    "exclude",
    "types",
    "types_or",
    "exclude_types",
    "pass_filenames",
    "always_run",
    "timeout",
    "env",
    "cwd",
    "hooks",
    "priority",
    "stage_fixed",
    "cache",
    "cache_inputs",
)


def load_config(
    path: Path, root: Path, display: str | None = None, foreign: bool = False
) -> Config:
    """Read ``path`` and validate its ``[tool.paratools]`` table; ``foreign``: a
    ``depends_on`` entry with a ``:`` may name another project's task (checked
    by :mod:`hookrunner.workspace`)."""
    file = values.display(path) if display is None else display
    # A .pre-commit-config.yaml alone is the configuration (beside a table, it may add to it).
    pre_commit = precommit_plain.read_config(root)
    alone = pre_commit is not None and path == root / "pyproject.toml"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if pre_commit is not None and alone:
            return precommit_plain.alone(root, b"", pre_commit)
        raise ConfigError(file, "", "file not found") from None
    except OSError as e:
        raise ConfigError(file, "", f"cannot read file: {lower(e.strerror or str(e))}") from None
    try:
        document = tomllib.loads(data.decode())
    except UnicodeDecodeError:
        raise ConfigError(file, "", "invalid TOML: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        # tomllib's message ends with "(at line L, column C)": keep it
        raise ConfigError(file, "", f"invalid TOML: {lower(str(e))}") from None
    tool = document.get("tool")
    if pre_commit is not None and alone and not (isinstance(tool, dict) and "paratools" in tool):
        return precommit_plain.alone(root, data, pre_commit)
    config = parse_config(document, file, root, path, foreign)
    # Receipts of the quick path name the table's file and the root's .pre-commit-config.yaml.
    other = tool["paratools"].get("pre_commit_config") not in (None, False, True, FILENAME)
    return config._replace(digest="" if other else config_digest(data, pre_commit))


def parse_config(
    data: Mapping[str, Any], file: str, root: Path, path: Path | None = None, foreign: bool = False
) -> Config:
    """Validate a parsed pyproject document; ``path`` defaults to ``root/pyproject.toml``."""
    tool = data.get("tool")
    if tool is None or (isinstance(tool, dict) and "paratools" not in tool):
        raise ConfigError(file, "", "no [tool.paratools] table")
    table = values.table(values.table(tool, file, "tool")["paratools"], file, "tool.paratools")
    _check_keys(table, TOP_KEYS, file, "tool.paratools")

    jobs = values.positive_int(table.get("jobs", 5), file, "tool.paratools.jobs")
    fail_fast = values.boolean(table.get("fail_fast", True), file, "tool.paratools.fail_fast")
    timeout = values.timeout(table.get("timeout", 300.0), file, "tool.paratools.timeout")
    tests_wait_for_lint = values.boolean(
        table.get("tests_wait_for_lint", True), file, "tool.paratools.tests_wait_for_lint"
    )
    optimistic = values.boolean(table.get("optimistic", True), file, "tool.paratools.optimistic")
    tasks_table = values.table(table.get("tasks", {}), file, "tool.paratools.tasks")
    hooks: dict[str, TaskConfig] = {}
    if table.get("pre_commit_config", False) is not False:
        from hookrunner.precommit import merged

        hooks = merged(table["pre_commit_config"], tasks_table, file, root, timeout)
    own = tuple(
        _task(name, spec, index, timeout, file, root)
        for index, (name, spec) in enumerate(tasks_table.items())
        if name not in hooks
    )
    tasks = (*own, *(task._replace(position=len(own) + i) for i, task in enumerate(hooks.values())))
    _check_dependencies(tasks, file, foreign)
    return Config(
        path=root / "pyproject.toml" if path is None else path,
        jobs=jobs,
        fail_fast=fail_fast,
        timeout=timeout,
        tests_wait_for_lint=tests_wait_for_lint,
        tasks=tasks,
        optimistic=optimistic,
    )


def _task(name: str, spec: object, index: int, timeout: float, file: str, root: Path) -> TaskConfig:
    if not name:
        raise ConfigError(file, "tool.paratools.tasks", 'expected a task name, got ""')
    if "," in name or any(c.isspace() for c in name):
        # SKIP and --skip take comma-separated names
        raise ConfigError(
            file,
            "tool.paratools.tasks",
            f"expected a task name without commas or whitespace, got {show(name)}",
        )
    at = f"tool.paratools.tasks.{values.key(name)}"
    table = values.table(spec, file, at)
    _check_keys(table, TASK_KEYS, file, at)
    if "cmd" not in table:
        raise ConfigError(file, at, "missing required key 'cmd'")

    stage = table.get("stage", "lint")
    if stage not in STAGES:
        raise ConfigError(file, f"{at}.stage", f"expected {one_of(STAGES)}, got {show(stage)}")
    stage_fixed = values.boolean(table.get("stage_fixed", False), file, f"{at}.stage_fixed")
    if stage_fixed and stage != "format":
        raise ConfigError(
            file, f"{at}.stage_fixed", f'only allowed on format tasks, this one is a "{stage}" task'
        )
    cache = table.get("cache", stage != "test")
    if not isinstance(cache, bool) and cache != "per-file":
        raise ConfigError(
            file, f"{at}.cache", f'expected true, false or "per-file", got {show(cache)}'
        )
    pass_filenames = values.boolean(
        table.get("pass_filenames", stage != "test"), file, f"{at}.pass_filenames"
    )
    if cache == "per-file" and not pass_filenames:
        raise ConfigError(
            file, f"{at}.cache", '"per-file" needs a task that is given filenames (pass_filenames)'
        )
    files = _globs(table.get("files", []), file, f"{at}.files")
    exclude = _globs(table.get("exclude", []), file, f"{at}.exclude")
    types = _types(table.get("types", []), file, f"{at}.types")
    exclude_types = _types(table.get("exclude_types", []), file, f"{at}.exclude_types")
    _check_types(types, exclude_types, file, at)
    return TaskConfig(
        name=name,
        cmd=_cmd(table["cmd"], file, f"{at}.cmd"),
        stage=stage,
        depends_on=tuple(
            dict.fromkeys(values.strings(table.get("depends_on", []), file, f"{at}.depends_on"))
        ),
        files=files,
        exclude=exclude,
        types=types,
        pass_filenames=pass_filenames,
        always_run=values.boolean(table.get("always_run", False), file, f"{at}.always_run"),
        timeout=values.timeout(table.get("timeout", timeout), file, f"{at}.timeout"),
        env=_env(table.get("env", {}), file, f"{at}.env"),
        cwd=_cwd(table.get("cwd", ""), root, file, f"{at}.cwd"),
        hooks=values.hooks(table.get("hooks", list(DEFAULT_HOOKS)), file, f"{at}.hooks"),
        priority=values.integer(table.get("priority", 0), file, f"{at}.priority"),
        stage_fixed=stage_fixed,
        cache=cache,
        cache_inputs=_globs(table.get("cache_inputs", []), file, f"{at}.cache_inputs"),
        types_or=_types(table.get("types_or", []), file, f"{at}.types_or"),
        exclude_types=exclude_types,
        regex_like=_regex_like(files, exclude, file, at),
        position=index,
    )


def _check_dependencies(tasks: tuple[TaskConfig, ...], file: str, foreign: bool = False) -> None:
    by_name = {task.name: task for task in tasks}
    graph: dict[str, tuple[str, ...]] = {}
    for task in tasks:
        at = f"tool.paratools.tasks.{values.key(task.name)}.depends_on"
        for dep in task.depends_on:
            if foreign and ":" in dep and dep not in by_name:
                continue
            if dep == task.name:
                raise ConfigError(file, at, f"task {show(dep)} depends on itself")
            if dep not in by_name:
                others = [name for name in by_name if name != task.name]
                raise ConfigError(
                    file,
                    at,
                    f"unknown task {show(dep)}{suggest(dep, others, show)}",
                )
            dep_stage = by_name[dep].stage
            if STAGES.index(dep_stage) > STAGES.index(task.stage):
                raise ConfigError(
                    file,
                    at,
                    f"a {task.stage} task cannot depend on {show(dep)}, a {dep_stage} task"
                    f" (stages run {' -> '.join(STAGES)})",
                )
        graph[task.name] = tuple(d for d in task.depends_on if d in by_name)
    try:
        validate(graph)  # tasks in declaration order: the cycle starts at the first declared
    except CircularDependencyError as e:
        at = f"tool.paratools.tasks.{values.key(e.cycle[0])}.depends_on"
        raise ConfigError(file, at, str(e)) from None


def _check_keys(table: Mapping[str, Any], known: tuple[str, ...], file: str, at: str) -> None:
    for key in table:
        if key not in known:
            raise ConfigError(
                file,
                f"{at}.{values.key(key)}",
                f"unknown key{suggest(key, known, quote_key)}",
            )


def _cmd(value: object, file: str, at: str) -> tuple[str, ...]:
    if isinstance(value, str):
        try:
            argv = shlex.split(value)
        except ValueError as e:
            raise ConfigError(file, at, f"cannot split {show(value)}: {lower(str(e))}") from None
    elif isinstance(value, list):
        argv = values.strings(value, file, at)
    else:
        raise ConfigError(file, at, f"expected a string or a list of strings, got {show(value)}")
    if not argv or not argv[0]:
        raise ConfigError(file, at, f"expected a non-empty command, got {show(value)}")
    if any("\0" in arg for arg in argv):
        raise ConfigError(file, at, f"expected no NUL characters, got {show(value)}")
    return tuple(argv)


# What gives away a regular expression written for pre-commit's files/exclude, and is
# unlikely in a glob: a leading "^", a trailing "$", an escaped dot, ".+", an
# alternation, a group or a class such as \d. (".*" alone is no sign: ".*" and
# "setup.*" are globs.)
_REGEX_LIKE = re.compile(r"^\^|(?<!\\)\$$|\\[.dswDSW]|\.\+|\||\(\?")


def _regex_like(
    files: tuple[str, ...], exclude: tuple[str, ...], file: str, at: str
) -> tuple[tuple[str, str], ...]:
    return tuple(
        (
            f"{file}: {at}.{key}: {values.quote(pattern)} matched none of this run's files;"
            " it looks like a regular expression (pre-commit's syntax), but hookrunner"
            ' takes gitignore-style globs here, such as "*.py" or "src/**"',
            pattern,
        )
        for key, patterns in (("files", files), ("exclude", exclude))
        for pattern in patterns
        if _REGEX_LIKE.search(pattern)
    )


def _globs(value: object, file: str, at: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    elif not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(file, at, f"expected a glob or a list of globs, got {show(value)}")
    patterns: list[str] = value
    for pattern in patterns:
        if not pattern.strip():
            raise ConfigError(file, at, f"expected a non-empty glob, got {show(pattern)}")
        try:
            spec = compile_globs((pattern,))
        except ValueError:
            raise ConfigError(file, at, f"invalid glob {show(pattern)}") from None
        # gitignore syntax silently drops comments, "/" and bad ranges like "["
        if all(p.include is None for p in spec.patterns):
            raise ConfigError(file, at, f"invalid glob {show(pattern)}: it matches no path")
    return tuple(patterns)


def _types(value: object, file: str, at: str) -> tuple[str, ...]:
    tags = values.strings(value, file, at)
    if tags:
        # identify costs ~3 ms to import: only configs that filter on types pay it
        from identify.identify import ALL_TAGS

        for tag in tags:
            if tag not in ALL_TAGS:
                raise ConfigError(
                    file,
                    at,
                    f"unknown type {show(tag)}{suggest(tag, ALL_TAGS, show)}",
                )
    return tuple(tags)


def _check_types(
    types: tuple[str, ...], exclude_types: tuple[str, ...], file: str, at: str
) -> None:
    """Tags that no file can have all at once select nothing, silently: say so."""
    both = [tag for tag in types if tag in exclude_types]
    if both:
        raise ConfigError(
            file,
            f"{at}.exclude_types",
            f"{show(both[0])} is also in types: no file can be both required and excluded",
        )
    if len(types) > 1 and not tags_can_meet(frozenset(types)):
        listed = show(list(types))
        raise ConfigError(
            file,
            f"{at}.types",
            f"no file has all the types {listed} (types needs every one);"
            f" for files of any of them write types_or = {listed}",
        )


def _env(value: object, file: str, at: str) -> tuple[tuple[str, str], ...]:
    table = values.table(value, file, at)
    for name, item in table.items():
        if not name or "=" in name or "\0" in name:
            raise ConfigError(file, at, f"invalid variable name {show(name)}")
        if not isinstance(item, str) or "\0" in item:
            raise ConfigError(
                file, f"{at}.{values.key(name)}", f"expected a string, got {show(item)}"
            )
    return tuple(table.items())


def _cwd(value: object, root: Path, file: str, at: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(file, at, f"expected a string, got {show(value)}")
    if posixpath.isabs(value):
        raise ConfigError(file, at, f"expected a relative path, got {show(value)}")
    cwd = posixpath.normpath(value) if value else "."
    if cwd == ".." or cwd.startswith("../"):
        raise ConfigError(file, at, f"expected a path inside the repository, got {show(value)}")
    directory = root / cwd
    if not directory.is_dir():
        raise ConfigError(file, at, f"expected an existing directory, got {show(value)}")
    # a symlink may still lead out of the repository
    if not directory.resolve().is_relative_to(root.resolve()):
        raise ConfigError(file, at, f"expected a path inside the repository, got {show(value)}")
    return "" if cwd == "." else cwd
