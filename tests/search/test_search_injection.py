"""Search values with RediSearch query syntax match as plain values.

Each hostile value is stored in the tag and text fields of one target job,
next to decoy jobs. A query would also return the decoys if the value's
syntax reached the query parser: a wildcard, an OR, a negation, a field
selector, braces, quotes, escapes, parentheses or fuzzy-match percent
signs. Every
query must return what the Python evaluator returns, which the scan uses:
the target and no decoy. On a server with RediSearch the query must also
run through ``FT.SEARCH`` and return the same result as the scan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from _servers import BackendServer
from hotmesh.errors import ConfigurationError
from hotmesh.search import (
    Condition,
    Equals,
    Match,
    Not,
    NotEquals,
    SearchField,
    SearchIndex,
    SearchQuery,
    SearchResult,
    plan_matches,
    plan_query,
    tags,
    text_words,
)
from hotmesh.store.protocol import CAP_CLUSTER, CAP_SEARCH, AppKey, NewJob, Store
from hotmesh.testing import eventually
from hotmesh_redis.search import SearchVerbs

INDEX = SearchIndex(
    "hostile",
    fields=[
        SearchField("kind", "tag"),
        SearchField("body", "text"),
        SearchField("size", "numeric"),
    ],
    prefixes=["job-"],
)

HOSTILE = [
    "*",
    "a*",
    "*a",
    "a|b",
    "*|*",
    "-a",
    "-(a)",
    "@kind:{a}",
    "@body:a",
    "@size:[0 10]",
    "{a}",
    "}",
    "{",
    "a} | @kind:{b",
    '"a"',
    "'a'",
    '"',
    "\\",
    "a\\",
    "\\*",
    "(a|b)",
    "a) | (b",
    "%a%",
    "%%a%%",
    "~a",
    "a;b",
    "$a",
    "ünïcödé 😀",
    "日本 a",
]
"""Values a RediSearch query string would read as syntax; see the module doc."""

DECOYS: dict[str, dict[str, str]] = {
    "job-a": {"_kind": "a", "_body": "a", "_size": "1"},
    "job-b": {"_kind": "b", "_body": "b", "_size": "5"},
    "job-ab": {"_kind": "ab", "_body": "ab abc", "_size": "7"},
    "job-other": {"_kind": "other", "_body": "other words", "_size": "20"},
}
"""Jobs a wildcard, OR, negation or field selector would pull into a result."""


def target_id(index: int) -> str:
    return f"job-hostile-{index}"


def all_jobs() -> dict[str, dict[str, str]]:
    jobs = dict(DECOYS)
    for index, value in enumerate(HOSTILE):
        jobs[target_id(index)] = {"_kind": value, "_body": value, "_size": str(index)}
    return jobs


def evaluated_ids(query: SearchQuery) -> list[str]:
    """Return the ids the Python evaluator matches, as the scan does."""
    plan = plan_query(INDEX, query)
    return sorted(
        job_id
        for job_id, fields in all_jobs().items()
        if plan_matches(plan, {name: value.encode() for name, value in fields.items()})
    )


def uses_index(backend: BackendServer) -> bool:
    return (
        CAP_SEARCH in backend.capabilities and CAP_CLUSTER not in backend.capabilities
    )


async def scan(store: Store, app: AppKey, query: SearchQuery) -> SearchResult:
    assert isinstance(store, SearchVerbs), "the matrix stores are Redis-family stores"
    store.search_mode = "scan"
    try:
        return await store.search_jobs(app, query)
    finally:
        store.search_mode = "auto"


@pytest_asyncio.fixture
async def hostile_jobs(
    store: Store, app_key: AppKey, backend: BackendServer
) -> AsyncIterator[SearchIndex]:
    await store.create_search_index(app_key, INDEX)
    for job_id, fields in all_jobs().items():
        await store.create_job(app_key, NewJob(job_id, 1, fields))
    if uses_index(backend):

        async def indexed() -> bool:
            count = SearchQuery(INDEX.name, count_only=True)
            return (await store.search_jobs(app_key, count)).indexed

        await eventually(indexed, message="server index done indexing")
    yield INDEX
    await store.drop_search_index(app_key, INDEX.name)


async def search_both(
    store: Store, app: AppKey, backend: BackendServer, condition: Condition
) -> list[str]:
    """Run a query through the store and the scan; return the ids they agree on."""
    query = SearchQuery(INDEX.name, [condition])
    automatic = await store.search_jobs(app, query)
    scanned = await scan(store, app, query)

    # A query that no job can match returns before reaching the server.
    reaches_server = plan_query(INDEX, query).satisfiable and uses_index(backend)
    assert automatic.indexed == reaches_server, "FT.SEARCH ran the query"
    assert automatic.job_ids == scanned.job_ids
    assert automatic.count == scanned.count
    assert scanned.job_ids == evaluated_ids(query)
    return automatic.job_ids


@pytest.mark.parametrize("index", range(len(HOSTILE)), ids=HOSTILE)
async def test_hostile_tag_matches_itself(
    store: Store,
    app_key: AppKey,
    backend: BackendServer,
    hostile_jobs: SearchIndex,
    index: int,
) -> None:
    value = HOSTILE[index]
    expected_tags = set(tags(value, ","))

    found = await search_both(store, app_key, backend, Equals("kind", value))
    others = await search_both(store, app_key, backend, NotEquals("kind", value))

    assert target_id(index) in found
    for job_id in found:
        assert expected_tags & set(tags(all_jobs()[job_id]["_kind"], ",")), job_id
    assert not set(found) & set(DECOYS)
    assert sorted(found + others) == sorted(all_jobs())


@pytest.mark.parametrize("index", range(len(HOSTILE)), ids=HOSTILE)
async def test_hostile_text_matches_its_words(
    store: Store,
    app_key: AppKey,
    backend: BackendServer,
    hostile_jobs: SearchIndex,
    index: int,
) -> None:
    value = HOSTILE[index]
    words = set(text_words(value))

    found = await search_both(store, app_key, backend, Match("body", value))
    others = await search_both(store, app_key, backend, Not(Match("body", value)))

    if words:
        assert target_id(index) in found
    else:
        assert found == []
    for job_id in found:
        assert words <= set(text_words(all_jobs()[job_id]["_body"])), job_id
    assert sorted(found + others) == sorted(all_jobs())


@pytest.mark.parametrize("value", ["*", "[0 10]", "1) | (2", "-inf | 5", "@size:1"])
async def test_hostile_number_rejected(
    store: Store, app_key: AppKey, hostile_jobs: SearchIndex, value: str
) -> None:
    query = SearchQuery(INDEX.name, [Equals("size", value)])

    with pytest.raises(ConfigurationError):
        await store.search_jobs(app_key, query)
    with pytest.raises(ConfigurationError):
        await scan(store, app_key, query)
