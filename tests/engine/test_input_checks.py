"""Invalid options, ids and expire values raise typed errors before any write."""

from __future__ import annotations

from typing import Any

import pytest

from hotmesh import (
    ConfigurationError,
    HotMesh,
    JobFailedError,
    JobInterruptedError,
    ModelValidationError,
)
from hotmesh.engine.model._types import MAX_EXPIRE_SECONDS
from tests.engine.conftest import MeshFactory

pytestmark = pytest.mark.timeout(60)

EXPIRING = """
app:
  id: keep
  version: '1'
  graphs:
    - subscribes: keep.test
      expire: '{t1.output.data.keep}'
      activities:
        t1:
          type: trigger
    - subscribes: keep.parent
      expire: 30
      activities:
        p1:
          type: trigger
        a1:
          type: await
          topic: keep.test
          input:
            maps:
              keep: '{p1.output.data.keep}'
      transitions:
        p1:
          - to: a1
"""


def _answer(message: dict[str, Any]) -> dict[str, Any]:
    return {"data": {}}


async def _init(**options: Any) -> HotMesh:
    # Every call is rejected before it connects, so the URL is never dialled.
    return await HotMesh.init(connection="redis://127.0.0.1:1/0", **options)


def _model_with_expire(expire: str) -> str:
    return EXPIRING.replace("expire: 30", f"expire: {expire}")


@pytest.mark.parametrize(
    "expire", ["100000000000000000000", "-1", "315360001", "'1e30'", "true", ".inf"]
)
async def test_literal_expire_out_of_range(mesh: MeshFactory, expire: str) -> None:
    hotmesh = await mesh("keep")
    with pytest.raises(ModelValidationError) as caught:
        await hotmesh.deploy(_model_with_expire(expire))

    problems = caught.value.problems
    assert len(problems) == 1
    assert problems[0].path == "app.graphs[1].expire"
    assert "graph 'keep.parent'" in problems[0].message
    assert f"from 0 to {MAX_EXPIRE_SECONDS}" in problems[0].message


@pytest.mark.parametrize("expire", ["0", "315360000", "'120'", "2.5"])
async def test_literal_expire_in_range(mesh: MeshFactory, expire: str) -> None:
    hotmesh = await mesh("keep")
    model = await hotmesh.plan(_model_with_expire(expire))

    assert model.graph_for_topic("keep.parent") is not None


async def test_resolved_expire_rejected(mesh: MeshFactory) -> None:
    hotmesh = await mesh("keep")
    await hotmesh.deploy(EXPIRING)
    await hotmesh.activate("1", delay=0.05)

    for keep in (10**20, MAX_EXPIRE_SECONDS + 1, float("inf")):
        with pytest.raises(ConfigurationError, match="out of range") as caught:
            await hotmesh.pubsub("keep.test", {"keep": keep}, timeout=10)
        assert "keep.test" in str(caught.value)
        assert str(MAX_EXPIRE_SECONDS) in str(caught.value)

    job = await hotmesh.pubsub("keep.test", {"keep": MAX_EXPIRE_SECONDS}, timeout=10)
    assert job["metadata"]["expire"] == MAX_EXPIRE_SECONDS
    job = await hotmesh.pubsub("keep.test", {"keep": 5}, timeout=10)
    assert job["metadata"]["expire"] == 5


async def test_resolved_child_expire_fails_parent(mesh: MeshFactory) -> None:
    hotmesh = await mesh("keep")
    await hotmesh.deploy(EXPIRING)
    await hotmesh.activate("1", delay=0.05)

    with pytest.raises(JobFailedError, match="out of range") as caught:
        await hotmesh.pubsub("keep.parent", {"keep": 10**20}, timeout=10)

    assert caught.value.code == 400


@pytest.mark.parametrize(
    ("engine", "name"),
    [
        ({"block_ms": 10**20}, "block_ms"),
        ({"block_ms": 0}, "block_ms"),
        ({"block_ms": 1.5}, "block_ms"),
        ({"timer_poll_ms": 0}, "timer_poll_ms"),
        ({"scout_lease_ms": 0}, "scout_lease_ms"),
        ({"reclaim_delay_ms": -1}, "reclaim_delay_ms"),
        ({"reclaim_delay_ms": 10**20}, "reclaim_delay_ms"),
        ({"reclaim_count": -1}, "reclaim_count"),
        ({"state_cache": -1}, "state_cache"),
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": True}, "concurrency"),
        ({"batch": 0}, "batch"),
    ],
)
async def test_engine_option_out_of_range(engine: dict[str, Any], name: str) -> None:
    with pytest.raises(ConfigurationError, match=f"engine option {name}=") as caught:
        await _init(app_id="opts", engine=engine)

    assert "from " in str(caught.value)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("concurrency", 0),
        ("concurrency", -3),
        ("concurrency", "4"),
        ("reclaim_delay_ms", -5),
        ("reclaim_count", 1.5),
    ],
)
async def test_worker_option_out_of_range(option: str, value: Any) -> None:
    worker = {"topic": "opts.work", "callback": _answer, option: value}

    with pytest.raises(ConfigurationError, match=rf"workers\[0\] option {option}="):
        await _init(app_id="opts", workers=[worker])


async def test_worker_unknown_key_rejected() -> None:
    worker = {"topic": "opts.work", "callback": _answer, "concurency": 4}

    with pytest.raises(ConfigurationError, match="unknown options concurency"):
        await _init(app_id="opts", workers=[worker])


async def test_worker_config_concurrency_checked() -> None:
    from hotmesh import WorkerConfig

    config = WorkerConfig(topic="opts.work", callback=_answer, concurrency=0)

    with pytest.raises(ConfigurationError, match="concurrency=0"):
        await _init(app_id="opts", workers=[config])


@pytest.mark.parametrize("value", ["a", -1, 1.5, MAX_EXPIRE_SECONDS + 1, None])
async def test_default_expire_out_of_range(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="default_expire="):
        await _init(app_id="opts", engine={}, default_expire=value)


async def test_app_id_length_limit(mesh: MeshFactory) -> None:
    with pytest.raises(ConfigurationError, match="max 128"):
        await _init(app_id="a" * 129)

    hotmesh = await mesh("b" * 128, with_engine=False)
    assert hotmesh.app_id == "b" * 128


async def test_model_app_id_length_limit(mesh: MeshFactory) -> None:
    hotmesh = await mesh("keep")
    long_id = "k" * 129

    with pytest.raises(ModelValidationError, match="max 128"):
        await hotmesh.plan(EXPIRING.replace("id: keep", f"id: {long_id}"))


@pytest.mark.parametrize("job_id", [None, "", 5])
async def test_job_id_checked(mesh: MeshFactory, job_id: Any) -> None:
    hotmesh = await mesh("keep")
    calls = [
        hotmesh.get_status(job_id),
        hotmesh.get_state("keep.test", job_id),
        hotmesh.get_raw(job_id),
        hotmesh.export(job_id),
        hotmesh.get_query_state(job_id, ["x"]),
        hotmesh.scrub(job_id),
        hotmesh.interrupt("keep.test", job_id),
    ]
    for call in calls:
        with pytest.raises(ConfigurationError, match="job_id must be a non-empty"):
            await call


@pytest.mark.parametrize("version", [None, "", True, 1.5])
async def test_activate_version_checked(mesh: MeshFactory, version: Any) -> None:
    hotmesh = await mesh("keep")
    with pytest.raises(ConfigurationError, match="version must be a non-empty"):
        await hotmesh.activate(version)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"expire": 10**20}, "expire="),
        ({"code": "410"}, "code='410' is invalid"),
        ({"code": 0}, "code=0 is invalid"),
        ({"code": True}, "code=True is invalid"),
        ({"code": 1000}, "code=1000 is invalid"),
        ({"code": 10**30}, "is invalid: give a whole number from 1 to 999"),
        ({"reason": 5}, "reason=5 is invalid"),
        ({"throw": "yes"}, "throw='yes' is invalid"),
    ],
)
async def test_interrupt_call_checked(
    mesh: MeshFactory, options: dict[str, Any], message: str
) -> None:
    hotmesh = await mesh("keep")
    with pytest.raises(ConfigurationError, match=message):
        await hotmesh.interrupt("keep.test", "job-1", **options)


@pytest.mark.parametrize("topic", [None, "", 123])
async def test_interrupt_topic_checked(mesh: MeshFactory, topic: Any) -> None:
    hotmesh = await mesh("keep")
    with pytest.raises(ConfigurationError, match="topic must be a non-empty string"):
        await hotmesh.interrupt(topic, "job-1")


@pytest.mark.parametrize("code", ["200", 200.0, -1])
async def test_hook_code_checked(mesh: MeshFactory, code: Any) -> None:
    hotmesh = await mesh("keep")
    with pytest.raises(ConfigurationError, match=r"code=.* is invalid"):
        await hotmesh.hook("keep.test", {"id": "job-1"}, code=code)


@pytest.mark.parametrize(
    ("extended", "message"),
    [
        ("pending", "extended must be a mapping"),
        ({"pendng": 2}, "unknown options pendng in extended"),
        ({"pending": "2"}, r"extended\['pending'\]='2' is invalid"),
        ({"pending": -1}, r"extended\['pending'\]=-1 is invalid"),
        ({"pending": MAX_EXPIRE_SECONDS + 1}, "from 0 to"),
        ({"search": ["a"]}, r"extended\['search'\] must map"),
        ({"search": {"": "x"}}, r"extended\['search'\] must map"),
        ({"marker": {"done": 1}}, "marker names must start with '-', got done"),
    ],
)
async def test_pub_extended_checked(
    mesh: MeshFactory, extended: Any, message: str
) -> None:
    hotmesh = await mesh("keep")
    await hotmesh.deploy(EXPIRING)
    await hotmesh.activate("1")
    with pytest.raises(ConfigurationError, match=message):
        await hotmesh.pub("keep.test", {}, None, extended)


async def test_pub_pending_zero_accepted(mesh: MeshFactory) -> None:
    hotmesh = await mesh("keep")
    await hotmesh.deploy(EXPIRING)
    await hotmesh.activate("1")

    job_id = await hotmesh.pub("keep.test", {}, None, {"pending": 0})

    assert await hotmesh.get_status(job_id) == -1


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), -1])
async def test_pubsub_timeout_checked(mesh: MeshFactory, timeout: float) -> None:
    hotmesh = await mesh("keep")
    with pytest.raises(ConfigurationError, match="timeout="):
        await hotmesh.pubsub("keep.test", {}, timeout=timeout)


@pytest.mark.parametrize("source", ["foo: bar", ""])
async def test_deploy_neither_file_nor_yaml(mesh: MeshFactory, source: str) -> None:
    hotmesh = await mesh("keep")
    with pytest.raises(ModelValidationError) as caught:
        await hotmesh.deploy(source)

    message = str(caught.value)
    assert "neither an existing file nor YAML text starting with 'app:'" in message
    assert "pass the path of a model file" in message


async def test_calls_after_stop_raise(mesh: MeshFactory) -> None:
    hotmesh = await mesh("keep")
    await hotmesh.stop()

    calls = [
        hotmesh.get_status("job-1"),
        hotmesh.get_raw("job-1"),
        hotmesh.pub("opts.test", {}),
        hotmesh.deploy(EXPIRING),
        hotmesh.interrupt("opts.test", "job-1"),
        hotmesh.roll_call(),
    ]
    for call in calls:
        with pytest.raises(ConfigurationError, match="instance is stopped"):
            await call
    await hotmesh.stop()


INTERRUPTING = """
app:
  id: stop
  version: '1'
  graphs:
    - subscribes: stop.test
      activities:
        t1:
          type: trigger
        halt:
          type: interrupt
          expire: '{t1.output.data.keep}'
          code: '{t1.output.data.code}'
      transitions:
        t1:
          - to: halt
"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"keep": 10**20, "code": 410}, "expire of interrupt activity 'halt'"),
        ({"keep": "soon", "code": 410}, "expire of interrupt activity 'halt'"),
        ({"keep": 5, "code": "gone"}, "code of interrupt activity 'halt'"),
        ({"keep": 5, "code": "²"}, "code of interrupt activity 'halt'"),
        ({"keep": "--5", "code": 410}, "expire of interrupt activity 'halt'"),
    ],
)
async def test_interrupt_options_checked(
    mesh: MeshFactory, data: dict[str, Any], message: str
) -> None:
    hotmesh = await mesh("stop")
    await hotmesh.deploy(INTERRUPTING)
    await hotmesh.activate("1", delay=0.05)

    with pytest.raises(JobFailedError, match=message):
        await hotmesh.pubsub("stop.test", data, timeout=10)


async def test_interrupt_options_applied(mesh: MeshFactory) -> None:
    hotmesh = await mesh("stop")
    await hotmesh.deploy(INTERRUPTING)
    await hotmesh.activate("1", delay=0.05)

    with pytest.raises(JobInterruptedError) as caught:
        await hotmesh.pubsub("stop.test", {"keep": "5", "code": "410"}, timeout=10)

    assert caught.value.code == 410
