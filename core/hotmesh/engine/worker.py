"""Workers: run a user callback for each message of a topic."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from hotmesh.engine.leases import LeaseKeeper
from hotmesh.engine.messages import MalformedMessageError, Message, Status, new_guid
from hotmesh.engine.router import Router
from hotmesh.errors import (
    ConnectionFailedError,
    LeaseLostError,
    PayloadTooLargeError,
    SerializationError,
)
from hotmesh.store.protocol import (
    ENGINE_TOPIC,
    AppKey,
    Claim,
    Lease,
    Outgoing,
    Store,
    StreamMessage,
    describe_topic,
)

logger = logging.getLogger(__name__)

ACK_RETRY_SECONDS = 30.0
"""How long a worker tries to send its output while the server is
unreachable, before it leaves the request to a reclaim."""

ACK_RETRY_DELAY_SECONDS = 0.5

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
        leases: LeaseKeeper | None = None,
        engine: Router | None = None,
    ) -> None:
        self.store = store
        self.app = app
        self.topic = topic
        self.callback = callback
        self.leases = leases
        """Extends the lease of each request until it is acknowledged; None
        for no extensions."""
        self.engine = engine
        """The router of an engine in this process on the same store, which
        takes this worker's responses at once; None to leave them to the
        engine stream's readers."""

    async def __call__(self, item: StreamMessage) -> None:
        if self.leases is None:
            await self._handle(item)
            return
        # Without the extensions another worker would reclaim a request
        # whose callback runs longer than its reclaim delay, and run it again.
        self.leases.hold(item.lease)
        try:
            await self._handle(item)
        finally:
            self.leases.release(item.lease)

    async def _handle(self, item: StreamMessage) -> None:
        try:
            request = Message.from_json(item.payload)
        except MalformedMessageError as exc:
            logger.error(
                "dropping malformed message on %s: %s", describe_topic(self.topic), exc
            )
            await self._ack(item.lease, [])
            return
        output = await self._invoke(request)
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
            await self._ack(
                item.lease, [Outgoing(self.topic, message.to_json())], request
            )
            return
        await self._ack(
            item.lease,
            [Outgoing(ENGINE_TOPIC, self._response(request, output))],
            request,
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
            return self._failure(
                request, f"worker result for {self.topic!r} is not serialisable: {exc}"
            )

    def _failure(self, request: Message, text: str) -> str:
        """Return an error response (code 500) to ``request``."""
        failure = Message(
            "response",
            metadata={**request.metadata, "guid": new_guid()},
            data={"message": text, "code": 500},
            status="error",
            code=500,
        )
        return failure.to_json()

    async def _ack_once(
        self, lease: Lease, messages: list[Outgoing], claim: Claim | None
    ) -> Sequence[StreamMessage]:
        """Acknowledge a request, trying again while the server is unreachable.

        The callback's output is kept meanwhile, so the callback does not run
        again. After ``ACK_RETRY_SECONDS`` the error is raised and the request
        is left to a reclaim.
        """
        deadline = time.monotonic() + ACK_RETRY_SECONDS
        attempt = 0
        while True:
            try:
                return await self.store.ack(self.app, lease, messages, claim)
            except ConnectionFailedError as exc:
                if claim is not None and self.engine is not None:
                    self.engine.reply_lost()
                if time.monotonic() >= deadline:
                    raise
                attempt += 1
                # One warning a message: retries through an outage repeat it.
                level = logging.WARNING if attempt == 1 else logging.DEBUG
                logger.log(
                    level,
                    "acknowledging message %s on %s failed (%s); retrying",
                    lease.message_id,
                    describe_topic(self.topic),
                    exc,
                )
                await asyncio.sleep(ACK_RETRY_DELAY_SECONDS)

    async def _ack(
        self, lease: Lease, messages: list[Outgoing], request: Message | None = None
    ) -> None:
        """Acknowledge a request and append ``messages``, atomically.

        When a message is over the store's payload limit, the request is
        acknowledged with an error response naming the limit instead, so
        its job fails once rather than the request being delivered again
        until it is dead-lettered.
        """
        engine = self.engine
        claim = engine.claim() if engine is not None and messages else None
        try:
            claimed = await self._ack_once(lease, messages, claim)
        except LeaseLostError:
            logger.info(
                "dropping late result for message %s on %s: lease lost",
                lease.message_id,
                describe_topic(self.topic),
            )
        except PayloadTooLargeError as exc:
            if request is None:
                raise
            logger.error(
                "worker for %r could not send its output for job %r: %s",
                self.topic,
                request.job_id,
                exc,
            )
            text = f"the output of worker {self.topic!r} was not sent: {exc}"
            await self._ack(
                lease, [Outgoing(ENGINE_TOPIC, self._failure(request, text))]
            )
        else:
            if claimed and engine is not None:
                engine.process_claimed(claimed)

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
