"""Signals that arrive early, and transitions on code patterns."""

from __future__ import annotations

from typing import Any

import pytest

from hotmesh import JobNotFoundError
from tests.engine.conftest import MeshFactory, wait_for
from tests.engine.test_interrupts import MODEL as FAMILY

pytestmark = pytest.mark.timeout(60)

PATTERNS = """
app:
  id: codes
  version: '1'
  graphs:
    - subscribes: codes.test
      expire: 30
      activities:
        t1:
          type: trigger
        w1:
          type: worker
          topic: codes.work
          input:
            maps:
              code: '{t1.output.data.code}'
        server_error:
          type: hook
          job:
            maps:
              route: 5xx
        ok:
          type: hook
          job:
            maps:
              route: ok
      transitions:
        t1:
          - to: w1
        w1:
          - to: server_error
            conditions:
              code: '5**'
          - to: ok
            conditions:
              code: 200
"""


async def test_early_signal_waits_for_hook(mesh: MeshFactory) -> None:
    hotmesh = await mesh("family")
    await hotmesh.deploy(FAMILY)
    await hotmesh.activate("1", delay=0.05)
    assert hotmesh.engine is not None

    await hotmesh.engine.hook(
        "child.resume", {"id": "kid-9", "note": "early"}, require_paused=False
    )
    await hotmesh.pub("child.start", {"key": "kid-9"})

    async def finished() -> bool:
        try:
            return await hotmesh.get_status("kid-9") == 0
        except JobNotFoundError:
            return False

    await wait_for(finished)
    export = await hotmesh.export("kid-9")
    hook = export["process"]["0"]["0"]["c1"]["hook"]["data"]
    assert hook == {"id": "kid-9", "note": "early"}


async def test_code_pattern_transition(mesh: MeshFactory) -> None:
    def respond(message: dict[str, Any]) -> dict[str, Any]:
        return {"code": message["data"]["code"], "data": {}}

    hotmesh = await mesh("codes", [{"topic": "codes.work", "callback": respond}])
    await hotmesh.deploy(PATTERNS)
    await hotmesh.activate("1", delay=0.05)

    failed = await hotmesh.pubsub("codes.test", {"code": 503}, timeout=10)
    fine = await hotmesh.pubsub("codes.test", {"code": 200}, timeout=10)

    assert failed["data"]["route"] == "5xx"
    assert fine["data"]["route"] == "ok"
