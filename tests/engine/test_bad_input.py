"""Bad input gets a typed error and leaves other jobs untouched."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hotmesh import (
    ConfigurationError,
    DeploymentError,
    DuplicateJobError,
    HotMesh,
    JobFailedError,
    ModelValidationError,
    TopicNotFoundError,
)
from hotmesh.errors import PipeError
from hotmesh.store.protocol import ENGINE_TOPIC, Outgoing
from tests.engine.conftest import MeshFactory

pytestmark = pytest.mark.timeout(60)

MODEL = """
app:
  id: bad
  version: '1'
  graphs:
    - subscribes: bad.test
      expire: 30
      activities:
        t1:
          type: trigger
          stats:
            id: '{$self.input.data.id}'
        w1:
          type: worker
          topic: bad.work
          input:
            maps:
              mode: '{t1.output.data.mode}'
          job:
            maps:
              out: '{$self.output.data.out}'
      transitions:
        t1:
          - to: w1
    - subscribes: bad.pipe
      activities:
        p1:
          type: trigger
          job:
            maps:
              half:
                '@pipe':
                  - ['{$self.output.data.value}']
                  - ['{@math.atan2}']
        p2:
          type: hook
      transitions:
        p1:
          - to: p2
"""


def _worker(message: dict[str, Any]) -> dict[str, Any]:
    mode = message["data"].get("mode")
    if mode == "raise":
        raise ValueError("the worker failed on purpose")
    if mode == "unserialisable":
        return {"data": {"out": object()}}
    if mode == "not-a-dict":
        return ["a", "list"]  # type: ignore[return-value]
    return {"data": {"out": f"ok {mode}"}}


async def _ready(mesh: MeshFactory) -> HotMesh:
    hotmesh = await mesh("bad", [{"topic": "bad.work", "callback": _worker}])
    await hotmesh.deploy(MODEL)
    await hotmesh.activate("1", delay=0.05)
    return hotmesh


async def test_worker_failures_recorded(mesh: MeshFactory) -> None:
    hotmesh = await _ready(mesh)

    raised, unserialisable, wrong, good = await asyncio.gather(
        hotmesh.pubsub("bad.test", {"mode": "raise"}, timeout=10),
        hotmesh.pubsub("bad.test", {"mode": "unserialisable"}, timeout=10),
        hotmesh.pubsub("bad.test", {"mode": "not-a-dict"}, timeout=10),
        hotmesh.pubsub("bad.test", {"mode": "fine"}, timeout=10),
        return_exceptions=True,
    )

    assert isinstance(raised, JobFailedError)
    assert raised.code == 500
    assert "the worker failed on purpose" in str(raised)
    assert isinstance(unserialisable, JobFailedError)
    assert "not serialisable" in str(unserialisable)
    assert isinstance(wrong, JobFailedError)
    assert "expected a dict" in str(wrong)
    assert isinstance(good, dict)
    assert good["data"]["out"] == "ok fine"


async def test_duplicate_and_unknown_topic(mesh: MeshFactory) -> None:
    hotmesh = await _ready(mesh)
    await hotmesh.pubsub("bad.test", {"id": "once", "mode": "a"}, timeout=10)

    with pytest.raises(DuplicateJobError, match="once"):
        await hotmesh.pub("bad.test", {"id": "once", "mode": "b"})
    with pytest.raises(TopicNotFoundError, match=r"no\.such\.topic"):
        await hotmesh.pub("no.such.topic", {})

    state = await hotmesh.get_state("bad.test", "once")
    assert state["data"]["out"] == "ok a"


async def test_pipe_arity_fails_job(mesh: MeshFactory) -> None:
    hotmesh = await _ready(mesh)

    with pytest.raises(PipeError, match="atan2"):
        await hotmesh.pubsub("bad.pipe", {"value": 1}, timeout=10)


async def test_malformed_message_dropped(mesh: MeshFactory) -> None:
    hotmesh = await _ready(mesh)
    assert hotmesh.store is not None
    for junk in (
        "not json",
        '{"type": "transition"}',
        '{"type": "nope", "metadata": {}}',
    ):
        await hotmesh.store.add_message(hotmesh.app, Outgoing(ENGINE_TOPIC, junk))

    job = await hotmesh.pubsub("bad.test", {"mode": "after"}, timeout=10)

    assert job["data"]["out"] == "ok after"


async def test_invalid_model_lists_problems(mesh: MeshFactory) -> None:
    hotmesh = await mesh("bad")
    broken = """
app:
  id: bad
  version: '2'
  graphs:
    - subscribes: broken
      activities:
        t1:
          type: trigger
        w1:
          type: worker
        x1:
          type: teleport
      transitions:
        t1:
          - to: w1
          - to: nowhere
"""
    with pytest.raises(ModelValidationError) as caught:
        await hotmesh.deploy(broken)

    messages = [problem.message for problem in caught.value.problems]
    assert len(messages) >= 3
    assert any("topic" in message for message in messages)
    assert any("teleport" in message for message in messages)
    assert any("nowhere" in message for message in messages)
    assert all(problem.line for problem in caught.value.problems)


async def test_init_rejects_bad_config(backend_url: str) -> None:
    with pytest.raises(ConfigurationError, match="app_id"):
        await HotMesh.init(app_id="bad id", connection=backend_url)
    with pytest.raises(ConfigurationError, match="callback"):
        await HotMesh.init(
            app_id="bad", connection=backend_url, workers=[{"topic": "x"}]
        )
    with pytest.raises(ConfigurationError, match="topic"):
        await HotMesh.init(
            app_id="bad", connection=backend_url, workers=[{"callback": print}]
        )


async def test_throttle_rejects_non_numbers(mesh: MeshFactory) -> None:
    hotmesh = await _ready(mesh)

    with pytest.raises(ConfigurationError, match="throttle"):
        await hotmesh.throttle("fast")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="range"):
        await hotmesh.throttle(-5)


SLEEPY = """
app:
  id: bad
  version: '3'
  graphs:
    - subscribes: bad.sleep
      expire: 30
      activities:
        t1:
          type: trigger
        s1:
          type: hook
          sleep: '{t1.output.data.seconds}'
      transitions:
        t1:
          - to: s1
"""


async def test_bad_sleep_fails_job(
    mesh: MeshFactory, caplog: pytest.LogCaptureFixture
) -> None:
    hotmesh = await mesh("bad")
    await hotmesh.deploy(SLEEPY)
    await hotmesh.activate("3", delay=0.05)

    for seconds in ("soon", -2, "inf", 315_360_001):
        with pytest.raises(JobFailedError, match="sleep of activity 's1'") as caught:
            await hotmesh.pubsub("bad.sleep", {"seconds": seconds}, timeout=10)
        assert caught.value.code == 500

    # A job's own fault is logged as one line, without the engine's traceback.
    failures = [
        record
        for record in caplog.records
        if record.name == "hotmesh.engine.engine" and "failed on its" in record.message
    ]
    assert len(failures) == 4
    assert all(record.levelname == "WARNING" for record in failures)
    assert all(record.exc_info is None for record in failures)


async def test_redeploy_changed_version_rejected(mesh: MeshFactory) -> None:
    hotmesh = await _ready(mesh)
    await hotmesh.deploy(MODEL)

    changed = MODEL.replace("out: '{$self.output.data.out}'", "out2: 'x'")
    with pytest.raises(DeploymentError, match="already deployed"):
        await hotmesh.deploy(changed)

    job = await hotmesh.pubsub("bad.test", {"mode": "same"}, timeout=10)
    assert job["data"]["out"] == "ok same"


async def test_wrong_argument_types(mesh: MeshFactory, backend_url: str) -> None:
    hotmesh = await _ready(mesh)

    with pytest.raises(ConfigurationError, match="path to a YAML file"):
        await hotmesh.deploy(None)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="timeout"):
        await hotmesh.pubsub("bad.test", {}, timeout="5")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="job_id"):
        await hotmesh.get_state("bad.test", None)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="blok_ms"):
        await HotMesh.init(app_id="bad", connection=backend_url, engine={"blok_ms": 1})
    with pytest.raises(ConfigurationError, match="block_ms"):
        await HotMesh.init(
            app_id="bad", connection=backend_url, engine={"block_ms": "fast"}
        )
    with pytest.raises(ConfigurationError, match="list of mappings"):
        await HotMesh.init(
            app_id="bad",
            connection=backend_url,
            workers={"topic": "x", "callback": print},  # type: ignore[arg-type]
        )
