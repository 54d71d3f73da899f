"""A repository's .pre-commit-config.yaml run as hookrunner tasks, through the real
command, with hook environments in a pre-commit store of the tests' own."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import git, hookrunner


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pre-commit store for the module: environments are installed once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(autouse=True)
def _store(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRE_COMMIT_HOME", str(store))


LOCAL = """\
repos:
- repo: local
  hooks:
  - id: no-todo
    name: no todo
    language: pygrep
    entry: TODO
    types: [python]
  - id: upper
    name: upper
    language: system
    entry: sed -i s/foo/FOO/
    files: '\\.txt$'
  - id: forbidden
    name: forbidden
    language: fail
    entry: never commit these
    files: '^bad/'
  - id: show
    name: show
    language: script
    entry: ./show.sh
    exclude: '^(bad/|show\\.sh$)'
    verbose: true
"""


def _write(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _commit(repo: Path, files: dict[str, str]) -> None:
    _write(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "files")


def _statuses(repo: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, str]:
    proc = hookrunner(repo, "run", *args, "--json", "-", "-q", env=env)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return {t["name"]: t["status"] for t in json.loads(proc.stdout)["tasks"]}


def _local_repo(repo: Path) -> None:
    _commit(
        repo,
        {
            ".pre-commit-config.yaml": LOCAL,
            "show.sh": '#!/bin/sh\necho "args: $*"\n',
            "bad/x": "x\n",
            "a.txt": "foo\n",
            "m.py": "# TODO\n",
        },
    )
    (repo / "show.sh").chmod(0o755)
    git(repo, "add", "show.sh")
    git(repo, "commit", "-q", "-m", "executable")


def test_a_pre_commit_configuration_alone_runs_its_hooks(repo: Path) -> None:
    _local_repo(repo)
    proc = hookrunner(repo, "run", "-a")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = {line.split(".")[0]: line for line in proc.stdout.splitlines() if "...." in line}
    assert "Modified files" in lines["upper"]
    assert "Failed" in lines["no-todo"]
    assert "Failed" in lines["forbidden"]
    assert "Passed" in lines["show"]
    assert "never commit these\n\nbad/x\n" in proc.stdout
    assert "m.py:1:# TODO" in proc.stdout
    assert (repo / "a.txt").read_text() == "FOO\n"
    # files/exclude are Python regexes: the script saw neither bad/x nor itself
    shown = next(line for line in proc.stdout.splitlines() if line.startswith("args:"))
    assert "bad/x" not in shown
    assert "show.sh" not in shown
    assert "a.txt" in shown


def test_staged_files_and_the_installed_hook(repo: Path) -> None:
    _local_repo(repo)
    (repo / "m.py").write_text("x = 1\n")
    (repo / "new.py").write_text("# TODO later\n")
    git(repo, "add", "new.py")
    statuses = _statuses(repo)
    assert statuses["no-todo"] == "failed"  # new.py is staged
    assert statuses["forbidden"] == "skipped"
    assert statuses["upper"] == "skipped"
    assert (repo / "m.py").read_text() == "x = 1\n"  # unstaged work put back
    install = hookrunner(repo, "install")
    assert install.returncode == 0, install.stderr
    commit = subprocess.run(
        ["git", "commit", "-q", "-m", "todo"], cwd=repo, capture_output=True, text=True
    )
    assert commit.returncode != 0
    assert "new.py:1:# TODO later" in commit.stdout + commit.stderr
    (repo / "new.py").write_text("done = True\n")
    git(repo, "add", "new.py")
    commit = subprocess.run(
        ["git", "commit", "-q", "-m", "done"], cwd=repo, capture_output=True, text=True
    )
    assert commit.returncode == 0, commit.stdout + commit.stderr


def _hook_repository(path: Path, manifest: str) -> str:
    """A git repository of python hooks: ``shout`` fails on files that say "shout",
    ``fix-shout`` rewrites them. Returns its commit."""
    path.mkdir()
    git(path, "init", "-q")
    _commit(
        path,
        {
            ".pre-commit-hooks.yaml": manifest,
            "setup.py": textwrap.dedent(
                """\
                from setuptools import setup
                setup(
                    name="shout", version="1", py_modules=["shout"],
                    entry_points={"console_scripts": [
                        "shout=shout:check", "fix-shout=shout:fix"]},
                )
                """
            ),
            "shout.py": textwrap.dedent(
                """\
                import sys

                def check():
                    bad = 0
                    for name in sys.argv[1:]:
                        with open(name) as f:
                            if "shout" in f.read():
                                print(f"{name}: shouts")
                                bad = 1
                    return bad

                def fix():
                    for name in sys.argv[1:]:
                        with open(name) as f:
                            text = f.read()
                        if "shout" in text:
                            with open(name, "w") as f:
                                f.write(text.replace("shout", "SHOUT"))
                    return 0
                """
            ),
        },
    )
    return git(path, "rev-parse", "HEAD").strip()


MANIFEST = """\
- id: shout
  name: shout
  entry: shout
  language: python
  types: [text]
- id: fix-shout
  name: fix shout
  entry: fix-shout
  language: python
  types: [text]
"""


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("hooks") / "shout-hooks"
    return path, _hook_repository(path, MANIFEST)


def test_a_local_path_repository_and_its_python_environment(
    repo: Path, hooks_repo: tuple[Path, str], store: Path
) -> None:
    path, rev = hooks_repo
    config = f"repos:\n- repo: {path}\n  rev: {rev}\n  hooks:\n  - id: shout\n"
    _commit(repo, {".pre-commit-config.yaml": config, "s.txt": "shout\n", "q.txt": "quiet\n"})
    proc = hookrunner(repo, "run", "-a")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "s.txt: shouts" in proc.stdout
    assert "q.txt" not in proc.stdout
    # the environment is in pre-commit's store, where pre-commit finds it
    environments = list(store.glob("repo*/py_env-*"))
    assert environments
    again = hookrunner(repo, "run", "-a")
    assert "installing" not in again.stderr
    assert "s.txt: shouts" in again.stdout
    # the caller's PATH (a git hook's differs from a terminal's) is not part of the key
    quiet = {".pre-commit-config.yaml": config.replace("id: shout", "{id: shout, files: q}")}
    _commit(repo, quiet)
    assert hookrunner(repo, "run", "-a").returncode == 0
    elsewhere = {
        "PATH": f"{repo}/no-such-folder{os.pathsep}{os.environ['PATH']}",
        "HOOKRUNNER_QUICK": "0",  # the full run, which resolves the hooks in this PATH
    }
    assert "Cached" in hookrunner(repo, "run", "-a", env=elsewhere).stdout
    _commit(repo, {".pre-commit-config.yaml": config})
    # an environment removed from the store is installed again
    import shutil

    for folder in environments:
        shutil.rmtree(folder)
    again = hookrunner(repo, "run", "-a")
    assert "installing 1 pre-commit environment(s) (shout)" in again.stderr
    assert "s.txt: shouts" in again.stdout


def test_a_fixer_is_a_format_task_and_a_read_only_hook_waits_for_it(
    repo: Path, hooks_repo: tuple[Path, str]
) -> None:
    path, rev = hooks_repo
    config = (
        f"repos:\n- repo: {path}\n  rev: {rev}\n  hooks:\n  - id: fix-shout\n"
        "- repo: local\n  hooks:\n"
        "  - id: check-json\n    name: json\n    language: system\n"
        "    entry: python -c 'import sys'\n    types: [text]\n"
    )
    _commit(repo, {".pre-commit-config.yaml": config, "s.txt": "shout\n"})
    proc = hookrunner(repo, "run", "-a", "--json", "-", "-q")
    assert proc.returncode == 1
    tasks = {t["name"]: t for t in json.loads(proc.stdout)["tasks"]}
    assert tasks["fix-shout"]["stage"] == "format"
    assert tasks["fix-shout"]["status"] == "modified"
    assert tasks["check-json"]["stage"] == "lint"
    assert tasks["check-json"]["start"] >= tasks["fix-shout"]["end"]
    assert (repo / "s.txt").read_text() == "SHOUT\n"


def test_a_fixing_flag_in_a_local_hooks_entry_makes_it_a_format_task(repo: Path) -> None:
    config = (
        "repos:\n- repo: local\n  hooks:\n"
        "  - {id: ruff, name: fixes, language: system, entry: 'true --fix', types: [text]}\n"
        "  - {id: ruff-check, name: checks, language: system, entry: 'true', types: [text]}\n"
        "  - {id: codespell, name: cs, language: system, entry: 'true', args: [-w],"
        " types: [text]}\n"
    )
    _commit(repo, {".pre-commit-config.yaml": config})
    proc = hookrunner(repo, "run", "-a", "--json", "-", "-q")
    assert proc.returncode == 0, proc.stderr
    stages = {t["name"]: t["stage"] for t in json.loads(proc.stdout)["tasks"]}
    assert stages == {"ruff": "format", "ruff-check": "lint", "codespell": "format"}


def test_skip_takes_ids_and_aliases_and_a_repeated_id_is_numbered(repo: Path) -> None:
    config = (
        "repos:\n- repo: local\n  hooks:\n"
        "  - {id: t, name: t, language: system, entry: 'true'}\n"
        "  - {id: t, name: t, language: system, entry: 'true', args: [x]}\n"
        "  - {id: u, alias: you, name: u, language: system, entry: 'true'}\n"
        "  - {id: v, name: v, language: system, entry: 'true'}\n"
    )
    _commit(repo, {".pre-commit-config.yaml": config})
    assert _statuses(repo, "-a") == {"t": "passed", "t-2": "passed", "you": "passed", "v": "passed"}
    skipped = _statuses(repo, "-a", env={"SKIP": "u,t-2"})
    assert skipped == {"t": "passed", "t-2": "skipped", "you": "skipped", "v": "passed"}
    skipped = _statuses(repo, "-a", env={"SKIP": "you"})
    assert skipped["you"] == "skipped"
    # as in pre-commit, a hook id given in place of files runs every hook of that id
    assert set(_statuses(repo, "-a", "t")) == {"t", "t-2"}
    assert set(_statuses(repo, "-a", "u")) == {"you"}
    assert set(_statuses(repo, "--only", "you", "-a")) == {"you"}


def test_a_fail_fast_hook_stops_the_hooks_after_it(repo: Path) -> None:
    config = (
        "repos:\n- repo: local\n  hooks:\n"
        "  - {id: before, name: b, language: system, entry: 'true', pass_filenames: false}\n"
        "  - {id: stop, name: s, language: system, entry: 'false', fail_fast: true,"
        " pass_filenames: false}\n"
        "  - {id: after, name: a, language: system, entry: 'true', pass_filenames: false}\n"
    )
    _commit(repo, {".pre-commit-config.yaml": config})
    assert _statuses(repo, "-a") == {"before": "passed", "stop": "failed", "after": "skipped"}
    config = config.replace(" fail_fast: true,", "")
    _commit(repo, {".pre-commit-config.yaml": config})
    assert _statuses(repo, "-a") == {"before": "passed", "stop": "failed", "after": "passed"}


def test_hook_fields(repo: Path) -> None:
    config = textwrap.dedent(
        """\
        exclude: '^vendor/'
        repos:
        - repo: local
          hooks:
          - {id: py, name: py, language: system, entry: echo, types: [python]}
          - {id: either, name: e, language: system, entry: echo, types_or: [python, markdown]}
          - {id: not-py, name: n, language: system, entry: echo, exclude_types: [python]}
          - {id: none, name: none, language: system, entry: echo, pass_filenames: false}
          - {id: always, name: a, language: system, entry: echo, files: nomatch, always_run: true}
          - {id: push, name: p, language: system, entry: echo, stages: [pre-push]}
          - {id: serial, name: s, language: system, entry: echo, require_serial: true}
        """
    )
    _commit(
        repo,
        {
            ".pre-commit-config.yaml": config,
            "a.py": "",
            "b.md": "",
            "vendor/c.py": "",
        },
    )
    proc = hookrunner(repo, "run", "-a", "--json", "-", "-q")
    assert proc.returncode == 0, proc.stderr
    tasks = {t["name"]: t for t in json.loads(proc.stdout)["tasks"]}
    assert tasks["py"]["files"] == ["a.py"]
    assert sorted(tasks["either"]["files"]) == ["a.py", "b.md"]
    assert "a.py" not in tasks["not-py"]["files"]
    assert "b.md" in tasks["not-py"]["files"]
    assert tasks["none"]["output"].strip() == ""
    assert tasks["always"]["status"] == "passed"
    assert tasks["push"]["status"] == "skipped"
    assert tasks["serial"]["status"] == "passed"
    assert not any("vendor/" in f for t in tasks.values() for f in t["files"])


def test_a_table_adds_the_hooks_and_overrides_them(repo: Path) -> None:
    _commit(
        repo,
        {
            ".pre-commit-config.yaml": (
                "repos:\n- repo: local\n  hooks:\n"
                "  - {id: hook, name: hook, language: system, entry: 'true'}\n"
            ),
            "pyproject.toml": textwrap.dedent(
                """\
                [tool.paratools]
                pre_commit_config = true
                timeout = 77

                [tool.paratools.tasks.mine]
                cmd = "true"

                [tool.paratools.tasks.hook]
                stage = "test"
                depends_on = ["mine"]
                hooks = ["manual"]
                """
            ),
        },
    )
    proc = hookrunner(repo, "run", "-a", "--json", "-", "-q")
    assert proc.returncode == 0, proc.stderr
    tasks = {t["name"]: t for t in json.loads(proc.stdout)["tasks"]}
    assert tasks["hook"]["stage"] == "test"
    assert tasks["hook"]["start"] >= tasks["mine"]["end"]
    listed = hookrunner(repo, "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    timeouts = {t["name"]: t["timeout"] for t in json.loads(listed.stdout)["tasks"]}
    assert timeouts == {"mine": 77, "hook": 77}
    (repo / "pyproject.toml").write_text(
        "[tool.paratools]\npre_commit_config = true\n[tool.paratools.tasks.hook]\ncmd = 'x'\n"
    )
    bad = hookrunner(repo, "run", "-a")
    assert bad.returncode == 2
    assert bad.stderr.strip().endswith(
        "tool.paratools.tasks.hook.cmd: a pre-commit hook's task may set only"
        " stage, depends_on, priority, timeout, cache, hooks"
    )


def test_a_pass_is_cached_and_a_new_definition_is_not(repo: Path) -> None:
    config = (
        "repos:\n- repo: local\n  hooks:\n"
        "  - {id: count, name: c, language: system, entry: ./count.sh, files: '\\.py$'}\n"
    )
    _commit(repo, {".pre-commit-config.yaml": config, "a.py": "", "count.sh": ""})
    (repo / "count.sh").write_text("#!/bin/sh\necho run >> ran.log\n")
    (repo / "count.sh").chmod(0o755)
    git(repo, "add", "count.sh")
    git(repo, "commit", "-q", "-m", "script")
    assert _statuses(repo, "-a") == {"count": "passed"}
    proc = hookrunner(repo, "run", "-a")
    assert "Cached" in proc.stdout, proc.stdout
    assert (repo / "ran.log").read_text() == "run\n"
    (repo / ".pre-commit-config.yaml").write_text(
        config.replace("'\\.py$'}", "'\\.py$', args: [x]}")
    )
    assert _statuses(repo, "-a") == {"count": "passed"}
    assert (repo / "ran.log").read_text() == "run\nrun\n"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("repos: [\n", "did not find expected node content at line 2, column 1"),
        ("repos:\n- repo: {hooks}\n  hooks:\n  - id: shout\n", "rev"),
        (
            "repos:\n- repo: {hooks}\n  rev: {rev}\n  hooks:\n  - id: nope\n",
            "`nope` is not present",
        ),
        ("repos:\n- repo: /nonexistent/hooks\n  rev: v1\n  hooks:\n  - id: x\n", "cannot clone"),
        ("minimum_pre_commit_version: '99.0'\nrepos: []\n", "version 99.0 is required"),
        (
            "repos:\n- repo: local\n  hooks:\n  - {id: x, name: x, language: system,"
            " entry: 'true', minimum_pre_commit_version: '99.0'}\n",
            "99.0",  # pre-commit 3 and 4 word it differently; both name the hook
        ),
    ],
)
def test_bad_input_is_one_line_naming_the_file(
    repo: Path, hooks_repo: tuple[Path, str], store: Path, config: str, message: str
) -> None:
    path, rev = hooks_repo
    config = config.replace("{hooks}", str(path)).replace("{rev}", rev)
    _commit(repo, {".pre-commit-config.yaml": config})
    proc = hookrunner(repo, "run", "-a")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("hookrunner: .pre-commit-config.yaml: ") or lines[0].startswith(
        ".pre-commit-config.yaml: "
    ), lines[0]
    assert message in lines[0], lines[0]
    if "99.0" in config and "id: x" in config:
        assert "`x`" in lines[0] or "id='x'" in lines[0]


def test_a_failed_install_is_one_line_and_leaves_nothing_half_installed(
    repo: Path, tmp_path: Path, store: Path
) -> None:
    broken = tmp_path / "broken"
    rev = _hook_repository(broken, MANIFEST)
    (broken / "setup.py").write_text("raise SystemExit('this package does not build')\n")
    git(broken, "commit", "-q", "-am", "broken")
    rev = git(broken, "rev-parse", "HEAD").strip()
    config = f"repos:\n- repo: {broken}\n  rev: {rev}\n  hooks:\n  - id: shout\n"
    _commit(repo, {".pre-commit-config.yaml": config, "s.txt": "shout\n"})
    for _ in range(2):  # a failure is not remembered: the next run tries again
        proc = hookrunner(repo, "run", "-a", timeout=600)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        *progress, last = proc.stderr.strip().splitlines()
        assert progress == [
            "hookrunner: installing 1 pre-commit environment(s) (shout); this happens once"
        ]
        assert last.startswith(".pre-commit-config.yaml: hook shout: install failed: "), last
    clones = [p for p in store.glob("repo*") if (p / "setup.py").is_file()]
    broken_clones = [p for p in clones if "does not build" in (p / "setup.py").read_text()]
    assert broken_clones
    assert not [p for c in broken_clones for p in c.glob("py_env-*")]


@pytest.mark.parametrize("table", [True, False])
def test_only_a_run_of_a_pre_commit_configuration_imports_pre_commit(
    repo: Path, table: bool
) -> None:
    _commit(repo, {".pre-commit-config.yaml": "repos: []\n"})
    if table:
        _commit(repo, {"pyproject.toml": "[tool.paratools.tasks.t]\ncmd = 'true'\n"})
    script = (
        "import sys, runpy\n"
        "sys.argv = ['hookrunner', 'run', '-a', '--no-cache']\n"
        "try:\n    runpy.run_module('hookrunner', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "wanted = {'pre_commit', 'yaml', 'hookrunner.precommit', 'hookrunner.config'}\n"
        "print('loaded:', *sorted(wanted & set(sys.modules)))\n"
    )

    def loaded() -> list[str]:
        proc = subprocess.run(
            [sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, check=False
        )
        (line,) = [line for line in proc.stdout.splitlines() if line.startswith("loaded:")]
        return line.split()[1:]

    if table:
        assert loaded() == ["hookrunner.config"]
        assert loaded() == []  # the copy
    else:
        assert {"pre_commit", "hookrunner.precommit"} <= set(loaded())
        # the hooks are remembered: the next run does without the library
        assert loaded() == ["hookrunner.config", "hookrunner.precommit"]
        # and the one after reads the configuration's copy, named by them
        assert loaded() == []


EQUIVALENT = """\
repos:
- repo: local
  hooks:
  - {id: trailing-whitespace, name: trailing-whitespace, language: python,
     entry: trailing-whitespace-fixer, types: [text],
     additional_dependencies: [pre-commit-hooks]}
  - {id: end-of-file-fixer, name: end-of-file-fixer, language: python,
     entry: end-of-file-fixer, types: [text], additional_dependencies: [pre-commit-hooks]}
  - {id: check-yaml, name: check-yaml, language: python, entry: check-yaml,
     types: [yaml], additional_dependencies: [pre-commit-hooks]}
  - {id: check-ast, name: check-ast, language: python, entry: check-ast,
     types: [python], additional_dependencies: [pre-commit-hooks]}
  - {id: debug-statements, name: debug-statements, language: python,
     entry: debug-statement-hook, types: [python], additional_dependencies: [pre-commit-hooks]}
  - {id: no-todo, name: no-todo, language: pygrep, entry: TODO, exclude: '^\\\\.pre-commit'}
  - {id: forbidden, name: forbidden, language: fail, entry: 'not here', files: '^bad/'}
  - {id: json-only, name: json-only, language: system, entry: 'true', types: [json]}
- repo: {hooks}
  rev: {rev}
  hooks:
  - {id: fix-shout, name: fix-shout}
  - {id: shout, name: shout, exclude: '^keep/'}
"""


def _pre_commit_statuses(output: str) -> dict[str, str]:
    statuses = {}
    for line in output.splitlines():
        if "..." in line:
            name = line.split(".")[0]
            word = "skipped" if line.endswith("Skipped") else line.rsplit(".", 1)[1].lower()
            statuses[name] = word
    return statuses


def test_the_same_results_as_pre_commit_run(
    tmp_path: Path, repo: Path, hooks_repo: tuple[Path, str]
) -> None:
    path, rev = hooks_repo
    _commit(
        repo,
        {
            ".pre-commit-config.yaml": EQUIVALENT.replace("{hooks}", str(path)).replace(
                "{rev}", rev
            ),
            "a.py": "import pdb\nx = 1   \n",
            "b.py": "def f(:\n",
            "c.yaml": "a: [\n",
            "d.txt": "shout it\nno newline",
            "keep/e.txt": "fine\n",
            "bad/f": "x\n",
            "g.md": "# TODO\n",
        },
    )
    theirs = tmp_path / "theirs"
    git(tmp_path, "clone", "-q", str(repo), str(theirs))
    ours = hookrunner(repo, "run", "-a", "--json", "-", "-q", timeout=600)
    assert ours.returncode == 1, ours.stderr
    mine = {t["name"]: t["status"] for t in json.loads(ours.stdout)["tasks"]}
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "-a", "--color", "never"],
        cwd=theirs,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    expected = _pre_commit_statuses(proc.stdout)
    assert set(expected) == set(mine)
    # pre-commit calls a fixer that changed files a failure
    assert {n: "failed" if s == "modified" else s for n, s in mine.items()} == expected
    assert "passed" in expected.values()
    assert "skipped" in expected.values()
    tracked = git(repo, "ls-files").split()
    assert {f: (repo / f).read_bytes() for f in tracked} == {
        f: (theirs / f).read_bytes() for f in tracked
    }


def test_a_changed_pre_commit_configuration_is_never_answered_from_a_receipt(repo: Path) -> None:
    passing = (
        "repos:\n- repo: local\n  hooks:\n"
        "  - {id: check, name: c, language: system, entry: 'true', pass_filenames: false}\n"
    )
    _commit(
        repo,
        {
            ".pre-commit-config.yaml": passing,
            "pyproject.toml": "[tool.paratools]\npre_commit_config = true\n",
        },
    )
    assert _statuses(repo, "-a") == {"check": "passed"}
    assert "Cached" in hookrunner(repo, "run", "-a").stdout
    _commit(repo, {".pre-commit-config.yaml": passing.replace("'true'", "'false'")})
    proc = hookrunner(repo, "run", "-a")
    assert proc.returncode == 1, proc.stdout
    assert "Failed" in proc.stdout


def test_stages_map_to_hooks(repo: Path) -> None:
    config = (
        "default_stages: [pre-commit]\n"
        "repos:\n- repo: local\n  hooks:\n"
        "  - {id: push, name: p, language: system, entry: 'true', stages: [pre-push]}\n"
        "  - {id: commit, name: c, language: system, entry: 'true', stages: [commit]}\n"
        "  - {id: by-hand, name: m, language: system, entry: 'true', stages: [manual]}\n"
        "  - {id: default, name: d, language: system, entry: 'true'}\n"
    )
    _commit(repo, {".pre-commit-config.yaml": config, "a.txt": "a\n"})
    manual = _statuses(repo, "-a")
    assert manual == {
        "push": "skipped",
        "commit": "passed",
        "by-hand": "passed",
        "default": "passed",
    }
    base = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    pushed = _statuses(repo, "--hook", "pre-push", "--from-ref", base, "--to-ref", "HEAD")
    assert pushed == {
        "push": "passed",
        "commit": "skipped",
        "by-hand": "skipped",
        "default": "skipped",
    }


def test_an_unstaged_edit_of_the_configuration_never_decides_a_commit(repo: Path) -> None:
    passing = (
        "repos:\n- repo: local\n  hooks:\n"
        "  - {id: check, name: c, language: system, entry: 'true', pass_filenames: false}\n"
    )
    _commit(repo, {".pre-commit-config.yaml": passing})
    (repo / ".pre-commit-config.yaml").write_text(passing.replace("'true'", "'false'"))
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")
    assert _statuses(repo) == {"check": "passed"}
    assert "'false'" in (repo / ".pre-commit-config.yaml").read_text()
    git(repo, "add", ".pre-commit-config.yaml")
    assert _statuses(repo) == {"check": "failed"}


def test_meta_hooks_run_as_in_pre_commit(repo: Path) -> None:
    config = (
        "repos:\n- repo: meta\n  hooks:\n  - id: check-hooks-apply\n  - id: identity\n"
        "- repo: local\n  hooks:\n"
        "  - {id: never, name: n, language: system, entry: 'true', files: '\\.nomatch$'}\n"
    )
    _commit(repo, {".pre-commit-config.yaml": config, "a.txt": "a\n"})
    proc = hookrunner(repo, "run", "-a", "-v")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "never does not apply to this repository" in proc.stdout
    assert "a.txt" in proc.stdout  # identity prints its files


def test_writers_sharing_files_never_overlap(repo: Path) -> None:
    config = (
        "repos:\n- repo: local\n  hooks:\n"
        "  - {id: one, name: one, language: system, entry: sed -i s/a/b/, files: '\\.txt$'}\n"
        "  - {id: two, name: two, language: system, entry: sed -i s/b/c/, files: '\\.txt$'}\n"
        "  - {id: other, name: other, language: system, entry: sed -i s/x/y/, files: '\\.md$'}\n"
    )
    _commit(repo, {".pre-commit-config.yaml": config, "f.txt": "a\n", "g.md": "x\n"})
    proc = hookrunner(repo, "run", "-a", "--json", "-", "-q")
    assert proc.returncode == 1, proc.stderr
    tasks = {t["name"]: t for t in json.loads(proc.stdout)["tasks"]}
    assert {t["stage"] for t in tasks.values()} == {"format"}
    assert tasks["two"]["start"] >= tasks["one"]["end"]  # declaration order, one at a time
    assert (repo / "f.txt").read_text() == "c\n"
    assert (repo / "g.md").read_text() == "y\n"
    assert tasks["one"]["files"] == ["f.txt"]


@pytest.mark.parametrize("table", [False, True])
def test_a_cached_re_run_is_answered_by_the_quick_path_as_the_full_run_answers_it(
    repo: Path, table: bool
) -> None:
    config = (
        "repos:\n- repo: local\n  hooks:\n"
        "  - {id: check, name: c, language: system, entry: ./check.sh, types: [text]}\n"
        "  - {id: loud, name: l, language: system, entry: echo, verbose: true}\n"
    )
    files = {".pre-commit-config.yaml": config, "a.txt": "a\n", "check.sh": "#!/bin/sh\n"}
    if table:
        files["pyproject.toml"] = "[tool.paratools]\npre_commit_config = true\n"
    _commit(repo, files)
    (repo / "check.sh").chmod(0o755)
    git(repo, "add", "check.sh")
    git(repo, "commit", "-q", "-m", "executable")
    trace = {"PYTHONPROFILEIMPORTTIME": "1"}
    first = hookrunner(repo, "run", "-a", env=trace)
    assert first.returncode == 0, first.stdout + first.stderr
    quick = hookrunner(repo, "run", "-a", env=trace)
    full = hookrunner(repo, "run", "-a", env={**trace, "HOOKRUNNER_QUICK": "0"})
    assert "hookrunner.cli.full" not in quick.stderr
    assert "hookrunner.cli.full" in full.stderr
    assert "Cached" in quick.stdout
    assert "a.txt" in quick.stdout  # a verbose hook's output, kept with its pass
    timeless = re.compile(r" in \d+\.\d\ds")
    assert timeless.sub("", quick.stdout) == timeless.sub("", full.stdout)
    # an edit of the pre-commit configuration is never answered from the receipt
    _commit(repo, {".pre-commit-config.yaml": config.replace("./check.sh", "'false'")})
    failed = hookrunner(repo, "run", "-a")
    assert failed.returncode == 1
    assert "Failed" in failed.stdout


def test_the_installed_pre_push_hook_runs_the_pre_push_stage(repo: Path, tmp_path: Path) -> None:
    config = (
        "repos:\n- repo: local\n  hooks:\n"
        "  - {id: on-push, name: p, language: pygrep, entry: FIXME, stages: [pre-push]}\n"
        "  - {id: on-commit, name: c, language: pygrep, entry: TODO, stages: [pre-commit]}\n"
    )
    _commit(repo, {".pre-commit-config.yaml": config})
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    assert hookrunner(repo, "install", "--hook", "pre-commit", "--hook", "pre-push").returncode == 0
    (repo / "a.txt").write_text("FIXME later\n")
    git(repo, "add", "a.txt")
    git(repo, "commit", "-q", "-m", "fixme")  # the pre-commit stage has no FIXME hook
    push = subprocess.run(
        ["git", "push", "-q", "origin", "main"], cwd=repo, capture_output=True, text=True
    )
    assert push.returncode != 0
    assert "a.txt:1:FIXME later" in push.stdout + push.stderr
    (repo / "a.txt").write_text("fixed\n")
    git(repo, "commit", "-q", "-am", "fixed")
    push = subprocess.run(
        ["git", "push", "-q", "origin", "main"], cwd=repo, capture_output=True, text=True
    )
    assert push.returncode == 0, push.stdout + push.stderr


def test_resolved_hooks_are_kept_per_version_of_the_code_that_made_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from hookrunner.cache import hooks

    package = tmp_path / "package"
    for name in hooks._SOURCES:
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(hooks.__file__).parent.parent / name, package / name)
    monkeypatch.setattr(hooks, "_PACKAGE", str(package))
    before = hooks._path(b"repos: []\n", "/repo")
    assert hooks._path(b"repos: []\n", "/repo") == before
    with (package / "precommit_plain.py").open("a") as source:
        source.write("\n# another version\n")
    assert hooks._path(b"repos: []\n", "/repo") != before


def test_a_pre_commit_configurations_copy_is_named_by_its_remembered_hooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hookrunner.cache import hooks
    from hookrunner.cache.config_copy import copy_name

    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "store"))
    root = tmp_path / "repo"
    root.mkdir()
    config = b"repos: []\n"
    (root / ".pre-commit-config.yaml").write_bytes(config)
    files = [root / "pyproject.toml"]
    # Nothing remembered: no copy, the hooks are resolved.
    assert copy_name(root, files) is None
    state = tmp_path / "install-state"
    state.write_text("1")
    hooks.remember(config, str(root), (), False, [str(state)])
    name = copy_name(root, files)
    assert name is not None
    assert copy_name(root, files) == name
    # An environment installed again voids the hooks, and the copy with them.
    os.utime(state, ns=(1, 1))
    assert copy_name(root, files) is None
    hooks.remember(config, str(root), (), False, [str(state)])
    assert copy_name(root, files) not in (None, name)
    # Another PATH resolves the hooks again (the tools may be others).
    monkeypatch.setenv("PATH", "/nowhere")
    assert copy_name(root, files) is None
