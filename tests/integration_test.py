"""The three ways people use hookrunner, end to end: by hand, as its own
installed git hooks (real ``git commit`` and ``git push``), and inside the real
pre-commit (``try-repo`` and an installed ``.pre-commit-config.yaml``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git, hookrunner, write_config

ROOT = Path(__file__).resolve().parents[1]

RECORDER = "import json, sys; json.dump(sys.argv[1:], open({path!r}, 'w'))"


def recorder(path: Path) -> str:
    return json.dumps([sys.executable, "-c", RECORDER.format(path=str(path))])


FIXER = (
    "import sys\n"
    "for name in sys.argv[1:]:\n"
    "    text = open(name).read()\n"
    "    open(name, 'w').write(text.replace('x=1', 'x = 1'))\n"
)


def commit(repo: Path, message: str = "change") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-q", "-m", message], cwd=repo, capture_output=True, text=True
    )


def installed(repo: Path, *hook_types: str) -> None:
    args = [a for h in hook_types for a in ("--hook", h)]
    proc = hookrunner(repo, "install", *args)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture
def fixer_repo(repo: Path) -> Path:
    (repo / "fixer.py").write_text(FIXER)
    (repo / "a.py").write_text("x = 1\n")
    (repo / "other.py").write_text("y = 2\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "files")
    return repo


def configure_fixer(repo: Path, files: list[str], stage_fixed: bool) -> None:
    write_config(
        repo,
        f"""
[tasks.fix]
stage = "format"
cmd = [{json.dumps(sys.executable)}, "fixer.py"]
files = {json.dumps(files)}
stage_fixed = {json.dumps(stage_fixed)}
""",
    )


@pytest.mark.parametrize("stage_fixed", [False, True])
def test_a_fixer_in_a_real_commit(fixer_repo: Path, stage_fixed: bool) -> None:
    repo = fixer_repo
    configure_fixer(repo, ["a.py", "other.py"], stage_fixed)
    installed(repo, "pre-commit")
    (repo / "a.py").write_text("x=1\n")
    git(repo, "add", "a.py")
    # Unstaged work in another file must survive either way, untouched.
    (repo / "other.py").write_text("y = 2\n# not ready\n")
    proc = commit(repo)
    assert (repo / "other.py").read_text() == "y = 2\n# not ready\n"
    assert (repo / "a.py").read_text() == "x = 1\n"
    if stage_fixed:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert git(repo, "show", "HEAD:a.py") == "x = 1\n"
        assert git(repo, "diff", "--name-only") == "other.py\n"
    else:
        assert proc.returncode == 1
        assert "Modified files" in proc.stdout + proc.stderr
        assert git(repo, "log", "-1", "--format=%s") == "config\n"
        assert git(repo, "show", ":a.py") == "x=1\n"


def test_a_failing_task_blocks_the_commit_and_sees_only_staged_content(repo: Path) -> None:
    (repo / "a.py").write_text("good\n")
    git(repo, "add", "a.py")
    git(repo, "commit", "-qm", "a")
    # Passes exactly when no file it is given contains "bad".
    write_config(
        repo,
        '[tasks.no-bad]\ncmd = ["sh", "-c", "! grep -q bad \\"$@\\"", "-"]\nfiles = ["*.py"]\n',
    )
    installed(repo, "pre-commit")
    (repo / "a.py").write_text("good\nbad staged\n")
    git(repo, "add", "a.py")
    blocked = commit(repo)
    assert blocked.returncode == 1
    assert "no-bad" in blocked.stdout + blocked.stderr
    # Clean staged content, dirty unstaged content: the task sees the index only.
    (repo / "a.py").write_text("good\nfine\n")
    git(repo, "add", "a.py")
    (repo / "a.py").write_text("good\nfine\nbad but unstaged\n")
    passed = commit(repo)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert (repo / "a.py").read_text() == "good\nfine\nbad but unstaged\n"
    assert git(repo, "show", "HEAD:a.py") == "good\nfine\n"


def test_pre_push_runs_on_the_pushed_files_and_can_block_the_push(
    repo: Path, tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    seen = tmp_path / "seen.json"
    env_seen = tmp_path / "env.json"
    dump_env = (
        "import json, os; json.dump({k: v for k, v in os.environ.items() "
        f"if k.startswith('HOOKRUNNER_')}}, open({str(env_seen)!r}, 'w'))"
    )
    write_config(
        repo,
        f"""
[tasks.record]
stage = "test"
cmd = {recorder(seen)}
pass_filenames = true
hooks = ["pre-push"]
[tasks.env]
stage = "test"
cmd = [{json.dumps(sys.executable)}, "-c", {json.dumps(dump_env)}]
always_run = true
hooks = ["pre-push"]
[tasks.gate]
stage = "test"
cmd = ["sh", "-c", "test ! -e BLOCK"]
always_run = true
hooks = ["pre-push"]
""",
    )
    git(repo, "push", "-q", "origin", "main")
    installed(repo, "pre-push")
    (repo / "pushed.py").write_text("")
    git(repo, "add", "pushed.py")
    git(repo, "commit", "-qm", "pushed")
    proc = subprocess.run(["git", "push", "-q", "origin", "main"], cwd=repo, capture_output=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(seen.read_text()) == ["pushed.py"]
    env = json.loads(env_seen.read_text())
    assert env["HOOKRUNNER_HOOK"] == "pre-push"
    assert env["HOOKRUNNER_REMOTE_NAME"] == "origin"
    assert env["HOOKRUNNER_REMOTE_URL"] == str(remote)
    assert env["HOOKRUNNER_TO_REF"] == git(repo, "rev-parse", "HEAD").strip()
    assert env["HOOKRUNNER_FROM_REF"] == git(repo, "rev-parse", "HEAD~1").strip()
    (repo / "BLOCK").write_text("")
    git(repo, "add", "BLOCK")
    git(repo, "commit", "-qm", "blocked")
    proc = subprocess.run(["git", "push", "-q", "origin", "main"], cwd=repo, capture_output=True)
    assert proc.returncode != 0
    assert git(repo, "rev-parse", "origin/main") != git(repo, "rev-parse", "main")


def test_a_commit_from_a_linked_worktree(repo: Path, tmp_path: Path) -> None:
    write_config(repo, '[tasks.check]\ncmd = ["grep", "-q", "ok"]\nfiles = ["*.txt"]\n')
    installed(repo, "pre-commit")
    tree = tmp_path / "tree"
    git(repo, "worktree", "add", "-q", "-b", "side", str(tree))
    (tree / "a.txt").write_text("ok\n")
    git(tree, "add", "a.txt")
    (tree / "a.txt").write_text("ok\nunstaged\n")
    proc = commit(tree)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tree / "a.txt").read_text() == "ok\nunstaged\n"
    (tree / "b.txt").write_text("nope\n")
    git(tree, "add", "b.txt")
    assert commit(tree).returncode == 1


def test_unmerged_files_stop_the_run_with_a_message(repo: Path) -> None:
    write_config(repo, '[tasks.t]\ncmd = "true"\n')
    (repo / "f.txt").write_text("base\n")
    git(repo, "add", "f.txt")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-q", "-b", "other")
    (repo / "f.txt").write_text("other\n")
    git(repo, "commit", "-qam", "other")
    git(repo, "checkout", "-q", "main")
    (repo / "f.txt").write_text("main\n")
    git(repo, "commit", "-qam", "main")
    subprocess.run(["git", "merge", "-q", "other"], cwd=repo, capture_output=True)
    proc = hookrunner(repo)
    assert proc.returncode == 2
    assert "unmerged files" in proc.stderr
    assert "<<<<<<<" in (repo / "f.txt").read_text()


# -- inside pre-commit ------------------------------------------------------------


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A committed copy of this repository for pre-commit to install, and an
    environment with one pre-commit cache for the whole module (so the hook's
    virtualenv is built once)."""
    base = tmp_path_factory.mktemp("published")
    clone = base / "paratools"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {"PRE_COMMIT_HOME": str(base / "cache"), "PRE_COMMIT_COLOR": "never"}
    return clone, env


def pre_commit(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=repo,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_pre_commit_try_repo(published: tuple[Path, dict[str, str]], repo: Path) -> None:
    clone, env = published
    write_config(
        repo,
        """
[tasks.ok]
cmd = ["sh", "-c", "echo checked \\"$@\\"", "-"]
files = ["*.py"]
[tasks.push-only]
stage = "test"
cmd = ["sh", "-c", "echo on push"]
always_run = true
hooks = ["pre-push"]
""",
    )
    (repo / "a.py").write_text("")
    git(repo, "add", "a.py")
    git(repo, "commit", "-qm", "a")
    proc = pre_commit(repo, env, "try-repo", str(clone), "hookrunner", "--all-files", "-v")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok......" in proc.stdout
    assert "Skipped (not in hook pre-commit)" in proc.stdout
    head = git(repo, "rev-parse", "HEAD").strip()
    proc = pre_commit(
        repo, env, "try-repo", str(clone), "hookrunner", "--hook-stage", "pre-push",
        "--from-ref", "HEAD~1", "--to-ref", head, "-v",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "push-only" in proc.stdout
    assert "Skipped (not in hook pre-push)" not in proc.stdout


def test_pre_commit_blocks_a_commit_and_keeps_unstaged_work(
    published: tuple[Path, dict[str, str]], repo: Path
) -> None:
    clone, env = published
    sha = git(clone, "rev-parse", "HEAD").strip()
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {clone}\n  rev: {sha}\n  hooks:\n  - id: hookrunner\n"
    )
    write_config(
        repo,
        '[tasks.no-bad]\ncmd = ["sh", "-c", "! grep -q bad \\"$@\\"", "-"]\nfiles = ["*.py"]\n',
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "pre-commit config")
    install = pre_commit(repo, env, "install")
    assert install.returncode == 0, install.stderr
    (repo / "a.py").write_text("bad\n")
    git(repo, "add", "a.py")
    proc = subprocess.run(
        ["git", "commit", "-q", "-m", "x"],
        cwd=repo,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert "no-bad" in proc.stdout + proc.stderr
    (repo / "a.py").write_text("fine\n")
    git(repo, "add", "a.py")
    (repo / "a.py").write_text("fine\nbad, but not staged\n")
    proc = subprocess.run(
        ["git", "commit", "-q", "-m", "x"],
        cwd=repo,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (repo / "a.py").read_text() == "fine\nbad, but not staged\n"
    assert git(repo, "show", "HEAD:a.py") == "fine\n"
    # pre-commit hid the unstaged work itself: hookrunner left no patch of its own.
    assert not list((repo / ".git").glob("hookrunner-patch-*"))


@pytest.fixture
def restaging(fixer_repo: Path) -> Path:
    """A stage_fixed fixer of a.py, installed, with a.py in need of its fix."""
    configure_fixer(fixer_repo, ["a.py"], stage_fixed=True)
    installed(fixer_repo, "pre-commit")
    (fixer_repo / "a.py").write_text("x=1\n")
    return fixer_repo


def test_stage_fixed_with_git_commit_path_leaves_index_head_and_work_tree_agreeing(
    restaging: Path,
) -> None:
    repo = restaging
    # `git commit PATH` commits from a temporary index; the real one must get the fix too.
    proc = subprocess.run(
        ["git", "commit", "-q", "-m", "only a", "a.py"],
        cwd=repo, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert git(repo, "show", "HEAD:a.py") == "x = 1\n"
    assert git(repo, "show", ":a.py") == "x = 1\n"
    assert (repo / "a.py").read_text() == "x = 1\n"
    assert git(repo, "status", "--porcelain") == ""


def test_stage_fixed_whose_fix_conflicts_with_unstaged_work_stops_the_commit(
    restaging: Path,
) -> None:
    repo = restaging
    git(repo, "add", "a.py")
    # The unstaged edit touches the very line the fixer rewrites.
    (repo / "a.py").write_text("x=1 # mine\n")
    proc = commit(repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert git(repo, "log", "-1", "--format=%s") == "config\n"
    assert (repo / "a.py").read_text() == "x=1 # mine\n"
    assert git(repo, "show", ":a.py") == "x=1\n"
