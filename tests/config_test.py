from __future__ import annotations

import os
from pathlib import Path

import pytest

from hookrunner.config import load_config, parse_config
from hookrunner.errors import ConfigError
from hookrunner.hashing import digest
from hookrunner.model import DEFAULT_HOOKS, HOOKS, STAGES, Config, TaskConfig

ROOT = Path(__file__).parent.parent


def load(root: Path, text: str) -> Config:
    path = root / "pyproject.toml"
    path.write_text(text)
    return load_config(path, root, "pyproject.toml")


def error(root: Path, text: str) -> str:
    with pytest.raises(ConfigError) as excinfo:
        load(root, text)
    return str(excinfo.value)


def task_error(root: Path, body: str) -> str:
    """The error for a single task ``t`` whose table is ``cmd = "x"`` plus ``body``."""
    return error(root, f'[tool.paratools.tasks.t]\ncmd = "x"\n{body}\n')


def only_task(root: Path, body: str) -> TaskConfig:
    (task,) = load(root, f"[tool.paratools.tasks.t]\n{body}\n").tasks
    return task


# -- the file ---------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_config(tmp_path / "pyproject.toml", tmp_path, "pyproject.toml")
    assert str(excinfo.value) == "pyproject.toml: file not found"


def test_file_is_named_relative_to_cwd_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as excinfo:
        load_config(tmp_path / "sub" / "pyproject.toml", tmp_path)
    assert str(excinfo.value) == f"sub{os.sep}pyproject.toml: file not found"


def test_file_outside_cwd_is_named_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    path = tmp_path / "pyproject.toml"
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, tmp_path)
    assert str(excinfo.value) == f"{path}: file not found"


def test_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").mkdir()
    with pytest.raises(ConfigError) as excinfo:
        load_config(tmp_path / "pyproject.toml", tmp_path, "pyproject.toml")
    assert str(excinfo.value) == "pyproject.toml: cannot read file: is a directory"


def test_toml_syntax_error_keeps_line_and_column(tmp_path: Path) -> None:
    message = error(tmp_path, '[tool.paratools]\njobs = 4\ntimeout = "10s\n')
    assert message.startswith("pyproject.toml: invalid TOML: ")
    assert message.endswith("(at line 3, column 15)")
    assert "\n" not in message


def test_toml_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(b"[tool.paratools]\n# caf\xe9\n")
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, tmp_path, "pyproject.toml")
    assert str(excinfo.value) == "pyproject.toml: invalid TOML: not UTF-8 text"


@pytest.mark.parametrize(
    "text",
    ["", "[project]\nname = 'x'\n", "[tool.ruff]\nline-length = 100\n"],
)
def test_no_paratools_table(tmp_path: Path, text: str) -> None:
    assert error(tmp_path, text) == "pyproject.toml: no [tool.paratools] table"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tool = 1\n", "tool: expected a table, got 1"),
        ('[tool]\nparatools = "on"\n', 'tool.paratools: expected a table, got "on"'),
        ("[tool.paratools]\ntasks = []\n", "tool.paratools.tasks: expected a table, got []"),
        (
            "[tool.paratools.tasks]\nruff = 'ruff check'\n",
            'tool.paratools.tasks.ruff: expected a table, got "ruff check"',
        ),
    ],
)
def test_not_a_table(tmp_path: Path, text: str, expected: str) -> None:
    assert error(tmp_path, text) == f"pyproject.toml: {expected}"


def test_the_projects_own_configuration_is_valid() -> None:
    config = load_config(ROOT / "pyproject.toml", ROOT, "pyproject.toml")
    assert config.tasks
    assert config.path == ROOT / "pyproject.toml"


# -- defaults ---------------------------------------------------------------------------


def test_zero_tasks(tmp_path: Path) -> None:
    config = load(tmp_path, "[tool.paratools]\n")
    assert config == Config(path=tmp_path / "pyproject.toml", digest=digest(b"[tool.paratools]\n"))
    assert (config.jobs, config.fail_fast, config.timeout) == (5, True, 300.0)
    assert config.tests_wait_for_lint is True
    assert load(tmp_path, "[tool.paratools.tasks]\n").tasks == ()


def test_top_level_settings(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "[tool.paratools]\njobs = 2\nfail_fast = false\ntimeout = 12.5\n"
        "tests_wait_for_lint = false\n",
    )
    assert (config.jobs, config.fail_fast, config.timeout) == (2, False, 12.5)
    assert config.tests_wait_for_lint is False


def test_task_defaults(tmp_path: Path) -> None:
    assert only_task(tmp_path, 'cmd = "ruff check"') == TaskConfig(
        name="t",
        cmd=("ruff", "check"),
        stage="lint",
        pass_filenames=True,
        cache=True,
        timeout=300.0,
        hooks=frozenset({"pre-commit", "pre-push", "manual"}),
    )


@pytest.mark.parametrize(
    ("stage", "pass_filenames", "cache"),
    [("format", True, True), ("lint", True, True), ("test", False, False)],
)
def test_defaults_by_stage(tmp_path: Path, stage: str, pass_filenames: bool, cache: bool) -> None:
    task = only_task(tmp_path, f'cmd = "x"\nstage = "{stage}"')
    assert (task.pass_filenames, task.cache) == (pass_filenames, cache)


def test_timeout_is_inherited_from_the_top_level(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "[tool.paratools]\ntimeout = 60\n"
        '[tool.paratools.tasks.a]\ncmd = "x"\n'
        '[tool.paratools.tasks.b]\ncmd = "x"\ntimeout = 900\n',
    )
    assert [task.timeout for task in config.tasks] == [60.0, 900.0]
    assert all(isinstance(task.timeout, float) for task in config.tasks)


def test_every_key(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    config = load(
        tmp_path,
        """
[tool.paratools.tasks.ruff-format]
stage = "format"
cmd = ["ruff", "format", "--config", "a b.toml"]
files = ["*.py", "*.pyi"]
exclude = ["tests/data/**"]
types = ["python", "text"]
pass_filenames = false
always_run = true
timeout = 5
env = { B = "2", A = "1" }
cwd = "./sub/"
hooks = ["pre-commit", "manual"]
priority = -3
stage_fixed = true
cache = true
cache_inputs = ["uv.lock"]
types_or = ["python", "pyi"]
exclude_types = ["executable"]

[tool.paratools.tasks.mypy]
cmd = "mypy --strict 'a b' \\"c d\\""
depends_on = ["ruff-format", "ruff-format"]
""",
    )
    assert config.tasks == (
        TaskConfig(
            name="ruff-format",
            cmd=("ruff", "format", "--config", "a b.toml"),
            stage="format",
            files=("*.py", "*.pyi"),
            exclude=("tests/data/**",),
            types=("python", "text"),
            pass_filenames=False,
            always_run=True,
            timeout=5.0,
            env=(("B", "2"), ("A", "1")),
            cwd="sub",
            hooks=frozenset({"pre-commit", "manual"}),
            priority=-3,
            stage_fixed=True,
            cache=True,
            cache_inputs=("uv.lock",),
            types_or=("python", "pyi"),
            exclude_types=("executable",),
            position=0,
        ),
        TaskConfig(
            name="mypy",
            cmd=("mypy", "--strict", "a b", "c d"),
            depends_on=("ruff-format",),
            cache=True,
            position=1,
        ),
    )


def test_tasks_keep_declaration_order(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        '[tool.paratools.tasks.zz]\ncmd = "x"\n[tool.paratools.tasks.aa]\ncmd = "x"\n'
        '[tool.paratools.tasks.mm]\ncmd = "x"\n',
    )
    assert [(task.name, task.position) for task in config.tasks] == [
        ("zz", 0),
        ("aa", 1),
        ("mm", 2),
    ]


def test_parse_config_takes_a_parsed_document(tmp_path: Path) -> None:
    data = {"tool": {"paratools": {"jobs": 3, "tasks": {"t": {"cmd": ["x"]}}}}}
    config = parse_config(data, "pyproject.toml", tmp_path)
    assert config.path == tmp_path / "pyproject.toml"
    assert config.jobs == 3
    assert config.tasks == (TaskConfig(name="t", cmd=("x",), cache=True),)
    other = tmp_path / "other.toml"
    assert parse_config(data, "other.toml", tmp_path, other).path == other


def test_constants() -> None:
    assert STAGES == ("format", "lint", "test")
    assert DEFAULT_HOOKS == ("pre-commit", "pre-push", "manual")
    assert set(DEFAULT_HOOKS) < set(HOOKS)
    assert HOOKS[-1] == "manual"


# -- unknown keys -----------------------------------------------------------------------


def test_unknown_top_level_key_with_suggestion(tmp_path: Path) -> None:
    assert (
        error(tmp_path, "[tool.paratools]\njob = 4\n")
        == "pyproject.toml: tool.paratools.job: unknown key (did you mean 'jobs'?)"
    )


def test_unknown_top_level_key_without_suggestion(tmp_path: Path) -> None:
    assert (
        error(tmp_path, "[tool.paratools]\ncolour = true\n")
        == "pyproject.toml: tool.paratools.colour: unknown key"
    )


def test_unknown_task_key_with_suggestion(tmp_path: Path) -> None:
    assert task_error(tmp_path, "depends = []") == (
        "pyproject.toml: tool.paratools.tasks.t.depends: unknown key (did you mean 'depends_on'?)"
    )


def test_unknown_key_is_quoted_when_toml_would_quote_it(tmp_path: Path) -> None:
    assert task_error(tmp_path, '"a.b" = 1') == (
        'pyproject.toml: tool.paratools.tasks.t."a.b": unknown key'
    )


def test_missing_cmd(tmp_path: Path) -> None:
    assert (
        error(tmp_path, '[tool.paratools.tasks.t]\nstage = "lint"\n')
        == "pyproject.toml: tool.paratools.tasks.t: missing required key 'cmd'"
    )


# -- wrong types ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('timeout = "10s"', 'timeout: expected a positive number, got "10s"'),
        ("timeout = true", "timeout: expected a positive number, got true"),
        ("timeout = 0", "timeout: expected a positive number, got 0"),
        ("timeout = -1.5", "timeout: expected a positive number, got -1.5"),
        ("timeout = nan", "timeout: expected a positive number, got nan"),
        ("timeout = inf", "timeout: expected a positive number, got inf"),
        ("timeout = 1979-05-27", "timeout: expected a positive number, got 1979-05-27"),
        ("jobs = 0", "jobs: expected a positive integer, got 0"),
        ("jobs = -2", "jobs: expected a positive integer, got -2"),
        ("jobs = true", "jobs: expected a positive integer, got true"),
        ("jobs = 2.0", "jobs: expected a positive integer, got 2.0"),
        ('jobs = "4"', 'jobs: expected a positive integer, got "4"'),
        ("jobs = { n = 4 }", "jobs: expected a positive integer, got {n = 4}"),
        ('fail_fast = "yes"', 'fail_fast: expected true or false, got "yes"'),
        ("fail_fast = 1", "fail_fast: expected true or false, got 1"),
        ("tests_wait_for_lint = 0", "tests_wait_for_lint: expected true or false, got 0"),
    ],
)
def test_top_level_types(tmp_path: Path, line: str, expected: str) -> None:
    assert error(tmp_path, f"[tool.paratools]\n{line}\n") == (
        f"pyproject.toml: tool.paratools.{expected}"
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('timeout = "10s"', 'timeout: expected a positive number, got "10s"'),
        ("timeout = false", "timeout: expected a positive number, got false"),
        ("priority = 1.5", "priority: expected an integer, got 1.5"),
        ("priority = true", "priority: expected an integer, got true"),
        ('pass_filenames = "no"', 'pass_filenames: expected true or false, got "no"'),
        ("always_run = 1", "always_run: expected true or false, got 1"),
        ("stage_fixed = []", "stage_fixed: expected true or false, got []"),
        ('depends_on = "a"', 'depends_on: expected a list of strings, got "a"'),
        ('depends_on = ["a", 1]', 'depends_on: expected a list of strings, got ["a", 1]'),
        ("files = 1", "files: expected a glob or a list of globs, got 1"),
        ("exclude = [1]", "exclude: expected a glob or a list of globs, got [1]"),
        ("cache_inputs = {}", "cache_inputs: expected a glob or a list of globs, got {}"),
        ('types = "python"', 'types: expected a list of strings, got "python"'),
        ('types_or = "python"', 'types_or: expected a list of strings, got "python"'),
        ("exclude_types = [1]", "exclude_types: expected a list of strings, got [1]"),
        ('hooks = "pre-push"', 'hooks: expected a list of strings, got "pre-push"'),
        ("cwd = 1", "cwd: expected a string, got 1"),
        ('env = ["A=1"]', 'env: expected a table, got ["A=1"]'),
        ("env = { A = 1 }", "env.A: expected a string, got 1"),
        ('env = { "A B" = true }', 'env."A B": expected a string, got true'),
        ('cache = "yes"', 'cache: expected true, false or "per-file", got "yes"'),
        ("cache = 1", 'cache: expected true, false or "per-file", got 1'),
        (
            'cache = "per-file"\npass_filenames = false',
            'cache: "per-file" needs a task that is given filenames (pass_filenames)',
        ),
    ],
)
def test_task_types(tmp_path: Path, line: str, expected: str) -> None:
    assert task_error(tmp_path, line) == f"pyproject.toml: tool.paratools.tasks.t.{expected}"


def test_long_values_are_cut_to_one_short_line(tmp_path: Path) -> None:
    message = task_error(tmp_path, "timeout = [" + ", ".join(['"xxxxxxxxxx"'] * 10) + "]")
    prefix = "pyproject.toml: tool.paratools.tasks.t.timeout: expected a positive number, got "
    assert message.startswith(prefix + '["xxxxxxxxxx", ')
    assert len(message) == len(prefix) + 60
    assert message.endswith("...")


def test_strings_are_shown_escaped(tmp_path: Path) -> None:
    assert task_error(tmp_path, 'timeout = "a\\"b\\n"') == (
        'pyproject.toml: tool.paratools.tasks.t.timeout: expected a positive number, got "a\\"b\\n"'
    )


# -- stage, hooks -----------------------------------------------------------------------


def test_unknown_stage(tmp_path: Path) -> None:
    assert task_error(tmp_path, 'stage = "build"') == (
        "pyproject.toml: tool.paratools.tasks.t.stage: "
        'expected one of "format", "lint", "test", got "build"'
    )


def test_unknown_hook(tmp_path: Path) -> None:
    assert task_error(tmp_path, 'hooks = ["pre-commit", "pre-merge"]') == (
        "pyproject.toml: tool.paratools.tasks.t.hooks: "
        'expected a git hook or "manual", got "pre-merge" (did you mean "post-merge"?)'
    )


def test_hooks_may_be_narrowed(tmp_path: Path) -> None:
    task = only_task(tmp_path, 'cmd = "x"\nhooks = ["pre-push", "pre-push"]')
    assert task.hooks == frozenset({"pre-push"})


def test_stage_fixed_only_on_format_tasks(tmp_path: Path) -> None:
    assert task_error(tmp_path, 'stage = "test"\nstage_fixed = true') == (
        "pyproject.toml: tool.paratools.tasks.t.stage_fixed: "
        'only allowed on format tasks, this one is a "test" task'
    )
    assert task_error(tmp_path, "stage_fixed = true").endswith('this one is a "lint" task')


# -- cmd --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "got"),
    [
        ('cmd = ""', '""'),
        ('cmd = "  \\t "', '"  \\t "'),
        ("cmd = []", "[]"),
        ('cmd = ["", "-x"]', '["", "-x"]'),
        ("cmd = \"''\"", "\"''\""),
    ],
)
def test_empty_cmd(tmp_path: Path, line: str, got: str) -> None:
    assert error(tmp_path, f"[tool.paratools.tasks.t]\n{line}\n") == (
        f"pyproject.toml: tool.paratools.tasks.t.cmd: expected a non-empty command, got {got}"
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('cmd = ["ruff", 1]', 'expected a list of strings, got ["ruff", 1]'),
        ("cmd = 5", "expected a string or a list of strings, got 5"),
        ('cmd = "ruff \'check"', 'cannot split "ruff \'check": no closing quotation'),
        ('cmd = "ruff \\\\"', 'cannot split "ruff \\\\": no escaped character'),
        ('cmd = ["ruff", "a\\u0000b"]', 'expected no NUL characters, got ["ruff", "a\\u0000b"]'),
    ],
)
def test_bad_cmd(tmp_path: Path, line: str, expected: str) -> None:
    assert error(tmp_path, f"[tool.paratools.tasks.t]\n{line}\n") == (
        f"pyproject.toml: tool.paratools.tasks.t.cmd: {expected}"
    )


def test_cmd_string_is_split_like_a_posix_shell_without_running_one(tmp_path: Path) -> None:
    task = only_task(tmp_path, """cmd = "sh -c 'echo $HOME; exit 1' # not a comment" """)
    assert task.cmd == ("sh", "-c", "echo $HOME; exit 1", "#", "not", "a", "comment")


# -- env --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["A=B", "", "A\\u0000"])
def test_bad_env_name(tmp_path: Path, name: str) -> None:
    assert task_error(tmp_path, f'env = {{ "{name}" = "1" }}') == (
        f'pyproject.toml: tool.paratools.tasks.t.env: invalid variable name "{name}"'
    )


def test_env_value_with_nul(tmp_path: Path) -> None:
    assert task_error(tmp_path, 'env = { A = "\\u0000" }') == (
        'pyproject.toml: tool.paratools.tasks.t.env.A: expected a string, got "\\u0000"'
    )


# -- cwd --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cwd", "expected"),
    [("", ""), (".", ""), ("./", ""), ("sub", "sub"), ("./sub//deep/", "sub/deep"), ("sub/..", "")],
)
def test_cwd_is_normalized(tmp_path: Path, cwd: str, expected: str) -> None:
    (tmp_path / "sub" / "deep").mkdir(parents=True)
    assert only_task(tmp_path, f'cmd = "x"\ncwd = "{cwd}"').cwd == expected


@pytest.mark.parametrize(
    ("cwd", "expected"),
    [
        ("/tmp", 'expected a relative path, got "/tmp"'),
        ("..", 'expected a path inside the repository, got ".."'),
        ("sub/../../x", 'expected a path inside the repository, got "sub/../../x"'),
        ("missing", 'expected an existing directory, got "missing"'),
        ("file.txt", 'expected an existing directory, got "file.txt"'),
        ("link", 'expected a path inside the repository, got "link"'),
    ],
)
def test_bad_cwd(tmp_path: Path, cwd: str, expected: str) -> None:
    root = tmp_path / "repo"
    (root / "sub").mkdir(parents=True)
    (root / "file.txt").write_text("")
    (root / "link").symlink_to(tmp_path)
    assert task_error(root, f'cwd = "{cwd}"') == (
        f"pyproject.toml: tool.paratools.tasks.t.cwd: {expected}"
    )


# -- depends_on -------------------------------------------------------------------------


def test_depends_on_a_missing_task_with_suggestion(tmp_path: Path) -> None:
    assert error(
        tmp_path,
        '[tool.paratools.tasks.ruff]\ncmd = "x"\n'
        '[tool.paratools.tasks.mypy]\ncmd = "x"\ndepends_on = ["ruf"]\n',
    ) == (
        "pyproject.toml: tool.paratools.tasks.mypy.depends_on: "
        'unknown task "ruf" (did you mean "ruff"?)'
    )


def test_depends_on_a_missing_task_never_suggests_itself(tmp_path: Path) -> None:
    assert task_error(tmp_path, 'depends_on = ["tt"]') == (
        'pyproject.toml: tool.paratools.tasks.t.depends_on: unknown task "tt"'
    )


def test_depends_on_itself(tmp_path: Path) -> None:
    assert task_error(tmp_path, 'depends_on = ["t"]') == (
        'pyproject.toml: tool.paratools.tasks.t.depends_on: task "t" depends on itself'
    )


def test_two_task_cycle(tmp_path: Path) -> None:
    assert error(
        tmp_path,
        '[tool.paratools.tasks.a]\ncmd = "x"\ndepends_on = ["b"]\n'
        '[tool.paratools.tasks.b]\ncmd = "x"\ndepends_on = ["a"]\n',
    ) == ("pyproject.toml: tool.paratools.tasks.a.depends_on: circular dependency: a -> b -> a")


def test_cycle_reads_in_dependency_order_from_the_first_declared_task(tmp_path: Path) -> None:
    assert error(
        tmp_path,
        '[tool.paratools.tasks.ok]\ncmd = "x"\n'
        '[tool.paratools.tasks.c]\ncmd = "x"\ndepends_on = ["ok", "a"]\n'
        '[tool.paratools.tasks.b]\ncmd = "x"\ndepends_on = ["c"]\n'
        '[tool.paratools.tasks.a]\ncmd = "x"\ndepends_on = ["b"]\n',
    ) == (
        "pyproject.toml: tool.paratools.tasks.c.depends_on: circular dependency: c -> a -> b -> c"
    )


def test_depends_on_a_later_stage(tmp_path: Path) -> None:
    assert error(
        tmp_path,
        '[tool.paratools.tasks.fmt]\ncmd = "x"\nstage = "format"\ndepends_on = ["pytest"]\n'
        '[tool.paratools.tasks.pytest]\ncmd = "x"\nstage = "test"\n',
    ) == (
        "pyproject.toml: tool.paratools.tasks.fmt.depends_on: a format task cannot depend on "
        '"pytest", a test task (stages run format -> lint -> test)'
    )


def test_depends_on_same_or_earlier_stage(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        '[tool.paratools.tasks.pytest]\ncmd = "x"\nstage = "test"\ndepends_on = ["fmt", "mypy"]\n'
        '[tool.paratools.tasks.mypy]\ncmd = "x"\ndepends_on = ["fmt", "ruff"]\n'
        '[tool.paratools.tasks.ruff]\ncmd = "x"\n'
        '[tool.paratools.tasks.fmt]\ncmd = "x"\nstage = "format"\n',
    )
    assert [task.depends_on for task in config.tasks] == [
        ("fmt", "mypy"),
        ("fmt", "ruff"),
        (),
        (),
    ]


# -- globs and types --------------------------------------------------------------------


@pytest.mark.parametrize("key", ["files", "exclude", "cache_inputs"])
@pytest.mark.parametrize(
    ("glob", "expected"),
    [
        ("", 'expected a non-empty glob, got ""'),
        (" ", 'expected a non-empty glob, got " "'),
        ("a\\\\", 'invalid glob "a\\\\"'),
        ("!", 'invalid glob "!"'),
        ("#notes", 'invalid glob "#notes": it matches no path'),
        ("/", 'invalid glob "/": it matches no path'),
    ],
)
def test_bad_glob(tmp_path: Path, key: str, glob: str, expected: str) -> None:
    assert task_error(tmp_path, f'{key} = ["*.py", "{glob}"]') == (
        f"pyproject.toml: tool.paratools.tasks.t.{key}: {expected}"
    )


def test_good_globs(tmp_path: Path) -> None:
    globs = ["*.py", "/setup.py", "tests/data/**", "docs/", "!docs/keep.md", "\\#x", "[ab].c"]
    task = only_task(tmp_path, f'cmd = "x"\nfiles = {globs!r}'.replace("'", '"'))
    assert task.files == tuple(globs)


def test_unknown_type_with_suggestion(tmp_path: Path) -> None:
    assert task_error(tmp_path, 'types = ["python", "pyton"]') == (
        "pyproject.toml: tool.paratools.tasks.t.types: "
        'unknown type "pyton" (did you mean "python"?)'
    )


def test_unknown_type_without_suggestion(tmp_path: Path) -> None:
    assert task_error(tmp_path, 'types = ["qqqqqq"]') == (
        'pyproject.toml: tool.paratools.tasks.t.types: unknown type "qqqqqq"'
    )


# -- task names -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a,b", "a b", "a\\tb"])
def test_task_name_without_commas_or_whitespace(tmp_path: Path, name: str) -> None:
    assert error(tmp_path, f'[tool.paratools.tasks."{name}"]\ncmd = "x"\n') == (
        "pyproject.toml: tool.paratools.tasks: "
        f'expected a task name without commas or whitespace, got "{name}"'
    )


def test_empty_task_name(tmp_path: Path) -> None:
    assert error(tmp_path, '[tool.paratools.tasks.""]\ncmd = "x"\n') == (
        'pyproject.toml: tool.paratools.tasks: expected a task name, got ""'
    )


def test_any_other_toml_key_is_a_task_name(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        '[tool.paratools.tasks."my.task/ü"]\ncmd = "x"\n[tool.paratools.tasks.2]\ncmd = "x"\n',
    )
    assert [task.name for task in config.tasks] == ["my.task/ü", "2"]


def test_task_names_are_quoted_in_key_paths(tmp_path: Path) -> None:
    assert error(tmp_path, '[tool.paratools.tasks."my.task"]\ncmd = "x"\ntimeout = "10s"\n') == (
        'pyproject.toml: tool.paratools.tasks."my.task".timeout: '
        'expected a positive number, got "10s"'
    )
