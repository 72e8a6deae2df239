"""Tests for walking ``maps`` rules into mapped data."""

from __future__ import annotations

from typing import Any

import pytest

from hotmesh.engine.mapper import map_rules
from hotmesh.engine.pipe import UNDEFINED
from hotmesh.errors import PipeError


@pytest.fixture
def context() -> dict[str, Any]:
    """Build a job context with a trigger and a worker activity."""
    worker = {
        "output": {
            "data": {"y": "hello world", "items": [1, 2, 3], "user": {"id": 7}},
            "metadata": {"aid": "a1", "dad": ",0,0"},
        }
    }
    root: dict[str, Any] = {
        "metadata": {"jid": "job-1"},
        "data": {"a": "hello"},
        "t1": {"output": {"data": {"a": "hello", "seed": 3, "speed": 4}}},
        "a1": worker,
    }
    root["$self"] = worker
    root["$job"] = root
    return root


def test_scalars_and_mappings(context: dict[str, Any]) -> None:
    rules = {
        "x": "{t1.output.data.a}",
        "b": "{$self.output.data.y}",
        "jid": "{$job.metadata.jid}",
        "literal": "plain text",
        "count": 5,
        "flag": False,
        "ratio": 0.5,
    }
    assert map_rules(rules, context) == {
        "x": "hello",
        "b": "hello world",
        "jid": "job-1",
        "literal": "plain text",
        "count": 5,
        "flag": False,
        "ratio": 0.5,
    }


def test_undefined_keys_are_skipped(context: dict[str, Any]) -> None:
    rules = {"kept": "{t1.output.data.a}", "missing": "{t1.output.data.nope}"}
    assert map_rules(rules, context) == {"kept": "hello"}


def test_null_literal_maps_to_none(context: dict[str, Any]) -> None:
    assert map_rules({"cleared": None}, context) == {"cleared": None}
    assert map_rules(None, context) is None


def test_arrays_stay_arrays(context: dict[str, Any]) -> None:
    rules = {"pair": ["{t1.output.data.a}", "{a1.output.data.y}", 3, None]}
    result = map_rules(rules, context)
    assert result == {"pair": ["hello", "hello world", 3, None]}
    assert isinstance(result["pair"], list)


def test_undefined_array_elements_become_none(context: dict[str, Any]) -> None:
    assert map_rules(["{nope}", "x"], context) == [None, "x"]


def test_nested_objects_and_arrays(context: dict[str, Any]) -> None:
    rules = {
        "outer": {
            "inner": {"value": "{a1.output.data.user.id}"},
            "list": [{"name": "{t1.output.data.a}"}, ["{t1.output.data.seed}"]],
        }
    }
    assert map_rules(rules, context) == {
        "outer": {"inner": {"value": 7}, "list": [{"name": "hello"}, [3]]}
    }


def test_pipe_values_evaluated(context: dict[str, Any]) -> None:
    rules = {
        "height": {
            "@pipe": [
                ["{t1.output.data.seed}", "{t1.output.data.speed}"],
                ["{@math.multiply}"],
            ]
        },
        "in_list": [{"@pipe": [["a", "b"], ["{@string.concat}"]]}],
    }
    assert map_rules(rules, context) == {"height": 12, "in_list": ["ab"]}


def test_pipe_object_at_top_level(context: dict[str, Any]) -> None:
    rules = {"@pipe": [["{t1.output.data.a}"], ["{@string.toUpperCase}"]]}
    assert map_rules(rules, context) == "HELLO"


def test_marker_key_from_nested_pipes(context: dict[str, Any]) -> None:
    rules = {
        "marker[-]": {
            "@pipe": [
                {
                    "@pipe": [
                        ["-sleep", "{a1.output.metadata.dad}", "-", 13, "-"],
                        ["{@string.concat}"],
                    ]
                },
                {"@pipe": [[1000]]},
                ["{@object.create}"],
            ]
        }
    }
    assert map_rules(rules, context) == {"marker[-]": {"-sleep,0,0-13-": 1000}}


def test_undefined_inside_pipe_result_dropped(context: dict[str, Any]) -> None:
    rules = {"made": {"@pipe": [["a", 1, "b"], ["{@object.create}"]]}}
    assert map_rules(rules, context) == {"made": {"a": 1}}


def test_pipe_returning_undefined_skipped(context: dict[str, Any]) -> None:
    rules = {"gone": {"@pipe": [["{@symbol.undefined}"]]}, "kept": 1}
    assert map_rules(rules, context) == {"kept": 1}


def test_single_cell_rules(context: dict[str, Any]) -> None:
    assert map_rules("{t1.output.data.seed}", context) == 3
    assert map_rules("{t1.output.data.nope}", context) is UNDEFINED
    assert map_rules(42, context) == 42


def test_result_detached_from_context(context: dict[str, Any]) -> None:
    result = map_rules({"user": "{a1.output.data.user}"}, context)
    result["user"]["id"] = 99
    assert context["a1"]["output"]["data"]["user"]["id"] == 7


def test_rules_not_modified(context: dict[str, Any]) -> None:
    rules = {"a": ["{t1.output.data.a}"], "b": {"c": "{t1.output.data.seed}"}}
    map_rules(rules, context)
    assert rules == {"a": ["{t1.output.data.a}"], "b": {"c": "{t1.output.data.seed}"}}


def test_frozen_results_become_plain(context: dict[str, Any]) -> None:
    rules = {"frozen": {"@pipe": [[{"a": 1}], ["{@object.freeze}"]]}}
    result = map_rules(rules, context)
    assert result == {"frozen": {"a": 1}}
    assert type(result["frozen"]) is dict


def test_self_containing_value_raises(context: dict[str, Any]) -> None:
    with pytest.raises(PipeError, match="contains itself"):
        map_rules({"everything": "{$job}"}, context)


def test_pipe_errors_propagate(context: dict[str, Any]) -> None:
    with pytest.raises(PipeError, match="unknown function"):
        map_rules({"bad": {"@pipe": [[1], ["{@math.nope}"]]}}, context)
