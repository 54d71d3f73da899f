"""A ``.pre-commit-config.yaml`` as hookrunner tasks, through the pre-commit library.

pre-commit does what it is best at: reading and validating the file
(``pre_commit.clientlib``), resolving each hook against its repository's
manifest and cloning the repository (``pre_commit.repository.all_hooks``), and
installing hook environments into its own store (``install_hook_envs``,
``PRE_COMMIT_HOME``, shared with the ``pre-commit`` command). That happens
once, before the graph, in the main thread.

Each hook then becomes a plain :class:`~hookrunner.model.TaskConfig`: its
command line and its environment's variables are taken by entering the
language's environment (``in_env``) one hook at a time, in the main thread
(it changes ``os.environ``), and copying what it set. The tasks run under
hookrunner's scheduler like any other, in parallel, watched for writes and
cached.

None of this is pre-commit's public API, so it all lives here, behind a pinned
major-version range, and the library is imported only when a pre-commit
configuration is used: a run of a ``[tool.paratools]`` table never pays for
it. Languages whose ``run_hook`` is not pre-commit's basic one take their own
path: ``script`` (``unsupported_script``) resolves the entry in the hook's
repository, ``pygrep`` runs pre-commit's own ``python -m
pre_commit.languages.pygrep`` in hookrunner's interpreter, ``fail`` prints its
entry and the files and exits 1 as pre-commit's does. Any other language with
a runner of its own (docker, docker_image, julia, r) is refused with a line
that says to run it with ``pre-commit`` itself.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from hookrunner import values
from hookrunner.errors import ConfigError
from hookrunner.hashing import digest_of
from hookrunner.model import STAGES, Config, TaskConfig
from hookrunner.precommit_plain import FILENAME, hooks_of, read_only
from hookrunner.values import one_of, show

SUPPORTED = "pre-commit>=3.2,<5"
"""The versions this module is written against (pyproject.toml says the same)."""

_FAIL = "import sys; print(sys.argv[1] + '\\n'); print('\\n'.join(sys.argv[2:])); sys.exit(1)"


HOOK_KEYS = ("stage", "depends_on", "priority", "timeout", "cache", "hooks")
"""What ``[tool.paratools.tasks.<id>]`` may set for a hook of the pre-commit configuration."""


class HookTasks(NamedTuple):
    tasks: tuple[TaskConfig, ...]
    fail_fast: bool


def config_file(root: Path, option: object) -> Path | None:
    """The pre-commit configuration a run uses: ``option`` (``pre_commit_config``: true or a
    path relative to the repository root), else None."""
    if option is True:
        return root / FILENAME
    if isinstance(option, str):
        return root / option
    return None


def alone(root: Path) -> Config:
    """The configuration of a repository with a pre-commit configuration and no table."""
    path = root / FILENAME
    hooks = load(path, root, values.display(path))
    # Named as the quick path names it: the table's usual file, even when there is none.
    return Config(path=root / "pyproject.toml", fail_fast=hooks.fail_fast, tasks=hooks.tasks)


def merged(
    value: object, table: Mapping[str, Any], file: str, root: Path, timeout: float
) -> dict[str, TaskConfig]:
    """The hooks that ``pre_commit_config = value`` adds to a table, by task name, with
    the table's ``timeout`` and what the table's ``tasks`` of the same names set."""
    found = _hooks_of_table(value, file, root)
    hooks = {task.name: task._replace(timeout=timeout) for task in found}
    for name, spec in table.items():
        if name in hooks:
            hooks[name] = override(hooks[name], spec, file)
    return hooks


def _hooks_of_table(value: object, file: str, root: Path) -> tuple[TaskConfig, ...]:
    at = "tool.paratools.pre_commit_config"
    if value is False:
        return ()
    if value is not True and (not isinstance(value, str) or not value):
        raise ConfigError(file, at, f"expected true, false or a path, got {show(value)}")
    path = config_file(root, value)
    assert path is not None
    if not path.is_file():
        raise ConfigError(file, at, f"no such file {show(values.display(path))}")
    return load(path, root, values.display(path)).tasks


def override(hook: TaskConfig, spec: object, file: str) -> TaskConfig:
    """A pre-commit hook's task with what ``[tool.paratools.tasks.<id>]`` sets."""
    at = f"tool.paratools.tasks.{values.key(hook.name)}"
    table = values.table(spec, file, at)
    for key in table:
        if key not in HOOK_KEYS:
            raise ConfigError(
                file,
                f"{at}.{values.key(key)}",
                f"a pre-commit hook's task may set only {', '.join(HOOK_KEYS)}",
            )
    stage = table.get("stage", hook.stage)
    if stage not in STAGES:
        raise ConfigError(file, f"{at}.stage", f"expected {one_of(STAGES)}, got {show(stage)}")
    cache = table.get("cache", hook.cache)
    if not isinstance(cache, bool) and cache != "per-file":
        raise ConfigError(
            file, f"{at}.cache", f'expected true, false or "per-file", got {show(cache)}'
        )
    if cache == "per-file" and not hook.pass_filenames:
        raise ConfigError(
            file, f"{at}.cache", '"per-file" needs a task that is given filenames (pass_filenames)'
        )
    return hook._replace(
        stage=stage,
        cache=cache,
        depends_on=tuple(
            dict.fromkeys(values.strings(table.get("depends_on", []), file, f"{at}.depends_on"))
        ),
        priority=values.integer(table.get("priority", hook.priority), file, f"{at}.priority"),
        timeout=values.timeout(table.get("timeout", hook.timeout), file, f"{at}.timeout"),
        hooks=values.hooks(table["hooks"], file, f"{at}.hooks") if "hooks" in table else hook.hooks,
    )


def hook_ids(path: Path) -> set[str]:
    """The ids and aliases of a pre-commit configuration's hooks, read without cloning
    anything (``hookrunner init``); none when it cannot be read."""
    try:
        from pre_commit import clientlib

        with _logged():
            config = clientlib.load_config(str(path))
    except Exception:  # a starter table does without
        return set()
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    return {hook["id"] for hook in hooks} | {hook.get("alias") or hook["id"] for hook in hooks}


def _one_line(message: str) -> str:
    """cfgv's nested ``==> At ...`` lines as one."""
    parts = [line.strip().lstrip("=").lstrip(">").strip() for line in message.splitlines()]
    parts = [p for p in parts if p and not p.startswith("File ")]
    text = ": ".join(parts) if parts else message
    text = text.replace(': in "<unicode string>",', " at")
    return text[:1].lower() + text[1:]


def _import_error(display: str, error: ImportError) -> ConfigError:
    return ConfigError(
        display,
        "",
        f"reading it needs the pre-commit library ({SUPPORTED}), which failed to import"
        f" ({error}); install it with: pip install '{SUPPORTED}'",
    )


@contextlib.contextmanager
def _in_folder(root: Path) -> Iterator[None]:
    """pre-commit resolves local paths and env-less hooks from the repository root."""
    before = os.getcwd()
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(before)


def load(path: Path, root: Path, display: str) -> HookTasks:
    """The hooks of ``path`` as tasks, their environments installed."""
    from hookrunner.cache import hooks as remembered

    try:
        data = path.read_bytes()
    except OSError:
        raise ConfigError(display, "", "file not found") from None
    known = remembered.recall(data, str(root))
    if known is not None:
        return HookTasks(*known)
    try:
        from pre_commit import clientlib
        from pre_commit.errors import FatalError
    except ImportError as e:
        raise _import_error(display, e) from None
    with _logged() as messages:
        try:
            config = clientlib.load_config(str(path))
            with _in_folder(root):
                hooks = _resolve(config, display)
        except FatalError as e:  # InvalidConfigError and InvalidManifestError too
            raise ConfigError(display, "", _one_line(str(e))) from None
        except SystemExit:
            message = messages[-1][1] if messages else "pre-commit stopped"
            raise ConfigError(display, "", _one_line(message)) from None
    for level, message in messages:
        if level >= 30:  # logging.WARNING
            print(f"hookrunner: warning: {display}: {_one_line(message)}", file=sys.stderr)
    revs = {repo["repo"]: repo.get("rev", "") for repo in config["repos"]}
    tasks = _tasks(hooks, config, revs, display)
    fail_fast = bool(config.get("fail_fast", False))
    watched = [p for p in _watched(hooks) if p != os.getcwd() and p != str(root)]
    remembered.remember(data, str(root), tasks, fail_fast, watched)
    return HookTasks(tasks, fail_fast)


def _watched(hooks: Sequence[Any]) -> list[str]:
    """What voids the remembered tasks: each hook's folder and environment's install state."""
    from pre_commit.all_languages import languages
    from pre_commit.lang_base import environment_dir

    found = []
    for hook in hooks:
        found.append(hook.prefix.prefix_dir)
        folder = languages[hook.language].ENVIRONMENT_DIR
        if folder is not None:
            env = environment_dir(hook.prefix, folder, hook.language_version)
            found.append(os.path.join(env, ".install_state_v1"))
    return list(dict.fromkeys(found))


@contextlib.contextmanager
def _logged() -> Iterator[list[tuple[int, str]]]:
    """What pre-commit logs meanwhile: it reports some problems by logging them
    and calling ``exit(1)``, and warns of others."""
    import logging

    messages: list[tuple[int, str]] = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(  # type: ignore[method-assign]
        (record.levelno, record.getMessage())
    )
    logger = logging.getLogger("pre_commit")
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


def _resolve(config: dict[str, Any], display: str) -> tuple[Any, ...]:
    from pre_commit.repository import all_hooks, install_hook_envs
    from pre_commit.store import Store
    from pre_commit.util import CalledProcessError

    store = Store()
    hooks: list[Any] = []
    for repo in config["repos"]:
        try:
            hooks.extend(all_hooks({**config, "repos": [repo]}, store))
        except CalledProcessError as e:
            raise ConfigError(
                display, "repos", f"cannot clone repository {repo['repo']!r}: {_last(e)}"
            ) from None
    for hook in hooks:
        _check_language(hook, display)
    _install(hooks, store, install_hook_envs, display)
    return tuple(hooks)


def _last(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    useful = [line for line in lines if "fatal:" in line or "error:" in line]
    return (useful or lines or ["failed"])[-1]


def _install(hooks: Sequence[Any], store: Any, install_hook_envs: Any, display: str) -> None:
    from pre_commit.repository import _hook_installed
    from pre_commit.util import CalledProcessError

    todo = {hook.install_key: hook for hook in hooks if not _hook_installed(hook)}
    if not todo:
        return
    names = ", ".join(hook.id for hook in todo.values())
    print(
        f"hookrunner: installing {len(todo)} pre-commit environment(s) ({names});"
        " this happens once",
        file=sys.stderr,
        flush=True,
    )
    for hook in todo.values():  # one by one, to name the one that fails
        try:
            install_hook_envs([hook], store)
        except CalledProcessError as e:
            raise ConfigError(display, f"hook {hook.id}", f"install failed: {_last(e)}") from None


_SCRIPT = ("script", "unsupported_script")
"""``script`` was renamed in pre-commit 4.0."""
_OWN_RUNNERS = {"fail", "pygrep", *_SCRIPT}


def _check_language(hook: Any, display: str) -> None:
    from pre_commit.all_languages import languages
    from pre_commit.lang_base import basic_run_hook

    if hook.language in _OWN_RUNNERS or languages[hook.language].run_hook is basic_run_hook:
        return
    raise ConfigError(
        display,
        f"hook {hook.id}",
        f"language {hook.language!r} has a runner of its own that hookrunner does not run;"
        " run this configuration with pre-commit, or give the hook another language",
    )


def _command(hook: Any) -> tuple[tuple[str, ...], dict[str, str]]:
    """The hook's command line and the variables its environment sets, taken
    with the environment entered (main thread only: it changes ``os.environ``)."""
    from pre_commit.all_languages import languages
    from pre_commit.lang_base import hook_cmd
    from pre_commit.parse_shebang import ExecutableNotFoundError, normalize_cmd

    if hook.language == "fail":
        return (sys.executable, "-c", _FAIL, hook.entry), {}
    if hook.language == "pygrep":
        return (sys.executable, "-m", "pre_commit.languages.pygrep", *hook.args, hook.entry), {}
    cmd = hook_cmd(hook.entry, hook.args)
    if hook.language in _SCRIPT:
        cmd = (hook.prefix.path(cmd[0]), *cmd[1:])
    before = dict(os.environ)
    with languages[hook.language].in_env(hook.prefix, hook.language_version):
        inside = dict(os.environ)
        with contextlib.suppress(ExecutableNotFoundError):
            # Not found: left as it is, and the task fails saying so.
            cmd = normalize_cmd(cmd)
    return cmd, {k: v for k, v in inside.items() if before.get(k) != v}


def _regexes(*patterns: str) -> tuple[str, ...]:
    return tuple(p for p in patterns if p and p != "^$")


def _tasks(
    hooks: Sequence[Any], config: Mapping[str, Any], revs: Mapping[str, str], display: str
) -> tuple[TaskConfig, ...]:
    tasks: list[TaskConfig] = []
    used: set[str] = set()
    # A fail_fast hook's failure stops the hooks after it: they depend on it
    # (where the stage order allows; a formatter never waits for a lint task).
    stoppers: list[TaskConfig] = []
    for position, hook in enumerate(hooks):
        name = hook.alias or hook.id
        if name in used:
            number = 2
            while f"{name}-{number}" in used:
                number += 1
            name = f"{name}-{number}"
        used.add(name)
        cmd, env = _command(hook)
        definition = {k: v for k, v in hook._asdict().items() if k != "prefix"}
        origin = digest_of(
            [hook.src, revs.get(hook.src, ""), definition, hook.prefix.prefix_dir, sorted(env)]
        )
        # A fixing flag may be in the entry (a local hook) as well as the args.
        stage = "lint" if read_only(hook.id, cmd) else "format"
        rank = STAGES.index(stage)
        tasks.append(
            TaskConfig(
                name=name,
                cmd=cmd,
                stage=stage,
                depends_on=tuple(t.name for t in stoppers if STAGES.index(t.stage) <= rank),
                types=tuple(hook.types),
                types_or=tuple(hook.types_or),
                exclude_types=tuple(hook.exclude_types),
                pass_filenames=hook.pass_filenames,
                always_run=hook.always_run,
                env=tuple(sorted(env.items())),
                hooks=hooks_of(hook.stages),
                cache=True,
                position=position,
                files_re=_regexes(config.get("files", ""), hook.files),
                exclude_re=_regexes(config.get("exclude", "^$"), hook.exclude),
                serial=hook.require_serial,
                origin=origin,
                hook_id=hook.id,
                verbose=hook.verbose,
            )
        )
        if hook.fail_fast:
            stoppers.append(tasks[-1])
    return tuple(tasks)
