"""The values a configuration may hold, checked one by one, and how an error
message names a key and shows a value: one line that names the file and the
key path, for config.py, the workspace and the pre-commit adapter alike."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from hookrunner.errors import ConfigError
from hookrunner.model import HOOKS


def table(value: object, file: str, at: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(file, at, f"expected a table, got {show(value)}")
    return value


def boolean(value: object, file: str, at: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(file, at, f"expected true or false, got {show(value)}")
    return value


def integer(value: object, file: str, at: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(file, at, f"expected an integer, got {show(value)}")
    return value


def positive_int(value: object, file: str, at: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(file, at, f"expected a positive integer, got {show(value)}")
    return value


def timeout(value: object, file: str, at: str) -> float:
    # bool is an int subclass; nan, inf and integers too large for a float
    # (float() would raise OverflowError) fail the range test
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or not 0 < value <= sys.float_info.max
    ):
        raise ConfigError(file, at, f"expected a positive number, got {show(value)}")
    return float(value)


def strings(value: object, file: str, at: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(file, at, f"expected a list of strings, got {show(value)}")
    return value


def hooks(value: object, file: str, at: str) -> frozenset[str]:
    hooks = strings(value, file, at)
    for hook in hooks:
        if hook not in HOOKS:
            raise ConfigError(
                file,
                at,
                f'expected a git hook or "manual", got {show(hook)}{suggest(hook, HOOKS, show)}',
            )
    return frozenset(hooks)


def suggest(word: str, choices: Iterable[str], show: Callable[[str], str]) -> str:
    # difflib is imported only on this error path, never on a good run
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {show(close[0])}?)" if close else ""


def quote_key(key: str) -> str:
    return f"'{key}'"


def one_of(choices: Iterable[str]) -> str:
    return "one of " + ", ".join(show(choice) for choice in choices)


def key(name: str) -> str:
    """A key as TOML spells it: bare when it can be, quoted otherwise."""
    bare = name.replace("-", "").replace("_", "")
    return name if bare.isascii() and bare.isalnum() else quote(name)


def quote(text: str) -> str:
    import json  # only for unusual task names and in error messages

    return json.dumps(text, ensure_ascii=False)


def show(value: object) -> str:
    """A value as TOML would write it, cut short to keep the message on one line."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = quote(value)
    elif isinstance(value, list):
        text = "[" + ", ".join(show(item) for item in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{key(k)} = {show(v)}" for k, v in value.items()) + "}"
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def lower(message: str) -> str:
    return message[:1].lower() + message[1:]


def display(path: Path) -> str:
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
