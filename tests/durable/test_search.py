"""Workflow search: indexes declared by workers, queried by the client.

Every search runs twice, as the store chooses and as a scan (see
``search_both_ways``): the server's index must run the query where the
backend has one, and both must give the same result.
"""

from __future__ import annotations

import pytest

from _servers import BackendServer
from hotmesh.durable import Client, Worker
from hotmesh.durable._app import require_store
from hotmesh.errors import ConfigurationError
from hotmesh.search import (
    Equals,
    Match,
    NotEquals,
    Range,
    SearchField,
    SearchIndex,
    SearchQuery,
    SearchRow,
)
from tests.durable import _workflows
from tests.durable._searching import search_both_ways
from tests.durable.conftest import Durable

pytestmark = pytest.mark.timeout(60)

GREETINGS = SearchIndex(
    "greetings",
    fields=[
        SearchField("color", "tag"),
        SearchField("size", "numeric"),
        SearchField("note", "text"),
    ],
    prefixes=["greet-"],
)

SEEDS = {
    "greet-a": {"color": "red", "size": 3, "note": "first one"},
    "greet-b": {"color": "blue", "size": 3, "note": "second one"},
    "greet-c": {"color": "red", "size": 7},
}


async def start_greetings(durable: Durable) -> Client:
    """Run a workflow for each seed to its end; return a client."""
    await durable.worker(workflow=_workflows.hello, search=GREETINGS)
    client = durable.client()
    for workflow_id, fields in SEEDS.items():
        handle = await client.workflow.start(
            workflow_name="hello",
            task_queue="tests",
            args=[workflow_id],
            workflow_id=workflow_id,
            search=fields,
        )
        await handle.result(timeout=20)
    return client


async def test_dict_query_matches_every_value(
    durable: Durable, backend: BackendServer
) -> None:
    client = await start_greetings(durable)

    red = await search_both_ways(client, backend, {"color": "red", "size": 3})
    green = await search_both_ways(client, backend, {"color": "green"})

    assert red.job_ids == ["greet-a"]
    assert red.count == 1
    assert green.job_ids == []
    assert green.count == 0


async def test_conditions_pages_and_fields(
    durable: Durable, backend: BackendServer
) -> None:
    client = await start_greetings(durable)

    large = await search_both_ways(
        client, backend, [Range("size", low=3, low_inclusive=False)]
    )
    words = await search_both_ways(
        client, backend, [Match("note", "one"), Equals("size", 3)]
    )
    page = await search_both_ways(
        client,
        backend,
        [Equals("size", 3)],
        index="greetings",
        limit=1,
        offset=1,
        return_fields=["color", "note", "fred"],
    )
    counted = await search_both_ways(client, backend, [Equals("size", 3)], count=True)

    assert large.job_ids == ["greet-c"]
    assert words.job_ids == ["greet-a", "greet-b"]
    assert page.count == 2
    assert page.rows == (SearchRow("greet-b", {"color": "blue", "note": "second one"}),)
    assert counted.count == 2
    assert counted.rows == ()


async def test_results_hold_workflows_only(
    durable: Durable, backend: BackendServer
) -> None:
    client = await start_greetings(durable)
    mesh = await client.mesh()
    every_job = await require_store(mesh).search_jobs(
        mesh.app, SearchQuery("greetings")
    )

    everything = await search_both_ways(client, backend)
    not_red = await search_both_ways(client, backend, [NotEquals("color", "red")])
    page = await search_both_ways(
        client, backend, limit=2, offset=1, return_fields=["color"]
    )
    counted = await search_both_ways(client, backend, count=True)

    # The prefix covers the activity jobs of the workflows too.
    assert any("-$activity" in job_id for job_id in every_job.job_ids)
    assert everything.job_ids == ["greet-a", "greet-b", "greet-c"]
    assert everything.count == 3
    assert not_red.job_ids == ["greet-b"]
    assert not_red.count == 1
    assert page.count == 3
    assert page.rows == (
        SearchRow("greet-b", {"color": "blue"}),
        SearchRow("greet-c", {"color": "red"}),
    )
    assert counted.count == 3
    assert counted.rows == ()


async def test_search_query_carries_options(
    durable: Durable, backend: BackendServer
) -> None:
    client = await start_greetings(durable)
    query = SearchQuery(
        "greetings", [Equals("color", "red")], return_fields=["size"], limit=1
    )

    found = await search_both_ways(client, backend, query)

    assert found.count == 2
    assert found.rows == (SearchRow("greet-a", {"size": "3"}),)
    with pytest.raises(ConfigurationError, match="set index, limit"):
        await client.workflow.search(query, limit=5)


async def test_workers_create_index_once(durable: Durable) -> None:
    changed = SearchIndex(
        "greetings", fields=[SearchField("color", "text")], prefixes=["greet-"]
    )
    first = await durable.worker(workflow=_workflows.hello, search=GREETINGS)
    await durable.worker(workflow=_workflows.hello, search=[GREETINGS])
    store = require_store(first.mesh)

    assert first.search == (GREETINGS,)
    assert await store.list_search_indexes(first.mesh.app) == ["greetings"]
    assert await store.get_search_index(first.mesh.app, "greetings") == GREETINGS

    await durable.worker(workflow=_workflows.hello, search=changed)

    assert await store.get_search_index(first.mesh.app, "greetings") == changed


async def test_index_needed(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.hello)
    client = durable.client()

    with pytest.raises(ConfigurationError, match="exactly one search index"):
        await client.workflow.search({"color": "red"})
    with pytest.raises(ConfigurationError, match="'greetings' not found"):
        await client.workflow.search({"color": "red"}, index="greetings")

    await durable.worker(workflow=_workflows.hello, search=GREETINGS)
    other = SearchIndex("other", fields=[SearchField("color", "tag")])
    await durable.worker(workflow=_workflows.hello, search=other)

    with pytest.raises(ConfigurationError, match="'greetings', 'other'"):
        await client.workflow.search({"color": "red"})
    with pytest.raises(ConfigurationError, match="has no field 'shade'"):
        await client.workflow.search({"shade": "red"}, index=GREETINGS)


async def test_invalid_search_options(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.hello, search=GREETINGS)
    client = durable.client()

    with pytest.raises(ConfigurationError, match="give a dict of field values"):
        await client.workflow.search("@_color:{red}")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="give a list of field names"):
        await client.workflow.search(return_fields="color")
    with pytest.raises(ConfigurationError, match="give Equals, NotEquals"):
        await client.workflow.search([{"color": "red"}])  # type: ignore[list-item]
    with pytest.raises(ConfigurationError, match="declared twice"):
        await Worker.create(
            task_queue="tests",
            workflow=_workflows.hello,
            connection=durable.connection,
            namespace=durable.namespace,
            search=[GREETINGS, GREETINGS],
        )
    with pytest.raises(ConfigurationError, match=r"hotmesh\.search\.SearchIndex"):
        await durable.worker(
            workflow=_workflows.hello,
            search={"index": "greetings"},  # type: ignore[arg-type]
        )
