"""``hookrunner init``: a starter [tool.paratools] table for the tools a project uses."""

from __future__ import annotations

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
_TOOLS = (
    _Tool("ruff-format", "format", "ruff format", (_PY,), ("tool.ruff", "ruff.toml", ".ruff.toml")),
    _Tool("black", "format", "black --quiet", (_PY,), ("tool.black",)),
    _Tool("isort", "format", "isort --quiet", (_PY,), ("tool.isort", ".isort.cfg")),
    _Tool("ruff-check", "lint", "ruff check", (_PY,), ("tool.ruff", "ruff.toml", ".ruff.toml")),
    _Tool("flake8", "lint", "flake8", (_PY,), (".flake8", "tox.ini:flake8", "setup.cfg:flake8")),
    _Tool(
        "mypy", "lint", "mypy", (_PY, "pass_filenames = false"),
        ("tool.mypy", "mypy.ini", ".mypy.ini", "setup.cfg:mypy"),
    ),
    _Tool(
        "pytest", "test", "pytest -q", ('hooks = ["pre-push", "manual"]',),
        ("tool.pytest", "pytest.ini", "conftest.py", "tests/conftest.py", "tox.ini:pytest"),
    ),
)  # fmt: skip


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


def starter_table(names: list[str]) -> str:
    lines = ["", "[tool.paratools]", "jobs = 5", "fail_fast = true", ""]
    for t in _TOOLS:
        if t.name in names:
            lines += [
                f"[tool.paratools.tasks.{t.name}]",
                f'stage = "{t.stage}"',
                f'cmd = "{t.cmd}"',
            ]
            lines += [*t.extra, ""]
    return "\n".join(lines)


def write_starter(path: Path) -> str:
    """Append the starter table to ``path`` (created if missing); never touch
    an existing [tool.paratools] table. Returns what to tell the user."""
    text = path.read_text() if path.exists() else ""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HookrunnerError(f"{path.name}: {exc}") from None
    tool = data.get("tool")
    if isinstance(tool, dict) and "paratools" in tool:
        return f"{path.name} already has a [tool.paratools] table; left unchanged"
    names = detect(path.parent, data)
    table = starter_table(names)
    if text and not text.endswith("\n"):
        text += "\n"
    path.write_text(text + table if text else table.lstrip("\n"))
    found = ", ".join(names) if names else "no known tools"
    return f"wrote a starter [tool.paratools] table to {path.name} ({found})"
