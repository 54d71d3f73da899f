"""Load: tens of thousands of staged files with long names, many tasks on few slots."""

from __future__ import annotations

import collections
import json
import os
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import git, hookrunner, write_config

pytestmark = pytest.mark.slow

FILES = 20_000

RECORDER = (
    "import json, os, sys\n"
    "path = os.path.join(os.environ['CALLS'], sys.argv[1] + '-' + str(os.getpid()))\n"
    "json.dump(sys.argv[2:], open(path, 'w'))\n"
)


def _long_name(i: int) -> str:
    # ~250 bytes each: 5 MB of names, more than twice what Linux lets one
    # command line carry (ARG_MAX is 2 MB with the usual 8 MB stack).
    return f"package_{i // 1000:02d}_{'d' * 50}/module_{'m' * 50}/{i:05d}_{'f' * 120}.txt"


def test_20000_staged_files_with_long_names(repo: Path, tmp_path: Path) -> None:
    recorder = [sys.executable, "-c", RECORDER]
    write_config(
        repo,
        f"""
[tasks.fix]
stage = "format"
cmd = {json.dumps([*recorder, "fix"])}
files = ["*.txt"]
[tasks.check]
cmd = {json.dumps([*recorder, "check"])}
files = ["*.txt"]
""",
    )
    names = [_long_name(i) for i in range(FILES)]
    # Hard links to one file: creating 20,000 inodes takes seconds to tens of
    # seconds on some file systems, and the content does not matter here.
    source = tmp_path / "content"
    source.write_text("content\n")
    for name in names:
        path = repo / name
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True)
        os.link(source, path)
    git(repo, "add", "-A")
    # One file also has unstaged work, so the run hides and restores it.
    (repo / names[7]).unlink()
    (repo / names[7]).write_text("unstaged\n")
    calls = tmp_path / "calls"
    calls.mkdir()
    began = time.perf_counter()
    proc = hookrunner(repo, "run", env={"CALLS": str(calls)}, timeout=300)
    wall = time.perf_counter() - began
    assert proc.returncode == 0, proc.stdout + proc.stderr
    by_task: dict[str, list[list[str]]] = {"fix": [], "check": []}
    for call in calls.iterdir():
        by_task[call.name.split("-")[0]].append(json.loads(call.read_text()))
    print(
        f"\n{FILES} staged files with long names: hookrunner run took {wall:.2f}s "
        f"({len(by_task['fix'])} + {len(by_task['check'])} command lines)"
    )
    for task, invocations in by_task.items():
        assert len(invocations) > 2, task
        passed = collections.Counter(name for argv in invocations for name in argv)
        assert passed == dict.fromkeys(names, 1), task
    assert (repo / names[7]).read_text() == "unstaged\n"
    assert git(repo, "diff", "--name-only") == names[7] + "\n"


@pytest.mark.parametrize("optimistic", [True, False])
def test_50_tasks_on_2_slots(repo: Path, tmp_path: Path, optimistic: bool) -> None:
    running = tmp_path / "running"
    running.mkdir()
    counts = tmp_path / "counts"
    # Each task counts the tasks running beside it (itself included).
    probe = 'touch "$RUNNING/$$"; ls "$RUNNING" | wc -l >> "$COUNTS"; sleep 0.05; rm "$RUNNING/$$"'
    body = ["jobs = 2", f"optimistic = {str(optimistic).lower()}"]
    for i in range(50):
        stage = "format" if i < 10 else "lint" if i < 40 else "test"
        body.append(f'[tasks.t{i:02d}]\nstage = "{stage}"\ncmd = ["sh", "-c", {json.dumps(probe)}]')
        body.append("pass_filenames = false\nalways_run = true")
        if stage == "format":
            body.append(f'files = ["f{i}.txt"]')
        if 20 <= i < 30:
            body.append(f'depends_on = ["t{i - 1:02d}"]')
        if i % 7 == 0:
            body.append(f"priority = {i}")
    write_config(repo, "\n".join(body) + "\n")
    report = tmp_path / "report.json"
    env = {"RUNNING": str(running), "COUNTS": str(counts)}
    proc = hookrunner(repo, "--all-files", "--json", str(report), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "50 passed" in proc.stdout.splitlines()[-1]
    seen = [int(line) for line in counts.read_text().split()]
    assert len(seen) == 50
    assert max(seen) == 2
    tasks = json.loads(report.read_text())["tasks"]
    assert {t["status"] for t in tasks} == {"passed"}
    # The report agrees: never more than two tasks between start and end.
    edges = sorted([(t["start"], 1) for t in tasks] + [(t["end"], -1) for t in tasks])
    level = peak = 0
    for _, step in edges:
        level += step
        peak = max(peak, level)
    assert peak <= 2
    ends = {t["name"]: t["end"] for t in tasks}
    starts = {t["name"]: t["start"] for t in tasks}
    for i in range(20, 30):
        assert ends[f"t{i - 1:02d}"] <= starts[f"t{i:02d}"]
    if optimistic:  # early starts: only on slots no ready formatter wanted
        return
    assert max(ends[f"t{i:02d}"] for i in range(10)) <= min(
        starts[f"t{i:02d}"] for i in range(10, 50)
    )
