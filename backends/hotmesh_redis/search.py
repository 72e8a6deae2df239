"""Store verbs of search: a RediSearch index where the server has one, else a scan.

Index definitions live in the app's hash ``<prefix>search`` (index name ->
JSON), so both paths know the fields and their types. Where the server has
the RediSearch module (capability ``search``, not on a cluster), each
definition also gets a server index named ``<prefix>idx:<name>``, and
queries run ``FT.SEARCH``. Elsewhere, or while the server is still
indexing existing jobs, a query scans the app's job keys (``SCAN`` and
``HMGET``) and evaluates the conditions in Python
(:func:`hotmesh.search.plan_matches`). Both paths return the same job ids,
sorted by id, and read the returned fields the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hotmesh import errors
from hotmesh.search import (
    Plan,
    SearchIndex,
    SearchQuery,
    SearchResult,
    SearchRow,
    plan_matches,
    plan_query,
)
from hotmesh.search._redisearch import create_index_args, search_args
from hotmesh.store.backend import ConnectionSettings
from hotmesh.store.protocol import CAP_SEARCH, AppKey
from hotmesh_redis.base import RespBase, translated
from hotmesh_redis.flavor import Flavor
from hotmesh_redis.keys import AppKeys, escape_glob
from hotmesh_redis.replies import text

logger = logging.getLogger(__name__)

SearchMode = Literal["auto", "scan"]
"""``auto`` uses the server's index where there is one, and ``scan`` always scans."""

MAX_INDEX_IDS = 100_000
"""Most job ids read from one ``FT.SEARCH``. A query with more matches scans."""

_READ_BATCH = 500
"""Jobs read per pipelined round trip while scanning or reading rows."""

_MAX_WARNINGS = 100


@dataclass(frozen=True)
class _Matches:
    count: int
    job_ids: list[str]
    """Sorted, and empty when only the count was requested from the index."""


class SearchVerbs(RespBase):
    """Create, read, list and drop search indexes, and search jobs."""

    def __init__(self, settings: ConnectionSettings, flavor: Flavor) -> None:
        super().__init__(settings, flavor)
        self.search_mode: SearchMode = "auto"
        """Set to ``"scan"`` to run queries as scans even where the server has
        an index. Definitions and server indexes are still kept."""
        self._ready_indexes: set[tuple[str, str]] = set()
        self._index_failure: str | None = None
        self._scan_logged = False
        self._warnings: set[str] = set()

    # -- verbs --------------------------------------------------------------

    @translated
    async def create_search_index(self, app: AppKey, index: SearchIndex) -> None:
        keys = self.keys(app)
        document = index.to_json()
        label = f"definition of search index {index.name!r}"
        previous = await self.client.hget(_definitions(keys), index.name)
        await self.client.hset(
            _definitions(keys), index.name, self.encode(document, label)
        )
        if not self._server_indexes():
            self._log_scan()
            return
        # A server index without a stored definition was left by a purged
        # app, so it is rebuilt like one whose definition changed.
        stale = previous is None or text(previous) != document
        await self._create_server_index(keys, index, replace=stale)

    @translated
    async def get_search_index(self, app: AppKey, name: str) -> SearchIndex | None:
        document = await self.client.hget(_definitions(self.keys(app)), name)
        return None if document is None else SearchIndex.from_json(text(document))

    @translated
    async def list_search_indexes(self, app: AppKey) -> list[str]:
        names = await self.client.hkeys(_definitions(self.keys(app)))
        return sorted(text(name) for name in names)

    @translated
    async def drop_search_index(self, app: AppKey, name: str) -> bool:
        keys = self.keys(app)
        existed = bool(await self.client.hdel(_definitions(keys), name))
        if self._server_indexes():
            await self._drop_server_index(_server_index_name(keys, name))
        return existed

    @translated
    async def search_jobs(self, app: AppKey, query: SearchQuery) -> SearchResult:
        keys = self.keys(app)
        index = await self.get_search_index(app, query.index)
        if index is None:
            raise errors.ConfigurationError(
                f"search index {query.index!r} not found in app {app.app_id!r} "
                f"of namespace {app.namespace!r}: create it with "
                "create_search_index first"
            )
        plan = plan_query(index, query)
        if not plan.satisfiable:
            return SearchResult(count=0)

        matches = None
        if await self._index_ready(keys, index):
            matches = await self._match_by_index(keys, plan, query.count_only)
        indexed = matches is not None
        if matches is None:
            if not self._queries_use_index():
                self._log_scan()
            matches = await self._match_by_scan(keys, plan)
        if query.count_only:
            return SearchResult(count=matches.count, indexed=indexed)

        end = None if query.limit is None else query.offset + query.limit
        page = matches.job_ids[query.offset : end]
        rows = await self._read_rows(keys, index, page, query.return_fields)
        return SearchResult(count=matches.count, rows=rows, indexed=indexed)

    # -- the server's index -------------------------------------------------

    def _server_indexes(self) -> bool:
        # NOTE: a cluster always scans. An app's keys share one slot, so a
        # module index on that slot's node could serve it, but it would
        # not follow the slot when the slot migrates.
        return (
            CAP_SEARCH in self.info.capabilities
            and not self._cluster
            and self._index_failure is None
        )

    def _queries_use_index(self) -> bool:
        return self.search_mode == "auto" and self._server_indexes()

    async def _create_server_index(
        self, keys: AppKeys, index: SearchIndex, *, replace: bool
    ) -> None:
        name = _server_index_name(keys, index.name)
        if replace:
            await self._drop_server_index(name)
        prefixes = [keys.job(prefix) for prefix in index.prefixes]
        try:
            await self.client.execute_command(*create_index_args(name, prefixes, index))
        except self.flavor.errors.base as exc:
            if not self._is_reply_error(exc):
                raise
            if "already exists" not in str(exc).lower():
                self._give_up_index(f"FT.CREATE of {name!r} failed: {exc}")

    async def _drop_server_index(self, name: str) -> None:
        self._ready_indexes = {
            ready for ready in self._ready_indexes if ready[0] != name
        }
        try:
            await self.client.execute_command("FT.DROPINDEX", name)
        except self.flavor.errors.base as exc:
            if not self._is_reply_error(exc) or not _is_unknown_index(exc):
                raise

    async def _index_ready(self, keys: AppKeys, index: SearchIndex) -> bool:
        """Return whether queries on ``index`` can use the server's index now.

        A server index that is missing is created from the definition. One
        that is still indexing existing jobs is not used until it is done.
        """
        if not self._queries_use_index():
            return False
        name = _server_index_name(keys, index.name)
        token = (name, index.to_json())
        if token in self._ready_indexes:
            return True
        try:
            info = await self.client.execute_command("FT.INFO", name)
        except self.flavor.errors.base as exc:
            if not self._is_reply_error(exc) or not _is_unknown_index(exc):
                raise
            await self._create_server_index(keys, index, replace=False)
            return False
        indexing = _reply_field(info, "indexing")
        if indexing is not None and _as_int(indexing) != 0:
            logger.debug("search index %r is still indexing, so the query scans", name)
            return False
        self._ready_indexes.add(token)
        return True

    async def _match_by_index(
        self, keys: AppKeys, plan: Plan, count_only: bool
    ) -> _Matches | None:
        """Run ``FT.SEARCH``, or return None when a scan must run instead."""
        name = _server_index_name(keys, plan.index.name)
        limit = 0 if count_only else MAX_INDEX_IDS
        try:
            reply = await self.client.execute_command(
                *search_args(name, plan, limit=limit)
            )
        except self.flavor.errors.base as exc:
            if not self._is_reply_error(exc):
                raise
            if _is_unknown_index(exc):
                self._ready_indexes.discard((name, plan.index.to_json()))
            else:
                self._warn(f"FT.SEARCH on {name!r} failed, scanning instead: {exc}")
            return None
        count, names = _search_reply(reply)
        if not count_only and len(names) < count:
            logger.debug("%d matches exceed the read limit, so the query scans", count)
            return None
        return _Matches(count, sorted(keys.job_id_from_key(key) for key in names))

    def _give_up_index(self, reason: str) -> None:
        self._index_failure = reason
        logger.warning(
            "search on %s stops using the server's index: %s",
            self.settings.safe_url,
            reason,
        )

    def _is_reply_error(self, exc: Exception) -> bool:
        # The server rejected the command; the connection itself is fine.
        table = self.flavor.errors
        lost = (table.connection, table.timeout, table.authentication)
        return not isinstance(exc, lost)

    # -- the scan -----------------------------------------------------------

    async def _match_by_scan(self, keys: AppKeys, plan: Plan) -> _Matches:
        names: set[str] = set()
        for prefix in plan.index.prefixes:
            pattern = keys.job_pattern(f"{escape_glob(prefix)}*")
            names.update(await self.scan(keys, pattern))
        job_ids = sorted(keys.job_id_from_key(name) for name in names)
        fields = plan.fields_to_read
        matched = []
        for start in range(0, len(job_ids), _READ_BATCH):
            batch = job_ids[start : start + _READ_BATCH]
            rows = await self._read_fields(keys, batch, fields)
            for job_id, values in zip(batch, rows, strict=True):
                record = {
                    name: value
                    for name, value in zip(fields, values, strict=True)
                    if value is not None
                }
                if plan_matches(plan, record):
                    matched.append(job_id)
        return _Matches(len(matched), matched)

    def _log_scan(self) -> None:
        if self._scan_logged:
            return
        self._scan_logged = True
        logger.info(
            "search on %s runs without an index %s, so queries scan the app's jobs",
            self.settings.safe_url,
            self._scan_reason(),
        )

    def _scan_reason(self) -> str:
        if self._index_failure is not None:
            return f"(the index failed: {self._index_failure})"
        if CAP_SEARCH not in self.info.capabilities:
            return "(the server has no RediSearch module)"
        if self._cluster:
            return "(a cluster is always scanned)"
        return f"(search_mode is {self.search_mode!r})"

    # -- reading job fields -------------------------------------------------

    async def _read_fields(
        self, keys: AppKeys, job_ids: Sequence[str], fields: Sequence[str]
    ) -> list[list[bytes | None]]:
        if not fields or not job_ids:
            return [[] for _ in job_ids]
        pipeline = self.client.pipeline(transaction=False)
        for job_id in job_ids:
            pipeline.hmget(keys.job(job_id), list(fields))
        replies: list[list[bytes | None]] = await pipeline.execute()
        return replies

    async def _read_rows(
        self,
        keys: AppKeys,
        index: SearchIndex,
        job_ids: Sequence[str],
        names: Sequence[str],
    ) -> tuple[SearchRow, ...]:
        names = list(dict.fromkeys(names))
        fields = [index.job_field(name) for name in names]
        rows = []
        for start in range(0, len(job_ids), _READ_BATCH):
            batch = job_ids[start : start + _READ_BATCH]
            replies = await self._read_fields(keys, batch, fields)
            for job_id, values in zip(batch, replies, strict=True):
                found = {
                    name: text(value)
                    for name, value in zip(names, values, strict=True)
                    if value is not None
                }
                rows.append(SearchRow(job_id, found))
        return tuple(rows)

    def _warn(self, message: str) -> None:
        # Each distinct failure is logged once, up to a bound.
        if message in self._warnings or len(self._warnings) >= _MAX_WARNINGS:
            return
        self._warnings.add(message)
        logger.warning("search on %s: %s", self.settings.safe_url, message)


def _definitions(keys: AppKeys) -> str:
    return f"{keys.prefix}search"


def _server_index_name(keys: AppKeys, name: str) -> str:
    return f"{keys.prefix}idx:{name}"


def _is_unknown_index(exc: Exception) -> bool:
    message = str(exc).lower()
    return "unknown index" in message or "no such index" in message


def _search_reply(reply: Any) -> tuple[int, list[str]]:
    """Return the count and keys of an ``FT.SEARCH ... NOCONTENT`` reply.

    RESP3 clients return a map, RESP2 clients ``[count, key, ...]``.
    """
    if isinstance(reply, Mapping):
        results = _map_value(reply, "results") or []
        keys = [text(_map_value(item, "id")) for item in results]
        return _as_int(_map_value(reply, "total_results")), keys
    items = list(reply)
    return _as_int(items[0]), [text(key) for key in items[1:]]


def _reply_field(reply: Any, name: str) -> Any:
    """Return a field of a map reply (RESP3) or a flat name-value list (RESP2)."""
    if isinstance(reply, Mapping):
        return _map_value(reply, name)
    items = list(reply)
    for key, value in zip(items[::2], items[1::2], strict=False):
        if isinstance(key, bytes | str) and text(key) == name:
            return value
    return None


def _map_value(reply: Mapping[Any, Any], name: str) -> Any:
    return reply.get(name.encode(), reply.get(name))


def _as_int(value: Any) -> int:
    if isinstance(value, bytes | str):
        return int(float(text(value)))
    return int(value)
