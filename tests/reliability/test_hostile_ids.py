"""Workflow ids with key syntax in them reach only their own workflow.

Every key of an app is ``<namespace>:{<app id>}:<kind>:<id>``, so an id
holding ``:``, braces, glob characters, spaces or any Unicode only names
its own job, and the app's hash tag, the first ``{...}``, stays the app
id: on a cluster every key of the app stays in one slot.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotmesh.durable import WorkflowInterruptedError
from hotmesh.errors import ConfigurationError
from tests.reliability._support import TASK_QUEUE
from tests.reliability._workflows import ONCE
from tests.reliability.conftest import Durable

pytestmark = pytest.mark.timeout(60)

HOSTILE_IDS = [
    "a:b",
    "j:a:b",
    "{x}",
    "}{",
    "{",
    "}",
    "*",
    "a*",
    "[ab]?",
    "\\",
    "with space",
    "ünïcødé-日本-🙂",
    "a" * 500,
]
"""Ids the engine accepts. The id ``a``, a prefix of several, runs beside them."""

INTERRUPTED = {"*", "{x}"}

ID_LIMIT = 512
"""Maximum length of a job id the engine accepts, in characters."""


async def test_hostile_ids_stay_apart(durable: Durable, journal: Path) -> None:
    client = durable.client()
    mesh = await client.mesh()
    await durable.worker()
    ids = ["a", *HOSTILE_IDS]
    handles = {
        workflow_id: await client.workflow.start(
            workflow_name="nap_then_step",
            task_queue=TASK_QUEUE,
            args=[str(journal), f"n{index}", 1.0],
            workflow_id=workflow_id,
            retry_policy=ONCE,
        )
        for index, workflow_id in enumerate(ids)
    }
    for workflow_id in INTERRUPTED:
        await handles[workflow_id].interrupt()

    outcomes = await asyncio.gather(
        *(
            handle.result(timeout=30, throw_on_error=False)
            for handle in handles.values()
        )
    )

    for index, (workflow_id, result) in enumerate(zip(ids, outcomes, strict=True)):
        if workflow_id in INTERRUPTED:
            assert isinstance(result, WorkflowInterruptedError), workflow_id
        else:
            assert result == f"N{index}", workflow_id
        state = await handles[workflow_id].state(metadata=True)
        assert state["metadata"]["jid"] == workflow_id
    names = sorted(await mesh.store.find_jobs(durable.app())) if mesh.store else []
    assert set(ids) <= set(names)


@pytest.mark.parametrize(
    "workflow_id",
    [
        pytest.param("x" * 1024, id="1KB"),
        pytest.param("x" * (ID_LIMIT + 1), id="over-limit"),
        pytest.param("two\nlines", id="newline"),
    ],
)
async def test_invalid_id_rejected_at_start(
    durable: Durable, journal: Path, workflow_id: str
) -> None:
    client = durable.client()
    mesh = await client.mesh()
    assert mesh.store is not None

    with pytest.raises(ConfigurationError) as caught:
        await client.workflow.start(
            workflow_name="one_step",
            task_queue=TASK_QUEUE,
            args=[str(journal), "never"],
            workflow_id=workflow_id,
        )

    assert "max 512 chars" in str(caught.value)
    assert await mesh.store.find_jobs(durable.app()) == []


async def test_longest_accepted_id_runs(durable: Durable, journal: Path) -> None:
    client = durable.client()
    mesh = await client.mesh()
    assert mesh.store is not None
    await durable.worker()
    workflow_id = "x" * ID_LIMIT
    handle = await client.workflow.start(
        workflow_name="one_step",
        task_queue=TASK_QUEUE,
        args=[str(journal), "long"],
        workflow_id=workflow_id,
        retry_policy=ONCE,
    )

    assert await handle.result(timeout=20) == "LONG"
    names = await mesh.store.find_jobs(durable.app())
    assert workflow_id in names
    activity_jobs = [name for name in names if name.endswith("-$activity-1")]
    assert len(activity_jobs) == 1
    assert len(activity_jobs[0]) <= ID_LIMIT
    assert activity_jobs[0].startswith("x" * 400)


async def test_id_cannot_claim_anothers_activity(
    durable: Durable, journal: Path
) -> None:
    client = durable.client()
    mesh = await client.mesh()
    assert mesh.store is not None
    await durable.worker()
    victim = await client.workflow.start(
        workflow_name="nap_then_step",
        task_queue=TASK_QUEUE,
        args=[str(journal), "victim", 1.0],
        workflow_id="victim",
        retry_policy=ONCE,
    )
    # The sleep is call 1, so the activity after it is call 2.
    with pytest.raises(ConfigurationError) as caught:
        await client.workflow.start(
            workflow_name="one_step",
            task_queue=TASK_QUEUE,
            args=[str(journal), "squatter"],
            workflow_id="victim-$activity-2",
            retry_policy=ONCE,
        )

    assert "'-$' is reserved" in str(caught.value)
    assert await victim.result(timeout=20) == "VICTIM"
    activity = await mesh.get_state("", "victim-$activity-2")
    assert activity["metadata"]["pj"] == "victim"
