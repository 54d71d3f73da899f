"""The ``hookrunner`` command: a thin click layer over the library.

Known errors become one line on stderr and exit code 2; SIGINT and SIGTERM
become 130 and 143 after every child is stopped and the user's work is back.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from hookrunner import __version__
from hookrunner.cli.options import RUN_OPTIONS, Option, RunOptions
from hookrunner.errors import HookrunnerError
from hookrunner.model import GIT_HOOKS


class _UserError(click.ClickException):
    """A known problem: its one line as is (it names the file and key), exit 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True)


class _DefaultRun(click.Group):
    """``hookrunner [ARGS]`` with no subcommand means ``hookrunner run [ARGS]``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        help_or_version = {"--help", "-h", "--version"}
        if not args or (args[0] not in self.commands and args[0] not in help_or_version):
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HookrunnerError as exc:
            raise _UserError(str(exc)) from None


@click.group(cls=_DefaultRun, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hookrunner")
def cli() -> None:
    """Run format, lint and test checks from [tool.paratools] concurrently."""


def main(args: Sequence[str]) -> None:
    """Read ``args`` with click and run what they ask for (see hookrunner.cli.main)."""
    try:
        code = cli.main(args=list(args), prog_name="hookrunner", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        # click turns Ctrl-C into Abort; the exit code stays the shell's 130.
        raise KeyboardInterrupt from None
    sys.exit(code if isinstance(code, int) else 0)


# -- run ---------------------------------------------------------------------


def _click_option(option: Option) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The click form of one row of the option table."""
    declared = [*option.flags, option.field]
    if option.kind == "switch":
        declared = ["/".join([*option.flags, *option.off]), option.field]
        return click.option(*declared, default=None, help=option.help)
    if option.kind == "flag":
        return click.option(*declared, is_flag=True, help=option.help)
    kind: Any = click.Choice(option.choices) if option.choices else None
    if option.kind == "jobs":
        kind = click.IntRange(min=1)
    default = RunOptions._field_defaults[option.field]
    return click.option(
        *declared,
        type=kind,
        multiple=option.kind == "multiple",
        default=default if default is not None else None,
        metavar=option.metavar,
        help=option.help,
    )


def _run_options(func: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(RUN_OPTIONS):
        func = _click_option(option)(func)
    return func


@cli.command()
@click.argument("files", nargs=-1, type=click.Path())
@_run_options
def run(**options: Any) -> None:
    """Run the configured tasks on FILES, the staged files, or --all-files."""
    from hookrunner.cli.full import run_session

    sys.exit(run_session(RunOptions(**options)))


# -- list --------------------------------------------------------------------


@cli.command("list")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "dot", "mermaid"]), default="text"
)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file.")
def list_tasks(fmt: str, config_path: str | None) -> None:
    """Show the tasks and the graph they form."""
    from hookrunner.cli.full import load
    from hookrunner.cli.listing import render

    repo, config = load(config_path)
    from hookrunner.cache.history import load_durations

    click.echo(render(config, fmt, load_durations(repo.common_dir)), nl=False)


# -- install / uninstall -----------------------------------------------------


def _hook_types(help: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    choice = click.Choice(GIT_HOOKS)
    return click.option("--hook", "hook_types", multiple=True, type=choice, help=help)


@cli.command()
@_hook_types("Which hook to install (repeatable; default pre-commit).")
@click.option(
    "-f", "--overwrite", is_flag=True, help="Replace a foreign hook instead of keeping it."
)
def install(hook_types: tuple[str, ...], overwrite: bool) -> None:
    """Install hookrunner as the repository's git hook."""
    from hookrunner.cli import install as hooks
    from hookrunner.git.commands import find_repo

    for line in hooks.install(find_repo(), hook_types or ("pre-commit",), overwrite=overwrite):
        click.echo(line)


@cli.command()
@_hook_types("Which hook to remove (repeatable; default both).")
def uninstall(hook_types: tuple[str, ...]) -> None:
    """Remove hookrunner's git hooks and put back the ones they replaced."""
    from hookrunner.cli import install as hooks
    from hookrunner.git.commands import find_repo

    for line in hooks.uninstall(find_repo(), hook_types or GIT_HOOKS):
        click.echo(line)


# -- cache -------------------------------------------------------------------


@cli.group()
def cache() -> None:
    """The store of results that passed (under the git directory)."""


@cache.command("clear")
def cache_clear() -> None:
    """Forget every cached result."""
    from hookrunner.cache.store import DIRECTORY, Store
    from hookrunner.git.commands import find_repo

    count = Store(find_repo().common_dir / DIRECTORY).clear()
    click.echo(f"removed {count} cached result{'s' * (count != 1)}")


# -- init --------------------------------------------------------------------


@cli.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file.")
def init(config_path: str | None) -> None:
    """Write a starter [tool.paratools] table for the tools this project uses."""
    from hookrunner.cli.init import write_starters

    path = Path(config_path) if config_path else _project_root() / "pyproject.toml"
    click.echo(write_starters(path))


def _project_root() -> Path:
    from hookrunner.git.commands import find_repo

    try:
        return find_repo().root
    except HookrunnerError:
        return Path(os.getcwd())
