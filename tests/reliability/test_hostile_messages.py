"""Malformed stream messages are dropped without changing jobs or stopping consumers.

Anything that can write to an app's streams can drive its jobs, so the
streams are trusted. Still, a message that does not parse, or addresses
no job, must be acknowledged and dropped without touching other jobs,
and the consumers must keep running.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from hotmesh import HotMesh
from hotmesh.store.protocol import ENGINE_TOPIC, AppKey, Outgoing
from tests.reliability._engine_process import APP_ID, MODEL, WORK_TOPIC
from tests.reliability._support import RECLAIM_DELAY_MS, wait_for
from tests.reliability.conftest import MeshFactory

pytestmark = pytest.mark.timeout(60)

DEEP = "[" * 5000 + "]" * 5000


def answer(message: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"answer": message["data"]["n"] * 10}}


WORKER = {
    "topic": WORK_TOPIC,
    "callback": answer,
    "reclaim_delay_ms": RECLAIM_DELAY_MS,
}


async def ready_app(meshes: MeshFactory) -> HotMesh:
    mesh = await meshes(APP_ID, [WORKER])
    await mesh.deploy(MODEL)
    await mesh.activate("1", delay=0.05)
    return mesh


def malformed(job_id: str) -> list[str]:
    """Return messages that fail to parse or address no existing job or activity."""
    return [
        "",
        "not json",
        "[]",
        '"text"',
        "null",
        json.dumps({"type": "nonsense", "metadata": {"jid": job_id}}),
        json.dumps({"type": "transition", "metadata": ["not", "an", "object"]}),
        json.dumps({"type": "transition", "metadata": {}, "data": "not an object"}),
        json.dumps({"type": "response", "metadata": {"jid": job_id}, "code": "x"}),
        json.dumps({"type": "response", "metadata": {"jid": job_id}, "status": "?"}),
        json.dumps({"type": "transition", "metadata": {"jid": "*", "aid": "a1"}}),
        json.dumps(
            {"type": "transition", "metadata": {"jid": job_id, "aid": "missing"}}
        ),
        json.dumps(
            {
                "type": "response",
                "metadata": {"jid": job_id, "gid": "forged", "aid": "a1"},
                "data": {"answer": -1},
            }
        ),
    ]


async def test_malformed_messages_dropped(meshes: MeshFactory, namespace: str) -> None:
    mesh = await ready_app(meshes)
    store = mesh.store
    assert store is not None
    app = AppKey(namespace, APP_ID)
    done = await mesh.pubsub("steps.start", {"n": 1}, timeout=10)
    job_id = done["metadata"]["jid"]
    before = await mesh.get_raw(job_id)

    for payload in malformed(job_id):
        await store.add_message(app, Outgoing(ENGINE_TOPIC, payload))
        await store.add_message(app, Outgoing(WORK_TOPIC, payload))

    async def all_dropped() -> bool:
        depths = [await store.stream_depth(app, topic) for topic in ("", WORK_TOPIC)]
        return depths == [0, 0]

    await wait_for(all_dropped, timeout=10, condition="every message dropped")
    after = await mesh.pubsub("steps.start", {"n": 2}, timeout=10)
    assert after["data"] == {"answer": 20, "after": 20}
    assert await mesh.get_raw(job_id) == before
    assert await store.read_dead_letters(app, "") == []
    assert await store.read_dead_letters(app, WORK_TOPIC) == []


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        pytest.param(
            ENGINE_TOPIC,
            '{"type": "transition", "metadata": {}, "code": 1e400}',
            id="engine-infinite-code",
        ),
        pytest.param(
            WORK_TOPIC,
            '{"type": "request", "metadata": {}, "data": {"x": ' + DEEP + "}}",
            id="worker-deep-nesting",
        ),
    ],
)
async def test_poison_message_stops_nothing(
    meshes: MeshFactory, namespace: str, topic: str, payload: str
) -> None:
    mesh = await ready_app(meshes)
    store = mesh.store
    assert store is not None
    app = AppKey(namespace, APP_ID)

    await store.add_message(app, Outgoing(topic, payload))

    # The consumer drops the message as malformed and keeps reading.
    after = await mesh.pubsub("steps.start", {"n": 3}, timeout=10)
    assert after["data"] == {"answer": 30, "after": 30}
    assert await store.read_dead_letters(app, topic) == []
    again = await mesh.pubsub("steps.start", {"n": 4}, timeout=10)
    assert again["data"] == {"answer": 40, "after": 40}
