"""Parallel branches under contention: no step reuses stale cached state."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.engine.conftest import MeshFactory

pytestmark = pytest.mark.timeout(90)

BRANCHES = 5


def _model() -> str:
    lines = [
        "app:",
        "  id: fan",
        "  version: '1'",
        "  graphs:",
        "    - subscribes: fan.out",
        "      expire: 30",
        "      activities:",
        "        t1: {type: trigger}",
    ]
    for index in range(BRANCHES):
        lines += [
            f"        w{index}:",
            "          type: worker",
            "          topic: fan.work",
            f"          input: {{maps: {{n: {index}}}}}",
            f"          job: {{maps: {{f{index}: '{{$self.output.data.n}}'}}}}",
        ]
    targets = ", ".join(f"{{to: w{index}}}" for index in range(BRANCHES))
    lines += ["      transitions:", f"        t1: [{targets}]"]
    return "\n".join(lines) + "\n"


async def _echo(message: dict[str, Any]) -> dict[str, Any]:
    await asyncio.sleep(0)
    return {"data": {"n": message["data"]["n"]}}


async def test_fan_in_keeps_every_branch(mesh: MeshFactory) -> None:
    workers = [{"topic": "fan.work", "callback": _echo, "concurrency": 10}]
    first = await mesh("fan", workers)
    second = await mesh("fan", workers)
    await first.deploy(_model())
    await first.activate("1", delay=0.05)

    jobs = await asyncio.gather(
        *(
            (first if number % 2 else second).pubsub("fan.out", {}, timeout=30)
            for number in range(40)
        )
    )

    expected = {f"f{index}": index for index in range(BRANCHES)}
    for job in jobs:
        assert job["data"] == expected
        state = await first.get_state("fan.out", job["metadata"]["jid"])
        assert state["data"] == expected
