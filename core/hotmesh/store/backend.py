"""What a backend plugin offers: its name, URL schemes and store factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hotmesh.store.protocol import Store


@dataclass(frozen=True)
class ConnectionSettings:
    """A parsed connection URL, or a ready client object.

    ``password`` is kept out of :func:`repr`; :attr:`safe_url` masks it.
    """

    url: str
    scheme: str
    host: str = "127.0.0.1"
    port: int | None = None
    path: str | None = None
    """Unix socket path, for ``unix://`` URLs."""
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    cluster: bool = False
    options: dict[str, str] = field(default_factory=dict)
    """Query-string options of the URL."""
    client: Any = field(default=None, repr=False)
    """A ready client object supplied by the caller, used instead of the URL."""

    @property
    def safe_url(self) -> str:
        """The URL with its password replaced by ``***``."""
        if not self.password:
            return self.url
        return self.url.replace(f":{self.password}@", ":***@", 1)


@dataclass(frozen=True)
class BackendSpec:
    """One backend offered by a plugin through the ``hotmesh_backends`` hook.

    ``create`` builds a store without doing I/O; the caller then awaits
    ``store.connect()``. ``capabilities`` lists what the backend may have;
    the live server decides at connect time.
    """

    name: str
    schemes: tuple[str, ...]
    create: Callable[[ConnectionSettings], Store]
    capabilities: frozenset[str] = frozenset()
    description: str = ""
    accepts_client: Callable[[Any], bool] | None = None
    """Return whether a ready client object belongs to this backend."""
