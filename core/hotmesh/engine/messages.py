"""Stream messages exchanged by engines and workers.

Every message is a JSON object with a ``type``, ``metadata`` addressing a job
and activity, a ``data`` payload and, for responses, a ``status`` and
``code``. The engine stream carries every type but ``request``; a worker
stream carries only ``request`` messages.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from hotmesh.errors import SerializationError

MessageType = Literal[
    "transition",  # leg 1 of an activity, sent by its parent
    "request",  # worker activity to worker callback
    "response",  # worker callback back to its activity (leg 2)
    "await",  # start a child job for an await activity
    "result",  # child job back to the parent's await activity (leg 2)
    "webhook",  # external hook resuming a paused hook activity (leg 2)
    "timehook",  # sleeping hook waking up (leg 2)
    "cycle",  # cycle activity re-entering its ancestor (leg 2)
    "finish",  # a job reached status 0: run its completion tasks
    "emit",  # publish a job's interim state
    "hookall",  # resume every paused job listed in a stats index
]

Status = Literal["success", "pending", "error"]

_GUID_SIZE = 22


def new_guid() -> str:
    """Return a new random id: ``H`` followed by 22 URL-safe characters."""
    return f"H{secrets.token_urlsafe(17)[:_GUID_SIZE]}"


class MalformedMessageError(SerializationError):
    """A stream message is not valid JSON or lacks a required field."""


@dataclass
class Message:
    """One stream message."""

    type: MessageType
    metadata: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    status: Status = "success"
    code: int = 200
    policies: dict[str, Any] | None = None

    @property
    def guid(self) -> str:
        return str(self.metadata.get("guid", ""))

    @property
    def job_id(self) -> str:
        return str(self.metadata.get("jid", ""))

    @property
    def activity_id(self) -> str:
        return str(self.metadata.get("aid", ""))

    @property
    def dad(self) -> str:
        return str(self.metadata.get("dad", ""))

    def to_json(self) -> str:
        """Serialise the message; raise SerializationError when impossible."""
        body: dict[str, Any] = {
            "type": self.type,
            "metadata": self.metadata,
            "data": self.data,
        }
        if self.status != "success":
            body["status"] = self.status
        if self.code != 200:
            body["code"] = self.code
        if self.policies:
            body["policies"] = self.policies
        try:
            return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise SerializationError(
                f"message for job {self.job_id!r} cannot be serialised: {exc}"
            ) from exc

    @classmethod
    def from_json(cls, text: str) -> Message:
        """Parse a message; raise MalformedMessageError when it is invalid."""
        try:
            body = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise MalformedMessageError(f"message is not valid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise MalformedMessageError("message is not a JSON object")
        kind = body.get("type")
        metadata = body.get("metadata")
        data = body.get("data", {})
        if kind not in _TYPES:
            raise MalformedMessageError(f"message has an unknown type: {kind!r}")
        if not isinstance(metadata, dict):
            raise MalformedMessageError("message metadata is not an object")
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise MalformedMessageError("message data is not an object")
        status = body.get("status") or "success"
        if status not in ("success", "pending", "error"):
            raise MalformedMessageError(f"message has an unknown status: {status!r}")
        code = body.get("code", 200)
        try:
            code = int(code)
        except (TypeError, ValueError, OverflowError) as exc:
            raise MalformedMessageError(
                f"message code is not a number: {code!r}"
            ) from exc
        policies = body.get("policies")
        return cls(
            type=cast(MessageType, kind),
            metadata=metadata,
            data=data,
            status=cast(Status, status),
            code=code,
            policies=policies if isinstance(policies, dict) else None,
        )


_TYPES = frozenset(MessageType.__args__)  # type: ignore[attr-defined]
