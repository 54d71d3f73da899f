"""The command line's flags and subcommands, through click's CliRunner in a real repository."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from hookrunner import __version__
from hookrunner.cli.commands import cli
from tests.conftest import git, write_config

CONFIG = """
jobs = 3
[tasks.fmt]
stage = "format"
cmd = "true"
types = ["python"]
[tasks.lint]
cmd = ["echo", "lint output"]
[tasks.deps]
cmd = "true"
depends_on = ["lint"]
pass_filenames = false
always_run = true
[tasks.tests]
stage = "test"
cmd = "true"
hooks = ["pre-push", "manual"]
"""


@pytest.fixture
def project(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (repo / "a.py").write_text("a = 1\n")
    write_config(repo, CONFIG, commit=False)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "project")
    monkeypatch.chdir(repo)
    return repo


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_version_and_help(project: Path) -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert __version__ in result.output
    for args in (["--help"], ["run", "--help"], ["list", "--help"], ["install", "--help"]):
        result = invoke(*args)
        assert result.exit_code == 0
        assert "Usage:" in result.output


def test_bare_command_is_run(project: Path) -> None:
    def outcome(*args: str) -> list[tuple[str, str]]:
        result = invoke(*args, "--all-files", "--json", "-")
        assert result.exit_code == 0
        return [(t["name"], t["status"]) for t in json.loads(result.stdout)["tasks"]]

    assert outcome() == outcome("run")
    assert ("lint", "passed") in outcome()


def test_plain_run_sees_the_staged_files(project: Path) -> None:
    result = invoke("--color", "never", "--json", "-")
    data = json.loads(result.stdout)
    assert {t["name"]: t["status"] for t in data["tasks"]}["lint"] == "skipped"
    (project / "b.py").write_text("b = 1\n")
    git(project, "add", "b.py")
    data = json.loads(invoke("--json", "-").stdout)
    lint = {t["name"]: t for t in data["tasks"]}["lint"]
    assert lint["files"] == ["b.py"]


def test_json_to_stdout_keeps_stdout_parseable(project: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "-a", "--json", "-"], catch_exceptions=False)
    data = json.loads(result.stdout)
    assert data["exit_code"] == 0
    assert "passed" in result.stderr


def test_quiet_and_verbose(project: Path) -> None:
    quiet = invoke("run", "-a", "-q", "--color", "never")
    assert quiet.output.strip().splitlines() == [quiet.output.strip().splitlines()[-1]]
    assert "passed" in quiet.output
    verbose = invoke("run", "-a", "-v", "--color", "never")
    assert "lint output README a.py" in verbose.output
    plain = invoke("run", "-a", "--color", "never")
    assert "lint output" not in plain.output


def test_color_flag_and_no_color(project: Path) -> None:
    assert "\x1b[" in invoke("run", "-a", "--color", "always").output
    assert "\x1b[" not in invoke("run", "-a", "--color", "never").output
    # auto: CliRunner's stream is not a terminal, so no color either way.
    assert "\x1b[" not in invoke("run", "-a", env={"NO_COLOR": "1"}).output


def test_only_skip_and_stage(project: Path) -> None:
    def statuses(*args: str) -> dict[str, str]:
        data = json.loads(invoke("run", "-a", "--json", "-", *args).stdout)
        return {t["name"]: t["status"] for t in data["tasks"]}

    assert statuses("--only", "lint") == {"lint": "passed"}
    assert statuses("--stage", "format") == {"fmt": "passed"}
    assert statuses("--stage", "test", "--stage", "format") == {"fmt": "passed", "tests": "passed"}
    skipped = statuses("--skip", "lint")
    assert skipped["lint"] == "skipped"
    assert skipped["deps"] == "passed"


def test_unknown_task_names_are_usage_errors(project: Path) -> None:
    result = invoke("run", "--only", "lnit")
    assert result.exit_code == 2
    assert "--only lnit: no such task (did you mean 'lint'?)" in result.output


def test_from_ref_needs_to_ref(project: Path) -> None:
    result = invoke("run", "--from-ref", "HEAD")
    assert result.exit_code == 2
    assert "--from-ref and --to-ref go together" in result.output


def test_refs_select_changed_files(project: Path) -> None:
    (project / "c.py").write_text("c = 1\n")
    git(project, "add", "c.py")
    git(project, "commit", "-qm", "c")
    data = json.loads(
        invoke("run", "--from-ref", "HEAD~1", "--to-ref", "HEAD", "--json", "-").stdout
    )
    assert {t["name"]: t for t in data["tasks"]}["lint"]["files"] == ["c.py"]


def test_bad_option_values(project: Path) -> None:
    assert invoke("run", "-j", "0").exit_code == 2
    assert invoke("run", "--stage", "deploy").exit_code == 2
    assert invoke("run", "--hook", "post-merj").exit_code == 2


def test_jobs_flag_limits_slots(project: Path, tmp_path: Path) -> None:
    trace = tmp_path / "trace.json"
    result = invoke("run", "-a", "-j", "1", "--trace", str(trace))
    assert result.exit_code == 0
    tids = {e["tid"] for e in json.loads(trace.read_text())["traceEvents"] if e["ph"] == "X"}
    assert tids == {1}


def test_list_formats(project: Path) -> None:
    text = invoke("list").output
    assert "format:" in text
    assert "deps" in text
    assert "depends on lint" in text
    data = json.loads(invoke("list", "--format", "json").stdout)
    assert [t["name"] for t in data["tasks"]] == ["fmt", "lint", "deps", "tests"]
    assert data["tasks"][2]["depends_on"] == ["lint"]
    dot = invoke("list", "--format", "dot").output
    assert dot.startswith("digraph")
    assert '"lint" -> "deps";' in dot
    mermaid = invoke("list", "--format", "mermaid").output
    assert mermaid.startswith("flowchart LR")
    assert "t1 --> t2" in mermaid


def test_list_shows_the_critical_path_once_durations_are_known(project: Path) -> None:
    assert invoke("run", "-a").exit_code == 0
    assert "critical path: fmt -> " in invoke("list").output


def test_config_flag(project: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text('[tool.paratools.tasks.only-here]\ncmd = "true"\nalways_run = true\n')
    data = json.loads(invoke("run", "-a", "--config", str(other), "--json", "-").stdout)
    assert [t["name"] for t in data["tasks"]] == ["only-here"]
    missing = invoke("run", "--config", str(tmp_path / "nope.toml"))
    assert missing.exit_code == 2
    assert "nope.toml" in missing.output


def test_init_writes_a_starter_table_once(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.ruff]\n\n[tool.mypy]\n')
    (repo / "tests").mkdir()
    (repo / "tests" / "conftest.py").write_text("")
    result = invoke("init")
    assert result.exit_code == 0
    assert "ruff-format, ruff-check, mypy, pytest" in result.output
    text = (repo / "pyproject.toml").read_text()
    assert text.startswith('[project]\nname = "x"\n')
    assert "[tool.paratools.tasks.ruff-check]" in text
    assert "[tool.paratools.tasks.black]" not in text
    listing = invoke("list", "--format", "json")
    assert listing.exit_code == 0, listing.output
    again = invoke("init")
    assert again.exit_code == 0
    assert "left unchanged" in again.output
    assert (repo / "pyproject.toml").read_text() == text


def test_init_without_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mypy.ini").write_text("[mypy]\n")
    assert invoke("init").exit_code == 0
    assert "[tool.paratools.tasks.mypy]" in (tmp_path / "pyproject.toml").read_text()


def test_init_refuses_broken_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project\n")
    result = invoke("init")
    assert result.exit_code == 2
    assert "pyproject.toml" in result.output


def test_module_entry_point(project: Path) -> None:
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "hookrunner", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert __version__ in proc.stdout
