"""Contracts of values: exact round trips of any text, and size limits."""

from __future__ import annotations

import asyncio

import pytest

from hotmesh.errors import PayloadTooLargeError
from hotmesh.store.protocol import STATUS_FIELD, AppKey, NewJob, Outgoing, Step, Store
from hotmesh.testing.contracts._support import GROUP, OpenStore, create, deliver

TEXTS = {
    "emoji": "😀👩‍👩‍👧‍👦🚀",
    "cjk": "漢字かなカナ한국어",
    "rtl": "שָׁלוֹם مرحبا",
    "nul": "a\x00b\x00",
    "combining": "e\u0301 n\u0303",
    "controls": "\t\r\n\x7f\x1b",
    "json": '{"k": ["\\u0000", "\\"quoted\\""]}',
}

LARGE_BYTES = 10 * 1024 * 1024


@pytest.mark.asyncio
class TestPayloads:
    @pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
    async def test_text_round_trips(
        self, hotmesh_store: Store, hotmesh_app: AppKey, text: str
    ) -> None:
        job = NewJob("job-1", 1, {text: text, "plain": text})
        await hotmesh_store.create_job(hotmesh_app, job)
        await hotmesh_store.commit_step(
            hotmesh_app, Step("job-1", fields={"step": text}, signals={text: text})
        )
        await hotmesh_store.kv_set(hotmesh_app, text, text)
        await hotmesh_store.save_app_version(hotmesh_app, "1", text, "t")
        message = await deliver(hotmesh_store, hotmesh_app, text)

        state = await hotmesh_store.read_job(hotmesh_app, "job-1")
        assert state == {text: text, "plain": text, "step": text, STATUS_FIELD: "1"}
        assert await hotmesh_store.read_job_fields(hotmesh_app, "job-1", [text]) == [
            text
        ]
        assert await hotmesh_store.get_signal(hotmesh_app, text) == text
        assert await hotmesh_store.kv_get(hotmesh_app, text) == text
        assert await hotmesh_store.load_app_version(hotmesh_app, "1") == text
        assert message.payload == text

    @pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
    async def test_text_round_trips_through_pubsub(
        self, hotmesh_store: Store, hotmesh_app: AppKey, text: str
    ) -> None:
        received: asyncio.Queue[str] = asyncio.Queue()
        subscription = await hotmesh_store.subscribe(
            hotmesh_app, "news", lambda _channel, data: received.put_nowait(data)
        )

        await hotmesh_store.publish(hotmesh_app, "news", text)

        assert await asyncio.wait_for(received.get(), 5.0) == text
        await subscription.close()

    async def test_large_payload_round_trips_or_is_rejected(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        payload = "0123456789abcdef" * (LARGE_BYTES // 16)
        await hotmesh_store.ensure_group(hotmesh_app, "", GROUP)

        try:
            await hotmesh_store.add_message(hotmesh_app, Outgoing("", payload))
            await create(hotmesh_store, hotmesh_app, "job-1", 1, big=payload)
        except PayloadTooLargeError as exc:
            assert "bytes" in str(exc)
            assert await hotmesh_store.read_job(hotmesh_app, "job-1") is None
            return

        messages = await hotmesh_store.read_messages(
            hotmesh_app, "", GROUP, "consumer", count=1, block_ms=0
        )
        assert len(messages) == 1
        assert messages[0].payload == payload
        fields = await hotmesh_store.read_job_fields(hotmesh_app, "job-1", ["big"])
        assert fields == [payload]

    async def test_payload_limit_rejects_with_clear_message(
        self, hotmesh_open_store: OpenStore, hotmesh_app: AppKey
    ) -> None:
        store = await hotmesh_open_store(max_payload_bytes="1024")
        await create(store, hotmesh_app, "job-1", 2)
        large = "x" * 2048

        with pytest.raises(PayloadTooLargeError) as caught:
            await store.add_message(hotmesh_app, Outgoing("", large))
        with pytest.raises(PayloadTooLargeError):
            await store.create_job(hotmesh_app, NewJob("job-2", 1, {"big": large}))
        with pytest.raises(PayloadTooLargeError):
            await store.commit_step(
                hotmesh_app,
                Step("job-1", status_delta=-1, messages=[Outgoing("", large)]),
            )
        with pytest.raises(PayloadTooLargeError):
            await store.kv_set(hotmesh_app, "k", large)

        assert "2048" in str(caught.value)
        assert "1024" in str(caught.value)
        assert await store.stream_depth(hotmesh_app, "") == 0
        assert await store.read_job(hotmesh_app, "job-2") is None
        assert await store.read_job(hotmesh_app, "job-1") == {STATUS_FIELD: "2"}
        assert await store.kv_get(hotmesh_app, "k") is None
        await store.kv_set(hotmesh_app, "k", "x" * 1024)
        assert await store.kv_get(hotmesh_app, "k") == "x" * 1024
