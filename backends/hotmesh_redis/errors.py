"""Translation of client library exceptions into :mod:`hotmesh.errors`.

``redis`` and ``valkey`` raise parallel but unrelated exception classes, so
the translation works from a :class:`ClientErrors` table built from the
client's exceptions module. No message built here contains the password,
even when the client library's own message did.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from types import ModuleType

from hotmesh import errors
from hotmesh.store.backend import ConnectionSettings

_AUTH_MARKERS = ("wrongpass", "noauth", "invalid password", "invalid username")
_NOT_CLUSTER_MARKERS = ("cluster mode is not enabled", "cluster support disabled")
# The cluster clients raise their own exception class, not ConnectionError,
# when no startup node responds.
_UNREACHABLE_MARKERS = ("cannot be connected", "unreachable")
# Error replies of a server that is up but not yet serving, for example one
# that reloads its data after a restart. Its clients retry, as when it is down.
_NOT_SERVING_PREFIXES = ("loading ", "masterdown ", "tryagain ")
# OpenSSL's reason text, which both clients keep in their message.
_TLS_VERIFY_MARKER = "certificate verify failed"


@dataclass(frozen=True)
class ClientErrors:
    """The exception classes of one client library."""

    base: type[Exception]
    cluster: type[Exception]
    connection: type[Exception]
    timeout: type[Exception]
    authentication: type[Exception]
    no_script: type[Exception]

    @classmethod
    def from_module(cls, module: ModuleType, prefix: str) -> ClientErrors:
        """Read the classes from ``redis.exceptions`` (prefix ``"Redis"``) or
        ``valkey.exceptions`` (prefix ``"Valkey"``)."""
        return cls(
            base=getattr(module, f"{prefix}Error"),
            cluster=getattr(module, f"{prefix}ClusterException"),
            connection=module.ConnectionError,
            timeout=module.TimeoutError,
            authentication=module.AuthenticationError,
            no_script=module.NoScriptError,
        )


def translate(
    exc: BaseException, table: ClientErrors, settings: ConnectionSettings
) -> errors.HotMeshError | None:
    """Return the HotMesh error for a client exception, or None if unknown."""
    if isinstance(exc, errors.HotMeshError):
        return exc
    if isinstance(exc, UnicodeEncodeError):
        return errors.SerializationError(
            f"a value is not valid Unicode and cannot be stored as UTF-8: {exc.reason}"
        )
    known = (table.base, table.cluster, OSError, asyncio.TimeoutError)
    if not isinstance(exc, known):
        return None

    where = settings.safe_url
    detail = scrub(str(exc), settings)
    lowered = detail.lower()
    if isinstance(exc, table.authentication) or any(
        marker in lowered for marker in _AUTH_MARKERS
    ):
        return errors.AuthenticationError(
            f"authentication failed for {where}: the server rejected the "
            "credentials; check the username and password in the URL"
        )
    if any(marker in lowered for marker in _NOT_CLUSTER_MARKERS):
        return errors.ConfigurationError(
            f"{where} names a cluster, but the server is not a cluster node; "
            "use a URL scheme without '+cluster'"
        )
    if _TLS_VERIFY_MARKER in lowered:
        return errors.ConnectionFailedError(
            f"TLS certificate verification failed for {where}: {detail} Check "
            "that URL option ssl_ca_certs names the CA that signed the "
            "server's certificate and that the certificate names the URL's host"
        )
    connection_errors = (table.connection, table.timeout, OSError, asyncio.TimeoutError)
    unreachable = isinstance(exc, table.cluster) and any(
        marker in lowered for marker in _UNREACHABLE_MARKERS
    )
    if "too many connections" in lowered:
        return errors.ConnectionFailedError(
            f"every connection of the pool to {where} is in use ({detail}); "
            "raise the URL option max_connections or make fewer calls at once"
        )
    if isinstance(exc, connection_errors) or unreachable:
        return errors.ConnectionFailedError(f"cannot reach {where}: {detail}")
    if lowered.startswith(_NOT_SERVING_PREFIXES):
        return errors.ConnectionFailedError(f"{where} is not serving yet: {detail}")
    return errors.StoreError(f"command failed on {where}: {detail}")


def scrub(text: str, settings: ConnectionSettings) -> str:
    """Replace the password in a message with ``***``."""
    if settings.password:
        return text.replace(settings.password, "***")
    return text
