"""``hookrunner install`` / ``uninstall``: the git hook scripts.

The contract between a hook script and the CLI:

- The script lives in ``<common git dir>/hooks/<type>`` (so every linked
  worktree uses it) and carries the marker line ``# installed by hookrunner``;
  only a file with that line is ever rewritten or removed.
- It runs ``<python> -m hookrunner run --hook <type>`` with the interpreter
  that installed it; when that interpreter is gone, ``hookrunner`` from PATH
  (saying so on stderr); when neither exists, it says how to skip the hook
  and exits 1.
- pre-push: git's arguments ``<remote name> <remote url>`` are exported as
  ``HOOKRUNNER_REMOTE_NAME`` and ``HOOKRUNNER_REMOTE_URL``, and git's ref
  lines reach the CLI on stdin unchanged.
- A hook that was there before (not ours) is kept as ``<type>.legacy`` and
  runs first with the same arguments (and, for pre-push, the same stdin); a
  non-zero exit stops the hook with that exit code.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from hookrunner.errors import HookrunnerError
from hookrunner.git import commands as git
from hookrunner.git.commands import Repo

HOOK_TYPES = ("pre-commit", "pre-push")
MARKER = "# installed by hookrunner"

_SKIP_COMMAND = {"pre-commit": "git commit --no-verify", "pre-push": "git push --no-verify"}

_TEMPLATE = """\
#!/bin/sh
{marker}
# Remove with 'hookrunner uninstall'; a hook that was here before is kept as
# {hook_type}.legacy and runs first.
python={python}
{prelude}
if [ -x "$python" ]; then
    {feed}"$python" -m hookrunner run --hook {hook_type}
elif command -v hookrunner >/dev/null 2>&1; then
    echo "hookrunner: $python is gone; using hookrunner from PATH" >&2
    {feed}hookrunner run --hook {hook_type}
else
    echo "hookrunner: not found; reinstall it or run '{skip}' to skip" >&2
    exit 1
fi
"""

# git gives a pre-push hook its ref lines on stdin, which can be read once:
# keep them in a variable and hand the same lines to each program.
_PRE_PUSH_PRELUDE = """\
export HOOKRUNNER_REMOTE_NAME="$1" HOOKRUNNER_REMOTE_URL="$2"
refs=$(cat)
replay() {
    if [ -n "$refs" ]; then printf '%s\\n' "$refs"; fi
}
if [ -x "$0.legacy" ]; then
    replay | "$0.legacy" "$@" || exit $?
fi"""

_PRE_COMMIT_PRELUDE = """\
if [ -x "$0.legacy" ]; then
    "$0.legacy" "$@" || exit $?
fi"""


def script(hook_type: str, python: str) -> str:
    """The hook script; ``python`` is the interpreter expected to have hookrunner."""
    pre_push = hook_type == "pre-push"
    return _TEMPLATE.format(
        marker=MARKER,
        hook_type=hook_type,
        python=shlex.quote(python),
        prelude=_PRE_PUSH_PRELUDE if pre_push else _PRE_COMMIT_PRELUDE,
        # exec hands signals and the exit code straight to hookrunner; pre-push
        # must feed it the saved ref lines instead.
        feed="replay | " if pre_push else "exec ",
        skip=_SKIP_COMMAND[hook_type],
    )


def is_ours(path: Path) -> bool:
    try:
        content = path.read_bytes()
    except OSError:
        return False
    return MARKER.encode() in content.splitlines()


def _hook_dir(repo: Repo) -> Path:
    hooks_path = git.config_value(repo, "core.hooksPath")
    if hooks_path is not None:
        raise HookrunnerError(
            f"core.hooksPath is set ({hooks_path}): hookrunner will not install into a "
            "directory other tools manage; unset it with 'git config --unset core.hooksPath' "
            "or call hookrunner from your hook manager"
        )
    return repo.common_dir / "hooks"


def _check_types(hook_types: Sequence[str]) -> None:
    for hook_type in hook_types:
        if hook_type not in HOOK_TYPES:
            raise HookrunnerError(
                f"unknown hook type {hook_type!r} (expected one of: {', '.join(HOOK_TYPES)})"
            )


def _shown(path: Path, repo: Repo) -> str:
    try:
        return path.relative_to(repo.root).as_posix()
    except ValueError:
        return str(path)


def install(
    repo: Repo,
    hook_types: Sequence[str],
    overwrite: bool = False,
    *,
    python: str | None = None,
) -> list[str]:
    """Write our hook scripts; returns the messages to print.

    ``python`` is the interpreter the hooks run; the one running now by default.
    """
    _check_types(hook_types)
    hook_dir = _hook_dir(repo)
    hook_dir.mkdir(parents=True, exist_ok=True)
    interpreter = sys.executable if python is None else python
    messages = []
    for hook_type in hook_types:
        hook = hook_dir / hook_type
        legacy = hook_dir / f"{hook_type}.legacy"
        foreign = os.path.lexists(hook) and not is_ours(hook)
        if overwrite:
            if os.path.lexists(legacy):
                legacy.unlink()
                messages.append(f"removed the previous {hook_type} hook {_shown(legacy, repo)}")
            if foreign:
                messages.append(f"replaced the previous {hook_type} hook")
        elif foreign:
            if os.path.lexists(legacy):
                raise HookrunnerError(
                    f"{_shown(hook, repo)} is not hookrunner's and {_shown(legacy, repo)} "
                    "exists too; move one of them away, or use --overwrite to replace both"
                )
            os.replace(hook, legacy)
        if os.path.lexists(legacy):
            messages.append(
                f"the previous {hook_type} hook is kept as {_shown(legacy, repo)} and runs "
                "first (--overwrite replaces it)"
            )
        staging = hook_dir / f".{hook_type}.hookrunner-tmp"
        staging.write_text(script(hook_type, interpreter))
        staging.chmod(0o755)
        os.replace(staging, hook)
        messages.append(f"hookrunner installed at {_shown(hook, repo)}")
    return messages


def uninstall(repo: Repo, hook_types: Sequence[str]) -> list[str]:
    """Remove our hook scripts and put back the hooks they replaced."""
    _check_types(hook_types)
    hook_dir = _hook_dir(repo)
    messages = []
    for hook_type in hook_types:
        hook = hook_dir / hook_type
        legacy = hook_dir / f"{hook_type}.legacy"
        if not os.path.lexists(hook):
            messages.append(f"no {hook_type} hook installed")
            continue
        if not is_ours(hook):
            messages.append(f"{_shown(hook, repo)} is not hookrunner's; left it alone")
            continue
        hook.unlink()
        messages.append(f"hookrunner {hook_type} hook removed from {_shown(hook, repo)}")
        if os.path.lexists(legacy):
            os.replace(legacy, hook)
            messages.append(f"restored the previous {hook_type} hook to {_shown(hook, repo)}")
    return messages
