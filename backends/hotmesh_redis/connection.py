"""Building client objects from :class:`ConnectionSettings`.

A store opens up to three clients: one for commands, one for blocking
stream reads (so a read waiting on ``XREADGROUP BLOCK`` never holds a
connection that commands need) and one for pub/sub.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

from hotmesh.errors import ConfigurationError
from hotmesh.store.backend import ConnectionSettings
from hotmesh_redis.flavor import Flavor

logger = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT = 5.0
"""Seconds to wait for a TCP connection, and for the server's first reply."""

DEFAULT_MAX_CONNECTIONS = 1000
"""Connections one client may open at once. redis-py 8 caps its asyncio pool
at 100 by default, fewer than a process with many jobs in flight needs."""

DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024
"""Largest value a verb accepts by default (64 MiB), below the servers'
512 MB bulk-string limit so an oversized value fails with a clear error."""

_TLS_FILE_OPTIONS = ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile")
_TLS_OPTIONS = (*_TLS_FILE_OPTIONS, "ssl_cert_reqs", "ssl_check_hostname")
_CERT_REQS = ("none", "optional", "required")
_BOOLEANS = {
    "true": True,
    "1": True,
    "yes": True,
    "false": False,
    "0": False,
    "no": False,
}
_KNOWN_OPTIONS = frozenset(
    {
        "max_payload_bytes",
        "connect_timeout",
        "socket_timeout",
        "client_name",
        "max_connections",
    }
    | set(_TLS_OPTIONS)
)


@dataclass(frozen=True)
class StoreOptions:
    """The URL query options the store reads."""

    max_payload_bytes: int | None = DEFAULT_MAX_PAYLOAD_BYTES
    """Largest value, in UTF-8 bytes, that a verb accepts."""
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    """Seconds to wait for a connection."""
    socket_timeout: float | None = None
    """Seconds to wait for a command's reply; None waits as long as it takes."""
    client_name: str | None = None
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    tls: dict[str, Any] = field(default_factory=dict)
    """TLS keyword arguments of the client library, empty without TLS."""

    @classmethod
    def from_settings(cls, settings: ConnectionSettings) -> StoreOptions:
        options = settings.options
        unknown = sorted(set(options) - _KNOWN_OPTIONS)
        if unknown:
            logger.warning("ignoring unknown URL options %s", ", ".join(unknown))
        return cls(
            max_payload_bytes=_positive_int(options, "max_payload_bytes")
            or DEFAULT_MAX_PAYLOAD_BYTES,
            max_connections=_positive_int(options, "max_connections")
            or DEFAULT_MAX_CONNECTIONS,
            connect_timeout=_seconds(options, "connect_timeout")
            or DEFAULT_CONNECT_TIMEOUT,
            socket_timeout=_seconds(options, "socket_timeout"),
            client_name=options.get("client_name"),
            tls=tls_arguments(settings),
        )


def tls_arguments(settings: ConnectionSettings) -> dict[str, Any]:
    """Return the client's TLS keyword arguments, read from the URL options.

    The server's certificate is verified by default (``ssl_cert_reqs``
    ``required``), and so is its host name, unless ``ssl_cert_reqs`` is
    ``none`` or ``ssl_check_hostname`` is false.

    Raises:
        ConfigurationError: A TLS option is given on a URL without TLS, has
            an invalid value, or names a file that cannot be read.
    """
    options = settings.options
    tls_options_set = [name for name in _TLS_OPTIONS if name in options]
    if not settings.tls:
        if tls_options_set:
            raise ConfigurationError(
                f"URL options {', '.join(tls_options_set)} apply to TLS "
                "connections only: use the rediss:// or valkeys:// scheme (or "
                "its +cluster form)"
            )
        return {}
    arguments: dict[str, Any] = {"ssl": True}
    for name in _TLS_FILE_OPTIONS:
        if name in options:
            arguments[name] = _readable_file(options, name)
    # valkey-py 6.2 loads a client certificate only together with its key.
    if ("ssl_certfile" in arguments) != ("ssl_keyfile" in arguments):
        raise ConfigurationError(
            "URL options ssl_certfile and ssl_keyfile go together: give the "
            "client certificate and its private key, or neither"
        )
    cert_reqs = options.get("ssl_cert_reqs", "required").lower()
    if cert_reqs not in _CERT_REQS:
        raise ConfigurationError(
            f"invalid URL option ssl_cert_reqs={options['ssl_cert_reqs']!r}: "
            f"expected one of {', '.join(_CERT_REQS)}"
        )
    arguments["ssl_cert_reqs"] = cert_reqs
    check_hostname = _boolean(options, "ssl_check_hostname")
    if check_hostname and cert_reqs == "none":
        raise ConfigurationError(
            "URL option ssl_check_hostname=true needs the server's certificate "
            "verified: remove ssl_cert_reqs=none"
        )
    # Both client libraries skip the host name check when ssl_cert_reqs is
    # none, and valkey-py 6.2 fails to connect if asked for it then.
    arguments["ssl_check_hostname"] = (
        cert_reqs != "none" and check_hostname is not False
    )
    return arguments


def _readable_file(options: dict[str, str], name: str) -> str:
    path = options[name]
    if not path or not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise ConfigurationError(
            f"invalid URL option {name}={path!r}: no readable file at that "
            "path; give the path of a PEM file, percent-encoded in the URL"
        )
    return path


def _boolean(options: dict[str, str], name: str) -> bool | None:
    text = options.get(name)
    if text is None:
        return None
    value = _BOOLEANS.get(text.lower())
    if value is None:
        raise ConfigurationError(
            f"invalid URL option {name}={text!r}: expected true or false"
        )
    return value


def _positive_int(options: dict[str, str], name: str) -> int | None:
    text = options.get(name)
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigurationError(
            f"invalid URL option {name}={text!r}: expected a positive integer"
        )
    return value


def _seconds(options: dict[str, str], name: str) -> float | None:
    text = options.get(name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise ConfigurationError(
            f"invalid URL option {name}={text!r}: expected a positive number of seconds"
        )
    return value


def is_cluster(settings: ConnectionSettings) -> bool:
    return settings.cluster or settings.scheme.endswith("+cluster")


def _common_kwargs(
    settings: ConnectionSettings, options: StoreOptions, *, blocking: bool
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "username": settings.username,
        "password": settings.password,
        "client_name": options.client_name,
        "decode_responses": False,
        "socket_connect_timeout": options.connect_timeout,
        # A blocking read waits on the server for up to block_ms, which a
        # socket timeout would cut short.
        "socket_timeout": None if blocking else options.socket_timeout,
        "max_connections": options.max_connections,
    }
    kwargs.update(options.tls)
    return kwargs


def build_client(
    settings: ConnectionSettings,
    flavor: Flavor,
    options: StoreOptions,
    *,
    blocking: bool = False,
    retries: bool = False,
) -> Any:
    """Create a client for a URL. No I/O happens until the first command.

    ``retries`` keeps the client library's reconnect-and-retry policy; it
    is only safe for idempotent traffic such as pub/sub.
    """
    kwargs = _common_kwargs(settings, options, blocking=blocking)
    if is_cluster(settings):
        # NOTE: the cluster client keeps the library's retries, which it
        # needs to follow a failover. A script re-sent after a dropped
        # connection can then run twice: guards make the second run of a
        # step a no-op, or its lease check raises LeaseLostError.
        return flavor.cluster_class(
            host=settings.host, port=settings.port or 6379, **kwargs
        )
    if not retries:
        # Re-sending a script after a dropped connection could apply a
        # step twice, so the caller sees ConnectionFailedError instead and
        # redelivery takes over.
        kwargs["retry"] = flavor.no_retry()
    if settings.path:
        return flavor.client_class(
            unix_socket_path=settings.path, db=settings.db, **kwargs
        )
    return flavor.client_class(
        host=settings.host, port=settings.port or 6379, db=settings.db, **kwargs
    )


def build_node_client(
    settings: ConnectionSettings,
    flavor: Flavor,
    options: StoreOptions,
    host: str,
    port: int,
) -> Any:
    """Create a plain client for one node of a cluster (used for pub/sub)."""
    kwargs = _common_kwargs(settings, options, blocking=True)
    return flavor.client_class(host=host, port=port, **kwargs)


def twin_client(client: Any) -> Any:
    """Create a client with its own connection pool, configured like ``client``.

    Used for a client supplied by the caller: blocking reads get their own
    connections without touching the caller's pool.
    """
    pool = client.connection_pool
    kwargs = dict(pool.connection_kwargs)
    kwargs["socket_timeout"] = None
    twin_pool = type(pool)(connection_class=pool.connection_class, **kwargs)
    return type(client).from_pool(twin_pool)
