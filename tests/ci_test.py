"""What a run gives a CI job: --junit and --show-diff-on-failure (SPEC "More git hooks, and CI")."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from tests.conftest import git, hookrunner, write_config

FIXER = "import sys\nfor n in sys.argv[1:]:\n    open(n, 'a').write('fixed\\n')\n"


@pytest.fixture
def ci_repo(repo: Path) -> Path:
    (repo / "fix.py").write_text(FIXER)
    (repo / "a.txt").write_text("a\n")
    write_config(
        repo,
        f"""
[tasks.fixer]
stage = "format"
cmd = [{json.dumps(sys.executable)}, "fix.py"]
files = ["a.txt"]

[tasks.good]
cmd = ["true"]

[tasks.bad]
cmd = ["sh", "-c", "echo broken; exit 3"]
pass_filenames = false

[tasks.never]
cmd = ["true"]
files = ["*.nothing"]
""",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "files")
    return repo


def test_junit_has_one_testcase_per_task_and_counts_that_match(ci_repo: Path) -> None:
    done = hookrunner(ci_repo, "run", "-a", "--no-fail-fast", "--junit", "out/report.xml")
    assert done.returncode == 2  # the folder does not exist: checked before anything runs
    assert not (ci_repo / "a.txt").read_text().endswith("fixed\n")
    (ci_repo / "out").mkdir()
    done = hookrunner(ci_repo, "run", "-a", "--no-fail-fast", "--junit", "out/report.xml")
    assert done.returncode == 1, done.stdout + done.stderr
    root = ET.parse(ci_repo / "out" / "report.xml").getroot()
    suite = root.find("testsuite")
    assert suite is not None
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {"fixer", "good", "bad", "never"}
    assert suite.get("tests") == "4"
    assert suite.get("failures") == "2"  # bad failed, fixer modified files
    assert suite.get("skipped") == "1"
    assert cases["fixer"].get("classname") == "format"
    assert cases["good"].get("classname") == "lint"
    bad = cases["bad"].find("failure")
    assert bad is not None
    assert "broken" in (bad.text or "")
    fixer = cases["fixer"].find("failure")
    assert fixer is not None
    assert fixer.get("type") == "modified"
    assert "modified: a.txt" in (fixer.text or "")
    skipped = cases["never"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "no files to check"
    assert cases["good"].find("failure") is None
    assert float(cases["bad"].get("time") or -1) >= 0


def test_show_diff_on_failure_shows_what_the_tasks_changed(ci_repo: Path) -> None:
    done = hookrunner(ci_repo, "run", "-a", "--only", "fixer", "--show-diff-on-failure")
    assert done.returncode == 1
    assert "All changes made by the tasks:" in done.stdout
    assert "+fixed" in done.stdout
    assert done.stdout.index("+fixed") < done.stdout.index("1 modified")


def test_no_diff_without_the_flag_or_without_a_failure(ci_repo: Path) -> None:
    done = hookrunner(ci_repo, "run", "-a", "--only", "fixer")
    assert "All changes made" not in done.stdout
    done = hookrunner(ci_repo, "run", "-a", "--only", "good", "--show-diff-on-failure")
    assert done.returncode == 0
    assert "All changes made" not in done.stdout


def test_github_actions_folds_outputs_and_annotates_problems(ci_repo: Path) -> None:
    env = {"GITHUB_ACTIONS": "true", "CI": "true"}
    done = hookrunner(ci_repo, "run", "-a", "--no-fail-fast", "-v", env=env)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert "::group::bad" in lines
    start = lines.index("::group::bad")
    end = lines.index("::endgroup::", start)
    assert "broken" in lines[start:end]
    assert "::error title=hookrunner%3A bad::bad: Failed" in lines
    assert "::error title=hookrunner%3A fixer::fixer: Modified files: a.txt" in lines
    assert not [line for line in lines if line.startswith("::error title=hookrunner%3A good")]
    assert "\r" not in done.stdout  # no live line


def test_no_workflow_commands_outside_github_actions(ci_repo: Path) -> None:
    done = hookrunner(ci_repo, "run", "-a", "--no-fail-fast", "-v", env={"CI": "true"})
    assert "::group::" not in done.stdout
    assert "::error" not in done.stdout
