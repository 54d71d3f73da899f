"""``hookrunner init``: a starter [tool.paratools] table for the tools a project uses."""

from __future__ import annotations

import configparser
import shutil
import sys
from pathlib import Path
from typing import NamedTuple

from hookrunner.errors import HookrunnerError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover (exercised on 3.10 only)
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]


class _Tool(NamedTuple):
    name: str
    stage: str
    cmd: str
    extra: tuple[str, ...]
    signs: tuple[str, ...]
    """Files, ``[tool.X]`` tables or ``file:section`` pairs that show the project uses it."""


_PY = 'types = ["python"]'
# Tools that judge each file alone: a file's pass holds while that file and
# the configuration are the same (mypy reads across files and keeps the default).
_PER_FILE = 'cache = "per-file"'
# ruff skips its own excludes for files named on the command line unless told.
_RUFF = ("tool.ruff", "ruff.toml", ".ruff.toml")
_MYPY_CONFIGS = (("mypy.ini", "mypy"), (".mypy.ini", "mypy"), ("setup.cfg", "mypy"))
_TOOLS = (
    _Tool("ruff-format", "format", "ruff format --force-exclude", (_PY, _PER_FILE), _RUFF),
    _Tool("black", "format", "black --quiet", (_PY, _PER_FILE), ("tool.black",)),
    _Tool("isort", "format", "isort --quiet", (_PY, _PER_FILE), ("tool.isort", ".isort.cfg")),
    _Tool("ruff-check", "lint", "ruff check --force-exclude", (_PY, _PER_FILE), _RUFF),
    _Tool(
        "flake8", "lint", "flake8", (_PY, _PER_FILE),
        (".flake8", "tox.ini:flake8", "setup.cfg:flake8"),
    ),
    _Tool(
        "codespell", "lint", "codespell", ('types = ["text"]', _PER_FILE),
        ("tool.codespell", ".codespellrc", "setup.cfg:codespell"),
    ),
    _Tool(
        "mypy", "lint", "mypy", (_PY, "pass_filenames = false"),
        ("tool.mypy", *(f"{name}:{section}" for name, section in _MYPY_CONFIGS)),
    ),
    # Only before a push: a plain `hookrunner` checks what a commit would.
    _Tool(
        "pytest", "test", "pytest -q", ('hooks = ["pre-push"]',),
        ("tool.pytest", "pytest.ini", "conftest.py", "tests/conftest.py", "tox.ini:pytest"),
    ),
)  # fmt: skip

_LEFT_OUT = (
    "# mypy's configuration names no files and there is no src/ or package folder",
    "# to check: set files there, then uncomment this task.",
)
# Folders that hold no package mypy should check by default.
_NOT_PACKAGES = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "benchmarks"})


def _uses(root: Path, data: dict[str, object], sign: str) -> bool:
    if sign.startswith("tool."):
        tool = data.get("tool")
        return isinstance(tool, dict) and sign[5:] in tool
    if ":" in sign:
        name, section = sign.split(":", 1)
        path = root / name
        return path.is_file() and f"[{section}" in path.read_text(errors="replace")
    return (root / sign).exists()


def detect(root: Path, data: dict[str, object]) -> list[str]:
    """Names of the starter tasks whose tool the project shows signs of using,
    or whose command is on PATH."""
    found = [t.name for t in _TOOLS if any(_uses(root, data, s) for s in t.signs)]
    if not found:
        fallback = ("ruff-format", "ruff-check", "pytest")
        found = [t.name for t in _TOOLS if t.name in fallback and shutil.which(t.cmd.split()[0])]
    return found


def _mypy_names_targets(root: Path, data: dict[str, object]) -> bool:
    """mypy's configuration says what to check (``files``, ``packages`` or ``modules``)."""
    keys = ("files", "packages", "modules")
    tool = data.get("tool")
    mypy = tool.get("mypy") if isinstance(tool, dict) else None
    if isinstance(mypy, dict) and any(mypy.get(key) for key in keys):
        return True
    for name, section in _MYPY_CONFIGS:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(root / name)
        except configparser.Error:
            continue
        if parser.has_section(section) and any(parser.get(section, k, fallback="") for k in keys):
            return True
    return False


def mypy_command(root: Path, data: dict[str, object]) -> tuple[str | None, str]:
    """The mypy command for the starter table (None to leave it out), and what
    to tell the user about it."""
    if _mypy_names_targets(root, data):
        return "mypy", ""
    if any((root / "src").rglob("*.py")):
        targets = ["src"]
    else:
        targets = sorted(
            p.name
            for p in root.iterdir()
            if p.name not in _NOT_PACKAGES and (p / "__init__.py").is_file()
        )
    if targets:
        shown = ", ".join(f"{t}/" for t in targets)
        return " ".join(
            ["mypy", *targets]
        ), f"mypy checks {shown}: its configuration names no files"
    return None, (
        "mypy: commented out in the table, as its configuration names no files and there "
        "is no src/ or package folder to check; set files there, then uncomment it"
    )


def starter_table(
    names: list[str],
    commands: dict[str, str] | None = None,
    left_out: str = "",
    pre_commit: bool = False,
) -> str:
    """The TOML text of the table; ``commands`` replaces a tool's default
    command. The ``left_out`` tool's task is written commented out. With
    ``pre_commit`` the table runs the .pre-commit-config.yaml's hooks too."""
    chosen = commands or {}
    lines = ["", "[tool.paratools]", "jobs = 5", "fail_fast = true", ""]
    if pre_commit:
        lines[-1:] = ["pre_commit_config = true", ""]
    for t in _TOOLS:
        if t.name in names:
            task = [
                f"[tool.paratools.tasks.{t.name}]",
                f'stage = "{t.stage}"',
                f'cmd = "{chosen.get(t.name, t.cmd)}"',
                *t.extra,
            ]
            if t.name == left_out:
                task = [*_LEFT_OUT, *(f"# {line}" for line in task)]
            lines += [*task, ""]
    return "\n".join(lines)


def _read(path: Path, shown: str) -> tuple[str, dict[str, object]]:
    text = path.read_text() if path.exists() else ""
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HookrunnerError(f"{shown}: {exc}") from None


def uv_members(root: Path, data: dict[str, object]) -> list[Path]:
    """The folders of a uv workspace's members (``[tool.uv.workspace]``'s
    ``members`` globs, less its ``exclude``) that hold a pyproject.toml."""
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    workspace = uv.get("workspace") if isinstance(uv, dict) else None
    if not isinstance(workspace, dict):
        return []

    def matched(key: str) -> set[Path]:
        globs = workspace.get(key, [])
        if not isinstance(globs, list):
            return set()
        return {p for g in globs if isinstance(g, str) and g for p in root.glob(g)}

    found = matched("members") - matched("exclude")
    return sorted(p for p in found if p != root and (p / "pyproject.toml").is_file())


def write_starters(path: Path) -> str:
    """:func:`write_starter` for ``path`` and, in a uv workspace, for each
    member's pyproject.toml: each becomes a project of its own."""
    _text, data = _read(path, path.name)
    messages = [write_starter(path)]
    for member in uv_members(path.parent, data):
        shown = member.relative_to(path.parent).as_posix() + "/pyproject.toml"
        messages.append(write_starter(member / "pyproject.toml", shown))
    return "\n".join(messages)


def write_starter(path: Path, shown: str | None = None) -> str:
    """Append the starter table to ``path`` (created if missing); never touch
    an existing [tool.paratools] table. Returns what to tell the user
    (``shown``: how it names the file, its name by default)."""
    shown = shown or path.name
    text, data = _read(path, shown)
    tool = data.get("tool")
    if isinstance(tool, dict) and "paratools" in tool:
        return f"{shown} already has a [tool.paratools] table; left unchanged"
    root = path.parent
    names = detect(root, data)
    notes = []
    commands = {}
    left_out = ""
    if "mypy" in names:
        command, note = mypy_command(root, data)
        if command is None:
            left_out = "mypy"
        else:
            commands["mypy"] = command
        notes += [note] if note else []
    pre_commit = (root / ".pre-commit-config.yaml").is_file()
    if pre_commit:
        from hookrunner.precommit import hook_ids

        ids = hook_ids(root / ".pre-commit-config.yaml")
        covered = [n for n in names if n in ids or (n == "ruff-check" and "ruff" in ids)]
        names = [n for n in names if n not in covered]
        notes.append(
            "found .pre-commit-config.yaml: its hooks run as tasks (pre_commit_config = true)"
            + (f"; left to it: {', '.join(covered)}" if covered else "")
        )
    table = starter_table(names, commands, left_out, pre_commit)
    if text and not text.endswith("\n"):
        text += "\n"
    path.write_text(text + table if text else table.lstrip("\n"))
    found = ", ".join(names) if names else "no known tools"
    head = f"wrote a starter [tool.paratools] table to {shown} ({found})"
    return "\n".join([head, *notes])
