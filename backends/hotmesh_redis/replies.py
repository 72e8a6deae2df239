"""Decoding of server replies, shared by the groups of store verbs."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from hotmesh import errors
from hotmesh.store.protocol import Claim, Lease, StreamMessage

logger = logging.getLogger(__name__)

MESSAGE_FIELD = b"m"
"""The one field of every stream entry; its value is the payload."""


def text(value: bytes | str) -> str:
    """Decode a reply value; clients built with ``decode_responses`` give str."""
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.SerializationError(
            "the store contains a value that is not valid UTF-8, so another "
            f"program wrote it: {exc.reason}"
        ) from None


def message_payload(entry: Any, lease: Lease) -> str:
    value = None
    if entry:
        value = entry.get(MESSAGE_FIELD, entry.get("m"))
    if value is None:
        logger.warning(
            "message %s of topic %r has no %r field; passing an empty payload",
            lease.message_id,
            lease.topic,
            MESSAGE_FIELD.decode(),
        )
        return ""
    return text(value)


def claimed_messages(entries: Sequence[Any], claim: Claim) -> list[StreamMessage]:
    """Return the stream entries a script took for ``claim``, leased to its
    consumer. Each entry is ``[id, [field, value, ...]]``."""
    messages = []
    for message_id, flat in entries:
        lease = Lease(claim.topic, claim.group, text(message_id), claim.consumer, 1)
        entry = dict(zip(flat[::2], flat[1::2], strict=True))
        messages.append(StreamMessage(lease, message_payload(entry, lease)))
    return messages


def timer_topic(encoded: bytes) -> bytes:
    length, _, rest = encoded.partition(b":")
    return rest[: int(length)]


def channel_suffix(channel: str) -> str:
    # Channels are "<namespace>:{<app_id>}:q:<suffix>"; braces are not
    # allowed in the namespace or app id, so the first "}:q:" ends the prefix.
    marker = "}:q:"
    position = channel.find(marker)
    return channel[position + len(marker) :] if position >= 0 else channel


def cluster_size(info: Any) -> int:
    raw = info.decode() if isinstance(info, bytes) else info
    if isinstance(raw, dict):
        return int(raw.get("cluster_size", 0))
    for line in str(raw).splitlines():
        if line.startswith("cluster_size:"):
            return int(line.split(":", 1)[1])
    return 0


def lease_lost(lease: Lease | None) -> errors.LeaseLostError:
    if lease is None:
        return errors.LeaseLostError("the step's lease was lost; nothing was written")
    return errors.LeaseLostError(
        f"consumer {lease.consumer!r} lost its lease on message {lease.message_id} "
        f"of topic {lease.topic!r} (delivery {lease.delivery}) because the message "
        "was reclaimed or acknowledged since; nothing was written"
    )
