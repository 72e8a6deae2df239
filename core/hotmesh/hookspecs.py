"""Hook specifications that backend plugins implement.

A plugin is a module or object with functions marked by :data:`hookimpl`,
registered under the ``hotmesh`` entry-point group. The built-in Redis,
ValKey and Dragonfly backends enter the same way.
"""

from __future__ import annotations

import pluggy

from hotmesh.store.backend import BackendSpec

PROJECT_NAME = "hotmesh"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def hotmesh_backends() -> list[BackendSpec]:  # type: ignore[empty-body]
    """Return the backends this plugin offers.

    Building a :class:`BackendSpec` must do no I/O: the store connects when
    the caller awaits ``store.connect()``.
    """
