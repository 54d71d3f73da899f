"""Read the common ``hookrunner run`` command lines without importing click.

A git hook runs on every commit, and click costs about a fifth of a no-op
run's time to import. The command lines that hooks, pre-commit and people
type every day are read here; anything else (help, ``--version``, other
subcommands, combined short flags, a value that looks like an option, any
mistake) returns None and click reads it, so its messages and exit codes
stay the only ones. ``tests/argv_test.py`` checks that both read every
command line this module accepts the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from hookrunner.cli.options import RunOptions

SUBCOMMANDS = frozenset({"run", "list", "install", "uninstall", "init", "cache"})

_FLAGS = {
    "-a": ("all_files", True),
    "--all-files": ("all_files", True),
    "--fail-fast": ("fail_fast", True),
    "--no-fail-fast": ("fail_fast", False),
    "-v": ("verbose", True),
    "--verbose": ("verbose", True),
    "-q": ("quiet", True),
    "--quiet": ("quiet", True),
    "--dry-run": ("dry_run", True),
    "--no-cache": ("no_cache", True),
}
_VALUES = {
    "--hook": "hook",
    "--from-ref": "from_ref",
    "--to-ref": "to_ref",
    "-j": "jobs",
    "--jobs": "jobs",
    "--json": "json_path",
    "--trace": "trace_path",
    "--color": "color",
    "--config": "config_path",
}
_MULTIPLE = {"--only": "only", "--skip": "skip", "--stage": "stages"}
_CHOICES = {
    "hook": ("pre-commit", "pre-push", "manual"),
    "color": ("auto", "always", "never"),
    "stages": ("format", "lint", "test"),
}


def parse_run(args: Sequence[str]) -> RunOptions | None:
    """The options of a plain ``hookrunner [run] ...`` line, or None for click."""
    args = list(args)
    if args and args[0] == "run":
        args = args[1:]
    elif args and args[0] in SUBCOMMANDS:
        return None
    values: dict[str, object] = {}
    lists: dict[str, list[str]] = {"only": [], "skip": [], "stages": []}
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
        if name in _FLAGS and not eq:
            key, flag = _FLAGS[name]
            values[key] = flag
            continue
        if name not in _VALUES and name not in _MULTIPLE:
            return None
        if eq:
            value = inline
        elif i < len(args) and (args[i] == "-" or not args[i].startswith("-")):
            value = args[i]
            i += 1
        else:
            return None
        key = _VALUES.get(name) or _MULTIPLE[name]
        if key in _CHOICES and value not in _CHOICES[key]:
            return None
        if key == "jobs":
            if not value.isdigit() or int(value) < 1:
                return None
            values[key] = int(value)
        elif key in lists:
            lists[key].append(value)
        else:
            values[key] = value
    return RunOptions(
        files=tuple(files),
        only=tuple(lists["only"]),
        skip=tuple(lists["skip"]),
        stages=tuple(lists["stages"]),
        **values,  # type: ignore[arg-type]
    )
