from __future__ import annotations

import pytest

import hookrunner
from hookrunner.engine import graph
from hookrunner.engine.graph import CircularDependencyError, MissingDependencyError

DIAMOND = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}


def test_levels_group_by_depth_in_declaration_order() -> None:
    assert graph.levels(DIAMOND) == [["a"], ["b", "c"], ["d"]]


def test_levels_of_independent_tasks_are_one_level() -> None:
    assert graph.levels({"x": [], "y": [], "z": []}) == [["x", "y", "z"]]


def test_levels_use_the_longest_chain() -> None:
    # "c" waits for "a" directly and for "a" through "b": it belongs after "b".
    assert graph.levels({"c": ["a", "b"], "b": ["a"], "a": []}) == [["a"], ["b"], ["c"]]


def test_levels_of_nothing() -> None:
    assert graph.levels({}) == []


def test_critical_path_follows_the_longest_chain() -> None:
    durations = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 1.0}
    assert graph.critical_path(DIAMOND, durations) == (["a", "c", "d"], 5.0)


def test_critical_path_counts_unknown_durations_as_zero() -> None:
    assert graph.critical_path(DIAMOND, {"b": 2.0, "d": 1.0}) == (["a", "b", "d"], 3.0)


def test_critical_path_of_independent_tasks_is_the_longest_task() -> None:
    assert graph.critical_path({"x": [], "y": []}, {"x": 0.1, "y": 0.3}) == (["y"], 0.3)


def test_critical_path_of_nothing() -> None:
    assert graph.critical_path({}, {}) == ([], 0.0)


def test_critical_path_with_an_empty_task_name() -> None:
    # A name is only a key: an empty one must not read as "no predecessor".
    assert graph.critical_path({"": [], "b": [""]}, {"": 1.0, "b": 1.0}) == (["", "b"], 2.0)


def test_missing_dependency_names_the_task_and_the_missing_name() -> None:
    with pytest.raises(MissingDependencyError, match="'lint' depends on unknown task 'fmt'") as e:
        graph.validate({"lint": ["fmt"]})
    assert isinstance(e.value, ValueError)
    assert (e.value.task, e.value.missing) == ("lint", "fmt")


@pytest.mark.parametrize(
    ("edges", "shown"),
    [
        ({"a": ["b"], "b": ["a"]}, "a -> b -> a"),
        ({"a": ["b"], "b": ["c"], "c": ["a"]}, "a -> b -> c -> a"),
        ({"a": ["a"]}, "a -> a"),
        # The cycle starts at the task declared first, whatever graphlib finds.
        ({"ok": [], "c": ["a"], "a": ["b"], "b": ["c"]}, "c -> a -> b -> c"),
    ],
)
def test_cycle_is_a_value_error_showing_the_cycle(edges: dict[str, list[str]], shown: str) -> None:
    with pytest.raises(CircularDependencyError) as e:
        graph.validate(edges)
    assert isinstance(e.value, ValueError)
    assert str(e.value) == f"circular dependency: {shown}"
    assert " -> ".join(e.value.cycle) == shown


def test_every_query_validates() -> None:
    cyclic = {"a": ["b"], "b": ["a"]}
    with pytest.raises(CircularDependencyError):
        graph.levels(cyclic)
    with pytest.raises(CircularDependencyError):
        graph.critical_path(cyclic, {})


def test_cycle_error_is_exported() -> None:
    assert hookrunner.CircularDependencyError is CircularDependencyError


def test_dependents_reverse_the_edges() -> None:
    assert graph.dependents(DIAMOND) == {"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []}


def test_closure_is_everything_reachable() -> None:
    reverse = graph.dependents(DIAMOND)
    assert graph.closure(["a"], reverse) == {"b", "c", "d"}
    assert graph.closure(["b"], reverse) == {"d"}
    assert graph.closure(["d"], reverse) == set()
    # Names missing from the edges have no successors.
    assert graph.closure(["zz"], reverse) == set()
