"""Every git hook type, installed and run by real git operations (SPEC "More git hooks, and CI")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import git, hookrunner, write_config

RECORD = (
    "import json, os, sys; "
    "open(os.environ['LOG'], 'a').write(json.dumps({'hook': os.environ['HOOKRUNNER_HOOK'], "
    "'argv': sys.argv[1:], 'args': os.environ.get('HOOKRUNNER_HOOK_ARGS'), "
    "'to': os.environ.get('HOOKRUNNER_TO_REF')}) + '\\n')"
)


def recorder(hook: str, pass_filenames: bool = True) -> str:
    return f"""
[tasks.{hook}]
cmd = [{json.dumps(sys.executable)}, "-c", {json.dumps(RECORD)}]
hooks = ["{hook}"]
pass_filenames = {json.dumps(pass_filenames)}
"""


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "hooks.log"
    monkeypatch.setenv("LOG", str(path))
    return path


def records(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def install(repo: Path, *hook_types: str) -> None:
    done = hookrunner(repo, "install", *(a for h in hook_types for a in ("--hook", h)))
    assert done.returncode == 0, done.stderr


def run_git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)


def test_commit_msg_refuses_a_bad_message_and_accepts_a_good_one(repo: Path) -> None:
    write_config(
        repo,
        """
[tasks.conventional]
cmd = ["sh", "-c", "grep -qE '^(feat|fix): ' \\"$1\\"", "check"]
hooks = ["commit-msg"]
""",
    )
    install(repo, "commit-msg")
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")
    bad = run_git(repo, "commit", "-m", "did things")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "conventional" in bad.stdout + bad.stderr
    good = run_git(repo, "commit", "-m", "feat: a file")
    assert good.returncode == 0, good.stdout + good.stderr
    assert git(repo, "log", "-1", "--format=%s") == "feat: a file\n"


def test_a_task_without_hooks_does_not_run_on_commit_msg(repo: Path, log: Path) -> None:
    write_config(repo, recorder("pre-commit").replace('hooks = ["pre-commit"]\n', ""))
    install(repo, "commit-msg")
    git(repo, "commit", "-q", "--allow-empty", "-m", "nothing")
    assert records(log) == []


def test_prepare_commit_msg_gets_the_message_file_and_may_change_it(repo: Path) -> None:
    append = "import sys; open(sys.argv[1], 'a').write('\\nSigned-off-by: hook\\n')"
    write_config(
        repo,
        f"""
[tasks.sign]
cmd = [{json.dumps(sys.executable)}, "-c", {json.dumps(append)}]
hooks = ["prepare-commit-msg"]
""",
    )
    install(repo, "prepare-commit-msg")
    git(repo, "commit", "-q", "--allow-empty", "-m", "signed")
    assert "Signed-off-by: hook" in git(repo, "log", "-1", "--format=%B")


def test_post_checkout_gets_gits_three_arguments_and_the_changed_files(
    repo: Path, log: Path
) -> None:
    write_config(repo, recorder("post-checkout"))
    git(repo, "checkout", "-q", "-b", "other")
    (repo / "b.txt").write_text("b\n")
    git(repo, "add", "b.txt")
    git(repo, "commit", "-q", "-m", "b")
    git(repo, "checkout", "-q", "main")
    install(repo, "post-checkout")
    before = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "other")
    after = git(repo, "rev-parse", "HEAD").strip()
    (entry,) = records(log)
    assert entry["hook"] == "post-checkout"
    assert entry["args"] == f"{before} {after} 1"
    assert entry["to"] == after
    assert entry["argv"] == ["b.txt"]  # the files that changed between the two


def test_post_merge_gets_the_merged_files(repo: Path, log: Path) -> None:
    write_config(repo, recorder("post-merge"))
    git(repo, "checkout", "-q", "-b", "side")
    (repo / "side.txt").write_text("s\n")
    git(repo, "add", "side.txt")
    git(repo, "commit", "-q", "-m", "side")
    git(repo, "checkout", "-q", "main")
    (repo / "main.txt").write_text("m\n")
    git(repo, "add", "main.txt")
    git(repo, "commit", "-q", "-m", "main")
    install(repo, "post-merge")
    git(repo, "merge", "-q", "--no-edit", "side")
    (entry,) = records(log)
    assert entry["argv"] == ["side.txt"]
    assert entry["args"] == "0"


def test_post_commit_and_post_rewrite_run_with_gits_arguments(repo: Path, log: Path) -> None:
    write_config(repo, recorder("post-commit") + recorder("post-rewrite"))
    install(repo, "post-commit", "post-rewrite")
    git(repo, "commit", "-q", "--allow-empty", "-m", "one")
    git(repo, "commit", "-q", "--amend", "--allow-empty", "-m", "one, amended")
    hooks = [(r["hook"], r["argv"]) for r in records(log)]
    assert hooks == [("post-commit", []), ("post-commit", []), ("post-rewrite", ["amend"])]


def test_pre_rebase_can_refuse_a_rebase(repo: Path) -> None:
    write_config(
        repo,
        """
[tasks.no-rebase]
cmd = ["sh", "-c", "echo 'no rebasing here'; exit 1"]
hooks = ["pre-rebase"]
""",
    )
    git(repo, "checkout", "-q", "-b", "topic")
    git(repo, "commit", "-q", "--allow-empty", "-m", "topic")
    git(repo, "checkout", "-q", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "main moves")
    git(repo, "checkout", "-q", "topic")
    install(repo, "pre-rebase")
    done = run_git(repo, "rebase", "main")
    assert done.returncode != 0
    assert "no rebasing here" in done.stdout + done.stderr
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "topic\n"


def test_pre_merge_commit_checks_the_merge_result(repo: Path) -> None:
    write_config(
        repo,
        """
[tasks.no-fail]
cmd = ["sh", "-c", "! grep -l FAIL \\"$@\\"", "check"]
hooks = ["pre-merge-commit"]
""",
    )
    git(repo, "checkout", "-q", "-b", "side")
    (repo / "bad.txt").write_text("FAIL\n")
    git(repo, "add", "bad.txt")
    git(repo, "commit", "-q", "-m", "bad")
    git(repo, "checkout", "-q", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "diverge")
    install(repo, "pre-merge-commit")
    done = run_git(repo, "merge", "--no-ff", "--no-edit", "side")
    assert done.returncode != 0, done.stdout + done.stderr
    assert "bad.txt" in done.stdout + done.stderr
    assert git(repo, "log", "-1", "--format=%s") == "diverge\n"


def test_by_hand_with_commit_msg_filename(repo: Path, tmp_path: Path) -> None:
    write_config(
        repo,
        """
[tasks.conventional]
cmd = ["grep", "-q", "^feat"]
hooks = ["commit-msg"]
""",
    )
    message = tmp_path / "MSG"
    message.write_text("feat: yes\n")
    done = hookrunner(repo, "run", "--hook", "commit-msg", "--commit-msg-filename", str(message))
    assert done.returncode == 0, done.stdout + done.stderr
    message.write_text("no\n")
    done = hookrunner(repo, "run", "--hook", "commit-msg", "--commit-msg-filename", str(message))
    assert done.returncode == 1
    assert "Cached" not in done.stdout


def test_unknown_hook_types_are_one_line_errors(repo: Path) -> None:
    write_config(repo, '[tasks.x]\ncmd = ["true"]\nhooks = ["post-commmit"]\n')
    done = hookrunner(repo, "run", "-a")
    assert done.returncode == 2
    assert done.stderr.startswith(
        'pyproject.toml: tool.paratools.tasks.x.hooks: expected a git hook or "manual"'
    )
    assert done.stderr.count("\n") == 1
    for args in (("run", "--hook", "post-commmit"), ("install", "--hook", "post-commmit")):
        done = hookrunner(repo, *args)
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
