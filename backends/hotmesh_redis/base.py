"""Connections, scripts and helpers that every group of store verbs uses.

:class:`RespBase` owns the clients and the server facts; the verb groups
(``jobs``, ``streams``, ``timers``, ``coordination``) derive from it, and
:class:`~hotmesh_redis.store.RespStore` combines them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

from hotmesh import errors
from hotmesh.store.backend import ConnectionSettings
from hotmesh.store.protocol import CAP_CLUSTER, AppKey, ServerInfo
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
from hotmesh_redis.keys import AppKeys
from hotmesh_redis.multiplex import Multiplexer, multiplexer_for
from hotmesh_redis.pubsub import PubSubHub
from hotmesh_redis.replies import channel_suffix, cluster_size, text
from hotmesh_redis.scripting import ScriptArg, ScriptRunner

logger = logging.getLogger(__name__)

SCRIPT_NAMES = (
    "ack",
    "acquire_role",
    "activate_app_version",
    "cancel_timer",
    "close_index",
    "commit_step",
    "create_job",
    "extend_lease",
    "fire_due_timers",
    "own_pending",
    "reclaim",
    "release_role",
    "save_app_version",
    "schedule_timers",
)

_SCAN_BATCH = 1000

ClientRole = Literal["commands", "blocking", "pubsub"]
"""The three connections of a store: blocking stream reads and pub/sub each
get their own, so they never hold a connection that commands need."""

_P = ParamSpec("_P")
_R = TypeVar("_R")
_S = TypeVar("_S", bound="RespBase")


def translated(
    method: Callable[Concatenate[_S, _P], Coroutine[Any, Any, _R]],
) -> Callable[Concatenate[_S, _P], Coroutine[Any, Any, _R]]:
    """Re-raise client library exceptions as :mod:`hotmesh.errors`."""

    @functools.wraps(method)
    async def wrapper(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return await method(self, *args, **kwargs)
        except Exception as exc:
            error = translate(exc, self.flavor.errors, self.settings)
            if error is None or error is exc:
                raise
            raise error from exc

    return wrapper


class RespBase:
    """Connections and helpers shared by the verbs of a Redis-family store.

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
        self._owns_supplied = False
        """Whether :meth:`close` closes ``settings.client`` (true in a clone of
        a store on a supplied client)."""
        self._mux: Multiplexer | None = None
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

    @translated
    async def connect(self) -> None:
        if self._client is not None:
            return
        self._open_clients()
        try:
            await self._first_ping()
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

    async def _first_ping(self) -> None:
        timeout = self.options.connect_timeout
        try:
            await asyncio.wait_for(self.client.ping(), timeout)
        except TimeoutError:
            raise errors.ConnectionFailedError(
                f"{self.settings.safe_url} accepted the connection but did not "
                f"answer PING within {timeout}s; is it a Redis-protocol server "
                "(and does the URL scheme match its TLS setting)?"
            ) from None

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
        if self._owns_supplied:
            self._owned.append(supplied)
        # Scripts carry every engine step, so on a plain connection that this
        # store opens from its URL they share one multiplexed socket. A
        # subclass that reaches its server another way keeps its clients.
        self._mux = None
        from_url = type(self).new_client is RespBase.new_client
        if supplied is None and not self._cluster and from_url:
            self._mux = multiplexer_for(
                self.settings,
                self.flavor.errors,
                client_name=self.options.client_name,
                connect_timeout=self.options.connect_timeout,
                reply_timeout=self.options.socket_timeout,
            )
        self._scripts = ScriptRunner(
            self._client,
            self.flavor.errors.no_script,
            self.flavor.script_rules.header,
            execute=self._mux.execute if self._mux is not None else None,
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
        size = cluster_size(info)
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
        mux, self._mux = self._mux, None
        if mux is not None:
            await mux.close()
        if self._client is not None:
            logger.debug("closed the connections to %s", self.settings.safe_url)
        self._client = self._blocking = self._scripts = None

    @translated
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

    async def _pubsub_hub(self) -> PubSubHub:
        if self._hub is not None:
            return self._hub
        if self.settings.client is not None and not self._cluster:
            client = self.settings.client
        else:
            client = self.new_client("pubsub")
            self._owned.append(client)
        self._hub = PubSubHub(client.pubsub(), channel_suffix)
        return self._hub
