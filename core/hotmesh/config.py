"""Find and parse the connection URL that picks a backend.

Precedence, highest first (see :func:`resolve_url`):

1. the URL or client passed in code;
2. the ``HOTMESH_URL`` environment variable;
3. ``url`` in a ``hotmesh.toml``, or in the ``[tool.hotmesh]`` table of a
   ``pyproject.toml``, in the working directory or the nearest parent that
   has either file;
4. the embedded server (:mod:`hotmesh.embedded`), when none of these is set.

Everything is read when called, never at import time, and the environment
and working directory can be injected for tests.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlsplit

from hotmesh.errors import ConfigurationError
from hotmesh.store.backend import ConnectionSettings

logger = logging.getLogger(__name__)

ENV_URL = "HOTMESH_URL"
CONFIG_FILE = "hotmesh.toml"
PYPROJECT_FILE = "pyproject.toml"

TLS_SCHEMES = frozenset({"rediss", "valkeys"})
"""Schemes, without a ``+`` suffix, that connect over TLS."""

CLUSTER_SUFFIX = "+cluster"

NAMED_SERVER_SCHEMES = frozenset({"fakeredis"})
"""Schemes of in-process backends, whose host part names a server in the
process and may be left out (the backend then picks a default name)."""

_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*$")
_PASSWORD_OPTION_RE = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)
_EXAMPLE = "redis://127.0.0.1:6379/0"

CONFIG_KEYS = ("url",)
"""Keys that a ``hotmesh.toml`` or ``[tool.hotmesh]`` table may contain."""

_warned_unknown_keys: set[tuple[str, tuple[str, ...]]] = set()
"""Config files and their unknown keys already warned about, so a process
that resolves the URL many times warns once."""


def resolve_url(
    explicit: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> str | None:
    """Return the configured connection URL, or None for the embedded server.

    Args:
        explicit: A URL passed in code; wins over every other source.
        environ: Environment to read ``HOTMESH_URL`` from; ``os.environ``
            when None.
        cwd: Directory where the search for a config file starts; the
            process's working directory when None.

    Raises:
        ConfigurationError: A config file is not valid TOML or its ``url``
            is not a non-empty string.
    """
    if explicit is not None:
        if not explicit.strip():
            raise ConfigurationError(
                "the connection URL passed in code is empty: pass a URL such "
                f"as {_EXAMPLE}, or None to use the configured backend"
            )
        return explicit.strip()

    env = os.environ if environ is None else environ
    from_env = env.get(ENV_URL, "").strip()
    if from_env:
        return from_env

    start = Path(os.getcwd() if cwd is None else cwd)
    return _url_from_config_files(start)


def find_config_file(start: Path) -> Path | None:
    """Return the config file that applies in ``start``, or None.

    The search walks from ``start`` up to the filesystem root. In each
    directory a ``hotmesh.toml`` wins over a ``pyproject.toml``. A
    ``pyproject.toml`` counts only when it has a ``[tool.hotmesh]`` table,
    but it ends the search either way because it marks the project root.
    """
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = directory / PYPROJECT_FILE
        if pyproject.is_file():
            tool = _read_toml(pyproject).get("tool", {})
            has_table = isinstance(tool, dict) and "hotmesh" in tool
            return pyproject if has_table else None
    return None


def _url_from_config_files(start: Path) -> str | None:
    path = find_config_file(start)
    if path is None:
        return None

    document = _read_toml(path)
    if path.name == PYPROJECT_FILE:
        table = document["tool"]["hotmesh"]
        where = f"[tool.hotmesh] in {path}"
    else:
        table = document
        where = str(path)
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where} must be a table with a 'url' key")
    _warn_unknown_keys(table, where)

    url = table.get("url")
    if url is None:
        return None
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(
            f"'url' in {where} must be a non-empty string such as {_EXAMPLE}"
        )
    return url.strip()


def _warn_unknown_keys(table: dict[str, Any], where: str) -> None:
    # Unknown keys are ignored with a warning, as the Redis backend does
    # with unknown URL options, so a misspelt key does not pass unnoticed.
    unknown = tuple(sorted(key for key in table if key not in CONFIG_KEYS))
    if not unknown or (where, unknown) in _warned_unknown_keys:
        return
    _warned_unknown_keys.add((where, unknown))
    logger.warning(
        "ignoring unknown key%s %s in %s; the known key%s %s",
        "s" if len(unknown) > 1 else "",
        ", ".join(repr(key) for key in unknown),
        where,
        " is" if len(CONFIG_KEYS) == 1 else "s are",
        ", ".join(repr(key) for key in CONFIG_KEYS),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"invalid TOML in {path}: {error}") from None
    except OSError as error:
        raise ConfigurationError(f"cannot read {path}: {error}") from None


def mask_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``.

    Works on malformed URLs too, so error messages can quote them. A
    ``password`` query option is masked as well. When the user info has no
    ``:``, all of it is masked, because it may be a password written in the
    user-name position.
    """
    url = _PASSWORD_OPTION_RE.sub(r"\1***", url)
    head, separator, rest = url.partition("://")
    if not separator or "@" not in rest:
        return url
    userinfo, _, hostpart = rest.rpartition("@")
    username, colon, _ = userinfo.partition(":")
    if not colon:
        return f"{head}://***@{hostpart}"
    return f"{head}://{username}:***@{hostpart}"


def parse_url(url: str) -> ConnectionSettings:
    """Parse a connection URL into :class:`ConnectionSettings`.

    Accepted forms, with any scheme a plugin registers::

        redis://[[username]:password@]host[:port][/db][?option=value...]
        unix://[[username]:password@]/absolute/path.sock[?db=N]

    ``rediss`` and ``valkeys`` turn TLS on; a ``+cluster`` suffix
    (``redis+cluster``, ``valkeys+cluster``) connects to a cluster. User
    name and password are percent-decoded. Query options other than ``db``
    are kept in ``options`` for the backend. The returned settings' ``url``
    has the password masked, so the settings are safe to log; backends
    connect with the individual fields.

    Raises:
        ConfigurationError: The URL is malformed. The message quotes the
            URL with its password masked and how to fix it.
    """
    safe = mask_url(url)
    parts = _split(url, safe)
    scheme = parts.scheme.lower()
    username, password = _credentials(parts.netloc, safe)
    options = _query_options(parts.query, safe)

    if scheme == "unix":
        location = _unix_location(parts, safe)
        db = _database("", options, safe)
    elif scheme in NAMED_SERVER_SCHEMES and not parts.netloc.rpartition("@")[2]:
        location = {"host": ""}
        db = _database(parts.path, options, safe)
    else:
        location = _tcp_location(parts, safe)
        db = _database(parts.path, options, safe)
    cluster = scheme.endswith(CLUSTER_SUFFIX)
    if cluster and db != 0:
        raise ConfigurationError(
            f"invalid connection URL {safe!r}: a cluster URL uses database 0 "
            "only; remove the database number"
        )

    return ConnectionSettings(
        url=url if password is None else _masked(parts, scheme, username),
        scheme=scheme,
        db=db,
        username=username,
        password=password,
        tls=scheme.split("+", 1)[0] in TLS_SCHEMES,
        cluster=cluster,
        options=options,
        **location,
    )


def _split(url: str, safe: str) -> SplitResult:
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise ConfigurationError(f"invalid connection URL {safe!r}: {error}") from None
    if "://" not in url or not _SCHEME_RE.match(parts.scheme.lower()):
        raise ConfigurationError(
            f"invalid connection URL {safe!r}: expected "
            f"scheme://host[:port][/db], for example {_EXAMPLE}"
        )
    if parts.fragment:
        raise ConfigurationError(
            f"invalid connection URL {safe!r}: a fragment ('#...') is not "
            "allowed; percent-encode '#' in a password as %23"
        )
    return parts


def _credentials(netloc: str, safe: str) -> tuple[str | None, str | None]:
    userinfo, at, _ = netloc.rpartition("@")
    if not at:
        return None, None
    name, colon, secret = userinfo.partition(":")
    if not colon or not secret:
        raise ConfigurationError(
            f"connection URL {safe!r} has user info but no password: write "
            "scheme://:PASSWORD@host, or scheme://USER:PASSWORD@host for an "
            "ACL user"
        )
    return unquote(name) or None, unquote(secret)


def _query_options(query: str, safe: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise ConfigurationError(
            f"invalid query string in connection URL {safe!r}: expected "
            "?name=value&name=value"
        ) from None
    options: dict[str, str] = {}
    for name, value in pairs:
        if name in options:
            raise ConfigurationError(
                f"option {name!r} appears twice in connection URL {safe!r}"
            )
        if name == "password":
            raise ConfigurationError(
                f"connection URL {safe!r} passes the password as a query "
                "option; put it in the user info instead: "
                "scheme://[USER]:PASSWORD@host"
            )
        options[name] = value
    return options


def _database(path: str, options: dict[str, str], safe: str) -> int:
    from_path = path.strip("/")
    from_query = options.pop("db", "")
    if from_path and from_query and from_path != from_query:
        raise ConfigurationError(
            f"connection URL {safe!r} names database {from_path} in its path "
            f"and {from_query} in its query; keep one"
        )
    text = from_path or from_query or "0"
    if not text.isdigit():
        raise ConfigurationError(
            f"invalid database {text!r} in connection URL {safe!r}: expected "
            "a non-negative integer, as in redis://host:6379/0"
        )
    return int(text)


def _unix_location(parts: SplitResult, safe: str) -> dict[str, Any]:
    host = parts.netloc.rpartition("@")[2]
    if host or not parts.path.startswith("/"):
        raise ConfigurationError(
            f"invalid unix socket URL {safe!r}: expected an absolute socket "
            "path after three slashes, as in unix:///var/run/valkey.sock"
        )
    return {"path": unquote(parts.path), "host": ""}


def _tcp_location(parts: SplitResult, safe: str) -> dict[str, Any]:
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ConfigurationError(
            f"invalid port in connection URL {safe!r}: expected a number "
            "from 1 to 65535"
        )
    if not parts.hostname:
        raise ConfigurationError(
            f"connection URL {safe!r} has no host: name one, as in {_EXAMPLE}"
        )
    return {"host": parts.hostname, "port": port}


def _masked(parts: SplitResult, scheme: str, username: str | None) -> str:
    hostpart = parts.netloc.rpartition("@")[2]
    user = quote(username, safe="") if username else ""
    masked = f"{scheme}://{user}:***@{hostpart}{parts.path}"
    return f"{masked}?{parts.query}" if parts.query else masked
