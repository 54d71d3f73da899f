from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from hookrunner.cli.install import MARKER, install, is_ours, is_pre_commits, script, uninstall
from hookrunner.errors import HookrunnerError
from hookrunner.git.commands import Repo, find_repo
from tests.conftest import git

FAKE_HOOKRUNNER = """\
#!/bin/sh
{ echo "hookrunner $*"; echo "remote ${HOOKRUNNER_REMOTE_NAME-unset} ${HOOKRUNNER_REMOTE_URL-unset}"
  cat; } >> "$HOOK_LOG"
exit "${FAKE_EXIT:-0}"
"""

LEGACY = """\
#!/bin/sh
{ echo "legacy $*"; cat; } >> "$HOOK_LOG"
exit "${LEGACY_EXIT:-0}"
"""


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    """A directory with a ``hookrunner`` that logs how it was called."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    executable(bin_dir / "hookrunner", FAKE_HOOKRUNNER)
    return bin_dir


def executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


def hooks_dir(repo: Path) -> Path:
    return repo / ".git" / "hooks"


def gone(tmp_path: Path) -> str:
    """An interpreter path that no longer exists."""
    return str(tmp_path / "removed venv" / "bin" / "python")


def run_git(
    repo: Path, *args: str, path: str, log: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, "PATH": path, "HOOK_LOG": str(log), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def commit(repo: Path, path: str, log: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (repo / "README").write_text((repo / "README").read_text() + "more\n")
    git(repo, "add", "README")
    return run_git(repo, "commit", "-q", "-m", "change", path=path, log=log, **env)


def with_fake(fake_bin: Path) -> str:
    return f"{fake_bin}{os.pathsep}{os.environ['PATH']}"


def test_install_writes_an_executable_script_we_recognize(repo: Path) -> None:
    found = find_repo(repo)
    messages = install(found, ["pre-commit"], python="/opt/py/bin/python")
    hook = hooks_dir(repo) / "pre-commit"
    assert messages == ["hookrunner installed at .git/hooks/pre-commit"]
    assert hook.read_text() == script("pre-commit", "/opt/py/bin/python")
    assert stat.S_IMODE(hook.stat().st_mode) == 0o755
    assert hook.read_text().splitlines()[:2] == ["#!/bin/sh", MARKER]
    assert "\npython=/opt/py/bin/python\n" in hook.read_text()
    assert 'exec "$python" -m hookrunner run --hook pre-commit\n' in hook.read_text()
    assert is_ours(hook)
    assert not (hooks_dir(repo) / "pre-commit.before-hookrunner").exists()
    assert [p.name for p in hooks_dir(repo).iterdir() if p.name.startswith(".")] == []


def test_install_defaults_to_the_running_interpreter(repo: Path) -> None:
    install(find_repo(repo), ["pre-commit", "pre-push"])
    for hook_type in ("pre-commit", "pre-push"):
        assert (hooks_dir(repo) / hook_type).read_text() == script(hook_type, sys.executable)


def test_install_creates_a_missing_hooks_directory(repo: Path) -> None:
    shutil.rmtree(hooks_dir(repo))
    install(find_repo(repo), ["pre-push"], python="/x")
    assert is_ours(hooks_dir(repo) / "pre-push")


def test_reinstall_rewrites_our_own_hook(repo: Path) -> None:
    found = find_repo(repo)
    install(found, ["pre-commit"], python="/old/python")
    install(found, ["pre-commit"], python="/new/python")
    assert (hooks_dir(repo) / "pre-commit").read_text() == script("pre-commit", "/new/python")
    assert not (hooks_dir(repo) / "pre-commit.before-hookrunner").exists()


def test_a_foreign_hook_is_kept_and_runs_first(repo: Path, fake_bin: Path, tmp_path: Path) -> None:
    executable(hooks_dir(repo) / "pre-commit", LEGACY)
    messages = install(find_repo(repo), ["pre-commit"], python=gone(tmp_path))
    assert messages == [
        "the previous pre-commit hook is kept as .git/hooks/pre-commit.before-hookrunner and "
        "runs first (--overwrite replaces it)",
        "hookrunner installed at .git/hooks/pre-commit",
    ]
    assert (hooks_dir(repo) / "pre-commit.before-hookrunner").read_text() == LEGACY
    log = tmp_path / "log"
    proc = commit(repo, with_fake(fake_bin), log)
    assert proc.returncode == 0, proc.stderr
    assert log.read_text() == "legacy \nhookrunner run --hook pre-commit\nremote unset unset\n"
    assert f"hookrunner: {gone(tmp_path)} is gone; using hookrunner from PATH" in proc.stderr


def test_a_failing_legacy_hook_blocks_the_commit(
    repo: Path, fake_bin: Path, tmp_path: Path
) -> None:
    executable(hooks_dir(repo) / "pre-commit", LEGACY)
    install(find_repo(repo), ["pre-commit"], python=gone(tmp_path))
    head = git(repo, "rev-parse", "HEAD")
    log = tmp_path / "log"
    proc = commit(repo, with_fake(fake_bin), log, LEGACY_EXIT="3")
    assert proc.returncode != 0
    assert log.read_text() == "legacy \n"  # hookrunner never started
    assert git(repo, "rev-parse", "HEAD") == head


def test_hookrunner_failure_blocks_the_commit(repo: Path, fake_bin: Path, tmp_path: Path) -> None:
    install(find_repo(repo), ["pre-commit"], python=gone(tmp_path))
    head = git(repo, "rev-parse", "HEAD")
    proc = commit(repo, with_fake(fake_bin), tmp_path / "log", FAKE_EXIT="1")
    assert proc.returncode != 0
    assert git(repo, "rev-parse", "HEAD") == head


def test_without_any_hookrunner_the_hook_says_how_to_skip(repo: Path, tmp_path: Path) -> None:
    install(find_repo(repo), ["pre-commit"], python=gone(tmp_path))
    # Only what git and sh need: no virtualenv on PATH.
    bare_path = os.pathsep.join(
        sorted({str(Path(shutil.which(tool) or "/usr/bin/git").parent) for tool in ("git", "sh")})
    )
    assert shutil.which("hookrunner", path=bare_path) is None
    proc = commit(repo, bare_path, tmp_path / "log")
    assert proc.returncode == 1
    assert (
        "hookrunner: not found; reinstall it or run 'git commit --no-verify' to skip" in proc.stderr
    )


def test_pre_push_passes_refs_and_remote_to_the_legacy_hook_and_to_hookrunner(
    repo: Path, fake_bin: Path, tmp_path: Path
) -> None:
    git(tmp_path, "init", "-q", "--bare", "remote.git")
    remote_url = str(tmp_path / "remote.git")
    git(repo, "remote", "add", "origin", remote_url)
    executable(hooks_dir(repo) / "pre-push", LEGACY)
    install(find_repo(repo), ["pre-push"], python=gone(tmp_path))
    log = tmp_path / "log"
    proc = run_git(repo, "push", "-q", "origin", "main", path=with_fake(fake_bin), log=log)
    assert proc.returncode == 0, proc.stderr
    head = git(repo, "rev-parse", "HEAD").strip()
    refs = f"refs/heads/main {head} refs/heads/main {'0' * 40}\n"
    assert log.read_text() == (
        f"legacy origin {remote_url}\n{refs}"
        f"hookrunner run --hook pre-push\nremote origin {remote_url}\n{refs}"
    )


def test_pre_push_failure_blocks_the_push(repo: Path, fake_bin: Path, tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--bare", "remote.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "remote.git"))
    install(find_repo(repo), ["pre-push"], python=gone(tmp_path))
    proc = run_git(
        repo,
        "push",
        "-q",
        "origin",
        "main",
        path=with_fake(fake_bin),
        log=tmp_path / "log",
        FAKE_EXIT="1",
    )
    assert proc.returncode != 0
    assert git(tmp_path / "remote.git", "branch", "--list") == ""


def test_linked_worktree_installs_into_the_common_dir(
    repo: Path, fake_bin: Path, tmp_path: Path
) -> None:
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "wt", str(worktree))
    found = find_repo(worktree)
    messages = install(found, ["pre-commit"], python=gone(tmp_path))
    hook = (repo / ".git" / "hooks" / "pre-commit").resolve()
    assert messages == [f"hookrunner installed at {hook}"]
    assert is_ours(hook)
    assert not (found.git_dir / "hooks").exists()
    log = tmp_path / "log"
    assert commit(worktree, with_fake(fake_bin), log).returncode == 0
    assert log.read_text().startswith("hookrunner run --hook pre-commit\n")


def test_overwrite_replaces_the_foreign_hook(repo: Path) -> None:
    executable(hooks_dir(repo) / "pre-commit", LEGACY)
    messages = install(find_repo(repo), ["pre-commit"], overwrite=True, python="/x")
    assert messages == [
        "replaced the previous pre-commit hook",
        "hookrunner installed at .git/hooks/pre-commit",
    ]
    assert is_ours(hooks_dir(repo) / "pre-commit")
    assert not (hooks_dir(repo) / "pre-commit.legacy").exists()


def test_overwrite_also_drops_a_kept_legacy_hook(repo: Path) -> None:
    found = find_repo(repo)
    executable(hooks_dir(repo) / "pre-commit", LEGACY)
    install(found, ["pre-commit"], python="/x")
    messages = install(found, ["pre-commit"], overwrite=True, python="/x")
    assert messages == [
        "removed the previous pre-commit hook .git/hooks/pre-commit.before-hookrunner",
        "hookrunner is already installed at .git/hooks/pre-commit",
    ]
    assert not (hooks_dir(repo) / "pre-commit.before-hookrunner").exists()


def test_a_foreign_hook_next_to_a_kept_one_is_not_clobbered(repo: Path) -> None:
    executable(hooks_dir(repo) / "pre-commit", "#!/bin/sh\necho new\n")
    executable(hooks_dir(repo) / "pre-commit.before-hookrunner", LEGACY)
    with pytest.raises(HookrunnerError, match=r"--overwrite"):
        install(find_repo(repo), ["pre-commit"], python="/x")
    assert (hooks_dir(repo) / "pre-commit").read_text() == "#!/bin/sh\necho new\n"
    assert (hooks_dir(repo) / "pre-commit.before-hookrunner").read_text() == LEGACY


def test_a_foreign_legacy_hook_is_left_to_its_owner(repo: Path) -> None:
    """``<type>.legacy`` is the name pre-commit's script runs: never ours to move."""
    executable(hooks_dir(repo) / "pre-commit", "#!/bin/sh\necho new\n")
    executable(hooks_dir(repo) / "pre-commit.legacy", LEGACY)
    found = find_repo(repo)
    install(found, ["pre-commit"], python="/x")
    assert (hooks_dir(repo) / "pre-commit.before-hookrunner").read_text() == "#!/bin/sh\necho new\n"
    assert (hooks_dir(repo) / "pre-commit.legacy").read_text() == LEGACY
    assert install(found, ["pre-commit"], python="/x") == [
        "hookrunner is already installed at .git/hooks/pre-commit"
    ]
    uninstall(found, ["pre-commit"])
    assert (hooks_dir(repo) / "pre-commit").read_text() == "#!/bin/sh\necho new\n"
    assert (hooks_dir(repo) / "pre-commit.legacy").read_text() == LEGACY


def test_a_dangling_symlink_hook_counts_as_foreign(repo: Path) -> None:
    os.symlink("/nowhere/hook", hooks_dir(repo) / "pre-commit")
    install(find_repo(repo), ["pre-commit"], python="/x")
    assert os.readlink(hooks_dir(repo) / "pre-commit.before-hookrunner") == "/nowhere/hook"
    assert is_ours(hooks_dir(repo) / "pre-commit")


def test_uninstall_restores_the_legacy_hook(repo: Path) -> None:
    found = find_repo(repo)
    executable(hooks_dir(repo) / "pre-commit", LEGACY)
    install(found, ["pre-commit", "pre-push"], python="/x")
    messages = uninstall(found, ["pre-commit", "pre-push"])
    assert messages == [
        "hookrunner pre-commit hook removed from .git/hooks/pre-commit",
        "restored the previous pre-commit hook to .git/hooks/pre-commit",
        "hookrunner pre-push hook removed from .git/hooks/pre-push",
    ]
    assert (hooks_dir(repo) / "pre-commit").read_text() == LEGACY
    assert os.access(hooks_dir(repo) / "pre-commit", os.X_OK)
    assert not (hooks_dir(repo) / "pre-commit.before-hookrunner").exists()
    assert not (hooks_dir(repo) / "pre-push").exists()


def test_uninstall_leaves_foreign_and_missing_hooks_alone(repo: Path) -> None:
    executable(hooks_dir(repo) / "pre-commit", LEGACY)
    messages = uninstall(find_repo(repo), ["pre-commit", "pre-push"])
    assert messages == [
        ".git/hooks/pre-commit is not hookrunner's; left it alone",
        "no pre-push hook installed",
    ]
    assert (hooks_dir(repo) / "pre-commit").read_text() == LEGACY


@pytest.mark.parametrize("action", [install, uninstall])
def test_core_hooks_path_is_refused(
    repo: Path, action: Callable[[Repo, list[str]], list[str]]
) -> None:
    git(repo, "config", "core.hooksPath", ".githooks")
    with pytest.raises(HookrunnerError) as raised:
        action(find_repo(repo), ["pre-commit"])
    assert str(raised.value) == (
        "core.hooksPath is set (.githooks): hookrunner will not install into a directory other "
        "tools manage; unset it with 'git config --unset core.hooksPath' or call hookrunner "
        "from your hook manager"
    )
    assert not (hooks_dir(repo) / "pre-commit").exists()


def test_unknown_hook_type(repo: Path) -> None:
    with pytest.raises(HookrunnerError, match=r"unknown hook type 'post-merj'"):
        install(find_repo(repo), ["post-merj"])


# needs the CLI
@pytest.mark.parametrize(("cmd", "committed"), [('["true"]', True), ('["false"]', False)])
def test_installed_hook_runs_hookrunner_on_git_commit(
    repo: Path, tmp_path: Path, cmd: str, committed: bool
) -> None:
    (repo / "pyproject.toml").write_text(
        f"[tool.paratools]\n\n[tool.paratools.tasks.check]\ncmd = {cmd}\nalways_run = true\n"
    )
    git(repo, "add", "pyproject.toml")
    git(repo, "commit", "-q", "--no-verify", "-m", "config")
    install(find_repo(repo), ["pre-commit"])
    head = git(repo, "rev-parse", "HEAD")
    proc = commit(repo, os.environ["PATH"], tmp_path / "log")
    assert (proc.returncode == 0) is committed, proc.stdout + proc.stderr
    assert (git(repo, "rev-parse", "HEAD") != head) is committed
    assert "check" in proc.stdout + proc.stderr


# needs the CLI
def test_installed_pre_push_hook_runs_hookrunner_on_git_push(repo: Path, tmp_path: Path) -> None:
    (repo / "pyproject.toml").write_text(
        '[tool.paratools]\n\n[tool.paratools.tasks.check]\ncmd = ["false"]\nstage = "test"\n'
        'hooks = ["pre-push"]\nalways_run = true\n'
    )
    git(repo, "add", "pyproject.toml")
    git(repo, "commit", "-q", "--no-verify", "-m", "config")
    git(tmp_path, "init", "-q", "--bare", "remote.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "remote.git"))
    install(find_repo(repo), ["pre-commit", "pre-push"])
    proc = run_git(
        repo, "push", "-q", "origin", "main", path=os.environ["PATH"], log=tmp_path / "l"
    )
    assert proc.returncode != 0
    assert "check" in proc.stdout + proc.stderr
    assert git(tmp_path / "remote.git", "branch", "--list") == ""


# -- beside the real pre-commit ------------------------------------------------

PRE_COMMIT_CONFIG = """\
repos:
- repo: local
  hooks:
  - id: pc-check
    name: pc-check
    entry: sh -c 'echo "pre-commit saw $*" >> "$HOOK_LOG"; ! grep -q PCFAIL "$@"' --
    language: system
    files: ^README$
    stages: [pre-commit, pre-push]
"""

PARATOOLS_CONFIG = """\
[tool.paratools.tasks.check]
cmd = ["sh", "-c", 'echo "hookrunner-$HOOKRUNNER_HOOK saw $*" >>"$HOOK_LOG"; ! grep -q HRFAIL "$@"',
       "--"]
files = ["README"]
"""

# What an earlier hookrunner wrote: it kept the previous hook as <type>.legacy.
OLD_SCRIPT = f"""\
#!/bin/sh
{MARKER}
python={sys.executable}
if [ -x "$0.legacy" ]; then
    "$0.legacy" "$@" || exit $?
fi
exec "$python" -m hookrunner run --hook pre-commit
"""

RAN_BOTH = "pre-commit saw README\nhookrunner-pre-commit saw README\n"


class PreCommitRepo(NamedTuple):
    path: Path
    log: Path
    env: dict[str, str]

    def tool(self, *args: str) -> str:
        """``pre-commit`` or ``hookrunner`` run as a user would; returns stdout."""
        module = "pre_commit" if args[0] == "pre-commit" else "hookrunner"
        proc = subprocess.run(
            [sys.executable, "-m", module, *args[1:]],
            cwd=self.path,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout

    def commit(self, line: str) -> subprocess.CompletedProcess[str]:
        """Commit ``line`` added to README; the log starts empty."""
        self.log.write_text("")
        git(self.path, "reset", "-q", "--hard")
        readme = self.path / "README"
        readme.write_text(readme.read_text() + line + "\n")
        git(self.path, "add", "README")
        return self.git("commit", "-q", "-m", line)

    def git(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in self.env.items() if k not in ("PATH", "HOOK_LOG")}
        return run_git(self.path, *args, path=self.env["PATH"], log=self.log, **env)

    def hooks(self) -> dict[str, tuple[bytes, int, int]]:
        """Every non-sample file in the hooks directory: content, mode, mtime."""
        return {
            p.name: (p.read_bytes(), p.lstat().st_mode, p.lstat().st_mtime_ns)
            for p in hooks_dir(self.path).iterdir()
            if not p.name.endswith(".sample")
        }


@pytest.fixture
def pc_repo(repo: Path, tmp_path: Path) -> PreCommitRepo:
    """A repository configured for both pre-commit and hookrunner; each of
    them logs the files it checked and fails on its own word."""
    (repo / ".pre-commit-config.yaml").write_text(PRE_COMMIT_CONFIG)
    (repo / "pyproject.toml").write_text(PARATOOLS_CONFIG)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "configs")
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "HOOK_LOG": str(tmp_path / "log"),
    }
    return PreCommitRepo(repo, tmp_path / "log", env)


def assert_blocked(r: PreCommitRepo, line: str) -> str:
    head = git(r.path, "rev-parse", "HEAD")
    proc = r.commit(line)
    assert proc.returncode != 0
    assert git(r.path, "rev-parse", "HEAD") == head
    assert "migration mode" not in proc.stdout + proc.stderr
    return r.log.read_text()


def test_pre_commit_installed_first_keeps_working(pc_repo: PreCommitRepo) -> None:
    r = pc_repo
    r.tool("pre-commit", "install")
    assert r.tool("hookrunner", "install").splitlines() == [
        "pre-commit's pre-commit hook is kept as .git/hooks/pre-commit.before-hookrunner and "
        "runs first (--overwrite replaces it)",
        "hookrunner installed at .git/hooks/pre-commit",
    ]
    proc = r.commit("fine")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert r.log.read_text() == RAN_BOTH
    assert assert_blocked(r, "PCFAIL") == "pre-commit saw README\n"
    assert assert_blocked(r, "HRFAIL") == RAN_BOTH


def test_install_twice_beside_pre_commit_changes_nothing_and_uninstall_gives_its_hook_back(
    pc_repo: PreCommitRepo,
) -> None:
    r = pc_repo
    r.tool("pre-commit", "install")
    r.tool("hookrunner", "install")
    before = r.hooks()
    assert r.tool("hookrunner", "install") == (
        "hookrunner is already installed at .git/hooks/pre-commit\n"
    )
    assert r.hooks() == before
    assert r.tool("hookrunner", "uninstall", "--hook", "pre-commit").splitlines() == [
        "hookrunner pre-commit hook removed from .git/hooks/pre-commit",
        "restored the previous pre-commit hook to .git/hooks/pre-commit",
    ]
    assert list(r.hooks()) == ["pre-commit"]
    assert is_pre_commits(hooks_dir(r.path) / "pre-commit")
    assert r.commit("fine").returncode == 0
    assert r.log.read_text() == "pre-commit saw README\n"
    assert assert_blocked(r, "PCFAIL") == "pre-commit saw README\n"


def test_pre_commit_installed_second_runs_hookrunner_as_its_legacy_hook(
    pc_repo: PreCommitRepo,
) -> None:
    r = pc_repo
    r.tool("hookrunner", "install")
    r.tool("pre-commit", "install")  # moves ours to pre-commit.legacy
    assert r.commit("fine").returncode == 0
    both = "hookrunner-pre-commit saw README\npre-commit saw README\n"
    assert r.log.read_text() == both
    # pre-commit runs its own hooks even when its legacy hook failed.
    assert assert_blocked(r, "HRFAIL") == both
    assert assert_blocked(r, "PCFAIL") == both
    before = r.hooks()
    assert r.tool("hookrunner", "install") == (
        "hookrunner is already installed at .git/hooks/pre-commit.legacy, which "
        ".git/hooks/pre-commit (not hookrunner's) runs first (--overwrite puts hookrunner's "
        "hook in its place)\n"
    )
    assert r.hooks() == before
    r.tool("hookrunner", "uninstall")
    assert list(r.hooks()) == ["pre-commit"]
    assert r.commit("fine").returncode == 0
    assert r.log.read_text() == "pre-commit saw README\n"


def test_overwrite_after_pre_commit_moved_ours_aside(pc_repo: PreCommitRepo) -> None:
    r = pc_repo
    r.tool("hookrunner", "install")
    r.tool("pre-commit", "install")
    assert r.tool("hookrunner", "install", "--overwrite").splitlines() == [
        "removed hookrunner's hook .git/hooks/pre-commit.legacy",
        "replaced the previous pre-commit hook",
        "hookrunner installed at .git/hooks/pre-commit",
    ]
    assert list(r.hooks()) == ["pre-commit"]
    assert r.commit("fine").returncode == 0
    assert r.log.read_text() == "hookrunner-pre-commit saw README\n"


def test_pre_commit_reinstalled_over_hookrunner_does_not_run_itself_twice(
    pc_repo: PreCommitRepo,
) -> None:
    r = pc_repo
    r.tool("pre-commit", "install")
    r.tool("hookrunner", "install")  # keeps pre-commit's as pre-commit.before-hookrunner
    r.tool("pre-commit", "install")  # moves ours to pre-commit.legacy
    proc = r.commit("fine")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert r.log.read_text() == "hookrunner-pre-commit saw README\npre-commit saw README\n"
    assert r.tool("hookrunner", "uninstall", "--hook", "pre-commit").splitlines() == [
        "hookrunner pre-commit hook removed from .git/hooks/pre-commit.legacy",
        "removed .git/hooks/pre-commit.before-hookrunner, an older copy of pre-commit's hook "
        "at .git/hooks/pre-commit",
    ]
    assert list(r.hooks()) == ["pre-commit"]
    assert r.commit("fine").returncode == 0
    assert r.log.read_text() == "pre-commit saw README\n"


@pytest.mark.parametrize("pre_commit_first", [True, False])
def test_pre_push_beside_pre_commit_gives_both_the_refs(
    pc_repo: PreCommitRepo, tmp_path: Path, pre_commit_first: bool
) -> None:
    r = pc_repo
    git(tmp_path, "init", "-q", "--bare", "remote.git")
    git(r.path, "remote", "add", "origin", str(tmp_path / "remote.git"))
    theirs = ("pre-commit", "install", "--hook-type", "pre-push")
    ours = ("hookrunner", "install", "--hook", "pre-push")
    for args in (theirs, ours) if pre_commit_first else (ours, theirs):
        r.tool(*args)
    # Whichever runs first hands git's ref lines on to the other: pre-commit
    # runs nothing without them, and hookrunner finds the pushed files in them.
    both = ["pre-commit saw README\n", "hookrunner-pre-push saw README\n"]
    expected = "".join(both if pre_commit_first else reversed(both))
    assert r.commit("HRFAIL").returncode == 0  # no pre-commit hook installed
    proc = r.git("push", "-q", "origin", "main")
    assert proc.returncode != 0
    assert git(tmp_path / "remote.git", "branch", "--list") == ""
    assert r.log.read_text() == expected
    (r.path / "README").write_text("hello\n")
    git(r.path, "commit", "-q", "--no-verify", "-am", "fine")
    r.log.write_text("")
    proc = r.git("push", "-q", "origin", "main")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert git(tmp_path / "remote.git", "branch", "--list") == "* main\n"
    assert r.log.read_text() == expected


@pytest.mark.parametrize("action", ["install", "uninstall"])
def test_an_earlier_versions_legacy_hook_keeps_working(pc_repo: PreCommitRepo, action: str) -> None:
    r = pc_repo
    r.tool("pre-commit", "install")
    hook = hooks_dir(r.path) / "pre-commit"
    os.replace(hook, hook.with_name("pre-commit.legacy"))
    executable(hook, OLD_SCRIPT)
    assert "migration mode" in r.commit("fine").stderr  # the layout that broke commits
    out = r.tool("hookrunner", action, "--hook", "pre-commit").splitlines()
    if action == "install":
        assert out[0] == (
            "moved the previous pre-commit hook from .git/hooks/pre-commit.legacy to "
            ".git/hooks/pre-commit.before-hookrunner (pre-commit.legacy is pre-commit's name)"
        )
        assert sorted(r.hooks()) == ["pre-commit", "pre-commit.before-hookrunner"]
        expected = RAN_BOTH
    else:
        assert list(r.hooks()) == ["pre-commit"]
        assert is_pre_commits(hook)
        expected = "pre-commit saw README\n"
    proc = r.commit("fine")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert r.log.read_text() == expected
