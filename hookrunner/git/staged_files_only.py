"""Hide unstaged changes from the tasks of a run, and always give them back.

The changes are saved as a binary patch under the git directory before the
work tree is reset to the index, and re-applied afterwards. A run killed
outright leaves the patch behind; the next run restores it with
``recover_leftover``. Each patch file stays ``flock``-ed by its run, so a
patch whose lock can be taken belongs to a process that is gone (a pid alone
could have been reused); the pid in the name is for people.

Untracked data the checkout would delete (where a tracked path changed type)
is set aside first; a hidden file written during the run (an editor's save, a
task's fix) keeps what was written, merged or in a file the output names.
Both wait in ``<git dir>/hookrunner-kept/<run>/``.
"""

from __future__ import annotations

import fcntl
import os
import shlex
import stat
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from hookrunner.engine.signals import held, released
from hookrunner.errors import HookrunnerError
from hookrunner.git import commands as git
from hookrunner.git.changes import zsplit
from hookrunner.git.commands import Repo
from hookrunner.git.lock import PATCH_PREFIX, try_lock

PATCH_GLOB = f"{PATCH_PREFIX}*.patch"
KEPT_DIR = "hookrunner-kept"  # in the git directory: data that could not stay in place

_ITA_PREFIX = b"hookrunner-intent-to-add: "
_ASIDE_PREFIX = b"hookrunner-set-aside: "
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


class HiddenWork:
    """What putting hidden work back found: ``notes`` for the user, printed on
    stderr; a run with any fails, so that a commit never goes through unseen."""

    def __init__(self) -> None:
        self.notes: list[str] = []


class _Saved:
    """What one run hid, filled in as the save goes (a plain class: this
    module is on every run's path, and dataclasses costs an import)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd
        self.kept = _kept_dir(path)
        self.changed: list[str] = []
        self.intent_to_add: list[str] = []
        self.aside: list[str] = []  # untracked data in the way, set aside
        # Text files, whose line endings git may convert on the way back
        # (core.autocrlf, eol attributes); their exact bytes are put back when
        # no task touched them.
        self.originals: dict[str, bytes] = {}
        # Each hidden file as checked out: another state was written meanwhile.
        self.checked_out: dict[str, tuple[object, ...] | None] = {}
        # The index as a tree, so that a fix staged during the run can be
        # rolled back too.
        self.tree = ""


def _kept_dir(patch: Path) -> Path:
    return patch.parent / KEPT_DIR / patch.name[len(PATCH_PREFIX) : -len(".patch")]


def _unstaged(repo: Repo) -> list[tuple[str, str]]:
    out = git.call(repo, *_DIFF, "--name-status", "-z").stdout
    fields = zsplit(out)
    return list(zip(fields[::2], fields[1::2], strict=True))


def _read(path: Path) -> bytes | None:
    if path.is_symlink() or not path.is_file():
        return None
    return path.read_bytes()


def _state(path: Path) -> tuple[object, ...] | None:
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    if stat.S_ISLNK(mode):
        return ("link", os.readlink(path))
    if stat.S_ISREG(mode):
        return ("file", mode & 0o111, path.read_bytes())
    return ("other", stat.S_IFMT(mode))


def _in_the_way(root: Path, names: Sequence[str]) -> list[str]:
    """Untracked data that checking ``names`` out would delete: a folder where
    the index has a file or symlink, or a non-folder where it needs a folder."""
    found: dict[str, None] = {}
    for name in names:
        parts = name.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            try:
                is_dir = stat.S_ISDIR(os.lstat(root / prefix).st_mode)
            except OSError:
                break
            if is_dir == (depth == len(parts)):
                found[prefix] = None
                break
    return list(found)


def _set_aside(root: Path, kept: Path, names: Sequence[str]) -> None:
    for name in names:
        target = kept / "set-aside" / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(root / name, target)
        except OSError as exc:
            raise HookrunnerError(
                f"{name}: untracked data stands where a tracked path changed type, and it "
                f"could not be set aside in {target.parent} ({exc.strerror}); hookrunner "
                f"changed nothing: stage or move {name} and run again"
            ) from None


def _bring_back(root: Path, kept: Path, names: Sequence[str]) -> list[str]:
    """Move set-aside data back; returns the names whose place is taken now."""
    left = []
    for name in names:
        source, target = kept / "set-aside" / name, root / name
        if not os.path.lexists(source):
            continue  # never moved, or already back
        try:
            if os.path.lexists(target):
                raise FileExistsError(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(source, target)
        except OSError:
            left.append(name)
        # Empty folders go, up to the git directory (which never is empty).
        with suppress(OSError):
            os.removedirs(source.parent)
    return left


def _aside_note(kept: Path, names: Sequence[str]) -> str:
    where = kept / "set-aside"
    moves = "; ".join(f"'mv {shlex.quote(str(where / n))} {shlex.quote(n)}'" for n in names)
    return f"untracked data set aside is in {where}: move it back with {moves}"


def _only(name: str, flag: str = "--include=") -> str:
    # git apply matches --include with wildmatch: the name must not act as a glob.
    return flag + "".join("\\" + c if c in "\\*?[" else c for c in name)


def _git_paths(repo: Repo, names: Sequence[str], *args: str) -> None:
    pathspec = ("--pathspec-from-file=-", "--pathspec-file-nul")
    git.call(repo, *args, *pathspec, input=git.pathspec_input(names))


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
    patch: Path, why: str, intent_to_add: Sequence[str] = (), aside: Sequence[str] = ()
) -> HookrunnerError:
    # Plain 'git stash' would also reset the index to HEAD, and the patch is
    # against the index: with staged changes it would then never apply.
    # Intent-to-add entries are out of the index while a patch is pending,
    # so they have to be put back by hand as well.
    again = ""
    if intent_to_add:
        names = " ".join(shlex.quote(name) for name in intent_to_add)
        again = f", 'git add --intent-to-add -- {names}'"
    if aside:
        again += f"; {_aside_note(_kept_dir(patch), aside)}"
    return HookrunnerError(
        f"{why}; your unstaged changes are saved in {patch}: restore them with "
        f"'git apply --whitespace=nowarn {patch}' once the files it touches match the "
        f"index (e.g. after 'git stash --keep-index'){again}, then delete it"
    )


def _add_intent_to_add(repo: Repo, files: Sequence[str]) -> None:
    present = [name for name in files if os.path.lexists(repo.root / name)]
    if present:
        _git_paths(repo, present, "add", "--intent-to-add")


def _create_patch_file(repo: Repo) -> tuple[Path, int]:
    path = repo.git_dir / f"{PATCH_PREFIX}{time.time_ns()}-{os.getpid()}.patch"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return path, fd


def _header(intent_to_add: Sequence[str], in_the_way: Sequence[str]) -> bytes:
    header = f"hookrunner: unstaged changes hidden by pid {os.getpid()} during a run\n".encode()
    for prefix, names in ((_ITA_PREFIX, intent_to_add), (_ASIDE_PREFIX, in_the_way)):
        if names:
            import json  # only when there is such work to hide

            header += prefix + json.dumps(names).encode() + b"\n"
    return header


def _save(repo: Repo, entries: list[tuple[str, str]]) -> _Saved:
    path, fd = _create_patch_file(repo)
    saved = _Saved(path, fd)
    intent_to_add = [name for status, name in entries if status == "A"]
    changed = [name for status, name in entries if status != "A"]
    in_the_way = _in_the_way(repo.root, changed)
    # `saved` only records what has been done, so that a failure half-way
    # undoes exactly that much.
    try:
        os.write(fd, _header(intent_to_add, in_the_way))
        if intent_to_add or in_the_way:
            os.fsync(fd)
        if intent_to_add:
            _git_paths(repo, intent_to_add, "rm", "--cached", "--quiet")
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
            saved.aside = in_the_way
            _set_aside(repo.root, saved.kept, in_the_way)
            _checkout(repo, changed)
            saved.checked_out = {name: _state(repo.root / name) for name in changed}
    except BaseException:
        _restore(repo, saved, HiddenWork())
        raise
    return saved


def _restore(repo: Repo, saved: _Saved, work: HiddenWork) -> None:
    """Put the saved changes back; the patch file goes only once they are back."""
    try:
        _put_back(repo, saved, work)
    finally:
        os.close(saved.fd)
    saved.path.unlink()


def _put_back(repo: Repo, saved: _Saved, work: HiddenWork) -> None:
    if saved.changed:
        was = saved.checked_out
        touched = [name for name in was if _state(repo.root / name) != was[name]]
        exact = [name for name in saved.originals if name not in touched]
        if touched:
            exact += _settle_touched(repo, saved, touched, work)
        others = [_only(name, "--exclude=") for name in touched]
        if not _apply(repo, saved.path, *others) and not _apply(
            repo, saved.path, "--reverse", "--check", *others
        ):
            why = "the saved unstaged changes do not apply"
            raise _manual_restore_error(saved.path, why, saved.intent_to_add, saved.aside)
        for name in exact:
            target = repo.root / name
            if _read(target) not in (None, saved.originals[name]):
                target.write_bytes(saved.originals[name])
    left = _bring_back(repo.root, saved.kept, saved.aside)
    if left:
        note = f"{', '.join(left)}: written during the run, so the {_aside_note(saved.kept, left)}"
        work.notes.append(f"hookrunner: {note}")
    _add_intent_to_add(repo, saved.intent_to_add)


def _settle_touched(
    repo: Repo, saved: _Saved, touched: Sequence[str], work: HiddenWork
) -> list[str]:
    """Hidden files written during the run (an editor's save, a task's fix) keep
    it where the hidden changes merge with it, else the hidden changes win and
    it is kept in a named file. Returns the files whose original bytes are back."""
    # Only the run itself changed the index: what differs is a fix it staged.
    fixes = git.call(repo, "diff-index", "--cached", "--name-only", "-z", saved.tree).stdout
    staged_fixes = set(zsplit(fixes))
    exact = []
    for name in touched:
        said = f"hookrunner: {name} changed while your unstaged changes were hidden"
        if _apply(repo, saved.path, "--reverse", "--check", _only(name)):
            said += "; it already holds them, and is left as it is"
        elif _apply(repo, saved.path, _only(name)):
            said += "; it now holds them as well"
        else:
            kept = saved.kept / "written-during-run" / name
            where = "it had been deleted"
            if os.path.lexists(repo.root / name):
                import shutil  # only for a conflict

                kept.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(repo.root / name, kept)
                where = f"what was written is kept in {kept}"
            _git_paths(repo, [name], "reset", "--quiet", saved.tree)
            _checkout(repo, [name])
            if not _apply(repo, saved.path, _only(name)):
                why = "the saved unstaged changes do not apply"
                raise _manual_restore_error(saved.path, why, saved.intent_to_add, saved.aside)
            exact += [name] if name in saved.originals else []
            staged_fixes.discard(name)
            said += f", in lines they change too: your unstaged version is back; {where}"
        if name not in staged_fixes:
            work.notes.append(said)
    return exact


@contextmanager
def unstaged_changes_hidden(repo: Repo) -> Iterator[HiddenWork]:
    """Inside, the work tree matches the index for every tracked file."""
    work = HiddenWork()
    entries = _unstaged(repo)
    if not entries:
        yield work
        return
    unmerged = [name for status, name in entries if status == "U"]
    if unmerged:
        raise HookrunnerError(f"unmerged files ({', '.join(unmerged)}): resolve the merge first")
    # A second Ctrl-C must not cut the save or the restore in half; a signal
    # that arrives meanwhile is delivered as soon as they are done.
    with held():
        saved = _save(repo, entries)
        try:
            with released():
                yield work
        finally:
            try:
                _restore(repo, saved, work)
            finally:
                for note in work.notes:
                    print(note, file=sys.stderr)


def _recover(repo: Repo, path: Path) -> str:
    data = path.read_bytes()
    intent_to_add: list[str] = []
    aside: list[str] = []
    for line in data.split(b"\n", 3)[:3]:
        for prefix, names in ((_ITA_PREFIX, intent_to_add), (_ASIDE_PREFIX, aside)):
            if line.startswith(prefix):
                import json  # only when a killed run left work behind

                names.extend(json.loads(line[len(prefix) :]))
    message = f"hookrunner: restored unstaged changes left by an interrupted run ({path})"
    if b"\ndiff --git " in data and not _apply(repo, path):
        if not _apply(repo, path, "--reverse", "--check"):
            why = "an interrupted run left unstaged changes that no longer apply"
            raise _manual_restore_error(path, why, intent_to_add, aside)
        message = (
            "hookrunner: removed a patch left by an interrupted run; "
            f"its changes were already in the work tree ({path})"
        )
    left = _bring_back(repo.root, kept := _kept_dir(path), aside)
    if left:
        message += f"; {', '.join(left)}: written since, so the {_aside_note(kept, left)}"
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
