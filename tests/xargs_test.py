from __future__ import annotations

import os

import pytest

from hookrunner.engine.xargs import _cost, max_length, partition


def test_everything_fits_in_one_command() -> None:
    assert partition(["fmt", "-q"], ["a", "b"], 10_000) == [["fmt", "-q", "a", "b"]]


def test_no_files_still_runs_the_command_once() -> None:
    assert partition(["fmt"], [], 10_000) == [["fmt"]]


def test_split_keeps_order_passes_each_file_once_and_respects_the_limit() -> None:
    files = [f"dir/file_{i:04d}.py" for i in range(1000)]
    limit = 2_000
    batches = partition(["tool", "--check"], files, limit)
    assert len(batches) > 1
    assert [f for b in batches for f in b[2:]] == files
    for batch in batches:
        assert batch[:2] == ["tool", "--check"]
        assert sum(_cost(a) for a in batch) + 8 <= limit


def test_a_file_name_that_can_never_fit_is_an_error() -> None:
    with pytest.raises(ValueError, match="too long"):
        partition(["tool"], ["x" * 500], 100)


def test_the_environment_counts_against_the_limit() -> None:
    small = max_length({})
    big = max_length({"A": "x" * 10_000})
    assert small - big == _cost("A=" + "x" * 10_000)
    assert small < os.sysconf("SC_ARG_MAX")
