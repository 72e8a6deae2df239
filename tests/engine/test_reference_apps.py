"""The TypeScript SDK's test apps, run unchanged, with the outcomes its tests assert."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from hotmesh import HotMesh, JobFailedError, JobTimeoutError
from tests.engine.conftest import MeshFactory, wait_for

pytestmark = pytest.mark.timeout(120)


def _app(root: Path, name: str, version: str | None = None) -> Path:
    folder = root / "apps" / name
    if version is not None:
        folder = folder / f"v{version}"
    return folder / "hotmesh.yaml"


def _greet(field_in: str, field_out: str) -> Any:
    def callback(message: dict[str, Any]) -> dict[str, Any]:
        value = message["data"].get(field_in)
        return {"metadata": message["metadata"], "data": {field_out: f"{value} world"}}

    return callback


def _summer(message: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": message["metadata"], "data": {"result": "7/4/2024, 1:00:00 PM"}}


async def _deploy(hotmesh: HotMesh, path: Path, version: str) -> None:
    await hotmesh.deploy(path)
    assert await hotmesh.activate(version, delay=0.05) is True


async def test_tree_parallel_hooks(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh = await mesh("tree", [{"topic": "summer", "callback": _summer}])
    await _deploy(hotmesh, _app(reference_apps, "tree", "1"), "1")

    job = await hotmesh.pubsub("spring", {"seed": 2, "speed": 3}, timeout=10)

    assert job["data"]["seed"] == 2
    assert job["data"]["speed"] == 3
    assert job["data"]["height"] == 6
    assert job["data"]["shine"].count("/") == 2
    export = await hotmesh.export(job["metadata"]["jid"])
    assert export["status"] == "0"


async def test_tree_redeploy_walkthrough(
    mesh: MeshFactory, reference_apps: Path
) -> None:
    hotmesh = await mesh("tree", [{"topic": "summer", "callback": _summer}])
    cases = [
        ("1", {"seed": 2, "speed": 3}, 6),
        ("2", {"seed": 5, "speed": 7}, 35),
        ("3", {"seed": 4, "speed": 9}, 36),
        ("4", {"seed": 5, "speed": 2}, 10),
        ("5", {"seed": 55, "speed": 20}, 1100),
    ]
    for version, data, height in cases:
        await _deploy(hotmesh, _app(reference_apps, "tree", version), version)
        job = await hotmesh.pubsub("spring", data, timeout=10)
        assert job["data"]["seed"] == data["seed"], version
        assert job["data"]["speed"] == data["speed"], version
        assert job["data"]["height"] == height, version
        assert job["metadata"]["vrs"] == version

    for version in ("6", "7", "8"):
        await _deploy(hotmesh, _app(reference_apps, "tree", version), version)
        job = await hotmesh.pubsub("spring", {}, timeout=10)
        assert job["metadata"]["js"] == 0, version
        assert job["metadata"]["tpc"] == "spring", version
        assert job["metadata"]["vrs"] == version
        assert job["metadata"]["gid"]


async def test_tree_sequence(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh = await mesh("tree")
    await _deploy(hotmesh, _app(reference_apps, "tree", "2"), "2")

    job = await hotmesh.pubsub("spring", {"seed": 5, "speed": 7}, timeout=10)

    assert (job["data"]["seed"], job["data"]["speed"], job["data"]["height"]) == (
        5,
        7,
        35,
    )


async def test_abc_hot_deploy_walkthrough(
    mesh: MeshFactory, reference_apps: Path
) -> None:
    hotmesh = await mesh(
        "abc",
        [
            {"topic": "work.do", "callback": _greet("x", "y")},
            {"topic": "work.do.more", "callback": _greet("i", "o")},
        ],
    )
    for version in ("1", "2", "3", "4"):
        await _deploy(hotmesh, _app(reference_apps, "abc", version), version)
        job = await hotmesh.pubsub("abc.test", {"a": "hello"}, timeout=10)
        assert job["metadata"]["jid"], version

    await _deploy(hotmesh, _app(reference_apps, "abc", "5"), "5")
    job = await hotmesh.pubsub("abc.test", {"a": "hello"}, timeout=10)
    assert job["data"]["b"] == "hello world"

    await _deploy(hotmesh, _app(reference_apps, "abc", "6"), "6")
    job = await hotmesh.pubsub("abc.test", {"a": "hello"}, timeout=10)
    assert job["data"]["b"] == "hello world"
    assert job["data"]["c"] == "hello world"

    await _deploy(hotmesh, _app(reference_apps, "abc", "7"), "7")
    job = await hotmesh.pubsub("abc.test", {"a": "hello"}, timeout=10)
    assert job["data"]["b"] == "hello world"
    assert job["data"]["c"] == "hello world world"

    await _deploy(hotmesh, _app(reference_apps, "abc", "8"), "8")
    job = await hotmesh.pubsub("abc.test", {"a": "hello"}, timeout=10)
    assert job["data"]["b"] == "hello world"

    await _deploy(hotmesh, _app(reference_apps, "abc", "9"), "9")
    job = await hotmesh.pubsub("abc.test", {"a": "hello"}, timeout=10)
    assert job["data"]["b"] == "hello world"
    assert job["data"]["c"] == "hello world world"
    job = await hotmesh.pubsub("abc.test", {"a": "goodbye"}, timeout=10)
    assert "data" not in job
    job = await hotmesh.pubsub("abc.test", {"a": "help"}, timeout=10)
    assert job["data"]["b"] == "help world"
    assert "c" not in job["data"]


def _counter(code_until: int | None = None) -> Any:
    state = {"counter": 0}

    def callback(message: dict[str, Any]) -> dict[str, Any]:
        state["counter"] += 1
        data = {"counter": state["counter"]}
        if code_until is not None and state["counter"] < code_until:
            return {"metadata": message["metadata"], "code": 500, "data": data}
        return {"metadata": message["metadata"], "data": data}

    return callback


async def test_cycle_versions(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh = await mesh(
        "cycle",
        [
            {"topic": "cycle.count", "callback": _counter()},
            {"topic": "cycle.err", "callback": _counter(code_until=5)},
        ],
    )
    await _deploy(hotmesh, _app(reference_apps, "cycle", "1"), "1")
    job = await hotmesh.pubsub("cycle.test", {}, timeout=10)
    assert job["data"]["counter"] == 5

    await _deploy(hotmesh, _app(reference_apps, "cycle", "2"), "2")
    job = await hotmesh.pubsub("cycle.test", {}, timeout=10)
    assert job["data"]["counter"] == 5
    export = await hotmesh.export(job["metadata"]["jid"])
    assert export["status"] == "0"


def _calculate(message: dict[str, Any]) -> dict[str, Any]:
    operation = message["data"]["operation"]
    values = message["data"]["values"]
    if isinstance(values, str):
        values = json.loads(values)
    result = values[0]
    for value in values[1:]:
        if operation == "add":
            result += value
        elif operation == "subtract":
            result -= value
        elif operation == "multiply":
            result *= value
        else:
            result /= value
    if operation == "add":
        result = sum(values)
    return {"metadata": message["metadata"], "data": {"result": result}}


def _flaky_calculator() -> Any:
    seen: set[str] = set()

    def callback(message: dict[str, Any]) -> dict[str, Any]:
        job_id = message["metadata"]["jid"]
        if job_id not in seen:
            seen.add(job_id)
            return {
                "metadata": message["metadata"],
                "status": "error",
                "code": 500,
                "data": {"message": "transient failure", "code": 500},
            }
        return _calculate(message)

    return callback


async def test_calc_retry_policy(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh = await mesh(
        "calc", [{"topic": "calculation.execute", "callback": _flaky_calculator()}]
    )
    await _deploy(hotmesh, _app(reference_apps, "calc", "1"), "1")
    cases = [
        ("add", [1, 2, 3, 4, 5], 15),
        ("subtract", [5, 4, 3, 2, 1], -5),
        ("multiply", [1, 2, 3, 4, 5], 120),
        ("divide", [100, 4, 5], 5),
    ]
    for operation, values, expected in cases:
        payload = {"operation": operation, "values": json.dumps(values)}
        job = await hotmesh.pubsub("calculate", payload, timeout=10)
        assert job["data"]["result"] == expected, operation


async def test_calc_timeout_keeps_job(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh = await mesh(
        "calc", [{"topic": "calculation.execute", "callback": _calculate}]
    )
    await _deploy(hotmesh, _app(reference_apps, "calc", "1"), "1")

    with pytest.raises(JobTimeoutError) as caught:
        await hotmesh.pubsub(
            "calculate", {"operation": "divide", "values": "[100,4,5]"}, timeout=0
        )

    job_id = caught.value.job_id
    assert job_id
    assert caught.value.code == 504

    async def finished() -> bool:
        return await hotmesh.get_status(job_id) == 0

    await wait_for(finished)
    state = await hotmesh.get_state("calculate", job_id)
    assert state["data"]["result"] == 5


async def test_calc_parallel_and_scrub(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh = await mesh(
        "calc", [{"topic": "calculation.execute", "callback": _calculate}]
    )
    await _deploy(hotmesh, _app(reference_apps, "calc", "1"), "1")

    divide, multiply = await asyncio.gather(
        hotmesh.pubsub(
            "calculate", {"operation": "divide", "values": "[200,4,5]"}, timeout=10
        ),
        hotmesh.pubsub(
            "calculate", {"operation": "multiply", "values": "[10,10,10]"}, timeout=10
        ),
    )
    assert divide["data"]["result"] == 10
    assert multiply["data"]["result"] == 1000

    job_id = divide["metadata"]["jid"]
    state = await hotmesh.get_state("calculate", job_id)
    assert state["data"]["result"] == 10
    await hotmesh.scrub(job_id)
    with pytest.raises(Exception, match="Not Found"):
        await hotmesh.get_state("calculate", job_id)


async def test_calc_publishes_results(mesh: MeshFactory, reference_apps: Path) -> None:
    hotmesh = await mesh(
        "calc", [{"topic": "calculation.execute", "callback": _calculate}]
    )
    await _deploy(hotmesh, _app(reference_apps, "calc", "1"), "1")
    received: list[tuple[str, dict[str, Any]]] = []
    await hotmesh.psub("calculated.*", lambda topic, job: received.append((topic, job)))

    job_id = await hotmesh.pub(
        "calculate", {"operation": "divide", "values": "[100,4,5]"}
    )

    async def delivered() -> bool:
        return any(job["metadata"]["jid"] == job_id for _, job in received)

    await wait_for(delivered)
    topic, job = next(item for item in received if item[1]["metadata"]["jid"] == job_id)
    assert topic == "calculated"
    assert job["data"]["result"] == 5
    export = await hotmesh.export(job_id)
    assert len(export["dependencies"]) == 1
    assert export["process"]["0"]["calculate"]


async def test_calc_unrecoverable_error(
    mesh: MeshFactory, reference_apps: Path
) -> None:
    def refuse(message: dict[str, Any]) -> dict[str, Any]:
        return {
            "metadata": message["metadata"],
            "status": "error",
            "code": 403,
            "data": {"message": "unrecoverable error", "code": 403},
        }

    hotmesh = await mesh("calc", [{"topic": "calculation.execute", "callback": refuse}])
    await _deploy(hotmesh, _app(reference_apps, "calc", "1"), "1")

    with pytest.raises(JobFailedError) as caught:
        await hotmesh.pubsub(
            "calculate", {"operation": "add", "values": "[1]"}, timeout=10
        )

    assert caught.value.code == 403
    assert str(caught.value) == "unrecoverable error"
    assert caught.value.job_id
    state = await hotmesh.get_state("calculate", caught.value.job_id)
    assert state["metadata"]["err"] == (
        '{"message":"unrecoverable error","code":403,"is_stream_error":true}'
    )


def _status_worker(hotmesh_ref: list[HotMesh]) -> Any:
    async def callback(message: dict[str, Any]) -> dict[str, Any]:
        code = message["data"]["code"]
        metadata = message["metadata"]
        if code == 422:
            return {
                "metadata": metadata,
                "status": "error",
                "code": 422,
                "data": {"message": "invalid input", "code": 422, "reason": "bad"},
            }
        if code == 202:

            async def finish_later() -> None:
                await asyncio.sleep(0.25)
                await hotmesh_ref[0].add(
                    {
                        "status": "success",
                        "code": 200,
                        "metadata": metadata,
                        "data": {"code": 200, "percentage": 99},
                    }
                )

            asyncio.get_running_loop().create_task(finish_later())
            return {
                "metadata": metadata,
                "status": "pending",
                "code": 202,
                "data": {"code": 202, "percentage": 49},
            }
        return {"metadata": metadata, "data": {"code": 200}}

    return callback


async def test_def_status_codes(mesh: MeshFactory, reference_apps: Path) -> None:
    holder: list[HotMesh] = []
    hotmesh = await mesh(
        "def", [{"topic": "work.do", "callback": _status_worker(holder)}]
    )
    holder.append(hotmesh)
    await _deploy(hotmesh, _app(reference_apps, "def", "1"), "1")

    job = await hotmesh.pubsub("def.test", {"code": 200}, timeout=10)
    assert job["data"]["code"] == 200
    assert job["data"]["message"] == "success"
    job = await hotmesh.pubsub("def.test", {"code": 422}, timeout=10)
    assert job["metadata"]["js"] == 0

    await _deploy(hotmesh, _app(reference_apps, "def", "2"), "2")
    job = await hotmesh.pubsub("def.test", {"code": 200}, timeout=10)
    assert job["data"]["code"] == 200
    assert job["data"]["message"] == "success"

    await _deploy(hotmesh, _app(reference_apps, "def", "3"), "3")
    job = await hotmesh.pubsub("def.test", {"code": 202}, timeout=10)
    assert job["data"]["code"] == 200
    assert job["data"]["percentage"] == 99
    assert job["data"]["message"] == "success"


async def test_compile_seeds_and_inline(
    mesh: MeshFactory, reference_apps: Path
) -> None:
    hotmesh = await mesh("test-app")
    seeds = reference_apps / "seeds" / "hotmesh.yaml"

    planned = await hotmesh.plan(seeds)
    assert planned.version == "1"
    await hotmesh.deploy(seeds)
    assert await hotmesh.activate("1") is True

    inline = "\n".join(
        [
            "app:",
            "  id: test-app",
            "  version: '2'",
            "  graphs:",
            "    - subscribes: abc.test",
            "      activities:",
            "        tx:",
            "          type: trigger",
            "        ax:",
            "          type: hook",
            "      transitions:",
            "        tx:",
            "          - to: ax",
        ]
    )
    assert (await hotmesh.plan(inline)).version == "2"
    await hotmesh.deploy(inline)
    assert await hotmesh.activate("2") is True
    job = await hotmesh.pubsub("abc.test", {}, timeout=10)
    assert job["metadata"]["vrs"] == "2"
