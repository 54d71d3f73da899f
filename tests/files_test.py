from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hookrunner import files
from hookrunner.files import Classifier, compile_globs
from hookrunner.model import TaskConfig
from tests.conftest import git

PATHS = [
    "setup.py",
    "README.md",
    "src/pkg/__init__.py",
    "src/pkg/setup.py",
    "src/pkg/mod.pyi",
    "docs/index.md",
    "docs/api/ref.md",
    "src/docs/notes.txt",
    "tests/test_a.py",
    "tests/data/case.py",
    "tests/data/deep/blob.bin",
]


def task(
    files: tuple[str, ...] = (), exclude: tuple[str, ...] = (), types: tuple[str, ...] = ()
) -> TaskConfig:
    return TaskConfig(name="t", cmd=("x",), files=files, exclude=exclude, types=types)


def select(files: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> list[str]:
    """Glob selection needs no file on disk: only type filters look at the files."""
    return Classifier(Path("/nonexistent"), PATHS).select(task(files, exclude))


# -- gitignore-style globs --------------------------------------------------------------


def test_no_filters_select_every_file_in_run_order() -> None:
    assert select() == PATHS


def test_star_glob_matches_at_any_depth() -> None:
    assert select(("*.py",)) == [
        "setup.py",
        "src/pkg/__init__.py",
        "src/pkg/setup.py",
        "tests/test_a.py",
        "tests/data/case.py",
    ]


def test_leading_slash_anchors_at_the_root() -> None:
    assert select(("/setup.py",)) == ["setup.py"]


def test_double_star_takes_everything_under_a_directory() -> None:
    assert select(("tests/data/**",)) == ["tests/data/case.py", "tests/data/deep/blob.bin"]


def test_a_glob_with_a_slash_is_relative_to_the_root() -> None:
    assert select(("docs/*.md",)) == ["docs/index.md"]


def test_trailing_slash_matches_directories_at_any_depth() -> None:
    assert select(("docs/",)) == ["docs/index.md", "docs/api/ref.md", "src/docs/notes.txt"]


def test_several_globs_are_a_union() -> None:
    assert select(("*.md", "*.pyi")) == [
        "README.md",
        "src/pkg/mod.pyi",
        "docs/index.md",
        "docs/api/ref.md",
    ]


def test_negation_takes_files_back_out() -> None:
    assert select(("*.py", "!tests/**")) == ["setup.py", "src/pkg/__init__.py", "src/pkg/setup.py"]


def test_negating_a_directory_keeps_files_a_glob_names() -> None:
    # as in git: "!tests/" re-includes the directory, "*.py" still names the files in it
    assert select(("*.py", "!tests/")) == select(("*.py",))


def test_exclude() -> None:
    assert select(("*.py",), ("tests/data/**", "/setup.py")) == [
        "src/pkg/__init__.py",
        "src/pkg/setup.py",
        "tests/test_a.py",
    ]


def test_exclude_without_files_filters_every_file() -> None:
    assert select((), ("*.md", "*.py", "!tests/**")) == [
        "src/pkg/mod.pyi",
        "src/docs/notes.txt",
        "tests/test_a.py",
        "tests/data/case.py",
        "tests/data/deep/blob.bin",
    ]


def test_compiled_globs_are_shared() -> None:
    assert compile_globs(["*.py", "*.pyi"]) is compile_globs(("*.py", "*.pyi"))


SEGMENTS = ["a", "b.py", "*", "**", "*.py", "?", "[ab]", "a*", "c"]


@given(
    patterns=st.lists(
        st.tuples(
            st.sampled_from(["", "!", "/", "!/"]),
            st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=3),
            st.booleans(),
        ),
        min_size=1,
        max_size=3,
    ),
    paths=st.lists(
        st.lists(st.sampled_from(["a", "b.py", "c", "a.py", "ab"]), min_size=1, max_size=4),
        max_size=8,
    ),
)
def test_selection_agrees_with_pathspec(
    patterns: list[tuple[str, list[str], bool]], paths: list[list[str]]
) -> None:
    globs = tuple(
        prefix + "/".join(segments) + ("/" if directory else "")
        for prefix, segments, directory in patterns
    )
    files = ["/".join(parts) for parts in paths]
    try:
        spec = compile_globs(globs)
    except ValueError:
        assume(False)
    classifier = Classifier(Path("/nonexistent"), files)
    assert classifier.select(task(globs)) == [f for f in files if spec.match_file(f)]
    assert classifier.select(task((), globs)) == [f for f in files if not spec.match_file(f)]


# -- identify tags ----------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "mod.pyi").write_text("x: int\n")
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "blob").write_bytes(b"\x00\x01\x02")
    script = tmp_path / "run"
    script.write_text("#!/usr/bin/env python3\nprint(1)\n")
    script.chmod(0o755)
    (tmp_path / "link.py").symlink_to("pkg/mod.py")
    return tmp_path


FILES = ["pkg/mod.py", "pkg/mod.pyi", "notes.txt", "blob", "run", "link.py"]


def test_tags_come_from_identify(tree: Path) -> None:
    classifier = Classifier(tree, FILES)
    assert classifier.tags("pkg/mod.py") == {"file", "non-executable", "text", "python"}
    assert classifier.tags("pkg/mod.pyi") == {"file", "non-executable", "text", "pyi"}
    assert classifier.tags("blob") == {"file", "non-executable", "binary"}
    assert classifier.tags("run") == {"file", "executable", "text", "python", "python3"}
    assert classifier.tags("link.py") == {"symlink"}


def test_types_must_all_match(tree: Path) -> None:
    classifier = Classifier(tree, FILES)
    assert classifier.select(task(types=("python",))) == ["pkg/mod.py", "run"]
    assert classifier.select(task(types=("python", "executable"))) == ["run"]
    assert classifier.select(task(types=("text",))) == [
        "pkg/mod.py",
        "pkg/mod.pyi",
        "notes.txt",
        "run",
    ]
    assert classifier.select(task(types=("symlink",))) == ["link.py"]


def test_globs_and_types_together(tree: Path) -> None:
    classifier = Classifier(tree, FILES)
    selected = classifier.select(task(files=("pkg/",), exclude=("*.py",), types=("text",)))
    assert selected == ["pkg/mod.pyi"]


def test_a_file_gone_from_disk_has_no_tags(tree: Path) -> None:
    classifier = Classifier(tree, ["gone.py", "pkg/mod.py"])
    assert classifier.tags("gone.py") == frozenset()
    assert classifier.select(task(types=("python",))) == ["pkg/mod.py"]
    assert classifier.select(task(files=("*.py",))) == ["gone.py", "pkg/mod.py"]


def test_tags_are_read_once(tree: Path) -> None:
    classifier = Classifier(tree, FILES)
    assert "python" in classifier.tags("pkg/mod.py")
    os.remove(tree / "pkg" / "mod.py")
    assert "python" in classifier.tags("pkg/mod.py")
    assert classifier.select(task(types=("python",))) == ["pkg/mod.py", "run"]


def test_selections_are_fresh_lists(tree: Path) -> None:
    classifier = Classifier(tree, FILES)
    first = classifier.select(task(types=("python",)))
    first.clear()
    assert classifier.select(task(types=("python",))) == ["pkg/mod.py", "run"]


def test_paths_as_git_lists_them(repo: Path) -> None:
    (repo / "src" / "my pkg").mkdir(parents=True)
    (repo / "src" / "my pkg" / "modül.py").write_text("x = 1\n")
    (repo / "src" / "my pkg" / "data.json").write_text("{}\n")
    (repo / "setup.py").write_text("")
    git(repo, "add", ".")
    files = git(repo, "ls-files", "-z").rstrip("\0").split("\0")
    classifier = Classifier(repo, files)
    assert classifier.select(task(types=("python",))) == ["setup.py", "src/my pkg/modül.py"]
    assert classifier.select(task(files=("src/**",), types=("json",))) == ["src/my pkg/data.json"]


# -- pre-commit's type keys -------------------------------------------------------------


def typed(
    types: tuple[str, ...] = (), types_or: tuple[str, ...] = (), exclude: tuple[str, ...] = ()
) -> TaskConfig:
    return TaskConfig(name="t", cmd=("x",), types=types, types_or=types_or, exclude_types=exclude)


def test_types_or_needs_any_tag(tree: Path) -> None:
    classifier = Classifier(tree, FILES)
    assert classifier.select(typed(types_or=("python", "pyi"))) == [
        "pkg/mod.py",
        "pkg/mod.pyi",
        "run",
    ]
    assert classifier.select(typed(("text",), ("pyi", "executable"))) == ["pkg/mod.pyi", "run"]


def test_exclude_types_needs_no_tag(tree: Path) -> None:
    classifier = Classifier(tree, FILES)
    assert classifier.select(typed(exclude=("python", "binary"))) == [
        "pkg/mod.pyi",
        "notes.txt",
        "link.py",  # a symlink's only tag is "symlink", as in pre-commit
    ]
    assert classifier.select(typed(("python",), exclude=("executable",))) == ["pkg/mod.py"]


# -- only files -------------------------------------------------------------------------


@pytest.fixture
def odd(repo: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    """A repository whose index holds a submodule and symlinks, and the paths
    ``git ls-files`` lists with an untracked folder and symlink added."""
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    git(other, "commit", "-q", "--allow-empty", "-m", "other")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(other), "sub")
    (repo / "pkg").mkdir()
    (repo / "pkg" / "mod.py").write_text("x = 1\n")
    (repo / "to-folder").symlink_to("pkg")
    (repo / "to-file.py").symlink_to("pkg/mod.py")
    (repo / "to-nothing.py").symlink_to("gone.py")
    git(repo, "add", "-A")
    (repo / "untracked").mkdir()
    (repo / "untracked-link").symlink_to("untracked")
    paths = git(repo, "ls-files", "-z").rstrip("\0").split("\0")
    return repo, [*paths, "untracked", "untracked-link", "gone-too.py"]


EVERY = [".gitmodules", "README", "pkg/mod.py", "to-file.py", "gone-too.py"]
LINKS = ["to-file.py", "to-nothing.py"]


def records(repo: Path) -> list[tuple[str, str, str, str]]:
    found = []
    for record in git(repo, "ls-files", "-s", "-z").rstrip("\0").split("\0"):
        meta, _, path = record.partition("\t")
        mode, oid, stage = meta.split()
        found.append((mode, oid, stage, path))
    return found


def test_only_files_are_selected(odd: tuple[Path, list[str]]) -> None:
    repo, paths = odd
    classifier = Classifier(repo, paths)
    assert classifier.select(task()) == EVERY
    assert classifier.select(typed(("symlink",))) == LINKS
    assert classifier.select(typed(types_or=("symlink", "python"))) == ["pkg/mod.py", *LINKS]
    assert classifier.select(task(files=("sub", "to-folder", "untracked*"))) == []


def test_the_index_tells_the_same_as_the_disk(
    odd: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three ways to tell files apart, one answer: the caller's index records, git's
    index read for a run of many files, and a look at each path."""
    repo, paths = odd
    given = Classifier(repo, paths, records(repo))
    assert given.select(task()) == EVERY
    assert given.select(typed(("symlink",))) == LINKS
    monkeypatch.setattr(files, "LOOK_LIMIT", 0)
    asked = Classifier(repo, paths)
    assert asked.select(task()) == EVERY
    assert asked._kinds.index is not None
    assert asked.select(typed(("symlink",))) == LINKS


@pytest.mark.parametrize("ids", ["", " 0123456789012345678901234567890123456789 0"])
def test_the_index_as_git_lists_it_with_or_without_object_ids(ids: str) -> None:
    """``ls-files --format`` (git 2.38 and later) or ``ls-files -s``."""
    modes = {"a\tb.py": "100644", "sub": "160000", "link": "120000", "x": "100755"}
    for first in modes:
        order = [first, *(path for path in modes if path != first)]
        text = "".join(f"{modes[path]}{ids}\t{path}\0" for path in order)
        index = files._listed(text)
        assert index.tracked == set(modes)
        assert index.odd == {"sub": "160000", "link": "120000"}
    assert files._listed("") == (frozenset(), {})


def test_a_shared_classifier_looks_at_each_path_once(odd: tuple[Path, list[str]]) -> None:
    repo, paths = odd
    classifier = Classifier(repo, ["to-folder", "README"])
    assert classifier.select(task()) == ["README"]
    (repo / "to-folder").unlink()
    (repo / "to-folder").symlink_to("README")
    assert classifier.over(paths).select(task()) == EVERY


def test_regular_files_cost_no_look_when_the_index_is_known(
    odd: tuple[Path, list[str]],
) -> None:
    repo, paths = odd
    classifier = Classifier(repo, paths, records(repo))
    os.remove(repo / "pkg" / "mod.py")
    (repo / "pkg" / "mod.py").mkdir()  # the index still says a file
    assert "pkg/mod.py" in classifier.select(task())


# -- the warning for a pattern written as a regular expression --------------------------


def warned(pattern: str) -> TaskConfig:
    return TaskConfig(
        name="t", cmd=("x",), files=(pattern,), regex_like=((f"on {pattern}", pattern),)
    )


def test_a_regex_like_pattern_that_matches_nothing_is_warned_about_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    classifier = Classifier(Path("/nonexistent"), PATHS)
    assert classifier.select(warned(r"^src/.*\.py$")) == []
    assert classifier.select(warned(r"^src/.*\.py$")) == []
    assert classifier.over(["^src/x.py$"]).select(warned(r"^src/.*\.py$")) == []
    assert capsys.readouterr().err == "hookrunner: warning: on ^src/.*\\.py$\n"


def test_no_warning_when_it_matches_a_file_of_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    classifier = Classifier(Path("/nonexistent"), [*PATHS, "a|b"])
    assert classifier.select(warned("a|b")) == ["a|b"]
    assert capsys.readouterr().err == ""
