"""The errors a user can see; the CLI maps them, once, to exit codes."""

from __future__ import annotations

# The engine's own errors (a cycle, a missing dependency) live with its graph,
# hookrunner.engine.graph, and are exported by the package.


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
