"""Workspaces: a tracked pyproject.toml with a [tool.paratools] table in a
subdirectory is a project of its own (SPEC "Workspaces"), run through the real
command on a repository with a root project and two members.

Every task is ``rec LABEL``: it logs ``start LABEL CWD FILES...`` and ``end
LABEL``, so ordering and overlap are read from recorded events. ``rec LABEL
--wait OTHER`` keeps running until OTHER has started (and fails if it never
does): a task that passes proved OTHER ran beside it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import git, hookrunner
from tests.quick_test import FULL, TRACE, full_run_imported, timeless, without_imports

REC = """#!/bin/sh
label=$1; shift
echo "start $label $(pwd) $*" >> "{log}"
touch "{marks}/$label"
if [ "$1" = "--wait" ]; then
  i=0
  while [ ! -e "{marks}/$2" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
  if [ ! -e "{marks}/$2" ]; then echo "end $label" >> "{log}"; exit 1; fi
fi
echo "end $label" >> "{log}"
"""

ROOT = """
[tool.paratools]
jobs = {jobs}

[tool.paratools.tasks.fmt]
cmd = "rec root-fmt"
stage = "format"

[tool.paratools.tasks.lint]
cmd = "rec root-lint"
"""

MEMBER = """
[project]
name = "{name}"

[tool.paratools.tasks.ruff-format]
cmd = "rec {name}-fmt{wait}"
stage = "format"
files = ["*.py"]

[tool.paratools.tasks.ruff-check]
cmd = "rec {name}-lint"
files = ["src/**"]
{depends}
[tool.paratools.tasks.pytest]
cmd = "rec {name}-test"
stage = "test"
pass_filenames = false
"""


class Events:
    def __init__(self, log: Path) -> None:
        self.lines = log.read_text().splitlines() if log.exists() else []

    def index(self, kind: str, label: str) -> int:
        return next(i for i, line in enumerate(self.lines) if line.split()[:2] == [kind, label])

    def started(self) -> list[str]:
        return [line.split()[1] for line in self.lines if line.startswith("start ")]

    def start_line(self, label: str) -> list[str]:
        return self.lines[self.index("start", label)].split()[2:]

    def most_at_once(self) -> int:
        running = most = 0
        for line in self.lines:
            running += 1 if line.startswith("start ") else -1
            most = max(most, running)
        return most


def write_workspace(
    repo: Path, jobs: int = 5, api_wait: str = "", api_depends: str = "", cache: str = ""
) -> None:
    (repo / "pyproject.toml").write_text(ROOT.format(jobs=jobs))
    for name in ("api", "core"):
        folder = repo / "packages" / name
        (folder / "src").mkdir(parents=True, exist_ok=True)
        (folder / "src" / f"{name}.py").write_text(f"{name} = 1\n")
        (folder / "setup.py").write_text("\n")
        wait = f" --wait {api_wait}" if name == "api" and api_wait else ""
        depends = f"depends_on = [{api_depends!r}]\n" if name == "api" and api_depends else ""
        text = MEMBER.format(name=name, wait=wait, depends=depends)
        if cache:
            text = text.replace('stage = "format"\n', f'stage = "format"\ncache = {cache}\n')
            text = text.replace('files = ["src/**"]\n', f'files = ["src/**"]\ncache = {cache}\n')
        (folder / "pyproject.toml").write_text(text)
    # A pyproject.toml without a table is no project: its files are the root's.
    (repo / "docs").mkdir(exist_ok=True)
    (repo / "docs" / "pyproject.toml").write_text('[project]\nname = "docs"\n')
    (repo / "docs" / "conf.py").write_text("\n")
    (repo / "top.py").write_text("\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "workspace")


@pytest.fixture
def rec(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marks = tmp_path / "marks"
    marks.mkdir()
    log = tmp_path / "events.log"
    script = bin_dir / "rec"
    script.write_text(REC.format(log=log, marks=marks))
    script.chmod(0o755)
    return log, {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


API = ("packages/api:ruff-format", "packages/api:ruff-check", "packages/api:pytest")
CORE = ("packages/core:ruff-format", "packages/core:ruff-check", "packages/core:pytest")


def test_names_working_folders_and_the_files_each_project_owns(
    repo: Path, rec: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    log, env = rec
    write_workspace(repo)
    report = tmp_path / "report.json"
    junit = tmp_path / "junit.xml"
    trace = tmp_path / "trace.json"
    args = ("--json", str(report), "--junit", str(junit), "--trace", str(trace))
    result = hookrunner(repo, "run", "-a", *args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    names = {task["name"] for task in json.loads(report.read_text())["tasks"]}
    assert names == {"fmt", "lint", *API, *CORE}
    for name in (*API, *CORE):
        assert re.search(rf"^{re.escape(name)}\.+Passed", result.stdout, re.MULTILINE), name
        assert f'name="{name}"' in junit.read_text()
        assert f'"name": "{name}"' in trace.read_text()
    events = Events(log)
    # Each project's tasks run in its folder, on its own files, relative to it.
    assert events.start_line("api-fmt") == [str(repo / "packages/api"), "setup.py", "src/api.py"]
    assert events.start_line("api-lint") == [str(repo / "packages/api"), "src/api.py"]
    assert events.start_line("core-lint") == [str(repo / "packages/core"), "src/core.py"]
    assert events.start_line("api-test") == [str(repo / "packages/api")]
    # The root project keeps its plain names and sees no member's file.
    root_files = events.start_line("root-lint")
    assert root_files[0] == str(repo)
    assert sorted(root_files[1:]) == [
        "README",
        "docs/conf.py",
        "docs/pyproject.toml",
        "pyproject.toml",
        "top.py",
    ]


def test_stages_hold_within_a_project_not_across(
    repo: Path, rec: tuple[Path, dict[str, str]]
) -> None:
    log, env = rec
    # api's formatter only passes if core's lint starts while it runs. Strict
    # barriers: optimistic early starts (tests/optimistic_test.py) would blur them.
    write_workspace(repo, api_wait="core-lint")
    result = hookrunner(repo, "run", "-a", "--no-optimistic", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    events = Events(log)
    assert events.index("start", "core-lint") < events.index("end", "api-fmt")
    # Within a project: format, then lint, then test.
    for name in ("api", "core"):
        assert events.index("end", f"{name}-fmt") < events.index("start", f"{name}-lint")
        assert events.index("end", f"{name}-lint") < events.index("start", f"{name}-test")
    assert events.index("end", "root-fmt") < events.index("start", "root-lint")


def test_one_concurrency_cap_over_every_project(
    repo: Path, rec: tuple[Path, dict[str, str]]
) -> None:
    log, env = rec
    # api's formatter holds its slot until core's starts: two run at once, never three.
    write_workspace(repo, jobs=2, api_wait="core-fmt")
    result = hookrunner(repo, "run", "-a", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    events = Events(log)
    assert len(events.started()) == 8
    assert events.most_at_once() == 2
    assert re.search(r"^8 passed in", result.stdout, re.MULTILINE)


def test_depends_on_names_another_projects_task(
    repo: Path, rec: tuple[Path, dict[str, str]]
) -> None:
    log, env = rec
    write_workspace(repo, api_depends="packages/core:ruff-check")
    result = hookrunner(repo, "run", "-a", "--dry-run", env=env)
    assert "packages/api:ruff-check (lint)" in result.stdout
    assert "after packages/core:ruff-check, packages/api:ruff-format" in result.stdout
    assert "       $ cd packages/api && rec api-lint\n" in result.stdout
    result = hookrunner(repo, "run", "-a", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    events = Events(log)
    assert events.index("end", "core-lint") < events.index("start", "api-lint")
    # Durations are remembered per project task, under its full name.
    again = hookrunner(repo, "run", "-a", "--dry-run", env=env)
    assert re.search(r"packages/api:ruff-check \(lint\): 1 file; ~\d", again.stdout)
    assert re.search(r"packages/core:ruff-check \(lint\): 1 file; ~\d", again.stdout)


def test_a_cycle_across_projects_is_named_in_the_first_tasks_file(
    repo: Path, rec: tuple[Path, dict[str, str]]
) -> None:
    _log, env = rec
    write_workspace(repo, api_depends="packages/core:ruff-check")
    core = repo / "packages/core/pyproject.toml"
    core.write_text(
        core.read_text().replace(
            'files = ["src/**"]\n', 'files = ["src/**"]\ndepends_on = ["packages/api:ruff-check"]\n'
        )
    )
    result = hookrunner(repo, "run", "-a", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "packages/api/pyproject.toml: tool.paratools.tasks.ruff-check.depends_on:"
    ), result.stderr
    assert "packages/core:ruff-check" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_project_option_and_runs_from_a_subdirectory(
    repo: Path, rec: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    log, env = rec
    write_workspace(repo)
    report = tmp_path / "report.json"
    result = hookrunner(
        repo, "run", "-a", "--project", "packages/api", "--json", str(report), env=env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert {t["name"] for t in json.loads(report.read_text())["tasks"]} == set(API)
    # From a member's folder: every project still runs, on the run's files.
    log.unlink()
    core = repo / "packages" / "core"
    result = hookrunner(core, "run", "-a", "--json", str(report), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(json.loads(report.read_text())["tasks"]) == 8
    # DIR is read from where the command runs.
    result = hookrunner(core, "run", "-a", "--project", ".", "--json", str(report), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert {t["name"] for t in json.loads(report.read_text())["tasks"]} == set(CORE)
    result = hookrunner(repo, "run", "-a", "--project", "packages", "--json", str(report), env=env)
    assert {t["name"] for t in json.loads(report.read_text())["tasks"]} == {*API, *CORE}
    result = hookrunner(repo, "run", "-a", "--project", "docs", env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == ("--project docs: no project with tasks there")


def test_a_staged_change_in_one_member_runs_that_members_tasks(
    repo: Path, rec: tuple[Path, dict[str, str]]
) -> None:
    log, env = rec
    write_workspace(repo)
    (repo / "packages/core/src/core.py").write_text("core = 2\n")
    git(repo, "add", "packages/core/src/core.py")
    result = hookrunner(repo, "run", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(Events(log).started()) == ["core-fmt", "core-lint", "core-test"]
    for name in (*API, "lint"):
        assert re.search(
            rf"^{re.escape(name)}\.+Skipped \(no files to check\)$", result.stdout, re.M
        )


def test_only_skip_and_skip_variable_take_full_names(
    repo: Path, rec: tuple[Path, dict[str, str]]
) -> None:
    log, env = rec
    write_workspace(repo)
    result = hookrunner(
        repo, "run", "-a", "--only", "packages/api:ruff-check", "--only", "lint", env=env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(Events(log).started()) == ["api-lint", "root-lint"]
    log.unlink()
    result = hookrunner(
        repo, "run", "-a", "--skip", "packages/core:pytest", env={**env, "SKIP": "fmt"}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "core-test" not in Events(log).started()
    result = hookrunner(repo, "run", "-a", "--only", "ruff-check", env=env)
    assert result.returncode == 2
    assert "--only ruff-check: no such task" in result.stderr


def test_errors_in_a_members_file_name_that_file(
    repo: Path, rec: tuple[Path, dict[str, str]]
) -> None:
    _log, env = rec
    write_workspace(repo)
    api = repo / "packages/api/pyproject.toml"
    good = api.read_text()
    api.write_text(good.replace('stage = "test"', 'stag = "test"'))
    result = hookrunner(repo, "run", "-a", env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "packages/api/pyproject.toml: tool.paratools.tasks.pytest.stag:"
        " unknown key (did you mean 'stage'?)"
    )
    api.write_text(good + 'depends_on = ["packages/core:ruff-chek"]\n')
    result = hookrunner(repo, "run", "-a", env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "packages/api/pyproject.toml: tool.paratools.tasks.pytest.depends_on:"
        ' unknown task "packages/core:ruff-chek" (did you mean "packages/core:ruff-check"?)'
    )
    api.write_text(good.replace("[project]", "[project"))
    result = hookrunner(repo, "run", "-a", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("packages/api/pyproject.toml: invalid TOML")
    assert "Traceback" not in result.stderr


def test_each_projects_cache_keys_are_its_own(repo: Path, rec: tuple[Path, dict[str, str]]) -> None:
    log, env = rec
    write_workspace(repo, cache='"per-file"')
    first = hookrunner(repo, "run", "-a", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    log.unlink()
    # A change to api's configuration is no news to core.
    api = repo / "packages/api/pyproject.toml"
    api.write_text(api.read_text() + "# changed\n")
    git(repo, "commit", "-qam", "api config")
    second = hookrunner(repo, "run", "-a", env={**env, **FULL})
    assert second.returncode == 0, second.stdout + second.stderr
    started = Events(log).started()
    assert {"api-fmt", "api-lint"} <= set(started)
    assert not {"core-fmt", "core-lint"} & set(started)
    assert re.search(r"^packages/core:ruff-check\.+Cached", second.stdout, re.MULTILINE)


def test_the_quick_path_prints_what_the_full_run_prints(
    repo: Path, rec: tuple[Path, dict[str, str]]
) -> None:
    log, env = rec
    write_workspace(repo)
    for name in ("api", "core"):
        member = repo / "packages" / name / "pyproject.toml"
        member.write_text(
            member.read_text().replace('stage = "test"', 'stage = "test"\ncache = true')
        )
    git(repo, "commit", "-qam", "cache the tests")
    first = hookrunner(repo, "run", "-a", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert len(Events(log).started()) == 8
    for extra in ((), ("--project", "packages/core")):
        quick = hookrunner(repo, "run", "-a", *extra, env={**env, **TRACE})
        assert not full_run_imported(quick.stderr), quick.stdout + quick.stderr
        full = hookrunner(repo, "run", "-a", *extra, env={**env, **TRACE, **FULL})
        assert full_run_imported(full.stderr)
        assert quick.returncode == full.returncode == 0
        assert timeless(quick.stdout) == timeless(full.stdout)
        assert without_imports(quick.stderr) == without_imports(full.stderr)
        assert "packages/core:ruff-check" in quick.stdout
    assert len(Events(log).started()) == 8


def test_list_shows_projects_as_groups(repo: Path, rec: tuple[Path, dict[str, str]]) -> None:
    _log, env = rec
    write_workspace(repo)
    text = hookrunner(repo, "list", env=env)
    assert text.returncode == 0, text.stderr
    headers = [line for line in text.stdout.splitlines() if line.startswith("project ")]
    assert headers == [
        "project . (pyproject.toml):",
        "project packages/api (packages/api/pyproject.toml):",
        "project packages/core (packages/core/pyproject.toml):",
    ]
    assert "    packages/api:ruff-check " in text.stdout
    mermaid = hookrunner(repo, "list", "--format", "mermaid", env=env).stdout
    assert '  subgraph p1 ["packages/api"]\n    subgraph p1_format [format]' in mermaid
    dot = hookrunner(repo, "list", "--format", "dot", env=env).stdout
    assert 'subgraph cluster_p2 {\n    label="packages/core";' in dot
    # Stage edges stay inside a project: no arrow from one project's box to another's.
    assert '"packages/api:ruff-format" -> "packages/core' not in dot
    assert '"fmt" -> "packages' not in dot


def test_init_in_a_uv_workspace_writes_a_table_per_member(repo: Path) -> None:
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "root"\n\n[tool.ruff]\n\n'
        '[tool.uv.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/old"]\n'
    )
    for name in ("api", "core", "old"):
        (repo / "packages" / name).mkdir(parents=True)
        (repo / "packages" / name / "pyproject.toml").write_text(
            f'[project]\nname = "{name}"\n\n[tool.ruff]\n'
        )
    (repo / "packages" / "core" / "pyproject.toml").write_text(
        '[project]\nname = "core"\n\n[tool.paratools.tasks.x]\ncmd = "true"\n'
    )
    result = hookrunner(repo, "init")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "wrote a starter [tool.paratools] table to pyproject.toml (ruff-format, ruff-check)",
        "wrote a starter [tool.paratools] table to packages/api/pyproject.toml"
        " (ruff-format, ruff-check)",
        "packages/core/pyproject.toml already has a [tool.paratools] table; left unchanged",
    ]
    assert "paratools" not in (repo / "packages/old/pyproject.toml").read_text()
    git(repo, "add", "-A")
    listed = hookrunner(repo, "list")
    assert listed.returncode == 0, listed.stderr
    assert "packages/api:ruff-check" in listed.stdout
    assert "packages/core:x" in listed.stdout


def test_the_deepest_project_owns_a_file(repo: Path, rec: tuple[Path, dict[str, str]]) -> None:
    log, env = rec
    write_workspace(repo)
    plugin = repo / "packages/api/plugins/p"
    plugin.mkdir(parents=True)
    (plugin / "p.py").write_text("\n")
    (plugin / "pyproject.toml").write_text('[tool.paratools.tasks.lint]\ncmd = "rec plug-lint"\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "plugin")
    result = hookrunner(repo, "run", "-a", "--project", "packages/api", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    events = Events(log)
    assert events.start_line("api-fmt") == [str(repo / "packages/api"), "setup.py", "src/api.py"]
    assert events.start_line("plug-lint") == [str(plugin), "p.py", "pyproject.toml"]
    assert "packages/api/plugins/p:lint" in result.stdout


def test_projects_come_from_the_index_and_the_root_may_have_no_table(
    repo: Path, rec: tuple[Path, dict[str, str]]
) -> None:
    log, env = rec
    write_workspace(repo)
    (repo / "pyproject.toml").write_text('[project]\nname = "root"\n')
    git(repo, "commit", "-qam", "no root table")
    # An untracked pyproject.toml with a table is no project (git's index says
    # what the projects are, no folder is walked).
    (repo / "scratch").mkdir()
    (repo / "scratch" / "pyproject.toml").write_text(
        '[tool.paratools.tasks.lint]\ncmd = "rec scratch-lint"\nalways_run = true\n'
    )
    result = hookrunner(repo, "run", "-a", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(Events(log).started()) == sorted(
        ["api-fmt", "api-lint", "api-test", "core-fmt", "core-lint", "core-test"]
    )
    listed = json.loads(hookrunner(repo, "list", "--format", "json", env=env).stdout)
    assert {t["project"] for t in listed["tasks"]} == {"packages/api", "packages/core"}


def test_a_commit_in_a_member_through_the_installed_hook(
    repo: Path, rec: tuple[Path, dict[str, str]]
) -> None:
    log, env = rec
    write_workspace(repo)
    from hookrunner.cli.install import install
    from hookrunner.git.commands import find_repo

    install(find_repo(repo), ["pre-commit"])
    api = repo / "packages" / "api"
    (api / "src" / "api.py").write_text("api = 2\n")
    # Unstaged work in another member is hidden from the tasks and kept.
    (repo / "packages/core/src/core.py").write_text("core = 'unstaged'\n")
    done = subprocess.run(
        ["git", "commit", "-qm", "api", "--", "src/api.py"],
        cwd=api,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(Events(log).started()) == ["api-fmt", "api-lint", "api-test"]
    assert (repo / "packages/core/src/core.py").read_text() == "core = 'unstaged'\n"
    assert git(repo, "show", "--stat", "--format=", "HEAD").split()[0] == "packages/api/src/api.py"
