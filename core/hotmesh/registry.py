"""Backend plugins: discovery, lookup by URL scheme, and opening a store.

Plugins are found through the ``hotmesh`` entry-point group and managed by
pluggy. The built-in Redis, ValKey and Dragonfly backends are registered in
that group by this package itself, so they enter exactly as a third-party
plugin does. A :class:`Registry` is a read-only view: it is built once from
the installed plugins, and a plugin that claims a scheme or backend name
already taken raises :class:`~hotmesh.errors.ConfigurationError` instead of
replacing the first one.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType
from typing import Any

import pluggy

from hotmesh import hookspecs
from hotmesh.config import parse_url, resolve_url
from hotmesh.errors import (
    ConfigurationError,
    MissingDependencyError,
    UnknownBackendError,
)
from hotmesh.store.backend import BackendSpec, ConnectionSettings
from hotmesh.store.protocol import CAP_CLUSTER, Store

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "hotmesh"

EXTRA_FOR_SCHEME: Mapping[str, str] = MappingProxyType(
    {
        "valkey": "valkey",
        "valkeys": "valkey",
        "valkey+cluster": "valkey",
        "valkeys+cluster": "valkey",
    }
)
"""Extras of the ``hotmesh`` distribution that a built-in scheme needs."""


@dataclass(frozen=True)
class InstalledBackend:
    """A backend offered by a registered plugin."""

    spec: BackendSpec
    plugin: str
    """Name the plugin was registered under (its entry-point name)."""
    distribution: str = ""
    """``name version`` of the distribution that ships the plugin, or empty."""

    @property
    def name(self) -> str:
        """Backend name, such as ``redis``."""
        return self.spec.name

    @property
    def schemes(self) -> tuple[str, ...]:
        """URL schemes the backend handles."""
        return self.spec.schemes

    @property
    def capabilities(self) -> frozenset[str]:
        """Capabilities the backend may have; the live server decides."""
        return self.spec.capabilities


@dataclass(frozen=True)
class PluginFailure:
    """A plugin whose entry point could not be loaded."""

    plugin: str
    distribution: str
    error: str
    """The exception type and message."""
    missing_module: str | None = None
    """The module that failed to import, for an ``ImportError``."""

    def __str__(self) -> str:
        source = f" ({self.distribution})" if self.distribution else ""
        return f"plugin {self.plugin!r}{source} failed to load: {self.error}"


class Registry:
    """A read-only view of the installed backends, indexed by URL scheme.

    Build one with :meth:`from_entry_points` (what :func:`get_registry`
    does) or, in tests and embedding programs, :meth:`from_plugins`.
    """

    def __init__(
        self,
        manager: pluggy.PluginManager,
        distributions: Mapping[str, str] | None = None,
        failures: Sequence[PluginFailure] = (),
    ) -> None:
        """Collect the backends of every plugin registered with ``manager``.

        Raises:
            ConfigurationError: A plugin's hook raised or returned something
                other than a list of :class:`BackendSpec`, or two backends
                claim the same name or scheme.
        """
        self._manager = manager
        self._failures = tuple(failures)
        dists = distributions or {}
        backends: list[InstalledBackend] = []
        by_scheme: dict[str, InstalledBackend] = {}
        by_name: dict[str, InstalledBackend] = {}

        for impl in reversed(manager.hook.hotmesh_backends.get_hookimpls()):
            plugin = impl.plugin_name
            for spec in _call_backends_hook(impl.function, plugin):
                backend = InstalledBackend(spec, plugin, dists.get(plugin, ""))
                _claim(by_name, spec.name, backend, "backend name")
                for scheme in spec.schemes:
                    _claim(by_scheme, scheme.lower(), backend, "URL scheme")
                backends.append(backend)

        self._backends = tuple(backends)
        self._schemes = MappingProxyType(by_scheme)

    @classmethod
    def from_entry_points(cls, group: str = ENTRY_POINT_GROUP) -> Registry:
        """Load every plugin registered in an entry-point group.

        A plugin that fails to import is recorded in :attr:`failures` and
        reported when its scheme is requested, so one broken plugin doesn't
        stop the others from working.
        """
        manager = _new_manager()
        distributions: dict[str, str] = {}
        failures: list[PluginFailure] = []
        seen: set[tuple[str, str]] = set()

        for entry_point in entry_points(group=group):
            key = (entry_point.name, entry_point.value)
            if key in seen:  # the same distribution found twice on sys.path
                continue
            seen.add(key)
            dist = _distribution_label(entry_point)
            try:
                plugin = entry_point.load()
            except Exception as error:
                failure = _failure(entry_point.name, dist, error)
                failures.append(failure)
                log = logger.debug if failure.missing_module else logger.warning
                log("%s", failure)
                continue
            _register(manager, plugin, entry_point.name, dist, distributions)
            distributions[entry_point.name] = dist

        _check_pending(manager)
        return cls(manager, distributions, failures)

    @classmethod
    def from_plugins(
        cls, plugins: Mapping[str, object], distribution: str = ""
    ) -> Registry:
        """Build a registry from plugin objects, without entry points.

        Args:
            plugins: Plugin objects (modules, classes or instances with
                ``hotmesh_backends`` hook implementations) by plugin name.
            distribution: Label shown as the plugins' source.
        """
        manager = _new_manager()
        distributions: dict[str, str] = {}
        for name, plugin in plugins.items():
            _register(manager, plugin, name, distribution, distributions)
            distributions[name] = distribution
        _check_pending(manager)
        return cls(manager, distributions)

    @property
    def backends(self) -> tuple[InstalledBackend, ...]:
        """Installed backends, in the order their plugins were registered."""
        return self._backends

    @property
    def schemes(self) -> Mapping[str, InstalledBackend]:
        """Installed backends by URL scheme (read-only)."""
        return self._schemes

    @property
    def failures(self) -> tuple[PluginFailure, ...]:
        """Plugins that failed to load."""
        return self._failures

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        """The pluggy manager that contains the registered plugins."""
        return self._manager

    def backend_for_scheme(self, scheme: str) -> InstalledBackend:
        """Return the backend that handles a URL scheme.

        Raises:
            MissingDependencyError: The scheme belongs to a built-in backend
                whose client library is not installed.
            UnknownBackendError: No installed plugin handles the scheme.
        """
        key = scheme.lower().removesuffix("://")
        backend = self._schemes.get(key)
        if backend is not None:
            return backend

        extra = EXTRA_FOR_SCHEME.get(key)
        lines = [f"no installed backend handles the URL scheme '{key}://'."]
        installed = ", ".join(f"{name}://" for name in sorted(self._schemes))
        lines.append(f"Installed schemes: {installed or 'none'}.")
        lines.extend(f"{failure}." for failure in self._failures)
        if extra:
            lines.append(f"Install it with: pip install 'hotmesh[{extra}]'")
        else:
            lines.append(
                "Install a plugin that provides this scheme, or fix the URL "
                "(see `hotmesh backends`)."
            )
        message = "\n".join(lines)
        if extra and any(f.missing_module for f in self._failures):
            raise MissingDependencyError(message)
        raise UnknownBackendError(message)

    def backend_for_client(self, client: object) -> InstalledBackend:
        """Return the backend that accepts a ready client object.

        Raises:
            UnknownBackendError: No backend accepts the object's type.
        """
        for backend in self._backends:
            accepts = backend.spec.accepts_client
            if accepts is not None and accepts(client):
                return backend
        kind = f"{type(client).__module__}.{type(client).__qualname__}"
        accepting = [b.name for b in self._backends if b.spec.accepts_client]
        raise UnknownBackendError(
            f"no installed backend accepts a client object of type {kind}; "
            f"backends that accept ready clients: {', '.join(accepting) or 'none'}. "
            "Pass a connection URL instead."
        )


def _new_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


def _register(
    manager: pluggy.PluginManager,
    plugin: object,
    name: str,
    dist: str,
    distributions: Mapping[str, str],
) -> None:
    if manager.has_plugin(name):
        first = distributions.get(name) or "an earlier plugin"
        raise ConfigurationError(
            f"two plugins are named {name!r}: one from {first}, one from "
            f"{dist or 'an in-process registration'}; uninstall one of them"
        )
    try:
        manager.register(plugin, name=name)
    except pluggy.PluginValidationError as error:
        raise ConfigurationError(f"invalid hotmesh plugin {name!r}: {error}") from None


def _check_pending(manager: pluggy.PluginManager) -> None:
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        raise ConfigurationError(
            f"hotmesh plugin {error.plugin!r} implements a hook that hotmesh "
            f"does not define: {error}"
        ) from None


def _call_backends_hook(function: Any, plugin: str) -> list[BackendSpec]:
    try:
        specs = function()
    except Exception as error:
        raise ConfigurationError(
            f"plugin {plugin!r} failed in hotmesh_backends(): "
            f"{type(error).__name__}: {error}"
        ) from error
    if specs is None:
        return []
    if not isinstance(specs, Iterable) or isinstance(specs, str | bytes):
        raise ConfigurationError(
            f"plugin {plugin!r} returned {type(specs).__name__} from "
            "hotmesh_backends(); expected a list of BackendSpec"
        )
    specs = list(specs)
    for spec in specs:
        if not isinstance(spec, BackendSpec):
            raise ConfigurationError(
                f"plugin {plugin!r} returned a {type(spec).__name__} from "
                "hotmesh_backends(); expected BackendSpec instances"
            )
    return specs


def _claim(
    index: dict[str, InstalledBackend],
    key: str,
    backend: InstalledBackend,
    what: str,
) -> None:
    first = index.get(key)
    if first is None:
        index[key] = backend
        return
    raise ConfigurationError(
        f"{what} {key!r} is claimed twice: by backend {first.name!r} of "
        f"plugin {first.plugin!r}{_from(first.distribution)} and by backend "
        f"{backend.name!r} of plugin {backend.plugin!r}"
        f"{_from(backend.distribution)}; uninstall one of the two plugins"
    )


def _from(distribution: str) -> str:
    return f" ({distribution})" if distribution else ""


def _distribution_label(entry_point: EntryPoint) -> str:
    dist = entry_point.dist
    if dist is None:
        return ""
    return f"{dist.metadata['Name']} {dist.version}"


def _failure(plugin: str, dist: str, error: Exception) -> PluginFailure:
    missing = error.name if isinstance(error, ImportError) else None
    return PluginFailure(plugin, dist, f"{type(error).__name__}: {error}", missing)


@functools.cache
def get_registry() -> Registry:
    """Return the registry of installed plugins, loaded on first use."""
    return Registry.from_entry_points()


def list_backends() -> list[InstalledBackend]:
    """Return every installed backend with its plugin and distribution."""
    return list(get_registry().backends)


def backend_for_scheme(scheme: str) -> InstalledBackend:
    """Return the installed backend that handles a URL scheme.

    Raises:
        UnknownBackendError: No installed backend handles the scheme; the
            message lists the installed schemes and the extra to install.
    """
    return get_registry().backend_for_scheme(scheme)


async def open_store(
    connection: str | Store | object | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    registry: Registry | None = None,
) -> Store:
    """Create and connect the store that the configuration selects.

    Args:
        connection: A connection URL, a ready client object of an installed
            backend, or a :class:`Store` (returned unchanged). With None,
            the URL comes from ``HOTMESH_URL`` or a config file (see
            :mod:`hotmesh.config`), and when none is set the embedded
            server is started or attached to.
        environ: Environment used instead of ``os.environ``.
        cwd: Directory used instead of the working directory, both to find
            a config file and the embedded server's data folder.
        registry: Registry used instead of :func:`get_registry`.

    Raises:
        ConfigurationError: The configuration is invalid, no backend
            handles it, or a cluster URL points at a non-cluster server.
        StoreError: The store could not connect.
    """
    registry = get_registry() if registry is None else registry
    if connection is None or isinstance(connection, str):
        settings = await _settings_from_config(connection, environ, cwd)
        backend = registry.backend_for_scheme(settings.scheme)
    elif isinstance(connection, Store):
        return connection
    else:
        backend = registry.backend_for_client(connection)
        scheme = backend.schemes[0] if backend.schemes else backend.name
        settings = ConnectionSettings(
            url=f"{scheme}://(client object)", scheme=scheme, client=connection
        )

    store = _create_store(backend, settings)
    try:
        await store.connect()
        _check_cluster_mode(store, settings, registry)
    except ImportError as error:
        await _close_quietly(store)
        raise _missing_dependency(backend, settings, error) from error
    except BaseException:
        await _close_quietly(store)
        raise
    logger.info("connected to %s with backend %r", settings.url, backend.name)
    return store


async def _settings_from_config(
    explicit: str | None,
    environ: Mapping[str, str] | None,
    cwd: str | os.PathLike[str] | None,
) -> ConnectionSettings:
    url = resolve_url(explicit, environ=environ, cwd=cwd)
    if url is None:
        from hotmesh import embedded

        server = await asyncio.to_thread(
            embedded.attach_or_start, environ=environ, cwd=cwd
        )
        server.hold_lease()
        url = server.url
    return parse_url(url)


def _create_store(backend: InstalledBackend, settings: ConnectionSettings) -> Store:
    try:
        return backend.spec.create(settings)
    except ImportError as error:
        raise _missing_dependency(backend, settings, error) from error


def _missing_dependency(
    backend: InstalledBackend, settings: ConnectionSettings, error: ImportError
) -> MissingDependencyError:
    extra = EXTRA_FOR_SCHEME.get(settings.scheme)
    module = error.name or "a required module"
    hint = f"pip install 'hotmesh[{extra}]'" if extra else f"pip install {module}"
    return MissingDependencyError(
        f"backend {backend.name!r} needs {module!r}, which is not installed; "
        f"install it with: {hint}"
    )


async def _close_quietly(store: Store) -> None:
    try:
        await store.close()
    except Exception:
        logger.debug("closing a store that failed to connect raised", exc_info=True)


def _check_cluster_mode(
    store: Store, settings: ConnectionSettings, registry: Registry
) -> None:
    is_cluster = CAP_CLUSTER in store.info.capabilities
    base = settings.scheme.removesuffix("+cluster")
    if settings.cluster and not is_cluster:
        raise ConfigurationError(
            f"{settings.url} asks for a cluster, but the server is not in "
            f"cluster mode; use {base}:// for a single server"
        )
    cluster_scheme = f"{base}+cluster"
    if not settings.cluster and is_cluster and cluster_scheme in registry.schemes:
        raise ConfigurationError(
            f"the server at {settings.url} is a cluster node; connect with "
            f"{cluster_scheme}:// so commands reach the node that owns each key"
        )
