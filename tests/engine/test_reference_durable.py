"""The TypeScript SDK's Durable app, run unchanged, driven by scripted workers.

The app (``durable/v1``) re-runs a workflow function each time one of its
steps finishes. Here the function on ``childWorld-childWorld`` is scripted:
each workflow id gets a list of interruptions, the worker returns one per run
(588 sleep, 589 collation, 590 child, 591 activity) and, once the list is
empty, returns code 200 with ``{response, done}``. The activity function on
``childWorld-childWorld-activity`` fails twice with 599 per activity job,
then succeeds. After each step the engine stores the step's outcome in a
``-<kind><dimension>-<index>-`` marker field of the workflow's job.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path
from typing import Any

import pytest

from hotmesh import HotMesh, JobNotFoundError
from hotmesh.engine.state import decode
from hotmesh.errors import HookNotFoundError
from tests.engine.conftest import MeshFactory, wait_for

pytestmark = pytest.mark.timeout(120)

WORKFLOW_TOPIC = "childWorld-childWorld"
ACTIVITY_TOPIC = f"{WORKFLOW_TOPIC}-activity"
RETRY = {"backoffCoefficient": 2, "maximumAttempts": 3}


def _response(
    message: dict[str, Any], code: int, data: dict[str, Any]
) -> dict[str, Any]:
    return {"metadata": message["metadata"], "code": code, "data": data}


class ChildWorld:
    """Scripted durable workflow function: one planned interruption per run."""

    def __init__(self) -> None:
        self.plans: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.runs: list[tuple[float, dict[str, Any]]] = []

    def plan(self, workflow_id: str, code: int, data: dict[str, Any]) -> None:
        self.plans.setdefault(workflow_id, []).append((code, data))

    def runs_of(self, workflow_id: str) -> list[tuple[float, dict[str, Any]]]:
        return [run for run in self.runs if run[1]["workflowId"] == workflow_id]

    def __call__(self, message: dict[str, Any]) -> dict[str, Any]:
        data = message["data"]
        self.runs.append((time.monotonic(), data))
        pending = self.plans.get(data["workflowId"])
        if pending:
            code, payload = pending.pop(0)
            return _response(message, code, payload)
        name = data["arguments"][0]
        return _response(message, 200, {"response": f"Hello, {name}!", "done": True})


class ChildWorldActivity:
    """Scripted activity function: fails ``failures`` times per activity job."""

    def __init__(self, failures: int = 2) -> None:
        self.failures = failures
        self.calls: dict[str, list[tuple[float, dict[str, Any]]]] = {}

    def __call__(self, message: dict[str, Any]) -> dict[str, Any]:
        data = message["data"]
        calls = self.calls.setdefault(data["workflowId"], [])
        calls.append((time.monotonic(), data))
        if len(calls) <= self.failures:
            error = {"message": f"attempt {len(calls)} failed", "stack": ""}
            return _response(message, 599, {"$error": error})
        text = f"{data['activityName']}({', '.join(data['arguments'])})"
        return _response(message, 200, {"response": text})


# -- interruption payloads, as a durable workflow worker sends them -----------


def _sleep(duration: int, index: int) -> dict[str, Any]:
    return {"duration": duration, "index": index, "workflowDimension": ""}


def _proxy(workflow_id: str, name: str, args: list[str], index: int) -> dict[str, Any]:
    return {
        "activityName": name,
        "arguments": args,
        "index": index,
        "workflowDimension": "",
        "originJobId": workflow_id,
        "parentWorkflowId": workflow_id,
        "workflowId": f"-{workflow_id}-${name}-{index}",
        "workflowTopic": ACTIVITY_TOPIC,
    }


def _child(
    workflow_id: str, child_id: str, args: list[str], index: int, *, wait: bool
) -> dict[str, Any]:
    return {
        "arguments": args,
        "await": wait,
        "index": index,
        "workflowDimension": "",
        "originJobId": workflow_id,
        "parentWorkflowId": workflow_id,
        "workflowId": child_id,
        "workflowName": "childWorld",
        "workflowTopic": WORKFLOW_TOPIC,
        **RETRY,
    }


def _wait(signal_id: str, index: int) -> dict[str, Any]:
    return {"signalId": signal_id, "index": index, "workflowDimension": ""}


def _collation(
    workflow_id: str, items: list[tuple[int, dict[str, Any]]], index: int
) -> dict[str, Any]:
    return {
        "code": 589,
        "items": [{"code": code, **payload} for code, payload in items],
        "size": len(items),
        "index": index,
        "workflowDimension": "",
        "originJobId": workflow_id,
        "parentWorkflowId": workflow_id,
        "workflowId": f"{workflow_id}-{index}$C",
        "workflowTopic": WORKFLOW_TOPIC,
    }


# -- helpers ------------------------------------------------------------------


async def _durable(
    mesh: MeshFactory, reference_apps: Path
) -> tuple[HotMesh, ChildWorld, ChildWorldActivity]:
    workflow, activity = ChildWorld(), ChildWorldActivity()
    hotmesh = await mesh(
        "durable",
        [
            {"topic": WORKFLOW_TOPIC, "callback": workflow},
            {"topic": ACTIVITY_TOPIC, "callback": activity},
        ],
    )
    await hotmesh.deploy(reference_apps / "apps" / "durable" / "v1" / "hotmesh.yaml")
    assert await hotmesh.activate("1", delay=0.05) is True
    return hotmesh, workflow, activity


def _start(workflow_id: str, name: str = "world") -> dict[str, Any]:
    return {
        "workflowId": workflow_id,
        "workflowTopic": WORKFLOW_TOPIC,
        "arguments": [name],
        "expire": 120,
        **RETRY,
    }


async def _markers(hotmesh: HotMesh, job_id: str) -> dict[str, Any]:
    raw = await hotmesh.get_raw(job_id)
    return {name: decode(value) for name, value in raw.items() if name[:1] == "-"}


async def _done(hotmesh: HotMesh, job_id: str, timeout: float) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        state = await hotmesh.get_state("durable.execute", job_id)
        return state if state.get("data", {}).get("done") is True else None

    state: dict[str, Any] = await wait_for(probe, timeout=timeout)
    return state


async def _signal(hotmesh: HotMesh, payload: dict[str, Any]) -> None:
    """Send ``payload`` on ``durable.wfs.signal`` once a waiter listens for it."""

    async def delivered() -> bool:
        try:
            await hotmesh.hook("durable.wfs.signal", payload)
        except HookNotFoundError:
            return False
        return True

    await wait_for(delivered, timeout=10)


def _activity_ids(process: dict[str, Any]) -> set[str]:
    """Return the ids of the activities in an export's process tree."""
    found: set[str] = set()
    for key, node in process.items():
        if key.isdigit():
            found |= _activity_ids(node)
        else:
            found.add(key)
    return found


async def _waiter_paused(hotmesh: HotMesh, collator_id: str) -> None:
    async def paused() -> bool:
        try:
            export = await hotmesh.export(collator_id)
        except JobNotFoundError:
            return False
        return "collator_waiter" in _activity_ids(export["process"])

    await wait_for(paused, timeout=10)


def _gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


# -- scenarios ----------------------------------------------------------------


async def test_complete_sets_done(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh, workflow, _ = await _durable(mesh, reference_apps)

    job = await hotmesh.pubsub("durable.execute", _start("reentrant200"))

    assert job["data"]["done"] is True
    assert job["data"]["response"] == "Hello, world!"
    assert job["metadata"]["jid"] == "reentrant200"
    assert job["metadata"]["expire"] == 120
    [(_, run)] = workflow.runs
    assert run == {
        "workflowId": "reentrant200",
        "arguments": ["world"],
        "workflowTopic": WORKFLOW_TOPIC,
    }
    assert await hotmesh.get_status("reentrant200") == 0


async def test_job_kept_until_expire(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh, _, _ = await _durable(mesh, reference_apps)

    await hotmesh.pubsub("durable.execute", _start("reentrant-kept"))
    # Without an expire input the engine deletes a finished job after 1 s.
    await asyncio.sleep(2)

    state = await hotmesh.get_state("durable.execute", "reentrant-kept")
    assert state["data"]["done"] is True


async def test_sleep_then_rerun(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh, workflow, _ = await _durable(mesh, reference_apps)
    workflow.plan("reentrant588", 588, _sleep(2, 1))

    job = await hotmesh.pubsub("durable.execute", _start("reentrant588"), timeout=10)

    assert job["data"]["done"] is True
    assert job["data"]["response"] == "Hello, world!"
    times = [at for at, _ in workflow.runs_of("reentrant588")]
    assert len(times) == 2
    assert _gaps(times)[0] >= 2
    assert workflow.plans["reentrant588"] == []
    assert await _markers(hotmesh, "reentrant588") == {"-sleep-1-": 2}


async def test_wait_for_signal(mesh: MeshFactory, reference_apps: Path) -> None:
    # A durable worker sends a single wait as a collation of one 595 item.
    hotmesh, workflow, _ = await _durable(mesh, reference_apps)
    wait = _collation("reentrant595", [(595, _wait("abcdefg", 1))], 1)
    workflow.plan("reentrant595", 589, wait)

    await hotmesh.pub("durable.execute", _start("reentrant595"))
    await _waiter_paused(hotmesh, wait["workflowId"])
    collator = await hotmesh.get_state("durable.collator.execute", wait["workflowId"])
    # The waiter's response slot stays empty until the signal arrives.
    assert "0" not in collator.get("data", {}).get("response", {})
    signal = {"id": "abcdefg", "data": {"hello": "world"}}
    await _signal(hotmesh, signal)

    state = await _done(hotmesh, "reentrant595", timeout=10)
    assert state["data"]["response"] == "Hello, world!"
    assert len(workflow.runs_of("reentrant595")) == 2
    assert await _markers(hotmesh, "reentrant595") == {"-collator-1-": {"0": signal}}
    collator = await hotmesh.get_state("durable.collator.execute", wait["workflowId"])
    assert collator["data"]["response"] == {"0": signal}


async def test_proxy_retries_activity(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh, workflow, activity = await _durable(mesh, reference_apps)
    proxy = _proxy("reentrant591", "greet", ["proxy"], 1)
    workflow.plan("reentrant591", 591, proxy)

    job = await hotmesh.pubsub("durable.execute", _start("reentrant591"), timeout=15)

    assert job["data"]["done"] is True
    calls = activity.calls[proxy["workflowId"]]
    assert len(calls) == 3
    assert calls[0][1] == {
        "parentWorkflowId": proxy["workflowId"],
        "workflowId": proxy["workflowId"],
        "workflowTopic": ACTIVITY_TOPIC,
        "activityName": "greet",
        "arguments": ["proxy"],
    }
    assert await _markers(hotmesh, "reentrant591") == {"-proxy-1-": "greet(proxy)"}
    result = await hotmesh.get_state("durable.activity.execute", proxy["workflowId"])
    assert result["data"] == {"response": "greet(proxy)", "done": True}


async def test_proxy_backoff_grows(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh, workflow, activity = await _durable(mesh, reference_apps)
    proxy = _proxy("reentrant591b", "greet", ["backoff"], 1)
    workflow.plan("reentrant591b", 591, proxy)

    await hotmesh.pubsub("durable.execute", _start("reentrant591b"), timeout=15)

    # activity_retryer sleeps backoffCoefficient ** retryCount seconds, and
    # activity_retry_cycler adds 1 to retryCount: 2 ** 0, then 2 ** 1.
    first, second = _gaps([at for at, _ in activity.calls[proxy["workflowId"]]])
    assert first >= 1
    assert second >= 2


async def test_start_child_detached(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh, workflow, _ = await _durable(mesh, reference_apps)
    child = _child("reentrant590", "reentrant590-kid", ["kid"], 1, wait=False)
    workflow.plan("reentrant590", 590, child)

    job = await hotmesh.pubsub("durable.execute", _start("reentrant590"), timeout=2.5)

    assert job["data"]["done"] is True
    marker = (await _markers(hotmesh, "reentrant590"))["-child-1-"]
    assert marker["job_id"] == "reentrant590-kid"
    assert marker["timestamp"]
    kid = await _done(hotmesh, "reentrant590-kid", timeout=5)
    assert kid["data"]["response"] == "Hello, kid!"
    assert kid["metadata"]["pj"] == "reentrant590"
    assert kid["metadata"]["expire"] == 0


async def test_execute_child_awaited(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh, workflow, _ = await _durable(mesh, reference_apps)
    child = _child("reentrant590a", "reentrant590a-kid", ["kid"], 1, wait=True)
    workflow.plan("reentrant590a", 590, child)

    job = await hotmesh.pubsub("durable.execute", _start("reentrant590a"), timeout=2.5)

    assert job["data"]["done"] is True
    assert await _markers(hotmesh, "reentrant590a") == {"-child-1-": "Hello, kid!"}
    [(_, run)] = workflow.runs_of("reentrant590a-kid")
    assert run["arguments"] == ["kid"]
    assert run["originJobId"] == "reentrant590a"


async def test_wait_all_collates_items(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh, workflow, activity = await _durable(mesh, reference_apps)
    workflow_id = "reentrant589"
    proxy = _proxy(workflow_id, "greet", ["all"], 3)
    items = [
        (588, _sleep(3, 1)),
        (595, _wait("abcdefghi", 2)),
        (591, proxy),
        (590, _child(workflow_id, f"{workflow_id}-kid", ["kid"], 4, wait=True)),
    ]
    collation = _collation(workflow_id, items, 1)
    workflow.plan(workflow_id, 589, collation)

    await hotmesh.pub("durable.execute", _start(workflow_id))
    await _waiter_paused(hotmesh, collation["workflowId"])
    collator = await hotmesh.get_state(
        "durable.collator.execute", collation["workflowId"]
    )
    assert "1" not in collator.get("data", {}).get("response", {})
    signal = {"id": "abcdefghi", "data": {"hello": "all"}}
    await _signal(hotmesh, signal)

    state = await _done(hotmesh, workflow_id, timeout=20)
    assert state["data"]["response"] == "Hello, world!"
    first, second = [at for at, _ in workflow.runs_of(workflow_id)]
    assert second - first >= 3
    assert len(activity.calls[proxy["workflowId"]]) == 3
    collated = {"0": 3, "1": signal, "2": "greet(all)", "3": "Hello, kid!"}
    assert await _markers(hotmesh, workflow_id) == {"-collator-1-": collated}
