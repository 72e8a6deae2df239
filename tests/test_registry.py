"""Plugin registry: discovery, scheme lookup and opening stores."""

from __future__ import annotations

import sys
import time
import types
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from typing import Any

import pytest
import redis.asyncio

from _servers import BackendServer, ServerFactory, free_port
from hotmesh import registry as registry_module
from hotmesh.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectionFailedError,
    HotMeshError,
    MissingDependencyError,
    UnknownBackendError,
)
from hotmesh.hookspecs import hookimpl
from hotmesh.registry import Registry, open_store
from hotmesh.store.backend import BackendSpec, ConnectionSettings
from hotmesh.store.protocol import CAP_CLUSTER, CAP_SEARCH, ServerInfo, Store

BUILT_IN_SCHEMES = [
    "redis",
    "rediss",
    "unix",
    "valkey",
    "valkeys",
    "dragonfly",
    "redis+cluster",
    "valkey+cluster",
]


class FakeStore:
    """The few Store members the registry touches."""

    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        self.connected = False
        self.closed = False
        self.info = ServerInfo("memory", "1.0", frozenset(), settings.url)

    async def connect(self) -> None:
        self.connected = True

    async def close(self) -> None:
        self.closed = True


def memory_spec(name: str = "memory", *schemes: str) -> BackendSpec:
    return BackendSpec(
        name=name,
        schemes=schemes or (name,),
        create=lambda settings: FakeStore(settings),  # type: ignore[arg-type,return-value]
        capabilities=frozenset({"scripts"}),
        description="in-memory test backend",
    )


def plugin_with(*specs: BackendSpec) -> object:
    class Plugin:
        @hookimpl
        def hotmesh_backends(self) -> list[BackendSpec]:
            return list(specs)

    return Plugin()


@pytest.fixture
def fake_modules() -> Iterator[dict[str, types.ModuleType]]:
    """Install throwaway plugin modules in sys.modules; removed afterwards."""
    installed: dict[str, types.ModuleType] = {}
    yield installed
    for name in installed:
        sys.modules.pop(name, None)


def add_module(
    modules: dict[str, types.ModuleType], name: str, *specs: BackendSpec
) -> None:
    module = types.ModuleType(name)

    @hookimpl
    def hotmesh_backends() -> list[BackendSpec]:
        return list(specs)

    module.hotmesh_backends = hotmesh_backends  # type: ignore[attr-defined]
    sys.modules[name] = module
    modules[name] = module


# -- lookup -----------------------------------------------------------------------


def test_scheme_finds_backend() -> None:
    registry = Registry.from_plugins({"mem": plugin_with(memory_spec())}, "demo 1.0")

    backend = registry.backend_for_scheme("memory")

    assert backend.name == "memory"
    assert backend.plugin == "mem"
    assert backend.distribution == "demo 1.0"
    assert backend.capabilities == frozenset({"scripts"})


def test_scheme_lookup_ignores_case_and_separator() -> None:
    registry = Registry.from_plugins({"mem": plugin_with(memory_spec())})

    assert registry.backend_for_scheme("MEMORY://").name == "memory"


def test_unknown_scheme_lists_installed() -> None:
    spec = memory_spec("memory", "memory", "mem+cluster")
    registry = Registry.from_plugins({"mem": plugin_with(spec)})

    with pytest.raises(UnknownBackendError) as caught:
        registry.backend_for_scheme("nosuch")

    message = str(caught.value)
    assert "'nosuch://'" in message
    assert "mem+cluster://, memory://" in message
    assert "Install a plugin" in message


def test_valkey_scheme_names_the_extra() -> None:
    registry = Registry.from_plugins({"mem": plugin_with(memory_spec())})

    for scheme in ("valkey", "valkeys", "valkey+cluster"):
        with pytest.raises(ConfigurationError) as caught:
            registry.backend_for_scheme(scheme)
        assert "pip install 'hotmesh[valkey]'" in str(caught.value)


def test_schemes_view_is_read_only() -> None:
    registry = Registry.from_plugins({"mem": plugin_with(memory_spec())})

    with pytest.raises(TypeError):
        registry.schemes["other"] = registry.schemes["memory"]  # type: ignore[index]


def test_second_claim_on_scheme_raises() -> None:
    first = plugin_with(memory_spec("memory", "memory"))
    second = plugin_with(memory_spec("shadow", "memory"))

    with pytest.raises(ConfigurationError) as caught:
        Registry.from_plugins({"first": first, "second": second})

    message = str(caught.value)
    assert "'memory' is claimed twice" in message
    assert "'first'" in message
    assert "'second'" in message


def test_second_claim_on_name_raises() -> None:
    first = plugin_with(memory_spec("memory", "one"))
    second = plugin_with(memory_spec("memory", "two"))

    with pytest.raises(ConfigurationError, match="backend name 'memory'"):
        Registry.from_plugins({"first": first, "second": second})


def test_hook_returning_wrong_type_raises() -> None:
    class Plugin:
        @hookimpl
        def hotmesh_backends(self) -> object:
            return "memory"

    with pytest.raises(ConfigurationError, match="expected a list of BackendSpec"):
        Registry.from_plugins({"bad": Plugin()})


def test_hook_that_raises_names_plugin() -> None:
    class Plugin:
        @hookimpl
        def hotmesh_backends(self) -> list[BackendSpec]:
            raise RuntimeError("driver exploded")

    with pytest.raises(ConfigurationError) as caught:
        Registry.from_plugins({"broken": Plugin()})

    assert "'broken'" in str(caught.value)
    assert "driver exploded" in str(caught.value)


def test_unknown_hook_fails_check_pending() -> None:
    class Plugin:
        @hookimpl
        def hotmesh_backend(self) -> list[BackendSpec]:  # misspelled hook
            return []

    with pytest.raises(ConfigurationError, match="does not define"):
        Registry.from_plugins({"typo": Plugin()})


def test_client_object_finds_backend() -> None:
    spec = BackendSpec(
        name="memory",
        schemes=("memory",),
        create=lambda settings: FakeStore(settings),  # type: ignore[arg-type,return-value]
        accepts_client=lambda client: isinstance(client, dict),
    )
    registry = Registry.from_plugins({"mem": plugin_with(spec)})

    assert registry.backend_for_client({}).name == "memory"
    with pytest.raises(UnknownBackendError, match=r"builtins\.list"):
        registry.backend_for_client([])


# -- entry points -----------------------------------------------------------------


def test_entry_points_load_and_record_failures(
    monkeypatch: pytest.MonkeyPatch, fake_modules: dict[str, types.ModuleType]
) -> None:
    add_module(fake_modules, "hotmesh_test_memory", memory_spec())
    points = [
        EntryPoint("memory", "hotmesh_test_memory", "hotmesh"),
        EntryPoint("broken", "hotmesh_test_no_such_module", "hotmesh"),
    ]
    monkeypatch.setattr(registry_module, "entry_points", lambda group: points)

    registry = Registry.from_entry_points()

    assert [b.name for b in registry.backends] == ["memory"]
    assert len(registry.failures) == 1
    assert registry.failures[0].plugin == "broken"
    assert registry.failures[0].missing_module == "hotmesh_test_no_such_module"
    with pytest.raises(UnknownBackendError) as caught:
        registry.backend_for_scheme("nosuch")
    assert "plugin 'broken' failed to load" in str(caught.value)


def test_entry_points_with_same_name_raise(
    monkeypatch: pytest.MonkeyPatch, fake_modules: dict[str, types.ModuleType]
) -> None:
    add_module(fake_modules, "hotmesh_test_one", memory_spec("one"))
    add_module(fake_modules, "hotmesh_test_two", memory_spec("two"))
    points = [
        EntryPoint("memory", "hotmesh_test_one", "hotmesh"),
        EntryPoint("memory", "hotmesh_test_two", "hotmesh"),
    ]
    monkeypatch.setattr(registry_module, "entry_points", lambda group: points)

    with pytest.raises(ConfigurationError, match="two plugins are named 'memory'"):
        Registry.from_entry_points()


def test_built_in_backends_registered() -> None:
    registry = Registry.from_entry_points()

    assert registry.failures == ()
    for scheme in BUILT_IN_SCHEMES:
        backend = registry.backend_for_scheme(scheme)
        assert backend.distribution.startswith("hotmesh "), scheme


def test_list_backends_names_distribution() -> None:
    by_name = {b.name: b for b in registry_module.list_backends()}

    for name in ("redis", "valkey", "dragonfly"):
        assert by_name[name].distribution.startswith("hotmesh "), name
        assert by_name[name].plugin == name


# -- open_store with in-process plugins ---------------------------------------------


async def test_open_store_connects_created_store() -> None:
    registry = Registry.from_plugins({"mem": plugin_with(memory_spec())})

    store: Any = await open_store("memory://h.example/0", registry=registry)

    assert isinstance(store, FakeStore)
    assert store.connected
    assert store.settings.host == "h.example"


async def test_open_store_uses_environment() -> None:
    registry = Registry.from_plugins({"mem": plugin_with(memory_spec())})
    environ = {"HOTMESH_URL": "memory://env.example/0"}

    store: Any = await open_store(environ=environ, registry=registry)

    assert store.settings.host == "env.example"


async def test_open_store_returns_store_unchanged(store: Store) -> None:
    assert await open_store(store) is store


async def test_open_store_translates_import_error() -> None:
    def create(settings: ConnectionSettings) -> Store:
        raise ModuleNotFoundError("No module named 'valkey'", name="valkey")

    spec = BackendSpec(name="valkey", schemes=("valkey",), create=create)
    registry = Registry.from_plugins({"valkey": plugin_with(spec)})

    with pytest.raises(MissingDependencyError) as caught:
        await open_store("valkey://h.example:6379/0", registry=registry)

    assert "pip install 'hotmesh[valkey]'" in str(caught.value)


# -- open_store on real servers -------------------------------------------------------


async def test_missing_client_library_names_extra(
    monkeypatch: pytest.MonkeyPatch, server_factory: ServerFactory
) -> None:
    server = server_factory()
    for name in list(sys.modules):
        if name == "valkey" or name.startswith(("valkey.", "hotmesh_valkey")):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "valkey", None)  # blocks `import valkey`
    registry = Registry.from_entry_points()

    with pytest.raises(ConfigurationError) as caught:
        await open_store(f"valkey://127.0.0.1:{server.port}/0", registry=registry)

    assert "pip install 'hotmesh[valkey]'" in str(caught.value)


async def test_unreachable_server_fails_fast() -> None:
    port = free_port()
    started = time.monotonic()

    with pytest.raises(ConnectionFailedError) as caught:
        await open_store(f"redis://127.0.0.1:{port}/0")

    assert time.monotonic() - started < 10
    assert str(port) in str(caught.value)


async def test_wrong_password_is_rejected(server_factory: ServerFactory) -> None:
    server = server_factory("--requirepass", "right-horse-battery")
    url = f"redis://:wrong-pony-staple@127.0.0.1:{server.port}/0"

    with pytest.raises(AuthenticationError) as caught:
        await open_store(url)

    assert "wrong-pony-staple" not in str(caught.value)
    assert "wrong-pony-staple" not in repr(caught.value)


async def test_missing_password_is_rejected(server_factory: ServerFactory) -> None:
    server = server_factory("--requirepass", "right-horse-battery")

    with pytest.raises(AuthenticationError):
        await open_store(f"redis://127.0.0.1:{server.port}/0")


async def test_right_password_connects(server_factory: ServerFactory) -> None:
    server = server_factory("--requirepass", "right-horse-battery")

    store = await open_store(f"redis://:right-horse-battery@127.0.0.1:{server.port}/0")
    try:
        await store.ping()
        assert "right-horse-battery" not in store.info.url
    finally:
        await store.close()


async def test_cluster_url_at_single_server(server_factory: ServerFactory) -> None:
    server = server_factory()

    with pytest.raises(HotMeshError) as caught:
        await open_store(f"redis+cluster://127.0.0.1:{server.port}")

    assert "cluster" in str(caught.value)


async def test_ready_client_object_accepted(server_factory: ServerFactory) -> None:
    server = server_factory()
    client = redis.asyncio.Redis(host="127.0.0.1", port=server.port)

    store = await open_store(client)
    try:
        await store.ping()
    finally:
        await store.close()
        await client.aclose()


async def test_capabilities_match_live_server(
    backend: BackendServer, store: Store
) -> None:
    reported = store.info.capabilities

    assert (CAP_SEARCH in reported) == (CAP_SEARCH in backend.capabilities)
    assert (CAP_CLUSTER in reported) == (CAP_CLUSTER in backend.capabilities)
