"""The TypeScript SDK's test apps that wait: sleeps, hooks, signals, emits,
pending jobs, interrupts and the quorum."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import pytest

from hotmesh import HotMesh, JobInterruptedError, JobNotFoundError
from hotmesh.errors import HookNotFoundError, TopicNotFoundError
from tests.engine.conftest import MeshFactory, wait_for

pytestmark = pytest.mark.timeout(120)


def _app(root: Path, name: str, version: str | None = None) -> Path:
    folder = root / "apps" / name
    if version is not None:
        folder = folder / f"v{version}"
    return folder / "hotmesh.yaml"


async def _deploy(hotmesh: HotMesh, path: Path, version: str) -> None:
    await hotmesh.deploy(path)
    assert await hotmesh.activate(version, delay=0.05) is True


def _bundle(message: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"some": "string", "is": True, "number": 1}}


async def _seeded(mesh: MeshFactory, root: Path) -> HotMesh:
    hotmesh = await mesh("test-app", [{"topic": "order.bundle", "callback": _bundle}])
    await _deploy(hotmesh, root / "seeds" / "hotmesh.yaml", "1")
    return hotmesh


async def test_seeds_await_approval(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh = await _seeded(mesh, reference_apps)

    approved = await hotmesh.pubsub(
        "order.approval.requested",
        {"id": "ord-cheap", "price": 49.99, "object_type": "widgetA"},
        timeout=10,
    )
    refused = await hotmesh.pubsub(
        "order.approval.requested",
        {"id": "ord-dear", "price": 149.99, "object_type": "widgetA"},
        timeout=10,
    )
    direct = await hotmesh.pubsub(
        "order.approval.price.requested",
        {"id": "ord-direct", "price": 49.99, "object_type": "order"},
        timeout=10,
    )

    assert approved["metadata"]["jid"]
    assert approved["data"]["price"] == 49.99
    assert approved["data"]["approvals"]["price"] is True
    assert refused["data"]["approvals"]["price"] is False
    child = await hotmesh.get_state("order.approval.price.requested", "ord-cheap")
    assert child["data"]["id"] == "ord-cheap"
    child = await hotmesh.get_state("order.approval.price.requested", "ord-dear")
    assert child["data"]["id"] == "ord-dear"
    assert direct["data"]["id"] == "ord-direct"
    assert direct["data"]["approved"] is True


async def test_seeds_signals_and_stats(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh = await _seeded(mesh, reference_apps)
    order = {
        "id": "ord_10000002",
        "size": "lg",
        "primacy": "primary",
        "color": "red",
        "send_date": "2024-07-15",
        "must_release_series": "202407",
    }
    assert await hotmesh.pub("order.scheduled", order) == "ord_10000002"
    release = {"id": "ord_10000002", "facility": "acme", "actual_release_series": "1"}

    async def paused() -> bool:
        try:
            await hotmesh.hook("order.routed", release)
        except HookNotFoundError:
            return False
        return True

    await wait_for(paused)

    async def done(job_id: str) -> bool:
        return await hotmesh.get_status(job_id) == 0

    await wait_for(lambda: done("ord_10000002"))

    combinations = itertools.product(
        ["sm", "md", "lg"],
        ["primary", "secondary", "tertiary"],
        ["red", "yellow", "blue"],
    )
    ids = []
    for number, (size, primacy, color) in enumerate(combinations):
        for facility in ("acme", "spacely", "cogswell"):
            if len(ids) == 81:
                break
            job_id = f"ord_{1001 + len(ids)}"
            ids.append(job_id)
            await hotmesh.pub(
                "order.scheduled",
                {
                    "id": job_id,
                    "size": size,
                    "primacy": primacy,
                    "color": color,
                    "facility": facility,
                    "send_date": "2024-07-15",
                    "must_release_series": str(number),
                },
            )
    assert len(ids) == 81
    with pytest.raises(Exception, match="ord_1002"):
        await hotmesh.pub("order.scheduled", {"id": "ord_1002", "size": "sm"})

    query = {
        "data": {"color": "red", "primacy": "primary", "size": "lg"},
        "range": "1h",
        "end": "NOW",
    }
    stats = await hotmesh.get_stats("order.scheduled", query)
    assert len(stats["segments"]) == 13
    assert stats["count"] >= 4
    found = await hotmesh.get_ids("order.scheduled", query)
    assert len(found["counts"]) == 2
    assert {count["facet"] for count in found["counts"]} == {
        "color:red",
        "primacy:primary",
    }

    await wait_for(paused_on(hotmesh, "ord_1054"))
    await hotmesh.hook("order.routed", {"id": "ord_1054", "facility": "acme"})
    await wait_for(lambda: done("ord_1054"))

    targets = await hotmesh.hook_all(
        "order.routed", {"facility": "acme"}, query, ["color:red"]
    )
    assert targets
    remaining = [job_id for job_id in ids if job_id != "ord_1054"]

    async def lg_red_primary_done() -> bool:
        statuses = [await hotmesh.get_status(job_id) for job_id in remaining]
        return statuses.count(0) >= 3

    await wait_for(lg_red_primary_done)


def paused_on(hotmesh: HotMesh, job_id: str) -> Any:
    async def probe() -> bool:
        return await hotmesh.get_status(job_id) == 1

    return probe


async def test_seeds_worker_and_sleep(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh = await _seeded(mesh, reference_apps)
    finalized = await hotmesh.pub("order.finalize", {"id": "ord-final", "price": 10})
    assert finalized
    job_id = await hotmesh.pub("sleep.do", {"duration": 1})

    async def done() -> bool:
        return await hotmesh.get_status(job_id) == 0

    await wait_for(done, timeout=15)
    state = await hotmesh.get_state("sleep.do", job_id)
    assert state["data"]["done"] is True
    terms = ["the quick brown fox", "jumped over the lazy dog"]
    assert await hotmesh.compress(terms) is True
    assert await hotmesh.compress(terms) is False


async def test_awaiter_modes(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh = await mesh("awaiter")
    await _deploy(hotmesh, _app(reference_apps, "awaiter"), "1")

    for payload in ({}, {"do_await": True}):
        job = await hotmesh.pubsub("awaiter.test", payload, timeout=10)
        assert "child_job_id" not in job["data"]
        assert job["data"]["child_some_data"]

    job = await hotmesh.pubsub("awaiter.test", {"do_await": False}, timeout=10)
    assert job["data"]["child_job_id"]


async def test_emit_interim_then_final(mesh: MeshFactory, reference_apps: Path) -> None:
    def respond(message: dict[str, Any]) -> dict[str, Any]:
        return {"data": {"status": "success"}}

    hotmesh = await mesh("emit", [{"topic": "emit.test.worker", "callback": respond}])
    await _deploy(hotmesh, _app(reference_apps, "emit", "1"), "1")
    received: list[tuple[str, dict[str, Any]]] = []
    await hotmesh.psub("emit.tested*", lambda topic, job: received.append((topic, job)))

    job_id = await hotmesh.pub("emit.test", {})

    async def final() -> bool:
        return any(job["data"].get("done") for _, job in received)

    await wait_for(final, timeout=20)
    mine = [(topic, job) for topic, job in received if job["metadata"]["jid"] == job_id]
    assert len(mine) == 2
    assert all(topic == "emit.tested" for topic, _ in mine)
    assert all(job["data"]["status"] == "success" for _, job in mine)
    assert mine[0][1]["data"]["done"] is False
    assert mine[1][1]["data"]["done"] is True
    await hotmesh.punsub("emit.tested*")


async def test_hook_all_resumes_child(mesh: MeshFactory, reference_apps: Path) -> None:
    first = await mesh("hook")
    second = await mesh("hook")
    await first.deploy(_app(reference_apps, "hook", "1"))
    await second.deploy(_app(reference_apps, "hook", "1"))
    # Two engines activate at once, each waiting for the other's reply, so
    # the rounds get the default delay rather than the tests' short one.
    results = await asyncio.gather(first.activate("1"), second.activate("1"))
    assert all(results)
    received: list[dict[str, Any]] = []
    await first.psub("hook.tested*", lambda topic, job: received.append(job))

    await first.pub("hook.test", {"parent_job_id": "parent-1", "job_id": "child-1"})

    async def emitted() -> bool:
        return bool(received)

    await wait_for(emitted)
    assert received[0]["data"]["parent_job_id"] == "parent-1"
    assert received[0]["data"]["job_id"] == "child-1"
    assert not received[0]["data"].get("done")
    await wait_for(paused_on(first, "child-1"))

    targets = await first.hook_all(
        "hook.resume",
        {"done": True},
        {"data": {"parent_job_id": "parent-1"}, "scrub": True},
        ["parent_job_id:parent-1"],
    )

    assert len(targets) == 1

    async def finished() -> bool:
        return any(job["data"].get("done") is True for job in received)

    await wait_for(finished)


async def test_tree_interrupts(mesh: MeshFactory, reference_apps: Path) -> None:
    # The parent's one-second sleep ends a few milliseconds before the
    # child's; one message at a time keeps the engine's stream order, so the
    # parent's interrupt reaches the child before the child's next step.
    hotmesh = await mesh("tree", engine={"concurrency": 1})
    await _deploy(hotmesh, _app(reference_apps, "tree", "9"), "9")

    job = await hotmesh.pubsub(
        "spring", {"seed": 2, "speed": 3, "throw": False}, timeout=5
    )
    assert (job["data"]["seed"], job["data"]["speed"]) == (2, 3)
    assert job["data"]["throw"] is False
    assert job["data"]["height"] == 6
    with pytest.raises(JobInterruptedError) as caught:
        await hotmesh.pubsub(
            "spring", {"seed": 2, "speed": 3, "throw": True}, timeout=5
        )
    assert caught.value.code == 410

    await _deploy(hotmesh, _app(reference_apps, "tree", "10"), "10")
    job = await hotmesh.pubsub(
        "winter",
        {"seed": 4, "speed": 6, "throw": False, "workflowId": "abcSuccess"},
        timeout=30,
    )
    assert (job["data"]["seed"], job["data"]["speed"], job["data"]["height"]) == (
        4,
        6,
        24,
    )
    assert job["data"]["throw"] is False
    assert "sheer" in job["data"]
    assert "shave" not in job["data"]
    with pytest.raises(JobInterruptedError) as caught:
        await hotmesh.pubsub(
            "winter",
            {"seed": 6, "speed": 9, "throw": True, "workflowId": "abcFail"},
            timeout=30,
        )
    assert caught.value.code == 410


async def test_pending_job_expires(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh = await mesh("pending")
    await _deploy(hotmesh, _app(reference_apps, "pending", "1"), "1")

    job_id = await hotmesh.pub("pending.test", {}, None, {"pending": 2})

    assert job_id
    assert await hotmesh.get_status(job_id) == -1
    await asyncio.sleep(2.25)
    with pytest.raises(JobNotFoundError, match=f"Job {job_id} not found"):
        await hotmesh.get_status(job_id)


def _calculate(message: dict[str, Any]) -> dict[str, Any]:
    import json

    values = json.loads(message["data"]["values"])
    result = values[0]
    for value in values[1:]:
        if message["data"]["operation"] == "divide":
            result /= value
        else:
            result *= value
    return {"data": {"result": result}}


async def test_quorum_throttle_and_roll_call(
    mesh: MeshFactory, reference_apps: Path
) -> None:
    hotmesh = await mesh(
        "calc", [{"topic": "calculation.execute", "callback": _calculate}]
    )
    await _deploy(hotmesh, _app(reference_apps, "calc", "1"), "1")
    jobs = [{"operation": "divide", "values": "[200,4,5]"}] * 4
    jobs.append({"operation": "multiply", "values": "[10,10,10]"})
    results = await asyncio.gather(
        *(hotmesh.pubsub("calculate", job, timeout=10) for job in jobs)
    )
    assert [job["data"]["result"] for job in results] == [10, 10, 10, 10, 1000]

    assert hotmesh.quorum is not None
    seen: list[dict[str, Any]] = []
    hotmesh.quorum.sub(seen.append)
    await hotmesh.throttle(1000, topic="calculation.execute")
    await asyncio.sleep(0.3)
    rates = await hotmesh.store.get_throttles(hotmesh.app)  # type: ignore[union-attr]
    assert rates["calculation.execute"] == 1000
    assert any(
        m["type"] == "throttle" and m.get("topic") == "calculation.execute"
        for m in seen
    )

    await hotmesh.throttle(5000)
    await asyncio.sleep(0.3)
    rates = await hotmesh.store.get_throttles(hotmesh.app)  # type: ignore[union-attr]
    assert rates == {":": 5000}
    assert any(m["type"] == "throttle" and m.get("throttle") == 5000 for m in seen)
    await hotmesh.throttle(0)

    count = await hotmesh.quorum.request_quorum(0.5, details=True)
    assert count == 2
    profiles = await hotmesh.roll_call(0.5)
    assert len(profiles) == 2
    assert {profile["role"] for profile in profiles} == {"engine", "worker"}
    worker = next(profile for profile in profiles if profile["role"] == "worker")
    assert worker["worker_topic"] == "calculation.execute"


async def test_signal_all_and_one(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh = await mesh("signal")
    await _deploy(hotmesh, _app(reference_apps, "signal", "1"), "1")
    finished: list[str] = []
    children: list[dict[str, Any]] = []
    await hotmesh.psub("signal.tested*", lambda topic, job: finished.append(topic))
    await hotmesh.psub("signal.one.tested*", lambda topic, job: finished.append(topic))
    await hotmesh.sub("hook.tested.abc123", lambda topic, job: children.append(job))

    parent = await hotmesh.pub("signal.test", {"child_flow_id": "abc123"})
    await hotmesh.pub("signal.one.test", {"child_flow_id": "xyz456"})

    async def both_done() -> bool:
        return "signal.tested" in finished and "signal.one.tested" in finished

    await wait_for(both_done, timeout=30)
    assert children
    assert children[0]["data"]["parent_job_id"] == parent


async def test_hook_bad_input(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh = await mesh("hook")
    await _deploy(hotmesh, _app(reference_apps, "hook", "1"), "1")

    with pytest.raises(TopicNotFoundError, match=r"no\.such\.topic"):
        await hotmesh.hook("no.such.topic", {"id": "x"})
    with pytest.raises(HookNotFoundError, match="missing-job"):
        await hotmesh.hook("hook.resume", {"id": "missing-job"})
    with pytest.raises(JobNotFoundError):
        await hotmesh.interrupt("hook.test", "missing-job")


async def test_rollcall_messages(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh = await mesh(
        "calc", [{"topic": "calculation.execute", "callback": _calculate}]
    )
    await _deploy(hotmesh, _app(reference_apps, "calc", "1"), "1")
    assert hotmesh.quorum is not None
    pongs: list[dict[str, Any]] = []
    hotmesh.quorum.sub(
        lambda message: pongs.append(message) if message["type"] == "pong" else None
    )

    await hotmesh.quorum.pub(
        {
            "type": "rollcall",
            "interval": 1,
            "topic": "calculation.execute",
            "signature": True,
            "max": 2,
        }
    )

    async def two_worker_pongs() -> bool:
        return len(pongs) >= 2

    await wait_for(two_worker_pongs, timeout=10)
    await asyncio.sleep(1.5)
    assert len(pongs) == 2
    for pong in pongs:
        assert pong["profile"]["worker_topic"] == "calculation.execute"
        assert pong["profile"]["signature"].endswith("_calculate")

    pongs.clear()
    await hotmesh.quorum.pub({"type": "rollcall", "interval": 0, "topic": None})
    await wait_for(lambda: _some(pongs), timeout=10)
    assert all(pong["profile"]["role"] == "engine" for pong in pongs)


async def _some(items: list[Any]) -> bool:
    return bool(items)
