"""A run whose every task is a cache hit is answered without the full machinery
(hookrunner.cli.quick), prints what the full run prints, and steps aside whenever
it cannot be sure: the full run then decides."""

from __future__ import annotations

import fcntl
import json
import marshal
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hookrunner.cache import receipts
from hookrunner.cli.install import install
from tests.conftest import git, hookrunner, write_config

# Python names every module it imports on stderr; the full run's module is the
# sign that the quick path stepped aside.
TRACE = {"PYTHONPROFILEIMPORTTIME": "1"}
FULL = {"HOOKRUNNER_QUICK": "0"}


def full_run_imported(stderr: str) -> bool:
    return "hookrunner.cli.full" in stderr


def without_imports(stderr: str) -> str:
    return "".join(line for line in stderr.splitlines(True) if not line.startswith("import time:"))


def timeless(text: str) -> str:
    return re.sub(r" in \d+\.\d\ds", " in T", text)


def calls(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.fixture
def project(repo: Path) -> Path:
    (repo / "a.py").write_text("a = 1\n")
    (repo / "b.py").write_text("b = 1\n")
    (repo / "notes.txt").write_text("notes\n")
    write_config(
        repo,
        """
[tasks.check]
cmd = "checker"
types = ["python"]
cache = true

[tasks.whole]
cmd = "checker a.py"
stage = "test"
pass_filenames = false
types = ["python"]
cache = true

[tasks.push-only]
cmd = "checker"
hooks = ["pre-push"]
cache = true
""",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "project")
    return repo


def run(
    repo: Path, *args: str, env: dict[str, str], input: str | None = None
) -> subprocess.CompletedProcess[str]:
    return hookrunner(repo, "run", *args, env={**env, **TRACE}, input=input)


def assert_same_as_full_run(
    repo: Path, args: tuple[str, ...], env: dict[str, str], input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The run is answered quickly, exactly as the full run answers it."""
    quick = run(repo, *args, env=env, input=input)
    assert not full_run_imported(quick.stderr), quick.stdout + quick.stderr
    full = run(repo, *args, env={**env, **FULL}, input=input)
    assert full_run_imported(full.stderr)
    assert quick.returncode == full.returncode == 0
    assert timeless(quick.stdout) == timeless(full.stdout)
    assert without_imports(quick.stderr) == without_imports(full.stderr)
    return quick


def test_a_second_run_on_all_files_is_answered_quickly(
    project: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    log, env = tool
    first = run(project, "-a", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert full_run_imported(first.stderr)
    quick = assert_same_as_full_run(project, ("-a",), env)
    assert "check" in quick.stdout
    assert "Cached (saved" in quick.stdout
    assert re.search(r"^2 cached, 1 skipped in \d+\.\d\ds$", quick.stdout, re.MULTILINE)
    assert calls(log) == 2


def test_staged_then_pre_push_of_the_commit_are_answered_quickly(
    project: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    log, env = tool
    base = git(project, "rev-parse", "HEAD").strip()
    (project / "a.py").write_text("a = 2\n")
    git(project, "add", "a.py")
    assert run(project, "--hook", "pre-commit", env=env).returncode == 0
    quick = assert_same_as_full_run(project, ("--hook", "pre-commit"), env)
    assert "push-only" in quick.stdout
    assert "(not in hook pre-commit)" in quick.stdout
    before = calls(log)
    git(project, "commit", "-qm", "edit", "--no-verify")
    head = git(project, "rev-parse", "HEAD").strip()
    refs = f"refs/heads/main {head} refs/heads/main {base}\n"
    # The first pre-push run: HOOKRUNNER_HOOK is part of every key, so no
    # task has passed on a push of this content.
    pushed = run(project, "--hook", "pre-push", env=env, input=refs)
    assert pushed.returncode == 0
    assert full_run_imported(pushed.stderr)
    assert calls(log) == before + 3
    quick = assert_same_as_full_run(project, ("--hook", "pre-push"), env, input=refs)
    assert "3 cached" in quick.stdout
    by_refs = ("--from-ref", base, "--to-ref", head)
    assert run(project, *by_refs, env=env).returncode == 0
    same = assert_same_as_full_run(project, by_refs, env)
    assert "push-only" in same.stdout
    assert calls(log) == before + 5


def test_a_pre_push_of_the_committed_tree_is_judged_as_a_push(
    project: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    """Tasks on both hooks: the commit's passes do not answer the push (a task
    may behave otherwise on a push); the push made again is answered quickly."""
    log, env = tool
    write_config(project, "[tasks.check]\ncmd = 'checker'\ntypes = ['python']\ncache = true\n")
    base = git(project, "rev-parse", "HEAD").strip()
    (project / "b.py").write_text("b = 2\n")
    git(project, "add", "b.py")
    assert run(project, "--hook", "pre-commit", env=env).returncode == 0
    git(project, "commit", "-qm", "edit", "--no-verify")
    head = git(project, "rev-parse", "HEAD").strip()
    refs = f"x {head} refs/heads/main {base}\n"
    pushed = run(project, "--hook", "pre-push", env=env, input=refs)
    assert pushed.returncode == 0
    assert full_run_imported(pushed.stderr), pushed.stderr
    assert calls(log) == 2
    again = assert_same_as_full_run(project, ("--hook", "pre-push"), env, input=refs)
    assert "check" in again.stdout
    assert "Cached" in again.stdout
    assert calls(log) == 2


def test_skip_quiet_verbose_color_and_json_read_the_same(
    project: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    _, env = tool
    assert run(project, "-a", env=env).returncode == 0
    assert_same_as_full_run(project, ("-a", "-q"), env)
    assert_same_as_full_run(project, ("-a", "-v", "--color", "always"), env)
    skipped = assert_same_as_full_run(project, ("-a",), {**env, "SKIP": "whole"})
    assert "(skipped by SKIP)" in skipped.stdout
    report = project.parent / "quick.json"
    quick = run(project, "-a", "--json", str(report), env=env)
    assert not full_run_imported(quick.stderr)
    document = json.loads(report.read_text())
    assert document["exit_code"] == 0
    assert {t["name"]: (t["status"], t.get("cached")) for t in document["tasks"]} == {
        "check": ("passed", True),
        "whole": ("passed", True),
        "push-only": ("skipped", None),
    }


@pytest.mark.parametrize("version", ["2", "4"])
def test_index_versions(project: Path, tool: tuple[Path, dict[str, str]], version: str) -> None:
    _, env = tool
    (project / "deep" / "er").mkdir(parents=True)
    (project / "deep" / "er" / "c.py").write_text("c = 1\n")
    (project / "deep" / "er" / "cd.py").write_text("cd = 1\n")
    git(project, "add", "-A")
    git(project, "update-index", "--index-version", version)
    assert run(project, "-a", env=env).returncode == 0
    quick = assert_same_as_full_run(project, ("-a",), env)
    assert "2 cached, 1 skipped" in quick.stdout


# -- stepping aside: the full run decides -------------------------------------------


def steps_aside(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = run(repo, *args, env=env)
    assert full_run_imported(proc.stderr), proc.stdout + proc.stderr
    return proc


@pytest.fixture
def cached(project: Path, tool: tuple[Path, dict[str, str]]) -> Path:
    _, env = tool
    assert run(project, "-a", env=env).returncode == 0
    assert not full_run_imported(run(project, "-a", env=env).stderr)
    return project


def test_an_unstaged_edit_is_checked(cached: Path, tool: tuple[Path, dict[str, str]]) -> None:
    _log, env = tool
    (cached / "a.py").write_text("FAIL\n")
    proc = steps_aside(cached, env, "-a")
    assert proc.returncode == 1
    assert "check" in proc.stdout
    assert "Failed" in proc.stdout


def test_an_edit_of_the_same_size_with_the_old_mtime_is_still_seen(
    cached: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    _, env = tool
    path = cached / "a.py"
    before = path.stat()
    path.write_text("FAIL!\n")
    assert path.stat().st_size == before.st_size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    proc = steps_aside(cached, env, "-a")
    assert proc.returncode == 1


def test_a_touched_file_with_the_same_bytes_is_still_quick(
    cached: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    _, env = tool
    os.utime(cached / "a.py", ns=(0, 10**18))
    assert_same_as_full_run(cached, ("-a",), env)


def test_a_mode_change_steps_aside(cached: Path, tool: tuple[Path, dict[str, str]]) -> None:
    _, env = tool
    (cached / "b.py").chmod(0o755)
    steps_aside(cached, env, "-a")


def test_a_new_tool_is_a_miss(cached: Path, tool: tuple[Path, dict[str, str]]) -> None:
    log, env = tool
    checker = Path(env["PATH"].split(os.pathsep)[0]) / "checker"
    checker.write_text(checker.read_text() + "exit 0\n")
    before = calls(log)
    proc = steps_aside(cached, env, "-a")
    assert proc.returncode == 0
    assert calls(log) > before


def test_a_config_change_or_a_cleared_cache_steps_aside(
    cached: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    log, env = tool
    with (cached / "pyproject.toml").open("a") as file:
        file.write("\n# a comment\n")
    steps_aside(cached, env, "-a")
    assert hookrunner(cached, "cache", "clear").returncode == 0
    before = calls(log)
    steps_aside(cached, env, "-a")
    assert calls(log) > before


def test_a_held_lock_steps_aside_and_the_full_run_waits_for_it(
    cached: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    _, env = tool
    lock = os.open(cached / ".git" / "hookrunner.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hookrunner", "run", "-a"],
            cwd=cached,
            env={**os.environ, **env, **TRACE},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "waiting for another run" in line:
                break
    finally:
        os.close(lock)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert full_run_imported("".join(seen) + err)
    assert "2 cached, 1 skipped" in out


def test_work_saved_by_a_killed_run_is_put_back_by_the_full_run(
    cached: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    _, env = tool
    (cached / "new.txt").write_text("planned\n")
    patch = cached / ".git" / "hookrunner-patch-1-1.patch"
    patch.write_bytes(b'hookrunner: hidden\nhookrunner-intent-to-add: ["new.txt"]\n')
    steps_aside(cached, env, "-a")
    assert not patch.exists()
    assert git(cached, "status", "--porcelain") == " A new.txt\n"


@pytest.mark.parametrize(
    "setup",
    [
        ["update-index", "--split-index"],
        ["update-index", "--skip-worktree", "b.py"],
        ["update-index", "--assume-unchanged", "b.py"],
    ],
)
def test_unusual_indexes_step_aside(
    cached: Path, tool: tuple[Path, dict[str, str]], setup: list[str]
) -> None:
    _, env = tool
    git(cached, *setup)
    assert steps_aside(cached, env, "-a").returncode == 0


def test_a_worktree_or_a_git_dir_from_the_environment_steps_aside(
    cached: Path, tool: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    _, env = tool
    steps_aside(cached, {**env, "GIT_DIR": str(cached / ".git")}, "-a")
    other = tmp_path / "other"
    git(cached, "worktree", "add", "-q", str(other))
    steps_aside(other, env, "-a")


def test_a_new_branch_push_steps_aside(cached: Path, tool: tuple[Path, dict[str, str]]) -> None:
    _, env = tool
    head = git(cached, "rev-parse", "HEAD").strip()
    proc = run(cached, "--hook", "pre-push", env=env, input=f"x {head} refs/heads/new {'0' * 40}\n")
    assert full_run_imported(proc.stderr)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_git_commit_all_through_the_installed_hook_checks_the_new_content(
    project: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    """git gives the hook a temporary index (GIT_INDEX_FILE) for ``commit -a``."""
    _log, env = tool
    from hookrunner.git.commands import find_repo

    install(find_repo(project), ["pre-commit"])
    hook_env = {**os.environ, **env}
    (project / "a.py").write_text("a = 3\n")
    ok = subprocess.run(
        ["git", "commit", "-qam", "three"], cwd=project, env=hook_env, capture_output=True
    )
    assert ok.returncode == 0, ok.stderr
    (project / "a.py").write_text("a = 4\n")
    git(project, "add", "a.py")
    git(project, "reset", "-q", "a.py")
    (project / "a.py").write_text("FAIL\n")
    bad = subprocess.run(
        ["git", "commit", "-qam", "four"],
        cwd=project,
        env={**hook_env, **TRACE},
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0
    assert "Failed" in bad.stdout + bad.stderr
    assert git(project, "log", "-1", "--format=%s").strip() == "three"


def test_installed_hooks_a_commit_made_again_is_answered_quickly(
    project: Path, tool: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    log, env = tool
    from hookrunner.git.commands import find_repo

    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(project, "remote", "add", "origin", str(remote))
    git(project, "push", "-q", "origin", "HEAD:main")
    install(find_repo(project), ["pre-commit", "pre-push"])
    hook_env = {**os.environ, **env, **TRACE}

    def do(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args], cwd=project, env=hook_env, capture_output=True, text=True
        )

    (project / "b.py").write_text("b = 2\n")
    git(project, "add", "b.py")
    first = do("commit", "-qm", "two")
    assert first.returncode == 0, first.stderr
    assert full_run_imported(first.stderr)
    ran = calls(log)
    # The commit made again, say with a better message.
    git(project, "reset", "-q", "--soft", "HEAD~1")
    again = do("commit", "-qm", "two, reworded")
    assert again.returncode == 0, again.stderr
    assert not full_run_imported(again.stderr)
    assert calls(log) == ran
    pushed = do("push", "-q", "origin", "HEAD:main")
    assert pushed.returncode == 0, pushed.stderr
    # A push is judged as a push (HOOKRUNNER_HOOK is in every key): all three run.
    assert calls(log) == ran + 3


def test_a_damaged_receipt_is_ignored_and_written_again(
    cached: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    _, env = tool
    folder = cached / ".git" / "hookrunner-cache" / "receipts"
    damaged = (
        b"\x00garbage",
        marshal.dumps(((1,), ((1, 2),), {}, {}, {})),
        marshal.dumps(((5, True, 1.0, True), (), {"ghost": []}, {}, {})),
        marshal.dumps([1, 2, 3, 4, 5]),
    )
    for data in damaged:
        receipts = list(folder.iterdir())
        assert receipts
        for path in receipts:
            path.write_bytes(data)
        assert steps_aside(cached, env, "-a").returncode == 0
        assert_same_as_full_run(cached, ("-a",), env)


def test_receipts_are_bounded(tmp_path: Path) -> None:
    folder = tmp_path / "receipts"
    folder.mkdir()
    for i in range(10):
        (folder / f"r{i}").write_bytes(b"")
        os.utime(folder / f"r{i}", ns=(i * 10**9, i * 10**9))
    receipts._prune(str(folder), limit=8)
    assert sorted(p.name for p in folder.iterdir()) == [f"r{i}" for i in range(4, 10)]


def test_a_config_outside_the_index_is_named_by_its_bytes(
    cached: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    log, env = tool
    text = (cached / "pyproject.toml").read_text()
    (cached / "extra.toml").write_text(text)
    (cached / ".git" / "info" / "exclude").write_text("extra.toml\n")
    args = ("-a", "--config", "extra.toml")
    assert steps_aside(cached, env, *args).returncode == 0
    assert_same_as_full_run(cached, args, env)
    (cached / "extra.toml").write_text(text.replace("checker a.py", "checker b.py"))
    before = calls(log)
    assert steps_aside(cached, env, *args).returncode == 0
    assert calls(log) == before + 2  # the file is part of every key


def test_errors_are_the_full_runs(cached: Path, tool: tuple[Path, dict[str, str]]) -> None:
    _, env = tool
    missing = steps_aside(cached, env, "-a", "--config", "nowhere.toml")
    assert missing.returncode == 2
    assert "nowhere.toml" in without_imports(missing.stderr)
    unknown = steps_aside(cached, env, "--from-ref", "nope", "--to-ref", "HEAD")
    assert unknown.returncode == 2


def test_a_task_folder_that_went_away_is_the_full_runs_error(
    project: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    _, env = tool
    (project / "build").mkdir()
    write_config(project, "[tasks.inside]\ncmd = 'checker'\ncwd = 'build'\ncache = true\n")
    assert run(project, "-a", env=env).returncode == 0
    assert_same_as_full_run(project, ("-a",), env)
    (project / "build").rmdir()
    gone = steps_aside(project, env, "-a")
    assert gone.returncode == 2
    assert "tool.paratools.tasks.inside.cwd" in gone.stderr
    (project / "build").symlink_to(project.parent)
    outside = steps_aside(project, env, "-a")
    assert outside.returncode == 2
    assert "expected a path inside the repository" in outside.stderr


def test_a_push_that_also_deletes_a_branch(
    project: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    _, env = tool
    base = git(project, "rev-parse", "HEAD").strip()
    (project / "a.py").write_text("a = 9\n")
    git(project, "commit", "-qam", "nine")
    head = git(project, "rev-parse", "HEAD").strip()
    refs = f"(delete) {'0' * 40} refs/heads/old {base}\nx {head} refs/heads/main {base}\n"
    assert run(project, "--hook", "pre-push", env=env, input=refs).returncode == 0
    quick_run = assert_same_as_full_run(project, ("--hook", "pre-push"), env, input=refs)
    assert "3 cached" in quick_run.stdout


def test_another_version_of_the_file_type_library_retires_receipts(
    project: Path, tool: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """Which files a task's filters keep depends on identify and pathspec."""
    _, env = tool
    shadow = tmp_path / "libs"
    (shadow / "pathspec").mkdir(parents=True)
    stub = shadow / "pathspec" / "__init__.py"
    stub.write_text("raise ImportError('not this one')\n")
    env = {**env, "PYTHONPATH": str(shadow)}
    assert run(project, "-a", env=env).returncode == 0
    assert_same_as_full_run(project, ("-a",), env)
    stub.write_text("raise ImportError('nor this one')\n")
    steps_aside(project, env, "-a")


def test_a_pre_push_run_by_hand_on_a_terminal_gets_the_full_runs_advice(
    cached: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    import pty

    _, env = tool
    main, terminal = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "hookrunner", "run", "--hook", "pre-push"],
            cwd=cached,
            env={**os.environ, **env, **TRACE},
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(main)
        os.close(terminal)
    assert proc.returncode == 2
    assert full_run_imported(proc.stderr)
    assert "give --from-ref and --to-ref" in proc.stderr


def test_a_repository_that_ignores_the_executable_bit_is_left_to_git(
    project: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    """With core.fileMode off git calls an executable file unchanged, though
    its file types were read as executable by the run that left a receipt."""
    _, env = tool
    git(project, "config", "core.fileMode", "false")
    (project / "b.py").chmod(0o755)
    assert run(project, "-a", env=env).returncode == 0
    (project / "b.py").chmod(0o644)
    steps_aside(project, env, "-a")
    steps_aside(project, env, "-a")


def test_a_commit_with_nothing_to_check_is_answered_quickly_the_second_time(
    project: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    """Rewording a commit runs the pre-commit hook on no staged files."""
    log, env = tool
    first = run(project, "--hook", "pre-commit", env=env)
    assert first.returncode == 0
    assert "3 skipped" in first.stdout
    assert "asyncio" not in first.stderr  # nothing to run: no event loop either
    quick_run = assert_same_as_full_run(project, ("--hook", "pre-commit"), env)
    assert "(no files to check)" in quick_run.stdout
    assert calls(log) == 0


def test_a_push_of_several_commits_uses_the_receipt_of_the_last_ones_index(
    project: Path, tool: tuple[Path, dict[str, str]]
) -> None:
    """Filters judge each file alone, so one receipt per index answers for any
    file list: here the union of two commits' files."""
    log, env = tool
    write_config(
        project,
        "[tasks.check]\ncmd = 'checker'\ntypes = ['python']\ncache = 'per-file'\n\n"
        "[tasks.whole]\ncmd = 'checker a.py'\npass_filenames = false\ntypes = ['python']\n"
        "cache = true\n",
    )
    base = git(project, "rev-parse", "HEAD").strip()
    previous = base
    for name in ("a.py", "b.py"):
        (project / name).write_text(f"{name[0]} = 7\n")
        git(project, "add", name)
        git(project, "commit", "-qm", name, "--no-verify")
        head = git(project, "rev-parse", "HEAD").strip()
        # Each commit pushed on its own first: per-file passes on a push.
        one = f"x {head} refs/heads/main {previous}\n"
        assert run(project, "--hook", "pre-push", env=env, input=one).returncode == 0
        previous = head
    ran = calls(log)
    refs = f"x {head} refs/heads/main {base}\n"
    pushed = assert_same_as_full_run(project, ("--hook", "pre-push"), env, input=refs)
    assert "2 cached" in pushed.stdout
    assert calls(log) == ran
