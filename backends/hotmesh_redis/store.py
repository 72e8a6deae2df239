"""The store protocol on Redis, ValKey and Dragonfly: one implementation.

Every verb that writes more than one key runs one Lua script from
``scripts/``, so it applies completely or not at all in one round trip.
Values cross the wire as UTF-8 bytes and are decoded strictly, so any
Unicode text, NUL bytes included, comes back exactly as it was stored.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

from hotmesh import errors
from hotmesh.store.backend import ConnectionSettings
from hotmesh.store.protocol import (
    CAP_CLUSTER,
    AppKey,
    Lease,
    MessageCallback,
    NewJob,
    Outgoing,
    ReclaimResult,
    ServerInfo,
    Step,
    StepResult,
    StreamMessage,
    Subscription,
    Timer,
)
from hotmesh_redis import calls
from hotmesh_redis.connection import (
    StoreOptions,
    build_client,
    build_node_client,
    is_cluster,
    twin_client,
)
from hotmesh_redis.errors import translate
from hotmesh_redis.flavor import Flavor, ServerFacts
from hotmesh_redis.keys import ORIGIN_FIELD, AppKeys
from hotmesh_redis.pubsub import PubSubHub
from hotmesh_redis.scripting import ScriptArg, ScriptRunner

logger = logging.getLogger(__name__)

SCRIPT_NAMES = (
    "ack",
    "acquire_role",
    "activate_app_version",
    "cancel_timer",
    "commit_step",
    "create_job",
    "fire_due_timers",
    "reclaim",
    "release_role",
    "save_app_version",
    "schedule_timers",
)

MESSAGE_FIELD = b"m"
"""The one field of every stream entry; its value is the payload."""

_SCAN_BATCH = 1000
_DELETE_BATCH = 500

ClientRole = Literal["commands", "blocking", "pubsub"]
"""The three connections of a store: blocking stream reads and pub/sub each
get their own, so they never hold a connection that commands need."""

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _translated(
    method: Callable[Concatenate[RespStore, _P], Coroutine[Any, Any, _R]],
) -> Callable[Concatenate[RespStore, _P], Coroutine[Any, Any, _R]]:
    """Re-raise client library exceptions as :mod:`hotmesh.errors`."""

    @functools.wraps(method)
    async def wrapper(self: RespStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return await method(self, *args, **kwargs)
        except Exception as exc:
            error = translate(exc, self.flavor.errors, self.settings)
            if error is None or error is exc:
                raise
            raise error from exc

    return wrapper


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


class RespStore:
    """A :class:`~hotmesh.store.protocol.Store` on a Redis-family server.

    ``flavor`` supplies what differs between servers and client libraries.
    ``settings.client``, when set, is used for commands instead of opening a
    connection from the URL; the caller keeps ownership of it.
    """

    def __init__(self, settings: ConnectionSettings, flavor: Flavor) -> None:
        self.settings = settings
        self.flavor = flavor
        self.options = StoreOptions.from_settings(settings)
        self._client: Any = None
        self._blocking: Any = None
        self._owned: list[Any] = []
        self._scripts: ScriptRunner | None = None
        self._hub: PubSubHub | None = None
        self._cluster = is_cluster(settings) or isinstance(
            settings.client, flavor.cluster_class
        )
        self._info = ServerInfo(
            name=flavor.name,
            version="",
            capabilities=frozenset(),
            url=settings.safe_url,
        )
        self._app_keys: dict[AppKey, AppKeys] = {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.settings.safe_url}>"

    # -- connection -----------------------------------------------------------

    @property
    def info(self) -> ServerInfo:
        """Server name, version and capabilities (valid after :meth:`connect`).

        Before :meth:`connect`, the version is empty and no capability is set.
        """
        return self._info

    @property
    def client(self) -> Any:
        """The client that runs commands."""
        if self._client is None:
            raise errors.StoreError(
                f"the store for {self.settings.safe_url} is not connected: "
                "await store.connect() first"
            )
        return self._client

    @property
    def max_payload_bytes(self) -> int | None:
        return self.options.max_payload_bytes

    @_translated
    async def connect(self) -> None:
        if self._client is not None:
            return
        self._open_clients()
        try:
            await self.client.ping()
            facts = await self.flavor.probe(self.run_on_node)
            await self._check_topology(facts)
            await self.scripts.preload(SCRIPT_NAMES)
        except BaseException:
            await self.close()
            raise
        capabilities = set(facts.capabilities)
        if self._cluster:
            capabilities.add(CAP_CLUSTER)
        self._info = ServerInfo(
            name=facts.name,
            version=facts.version,
            capabilities=frozenset(capabilities),
            url=self.settings.safe_url,
        )
        logger.info(
            "connected to %s (%s %s)", self.settings.safe_url, facts.name, facts.version
        )

    def _open_clients(self) -> None:
        supplied = self.settings.client
        if supplied is None:
            self._client = self.new_client("commands")
            self._blocking = self.new_client("blocking")
            self._owned = [self._client, self._blocking]
        elif self._cluster:
            # NOTE: a supplied cluster client also serves blocking reads,
            # sharing its per-node connection pools with commands.
            self._client = self._blocking = supplied
        else:
            self._client = supplied
            self._blocking = twin_client(supplied)
            self._owned = [self._blocking]
        self._scripts = ScriptRunner(
            self._client, self.flavor.errors.no_script, self.flavor.script_rules.header
        )

    def new_client(self, role: ClientRole) -> Any:
        """Create the client for one role from the URL (no I/O).

        Subclasses that reach their server differently override this.
        """
        if role == "pubsub" and self._cluster:
            # Classic pub/sub messages reach every node of a cluster, so
            # one plain connection to any node receives them all.
            node = self.client.get_default_node()
            return build_node_client(
                self.settings, self.flavor, self.options, node.host, int(node.port)
            )
        return build_client(
            self.settings,
            self.flavor,
            self.options,
            blocking=role != "commands",
            retries=role == "pubsub",
        )

    async def _check_topology(self, facts: ServerFacts) -> None:
        if not facts.cluster_enabled or self._cluster:
            return
        info = await self.run_on_node("CLUSTER", "INFO")
        size = _cluster_size(info)
        if size > 1:
            raise errors.ConfigurationError(
                f"{self.settings.safe_url} is a node of a cluster with {size} "
                "shards; use a '+cluster' URL scheme such as redis+cluster://"
            )

    @property
    def scripts(self) -> ScriptRunner:
        if self._scripts is None:
            raise errors.StoreError("the store is not connected")
        return self._scripts

    async def run_on_node(self, *command: Any) -> Any:
        """Run a raw command on one server (the default node of a cluster)."""
        try:
            if self._cluster:
                node = self.client.get_default_node()
                return await self.client.execute_command(*command, target_nodes=node)
            return await self.client.execute_command(*command)
        except Exception as exc:
            error = translate(exc, self.flavor.errors, self.settings)
            if error is None or error is exc:
                raise
            raise error from exc

    async def close(self) -> None:
        if self._hub is not None:
            hub, self._hub = self._hub, None
            await hub.close()
        owned, self._owned = self._owned, []
        for client in owned:
            await client.aclose()
        self._client = self._blocking = self._scripts = None

    @_translated
    async def ping(self) -> None:
        await self.client.ping()

    # -- helpers --------------------------------------------------------------

    def keys(self, app: AppKey) -> AppKeys:
        keys = self._app_keys.get(app)
        if keys is None:
            keys = self._app_keys[app] = AppKeys(app)
        return keys

    def encode(self, value: str, label: str) -> bytes:
        return calls.encode_text(value, label, self.options.max_payload_bytes)

    async def run_script(
        self, name: str, keys: Sequence[str], args: Sequence[ScriptArg]
    ) -> Any:
        return await self.scripts.run(name, keys, args)

    async def scan(
        self, keys: AppKeys, pattern: str, limit: int | None = None
    ) -> list[str]:
        """Return names of an app's keys that match a pattern."""
        found: list[str] = []
        cursor: Any = 0
        target: dict[str, Any] = {}
        if self._cluster:
            # Every key of the app is in the slot of its prefix.
            target["target_nodes"] = self.client.get_node_from_key(keys.prefix)
        while True:
            reply = await self.client.execute_command(
                "SCAN", cursor, "MATCH", pattern, "COUNT", _SCAN_BATCH, **target
            )
            cursor, names = reply
            if isinstance(cursor, dict):
                cursor = next(iter(cursor.values()))
            found.extend(text(name) for name in names)
            if int(cursor) == 0 or (limit is not None and len(found) >= limit):
                break
        return found[:limit] if limit is not None else found

    # -- apps -----------------------------------------------------------------

    @_translated
    async def save_app_version(
        self, app: AppKey, version: str, document: str, deployed_at: str
    ) -> None:
        keys = self.keys(app)
        args = (
            self.encode(document, f"document of version {version!r}"),
            f"versions/{version}",
            f"deployed:{deployed_at}",
        )
        await self.run_script(
            "save_app_version", (keys.version(version), keys.profile), args
        )

    @_translated
    async def load_app_version(self, app: AppKey, version: str) -> str | None:
        value = await self.client.get(self.keys(app).version(version))
        return None if value is None else text(value)

    @_translated
    async def activate_app_version(
        self, app: AppKey, version: str, activated_at: str
    ) -> None:
        keys = self.keys(app)
        args = (version, f"versions/{version}", f"activated:{activated_at}")
        done = await self.run_script(
            "activate_app_version", (keys.version(version), keys.profile), args
        )
        if not done:
            raise errors.DeploymentError(
                f"cannot activate version {version!r} of app {app.app_id!r}: "
                "it was never deployed"
            )

    @_translated
    async def load_app_profile(self, app: AppKey) -> dict[str, str]:
        profile = await self.client.hgetall(self.keys(app).profile)
        return {text(name): text(value) for name, value in profile.items()}

    # -- jobs -----------------------------------------------------------------

    @_translated
    async def create_job(self, app: AppKey, job: NewJob) -> StepResult:
        call = calls.create_job_call(self.keys(app), job, self.max_payload_bytes)
        reply = await self.run_script("create_job", call.keys, call.args)
        code = int(reply[0])
        if code == 1:
            raise _lease_lost(job.lease)
        if code == 5:
            raise errors.DuplicateJobError(
                f"job {job.job_id!r} already exists in app {app.app_id!r}",
                job_id=job.job_id,
            )
        return StepResult(applied=True, status=int(reply[1]))

    @_translated
    async def commit_step(self, app: AppKey, step: Step) -> StepResult:
        call = calls.commit_step_call(self.keys(app), step, self.max_payload_bytes)
        reply = await self.run_script("commit_step", call.keys, call.args)
        code = int(reply[0])
        if code == 1:
            raise _lease_lost(step.lease)
        if code == 2:
            return StepResult(
                applied=False, status=int(reply[1]), failed_guard=int(reply[2])
            )
        if code == 3:
            raise errors.StoreError(
                f"cannot increment field {text(reply[1])!r} of job {step.job_id!r}: "
                "it holds a value that is not an integer; nothing was written"
            )
        counters = tuple(int(value) for value in reply[2:])
        return StepResult(applied=True, status=int(reply[1]), counters=counters)

    @_translated
    async def read_job(self, app: AppKey, job_id: str) -> dict[str, str] | None:
        state = await self.client.hgetall(self.keys(app).job(job_id))
        if not state:
            return None
        fields = {text(name): text(value) for name, value in state.items()}
        fields.pop(ORIGIN_FIELD, None)
        return fields

    @_translated
    async def read_job_fields(
        self, app: AppKey, job_id: str, fields: Sequence[str]
    ) -> list[str | None]:
        if not fields:
            return []
        values = await self.client.hmget(self.keys(app).job(job_id), list(fields))
        return [None if value is None else text(value) for value in values]

    @_translated
    async def delete_job(self, app: AppKey, job_id: str) -> bool:
        return bool(await self.client.delete(self.keys(app).job(job_id)))

    @_translated
    async def job_ttl(self, app: AppKey, job_id: str) -> int | None:
        seconds = int(await self.client.ttl(self.keys(app).job(job_id)))
        return seconds if seconds >= 0 else None

    @_translated
    async def read_dependents(self, app: AppKey, job_id: str) -> list[str]:
        entries = await self.client.lrange(self.keys(app).dependents(job_id), 0, -1)
        return [text(entry) for entry in entries]

    @_translated
    async def find_jobs(
        self, app: AppKey, pattern: str = "*", limit: int = 1000
    ) -> list[str]:
        keys = self.keys(app)
        names = await self.scan(keys, keys.job_pattern(pattern), limit)
        return [keys.job_id_from_key(name) for name in names]

    # -- streams --------------------------------------------------------------

    @_translated
    async def ensure_group(self, app: AppKey, topic: str, group: str) -> None:
        key = self.keys(app).stream(topic)
        try:
            # Start at id 0, so messages added before the group existed are
            # delivered too.
            await self.client.xgroup_create(key, group, id="0", mkstream=True)
        except self.flavor.errors.base as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    @_translated
    async def add_message(self, app: AppKey, message: Outgoing) -> str:
        payload = self.encode(message.payload, f"message for topic {message.topic!r}")
        key = self.keys(app).stream(message.topic)
        message_id = await self.client.xadd(key, {MESSAGE_FIELD: payload})
        return text(message_id)

    @_translated
    async def read_messages(
        self,
        app: AppKey,
        topic: str,
        group: str,
        consumer: str,
        *,
        count: int,
        block_ms: int,
    ) -> list[StreamMessage]:
        key = self.keys(app).stream(topic)
        options: dict[str, int] = {"count": count}
        if block_ms > 0:  # BLOCK 0 would wait forever
            options["block"] = block_ms
        try:
            reply = await self._blocking.xreadgroup(
                group, consumer, {key: ">"}, **options
            )
        except self.flavor.errors.base as exc:
            if "NOGROUP" in str(exc):
                raise errors.StoreError(
                    f"topic {topic!r} of app {app.app_id!r} has no group {group!r}: "
                    "call ensure_group first"
                ) from None
            raise
        messages = []
        for _stream, entries in reply or []:
            for message_id, entry in entries:
                lease = Lease(topic, group, text(message_id), consumer, 1)
                messages.append(StreamMessage(lease, _payload(entry, lease)))
        return messages

    @_translated
    async def ack(
        self, app: AppKey, lease: Lease, messages: Sequence[Outgoing] = ()
    ) -> None:
        keys = self.keys(app)
        call = calls.ScriptCall(
            keys, [keys.stream(lease.topic)], self.max_payload_bytes
        )
        call.add_lease(lease)
        call.add_messages(messages)
        if not await self.run_script("ack", call.keys, call.args):
            raise _lease_lost(lease)

    @_translated
    async def reclaim(
        self,
        app: AppKey,
        topic: str,
        group: str,
        consumer: str,
        *,
        min_idle_ms: int,
        max_deliveries: int,
        count: int,
    ) -> ReclaimResult:
        keys = self.keys(app)
        script_keys = (keys.stream(topic), keys.dead_letters(topic))
        args = (group, consumer, min_idle_ms, max_deliveries, count)
        try:
            reply = await self.run_script("reclaim", script_keys, args)
        except self.flavor.errors.base as exc:
            if "NOGROUP" in str(exc):
                return ReclaimResult(claimed=[], dead=[])
            raise
        result = ReclaimResult(claimed=[], dead=[])
        for kind, message_id, owner, deliveries, payload in reply:
            lease = Lease(topic, group, text(message_id), text(owner), int(deliveries))
            message = StreamMessage(lease, text(payload))
            target = result.claimed if text(kind) == "claimed" else result.dead
            target.append(message)
        if result.dead:
            logger.warning(
                "dead-lettered %d messages of topic %r in app %r after %d deliveries",
                len(result.dead),
                topic,
                app.app_id,
                max_deliveries,
            )
        return result

    @_translated
    async def stream_depth(self, app: AppKey, topic: str) -> int:
        return int(await self.client.xlen(self.keys(app).stream(topic)))

    @_translated
    async def read_dead_letters(
        self, app: AppKey, topic: str, count: int = 100
    ) -> list[str]:
        key = self.keys(app).dead_letters(topic)
        entries = await self.client.xrange(key, "-", "+", count=count)
        return [text(entry.get(MESSAGE_FIELD, b"")) for _id, entry in entries]

    # -- timers ---------------------------------------------------------------

    @_translated
    async def schedule_timers(self, app: AppKey, timers: Sequence[Timer]) -> None:
        if not timers:
            return
        keys = self.keys(app)
        call = calls.ScriptCall(
            keys, [keys.timers, keys.timer_payloads], self.max_payload_bytes
        )
        call.add_timers(timers)
        await self.run_script("schedule_timers", call.keys, call.args)

    @_translated
    async def cancel_timer(self, app: AppKey, timer_id: str) -> bool:
        keys = self.keys(app)
        removed = await self.run_script(
            "cancel_timer", (keys.timers, keys.timer_payloads), (timer_id,)
        )
        return bool(removed)

    @_translated
    async def fire_due_timers(self, app: AppKey, now_ms: int, limit: int) -> int:
        keys = self.keys(app)
        due = await self.client.zrangebyscore(
            keys.timers, "-inf", now_ms, start=0, num=limit
        )
        if not due:
            return 0
        encoded = await self.client.hmget(keys.timer_payloads, due)
        call = calls.ScriptCall(keys, [keys.timers, keys.timer_payloads], None)
        call.add(now_ms)
        topics = {_timer_topic(value) for value in encoded if value is not None}
        call.add(len(topics))
        for topic in topics:
            call.add(topic, call.key_ref(keys.stream(text(topic))))
        call.add(*due)
        return int(await self.run_script("fire_due_timers", call.keys, call.args))

    @_translated
    async def next_timer_due(self, app: AppKey) -> int | None:
        first = await self.client.zrange(self.keys(app).timers, 0, 0, withscores=True)
        return int(first[0][1]) if first else None

    # -- signals --------------------------------------------------------------

    @_translated
    async def get_signal(self, app: AppKey, key: str) -> str | None:
        value = await self.client.hget(self.keys(app).signals, key)
        return None if value is None else text(value)

    @_translated
    async def delete_signal(self, app: AppKey, key: str) -> bool:
        return bool(await self.client.hdel(self.keys(app).signals, key))

    # -- coordination ---------------------------------------------------------

    @_translated
    async def acquire_role(
        self, app: AppKey, role: str, holder: str, ttl_ms: int
    ) -> bool:
        key = self.keys(app).role(role)
        return bool(await self.run_script("acquire_role", (key,), (holder, ttl_ms)))

    @_translated
    async def release_role(self, app: AppKey, role: str, holder: str) -> None:
        await self.run_script("release_role", (self.keys(app).role(role),), (holder,))

    @_translated
    async def set_throttle(self, app: AppKey, scope: str, delay_ms: int) -> None:
        await self.client.hset(self.keys(app).throttles, scope, int(delay_ms))

    @_translated
    async def get_throttles(self, app: AppKey) -> dict[str, int]:
        rates = await self.client.hgetall(self.keys(app).throttles)
        return {text(scope): int(delay) for scope, delay in rates.items()}

    @_translated
    async def clear_throttles(self, app: AppKey) -> None:
        await self.client.delete(self.keys(app).throttles)

    @_translated
    async def publish(self, app: AppKey, channel: str, message: str) -> int:
        data = self.encode(message, f"message for channel {channel!r}")
        # The valkey package's cluster client has no publish(): send the raw
        # command, which any node of a cluster relays to every other node.
        receivers = await self.run_on_node(
            "PUBLISH", self.keys(app).channel(channel), data
        )
        return int(receivers)

    @_translated
    async def subscribe(
        self, app: AppKey, channel: str, callback: MessageCallback
    ) -> Subscription:
        hub = await self._pubsub_hub()
        return await hub.add("channel", self.keys(app).channel(channel), callback)

    @_translated
    async def psubscribe(
        self, app: AppKey, pattern: str, callback: MessageCallback
    ) -> Subscription:
        keys = self.keys(app)
        hub = await self._pubsub_hub()
        return await hub.add("pattern", keys.channel_pattern(pattern), callback)

    async def _pubsub_hub(self) -> PubSubHub:
        if self._hub is not None:
            return self._hub
        if self.settings.client is not None and not self._cluster:
            client = self.settings.client
        else:
            client = self.new_client("pubsub")
            self._owned.append(client)
        self._hub = PubSubHub(client.pubsub(), _channel_suffix)
        return self._hub

    # -- key-value entries ----------------------------------------------------

    @_translated
    async def kv_get(self, app: AppKey, key: str) -> str | None:
        value = await self.client.get(self.keys(app).kv(key))
        return None if value is None else text(value)

    @_translated
    async def kv_set(
        self, app: AppKey, key: str, value: str, ttl_ms: int | None = None
    ) -> None:
        data = self.encode(value, f"value of entry {key!r}")
        await self.client.set(self.keys(app).kv(key), data, px=ttl_ms)

    @_translated
    async def kv_delete(self, app: AppKey, key: str) -> bool:
        return bool(await self.client.delete(self.keys(app).kv(key)))

    # -- inspection, for tests ------------------------------------------------

    @_translated
    async def list_app_keys(self, app: AppKey) -> list[str]:
        """Return the names of every key of an app that exists."""
        keys = self.keys(app)
        return await self.scan(keys, keys.all_keys_pattern)

    async def job_owned_keys(self, app: AppKey, job_id: str) -> list[str]:
        """Return the names of the keys holding a job's state."""
        keys = self.keys(app)
        return [keys.job(job_id), keys.dependents(job_id)]

    @_translated
    async def key_ttl_ms(self, key: str) -> int | None:
        """Return the milliseconds until a key expires, or None if it does not."""
        milliseconds = int(await self.client.pttl(key))
        return milliseconds if milliseconds >= 0 else None

    @_translated
    async def purge_app(self, app: AppKey) -> int:
        """Delete every key of an app. Return how many were deleted."""
        names = await self.list_app_keys(app)
        deleted = 0
        for start in range(0, len(names), _DELETE_BATCH):
            deleted += int(
                await self.client.delete(*names[start : start + _DELETE_BATCH])
            )
        return deleted

    @_translated
    async def flush_scripts(self) -> None:
        """Empty the server's script cache (``SCRIPT FLUSH``).

        Raises ``UnsupportedOperationError`` when the server rejects the
        command.
        """
        try:
            await self.client.script_flush()
        except self.flavor.errors.base as exc:
            if isinstance(exc, self.flavor.errors.connection):
                raise
            raise errors.UnsupportedOperationError(
                f"{self._info.name} rejected SCRIPT FLUSH: {exc}"
            ) from exc


def _payload(entry: Any, lease: Lease) -> str:
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


def _timer_topic(encoded: bytes) -> bytes:
    length, _, rest = encoded.partition(b":")
    return rest[: int(length)]


def _channel_suffix(channel: str) -> str:
    # Channels are "<namespace>:{<app_id>}:q:<suffix>"; braces are not
    # allowed in the namespace or app id, so the first "}:q:" ends the prefix.
    marker = "}:q:"
    position = channel.find(marker)
    return channel[position + len(marker) :] if position >= 0 else channel


def _cluster_size(info: Any) -> int:
    raw = info.decode() if isinstance(info, bytes) else info
    if isinstance(raw, dict):
        return int(raw.get("cluster_size", 0))
    for line in str(raw).splitlines():
        if line.startswith("cluster_size:"):
            return int(line.split(":", 1)[1])
    return 0


def _lease_lost(lease: Lease | None) -> errors.LeaseLostError:
    if lease is None:
        return errors.LeaseLostError("the step's lease was lost; nothing was written")
    return errors.LeaseLostError(
        f"consumer {lease.consumer!r} lost its lease on message {lease.message_id} "
        f"of topic {lease.topic!r} (delivery {lease.delivery}) because the message "
        "was reclaimed or acknowledged since; nothing was written"
    )
