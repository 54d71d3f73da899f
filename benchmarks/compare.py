#!/usr/bin/env python3
"""Wall time of hookrunner beside pre-commit, prek and lefthook, on the same workloads.

Every runner gets the same tasks in its most parallel *correct* form, keeping the
format -> lint -> test order:

  pre-commit  serial, in stage order (it has no parallel hooks)
  prek        ``priority`` = stage index, so one stage's hooks run concurrently
              (PREK_CONCURRENT_HOOKS caps how many)
  lefthook    ``piped: true`` hook of one ``parallel: true`` group per stage
  hookrunner  a ``[tool.paratools]`` table with each task's ``stage``

Runs alternate runner by runner (A B C D A B C D ...) so that a slow spell of a
shared machine hits every runner alike; the first round is a warm-up.

usage: compare.py [WORKLOAD ...] [--runs N] [--runners a,b,c] [--json PATH]
                  [--markdown] [--setup] [--venv PATH] [--source DIR] [--keep]

Only the standard library is imported here, so the script runs before ``--setup``
has installed anything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_VENV = HERE / ".venv"
STAGES = ("format", "lint", "test")
WIDE_SLOTS = 16
RUN_TIMEOUT = 600.0
SETUP_PACKAGES = (
    "pre-commit", "prek", "lefthook", "ruff", "mypy", "pytest", "codespell", "pre-commit-hooks"
)  # fmt: skip
VERSIONED = ("pre-commit", "prek", "lefthook", "hookrunner", "ruff", "mypy", "pytest")
RUNNERS = ("pre-commit", "prek", "lefthook", "hookrunner")
# A variant reuses its base runner's executable with another config.
TESTS_BESIDE_LINT = "hookrunner-tbl"
CACHED = "hookrunner-cached"
LABELS = {TESTS_BESIDE_LINT: "hookrunner (tests beside lint)", CACHED: "hookrunner (cached)"}
VARIANTS = (TESTS_BESIDE_LINT, CACHED)
PYTEST_SUBSET = ("tests/graph_test.py", "tests/xargs_test.py")
STAGED_PREFERRED = (
    "hookrunner/engine/graph.py", "hookrunner/engine/xargs.py", "tests/graph_test.py"
)  # fmt: skip
STAGED_COUNT = 3
WORKSPACE_MEMBERS = 4
WORKSPACE_RUNNERS = ("prek", "hookrunner")
"""The runners with a workspace mode (pre-commit and lefthook have none)."""


@dataclass(frozen=True)
class Task:
    name: str
    stage: str
    cmd: str
    seconds: float = 0.0  # known duration of a sleep task; 0 for real tools
    pass_filenames: bool = False


@dataclass(frozen=True)
class Workload:
    name: str
    about: str
    tasks: tuple[Task, ...]
    slots: int = WIDE_SLOTS
    realistic: bool = False
    notes: Mapping[str, str] = field(default_factory=dict)
    members: int = 0
    """A workspace of this many member projects, each with ``tasks`` (and a root
    project with none): run by prek's workspace mode and hookrunner's."""
    shared: str = ""
    """A .pre-commit-config.yaml every runner takes as it is (hookrunner without a table)."""

    def bound(self) -> float | None:
        """Critical path: per stage, the longest task or the stage's work spread over the slots."""
        if self.realistic:
            return None
        total = 0.0
        for stage in STAGES:
            durs = [t.seconds for t in self.tasks if t.stage == stage]
            if durs:
                total += max(max(durs), sum(durs) / self.slots)
        return total


@dataclass(frozen=True)
class Case:
    """One measured row: a workload, and for ``realistic`` which files the run sees."""

    workload: Workload
    staged: bool = False
    push: bool = False
    """Time a pre-push run on the commit that a pre-commit run has just checked."""

    @property
    def key(self) -> str:
        if self.workload.members:
            return f"{self.workload.name}-{'staged' if self.staged else 'all'}"
        if not self.workload.realistic:
            return self.workload.name
        mode = "push" if self.push else "staged" if self.staged else "all"
        return f"{self.workload.name}-{mode}"

    @property
    def title(self) -> str:
        if self.workload.members:
            mode = "one member's file staged" if self.staged else "--all-files"
            return f"{self.workload.name} ({mode})"
        if not self.workload.realistic:
            return self.workload.name
        if self.push:
            mode = f"pre-push of a commit of {STAGED_COUNT} files"
        else:
            mode = f"{STAGED_COUNT} staged files" if self.staged else "--all-files"
        return f"{self.workload.name} ({mode})"


@dataclass
class Result:
    runner: str
    times: list[float] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)
    note: str = ""
    failure: str = ""  # output of the first run that exited non-zero

    @property
    def label(self) -> str:
        return LABELS.get(self.runner, self.runner)

    @property
    def ok(self) -> bool:
        return all(code == 0 for code in self.codes)

    def median(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")


def _sleeps(spec: Sequence[tuple[str, str, float]]) -> tuple[Task, ...]:
    return tuple(Task(name, stage, f"sleep {secs}", secs) for name, stage, secs in spec)


def _realistic_tasks() -> tuple[Task, ...]:
    # addopts is emptied because the project's own adds --cov, which needs pytest-cov.
    pytest_cmd = " ".join(["pytest -q -p no:cacheprovider -o addopts=", *PYTEST_SUBSET])
    return (
        Task("ruff-format", "format", "ruff format", pass_filenames=True),
        Task("ruff-check", "lint", "ruff check", pass_filenames=True),
        # The tests misspell on purpose (codespell reads the files it is given).
        Task("codespell", "lint", "codespell --skip=tests/*", pass_filenames=True),
        Task("check-ast", "lint", "check-ast", pass_filenames=True),
        Task("mypy", "lint", "mypy hookrunner"),
        Task("pytest", "test", pytest_cmd),
    )


def _common_hooks() -> str:
    """pre-commit-hooks' common hooks, ruff and codespell, each a ``repo: local`` python
    hook whose environment the runner installs (before the timed rounds)."""
    hooks = [
        ("trailing-whitespace", "trailing-whitespace-fixer", "text", "pre-commit-hooks"),
        ("end-of-file-fixer", "end-of-file-fixer", "text", "pre-commit-hooks"),
        ("check-yaml", "check-yaml", "yaml", "pre-commit-hooks"),
        ("check-toml", "check-toml", "toml", "pre-commit-hooks"),
        ("check-ast", "check-ast", "python", "pre-commit-hooks"),
        ("debug-statements", "debug-statement-hook", "python", "pre-commit-hooks"),
        ("check-merge-conflict", "check-merge-conflict", "text", "pre-commit-hooks"),
        ("check-added-large-files", "check-added-large-files", "file", "pre-commit-hooks"),
        ("ruff-check", "ruff check", "python", "ruff"),
        ("ruff-format", "ruff format", "python", "ruff"),
        ("codespell", "codespell", "text", "codespell"),
    ]
    lines = ["repos:", "- repo: local", "  hooks:"]
    for hook, entry, kind, package in hooks:
        # The tests misspell on purpose.
        extra = ["exclude: ^tests/"] if hook == "codespell" else []
        lines += _local_hook(hook, entry, kind, package, extra)
    return "\n".join(lines) + "\n"


def _local_hook(hook: str, entry: str, kind: str, package: str, extra: list[str]) -> list[str]:
    """One ``repo: local`` python hook's lines, its ``additional_dependencies`` last."""
    return [
        f"  - id: {hook}",
        f"    name: {hook}",
        f"    entry: {entry}",
        "    language: python",
        f"    types: [{kind}]",
        *(f"    {line}" for line in extra),
        f"    additional_dependencies: [{package}]",
    ]


def _chain_hooks() -> str:
    """click's formatters as ``repo: local`` python hooks: ruff --fix and ruff format
    (require_serial, as ruff-pre-commit has them), then pre-commit-hooks' fixers, six
    writers over the same files, which run one after another unless split."""
    hooks = [
        ("ruff", "ruff check --force-exclude --fix", "python", "ruff", True),
        ("ruff-format", "ruff format --force-exclude", "python", "ruff", True),
        ("fix-byte-order-marker", "fix-byte-order-marker", "text", "pre-commit-hooks", False),
        ("trailing-whitespace", "trailing-whitespace-fixer", "text", "pre-commit-hooks", False),
        ("end-of-file-fixer", "end-of-file-fixer", "text", "pre-commit-hooks", False),
        ("mixed-line-ending", "mixed-line-ending", "text", "pre-commit-hooks", False),
    ]
    lines = ["repos:", "- repo: local", "  hooks:"]
    for hook, entry, kind, package, serial in hooks:
        serial_line = f"require_serial: {'true' if serial else 'false'}"
        lines += _local_hook(hook, entry, kind, package, [serial_line])
    return "\n".join(lines) + "\n"


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            "overhead",
            "5 no-op `true` tasks: the runner's fixed overhead",
            tuple(Task(f"t{i}", "lint", "true") for i in range(5)),
        ),
        Workload(
            "seed6",
            "6 independent `sleep 0.25` tasks: bound 0.25 s",
            _sleeps([(f"s{i}", "lint", 0.25) for i in range(6)]),
        ),
        Workload(
            "staged",
            "format 0.2 s, three lint 0.3 s, test 0.5 s: bound 1.0 s",
            _sleeps(
                [
                    ("fmt", "format", 0.2),
                    ("l1", "lint", 0.3),
                    ("l2", "lint", 0.3),
                    ("l3", "lint", 0.3),
                    ("test", "test", 0.5),
                ]
            ),
        ),
        Workload(
            "wide",
            "12 lint tasks of 0.2 s: bound 0.2 s",
            _sleeps([(f"w{i}", "lint", 0.2) for i in range(12)]),
        ),
        Workload(
            "order",
            "2 slots; five 0.2 s tasks, then one 1.0 s task declared last: bound 1.0 s"
            " when the long task starts first",
            _sleeps([*[(f"short{i}", "lint", 0.2) for i in range(5)], ("long", "lint", 1.0)]),
            slots=2,
            notes={
                "pre-commit": "serial: no concurrency",
                "prek": "PREK_CONCURRENT_HOOKS=2",
                "lefthook": "has no concurrency limit: all 6 tasks run at once (not 2 slots)",
                "hookrunner": "jobs = 2, duration history from an earlier run",
            },
        ),
        Workload(
            "workspace",
            "4 member projects, each format 0.2 s, lint 0.3 s, test 0.5 s: bound 1.0 s",
            _sleeps([("fmt", "format", 0.2), ("lint", "lint", 0.3), ("test", "test", 0.5)]),
            members=WORKSPACE_MEMBERS,
            notes={
                "prek": "workspace mode: a .pre-commit-config.yaml per member, priority = stage",
                "hookrunner": "a [tool.paratools] table per member's pyproject.toml",
            },
        ),
        Workload(
            "realistic",
            "a copy of this repository's source with ruff format, ruff check, codespell,"
            f" check-ast, mypy and pytest ({' '.join(PYTEST_SUBSET)})",
            _realistic_tasks(),
            realistic=True,
        ),
        Workload(
            "pre-commit-config",
            "one .pre-commit-config.yaml (pre-commit-hooks' common hooks, ruff and codespell"
            " as local python hooks, environments installed) on a copy of this repository",
            (),
            realistic=True,
            shared=_common_hooks(),
            notes={
                "hookrunner": "no [tool.paratools] table, --no-cache",
                CACHED: "the same, cache on: a re-run",
            },
        ),
        Workload(
            "chain",
            "six formatters over the same files (click's: ruff --fix, ruff format and four"
            " pre-commit-hooks fixers) as local python hooks on a copy of this repository",
            (),
            realistic=True,
            shared=_chain_hooks(),
            notes={
                "hookrunner": "no [tool.paratools] table, --no-cache; durations from the"
                " warm-up round decide whether a fixer is split into parts",
                CACHED: "the same, cache on: a re-run",
            },
        ),
    )
}


# -- configurations -----------------------------------------------------------


def _in_stage_order(tasks: Sequence[Task]) -> list[Task]:
    return sorted(tasks, key=lambda t: STAGES.index(t.stage))


def _yaml_str(text: str) -> str:
    # A JSON string is a valid double-quoted YAML scalar.
    return json.dumps(text)


def pre_commit_config(wl: Workload, priorities: bool) -> str:
    lines = ["repos:", "- repo: local", "  hooks:"]
    for task in _in_stage_order(wl.tasks):
        lines += [
            f"  - id: {task.name}",
            f"    name: {task.name}",
            f"    entry: {_yaml_str(task.cmd)}",
            "    language: system",
            f"    pass_filenames: {'true' if task.pass_filenames else 'false'}",
        ]
        if wl.realistic:
            lines.append("    types: [python]")
        elif not wl.members:  # a member's tasks run when it has files in the run
            lines.append("    always_run: true")
        if priorities:
            lines.append(f"    priority: {STAGES.index(task.stage)}")
    return "\n".join(lines) + "\n"


def lefthook_config(wl: Workload) -> str:
    lines = ["pre-commit:", "  piped: true", "  jobs:"]
    ordered = _in_stage_order(wl.tasks)
    for stage in STAGES:
        tasks = [t for t in ordered if t.stage == stage]
        if not tasks:
            continue
        lines += [f"    - name: {stage}", "      group:", "        parallel: true", "        jobs:"]
        for task in tasks:
            # {staged_files} becomes every tracked file under `lefthook run --all-files`.
            cmd = f"{task.cmd} {{staged_files}}" if task.pass_filenames else task.cmd
            lines += [f"          - name: {task.name}", f"            run: {_yaml_str(cmd)}"]
            if wl.realistic:
                lines.append('            glob: "*.py"')
    return "\n".join(lines) + "\n"


def paratools_table(wl: Workload, tests_wait_for_lint: bool = True, cache: bool = False) -> str:
    lines = ["[tool.paratools]", f"jobs = {wl.slots}"]
    if not tests_wait_for_lint:
        lines.append("tests_wait_for_lint = false")
    lines.append("")
    for task in _in_stage_order(wl.tasks):
        lines += [
            f"[tool.paratools.tasks.{task.name}]",
            f'stage = "{task.stage}"',
            f"cmd = {json.dumps(task.cmd)}",
            f"pass_filenames = {'true' if task.pass_filenames else 'false'}",
            # The other runners keep no result cache: every run must do the work,
            # except in the row that measures the cache itself.
            f"cache = {'true' if cache else 'false'}",
        ]
        if wl.realistic:
            lines.append('types = ["python"]')
        elif not wl.members:  # a member's tasks run when it has files in the run
            lines.append("always_run = true")
        lines.append("")
    return "\n".join(lines)


def _without_paratools(pyproject: str) -> str:
    """The project's pyproject.toml minus its own [tool.paratools] tables."""
    kept: list[str] = []
    skipping = False
    for line in pyproject.splitlines():
        header = re.match(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$", line)
        if header:
            name = header.group(1)
            skipping = name == "tool.paratools" or name.startswith("tool.paratools.")
        if not skipping:
            kept.append(line)
    return "\n".join(kept).rstrip() + "\n"


# -- the benchmark repository ---------------------------------------------------


class Bench:
    """Holds the environment every runner and every git command runs in."""

    def __init__(self, venv: Path, root: Path) -> None:
        self.venv = venv
        self.bin = venv / "bin"
        self.root = root
        gitconfig = root / "gitconfig"
        gitconfig.write_text(
            "[user]\n\tname = bench\n\temail = bench@example.invalid\n"
            "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
        )
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GIT_", "PRE_COMMIT", "PREK_", "LEFTHOOK"))
            and k not in ("SKIP", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH")
        }
        # Start-up is measured as a developer's machine sees it: bytecode is written once
        # and then reused, also for the copied sources the realistic workload imports.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(
            PATH=f"{self.bin}{os.pathsep}{env.get('PATH', '')}",
            VIRTUAL_ENV=str(venv),
            NO_COLOR="1",
            GIT_CONFIG_GLOBAL=str(gitconfig),
            GIT_CONFIG_NOSYSTEM="1",
            PRE_COMMIT_HOME=str(root / "pre-commit-home"),
            PREK_HOME=str(root / "prek-home"),
            LEFTHOOK_QUIET="meta,summary,success,execution",
        )
        self.env = env

    def git(self, repo: Path, *args: str) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=repo, env=self.env, capture_output=True, text=True, check=False
        )
        if proc.returncode:
            raise SystemExit(f"git {' '.join(args)} failed in {repo}:\n{proc.stderr}")
        return proc.stdout

    def tool(self, name: str) -> Path:
        return self.bin / name


@dataclass
class Prepared:
    """A benchmark repository and how to put it back into its measured state."""

    repo: Path
    staged_content: dict[str, bytes] = field(default_factory=dict)
    base: str = ""  # the commit every run starts from


def _copy_sources(repo: Path, source: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*_cache")
    for name in ("hookrunner", "tests"):
        shutil.copytree(source / name, repo / name, ignore=ignore)
    pyproject = (source / "pyproject.toml").read_text()
    (repo / "pyproject.toml").write_text(_without_paratools(pyproject))
    (repo / ".gitignore").write_text("__pycache__/\n.*_cache/\n")


def _prepare_workspace(bench: Bench, wl: Workload, repo: Path) -> Prepared:
    """A root project with no tasks and ``wl.members`` member projects."""
    (repo / ".pre-commit-config.yaml").write_text("repos: []\n")
    (repo / "pyproject.toml").write_text(f"[tool.paratools]\njobs = {wl.slots}\n")
    for i in range(wl.members):
        member = repo / "packages" / f"m{i}"
        member.mkdir(parents=True)
        (member / "a.py").write_text("x = 1\n")
        (member / ".pre-commit-config.yaml").write_text(pre_commit_config(wl, priorities=True))
        table = paratools_table(wl).replace(f"[tool.paratools]\njobs = {wl.slots}\n", "")
        (member / "pyproject.toml").write_text(f'[project]\nname = "m{i}"\n\n{table}')
    bench.git(repo, "add", "-A")
    bench.git(repo, "commit", "-qm", "benchmark")
    prepared = Prepared(repo, base=bench.git(repo, "rev-parse", "HEAD").strip())
    prepared.staged_content = {"packages/m0/a.py": b"x = 2\n"}
    return prepared


def prepare(bench: Bench, wl: Workload, source: Path) -> Prepared:
    repo = bench.root / wl.name
    repo.mkdir()
    bench.git(repo, "init", "-q")
    if wl.members:
        return _prepare_workspace(bench, wl, repo)
    if wl.realistic:
        _copy_sources(repo, source)
        # A source tree mid-edit may not be format-clean; every runner would then report
        # modified files and fail, so the copy starts from the formatted state.
        subprocess.run(
            [str(bench.tool("ruff")), "format", "-q", "hookrunner", "tests"],
            cwd=repo,
            env=bench.env,
            capture_output=True,
            check=False,
        )
    else:
        (repo / "a.py").write_text("x = 1\n")
    if wl.shared:
        (repo / ".pre-commit-config.yaml").write_text(wl.shared)
        (repo / "prek.yaml").write_text(wl.shared)
    else:
        (repo / ".pre-commit-config.yaml").write_text(pre_commit_config(wl, priorities=False))
        (repo / "prek.yaml").write_text(pre_commit_config(wl, priorities=True))
        (repo / "lefthook.yml").write_text(lefthook_config(wl))
        pyproject = repo / "pyproject.toml"
        head = pyproject.read_text() + "\n" if pyproject.exists() else ""
        pyproject.write_text(head + paratools_table(wl))
    if wl.realistic and not wl.shared:
        (repo / "paratools-tbl.toml").write_text(paratools_table(wl, tests_wait_for_lint=False))
        (repo / "paratools-cached.toml").write_text(paratools_table(wl, cache=True))
    bench.git(repo, "add", "-A")
    bench.git(repo, "commit", "-qm", "benchmark")
    if wl.shared:
        # The hooks' environments are installed here, and the copy starts from what
        # the fixers leave, so every timed run checks a clean tree.
        argv = [str(bench.tool("pre-commit")), "run", "--all-files"]
        subprocess.run(argv, cwd=repo, env=bench.env, capture_output=True, check=False)
        bench.git(repo, "commit", "-qam", "fixed", "--allow-empty")
    prepared = Prepared(repo, base=bench.git(repo, "rev-parse", "HEAD").strip())
    if wl.realistic:
        prepared.staged_content = _staged_edits(bench, repo)
    return prepared


def _staged_edits(bench: Bench, repo: Path) -> dict[str, bytes]:
    """Content for the staged-files mode: a small edit that no tool will want to change."""
    tracked = bench.git(repo, "ls-files", "*.py").split()
    chosen = [p for p in STAGED_PREFERRED if p in tracked]
    chosen += [p for p in tracked if p not in chosen][: STAGED_COUNT - len(chosen)]
    for path in chosen:
        with (repo / path).open("a") as f:
            f.write("\n\n# benchmark: a staged edit\n")
    # Formatting the edit once makes it format-clean, so ruff format leaves it alone.
    subprocess.run(
        [str(bench.tool("ruff")), "format", "-q", *chosen],
        cwd=repo,
        env=bench.env,
        capture_output=True,
        check=False,
    )
    content = {path: (repo / path).read_bytes() for path in chosen}
    bench.git(repo, "reset", "-q", "--hard", "HEAD")
    return content


def restore(bench: Bench, prepared: Prepared, staged: bool) -> None:
    """Put the repository back in the state every run starts from."""
    if not prepared.staged_content:
        return
    # Untracked tool caches survive: runs after the warm-up see warm caches.
    bench.git(prepared.repo, "reset", "-q", "--hard", prepared.base)
    if staged:
        for path, data in prepared.staged_content.items():
            (prepared.repo / path).write_bytes(data)
        bench.git(prepared.repo, "add", "--", *prepared.staged_content)


def runner_argv(
    bench: Bench, runner: str, staged: bool, shared: bool = False, workspace: bool = False
) -> list[str]:
    if runner == "prek" and workspace:  # no -c: a named config turns workspace mode off
        return [str(bench.tool("prek")), "run"] + ([] if staged else ["--all-files"])
    if runner == "pre-commit":
        return [str(bench.tool("pre-commit")), "run", *([] if staged else ["--all-files"])]
    if runner == "prek":
        return [str(bench.tool("prek")), "run", "-c", "prek.yaml"] + (
            [] if staged else ["--all-files"]
        )
    if runner == "lefthook":
        return [str(bench.tool("lefthook")), "run", "pre-commit"] + (
            [] if staged else ["--all-files"]
        )
    files = ["--hook", "pre-commit"] if staged else ["--all-files"]
    if shared:  # the configuration as it is; the cached variant re-runs it with the cache
        return [
            str(bench.tool("hookrunner")),
            "run",
            *files,
            *(["--no-cache"] * (runner != CACHED)),
        ]
    return [str(bench.tool("hookrunner")), "run", *files, *_config_of(runner)]


def _config_of(runner: str) -> list[str]:
    if runner == TESTS_BESIDE_LINT:
        return ["--config", "paratools-tbl.toml"]
    if runner == CACHED:
        return ["--config", "paratools-cached.toml"]
    return []


def push_argv(bench: Bench, runner: str, base: str, head: str) -> tuple[list[str], str]:
    """The pre-push check of ``base..head`` and the stdin git would give it."""
    refs = ["--from-ref", base, "--to-ref", head]
    if runner == "pre-commit":
        return [str(bench.tool("pre-commit")), "run", "--hook-stage", "pre-push", *refs], ""
    if runner == "prek":
        return [str(bench.tool("prek")), "run", "-c", "prek.yaml", *refs], ""
    argv = [str(bench.tool("hookrunner")), "run", "--hook", "pre-push", *_config_of(runner)]
    return argv, f"refs/heads/main {head} refs/heads/main {base}\n"


def _commit_then_push(
    bench: Bench, prepared: Prepared, runner: str, env: Mapping[str, str]
) -> tuple[list[str], str]:
    """Stage the edit, run the runner's own pre-commit check on it (as the commit
    would), commit, and return the pre-push invocation to time."""
    restore(bench, prepared, staged=True)
    subprocess.run(
        runner_argv(bench, runner, staged=True),
        cwd=prepared.repo,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    bench.git(prepared.repo, "commit", "-q", "--no-verify", "-m", "benchmark push")
    head = bench.git(prepared.repo, "rev-parse", "HEAD").strip()
    return push_argv(bench, runner, prepared.base, head)


def run_case(
    bench: Bench, case: Case, prepared: Prepared, runners: Sequence[str], runs: int
) -> list[Result]:
    wl = case.workload
    env = dict(bench.env, PREK_CONCURRENT_HOOKS=str(wl.slots))
    results = [Result(r, note=wl.notes.get(r, "")) for r in runners]
    for round_ in range(runs + 1):
        print(f"  {case.key}: round {round_}/{runs}", file=sys.stderr, flush=True)
        for result in results:
            stdin = ""
            if case.push:
                argv, stdin = _commit_then_push(bench, prepared, result.runner, env)
            else:
                restore(bench, prepared, case.staged)
                argv = runner_argv(
                    bench, result.runner, case.staged, bool(wl.shared), bool(wl.members)
                )
            start = time.perf_counter()
            try:
                proc = subprocess.run(
                    argv,
                    cwd=prepared.repo,
                    env=env,
                    input=stdin.encode(),
                    capture_output=True,
                    timeout=RUN_TIMEOUT,
                    check=False,
                )
                code = proc.returncode
                output = (proc.stdout + proc.stderr).decode(errors="replace")
            except subprocess.TimeoutExpired as exc:
                code = -1
                output = f"timed out after {exc.timeout:.0f} s"
            elapsed = time.perf_counter() - start
            result.codes.append(code)
            if code and not result.failure:
                result.failure = output[-2000:]
            if round_:  # round 0 warms caches and is not counted
                result.times.append(elapsed)
    restore(bench, prepared, staged=False)
    return results


# -- machine and versions -----------------------------------------------------


def _version(argv: Sequence[str], env: Mapping[str, str]) -> str:
    try:
        proc = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=60, check=False
        )
    except OSError:
        return "missing"
    found = re.search(r"\d+(\.\d+)+\S*", proc.stdout + proc.stderr)
    return found.group(0) if found else "unknown"


def machine_info(bench: Bench) -> dict[str, Any]:
    affinity = getattr(os, "sched_getaffinity", None)
    versions = {
        name: _version([str(bench.tool(name)), "--version"], bench.env) for name in VERSIONED
    }
    # The runners and tools run on the venv's interpreter, not necessarily this one.
    python = _version([str(bench.tool("python")), "--version"], bench.env)
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(affinity(0)) if affinity else os.cpu_count(),
        "python": python,
        "venv": str(bench.venv),
        "versions": versions,
    }


# -- setup --------------------------------------------------------------------


def _site_packages(python: Path) -> list[str]:
    code = "import sysconfig as s; print(s.get_paths()['purelib']); print(s.get_paths()['platlib'])"
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return sorted(set(out.stdout.split()))


def setup(venv: Path) -> None:
    """Create the benchmark virtualenv with every runner and tool, bytecode compiled."""
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print("installing the project and the runners", file=sys.stderr)
    # compat mode puts the checkout on sys.path with a plain .pth line; the default
    # editable finder would import pathlib and importlib.util into every interpreter
    # of the venv at start-up, a cost no regular install has.
    editable = ["-e", str(REPO), "--config-settings", "editable_mode=compat"]
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *editable, *SETUP_PACKAGES],
        check=True,
    )
    # Start-up must be measured with bytecode already on disk, which the
    # PYTHONDONTWRITEBYTECODE this may run under would otherwise prevent.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    targets = [*_site_packages(python), str(REPO / "hookrunner")]
    proc = subprocess.run([str(python), "-m", "compileall", "-q", *targets], env=env, check=False)
    if proc.returncode:
        # Some distributions ship deliberately invalid .py files (test data); the rest is compiled.
        print("compileall: some files did not compile (see above)", file=sys.stderr)


# -- reporting ----------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def print_machine(info: Mapping[str, Any]) -> None:
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    print(
        f"machine: {info['platform']}, {info['cpu_count']} CPUs"
        f" ({info['cpus_usable']} usable), Python {info['python']}"
    )
    print(f"versions: {versions}")


def print_case(case: Case, results: Sequence[Result], runs: int) -> None:
    wl = case.workload
    bound = wl.bound()
    print()
    print(f"{case.title}: {wl.about}")
    head = f"  {len(wl.tasks) * max(1, wl.members)} tasks, {runs} runs after 1 warm-up"
    if bound is not None:
        head += f", critical-path bound {bound:.3f} s"
    print(head)
    print(f"  {'runner':32s} {'median':>8s} {'min':>8s} {'max':>8s} {'-bound':>8s}  exit codes")
    for r in results:
        if not r.times:
            print(f"  {r.label:32s} (not run) {r.note}")
            continue
        med = r.median()
        over = f"{med - bound:+8.3f}" if bound is not None else f"{'':>8s}"
        flag = "" if r.ok else "  NOT COMPARABLE: non-zero exit"
        print(
            f"  {r.label:32s} {med:8.3f} {min(r.times):8.3f} {max(r.times):8.3f} {over}"
            f"  {sorted(set(r.codes))}{flag}"
        )
    for r in results:
        if r.note:
            print(f"  note: {r.label}: {r.note}")
    for r in results:
        if not r.ok:
            print(f"  --- {r.label} output of the first failing run (tail) ---")
            print("    " + "\n    ".join(r.failure.strip().splitlines()[-25:]))


def markdown(info: Mapping[str, Any], table: Sequence[tuple[Case, list[Result]]]) -> str:
    labels: list[str] = []
    for _, results in table:
        for r in results:
            if r.label not in labels:
                labels.append(r.label)
    lines = [
        f"Median wall time in ms; {info['platform']}, {info['cpu_count']} CPUs,"
        f" Python {info['python']}. "
        + ", ".join(f"{k} {v}" for k, v in info["versions"].items())
        + ". `!` marks a runner that exited non-zero (not comparable).",
        "",
        "| workload | bound | " + " | ".join(labels) + " |",
        "|---|---:|" + "---:|" * len(labels),
    ]
    for case, results in table:
        bound = case.workload.bound()
        by_label = {r.label: r for r in results}
        cells = []
        for label in labels:
            found = by_label.get(label)
            if found is None or not found.times:
                cells.append("")
            else:
                cells.append(_ms(found.median()) + ("" if found.ok else " !"))
        shown = _ms(bound) if bound is not None else ""
        lines.append(f"| {case.title} | {shown} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def as_json(
    info: Mapping[str, Any], table: Sequence[tuple[Case, list[Result]]], runs: int
) -> dict[str, Any]:
    cases = []
    for case, results in table:
        bound = case.workload.bound()
        cases.append(
            {
                "case": case.key,
                "workload": case.workload.name,
                "title": case.title,
                "about": case.workload.about,
                "mode": "staged" if case.staged else "all-files",
                "slots": case.workload.slots,
                "bound": bound,
                "tasks": [
                    {"name": t.name, "stage": t.stage, "cmd": t.cmd, "seconds": t.seconds}
                    for t in case.workload.tasks
                ],
                "runners": {
                    r.runner: {
                        "label": r.label,
                        "times": r.times,
                        "median": r.median() if r.times else None,
                        "min": min(r.times) if r.times else None,
                        "max": max(r.times) if r.times else None,
                        "minus_bound": (
                            r.median() - bound if r.times and bound is not None else None
                        ),
                        "exit_codes": r.codes,
                        "comparable": r.ok,
                        "note": r.note,
                        "failure": r.failure,
                    }
                    for r in results
                },
            }
        )
    return {"version": 1, "runs": runs, "warmup_rounds": 1, "machine": dict(info), "cases": cases}


# -- main ---------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time hookrunner beside pre-commit, prek and lefthook.",
        epilog="workloads: " + "; ".join(f"{w.name}: {w.about}" for w in WORKLOADS.values()),
    )
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD", help="default: all")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per runner (default 7)")
    parser.add_argument(
        "--runners",
        default=",".join(RUNNERS),
        help=f"comma-separated subset of {','.join((*RUNNERS, *VARIANTS))}",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--markdown", action="store_true", help="print a results table")
    parser.add_argument("--setup", action="store_true", help="create/update the venv first")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help=f"default: {DEFAULT_VENV}")
    parser.add_argument(
        "--source",
        type=Path,
        default=REPO,
        help="where the realistic workload copies hookrunner/, tests/ and pyproject.toml from"
        " (default: this working tree)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary repositories")
    args = parser.parse_args(argv)
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)} (choose from {', '.join(WORKLOADS)})")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def select_runners(spec: str, wl: Workload) -> list[str]:
    names = [n.strip() for n in spec.split(",") if n.strip()]
    bad = [n for n in names if n not in (*RUNNERS, *VARIANTS)]
    if bad:
        raise SystemExit(f"unknown runner {', '.join(bad)}")
    chosen = [n for n in names if n in RUNNERS]
    # The variants only mean something on real tools (a test stage beside real lint
    # work; a cache of real results); they come along with hookrunner unless named.
    for variant in VARIANTS:
        if wl.realistic and (variant in names or "hookrunner" in names):
            chosen.append(variant)
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    venv: Path = args.venv.resolve()
    if args.setup:
        setup(venv)
    if not (venv / "bin" / "hookrunner").exists():
        print(f"no benchmark virtualenv at {venv}: run with --setup first", file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="hookrunner-bench-"))
    table: list[tuple[Case, list[Result]]] = []
    try:
        bench = Bench(venv, root)
        info = machine_info(bench)
        print_machine(info)
        for name in args.workloads or list(WORKLOADS):
            wl = WORKLOADS[name]
            runners = [
                r
                for r in select_runners(args.runners, wl)
                if bench.tool(r if r in RUNNERS else "hookrunner").exists()
            ]
            prepared = prepare(bench, wl, args.source)
            if "hookrunner" in runners and name == "order":
                # The ready queue orders by recorded durations; give it a history first.
                subprocess.run(
                    runner_argv(bench, "hookrunner", staged=False),
                    cwd=prepared.repo,
                    env=bench.env,
                    capture_output=True,
                    check=False,
                )
            if wl.members:
                runners = [r for r in runners if r in WORKSPACE_RUNNERS]
            cases = [Case(wl, staged=False)]
            if wl.members:
                cases.append(Case(wl, staged=True))
            if wl.shared:
                runners = [r for r in runners if r not in ("lefthook", TESTS_BESIDE_LINT)]
            elif wl.realistic:
                cases += [Case(wl, staged=True), Case(wl, staged=True, push=True)]
            for case in cases:
                # lefthook's pre-push here would be a second configuration; the
                # tests-beside-lint variant says nothing new about a push.
                chosen = [
                    r for r in runners if not case.push or r not in ("lefthook", TESTS_BESIDE_LINT)
                ]
                results = run_case(bench, case, prepared, chosen, args.runs)
                print_case(case, results, args.runs)
                sys.stdout.flush()
                table.append((case, results))
        if args.markdown:
            print()
            print(markdown(info, table), end="")
        if args.json:
            Path(args.json).write_text(json.dumps(as_json(info, table, args.runs), indent=2) + "\n")
    finally:
        if args.keep:
            print(f"repositories kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0 if all(r.ok for _, results in table for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
