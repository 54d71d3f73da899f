"""The package's layers: the engine stands alone, and only the command line
imports the command line (README "How the code is laid out")."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "hookrunner"


def imported(path: Path) -> set[str]:
    """Every hookrunner module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "hookrunner":
                found.update(f"hookrunner.{alias.name}" for alias in node.names)
            elif node.module.startswith("hookrunner."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("hookrunner."))
    return found


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).glob("*.py"))


def test_importing_the_engine_loads_no_other_part_and_no_click() -> None:
    names = [f"hookrunner.engine.{p.stem}" for p in modules("engine") if p.stem != "__init__"]
    script = (
        "import importlib, json, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    loaded = json.loads(out)
    assert "hookrunner.engine.executor" in loaded
    ours = [m for m in loaded if m.startswith("hookrunner.")]
    assert [m for m in ours if not m.startswith("hookrunner.engine")] == []
    assert not [m for m in loaded if m == "click" or m.startswith("click.")]


def test_the_engine_imports_only_the_engine() -> None:
    for path in modules("engine"):
        outside = {m for m in imported(path) if not m.startswith("hookrunner.engine")}
        assert outside == set(), path.name


def test_only_the_command_line_imports_the_command_line() -> None:
    # __main__.py is ``python -m hookrunner``: the command line's own door.
    below = [p for p in PACKAGE.rglob("*.py") if "cli" not in p.parts and p.name != "__main__.py"]
    assert below
    for path in below:
        assert {m for m in imported(path) if m.startswith("hookrunner.cli")} == set(), path


def test_no_module_is_over_450_lines() -> None:
    sizes = {p.relative_to(PACKAGE).as_posix(): len(p.read_text().splitlines())
             for p in PACKAGE.rglob("*.py")}  # fmt: skip
    assert {name: size for name, size in sizes.items() if size > 450} == {}
