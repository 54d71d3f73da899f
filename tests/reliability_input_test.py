"""Bad input: generated configurations, odd file names, missing pieces.

Whatever the input, hookrunner answers with 0, 1 or 2 and a message, never a
traceback; file names reach the tasks byte for byte and no shell sees them.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hookrunner.cli.commands import cli
from tests.conftest import git, hookrunner, write_config

pytestmark = pytest.mark.slow

# -- generated [tool.paratools] tables ---------------------------------------

TOML_INT = st.integers(min_value=-(2**63), max_value=2**63 - 1)
# Text TOML can hold: no lone surrogates (broken TOML comes separately).
TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
SCALARS = st.one_of(
    st.booleans(),
    TOML_INT,
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    st.dates(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=6,
)

# Only commands that do no harm are ever generated as strings: a random
# word could name a real program that would then run on the repository.
GOOD_COMMANDS = st.sampled_from(
    ["true", "false", ["true"], "echo hello", ["sh", "-c", "exit 3"], "hookrunner-no-such-tool"]
)
BAD_COMMANDS = st.one_of(
    st.sampled_from(["", [], [""], "'unbalanced"]),
    TEXT.map(lambda text: "hookrunner-no-such-tool " + text),
    st.lists(TEXT, max_size=2).map(lambda args: ["hookrunner-no-such-tool", *args]),
    st.one_of(TOML_INT, st.booleans(), st.lists(TOML_INT, min_size=1, max_size=2)),
)
GOOD_GLOBS = st.lists(st.sampled_from(["*.py", "*.txt", "**", "sub/**", "README"]), max_size=2)
BAD_GLOBS = st.lists(
    st.one_of(
        st.sampled_from(["[", "/", "#x", " ", ""]), st.text(alphabet="*?[]!/\\ab.#", max_size=6)
    ),
    min_size=1,
    max_size=3,
)
GOOD_NAMES = st.one_of(
    st.sampled_from(["lint", "fmt", "tests", "a", "b"]),
    st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_.-]{0,8}", fullmatch=True),
)
NAMES = st.one_of(GOOD_NAMES, TEXT, st.sampled_from(["", "a b", "a,b", "ünï"]))
STAGES = ["format", "lint", "test"]


def rarely(n: int) -> st.SearchStrategy[bool]:
    """True about once in ``n`` draws; shrinks towards False."""
    return st.sampled_from([False] * (n - 1) + [True])


def _good(stage: str, earlier: dict[str, str]) -> dict[str, st.SearchStrategy[Any]]:
    """Values the contract accepts for a task of ``stage`` declared after ``earlier``."""
    allowed = [n for n, s in earlier.items() if STAGES.index(s) <= STAGES.index(stage)]
    good: dict[str, st.SearchStrategy[Any]] = {
        "depends_on": st.lists(st.sampled_from(allowed), max_size=2, unique=True)
        if allowed
        else st.just([]),
        "files": GOOD_GLOBS,
        "exclude": GOOD_GLOBS,
        "types": st.lists(st.sampled_from(["python", "text", "file"]), max_size=2),
        "pass_filenames": st.booleans(),
        "always_run": st.booleans(),
        "timeout": st.one_of(st.floats(min_value=0.5, max_value=5), st.integers(1, 10)),
        "env": st.dictionaries(st.sampled_from(["A", "B_2"]), TEXT.filter(lambda t: "\0" not in t)),
        "cwd": st.sampled_from(["", ".", "sub"]),
        "hooks": st.lists(st.sampled_from(["pre-commit", "pre-push", "manual"]), unique=True),
        "priority": TOML_INT,
        "cache": st.sampled_from([True, False, "per-file"]),
        "cache_inputs": GOOD_GLOBS,
    }
    if stage == "format":
        good["stage_fixed"] = st.booleans()
    return good


BAD: dict[str, st.SearchStrategy[Any]] = {
    "cmd": BAD_COMMANDS,
    "stage": st.sampled_from(["tests", "", "Lint"]),
    "depends_on": st.lists(NAMES, min_size=1, max_size=2),
    "files": BAD_GLOBS,
    "exclude": BAD_GLOBS,
    "types": st.lists(st.sampled_from(["pyhton", "nope", ""]), min_size=1, max_size=2),
    "timeout": st.one_of(TOML_INT, st.sampled_from(["10s", math.inf, math.nan, 0.0, -1.5])),
    "env": st.dictionaries(st.sampled_from(["", "X=Y", "A"]), VALUES, min_size=1),
    "cwd": st.sampled_from(["..", "/", "missing", "README", "sub/../..", "\0"]),
    "hooks": st.lists(st.sampled_from(["push", "commit", ""]), min_size=1),
    "stage_fixed": st.booleans(),
    "cache": st.sampled_from(["always", 1, "per_file"]),
    "cache_inputs": BAD_GLOBS,
}


@st.composite
def task_tables(draw: st.DrawFn, earlier: dict[str, str], broken: bool) -> dict[str, Any]:
    stage = draw(st.sampled_from(STAGES))
    good = _good(stage, earlier)
    table: dict[str, Any] = {"cmd": draw(GOOD_COMMANDS)}
    if draw(st.booleans()):
        table["stage"] = stage
    elif stage != "lint":
        stage = "lint"
        good = _good(stage, earlier)
        good.pop("stage_fixed", None)
    for key in draw(st.lists(st.sampled_from(sorted(good)), max_size=5, unique=True)):
        table[key] = draw(good[key])
    if table.get("cache") == "per-file":
        table["pass_filenames"] = True
    if broken:
        # One or two wrong values, a missing cmd, an unknown key, or anything at all.
        for key in draw(st.lists(st.sampled_from(sorted(BAD)), min_size=1, max_size=2)):
            table[key] = draw(st.one_of(BAD[key], VALUES))
        if draw(rarely(10)):
            del table["cmd"]
        if draw(rarely(10)):
            table[draw(st.sampled_from(["comand", "stgae", "dependson", "x"]))] = draw(VALUES)
    final = table.get("stage", "lint")
    return {"table": table, "stage": final if final in STAGES else "lint"}


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    broken = draw(st.booleans())
    names = draw(st.lists(NAMES if broken else GOOD_NAMES, max_size=4, unique=True))
    top: dict[str, Any] = {}
    shapes: dict[str, st.SearchStrategy[Any]] = {
        "jobs": st.integers(1, 8),
        "fail_fast": st.booleans(),
        "timeout": st.floats(min_value=0.5, max_value=5),
        "tests_wait_for_lint": st.booleans(),
    }
    for key in draw(st.lists(st.sampled_from(sorted(shapes)), max_size=3, unique=True)):
        top[key] = draw(shapes[key])
    tasks: dict[str, Any] = {}
    earlier: dict[str, str] = {}
    # A broken file has its mistake in one task, or at the top.
    culprit = draw(st.integers(0, len(names))) if broken else -1
    for i, name in enumerate(names):
        drawn = draw(task_tables(earlier, broken=i == culprit))
        tasks[name] = drawn["table"]
        earlier[name] = drawn["stage"]
    top["tasks"] = tasks
    if culprit == len(names):
        choice = draw(st.integers(0, 3))
        if choice == 0:
            top["tasks"] = draw(VALUES)
        elif choice == 1:
            top[draw(st.sampled_from(["unknown_key", "job", "fail-fast"]))] = draw(VALUES)
        else:
            top[draw(st.sampled_from(sorted(shapes)))] = draw(
                st.one_of(VALUES, TOML_INT, st.sampled_from([0, -1, "5", math.nan]))
            )
    return top


def _toml_string(text: str) -> str:
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif char < " " or char == "\x7f":
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def _toml_key(key: str) -> str:
    return _toml_string(key)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, (int, datetime.date)):
        return str(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{_toml_key(k)} = {_toml(v)}" for k, v in value.items()) + "}"


def render(config: dict[str, Any]) -> str:
    lines = ["[tool.paratools]"]
    tasks = config["tasks"]
    lines += [f"{_toml_key(k)} = {_toml(v)}" for k, v in config.items() if k != "tasks"]
    if not isinstance(tasks, dict) or not all(isinstance(t, dict) for t in tasks.values()):
        lines.append(f"tasks = {_toml(tasks)}")
        return "\n".join(lines) + "\n"
    for name, table in tasks.items():
        lines.append(f"[tool.paratools.tasks.{_toml_key(name)}]")
        lines += [f"{_toml_key(k)} = {_toml(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


@st.composite
def documents(draw: st.DrawFn) -> str:
    text = render(draw(configs()))
    if draw(rarely(10)):
        # Broken TOML: a cut, or a stray character somewhere.
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at]
        else:
            text = text[:at] + draw(st.sampled_from(list("[]{}=\"'\n,#\\"))) + text[at:]
    return text


COMMAND_LINES = [
    ["run"],
    ["run", "--all-files"],
    ["run", "--all-files", "--no-fail-fast", "-j", "2"],
    ["run", "--all-files", "--dry-run"],
    ["list"],
    ["list", "--format", "json"],
    ["list", "--format", "dot"],
    ["list", "--format", "mermaid"],
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One repository for every example: a staged file, unstaged work, a subdirectory."""
    repo = tmp_path_factory.mktemp("generated") / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "sub").mkdir()
    (repo / "sub" / "a.py").write_text("a = 1\n")
    (repo / "README").write_text("hello\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    (repo / "sub" / "a.py").write_text("a = 2\n")
    git(repo, "add", "-A")
    (repo / "README").write_text("unstaged\n")
    saved = os.getcwd()
    os.chdir(repo)
    try:
        yield repo
    finally:
        os.chdir(saved)


@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=documents(), args=st.sampled_from(COMMAND_LINES))
def test_generated_configs_never_crash(project: Path, document: str, args: list[str]) -> None:
    (project / "pyproject.toml").write_text(document, encoding="utf-8")
    result = CliRunner().invoke(cli, args)
    shown = f"{args}\n{document}\n---\n{result.output}"
    event(f"exit {result.exit_code}")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(shown) from result.exception
    assert result.exit_code in (0, 1, 2), shown
    assert "Traceback" not in result.output, shown
    if result.exit_code == 2:
        # Every argument is valid: only the file can be wrong, and the
        # message is one line that names it.
        assert result.stderr.startswith("pyproject.toml: "), shown
        assert result.stderr.count("\n") == 1, shown
    assert (project / "README").read_text() == "unstaged\n"
    assert git(project, "diff", "--cached", "--name-only") == "sub/a.py\n"


def test_a_huge_jobs_value_is_not_a_huge_allocation(repo: Path) -> None:
    write_config(repo, f'jobs = {2**63 - 1}\n[tasks.a]\ncmd = "true"\nalways_run = true\n')
    proc = hookrunner(repo, "--all-files")
    assert proc.returncode == 0, proc.stderr
    proc = hookrunner(repo, "--all-files", "-j", str(2**63 - 1))
    assert proc.returncode == 0, proc.stderr


def test_a_timeout_too_large_for_a_float_is_a_config_error(repo: Path) -> None:
    write_config(repo, f'[tasks.a]\ncmd = "true"\ntimeout = {10**400}\n', commit=False)
    proc = hookrunner(repo, "--all-files")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2
    assert proc.stderr.startswith("pyproject.toml: tool.paratools.tasks.a.timeout: ")


# -- file names -----------------------------------------------------------------

ODD_NAMES = [
    "with space.py",
    "-leading-dash.py",
    "--help.py",
    "ünïcödé ñame.py",
    "日本語.py",
    "quote'single.py",
    'quote"double.py',
    "$(touch PWNED).py",
    "`touch PWNED`.py",
    "*.py",
    "?.py",
    "[ab].py",
    "semi;colon && touch PWNED.py",
    "pipe|touch PWNED.py",
    "back\\slash.py",
    "tab\there.py",
    "new\nline.py",
    "~tilde.py",
    "$HOME.py",
    "dir with space/nested -x.py",
]
NOT_UTF8 = b"latin-1 caf\xe9.py"

RECORDER = (
    "import json, os, sys\n"
    "out = os.environ['ARGV_OUT'] + '.' + str(os.getpid())\n"
    "json.dump([os.fsencode(a).hex() for a in sys.argv[1:]], open(out, 'w'))\n"
)


def _received(tmp_path: Path) -> list[bytes]:
    return sorted(
        bytes.fromhex(arg) for out in tmp_path.glob("argv.*") for arg in json.loads(out.read_text())
    )


@pytest.mark.parametrize("how", ["staged", "all-files", "named"])
def test_odd_file_names_reach_the_task_verbatim(repo: Path, tmp_path: Path, how: str) -> None:
    write_config(
        repo,
        f"""
[tasks.record]
cmd = {json.dumps([sys.executable, "-c", RECORDER])}
files = ["*.py"]
""",
    )
    (repo / "dir with space").mkdir()
    names = [os.fsencode(name) for name in ODD_NAMES] + [NOT_UTF8]
    for name in names:
        (repo / os.fsdecode(name)).write_bytes(b"x\n")
    git(repo, "add", "-A")
    if how != "staged":
        git(repo, "commit", "-qm", "odd names")
    args = {"staged": [], "all-files": ["--all-files"], "named": ["--", *map(os.fsdecode, names)]}
    env = {"ARGV_OUT": str(tmp_path / "argv")}
    proc = hookrunner(repo, "run", *args[how], env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _received(tmp_path) == sorted(names)
    assert not list(repo.rglob("PWNED*"))
    assert not list(tmp_path.rglob("PWNED*"))


# -- missing pieces ---------------------------------------------------------------


def test_no_pyproject_toml(repo: Path) -> None:
    proc = hookrunner(repo, "run")
    assert proc.returncode == 2
    assert proc.stderr == "pyproject.toml: file not found\n"
    proc = hookrunner(repo, "run", "--config", "missing.toml")
    assert proc.returncode == 2
    assert "missing.toml" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_pyproject_toml_without_the_table(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n')
    proc = hookrunner(repo, "run")
    assert proc.returncode in (0, 2), proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "args", [["run"], ["--all-files"], ["list"], ["install"], ["uninstall"]], ids=" ".join
)
def test_outside_a_git_repository(tmp_path: Path, args: list[str]) -> None:
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    (outside / "pyproject.toml").write_text('[tool.paratools.tasks.a]\ncmd = "true"\n')
    # GIT_CEILING_DIRECTORIES keeps git from finding a repository above tmp.
    proc = hookrunner(outside, *args, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert proc.returncode == 2
    assert proc.stderr == "not a git repository (run hookrunner inside one)\n"


def test_a_repository_with_no_commits_yet(tmp_path: Path) -> None:
    repo = tmp_path / "fresh"
    repo.mkdir()
    git(repo, "init", "-q")
    out = tmp_path / "seen"
    write_config(
        repo,
        f"""
[tasks.show]
cmd = ["sh", "-c", "cat \\"$@\\" > {out}", "show"]
files = ["*.txt"]
""",
        commit=False,
    )
    (repo / "a.txt").write_text("staged\n")
    git(repo, "add", "-A")
    (repo / "a.txt").write_text("staged\nunstaged\n")
    (repo / "b.txt").write_text("intent to add\n")
    git(repo, "add", "--intent-to-add", "b.txt")
    status = git(repo, "status", "--porcelain")
    proc = hookrunner(repo, "run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.read_text() == "staged\n"
    assert (repo / "a.txt").read_text() == "staged\nunstaged\n"
    assert git(repo, "status", "--porcelain") == status
    proc = hookrunner(repo, "run", "--all-files")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = hookrunner(repo, "run", "--from-ref", "HEAD~1", "--to-ref", "HEAD")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
