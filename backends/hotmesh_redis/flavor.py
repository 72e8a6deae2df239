"""What differs between the servers and client libraries of the Redis family.

:class:`~hotmesh_redis.store.RespStore` contains everything they share; a
:class:`Flavor` supplies the few hooks that differ: the client library,
the script rules and the capability probe.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from hotmesh.errors import AuthenticationError, ConnectionFailedError, StoreError
from hotmesh.store.protocol import CAP_PERSISTENCE, CAP_SCRIPTS, CAP_SEARCH
from hotmesh_redis.errors import ClientErrors

CommandRunner = Callable[..., Awaitable[Any]]
"""Sends one raw command to the server (one node, on a cluster).

Raises :class:`~hotmesh.errors.StoreError` when the server rejects the
command, and its subclasses for connection and authentication failures.
"""

_SEARCH_MODULES = frozenset({"search", "ft", "searchlight"})


@dataclass(frozen=True)
class ServerFacts:
    """Server name, version and capabilities found by a probe."""

    name: str
    version: str
    capabilities: frozenset[str]
    cluster_enabled: bool = False


Probe = Callable[[CommandRunner], Awaitable[ServerFacts]]


@dataclass(frozen=True)
class ScriptRules:
    """Rules for the Lua scripts a server runs.

    Every script declares all the keys it touches in KEYS, which Redis
    Cluster and Dragonfly both require, so no built-in server needs a
    flag such as Dragonfly's ``allow-undeclared-keys``.
    """

    header: str = ""
    """Line put before every script, for servers that read flags from it
    (Dragonfly reads ``--!df flags=...``); empty for the built-in servers."""


@dataclass(frozen=True)
class Flavor:
    """The hooks that differ between Redis, ValKey, Dragonfly and test doubles."""

    name: str
    """Server name reported when the probe cannot tell."""
    client_module: ModuleType
    """``redis.asyncio`` or ``valkey.asyncio``."""
    client_class: Any
    cluster_class: Any
    errors: ClientErrors
    no_retry: Callable[[], Any]
    """Returns the client library's retry policy that never retries."""
    script_rules: ScriptRules = field(default_factory=ScriptRules)
    probe: Probe = field(default=lambda run: probe_server(run))


def redis_flavor(
    name: str = "redis", script_rules: ScriptRules | None = None
) -> Flavor:
    """Return the flavor that talks through the ``redis`` package."""
    import redis.asyncio
    import redis.asyncio.retry
    import redis.backoff
    import redis.exceptions

    def no_retry() -> Any:
        return redis.asyncio.retry.Retry(redis.backoff.NoBackoff(), 0)

    return Flavor(
        name=name,
        client_module=redis.asyncio,
        client_class=redis.asyncio.Redis,
        cluster_class=redis.asyncio.RedisCluster,
        errors=ClientErrors.from_module(redis.exceptions, "Redis"),
        no_retry=no_retry,
        script_rules=script_rules or ScriptRules(),
    )


async def probe_server(run: CommandRunner) -> ServerFacts:
    """Read the server's name, version and capabilities."""
    server = parse_info(await run("INFO", "server"))
    cluster = parse_info(await run("INFO", "cluster"))
    capabilities = {CAP_SCRIPTS}
    if await _has_search(run):
        capabilities.add(CAP_SEARCH)
    if await _has_persistence(run):
        capabilities.add(CAP_PERSISTENCE)
    name, version = server_identity(server)
    return ServerFacts(
        name=name,
        version=version,
        capabilities=frozenset(capabilities),
        cluster_enabled=cluster.get("cluster_enabled") == "1",
    )


def server_identity(info: Mapping[str, str]) -> tuple[str, str]:
    """Return the server's product name and version from ``INFO server``."""
    if "dragonfly_version" in info:
        return "dragonfly", info["dragonfly_version"]
    if "valkey_version" in info:
        return "valkey", info["valkey_version"]
    return info.get("server_name", "redis"), info.get("redis_version", "")


def parse_info(reply: Any) -> dict[str, str]:
    """Turn an INFO reply (parsed by the client, or raw text) into strings."""
    if isinstance(reply, Mapping):
        return {str(key): str(value) for key, value in reply.items()}
    text = reply.decode() if isinstance(reply, bytes) else str(reply)
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {key: value.strip() for key, value in pairs}


async def _has_search(run: CommandRunner) -> bool:
    modules = await _try(run, "MODULE", "LIST")
    for module in modules or []:
        if _module_name(module) in _SEARCH_MODULES:
            return True
    # Dragonfly has search built in and no MODULE LIST entry for it.
    return await _try(run, "FT._LIST") is not None


def _module_name(module: Any) -> str:
    if isinstance(module, Mapping):
        raw = module.get(b"name", module.get("name", b""))
    else:
        items = list(module)
        raw = b""
        for key, value in zip(items[::2], items[1::2], strict=False):
            if key in (b"name", "name"):
                raw = value
    return raw.decode() if isinstance(raw, bytes) else str(raw)


async def _has_persistence(run: CommandRunner) -> bool:
    # CONFIG is often disabled on managed servers: persistence is then
    # not claimed.
    appendonly = await _try(run, "CONFIG", "GET", "appendonly")
    save = await _try(run, "CONFIG", "GET", "save")
    if appendonly is not None and _config_value(appendonly, "appendonly") == "yes":
        return True
    return save is not None and bool(_config_value(save, "save").strip())


async def _try(run: CommandRunner, *command: str) -> Any:
    """Run a command; return None when the server rejects it."""
    try:
        return await run(*command)
    except (ConnectionFailedError, AuthenticationError):
        raise
    except StoreError:
        return None


def _config_value(reply: Any, name: str) -> str:
    if isinstance(reply, Mapping):
        raw = reply.get(name, reply.get(name.encode(), ""))
    else:
        items = list(reply or [])
        raw = items[1] if len(items) > 1 else ""
    return raw.decode() if isinstance(raw, bytes) else str(raw)
