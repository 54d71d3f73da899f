"""The click-free reading of ``hookrunner run`` agrees with click's on every
command line it accepts, and hands everything else to click."""

from __future__ import annotations

import sys

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hookrunner.cli.argv import parse_run
from hookrunner.cli.commands import cli
from hookrunner.cli.options import RunOptions

# click 8.2 deprecates protected_args, and is the only way to ask it which
# subcommand a group chose without running it.
pytestmark = pytest.mark.filterwarnings("ignore:'protected_args' is deprecated")

TOKENS = [
    "run", "list", "-a", "--all-files", "--hook", "pre-commit", "pre-push", "manual", "post-merj",
    "--hook=pre-push", "--from-ref", "--to-ref", "HEAD", "-j", "--jobs", "4", "0", "-3", "x",
    "--jobs=2", "--fail-fast", "--no-fail-fast", "--only", "--skip", "--stage", "lint", "deploy",
    "--stage=test", "-v", "--verbose", "-q", "--quiet", "--json", "-", "--trace", "out.json",
    "--color", "never", "always", "--color=auto", "--config", "--dry-run", "--no-cache", "--",
    "a.py", "dir/b.py", "-x.py", "", "-h", "--help", "--version", "-av", "-j4", "--nope",
    "--json=", "--fail-fast=1", "mypy",
]  # fmt: skip


def click_reading(args: list[str]) -> RunOptions | None:
    """What click makes of ``hookrunner ARGS`` when it is a run, else None."""
    group_ctx = cli.make_context("hookrunner", list(args), resilient_parsing=False)
    name = group_ctx.protected_args[0] if group_ctx.protected_args else None
    rest = [*group_ctx.protected_args[1:], *group_ctx.args]
    if name != "run":
        return None
    command = cli.commands["run"]
    ctx = command.make_context("run", rest, parent=group_ctx)
    return RunOptions(**ctx.params)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=8))
def test_the_fast_path_reads_what_click_reads(args: list[str]) -> None:
    fast = parse_run(args)
    if fast is None:
        return
    try:
        expected = click_reading(args)
    except (click.exceptions.Exit, click.ClickException) as exc:  # pragma: no cover
        pytest.fail(f"the fast path accepted {args!r}, which click rejects: {exc}")
    assert fast == expected, args


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["run"],
        ["--hook", "pre-commit"],
        ["run", "--hook", "pre-push"],
        ["-a", "-q", "--no-cache"],
        ["run", "a.py", "b.py"],
        ["--from-ref", "HEAD~1", "--to-ref", "HEAD", "--json", "-"],
        ["--", "-odd-name.py"],
    ],
)
def test_everyday_command_lines_take_the_fast_path(args: list[str]) -> None:
    assert parse_run(args) is not None
    assert parse_run(args) == click_reading(args)


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["list"],
        ["install", "--hook", "pre-push"],
        ["-av"],
        ["--hook", "post-merj"],
        ["-j", "0"],
        ["--only"],
        ["--only", "-x"],
        ["--fail-fast=yes"],
        ["--unknown"],
    ],
)
def test_everything_else_goes_to_click(args: list[str]) -> None:
    assert parse_run(args) is None


def test_a_run_does_not_import_click(tmp_path: object) -> None:
    import subprocess

    code = (
        "import sys\n"
        "from hookrunner.cli.main import main\n"
        "try:\n"
        "    main(['--dry-run', '--config', 'nope.toml'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('click' in sys.modules, 'ssl' in sys.modules and sys.modules['ssl'] is not None)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=str(tmp_path)
    )
    assert out.stdout.split() == ["False", "False"]
