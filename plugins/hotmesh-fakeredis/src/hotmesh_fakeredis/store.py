"""The Redis-family store of HotMesh, on an in-process fakeredis server."""

from __future__ import annotations

import importlib.util
import threading
from typing import Any
from urllib.parse import urlsplit

import fakeredis

from hotmesh.errors import MissingDependencyError
from hotmesh.store.backend import ConnectionSettings
from hotmesh.store.protocol import CAP_SCRIPTS
from hotmesh_redis.flavor import CommandRunner, Flavor, ServerFacts, redis_flavor
from hotmesh_redis.store import ClientRole, RespStore

DEFAULT_SERVER = "default"

_servers: dict[str, fakeredis.FakeServer] = {}
_servers_lock = threading.Lock()


def fake_server(name: str = DEFAULT_SERVER) -> fakeredis.FakeServer:
    """Return the in-process server with this name, created on first use."""
    with _servers_lock:
        server = _servers.get(name)
        if server is None:
            server = _servers[name] = fakeredis.FakeServer()
        return server


async def probe_fakeredis(run: CommandRunner) -> ServerFacts:
    """Describe the fake server, because fakeredis 2.41 has no INFO command."""
    await run("PING")
    return ServerFacts(
        name="fakeredis",
        version=fakeredis.__version__,
        capabilities=frozenset({CAP_SCRIPTS}),
    )


def fakeredis_flavor() -> Flavor:
    """Return the flavor for fakeredis: the redis client, a fake probe."""
    base = redis_flavor(name="fakeredis")
    return Flavor(
        name=base.name,
        client_module=base.client_module,
        client_class=fakeredis.FakeAsyncRedis,
        cluster_class=base.cluster_class,
        errors=base.errors,
        no_retry=base.no_retry,
        probe=probe_fakeredis,
    )


class FakeRedisStore(RespStore):
    """A store on the in-process server named by the URL's host.

    Every store opened with the same name in one process shares its data.
    """

    def __init__(self, settings: ConnectionSettings) -> None:
        _require_lua()
        super().__init__(settings, fakeredis_flavor())
        self.server_name = _server_name(settings)

    def new_client(self, role: ClientRole) -> Any:
        return fakeredis.FakeAsyncRedis(
            server=fake_server(self.server_name),
            max_connections=self.options.max_connections,
        )


def _server_name(settings: ConnectionSettings) -> str:
    # Read the URL itself, because the parsed host is lowercased and has no
    # port. A URL without a host, such as fakeredis://?option=1, names the
    # default server.
    location = urlsplit(settings.url).netloc.rsplit("@", 1)[-1]
    return location or DEFAULT_SERVER


def _require_lua() -> None:
    # fakeredis runs Lua scripts through lupa, an optional dependency of it.
    if importlib.util.find_spec("lupa") is None:
        raise MissingDependencyError(
            "the fakeredis backend runs Lua scripts through lupa: "
            "pip install 'fakeredis[lua]'"
        )
