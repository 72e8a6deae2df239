"""Durable workflows run activities, replay their history and collate gathers."""

from __future__ import annotations

import pytest

from tests.durable import _workflows
from tests.durable.conftest import Durable

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
