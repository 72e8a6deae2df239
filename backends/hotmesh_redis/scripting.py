"""Loading and running the Lua scripts shipped in ``scripts/``.

A line ``--@include lib/<name>.lua`` in a script is replaced by that file
when the script is loaded, so helpers shared by several scripts live once.
Scripts run with EVALSHA; when the server has lost a script (``SCRIPT
FLUSH``, a restart, or a cluster node that never saw ``SCRIPT LOAD``) the
call falls back to EVAL, which also puts the script back in the server's
cache.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

logger = logging.getLogger(__name__)

_INCLUDE = "--@include "

ScriptArg = str | bytes | int


@dataclass(frozen=True)
class Script:
    """One script's source, with includes resolved, and its SHA1 digest."""

    name: str
    source: str
    sha: str


@cache
def load_script(name: str, header: str = "") -> Script:
    """Read ``scripts/<name>.lua`` from the package and resolve includes.

    ``header``, when set, becomes the script's first line.
    """
    source = _expand(_read(f"{name}.lua"))
    if header:
        source = f"{header}\n{source}"
    sha = hashlib.sha1(source.encode()).hexdigest()
    return Script(name=name, source=source, sha=sha)


def _read(relative_path: str) -> str:
    folder = resources.files("hotmesh_redis").joinpath("scripts")
    return folder.joinpath(relative_path).read_text(encoding="utf-8")


def _expand(source: str) -> str:
    lines = []
    for line in source.splitlines():
        if line.startswith(_INCLUDE):
            lines.append(_read(line[len(_INCLUDE) :].strip()))
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


class ScriptRunner:
    """Runs scripts on one client, reloading any the server has lost.

    ``execute``, when given, sends the script calls instead of the client:
    a callable taking a command's arguments and returning an awaitable of
    its reply, raising the client's exceptions.
    """

    def __init__(
        self,
        client: Any,
        no_script_error: type[Exception],
        header: str = "",
        execute: Callable[..., Awaitable[Any]] | None = None,
    ) -> None:
        self._client = client
        self._no_script_error = no_script_error
        self._header = header
        self._execute = execute

    async def preload(self, names: Sequence[str]) -> None:
        """Send scripts to the server with SCRIPT LOAD (every primary, on a
        cluster), so a syntax error shows at connect time."""
        for name in names:
            await self._client.script_load(load_script(name, self._header).source)

    async def run(
        self, name: str, keys: Sequence[str], args: Sequence[ScriptArg]
    ) -> Any:
        """Run a script with EVALSHA, falling back to EVAL after NOSCRIPT."""
        script = load_script(name, self._header)
        execute = self._execute
        if execute is not None:
            try:
                return await execute("EVALSHA", script.sha, len(keys), *keys, *args)
            except self._no_script_error:
                logger.info("script %s missing on the server, sending it again", name)
                return await execute("EVAL", script.source, len(keys), *keys, *args)
        try:
            return await self._client.evalsha(script.sha, len(keys), *keys, *args)
        except self._no_script_error:
            logger.info("script %s missing on the server, sending it again", name)
            return await self._client.eval(script.source, len(keys), *keys, *args)
