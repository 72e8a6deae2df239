"""Payloads over the store's size limit fail for good, with the reason.

The URL option ``max_payload_bytes`` caps every value the store writes.
A value over the cap must end its workflow with an error that names the
limit, after one attempt, rather than be retried.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hotmesh.durable import Connection, DurableError
from hotmesh.errors import PayloadTooLargeError
from tests.reliability import _journal
from tests.reliability._support import ENGINE, TASK_QUEUE
from tests.reliability._workflows import ONCE
from tests.reliability.conftest import Durable

pytestmark = pytest.mark.timeout(120)

LIMIT = 1024 * 1024
"""The configured limit: 1 MiB, below every payload of these tests."""

MB = 1_000_000


@pytest.fixture
def limited(durable: Durable) -> Durable:
    """Return the test's Durable factory with the payload limit in its URL."""
    durable.connection = Connection(
        url=f"{durable.url}?max_payload_bytes={LIMIT}",
        engine=ENGINE,
        activate_delay=0.05,
    )
    return durable


async def test_oversized_argument_rejected_at_start(
    limited: Durable, journal: Path
) -> None:
    client = limited.client()
    store = (await client.mesh()).store
    assert store is not None

    with pytest.raises(PayloadTooLargeError) as caught:
        await client.workflow.start(
            workflow_name="big_argument",
            task_queue=TASK_QUEUE,
            args=[str(journal), "x" * 5 * MB],
        )

    assert "max_payload_bytes" in str(caught.value)
    assert f"{LIMIT} bytes" in str(caught.value)
    assert await store.find_jobs(limited.app()) == []


@pytest.mark.parametrize(
    ("workflow", "size", "activity"),
    [
        pytest.param("big_result", 5 * MB, "sized", id="5MB-result"),
        pytest.param("big_result", 50 * MB, "sized", id="50MB-result"),
        pytest.param("big_argument", 5 * MB, "measure", id="5MB-activity-argument"),
    ],
)
async def test_oversized_payload_fails_once(
    limited: Durable, journal: Path, workflow: str, size: int, activity: str
) -> None:
    client = limited.client()
    await limited.worker()
    handle = await client.workflow.start(
        workflow_name=workflow,
        task_queue=TASK_QUEUE,
        args=[str(journal), size],
        retry_policy=ONCE,
    )

    with pytest.raises(DurableError) as caught:
        await handle.result(timeout=60)

    assert await handle.status() == 0
    assert "max_payload_bytes" in str(caught.value)
    # The activity returns at once, or is never called when its argument
    # is what is too large. Either way it must not run again.
    assert _journal.counts(journal, "start")[activity] <= 1
    assert _journal.counts(journal, "start")["sized"] <= 1
