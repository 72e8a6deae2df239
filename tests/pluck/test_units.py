"""Pluck parts that need no server: ids, options, markers, conditions, exports."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest

import hotmesh.pluck
from hotmesh.durable._app import MAX_ID_LENGTH
from hotmesh.pluck import InvalidOptionsError, Pluck, workflow
from hotmesh.pluck._entity import split_marker, ttl_of
from hotmesh.pluck._find import is_record
from hotmesh.pluck._ids import mint_guid
from hotmesh.pluck._options import parse_exec_options, parse_ttl
from hotmesh.pluck._query import to_conditions
from hotmesh.search import Equals, Match, NotEquals, Range


def test_package_exports() -> None:
    assert hotmesh.pluck.__all__ == [
        "DEFAULT_EXPIRE",
        "DEFAULT_NAMESPACE",
        "INFINITY",
        "RESPONSE_FIELD",
        "ConnectOptions",
        "ExecOptions",
        "FieldCondition",
        "HookOptions",
        "InvalidOptionsError",
        "InvalidTtlError",
        "Pluck",
        "PluckError",
        "QueryItem",
        "RecordInfo",
        "RecordNotFoundError",
        "SearchData",
        "Ttl",
        "UnknownEntityError",
        "workflow",
    ]
    for name in hotmesh.pluck.__all__:
        assert hasattr(hotmesh.pluck, name)


def test_workflow_exports() -> None:
    for name in workflow.__all__:
        assert callable(getattr(workflow, name))


def test_mint_guid_joins_prefix_and_id() -> None:
    assert mint_guid("greeting", "jan") == "greeting-jan"


def test_mint_guid_without_id_is_random() -> None:
    first = mint_guid("greeting")
    second = mint_guid("greeting")

    assert first.startswith("greeting-")
    assert second.startswith("greeting-")
    assert first != second


def test_mint_guid_fits_max_length() -> None:
    record_id = "x" * (MAX_ID_LENGTH - len("greeting-"))

    assert len(mint_guid("greeting", record_id)) == MAX_ID_LENGTH


def test_mint_guid_rejects_too_long_id() -> None:
    record_id = "x" * (MAX_ID_LENGTH - len("greeting-") + 1)

    with pytest.raises(InvalidOptionsError) as caught:
        mint_guid("greeting", record_id, "option 'id'")

    message = str(caught.value)
    assert message.startswith("option 'id' 'xxxx")
    assert f"is {len(record_id)} chars long" in message
    assert "it may have at most 503 chars" in message
    assert f"at most {MAX_ID_LENGTH} chars" in message


def test_mint_guid_rejects_too_long_prefix() -> None:
    with pytest.raises(InvalidOptionsError, match="use a shorter entity name"):
        mint_guid("p" * MAX_ID_LENGTH)


def test_id_option_rejects_over_max_length() -> None:
    with pytest.raises(InvalidOptionsError, match="is 1024 chars long: give at most"):
        parse_exec_options({"id": "x" * 1024})


async def test_exec_names_too_long_id_option() -> None:
    pluck = Pluck("redis://127.0.0.1:1")
    record_id = "x" * 510

    with pytest.raises(InvalidOptionsError, match=r"^option 'id' 'x+'\.\.\. is 510"):
        await pluck.exec(entity="greeting", args=[], options={"id": record_id})


def test_record_ids_exclude_started_jobs() -> None:
    assert is_record("greeting-jan")
    assert not is_record("greeting-jan-$activity-2")
    assert not is_record("greeting-jan-$collate,0,0-3")


@pytest.mark.parametrize(
    ("ttl", "seconds"),
    [
        ("infinity", math.inf),
        (" Infinity ", math.inf),
        (60, 60.0),
        (0.5, 0.5),
        (timedelta(minutes=15), 900.0),
        ("15 minutes", 900.0),
        ("1 second", 1.0),
    ],
)
def test_ttl_in_seconds(ttl: object, seconds: float) -> None:
    assert parse_ttl(ttl) == seconds


def test_exec_options_default() -> None:
    settings = parse_exec_options(None)

    assert settings.record_id is None
    assert settings.ttl is None
    assert settings.wait
    assert settings.expire == 1
    assert settings.call_marker() == {"$type": "exec"}


def test_exec_options_read() -> None:
    options: Any = {
        "id": "jan",
        "ttl": "infinity",
        "await": False,
        "search": {"data": {"plan": "pro"}},
        "expire": 5,
    }

    settings = parse_exec_options(options)

    assert settings.record_id == "jan"
    assert settings.wait is False
    assert settings.search == {"plan": "pro"}
    assert settings.expire == 5
    assert settings.call_marker() == {"$type": "exec", "ttl": "infinity"}
    assert parse_exec_options({"ttl": "2 s"}).call_marker()["ttl"] == 2.0


@pytest.mark.parametrize(
    ("args", "values", "marker"),
    [
        ([], [], None),
        (["a", 1], ["a", 1], None),
        (["a", {"$type": "exec", "ttl": 5}], ["a"], {"$type": "exec", "ttl": 5}),
        (["a", {"$type": "hook"}], ["a"], {"$type": "hook"}),
        (["a", {"$type": "other"}], ["a", {"$type": "other"}], None),
        ([{"$type": "exec"}, "a"], [{"$type": "exec"}, "a"], None),
    ],
)
def test_split_marker(args: list[Any], values: list[Any], marker: Any) -> None:
    assert split_marker(args) == (values, marker)


@pytest.mark.parametrize(
    ("marker", "infinite", "ttl"),
    [
        (None, False, None),
        (None, True, None),
        ({"$type": "hook"}, True, None),
        ({"$type": "exec"}, False, None),
        ({"$type": "exec"}, True, math.inf),
        ({"$type": "exec", "ttl": 5}, False, 5.0),
        ({"$type": "exec", "ttl": 5}, True, math.inf),
        ({"$type": "exec", "ttl": "infinity"}, False, math.inf),
    ],
)
def test_ttl_of_call(marker: Any, infinite: bool, ttl: float | None) -> None:
    assert ttl_of(marker, infinite) == ttl


def test_field_conditions_become_search_conditions() -> None:
    query: Any = [
        {"field": "plan", "is": "=", "value": "pro"},
        {"field": "plan", "is": "!=", "value": 3},
        {"field": "age", "is": "<", "value": "30"},
        {"field": "age", "is": "<=", "value": 30},
        {"field": "age", "is": ">", "value": 1.5},
        {"field": "age", "is": ">=", "value": 2},
        {"field": "age", "is": "[]", "value": [1, 2]},
        Match("bio", "cats"),
    ]

    assert to_conditions(query) == [
        Equals("plan", "pro"),
        NotEquals("plan", "3"),
        Range("age", high=30.0, high_inclusive=False),
        Range("age", high=30.0),
        Range("age", low=1.5, low_inclusive=False),
        Range("age", low=2.0),
        Range("age", low=1.0, high=2.0),
        Match("bio", "cats"),
    ]


async def test_workflow_hook_needs_whole_target() -> None:
    with pytest.raises(InvalidOptionsError, match="both entity and record_id"):
        await workflow.hook("unsubscribe", entity="greeting")
