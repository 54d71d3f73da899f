"""The errors a user can see; the CLI maps them, once, to exit codes."""

from __future__ import annotations

# The engine's graph errors live with the graph (the engine imports nothing
# from the command line); they are re-exported here for existing imports.
from hookrunner.engine.graph import CircularDependencyError as CircularDependencyError
from hookrunner.engine.graph import MissingDependencyError as MissingDependencyError


class HookrunnerError(Exception):
    """A problem with the user's input or environment: one line, exit code 2."""


class ConfigError(HookrunnerError):
    """A mistake in the configuration file, located by file and key path."""

    def __init__(self, file: str, key: str, message: str) -> None:
        self.file = file
        self.key = key
        self.message = message
        location = f"{file}: {key}: " if key else f"{file}: "
        super().__init__(location + message)
