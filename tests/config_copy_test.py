"""The validated configuration's copy under the git directory: used while the
files that made it are unchanged, never after, and never trusted when damaged."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.conftest import git, hookrunner, write_config
from tests.quick_test import timeless, without_imports

COPIES = Path(".git") / "hookrunner-cache" / "configs"
IMPORTS = {"PYTHONPROFILEIMPORTTIME": "1"}


def _say(word: str, log: Path) -> str:
    return f"""
[tasks.say]
cmd = ["sh", "-c", "echo {word} >> \\"$0\\"", "{log}"]
pass_filenames = false
always_run = true
cache = false
"""


def _copy(repo: Path) -> Path:
    """The one copy a repository's runs left."""
    (found,) = (repo / COPIES).iterdir()
    return found


def _member(word: str, log: Path) -> str:
    return _say(word, log).replace("[tasks.", "[tool.paratools.tasks.")


def _imports_config(stderr: str) -> bool:
    """Whether ``PYTHONPROFILEIMPORTTIME`` output shows the configuration's
    reader imported (not tomllib: coverage, which follows the command into its
    process in CI, imports tomllib for its own settings)."""
    return re.search(r"\| +hookrunner\.config$", stderr, re.MULTILINE) is not None


def _run(repo: Path, *args: str) -> tuple[int, str, str, bool]:
    """Exit code, output, messages, and whether the TOML reader was imported."""
    proc = hookrunner(repo, "run", "--all-files", *args, env=IMPORTS)
    read = _imports_config(proc.stderr)
    out = re.sub(r"\d+\.\d\ds", "Ts", timeless(proc.stdout))
    return proc.returncode, out, without_imports(proc.stderr), read


def test_an_unchanged_configuration_is_not_read_again(repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "said"
    write_config(repo, _say("one", log))
    first = _run(repo)
    assert first[0] == 0, first
    assert first[3]
    assert _copy(repo).is_file()
    second = _run(repo)
    assert second[:3] == first[:3]
    assert not second[3]
    assert log.read_text() == "one\none\n"


def test_an_edit_of_the_same_size_and_time_is_read(repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "said"
    write_config(repo, _say("one", log))
    assert _run(repo)[0] == 0
    table = repo / "pyproject.toml"
    before = table.stat()
    table.write_text(table.read_text().replace("one", "two"), encoding="utf-8")
    os.utime(table, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert table.stat().st_size == before.st_size
    code, _out, _err, read = _run(repo)
    assert (code, read) == (0, True)
    assert log.read_text() == "one\ntwo\n"


def test_a_configuration_made_invalid_is_reported(repo: Path, tmp_path: Path) -> None:
    write_config(repo, _say("one", tmp_path / "said"))
    assert _run(repo)[0] == 0
    table = repo / "pyproject.toml"
    table.write_text(
        table.read_text().replace("[tool.paratools]\n", "[tool.paratools]\njobs = 0\n")
    )
    code, _out, err, _read = _run(repo)
    assert code == 2
    assert err.startswith("pyproject.toml: tool.paratools.jobs: ")


def test_a_workspace_projects_edit_is_read(repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "said"
    write_config(repo, _say("root", log))
    member = repo / "member"
    member.mkdir()
    (member / "pyproject.toml").write_text(_member("one", log))
    git(repo, "add", "member/pyproject.toml")
    assert _run(repo)[0] == 0
    assert not _run(repo)[3]
    (member / "pyproject.toml").write_text(_member("two", log))
    code, _out, _err, read = _run(repo)
    assert (code, read) == (0, True)
    assert sorted(log.read_text().split()) == ["one", "one", "root", "root", "root", "two"]


def test_a_new_workspace_project_is_read(repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "said"
    write_config(repo, _say("root", log))
    assert _run(repo)[0] == 0
    member = repo / "member"
    member.mkdir()
    (member / "pyproject.toml").write_text(_member("member", log))
    git(repo, "add", "member/pyproject.toml")
    code, out, _err, _read = _run(repo)
    assert code == 0
    assert "member:say" in out


def test_a_damaged_copy_is_read_past_and_replaced(repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "said"
    write_config(repo, _say("one", log))
    expected = _run(repo)
    copy = _copy(repo)
    kept = copy.read_bytes()
    for damage in (b"", b"garbage", kept[: len(kept) // 2], kept.replace(b"Config", b"Cxnfig")):
        copy.write_bytes(damage)
        found = _run(repo)
        assert found[:3] == expected[:3], damage
        assert found[3]
        assert _run(repo)[3] is False  # replaced by a good copy


def test_a_tasks_folder_removed_is_reported(repo: Path, tmp_path: Path) -> None:
    (repo / "sub").mkdir()
    write_config(repo, _say("one", tmp_path / "said") + 'cwd = "sub"\n')
    assert _run(repo)[0] == 0
    (repo / "sub").rmdir()
    code, _out, err, _read = _run(repo)
    assert code == 2
    assert "tool.paratools.tasks.say.cwd: expected an existing directory" in err


def test_messages_name_the_file_from_where_the_run_starts(repo: Path, tmp_path: Path) -> None:
    # A pattern that looks like a regular expression is named with its file,
    # as seen from the folder the run starts in.
    write_config(repo, _say("one", tmp_path / "said") + 'files = "^nothing$"\n')
    (repo / "sub").mkdir()
    at_root = hookrunner(repo, "run", "--all-files").stderr
    inside = hookrunner(repo / "sub", "run", "--all-files").stderr
    for copy in (repo / COPIES).iterdir():
        copy.unlink()
    assert hookrunner(repo / "sub", "run", "--all-files").stderr == inside
    assert f"{repo / 'pyproject.toml'}: " in inside
    assert "warning: pyproject.toml: " in at_root


def test_runs_from_two_folders_keep_a_copy_each(repo: Path, tmp_path: Path) -> None:
    write_config(repo, _say("one", tmp_path / "said"))
    (repo / "sub").mkdir()
    for _ in range(2):
        read = [
            _imports_config(hookrunner(where, "run", "--all-files", env=IMPORTS).stderr)
            for where in (repo, repo / "sub")
        ]
    assert read == [False, False]
    assert len(list((repo / COPIES).iterdir())) == 2


def test_copies_are_few(tmp_path: Path) -> None:
    from hookrunner.cache.config_copy import MAX_COPIES, load_copy, save_copy
    from hookrunner.model import Config

    config = Config(path=tmp_path / "pyproject.toml")
    for number in range(MAX_COPIES + 1):
        save_copy(tmp_path, f"name-{number:02d}", config)
        os.utime(tmp_path / COPIES.relative_to(".git") / f"name-{number:02d}", ns=(number, number))
    left = sorted(p.name for p in (tmp_path / COPIES.relative_to(".git")).iterdir())
    assert left[-1] == f"name-{MAX_COPIES:02d}"
    assert len(left) == MAX_COPIES * 3 // 4
    assert load_copy(tmp_path, left[-1], tmp_path) == config


def test_cache_clear_removes_the_copies_of_every_worktree(repo: Path, tmp_path: Path) -> None:
    write_config(repo, _say("one", tmp_path / "said"))
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", str(linked))
    for where in (repo, linked):
        assert _run(where)[0] == 0
    assert len(list((repo / COPIES).iterdir())) == 2
    assert hookrunner(linked, "cache", "clear").returncode == 0
    assert not (repo / COPIES).exists()
