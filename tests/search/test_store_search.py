"""Search on every backend: the server index and the scan give the same results."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

import hotmesh_redis.search
from _servers import BackendServer, requires_capability
from hotmesh.search import (
    Equals,
    Match,
    Not,
    NotEquals,
    Range,
    SearchField,
    SearchIndex,
    SearchQuery,
    SearchResult,
)
from hotmesh.store.protocol import CAP_CLUSTER, CAP_SEARCH, AppKey, NewJob, Store
from hotmesh.testing import eventually
from hotmesh_redis.search import SearchVerbs

INDEX = SearchIndex(
    "greeting",
    fields=[
        SearchField("email", "text"),
        SearchField("newsletter", "tag"),
        SearchField("labels", "tag", separator="|"),
        SearchField("score", "numeric"),
    ],
    prefixes=["greeting-", "hello-", "star*"],
)

JOBS: dict[str, dict[str, str]] = {
    "greeting-jdoe": {
        "_email": "jdoe@pluck.com",
        "_newsletter": "yes",
        "_labels": "a|b",
        "_score": "10",
    },
    "greeting-jan": {"_email": "Jan <jan@pluck.com>", "_newsletter": "no"},
    "greeting-wilma": {
        "_email": "wstone@pluck.com",
        "_newsletter": "no",
        "_reason": "too many emails",
        "_score": "-1e3",
    },
    "greeting-bad": {"_email": "bad@pluck.com", "_newsletter": "no", "_score": "n/a"},
    "hello-émile": {
        "_email": "Émile 😀 <émile@exemple.fr>",
        "_newsletter": " no ",
        "_labels": "x,y|😀",
        "_score": "0.5",
    },
    "greeting-*odd?\\id[1]": {"_newsletter": "yes", "_score": "inf"},
    "star*1": {"_newsletter": "yes"},
    "starry": {"_newsletter": "yes"},
    "other-fred": {"_email": "fred@pluck.com", "_newsletter": "no"},
}

QUERIES = [
    SearchQuery("greeting"),
    SearchQuery("greeting", [Equals("newsletter", "no")]),
    SearchQuery(
        "greeting",
        [Equals("newsletter", "no")],
        return_fields=["email", "newsletter", "reason"],
    ),
    SearchQuery("greeting", [Equals("newsletter", "no")], limit=1, offset=1),
    SearchQuery("greeting", [Equals("newsletter", "no")], count_only=True),
    SearchQuery("greeting", [NotEquals("newsletter", "no")]),
    SearchQuery("greeting", [Equals("labels", "x,y")]),
    SearchQuery("greeting", [Equals("labels", "😀")]),
    SearchQuery("greeting", [Match("email", "pluck.com")]),
    SearchQuery("greeting", [Match("email", "émile 😀")]),
    SearchQuery("greeting", [Not(Match("email", "jan"))]),
    SearchQuery("greeting", [Range("score", 0, None, low_inclusive=False)]),
    SearchQuery("greeting", [Range("score", None, 10, high_inclusive=False)]),
    SearchQuery("greeting", [Equals("score", "inf")]),
    SearchQuery("greeting", [Not(Range("score", -1000, 10))]),
    SearchQuery(
        "greeting",
        [Equals("newsletter", "no"), Not(Range("score", None, 0))],
        return_fields=["score", "email"],
    ),
]


def search_verbs(store: Store) -> SearchVerbs:
    assert isinstance(store, SearchVerbs), "the matrix stores are Redis-family stores"
    return store


async def scan(store: Store, app: AppKey, query: SearchQuery) -> SearchResult:
    verbs = search_verbs(store)
    verbs.search_mode = "scan"
    try:
        return await store.search_jobs(app, query)
    finally:
        verbs.search_mode = "auto"


async def indexed(store: Store, app: AppKey) -> bool:
    """Return whether the server's index runs queries on ``INDEX`` now.

    Right after ``FT.CREATE`` the module may still be indexing, and until
    it is done the store scans.
    """
    count = SearchQuery(INDEX.name, count_only=True)
    return (await store.search_jobs(app, count)).indexed


@pytest_asyncio.fixture
async def greeting(
    store: Store, app_key: AppKey, backend: BackendServer
) -> AsyncIterator[SearchIndex]:
    await store.create_search_index(app_key, INDEX)
    for job_id, fields in JOBS.items():
        await store.create_job(app_key, NewJob(job_id, 1, fields))
    if uses_index(backend):
        await eventually(
            lambda: indexed(store, app_key), message="server index done indexing"
        )
    yield INDEX
    await store.drop_search_index(app_key, INDEX.name)


def uses_index(backend: BackendServer) -> bool:
    return (
        CAP_SEARCH in backend.capabilities and CAP_CLUSTER not in backend.capabilities
    )


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
async def test_index_and_scan_agree(
    store: Store,
    app_key: AppKey,
    backend: BackendServer,
    greeting: SearchIndex,
    query: SearchQuery,
) -> None:
    automatic = await store.search_jobs(app_key, query)
    scanned = await scan(store, app_key, query)

    assert automatic.indexed == uses_index(backend)
    assert not scanned.indexed
    assert automatic.job_ids == scanned.job_ids
    assert automatic.count == scanned.count
    assert automatic.rows == scanned.rows


async def test_expected_matches(
    store: Store, app_key: AppKey, greeting: SearchIndex
) -> None:
    no = await store.search_jobs(app_key, QUERIES[2])
    positive = await store.search_jobs(app_key, QUERIES[11])
    yes = await store.search_jobs(app_key, QUERIES[5])

    assert no.count == 3
    assert no.job_ids == ["greeting-jan", "greeting-wilma", "hello-émile"]
    assert no.rows[1].fields == {
        "email": "wstone@pluck.com",
        "newsletter": "no",
        "reason": "too many emails",
    }
    assert positive.job_ids == [
        "greeting-*odd?\\id[1]",
        "greeting-jdoe",
        "hello-émile",
    ]
    assert yes.job_ids == ["greeting-*odd?\\id[1]", "greeting-jdoe", "star*1"]


async def test_verbs_work_without_module(
    store: Store,
    app_key: AppKey,
    backend: BackendServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if uses_index(backend):
        pytest.skip(f"the {backend.name} server has a search index")
    caplog.set_level(logging.INFO, logger="hotmesh_redis.search")

    await store.create_search_index(app_key, INDEX)
    await store.create_job(app_key, NewJob("greeting-1", 1, {"_newsletter": "no"}))
    first = await store.search_jobs(app_key, SearchQuery("greeting"))
    second = await store.search_jobs(app_key, SearchQuery("greeting", count_only=True))
    names = await store.list_search_indexes(app_key)
    dropped = await store.drop_search_index(app_key, "greeting")

    assert first.job_ids == ["greeting-1"]
    assert not first.indexed
    assert second.count == 1
    assert names == ["greeting"]
    assert dropped
    notices = [
        record for record in caplog.records if "runs without an index" in record.message
    ]
    assert len(notices) == 1


@requires_capability("search")
async def test_scan_while_server_index_missing(
    store: Store,
    app_key: AppKey,
    backend: BackendServer,
    greeting: SearchIndex,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not uses_index(backend):
        pytest.skip("the cluster always scans")
    caplog.set_level(logging.INFO, logger="hotmesh_redis.search")
    query = SearchQuery("greeting", [Equals("newsletter", "no")])
    before = await store.search_jobs(app_key, query)
    server_index = f"{app_key.namespace}:{{{app_key.app_id}}}:idx:greeting"
    await search_verbs(store).client.execute_command("FT.DROPINDEX", server_index)

    during = await store.search_jobs(app_key, query)

    assert before.indexed
    assert not during.indexed
    assert during.job_ids == before.job_ids

    await eventually(
        lambda: indexed(store, app_key),
        message="server index rebuilt from its definition",
    )
    assert "runs without an index" not in caplog.text


@requires_capability("search")
async def test_failed_create_falls_back_to_scan(
    store: Store,
    app_key: AppKey,
    backend: BackendServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def rejected_args(name: str, prefixes: list[str], index: SearchIndex) -> list[str]:
        return ["FT.CREATE", name, "ON", "HASH", "SCHEMA", "_x", "NO-SUCH-TYPE"]

    monkeypatch.setattr(hotmesh_redis.search, "create_index_args", rejected_args)
    caplog.set_level(logging.INFO, logger="hotmesh_redis.search")
    await store.create_job(app_key, NewJob("greeting-1", 1, {"_newsletter": "no"}))

    await store.create_search_index(app_key, INDEX)
    first = await store.search_jobs(app_key, SearchQuery("greeting"))
    second = await store.search_jobs(app_key, SearchQuery("greeting"))
    await store.drop_search_index(app_key, INDEX.name)

    assert first.job_ids == ["greeting-1"]
    assert not first.indexed
    assert not second.indexed
    warnings = [
        record.message for record in caplog.records if record.levelno == logging.WARNING
    ]
    notices = [
        record.message
        for record in caplog.records
        if "runs without an index" in record.message
    ]
    assert len(warnings) == (1 if uses_index(backend) else 0)
    assert len(notices) == 1


@requires_capability("search")
async def test_scan_when_matches_exceed_read_limit(
    store: Store,
    app_key: AppKey,
    backend: BackendServer,
    greeting: SearchIndex,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hotmesh_redis.search, "MAX_INDEX_IDS", 2)
    query = SearchQuery("greeting", [Equals("newsletter", "no")])

    many = await store.search_jobs(app_key, query)
    counted = await store.search_jobs(
        app_key, SearchQuery("greeting", [Equals("newsletter", "no")], count_only=True)
    )

    assert not many.indexed
    assert many.count == 3
    assert counted.indexed == uses_index(backend)
    assert counted.count == 3


async def test_index_built_over_existing_jobs(store: Store, app_key: AppKey) -> None:
    for number in range(300):
        fields = {"_newsletter": "no" if number % 3 else "yes", "_score": str(number)}
        await store.create_job(app_key, NewJob(f"greeting-{number:03}", 1, fields))
    query = SearchQuery("greeting", [Equals("newsletter", "yes"), Range("score", 30)])

    await store.create_search_index(app_key, INDEX)
    try:
        result = await store.search_jobs(app_key, query)
    finally:
        await store.drop_search_index(app_key, INDEX.name)

    assert result.count == 90
    assert result.job_ids[0] == "greeting-030"
