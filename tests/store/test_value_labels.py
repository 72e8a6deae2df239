"""How store errors and consumer logs name values and streams."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

import pytest

from hotmesh.errors import PayloadTooLargeError, UnknownBackendError
from hotmesh.registry import backend_for_scheme, open_store
from hotmesh.store.protocol import AppKey, NewJob, Outgoing, describe_topic
from hotmesh_redis import pubsub
from hotmesh_redis.calls import describe_job_field


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("a/t1/,0/o", "output of activity 't1'"),
        ("a/w1/,0,1/h", "hook data of activity 'w1' at dimension ',0,1'"),
        ("a/w1/,0/m", "metadata of activity 'w1'"),
        ("a/w1/,0/as", "collation counter of activity 'w1'"),
        ("a/w1/,0/zz", "field 'zz' of activity 'w1'"),
        ("d/order/total", "job data 'order/total'"),
        ("m/jid", "job metadata 'jid'"),
        ("s/approve", "hook signal 'approve'"),
        ("g/abc123", "record of an applied message"),
        ("_status", "search field 'status'"),
        ("-done", "marker field 'done'"),
        ("fin", "job field 'fin'"),
        ("a/odd", "job field 'a/odd'"),
    ],
)
def test_job_field_described(field: str, expected: str) -> None:
    assert describe_job_field(field) == expected


def test_streams_named() -> None:
    assert describe_topic("") == "the engine stream"
    assert describe_topic("$timers") == "the timer stream"
    assert describe_topic("work.do") == "topic 'work.do'"


async def test_payload_error_describes_field() -> None:
    try:
        backend_for_scheme("fakeredis")
    except UnknownBackendError:
        pytest.skip(
            "fakeredis plugin not installed: pip install -e plugins/hotmesh-fakeredis"
        )
    store = await open_store(
        f"fakeredis://labels{secrets.token_hex(4)}?max_payload_bytes=64"
    )
    app = AppKey(namespace="labels", app_id="app")
    big = '"' + "x" * 100 + '"'
    try:
        with pytest.raises(PayloadTooLargeError) as caught:
            await store.create_job(
                app, NewJob(job_id="j1", status=1, fields={"a/t1/,0/o": big})
            )
        message = str(caught.value)
        assert message.startswith("output of activity 't1' is 102 bytes")
        assert "a/t1" not in message

        with pytest.raises(PayloadTooLargeError) as caught:
            await store.add_message(app, Outgoing("", big))
        assert str(caught.value).startswith("message for the engine stream is ")
    finally:
        await store.close()


class FailingPubSub:
    """A pub/sub connection whose reads fail ``failures`` times, then idle."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.reads = 0
        self.recovered = asyncio.Event()

    async def get_message(self, timeout: float) -> dict[str, Any] | None:
        self.reads += 1
        if self.reads <= self.failures:
            raise ConnectionError(f"connection refused ({self.reads})")
        self.recovered.set()
        await asyncio.sleep(0.01)
        return None


async def test_reader_logs_outage_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(pubsub, "_MAX_RETRY_SECONDS", 0)
    connection = FailingPubSub(failures=4)
    hub = pubsub.PubSubHub(connection, lambda channel: channel)

    with caplog.at_level(logging.DEBUG, logger="hotmesh_redis.pubsub"):
        reader = asyncio.create_task(hub._read())
        await asyncio.wait_for(connection.recovered.wait(), 5)
        await asyncio.sleep(0.05)
        hub._stopping = True
        await asyncio.wait_for(reader, 5)

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(warnings) == 2
    assert "reading pub/sub messages failed (connection refused (1))" in (
        warnings[0].getMessage()
    )
    assert warnings[0].exc_info is None
    assert (
        warnings[1]
        .getMessage()
        .startswith("pub/sub reading resumed after 4 failed attempts")
    )
    assert len(debug) == 4
    assert all(record.exc_info is not None for record in debug)
