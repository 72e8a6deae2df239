"""Durable workflows run activities, replay their history and collate gathers."""

from __future__ import annotations

import asyncio

import pytest

from hotmesh.durable import WorkflowNotFoundError
from hotmesh.durable._app import MAX_ID_LENGTH, require_store
from hotmesh.errors import ConfigurationError
from tests.durable import _workflows
from tests.durable.conftest import Durable
from tests.engine.conftest import wait_for

pytestmark = pytest.mark.timeout(60)


async def test_hello_replays_random(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.hello)
    client = durable.client()

    handle = await client.workflow.start(
        workflow_name="hello", task_queue="tests", args=["HotMesh"]
    )
    result = await handle.result(timeout=20)

    assert result["greeting"] == "Hello, HotMesh!"
    assert result["local"] == "Hello, HotMesh!"
    assert result["echoed"] == result["first"]
    assert 0 <= result["first"] < 1
    assert result["first"] != result["second"]


async def test_gather_collates(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.gather_greets)
    client = durable.client()

    handle = await client.workflow.start(
        workflow_name="gather_greets", task_queue="tests", args=[["1", "2", "3"]]
    )

    assert await handle.result(timeout=20) == [
        "Hello, 1!",
        "Hello, 2!",
        "Hello, 3!",
        1.0,
    ]


async def test_longest_id_derives_fitting_ids(durable: Durable) -> None:
    await durable.worker(
        workflow=[_workflows.gathered_family, _workflows.child_greeting]
    )
    client = durable.client()
    workflow_id = "x" * MAX_ID_LENGTH

    handle = await client.workflow.start(
        workflow_name="gathered_family",
        task_queue="tests",
        args=["Ada"],
        workflow_id=workflow_id,
    )
    greeting, slept, child_output, started = await handle.result(timeout=20)

    assert greeting == "Hello, Ada!"
    assert slept == 0.2
    assert child_output == "child says Hello, Ada-child!"
    assert len(started) <= MAX_ID_LENGTH
    assert started.startswith("x" * 400)
    assert started.endswith("-child_greeting-4")
    assert "-$" in started
    started_handle = client.workflow.get_handle(started)
    assert await started_handle.result(timeout=10) == "child says Hello, Ada-started!"
    mesh = await client.mesh()
    names = await require_store(mesh).find_jobs(mesh.app)
    assert workflow_id in names
    assert all(len(name) <= MAX_ID_LENGTH for name in names)
    assert any(name.endswith("-$collate-1") for name in names)
    assert any(name.endswith("-$activity-1") for name in names)


async def test_finished_workflow_expires_with_subjobs(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.gather_greets)
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="gather_greets", task_queue="tests", args=[["x"]], expire=3
    )
    await handle.result(timeout=20)
    mesh = await client.mesh()
    store = require_store(mesh)
    subjobs = [
        f"{handle.workflow_id}-$collate-1",
        f"{handle.workflow_id}-$activity-1",
    ]
    for job_id in subjobs:
        assert await store.read_job(mesh.app, job_id)

    async def gone() -> bool:
        jobs = [handle.workflow_id, *subjobs]
        return all([await store.read_job(mesh.app, job) is None for job in jobs])

    await wait_for(gone, timeout=10, interval=0.2)
    with pytest.raises(WorkflowNotFoundError):
        await handle.result(timeout=5)


async def test_worker_run_returns_after_shutdown(durable: Durable) -> None:
    worker = await durable.worker(workflow=_workflows.hello)
    running = asyncio.create_task(worker.run())
    await asyncio.sleep(0.1)

    assert not running.done()
    await worker.shutdown()
    await asyncio.wait_for(running, timeout=5)
    with pytest.raises(ConfigurationError, match="not started"):
        _ = worker.mesh


async def test_export_lists_timeline(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.hello)
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="hello", task_queue="tests", args=["Ada"]
    )
    await handle.result(timeout=20)

    dump = await handle.export()

    assert dump["status"] == "0"
    steps = [(step["kind"], step["index"]) for step in dump["timeline"]]
    assert steps == [("proxy", 2), ("proxy", 3), ("once", 5)]
    assert dump["timeline"][1]["value"] == {"data": "Hello, Ada!", "name": "greet"}


async def test_workflow_hooks_itself(durable: Durable) -> None:
    await durable.worker(workflow=[_workflows.self_hooker, _workflows.pinger])
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="self_hooker", task_queue="tests", args=["Ada"]
    )

    result = await handle.result(timeout=20)

    assert result == {"name": "Ada", "dimension": ",0,0"}
