"""Hide unstaged changes from the tasks of a run, and always give them back.

The changes are saved as a binary patch under the git directory before the
work tree is reset to the index, and re-applied afterwards. A run killed
outright leaves the patch behind; the next run restores it with
``recover_leftover``. Each patch file stays ``flock``-ed by its run, so a
patch whose lock can be taken belongs to a process that is gone (a pid alone
could have been reused); the pid in the name is for people.
"""

from __future__ import annotations

import fcntl
import os
import shlex
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from hookrunner.errors import HookrunnerError
from hookrunner.git import commands as git
from hookrunner.git.changes import zsplit
from hookrunner.git.commands import Repo
from hookrunner.git.lock import PATCH_PREFIX, try_lock

PATCH_GLOB = f"{PATCH_PREFIX}*.patch"
ROLLBACK_WARNING = (
    "hookrunner: your unstaged changes conflicted with fixes made by the tasks; "
    "the fixes were rolled back"
)

_ITA_PREFIX = b"hookrunner-intent-to-add: "
_SIGNALS = {signal.SIGINT, signal.SIGTERM}
# Submodules are left exactly as they are; renames cannot occur between the
# index and the work tree once intent-to-add entries are out of the index.
_DIFF = (
    "diff",
    "--no-ext-diff",
    "--no-color",
    "--no-textconv",
    "--ignore-submodules",
    "--no-renames",
)


class _Saved:
    """What one run hid, filled in as the save goes (a plain class: this
    module is on every run's path, and dataclasses costs an import)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd
        self.changed: list[str] = []
        self.intent_to_add: list[str] = []
        # Text files, whose line endings git may convert on the way back
        # (core.autocrlf, eol attributes); their exact bytes are put back when
        # no task touched them.
        self.originals: dict[str, bytes] = {}
        self.checked_out: dict[str, bytes | None] = {}
        # The index as a tree, so that a fix staged during the run can be
        # rolled back too.
        self.tree = ""


def _unstaged(repo: Repo) -> list[tuple[str, str]]:
    out = git.call(repo, *_DIFF, "--name-status", "-z").stdout
    fields = zsplit(out)
    return list(zip(fields[::2], fields[1::2], strict=True))


def _read(path: Path) -> bytes | None:
    if path.is_symlink() or not path.is_file():
        return None
    return path.read_bytes()


def _checkout(repo: Repo, files: Sequence[str]) -> None:
    # checkout-index rather than `git checkout -- paths`: it runs no
    # post-checkout hook and never recurses into submodules.
    git.call(repo, "checkout-index", "-f", "-u", "-z", "--stdin", input=git.pathspec_input(files))


def _apply(repo: Repo, patch: Path, *flags: str) -> bool:
    args = ("apply", "--whitespace=nowarn", *flags, str(patch))
    if git.call(repo, *args, check=False).returncode == 0:
        return True
    # git can fail to match a CRLF file it converted while diffing; without
    # the conversion the patch applies.
    return git.call(repo, "-c", "core.autocrlf=false", *args, check=False).returncode == 0


def _manual_restore_error(
    patch: Path, why: str, intent_to_add: Sequence[str] = ()
) -> HookrunnerError:
    # Plain 'git stash' would also reset the index to HEAD, and the patch is
    # against the index: with staged changes it would then never apply.
    # Intent-to-add entries are out of the index while a patch is pending,
    # so they have to be put back by hand as well.
    again = ""
    if intent_to_add:
        names = " ".join(shlex.quote(name) for name in intent_to_add)
        again = f", 'git add --intent-to-add -- {names}'"
    return HookrunnerError(
        f"{why}; your unstaged changes are saved in {patch}: restore them with "
        f"'git apply --whitespace=nowarn {patch}' once the files it touches match the "
        f"index (e.g. after 'git stash --keep-index'){again}, then delete it"
    )


def _add_intent_to_add(repo: Repo, files: Sequence[str]) -> None:
    present = [name for name in files if os.path.lexists(repo.root / name)]
    if present:
        git.call(
            repo,
            "add",
            "--intent-to-add",
            "--pathspec-from-file=-",
            "--pathspec-file-nul",
            input=git.pathspec_input(present),
        )


def _create_patch_file(repo: Repo) -> tuple[Path, int]:
    path = repo.git_dir / f"{PATCH_PREFIX}{time.time_ns()}-{os.getpid()}.patch"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return path, fd


def _save(repo: Repo, entries: list[tuple[str, str]]) -> _Saved:
    path, fd = _create_patch_file(repo)
    saved = _Saved(path, fd)
    intent_to_add = [name for status, name in entries if status == "A"]
    changed = [name for status, name in entries if status != "A"]
    header = f"hookrunner: unstaged changes hidden by pid {os.getpid()} during a run\n".encode()
    if intent_to_add:
        import json  # only when there is work to hide

        header += _ITA_PREFIX + json.dumps(intent_to_add).encode() + b"\n"
    # `saved` only records what has been done, so that a failure half-way
    # undoes exactly that much.
    try:
        os.write(fd, header)
        if intent_to_add:
            os.fsync(fd)
            git.call(
                repo,
                "rm",
                "--cached",
                "--quiet",
                "--pathspec-from-file=-",
                "--pathspec-file-nul",
                input=git.pathspec_input(intent_to_add),
            )
            saved.intent_to_add = intent_to_add
        if changed:
            patch = git.call(repo, *_DIFF, "--binary", "--src-prefix=a/", "--dst-prefix=b/").stdout
            os.write(fd, patch)
            os.fsync(fd)
            saved.changed = changed
            saved.tree = git.call(repo, "write-tree").stdout.decode().strip()
            for name in changed:
                content = _read(repo.root / name)
                # git never converts line endings of binary files (a NUL in
                # the first 8000 bytes), so only text is worth keeping.
                if content is not None and b"\0" not in content[:8000]:
                    saved.originals[name] = content
            _checkout(repo, changed)
            for name in saved.originals:
                saved.checked_out[name] = _read(repo.root / name)
    except BaseException:
        _restore(repo, saved)
        raise
    return saved


def _restore(repo: Repo, saved: _Saved) -> str | None:
    """Put the saved changes back; the patch file goes only once they are back."""
    try:
        warning = _put_back(repo, saved)
    finally:
        os.close(saved.fd)
    saved.path.unlink()
    return warning


def _put_back(repo: Repo, saved: _Saved) -> str | None:
    warning = None
    if saved.changed:
        untouched = {
            name
            for name, content in saved.checked_out.items()
            if _read(repo.root / name) == content
        }
        if not _apply(repo, saved.path) and not _apply(repo, saved.path, "--reverse", "--check"):
            git.call(
                repo,
                "reset",
                "--quiet",
                saved.tree,
                "--pathspec-from-file=-",
                "--pathspec-file-nul",
                input=git.pathspec_input(saved.changed),
            )
            _checkout(repo, saved.changed)
            if not _apply(repo, saved.path):
                raise _manual_restore_error(
                    saved.path, "the saved unstaged changes do not apply", saved.intent_to_add
                )
            untouched = set(saved.originals)
            warning = ROLLBACK_WARNING
        for name in untouched:
            target = repo.root / name
            if _read(target) != saved.originals[name]:
                target.write_bytes(saved.originals[name])
    _add_intent_to_add(repo, saved.intent_to_add)
    return warning


@contextmanager
def unstaged_changes_hidden(repo: Repo) -> Iterator[None]:
    """Inside, the work tree matches the index for every tracked file."""
    entries = _unstaged(repo)
    if not entries:
        yield
        return
    unmerged = [name for status, name in entries if status == "U"]
    if unmerged:
        raise HookrunnerError(f"unmerged files ({', '.join(unmerged)}): resolve the merge first")
    # A second Ctrl-C must not cut the save or the restore in half; a signal
    # that arrives meanwhile is delivered as soon as they are done.
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        saved = _save(repo, entries)
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
            warning = _restore(repo, saved)
            if warning:
                print(warning, file=sys.stderr)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)


def _recover(repo: Repo, path: Path) -> str:
    data = path.read_bytes()
    intent_to_add: list[str] = []
    for line in data.split(b"\n", 2)[:2]:
        if line.startswith(_ITA_PREFIX):
            import json  # only when a killed run left work behind

            intent_to_add = json.loads(line[len(_ITA_PREFIX) :])
    message = f"hookrunner: restored unstaged changes left by an interrupted run ({path})"
    if b"\ndiff --git " in data and not _apply(repo, path):
        if not _apply(repo, path, "--reverse", "--check"):
            raise _manual_restore_error(
                path, "an interrupted run left unstaged changes that no longer apply", intent_to_add
            )
        message = (
            "hookrunner: removed a patch left by an interrupted run; "
            f"its changes were already in the work tree ({path})"
        )
    _add_intent_to_add(repo, intent_to_add)
    path.unlink()
    return message


def recover_leftover(repo: Repo) -> str | None:
    """Restore changes saved by a run that was killed; call it holding ``repo_lock``.

    Returns a message for stderr, or None when there was nothing to do.
    """
    messages = []
    for path in sorted(repo.git_dir.glob(PATCH_GLOB)):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:  # pragma: no cover (its run just finished)
            continue
        try:
            if not try_lock(fd):
                continue  # its run is still going
            if os.fstat(fd).st_nlink == 0:  # pragma: no cover (its run just finished)
                continue
            messages.append(_recover(repo, path))
        finally:
            os.close(fd)
    return "\n".join(messages) or None
