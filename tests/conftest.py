"""Shared fixtures: every test that touches git gets a real repository in a temp dir."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _hermetic_git(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Isolate git from the machine's own configuration and give it an identity."""
    home = tmp_path_factory.mktemp("gitconfig")
    config = home / "gitconfig"
    config.write_text(
        "[user]\n\tname = Test\n\temail = test@example.invalid\n"
        "[init]\n\tdefaultBranch = main\n"
        "[commit]\n\tgpgsign = false\n"
        '[protocol "file"]\n\tallow = always\n'
    )
    saved = dict(os.environ)
    os.environ["GIT_CONFIG_GLOBAL"] = str(config)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    for var in ("PRE_COMMIT", "SKIP", "PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF", "NO_COLOR"):
        os.environ.pop(var, None)
    os.environ.pop("GIT_DIR", None)
    os.environ.pop("GIT_INDEX_FILE", None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def git(repo: Path, *args: str, input: bytes | None = None) -> str:
    """Run git in ``repo``; fail the test on a non-zero exit."""
    proc = subprocess.run(["git", *args], cwd=repo, input=input, capture_output=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(
            f"git {' '.join(args)} failed ({proc.returncode}):\n"
            + proc.stderr.decode(errors="replace")
        )
    return proc.stdout.decode(errors="replace")


@pytest.fixture
def cleanup_pids() -> Iterator[list[int]]:
    """Pids a failing test may leave behind: killed at teardown either way."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh git repository with one commit."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q")
    (path / "README").write_text("hello\n")
    git(path, "add", "README")
    git(path, "commit", "-q", "-m", "init")
    return path


def hookrunner(
    cwd: Path,
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run the installed command (``python -m hookrunner``) as a user would."""
    import sys

    return subprocess.run(
        [sys.executable, "-m", "hookrunner", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def write_config(repo: Path, body: str, commit: bool = True) -> None:
    """Write ``[tool.paratools]``: ``body`` is TOML below the table header, where
    ``[tasks.NAME]`` stands for ``[tool.paratools.tasks.NAME]``."""
    body = re.sub(r"^\[tasks\.", "[tool.paratools.tasks.", body, flags=re.MULTILINE)
    (repo / "pyproject.toml").write_text("[tool.paratools]\n" + body)
    if commit:
        git(repo, "add", "pyproject.toml")
        git(repo, "commit", "-q", "-m", "config")


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, already dead, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def tool(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """``checker`` on PATH: logs the files it was given, one call per line,
    and fails when one of them contains FAIL."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    script = bin_dir / "checker"
    script.write_text(f'#!/bin/sh\necho "$*" >> {log}\n! grep -q FAIL "$@"\n')
    script.chmod(0o755)
    return log, {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
