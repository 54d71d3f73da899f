"""What a command line wrote (cli/watch.py): stat and content before and after."""

from __future__ import annotations

import os
import time
from pathlib import Path

from hookrunner.cli import watch
from hookrunner.cli.watch import changed_files, fingerprint

HOUR_NS = 3600 * 10**9


def settled(path: Path, text: str) -> None:
    """``path`` holding ``text``, last written an hour ago."""
    path.write_text(text)
    past = time.time_ns() - HOUR_NS
    os.utime(path, ns=(past, past))


def test_a_rewrite_with_the_same_content_is_touched_not_changed(tmp_path: Path) -> None:
    settled(tmp_path / "same.py", "x = 1\n")
    settled(tmp_path / "other.py", "y = 1\n")
    settled(tmp_path / "kept.py", "z = 1\n")
    files = ["same.py", "other.py", "kept.py", "missing.py"]
    for _ in range(2):  # the second time from remembered digests
        before = fingerprint(tmp_path, files)
        (tmp_path / "same.py").write_text("x = 1\n")
        (tmp_path / "other.py").write_text("y = 2\n")
        assert changed_files(tmp_path, before) == (["other.py"], ["same.py", "other.py"])
        settled(tmp_path / "other.py", "y = 1\n")


def test_a_digest_is_remembered_only_for_a_file_not_written_lately(tmp_path: Path) -> None:
    settled(tmp_path / "old.py", "a = 1\n")
    (tmp_path / "new.py").write_text("b = 1\n")
    fingerprint(tmp_path, ["old.py", "new.py"])
    assert str(tmp_path / "old.py") in watch._known
    assert str(tmp_path / "new.py") not in watch._known
    # A later write changes the stat: the remembered digest is not used.
    before = fingerprint(tmp_path, ["old.py"])
    (tmp_path / "old.py").write_text("a = 2\n")
    assert changed_files(tmp_path, before)[0] == ["old.py"]
    after = fingerprint(tmp_path, ["old.py"])
    assert after["old.py"][1] != before["old.py"][1]


def test_without_content_a_changed_stat_is_a_change(tmp_path: Path) -> None:
    settled(tmp_path / "a.py", "a = 1\n")
    before = fingerprint(tmp_path, ["a.py"], content=False)
    assert before["a.py"][1] is None
    (tmp_path / "a.py").write_text("a = 1\n")
    assert changed_files(tmp_path, before) == (["a.py"], ["a.py"])
