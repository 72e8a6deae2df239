"""Workers: run a user callback for each message of a topic."""

from __future__ import annotations

import asyncio
import inspect
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from hotmesh.engine.messages import MalformedMessageError, Message, Status, new_guid
from hotmesh.errors import HotMeshError, LeaseLostError, SerializationError
from hotmesh.store.protocol import (
    ENGINE_TOPIC,
    AppKey,
    Lease,
    Outgoing,
    Store,
    StreamMessage,
)

logger = logging.getLogger(__name__)

WorkerResult = dict[str, Any] | None
WorkerCallback = Callable[[dict[str, Any]], WorkerResult | Awaitable[WorkerResult]]

MAX_POLICY_RETRIES = 3


def _error_data(output: dict[str, Any], code: int) -> dict[str, Any]:
    raw = output.get("data")
    data = raw if isinstance(raw, dict) else {}
    normalised: dict[str, Any] = {
        "message": str(data.get("message") or "unknown"),
        "code": code,
    }
    if data.get("stack"):
        normalised["stack"] = str(data["stack"])
    if isinstance(data.get("error"), dict):
        normalised["error"] = data["error"]
    return normalised


def _code_of(output: dict[str, Any], default: int) -> int:
    raw = output.get("code")
    if raw is None and isinstance(output.get("data"), dict):
        raw = output["data"].get("code")
    try:
        return int(raw) if raw is not None else default
    except (TypeError, ValueError):
        return 500


class WorkerHandler:
    """Turns worker-stream requests into callback calls and responses."""

    def __init__(
        self,
        store: Store,
        app: AppKey,
        topic: str,
        callback: WorkerCallback,
        *,
        heartbeat_ms: int | None = None,
    ) -> None:
        self.store = store
        self.app = app
        self.topic = topic
        self.callback = callback
        self.heartbeat_ms = heartbeat_ms
        """Interval of lease extensions while a callback runs; None for none."""

    async def __call__(self, item: StreamMessage) -> None:
        try:
            request = Message.from_json(item.payload)
        except MalformedMessageError as exc:
            logger.error("dropping malformed message on %r: %s", self.topic, exc)
            await self._ack(item.lease, [])
            return
        output = await self._invoke_keeping_lease(request, item.lease)
        if output is None:
            logger.warning(
                "worker callback for %r returned None for job %r: the job waits "
                "until a response for it arrives through HotMesh.add()",
                self.topic,
                request.job_id,
            )
            await self._ack(item.lease, [])
            return
        retry = self._retry(request, output)
        if retry is not None:
            delay_s, message = retry
            await asyncio.sleep(delay_s)
            await self._ack(item.lease, [Outgoing(self.topic, message.to_json())])
            return
        await self._ack(
            item.lease, [Outgoing(ENGINE_TOPIC, self._response(request, output))]
        )

    async def _invoke_keeping_lease(
        self, request: Message, lease: Lease
    ) -> dict[str, Any] | None:
        """Run the callback, extending the message's lease while it runs.

        Without the extensions another worker would reclaim a message whose
        callback runs longer than the reclaim delay, and run it again. A
        callback that blocks the event loop also blocks the extensions.
        """
        if not self.heartbeat_ms:
            return await self._invoke(request)
        beat = asyncio.create_task(self._extend_while_running(lease))
        try:
            return await self._invoke(request)
        finally:
            beat.cancel()
            await asyncio.gather(beat, return_exceptions=True)

    async def _extend_while_running(self, lease: Lease) -> None:
        assert self.heartbeat_ms
        while True:
            await asyncio.sleep(self.heartbeat_ms / 1000)
            try:
                if not await self.store.extend_lease(self.app, lease):
                    logger.info(
                        "message %s on %r was taken over while its callback ran",
                        lease.message_id,
                        self.topic,
                    )
                    return
            except HotMeshError as exc:
                logger.warning(
                    "could not extend the lease of message %s on %r: %s",
                    lease.message_id,
                    self.topic,
                    exc,
                )

    async def _invoke(self, request: Message) -> dict[str, Any] | None:
        payload = {"metadata": dict(request.metadata), "data": dict(request.data)}
        try:
            if inspect.iscoroutinefunction(self.callback):
                result = await self.callback(payload)
            else:
                result = await asyncio.to_thread(self.callback, payload)
                if inspect.isawaitable(result):
                    result = await result
        except Exception as exc:
            logger.warning("worker callback for %r raised %r", self.topic, exc)
            return {
                "status": "error",
                "code": 500,
                "data": {
                    "message": str(exc),
                    "stack": "".join(traceback.format_exception(exc)),
                    "name": type(exc).__name__,
                },
            }
        if result is None:
            return None
        if not isinstance(result, dict):
            message = (
                f"worker callback for {self.topic!r} returned {type(result).__name__}; "
                "expected a dict like {'data': {...}}"
            )
            return {"status": "error", "code": 500, "data": {"message": message}}
        return result

    def _retry(
        self, request: Message, output: dict[str, Any]
    ) -> tuple[float, Message] | None:
        if output.get("status") != "error" or not request.policies:
            return None
        code = _code_of(output, 500)
        policy = (request.policies.get("retry") or {}).get(str(code))
        tries = min(int(request.metadata.get("try") or 0), MAX_POLICY_RETRIES)
        if not isinstance(policy, list) or not policy or int(policy[0]) <= tries:
            return None
        again = Message(
            "request",
            metadata={**request.metadata, "try": tries + 1},
            data=request.data,
            policies=request.policies,
        )
        return 10 ** (tries + 1) / 1000, again

    def _response(self, request: Message, output: dict[str, Any]) -> str:
        metadata = {**request.metadata, "guid": new_guid()}
        status: Status = output.get("status") or "success"
        if status == "error":
            code = _code_of(output, 500)
            data = _error_data(output, code)
        else:
            code = _code_of(output, 200)
            raw = output.get("data")
            data = (
                raw
                if isinstance(raw, dict)
                else {"value": raw}
                if raw is not None
                else {}
            )
        if status not in ("success", "pending", "error"):
            status, code = "error", 500
            data = {
                "message": f"worker returned unknown status {output.get('status')!r}"
            }
        response = Message(
            "response", metadata=metadata, data=data, status=status, code=code
        )
        try:
            return response.to_json()
        except SerializationError as exc:
            failure = Message(
                "response",
                metadata=metadata,
                data={
                    "message": (
                        f"worker result for {self.topic!r} is not serialisable: {exc}"
                    )
                },
                status="error",
                code=500,
            )
            return failure.to_json()

    async def _ack(self, lease: Lease, messages: list[Outgoing]) -> None:
        try:
            await self.store.ack(self.app, lease, messages)
        except LeaseLostError:
            logger.info(
                "dropping late result for message %s on %r: lease lost",
                lease.message_id,
                self.topic,
            )

    async def handle_dead_letter(self, item: StreamMessage) -> None:
        """Respond with error 999 to a request past its delivery ceiling."""
        try:
            request = Message.from_json(item.payload)
        except MalformedMessageError:
            return
        response = Message(
            "response",
            metadata={**request.metadata, "guid": new_guid()},
            data={"message": "stream message max delivery count exceeded", "code": 999},
            status="error",
            code=999,
        )
        await self.store.add_message(
            self.app, Outgoing(ENGINE_TOPIC, response.to_json())
        )
