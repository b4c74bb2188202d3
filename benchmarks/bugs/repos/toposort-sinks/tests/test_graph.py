import pytest
from depgraph import CycleError, topological_order


def test_chain():
    assert topological_order({"a": ["b"], "b": ["c"], "c": []}) == ["a", "b", "c"]


def test_ties_alphabetical():
    assert topological_order({"z": [], "a": [], "m": []}) == ["a", "m", "z"]


def test_node_only_listed_as_a_target():
    assert topological_order({"build": ["test"], "test": ["deploy"]}) == [
        "build",
        "test",
        "deploy",
    ]


def test_diamond_with_implicit_sink():
    order = topological_order({"a": ["b", "c"], "b": ["d"], "c": ["d"]})
    assert order == ["a", "b", "c", "d"]


def test_cycle_is_reported():
    with pytest.raises(CycleError, match="a, b"):
        topological_order({"a": ["b"], "b": ["a"]})


def test_empty_graph():
    assert topological_order({}) == []
