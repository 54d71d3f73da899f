"""The errors a user can see; the CLI maps them, once, to exit codes."""

from __future__ import annotations


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


class CircularDependencyError(ValueError):
    """The task graph has a cycle; the message shows it as ``a -> b -> a``."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__("circular dependency: " + " -> ".join(cycle))


class MissingDependencyError(ValueError):
    """A task depends on a task that does not exist."""

    def __init__(self, task: str, missing: str) -> None:
        self.task = task
        self.missing = missing
        super().__init__(f"task {task!r} depends on unknown task {missing!r}")
