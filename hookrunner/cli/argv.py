"""Read the common ``hookrunner run`` command lines without importing click.

A git hook runs on every commit, and click costs about a fifth of a no-op
run's time to import. The command lines that hooks, pre-commit and people
type every day are read here, from the same option table click's parser is
built from (:data:`hookrunner.cli.options.RUN_OPTIONS`); anything else (help,
``--version``, other subcommands, combined short flags, a value that looks
like an option, any mistake) returns None and click reads it, so its
messages and exit codes stay the only ones. ``tests/argv_test.py`` checks
that both read every command line this module accepts the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from hookrunner.cli.options import RUN_OPTIONS, Option, RunOptions

SUBCOMMANDS = frozenset({"run", "list", "install", "uninstall", "init", "cache"})

_BY_FLAG: dict[str, tuple[Option, bool]] = {
    **{flag: (option, True) for option in RUN_OPTIONS for flag in option.flags},
    **{flag: (option, False) for option in RUN_OPTIONS for flag in option.off},
}


class _Unread(Exception):
    """This command line is click's to read."""


def _value(option: Option, value: str) -> object:
    if option.choices and value not in option.choices:
        raise _Unread
    if option.kind == "jobs":
        if not value.isdigit() or int(value) < 1:
            raise _Unread
        return int(value)
    return value


def _read(args: list[str]) -> RunOptions:
    values: dict[str, object] = {}
    lists: dict[str, list[str]] = {o.field: [] for o in RUN_OPTIONS if o.kind == "multiple"}
    files: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            files.extend(args[i:])
            break
        if not arg.startswith("-") or arg == "-":
            files.append(arg)
            continue
        name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        option, on = _BY_FLAG.get(name) or (None, True)
        if option is None:
            raise _Unread
        if option.kind in ("flag", "switch"):
            if eq:
                raise _Unread
            values[option.field] = on
            continue
        if eq:
            value = inline
        elif i < len(args) and (args[i] == "-" or not args[i].startswith("-")):
            value = args[i]
            i += 1
        else:
            raise _Unread
        if option.kind == "multiple":
            lists[option.field].append(str(_value(option, value)))
        else:
            values[option.field] = _value(option, value)
    fields = {name: tuple(found) for name, found in lists.items()}
    return RunOptions(files=tuple(files), **fields, **values)  # type: ignore[arg-type]


def parse_run(args: Sequence[str]) -> RunOptions | None:
    """The options of a plain ``hookrunner [run] ...`` line, or None for click."""
    args = list(args)
    if args and args[0] == "run":
        args = args[1:]
    elif args and args[0] in SUBCOMMANDS:
        return None
    try:
        return _read(args)
    except _Unread:
        return None
