"""Upstream Pluck's test scenarios, with the outcomes they assert.

Upstream runs them in order against one database. Here each test connects
the functions it needs in its own namespace, so the tests run alone.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from hotmesh.hotmesh import HotMesh
from hotmesh.pluck import RESPONSE_FIELD, Pluck, RecordNotFoundError
from tests.engine.conftest import wait_for
from tests.pluck import _functions
from tests.pluck._functions import QUICK_RETRIES, greeting_text

pytestmark = pytest.mark.timeout(120)

JOHN = {"first": "John", "last": "Doe"}


async def connect_greeting(pluck: Pluck) -> None:
    """Connect ``greeting`` and its hook functions."""
    assert await pluck.connect(entity="greeting", target=_functions.greeting)
    assert await pluck.connect(entity="subscribe", target=_functions.subscribe)
    assert await pluck.connect(entity="unsubscribe", target=_functions.unsubscribe)


async def test_connect_returns_true(pluck: Pluck, namespace: str) -> None:
    await connect_greeting(pluck)
    assert await pluck.connect(entity="sleeper", target=_functions.sleeper)
    options: Any = {"namespace": f"{namespace}-staging"}
    assert await pluck.connect(entity="howdy", target=_functions.howdy, options=options)


async def test_mesh_has_engine_and_store(pluck: Pluck) -> None:
    mesh = await pluck.mesh()

    assert isinstance(mesh, HotMesh)
    assert mesh.engine is not None
    assert mesh.store is not None


async def test_howdy_record_lives_until_flush(pluck: Pluck, namespace: str) -> None:
    staging = f"{namespace}-staging"
    await pluck.connect(
        entity="howdy", target=_functions.howdy, options={"namespace": staging}
    )

    context = await pluck.exec(
        entity="howdy",
        args=[2],
        options={"namespace": staging, "id": "jimbo123", "ttl": "infinity"},
    )

    assert context["counter"] == 4
    assert context["namespace"] == staging
    assert context["workflow_id"] == "howdy-jimbo123"
    assert context["dimension"] == ""
    assert context["workflow_topic"] == "howdy-howdy"
    dump = await pluck.export(
        "howdy", "jimbo123", block=["transitions"], values=False, namespace=staging
    )
    assert "transitions" not in dump
    assert dump["timeline"]
    assert all("value" not in step for step in dump["timeline"])

    await pluck.flush("howdy", "jimbo123", namespace=staging)

    with pytest.raises(RecordNotFoundError, match="howdy-jimbo123"):
        await pluck.info("howdy", "jimbo123", namespace=staging)


async def test_exec_without_await_returns_id(pluck: Pluck) -> None:
    await connect_greeting(pluck)

    workflow_id = await pluck.exec(
        entity="greeting",
        args=["jan@pluck.com", {"first": "Jan", "last": "Doe"}],
        options={"id": "jan", "await": False},
    )

    assert workflow_id == "greeting-jan"


async def test_record_fields_read_and_written(pluck: Pluck) -> None:
    await connect_greeting(pluck)

    response = await pluck.exec(
        entity="greeting",
        args=["jdoe@pluck.com", JOHN],
        options={
            "id": "jdoe",
            "ttl": "60 seconds",
            "search": {"data": {"fred": "flintstone", "barney": "rubble"}},
        },
    )

    expected = greeting_text("jdoe@pluck.com", "John", "Doe")
    assert response == expected
    raw = await pluck.raw("greeting", "jdoe")
    assert raw["_fred"] == "flintstone"
    assert json.loads(raw[RESPONSE_FIELD]) == expected
    fields = await pluck.all("greeting", "jdoe")
    assert fields["fred"] == "flintstone"
    assert expected not in fields.values()
    some = await pluck.get("greeting", "jdoe", ["fred", "newsletter"])
    assert some == {"fred": "flintstone", "newsletter": "yes"}
    data = {"wilma": "flintstone", "bce": "-1000000", "email": "wstone@pluck.com"}
    assert await pluck.set("greeting", "jdoe", data) == 2
    assert await pluck.incr("greeting", "jdoe", "bce", 1) == -999999
    assert await pluck.delete("greeting", "jdoe", ["wilma", "bce", "emails"]) == 2


async def test_sleeper_completes(pluck: Pluck, namespace: str) -> None:
    await pluck.connect(entity="sleeper", target=_functions.sleeper)
    email = f"sleeper-{namespace}@pluck.com"

    response = await pluck.exec(entity="sleeper", args=[email])

    assert response == f"slept, {email}"
    for index in range(3):
        assert _functions.sent[(email, index)] == 1


async def test_greeting_with_short_ttl(pluck: Pluck) -> None:
    await connect_greeting(pluck)
    user = {"first": "Fred", "last": "Doe"}

    response = await pluck.exec(
        entity="greeting",
        args=["fdoe@pluck.com", user],
        options={"id": "abc123", "ttl": "1 second"},
    )

    assert response == greeting_text("fdoe@pluck.com", "Fred", "Doe")


async def test_infinite_record_takes_hook_and_flush(pluck: Pluck) -> None:
    await connect_greeting(pluck)
    user = {"first": "Floe", "last": "Doe"}

    response = await pluck.exec(
        entity="greeting",
        args=["floe.doe@pluck.com", user],
        options={"id": "abc456", "ttl": "infinity"},
    )

    assert response == greeting_text("floe.doe@pluck.com", "Floe", "Doe")

    async def unsubscribed() -> bool:
        fields = await pluck.all("greeting", "abc456")
        return fields.get("newsletter") == "no"

    await wait_for(unsubscribed, timeout=20)
    await pluck.flush("greeting", "abc456")
    with pytest.raises(RecordNotFoundError, match="greeting-abc456"):
        await pluck.info("greeting", "abc456")


async def test_failed_run_is_retried(pluck: Pluck, namespace: str) -> None:
    await connect_greeting(pluck)
    user = {"first": "Jim", "last": "Doe"}
    record_id = HotMesh.guid()

    response = await pluck.exec(
        entity="greeting",
        args=["jim.doe@pluck.com", user, True],
        options={"id": record_id, "ttl": "60 seconds", "retry_policy": QUICK_RETRIES},
    )

    assert _functions.failures[namespace] == 1
    assert response == greeting_text("jim.doe@pluck.com", "Jim", "Doe")
    info = await pluck.info("greeting", record_id)
    assert info.done
    assert info.response == response


async def test_roll_call_lists_workers(pluck: Pluck, namespace: str) -> None:
    staging = f"{namespace}-staging"
    await pluck.connect(
        entity="howdy", target=_functions.howdy, options={"namespace": staging}
    )

    profiles = await pluck.roll_call(delay=0.5, namespace=staging)

    assert profiles


async def test_hook_changes_live_record(pluck: Pluck) -> None:
    await connect_greeting(pluck)
    user = {"first": "Jim", "last": "Doe"}
    record_id = HotMesh.guid()
    reason = "I am no longer interested"
    await pluck.exec(
        entity="greeting",
        args=["jim.doe@pluck.com", user],
        options={"id": record_id, "ttl": "60 seconds"},
    )

    async def subscribed() -> bool:
        fields = await pluck.all("greeting", record_id)
        return fields.get("newsletter") == "yes"

    await wait_for(subscribed, timeout=10)
    hook_id = await pluck.hook(
        entity="greeting",
        record_id=record_id,
        hook_entity="unsubscribe",
        hook_args=[reason],
    )

    assert hook_id

    async def unsubscribed() -> dict[str, str] | None:
        fields = await pluck.all("greeting", record_id)
        return fields if fields.get("newsletter") == "no" else None

    fields = await wait_for(unsubscribed, timeout=10)
    assert fields["reason"] == reason
    dump = await pluck.export("greeting", record_id)
    expected = greeting_text("jim.doe@pluck.com", "Jim", "Doe")
    assert dump["state"]["data"]["response"] == expected
    assert dump["search"]["reason"] == reason
    blocked = await pluck.export(
        "greeting", record_id, block=["transitions"], values=False
    )
    assert "transitions" not in blocked
    assert blocked["timeline"]


async def test_find_jobs_scans_keys(pluck: Pluck) -> None:
    await connect_greeting(pluck)
    for name in ("ann", "bob"):
        await pluck.exec(
            entity="greeting",
            args=[f"{name}@pluck.com", {"first": name, "last": "Doe"}],
            options={"id": name, "ttl": "60 seconds"},
        )

    greetings = await pluck.find_jobs("greeting*")
    everything = await pluck.find_jobs()

    assert len(greetings) >= 2
    assert greetings[0].startswith("greeting-")
    assert len(everything) > 5


async def test_find_where_on_unsubscribed(pluck: Pluck) -> None:
    await connect_greeting(pluck)
    reason = "too many emails"
    for name in ("ann", "bob"):
        await pluck.exec(
            entity="greeting",
            args=[f"{name}@pluck.com", {"first": name, "last": "Doe"}],
            options={"id": name, "ttl": "60 seconds"},
        )
    await pluck.hook(
        entity="greeting",
        record_id="bob",
        hook_entity="unsubscribe",
        hook_args=[reason],
    )

    async def unsubscribed() -> bool:
        fields = await pluck.all("greeting", "bob")
        return fields.get("newsletter") == "no"

    await wait_for(unsubscribed, timeout=10)
    await pluck.create_search_index()

    assert await pluck.list_search_indexes() == ["greeting"]
    query: Any = [{"field": "newsletter", "is": "=", "value": "no"}]
    found = await pluck.find_where(
        query, return_fields=["email", "newsletter", "reason"]
    )
    assert found.count == 1
    last = found.rows[-1]
    assert last.job_id == "greeting-bob"
    assert last.fields == {
        "email": "bob@pluck.com",
        "newsletter": "no",
        "reason": reason,
    }
    page = await pluck.find_where(query, limit=1, return_fields=["newsletter"])
    assert len(page.rows) == 1
    assert page.rows[-1].fields["newsletter"] == "no"
    assert await pluck.find_where(query, count=True) == 1
