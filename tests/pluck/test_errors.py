"""Bad input raises typed errors that name the problem."""

from __future__ import annotations

from typing import Any

import pytest

from hotmesh.errors import ConfigurationError, HookNotFoundError, JobNotFoundError
from hotmesh.pluck import (
    InvalidOptionsError,
    InvalidTtlError,
    Pluck,
    PluckError,
    RecordNotFoundError,
    UnknownEntityError,
)
from hotmesh.search import SearchField, SearchIndex
from tests.pluck import _functions

pytestmark = pytest.mark.timeout(60)


async def exec_with(pluck: Pluck, options: Any, entity: str = "welcome") -> Any:
    return await pluck.exec(entity=entity, args=["x"], options=options)


@pytest.mark.parametrize(
    "ttl",
    [
        "soon",
        "5 fortnights",
        -1,
        0,
        "0s",
        "11 years",
        float("inf"),
        True,
        object(),
        [60],
    ],
    ids=lambda value: type(value).__name__ if type(value) is object else repr(value),
)
async def test_bad_ttl_raises(ttl: object) -> None:
    pluck = Pluck("redis://127.0.0.1:1")

    with pytest.raises(InvalidTtlError, match="ttl"):
        await exec_with(pluck, {"id": "x", "ttl": ttl})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"idd": "x"}, "unknown exec options: 'idd'"),
        ({"id": "a:b"}, "id 'a:b' is invalid"),
        ({"id": "a b"}, "id 'a b' is invalid"),
        ({"id": "a$b"}, "id 'a\\$b' is invalid"),
        ({"id": ""}, "id '' is invalid"),
        ({"id": 5}, "id 5 is invalid"),
        ({"await": "no"}, "option 'await'"),
        ({"signal_in": 1}, "option 'signal_in'"),
        ({"expire": 0}, "option 'expire'"),
        ({"search": {"fred": "flintstone"}}, "option 'search'"),
        ({"search": {"data": ["fred"]}}, "option 'search' has data"),
        ({"retry_policy": {"maximum_attempts": 1}}, "option 'retry_policy'"),
        ({"namespace": "a b"}, "namespace 'a b' is invalid"),
        ({"prefix": "x:y"}, "prefix 'x:y' is invalid"),
        ({"task_queue": ""}, "task_queue '' is invalid"),
        (["id", "x"], "exec options are list"),
    ],
)
async def test_bad_exec_option_raises(options: Any, message: str) -> None:
    pluck = Pluck("redis://127.0.0.1:1")

    with pytest.raises(InvalidOptionsError, match=message):
        await exec_with(pluck, options)


@pytest.mark.parametrize("entity", ["", "a b", "x:y", "a$b", 7])
async def test_bad_entity_name_raises(entity: Any) -> None:
    pluck = Pluck("redis://127.0.0.1:1")

    with pytest.raises(InvalidOptionsError, match="entity"):
        await exec_with(pluck, None, entity=entity)


async def test_bad_args_raise() -> None:
    pluck = Pluck("redis://127.0.0.1:1")

    with pytest.raises(InvalidOptionsError, match="args 'cat' are invalid"):
        await pluck.exec(entity="welcome", args="cat")
    with pytest.raises(InvalidOptionsError, match="hook_args 'no' are invalid"):
        await pluck.hook(
            entity="welcome", record_id="x", hook_entity="unsubscribe", hook_args="no"
        )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"ttl": "1 minute"}, "connect takes only 'infinity'"),
        ({"search": {"index": "x"}}, "give a SearchIndex"),
        ({"concurrency": 0}, "option 'concurrency'"),
        ({"run_timeout": -1}, "option 'run_timeout'"),
        ({"workers": 2}, "unknown connect options: 'workers'"),
    ],
)
async def test_bad_connect_option_raises(options: Any, message: str) -> None:
    pluck = Pluck("redis://127.0.0.1:1")

    with pytest.raises(InvalidOptionsError, match=message):
        await pluck.connect(
            entity="welcome", target=_functions.welcome, options=options
        )


async def test_target_must_be_callable() -> None:
    pluck = Pluck("redis://127.0.0.1:1")

    with pytest.raises(InvalidOptionsError, match="not a function"):
        await pluck.connect(entity="welcome", target="welcome")  # type: ignore[arg-type]


def test_bad_namespace_raises() -> None:
    with pytest.raises(InvalidOptionsError, match="namespace"):
        Pluck(namespace="a")


def test_errors_share_roots() -> None:
    assert issubclass(InvalidOptionsError, ConfigurationError)
    assert issubclass(InvalidTtlError, ValueError)
    assert issubclass(UnknownEntityError, LookupError)
    assert issubclass(RecordNotFoundError, JobNotFoundError)
    for error in (InvalidOptionsError, UnknownEntityError, RecordNotFoundError):
        assert issubclass(error, PluckError)


async def test_unknown_entity_raises(pluck: Pluck, namespace: str) -> None:
    with pytest.raises(UnknownEntityError, match=f"'nobody'.*'{namespace}'"):
        await pluck.exec(entity="nobody", args=[], options={"id": "x"})


async def test_entity_of_other_namespace_is_unknown(
    pluck: Pluck, namespace: str
) -> None:
    await pluck.connect(entity="welcome", target=_functions.welcome)

    with pytest.raises(UnknownEntityError):
        await exec_with(pluck, {"namespace": f"{namespace}-other"})


async def test_entity_connected_elsewhere_is_known(
    pluck: Pluck, connection: Any, namespace: str
) -> None:
    await pluck.connect(entity="welcome", target=_functions.welcome)

    async with Pluck(connection, namespace=namespace) as caller:
        assert await exec_with(caller, {"id": "x"}) == "Welcome, x."


async def test_second_connect_raises(pluck: Pluck) -> None:
    await pluck.connect(entity="welcome", target=_functions.welcome)

    with pytest.raises(InvalidOptionsError, match="already connected"):
        await pluck.connect(entity="welcome", target=_functions.welcome)


async def test_unknown_hook_entity_raises(pluck: Pluck) -> None:
    await pluck.connect(entity="welcome", target=_functions.welcome)
    await exec_with(pluck, {"id": "x", "ttl": "1 minute"})

    with pytest.raises(UnknownEntityError, match="'nohook'"):
        await pluck.hook(entity="welcome", record_id="x", hook_entity="nohook")


async def test_hook_on_missing_record_raises(pluck: Pluck) -> None:
    await pluck.connect(entity="unsubscribe", target=_functions.unsubscribe)

    with pytest.raises(HookNotFoundError):
        await pluck.hook(
            entity="welcome",
            record_id="nobody",
            hook_entity="unsubscribe",
            hook_args=["why"],
        )


@pytest.mark.parametrize(
    "call",
    ["info", "export", "all", "raw", "get", "set", "incr", "delete", "interrupt"],
)
async def test_missing_record_raises(pluck: Pluck, call: str) -> None:
    arguments: dict[str, tuple[Any, ...]] = {
        "get": (["a"],),
        "set": ({"a": 1},),
        "incr": ("a", 1),
        "delete": (["a"],),
    }
    method = getattr(pluck, call)

    with pytest.raises(RecordNotFoundError, match="'welcome-nobody'"):
        await method("welcome", "nobody", *arguments.get(call, ()))


async def test_bad_field_input_raises(pluck: Pluck) -> None:
    await pluck.connect(entity="welcome", target=_functions.welcome)
    await exec_with(pluck, {"id": "x", "ttl": "1 minute"})

    with pytest.raises(InvalidOptionsError, match="fields"):
        await pluck.delete("welcome", "x", "plan")  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionsError, match="data"):
        await pluck.set("welcome", "x", ["plan"])  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionsError, match="amount"):
        await pluck.incr("welcome", "x", "count", "1")  # type: ignore[arg-type]
    await pluck.set("welcome", "x", {"plan": "pro"})
    with pytest.raises(PluckError, match="not a number"):
        await pluck.incr("welcome", "x", "plan", 1)


async def test_find_where_without_index_raises(pluck: Pluck) -> None:
    bare = Pluck(pluck.connection, namespace=pluck.namespace)

    with pytest.raises(InvalidOptionsError, match="no search index"):
        await bare.find_where([])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("newsletter = no", "give a list of conditions"),
        ([{"field": "newsletter", "is": "~", "value": "no"}], "unknown operator"),
        ([{"field": "newsletter", "value": "no"}], "keys 'field', 'is'"),
        ([{"field": "age", "is": "<", "value": "old"}], "give a number"),
        ([{"field": "age", "is": "[]", "value": [1]}], r"give \[low, high\]"),
        ([{"field": "", "is": "=", "value": "x"}], "no field name"),
    ],
)
async def test_bad_condition_raises(pluck: Pluck, query: Any, message: str) -> None:
    with pytest.raises(InvalidOptionsError, match=message):
        await pluck.find_where(query)


async def test_condition_on_unindexed_field_raises(pluck: Pluck) -> None:
    index = SearchIndex("plans", [SearchField("plan", "tag")], prefixes=["welcome"])
    await pluck.create_search_index(index)

    with pytest.raises(ConfigurationError, match="no field 'color'"):
        await pluck.find_where(
            [{"field": "color", "is": "=", "value": "red"}], index="plans"
        )
    with pytest.raises(ConfigurationError, match="not found"):
        await pluck.find_where([], index="missing")
