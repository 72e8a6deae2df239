"""The record cache: hits, misses, flush, ttl expiry and infinite records."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import redis.asyncio

from hotmesh.durable import Client, DuplicateWorkflowError, DurableError, RetryPolicy
from hotmesh.pluck import Pluck, RecordNotFoundError
from tests.engine.conftest import wait_for
from tests.pluck import _functions

pytestmark = pytest.mark.timeout(60)


def runs(namespace: str, name: str) -> int:
    """Return how often ``welcome(name)`` ran in a namespace."""
    return _functions.calls[f"{namespace}:welcome:{name}"]


@pytest.fixture
async def welcome(pluck: Pluck) -> Pluck:
    """Return the test's Pluck with ``welcome`` connected."""
    await pluck.connect(entity="welcome", target=_functions.welcome)
    return pluck


async def call(pluck: Pluck, name: str, **options: Any) -> Any:
    return await pluck.exec(entity="welcome", args=[name], options=options)


async def test_second_call_hits_cache(welcome: Pluck, namespace: str) -> None:
    first = await call(welcome, "cat", id="cat", ttl="1 minute")
    second = await call(welcome, "cat", id="cat", ttl="1 minute")

    assert first == second == "Welcome, cat."
    assert runs(namespace, "cat") == 1
    info = await welcome.info("welcome", "cat")
    assert info.done
    assert info.status > 0
    assert info.response == "Welcome, cat."


async def test_other_id_misses_cache(welcome: Pluck, namespace: str) -> None:
    await call(welcome, "cat", id="one", ttl="1 minute")
    await call(welcome, "cat", id="two", ttl="1 minute")

    assert runs(namespace, "cat") == 2


async def test_call_without_ttl_runs_again(welcome: Pluck, namespace: str) -> None:
    await call(welcome, "dog", id="dog")
    await call(welcome, "dog", id="dog")
    await call(welcome, "dog")

    assert runs(namespace, "dog") == 3


async def test_ttl_forms_are_accepted(welcome: Pluck, namespace: str) -> None:
    for ttl in (60, 60.0, timedelta(minutes=1), "60 seconds", "1m"):
        assert await call(welcome, "cow", id="cow", ttl=ttl) == "Welcome, cow."

    assert runs(namespace, "cow") == 1


async def test_flush_removes_record(welcome: Pluck, namespace: str) -> None:
    await call(welcome, "cat", id="cat", ttl="1 minute")

    await welcome.flush("welcome", "cat")

    with pytest.raises(RecordNotFoundError):
        await welcome.info("welcome", "cat")
    assert await call(welcome, "cat", id="cat", ttl="1 minute") == "Welcome, cat."
    assert runs(namespace, "cat") == 2


async def test_flush_of_missing_record_does_nothing(welcome: Pluck) -> None:
    await welcome.flush("welcome", "nobody")


async def test_expired_ttl_runs_again(welcome: Pluck, namespace: str) -> None:
    await call(welcome, "owl", id="owl", ttl="1 second")
    await call(welcome, "owl", id="owl", ttl="1 second")
    assert runs(namespace, "owl") == 1

    async def finished() -> bool:
        try:
            info = await welcome.info("welcome", "owl")
        except RecordNotFoundError:
            return True
        return info.status <= 0

    await wait_for(finished, timeout=10)
    assert await call(welcome, "owl", id="owl", ttl="1 second") == "Welcome, owl."
    assert runs(namespace, "owl") == 2


async def test_infinite_record_stays_alive(welcome: Pluck, namespace: str) -> None:
    await call(welcome, "elk", id="elk", ttl="infinity")
    await asyncio.sleep(1.5)

    info = await welcome.info("welcome", "elk")
    assert info.status > 0
    assert await call(welcome, "elk", id="elk", ttl="infinity") == "Welcome, elk."
    assert runs(namespace, "elk") == 1


async def test_connect_ttl_makes_records_infinite(pluck: Pluck, namespace: str) -> None:
    await pluck.connect(
        entity="welcome", target=_functions.welcome, options={"ttl": "infinity"}
    )

    await call(pluck, "ant", id="ant")
    await asyncio.sleep(1.5)

    assert (await pluck.info("welcome", "ant")).status > 0
    assert runs(namespace, "ant") == 1


async def test_concurrent_calls_run_once(welcome: Pluck, namespace: str) -> None:
    responses = await asyncio.gather(
        *(call(welcome, "bee", id="bee", ttl="1 minute") for _ in range(4))
    )

    assert responses == ["Welcome, bee."] * 4
    assert runs(namespace, "bee") == 1


async def test_call_without_await_returns_id(welcome: Pluck, namespace: str) -> None:
    record_id = await call(welcome, "fox", id="fox", ttl="1 minute", **{"await": False})

    assert record_id == "welcome-fox"

    async def stored() -> bool:
        return (await welcome.info("welcome", "fox")).done

    await wait_for(stored, timeout=10)
    again = await call(welcome, "fox", id="fox", ttl="1 minute", **{"await": False})
    assert again == "welcome-fox"
    assert runs(namespace, "fox") == 1


def always_fails(name: str) -> str:
    raise ValueError(f"no welcome for {name}")


async def test_failed_call_is_not_cached(pluck: Pluck) -> None:
    await pluck.connect(entity="fails", target=always_fails)
    once = RetryPolicy(maximum_attempts=1)

    for _ in range(2):
        with pytest.raises(DurableError, match="no welcome for rat"):
            await pluck.exec(
                entity="fails",
                args=["rat"],
                options={"id": "rat", "ttl": "1 minute", "retry_policy": once},
            )


async def test_plain_function_is_served(pluck: Pluck) -> None:
    await pluck.connect(entity="shout", target=_functions.shout)

    response = await pluck.exec(
        entity="shout", args=["ada"], options={"id": "ada", "ttl": "1 minute"}
    )

    assert response == "HELLO, ADA!"


async def test_search_data_seeds_record(welcome: Pluck) -> None:
    await call(
        welcome, "yak", id="yak", ttl="1 minute", search={"data": {"plan": "pro"}}
    )

    assert await welcome.all("welcome", "yak") == {"plan": "pro"}


async def test_flush_deletes_kept_record(welcome: Pluck, namespace: str) -> None:
    client = Client(welcome.connection, namespace=namespace)
    try:
        handle = await client.workflow.start(
            workflow_name="welcome",
            task_queue="welcome",
            args=["kept"],
            workflow_id="welcome-kept",
            expire=0,
        )
        assert await handle.result(timeout=10) == "Welcome, kept."
    finally:
        await client.close()

    with pytest.raises(DuplicateWorkflowError, match="kept without expiry"):
        await call(welcome, "kept", id="kept")
    await welcome.flush("welcome", "kept")

    assert await call(welcome, "kept", id="kept") == "Welcome, kept."


async def test_throttled_worker_still_serves(welcome: Pluck) -> None:
    assert isinstance(await welcome.throttle(50, topic="welcome-welcome"), bool)

    assert await call(welcome, "emu", id="emu") == "Welcome, emu."
    await welcome.throttle(0)


async def test_client_object_connects(backend_url: str, namespace: str) -> None:
    if not backend_url.startswith("redis://"):
        pytest.skip("this test builds a redis-py client from a redis:// URL")
    client = redis.asyncio.Redis.from_url(backend_url)
    try:
        async with Pluck(client, namespace=namespace) as pluck:
            await pluck.connect(entity="welcome", target=_functions.welcome)

            response = await call(pluck, "gnu", id="gnu")
    finally:
        await client.aclose()

    assert response == "Welcome, gnu."
