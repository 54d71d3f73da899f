"""The installed hook script starts nothing but hookrunner (and the hook it kept)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import git, hookrunner, write_config


@pytest.mark.parametrize("kept", [False, True])
def test_a_commit_runs_no_helper_program(repo: Path, tmp_path: Path, kept: bool) -> None:
    started = tmp_path / "started"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for helper in ("dirname", "basename"):
        (bin_dir / helper).write_text(f'#!/bin/sh\necho {helper} >> "{started}"\nexit 1\n')
        (bin_dir / helper).chmod(0o755)
    write_config(repo, '[tasks.ok]\ncmd = "true"\npass_filenames = false\nalways_run = true\n')
    hook = repo / ".git" / "hooks" / "pre-commit"
    if kept:
        # A hook that was there before is kept beside ours and runs first.
        hook.write_text(f'#!/bin/sh\necho kept >> "{tmp_path / "kept"}"\n')
        hook.chmod(0o755)
    assert hookrunner(repo, "install").returncode == 0
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")
    done = subprocess.run(
        ["git", "commit", "-q", "-m", "a"],
        cwd=repo,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not started.exists()
    assert (tmp_path / "kept").exists() == kept
