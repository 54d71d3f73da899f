"""Ready-queue order across runs: recorded durations make the longest task start first."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import hookrunner, write_config


def start_order(repo: Path) -> list[str]:
    out = repo.parent / "r.json"
    proc = hookrunner(repo, "-a", "--no-cache", "--json", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tasks = json.loads(out.read_text())["tasks"]
    return [t["name"] for t in sorted(tasks, key=lambda t: t["start"])]


def test_history_starts_the_longest_task_first(repo: Path) -> None:
    body = "jobs = 2\n"
    for i in range(5):
        body += f'[tasks.short{i}]\ncmd = "sleep 0.05"\npass_filenames = false\nalways_run = true\n'
    body += '[tasks.long]\ncmd = "sleep 0.4"\npass_filenames = false\nalways_run = true\n'
    write_config(repo, body)
    first = start_order(repo)
    assert first[-1] == "long"  # no history: declaration order
    second = start_order(repo)
    assert second[0] == "long"  # history: the longest ready task first
    lines = (repo / ".git" / "hookrunner-durations").read_text().splitlines()
    history = {name: float(seconds) for name, seconds in (line.split("\t") for line in lines)}
    assert history["long"] > history["short0"]


def test_priority_beats_history_and_stage_beats_priority(repo: Path) -> None:
    write_config(
        repo,
        """
jobs = 1
[tasks.late]
cmd = "true"
always_run = true
priority = 5
[tasks.early]
stage = "format"
cmd = "true"
always_run = true
pass_filenames = false
[tasks.plain]
cmd = "sleep 0.1"
always_run = true
pass_filenames = false
""",
    )
    start_order(repo)
    assert start_order(repo) == ["early", "late", "plain"]


def test_damaged_history_is_ignored(repo: Path) -> None:
    write_config(repo, '[tasks.a]\ncmd = "true"\nalways_run = true\n')
    (repo / ".git" / "hookrunner-durations").write_text("a\tnot a number\nno tab\n")
    assert start_order(repo) == ["a"]
    (repo / ".git" / "hookrunner-durations").write_bytes(b"\xff\xfe\x00")
    assert start_order(repo) == ["a"]
