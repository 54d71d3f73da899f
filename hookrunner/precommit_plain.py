"""What hookrunner knows of pre-commit without its library: where a repository's
configuration is, which hooks only read files (lint tasks), and which of
hookrunner's hooks a hook's ``stages`` stand for. Every run imports this;
:mod:`hookrunner.precommit`, which drives the library, only runs that use a
pre-commit configuration.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hookrunner.hashing import config_digest
from hookrunner.model import HOOKS, Config

if TYPE_CHECKING:  # the quick path imports this module, and never pathlib
    from pathlib import Path

FILENAME = ".pre-commit-config.yaml"


def read_config(root: Path) -> bytes | None:
    """The repository's ``.pre-commit-config.yaml``, if it has one (and it can be read)."""
    try:
        return (root / FILENAME).read_bytes()
    except OSError:
        return None


def alone(root: Path, table: bytes, pre_commit: bytes) -> Config:
    """The configuration of a repository with a pre-commit configuration and no table,
    named as the quick path names it."""
    from hookrunner import precommit  # (and the library) only when one is used

    return precommit.alone(root)._replace(digest=config_digest(table, pre_commit))


READ_ONLY = frozenset(
    {
        "check-added-large-files", "check-ast", "check-builtin-literals",
        "check-case-conflict", "check-docstring-first", "check-executables-have-shebangs",
        "check-json", "check-merge-conflict", "check-shebang-scripts-are-executable",
        "check-symlinks", "check-toml", "check-vcs-permalinks", "check-xml", "check-yaml",
        "debug-statements", "destroyed-symlinks", "detect-aws-credentials",
        "detect-private-key", "forbid-new-submodules", "forbid-submodules", "no-commit-to-branch",
        "check-illegal-windows-names", "name-tests-test",
        "mypy", "flake8", "pylint", "bandit", "pyright", "pydocstyle", "pycodestyle",
        "pyflakes", "yamllint", "shellcheck", "hadolint", "actionlint", "markdownlint",
        "vulture", "check-jsonschema", "check-github-workflows", "gitleaks", "typos",
        "python-check-blanket-noqa", "python-check-blanket-type-ignore",
        "python-check-mock-methods", "python-no-eval", "python-no-log-warn",
        "python-use-type-annotations", "rst-backticks", "rst-directive-colons",
        "rst-inline-touching-normal", "text-unicode-replacement-char",
        "check-hooks-apply", "check-useless-excludes", "identity",
    }
)  # fmt: skip
"""Hooks known never to write a file: lint tasks. Any other hook may write (a
format task), except the ones :func:`read_only` recognises by their arguments."""
_WRITE_FLAGS = {
    "ruff": ("--fix", "--fix-only", "--unsafe-fixes"),
    "ruff-check": ("--fix", "--fix-only", "--unsafe-fixes"),
    "codespell": ("-w", "--write-changes"),
    "typos": ("-w", "--write-changes"),
}
"""Hooks that are read-only unless one of these arguments asks them to fix."""

_STAGE_NAMES = {"commit": "pre-commit", "push": "pre-push", "merge-commit": "pre-merge-commit"}
"""Stage names of pre-commit before 3.2."""


def read_only(hook_id: str, args: Sequence[str]) -> bool:
    flags = _WRITE_FLAGS.get(hook_id)
    if flags is not None:
        return not any(a in flags or a.startswith(tuple(f + "=" for f in flags)) for a in args)
    return hook_id in READ_ONLY


def hooks_of(stages: Sequence[str]) -> frozenset[str]:
    """hookrunner's hooks for pre-commit's stages. ``hookrunner run`` by hand is
    ``pre-commit run``: a hook of the pre-commit stage runs in it."""
    if not stages:
        return frozenset(HOOKS)
    named = {_STAGE_NAMES.get(stage, stage) for stage in stages}
    if "pre-commit" in named:
        named.add("manual")
    return frozenset(named & set(HOOKS))
