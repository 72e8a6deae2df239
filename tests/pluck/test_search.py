"""Search over records: the server's index and the scan return the same rows.

Every query runs twice on each backend: as the store chooses (the
RediSearch index where the server has it) and forced to scan. Both must
return the expected records.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from _servers import BackendServer
from hotmesh.pluck import Pluck
from hotmesh.search import (
    Equals,
    Match,
    Not,
    Range,
    SearchField,
    SearchIndex,
    SearchResult,
)
from hotmesh_redis.search import SearchVerbs
from tests.engine.conftest import wait_for
from tests.search.test_store_search import uses_index

pytestmark = pytest.mark.timeout(90)

USERS = SearchIndex(
    "users",
    fields=[
        SearchField("plan", "tag"),
        SearchField("bio", "text"),
        SearchField("age", "numeric"),
    ],
    prefixes=["user"],
)

RECORDS: dict[str, dict[str, str]] = {
    "ann": {"plan": "pro", "bio": "Likes cats and dogs", "age": "31"},
    "bob": {"plan": "free", "bio": "Dogs only, please.", "age": "45"},
    "cyd": {"plan": "pro,team", "bio": "Café au lait, s'il vous plaît!", "age": "27"},
    "dee": {"plan": "enter{prise}", "bio": "naïve: e-mail@example.com", "age": "-3.5"},
    "eve": {"plan": "pro", "bio": "日本語 テキスト", "age": "60"},
    "fay": {"plan": "free"},
}


def ids(*names: str) -> list[str]:
    return [f"user-{name}" for name in names]


QUERIES: list[tuple[list[Any], dict[str, Any], list[str]]] = [
    ([{"field": "plan", "is": "=", "value": "pro"}], {}, ids("ann", "cyd", "eve")),
    ([{"field": "plan", "is": "!=", "value": "pro"}], {}, ids("bob", "dee", "fay")),
    ([{"field": "plan", "is": "=", "value": "enter{prise}"}], {}, ids("dee")),
    ([{"field": "bio", "is": "=", "value": "dogs"}], {}, ids("ann", "bob")),
    ([{"field": "bio", "is": "=", "value": "café"}], {}, ids("cyd")),
    ([{"field": "bio", "is": "=", "value": "e-mail@example.com"}], {}, ids("dee")),
    ([{"field": "bio", "is": "=", "value": "日本語"}], {}, ids("eve")),
    ([{"field": "age", "is": "<", "value": 30}], {}, ids("cyd", "dee")),
    ([{"field": "age", "is": "<=", "value": 27}], {}, ids("cyd", "dee")),
    ([{"field": "age", "is": ">=", "value": "45"}], {}, ids("bob", "eve")),
    ([{"field": "age", "is": ">", "value": 45}], {}, ids("eve")),
    ([{"field": "age", "is": "[]", "value": [27, 31]}], {}, ids("ann", "cyd")),
    ([{"field": "age", "is": "=", "value": -3.5}], {}, ids("dee")),
    ([{"field": "age", "is": ">", "value": 100}], {}, []),
    (
        [
            {"field": "plan", "is": "=", "value": "pro"},
            {"field": "age", "is": "<", "value": 50},
        ],
        {},
        ids("ann", "cyd"),
    ),
    ([Not(Equals("plan", "pro")), Match("bio", "dogs")], {}, ids("bob")),
    ([Range("age", low=30)], {}, ids("ann", "bob", "eve")),
    ([], {}, ids("ann", "bob", "cyd", "dee", "eve", "fay")),
    ([], {"offset": 1, "limit": 2}, ids("bob", "cyd")),
    ([], {"offset": 5, "limit": 10}, ids("fay")),
]


async def profile(name: str) -> str:
    return f"profile of {name}"


@pytest.fixture
async def users(pluck: Pluck, backend: BackendServer) -> AsyncIterator[Pluck]:
    """Create the records, then the index, and wait until the index is built."""
    await pluck.connect(entity="user", target=profile)
    for name, data in RECORDS.items():
        await pluck.exec(
            entity="user",
            args=[name],
            options={"id": name, "ttl": "infinity", "search": {"data": data}},
        )
    await pluck.create_search_index(USERS)
    if uses_index(backend):

        async def indexed() -> bool:
            result = await pluck.find_where([], index=USERS, limit=0)
            return result.indexed

        await wait_for(indexed, timeout=20, interval=0.1)
    yield pluck


async def scanned(pluck: Pluck, query: list[Any], **options: Any) -> SearchResult:
    """Run ``find_where`` with the store forced to scan."""
    store = (await pluck.mesh()).store
    assert isinstance(store, SearchVerbs), "the matrix stores are Redis stores"
    store.search_mode = "scan"
    try:
        return await pluck.find_where(query, index=USERS, **options)
    finally:
        store.search_mode = "auto"


@pytest.mark.parametrize(("query", "options", "expected"), QUERIES)
async def test_index_and_scan_agree(
    users: Pluck,
    backend: BackendServer,
    query: list[Any],
    options: dict[str, Any],
    expected: list[str],
) -> None:
    fields = ["plan", "age", "missing"]

    chosen = await users.find_where(query, index=USERS, return_fields=fields, **options)
    by_scan = await scanned(users, query, return_fields=fields, **options)

    assert chosen.indexed == uses_index(backend)
    assert not by_scan.indexed
    assert chosen.job_ids == expected
    assert by_scan.job_ids == expected
    assert chosen.rows == by_scan.rows
    assert chosen.count == by_scan.count
    for row in chosen.rows:
        name = row.job_id.removeprefix("user-")
        stored = RECORDS[name]
        assert row.fields == {key: stored[key] for key in fields if key in stored}


async def test_count_matches_rows(users: Pluck) -> None:
    query = [{"field": "plan", "is": "=", "value": "pro"}]

    count = await users.find_where(query, index=USERS, count=True)
    scan_count = (await scanned(users, query, limit=0)).count

    assert count == 3
    assert scan_count == 3


async def test_started_jobs_are_not_records(users: Pluck) -> None:
    everything = await users.find_jobs("user*")

    found = await users.find_where(
        [{"field": "plan", "is": "!=", "value": "none"}], index="users"
    )

    assert any("$" in job_id for job_id in everything)
    assert found.job_ids == ids(*RECORDS)


async def test_indexes_listed_by_name(users: Pluck) -> None:
    assert await users.list_search_indexes() == ["users"]


async def test_records_run_after_index_exists(users: Pluck) -> None:
    await users.exec(
        entity="user",
        args=["gus"],
        options={"id": "gus", "ttl": "infinity", "search": {"data": {"plan": "pro"}}},
    )

    async def listed() -> bool:
        found = await users.find_where(
            [{"field": "plan", "is": "=", "value": "pro"}], index=USERS
        )
        return "user-gus" in found.job_ids

    await wait_for(listed, timeout=10)


async def test_connect_creates_index(pluck: Pluck) -> None:
    await pluck.connect(entity="user", target=profile, options={"search": USERS})

    assert await pluck.list_search_indexes() == ["users"]
    assert (await pluck.find_where([], index="users")).count == 0
