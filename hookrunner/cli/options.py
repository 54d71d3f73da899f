"""What a ``hookrunner run`` can be asked, in one table that both argument
parsers read: the fast one (:mod:`hookrunner.cli.argv`) and click's
(:mod:`hookrunner.cli.commands`)."""

# No ``from __future__ import annotations`` here: typing.NamedTuple turns each
# string annotation into a ForwardRef by compiling it, which costs every run
# (a git hook) about a millisecond per few records; real annotations cost nothing.

from typing import NamedTuple

from hookrunner.model import HOOKS, STAGES


class RunOptions(NamedTuple):
    files: tuple[str, ...] = ()
    all_files: bool = False
    hook: str | None = None
    hook_args: tuple[str, ...] = ()
    commit_msg_filename: str | None = None
    from_ref: str | None = None
    to_ref: str | None = None
    jobs: int | None = None
    fail_fast: bool | None = None
    optimistic: bool | None = None
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    verbose: bool = False
    quiet: bool = False
    json_path: str | None = None
    trace_path: str | None = None
    junit_path: str | None = None
    show_diff_on_failure: bool = False
    color: str = "auto"
    config_path: str | None = None
    dry_run: bool = False
    no_cache: bool = False
    project: str | None = None


class Option(NamedTuple):
    """One ``hookrunner run`` option and the :class:`RunOptions` field it sets."""

    field: str
    flags: tuple[str, ...]
    kind: str
    """``flag`` (sets True), ``switch`` (``off`` flags set False), ``value``,
    ``jobs`` (a whole number from 1) or ``multiple`` (repeatable)."""
    help: str
    choices: tuple[str, ...] = ()
    off: tuple[str, ...] = ()
    metavar: str | None = None


COLORS = ("auto", "always", "never")

RUN_OPTIONS = (
    Option("all_files", ("-a", "--all-files"), "flag", "Run on every tracked file."),
    Option("hook", ("--hook",), "value", "Which git hook this run is.", HOOKS),
    Option(
        "hook_args", ("--hook-arg",), "multiple", "An argument git gave the hook (repeatable).",
        metavar="ARG",
    ),
    Option(
        "commit_msg_filename", ("--commit-msg-filename",), "value",
        "For --hook commit-msg: the file holding the message.", metavar="PATH",
    ),
    Option("from_ref", ("--from-ref",), "value", "With --to-ref: the files changed between them."),
    Option("to_ref", ("--to-ref",), "value", "With --from-ref: the files changed between them."),
    Option("jobs", ("-j", "--jobs"), "jobs", "Most tasks running at once."),
    Option(
        "fail_fast", ("--fail-fast",), "switch", "Stop at the first failure.",
        off=("--no-fail-fast",),
    ),
    Option(
        "optimistic", ("--optimistic",), "switch",
        "Start later stages early on idle slots (their work counts only if it still holds).",
        off=("--no-optimistic",),
    ),
    Option("only", ("--only",), "multiple", "Run only this task (repeatable).", metavar="NAME"),
    Option("skip", ("--skip",), "multiple", "Skip this task (repeatable).", metavar="NAME"),
    Option("stages", ("--stage",), "multiple", "Only this stage (repeatable).", STAGES),
    Option("verbose", ("-v", "--verbose"), "flag", "Show every task's output."),
    Option("quiet", ("-q", "--quiet"), "flag", "Show only problems and the summary."),
    Option(
        "json_path", ("--json",), "value", "Write a JSON report (- for stdout).", metavar="PATH"
    ),
    Option("trace_path", ("--trace",), "value", "Write a Chrome trace file.", metavar="PATH"),
    Option("junit_path", ("--junit",), "value", "Write a JUnit XML report.", metavar="PATH"),
    Option(
        "show_diff_on_failure", ("--show-diff-on-failure",), "flag",
        "When the run fails, show what the tasks changed (git diff).",
    ),
    Option("color", ("--color",), "value", "Color the output.", COLORS),
    Option("config_path", ("--config",), "value", "Config file.", metavar="PATH"),
    Option("dry_run", ("--dry-run",), "flag", "Show what would run, and why tasks are skipped."),
    Option("no_cache", ("--no-cache",), "flag", "Run every task, even on content that passed."),
    Option(
        "project", ("--project",), "value", "Only the workspace projects in this folder.",
        metavar="DIR",
    ),
)  # fmt: skip
