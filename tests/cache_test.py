"""The result cache: reused on the same content, never after anything in scope changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hookrunner.cache.store import Entry, Store
from hookrunner.hashing import blob_id
from tests.conftest import git, hookrunner, write_config


def run(repo: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    out = repo.parent / "report.json"
    proc = hookrunner(repo, *args, "--json", str(out), env=env)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    tasks = json.loads(out.read_text())["tasks"]
    result = {t["name"]: t for t in tasks}
    for task in result.values():
        task["_stderr"] = proc.stderr
    return result


def was_cached(task: dict[str, Any]) -> bool:
    return bool(task.get("cached"))


def calls(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [line.split() for line in log.read_text().splitlines()]


@pytest.fixture
def project(repo: Path) -> Path:
    (repo / "a.py").write_text("a = 1\n")
    (repo / "b.py").write_text("b = 1\n")
    (repo / "uv.lock").write_text("lock 1\n")
    write_config(
        repo,
        """
[tasks.check]
cmd = "checker"
files = ["*.py"]
cache_inputs = ["uv.lock"]
""",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "project")
    return repo


def test_a_pass_is_reused_on_identical_content(
    project: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    log, env = tool
    first = run(project, "-a", env=env)["check"]
    assert first["status"] == "passed"
    assert not was_cached(first)
    second = run(project, "-a", env=env)["check"]
    assert second["status"] == "passed"
    assert was_cached(second)
    assert len(calls(log)) == 1
    assert "Cached" in hookrunner(project, "-a", env=env).stdout


@pytest.mark.parametrize(
    "change",
    ["content", "command", "tool", "cache_input", "config", "new_file"],
)
def test_anything_in_scope_changing_means_a_new_run(
    project: Path, tool: tuple[Path, dict[str, str]], tmp_path: Path, change: str
) -> None:
    log, env = tool
    run(project, "-a", env=env)
    if change == "content":
        (project / "a.py").write_text("a = 2\n")
    elif change == "command":
        text = (project / "pyproject.toml").read_text()
        (project / "pyproject.toml").write_text(text.replace('"checker"', '"checker -q"'))
    elif change == "tool":
        script = tmp_path / "bin" / "checker"
        script.write_text(script.read_text() + "# upgraded\n")
    elif change == "cache_input":
        (project / "uv.lock").write_text("lock 2\n")
    elif change == "config":
        with (project / "pyproject.toml").open("a") as f:
            f.write("\n[tool.other]\nsetting = 1\n")
    elif change == "new_file":
        (project / "c.py").write_text("c = 1\n")
        git(project, "add", "c.py")
    again = run(project, "-a", env=env)["check"]
    assert again["status"] == "passed"
    assert not was_cached(again)
    assert len(calls(log)) == 2


def test_failures_are_never_reused(project: Path, tool: tuple[Path, dict[str, str]]) -> None:
    log, env = tool
    (project / "a.py").write_text("FAIL\n")
    assert run(project, "-a", env=env)["check"]["status"] == "failed"
    assert run(project, "-a", env=env)["check"]["status"] == "failed"
    assert len(calls(log)) == 2


def test_a_formatter_that_changed_files_is_not_reused(repo: Path) -> None:
    (repo / "n.txt").write_text("0\n")
    bump = "p = 'n.txt'; n = int(open(p).read()); open(p, 'w').write(f'{n + 1}\\n')"
    write_config(
        repo,
        f"""
[tasks.bump]
stage = "format"
cmd = [{json.dumps(sys.executable)}, "-c", {json.dumps(bump)}]
files = ["n.txt"]
pass_filenames = false
""",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "n")
    git(repo, "add", "-A")
    assert run(repo, "-a")["bump"]["status"] == "modified"
    assert run(repo, "-a")["bump"]["status"] == "modified"
    assert (repo / "n.txt").read_text() == "2\n"


def test_lint_sees_a_formatters_fix_in_its_key(repo: Path) -> None:
    """A lint task's key is taken after the format stage: a fix made in this
    run is content the cache has not seen."""
    (repo / "a.py").write_text("x=1\n")
    fix = "p = 'a.py'; t = open(p).read(); open(p, 'w').write(t.replace('x=1', 'x = 1'))"
    write_config(
        repo,
        f"""
[tasks.fix]
stage = "format"
cmd = [{json.dumps(sys.executable)}, "-c", {json.dumps(fix)}]
files = ["a.py"]
pass_filenames = false
[tasks.lint]
cmd = ["grep", "-q", "x = 1"]
files = ["a.py"]
""",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a")
    first = run(repo, "-a")
    assert first["fix"]["status"] == "modified"
    assert first["lint"]["status"] == "passed"
    # The formatter now runs on new content (and passes); the lint task's
    # key in the first run was already the fixed content, so it is reused.
    second = run(repo, "-a")
    assert second["fix"]["status"] == "passed"
    assert not was_cached(second["fix"])
    assert was_cached(second["lint"])
    third = run(repo, "-a")
    assert was_cached(third["fix"])
    assert was_cached(third["lint"])


def test_tests_are_not_cached_unless_asked(repo: Path, tmp_path: Path) -> None:
    count = tmp_path / "count"
    write_config(
        repo,
        f"""
[tasks.test]
stage = "test"
cmd = ["sh", "-c", "echo run >> {count}"]
always_run = true
[tasks.cached-test]
stage = "test"
cmd = ["sh", "-c", "echo cached >> {count}"]
always_run = true
cache = true
""",
    )
    run(repo, "-a")
    second = run(repo, "-a")
    assert not was_cached(second["test"])
    assert was_cached(second["cached-test"])
    # The first run's two tasks ran side by side (either may append first);
    # the second run ran only the uncached one.
    assert sorted(count.read_text().split()) == ["cached", "run", "run"]


def test_per_file_mode_passes_only_changed_files(
    project: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    log, env = tool
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(text + 'cache = "per-file"\n')
    for i in range(3):
        (project / f"m{i}.py").write_text(f"m = {i}\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "more")
    run(project, "-a", env=env)
    assert sorted(calls(log)[0]) == ["a.py", "b.py", "m0.py", "m1.py", "m2.py"]
    (project / "m1.py").write_text("m = 10\n")
    assert run(project, "-a", env=env)["check"]["status"] == "passed"
    assert calls(log)[1] == ["m1.py"]
    assert was_cached(run(project, "-a", env=env)["check"])
    (project / "m2.py").write_text("FAIL\n")
    assert run(project, "-a", env=env)["check"]["status"] == "failed"
    assert calls(log)[2] == ["m2.py"]
    # A failure stores nothing: the file is checked again next time.
    run(project, "-a", env=env)
    assert calls(log)[3] == ["m2.py"]


def test_a_push_is_judged_apart_from_the_commit_and_a_repeated_push_is_cached(
    project: Path, tool: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """HOOKRUNNER_HOOK is part of the key: a task may behave otherwise on a push."""
    log, env = tool
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(project, "remote", "add", "origin", str(remote))
    git(project, "push", "-q", "origin", "main")
    (project / "a.py").write_text("a = 42\n")
    git(project, "add", "a.py")
    assert not was_cached(run(project, "--hook", "pre-commit", env=env)["check"])
    git(project, "commit", "-qm", "a")
    head = git(project, "rev-parse", "HEAD").strip()
    base = git(project, "rev-parse", "origin/main").strip()
    out = project.parent / "push.json"

    def push() -> dict[str, Any]:
        proc = hookrunner(
            project,
            "run",
            "--hook",
            "pre-push",
            "--json",
            str(out),
            env=env,
            input=f"refs/heads/main {head} refs/heads/main {base}\n",
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        check: dict[str, Any] = {t["name"]: t for t in json.loads(out.read_text())["tasks"]}[
            "check"
        ]
        assert check["files"] == ["a.py"]
        return check

    assert not was_cached(push())
    assert was_cached(push())
    assert len(calls(log)) == 2


def test_no_cache_flag_and_cache_clear(project: Path, tool: tuple[Path, dict[str, str]]) -> None:
    log, env = tool
    run(project, "-a", env=env)
    assert not was_cached(run(project, "-a", "--no-cache", env=env)["check"])
    cleared = hookrunner(project, "cache", "clear")
    assert cleared.returncode == 0
    assert "removed 1 cached result" in cleared.stdout
    assert not was_cached(run(project, "-a", env=env)["check"])
    assert len(calls(log)) == 3


def test_a_damaged_entry_is_ignored_with_a_warning(
    project: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    _, env = tool
    run(project, "-a", env=env)
    store = project / ".git" / "hookrunner-cache"
    [entry] = [p for d in store.iterdir() if len(d.name) == 2 for p in d.iterdir()]
    entry.write_bytes(b"\x00garbage{")
    again = run(project, "-a", env=env)["check"]
    assert again["status"] == "passed"
    assert not was_cached(again)
    assert "ignoring a damaged cache entry" in again["_stderr"]
    assert was_cached(run(project, "-a", env=env)["check"])


def test_an_unwritable_store_is_a_warning_not_a_failure(
    project: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    _, env = tool
    (project / ".git" / "hookrunner-cache").write_text("not a directory")
    result = run(project, "-a", env=env)["check"]
    assert result["status"] == "passed"
    assert "cannot write the cache" in result["_stderr"]


def test_concurrent_writers_never_leave_a_torn_entry(tmp_path: Path) -> None:
    writer = (
        "import sys\n"
        "from pathlib import Path\n"
        "from hookrunner.cache.store import Entry, Store\n"
        "store = Store(Path(sys.argv[1]))\n"
        "for i in range(200):\n"
        "    store.put(f'{i % 10:064x}', Entry(float(i), sys.argv[2] * 5000))\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", writer, str(tmp_path / "store"), letter])
        for letter in "abcd"
    ]
    for proc in procs:
        assert proc.wait() == 0
    store = Store(tmp_path / "store")
    entries = store.entries()
    assert len(entries) == 10
    for i in range(10):
        entry = store.get(f"{i:064x}")
        assert entry is not None
        assert entry.output in {letter * 5000 for letter in "abcd"}


def test_the_store_is_bounded(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    for i in range(50):
        store.put(f"{i:064x}", Entry(1.0, ""))
    assert store.prune(limit=100) == 0
    assert store.prune(limit=20) == 34
    assert len(store.entries()) == 16


def test_blob_ids_match_git(repo: Path) -> None:
    data = b"some\x00bytes\r\n"
    (repo / "f.bin").write_bytes(data)
    assert blob_id(data) == git(repo, "hash-object", "f.bin").strip()


def test_which_finds_what_exec_would_run(tmp_path: Path) -> None:
    from hookrunner.cache.keys import which

    first, second = tmp_path / "one", tmp_path / "two"
    for folder in (first, second):
        folder.mkdir()
        (folder / "tool").write_text("#!/bin/sh\n")
    (second / "tool").chmod(0o755)
    (first / "sub").mkdir()
    path = os.pathsep.join([str(first), str(first / "sub"), str(second)])
    assert which("tool", path) == str(second / "tool")
    assert which("sub", str(first)) is None
    assert which(str(second / "tool"), None) == str(second / "tool")
    assert which(str(first / "tool"), None) is None
    assert which("no-such-tool", path) is None


def test_a_staged_run_is_keyed_on_what_the_tasks_see_the_index(
    project: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    log, env = tool
    (project / "a.py").write_text("a = 'staged'\n")
    git(project, "add", "a.py")
    (project / "a.py").write_text("a = 'staged'\nFAIL unstaged\n")
    first = run(project, "--hook", "pre-commit", env=env)["check"]
    assert first["status"] == "passed"
    assert not was_cached(first)
    second = run(project, "--hook", "pre-commit", env=env)["check"]
    assert was_cached(second)
    assert len(calls(log)) == 1
    git(project, "add", "a.py")
    assert run(project, "--hook", "pre-commit", env=env)["check"]["status"] == "failed"


def test_a_fully_cached_commit_keeps_unstaged_work(
    project: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    """Unstaged work is hidden before the files are chosen, also when every
    task turns out to be a hit, and comes back byte for byte."""
    _, env = tool
    (project / "a.py").write_text("a = 2\n")
    git(project, "add", "a.py")
    (project / "a.py").write_text("a = 2\n# unstaged\n")
    first = run(project, "--hook", "pre-commit", env=env)["check"]
    assert first["files"] == ["a.py"]
    assert not was_cached(first)
    again = run(project, "--hook", "pre-commit", env=env)["check"]
    assert was_cached(again)
    assert (project / "a.py").read_text() == "a = 2\n# unstaged\n"
    assert git(project, "diff", "--cached", "--name-only") == "a.py\n"


def test_one_uncached_task_means_a_normal_run(
    project: Path, tool: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    _, env = tool
    count = tmp_path / "count"
    with (project / "pyproject.toml").open("a") as f:
        f.write(f'[tool.paratools.tasks.uncached]\ncmd = ["sh", "-c", "echo x >> {count}"]\n')
        f.write("cache = false\nalways_run = true\npass_filenames = false\n")
    run(project, "-a", env=env)
    second = run(project, "-a", env=env)
    assert was_cached(second["check"])
    assert not was_cached(second["uncached"])
    assert count.read_text() == "x\nx\n"
