"""Pluck's search methods: indexes, ``find_where`` and the key scan.

``find_where`` leaves out the jobs that records start for themselves. An
index covers every job whose id starts with one of its prefixes, so an
index on ``greeting`` also covers the jobs a record's workflow starts for
itself, such as ``greeting-ann-$activity-2``. Those have no search fields,
so a negation or an empty query would match them. Record ids never contain
``$`` and the ids of those jobs always do, so the search leaves them out
before it counts and pages the matches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Literal, overload

from hotmesh.pluck._base import PluckBase, is_names
from hotmesh.pluck._query import QueryItem, to_conditions
from hotmesh.pluck._record import require_store
from hotmesh.pluck.errors import InvalidOptionsError
from hotmesh.search import (
    Condition,
    SearchIndex,
    SearchQuery,
    SearchResult,
    SearchRow,
)
from hotmesh.store.protocol import AppKey, Store


def is_record(job_id: str) -> bool:
    """Return whether a job id is a record's rather than a job it started."""
    return "$" not in job_id


async def find_records(
    store: Store,
    app: AppKey,
    index_name: str,
    conditions: Sequence[Condition],
    *,
    return_fields: Sequence[str],
    limit: int | None,
    offset: int,
) -> SearchResult:
    """Return the records that meet every condition, ordered by id.

    ``count`` is the number of matching records before ``offset`` and
    ``limit``, and rows carry the ``return_fields`` each record has.
    """
    _check_page(limit, offset)
    matches = await store.search_jobs(app, SearchQuery(index_name, conditions))
    records = [job_id for job_id in matches.job_ids if is_record(job_id)]
    end = None if limit is None else offset + limit
    page = records[offset:end]
    rows = await _read_rows(store, app, index_name, page, return_fields)
    return SearchResult(count=len(records), rows=rows, indexed=matches.indexed)


async def _read_rows(
    store: Store,
    app: AppKey,
    index_name: str,
    job_ids: Sequence[str],
    names: Sequence[str],
) -> tuple[SearchRow, ...]:
    names = list(dict.fromkeys(names))
    if not names or not job_ids:
        return tuple(SearchRow(job_id) for job_id in job_ids)
    index = await store.get_search_index(app, index_name)
    if index is None:
        return tuple(SearchRow(job_id) for job_id in job_ids)
    fields = [index.job_field(name) for name in names]
    replies = await asyncio.gather(
        *(store.read_job_fields(app, job_id, fields) for job_id in job_ids)
    )
    return tuple(
        SearchRow(
            job_id,
            {
                name: value
                for name, value in zip(names, values, strict=True)
                if value is not None
            },
        )
        for job_id, values in zip(job_ids, replies, strict=True)
    )


def _check_page(limit: int | None, offset: int) -> None:
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
    ):
        raise InvalidOptionsError(
            f"limit {limit!r} is invalid: give 0 or more, or None for every match"
        )
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidOptionsError(f"offset {offset!r} is invalid: give 0 or more")


class FindMethods(PluckBase):
    """Search indexes of a namespace and the searches over its records."""

    async def find_jobs(
        self, match: str = "*", *, limit: int = 1000, namespace: str | None = None
    ) -> list[str]:
        """Return up to ``limit`` job ids of a namespace matching a glob, sorted.

        This scans keys, so it lists every job, records and the jobs their
        workflows started alike.
        """
        if not isinstance(match, str) or not match:
            raise InvalidOptionsError(f"match {match!r} is invalid: give a glob")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidOptionsError(f"limit {limit!r} is invalid: give 1 or more")
        mesh = await self.mesh(namespace)
        found = await require_store(mesh).find_jobs(mesh.app, match, limit)
        return sorted(found)

    def _index(self, index: SearchIndex | str | None) -> SearchIndex | str:
        chosen = index if index is not None else self.search
        if chosen is None:
            raise InvalidOptionsError(
                "no search index: pass index=... or create Pluck(search=...)"
            )
        if not isinstance(chosen, SearchIndex | str):
            raise InvalidOptionsError(
                f"index {chosen!r} is invalid: give a SearchIndex or its name"
            )
        return chosen

    async def create_search_index(
        self, index: SearchIndex | None = None, *, namespace: str | None = None
    ) -> None:
        """Create a search index over a namespace's records.

        Where the server has the RediSearch module this also creates its
        index. Elsewhere queries scan the records and return the same
        results.
        """
        chosen = self._index(index)
        if not isinstance(chosen, SearchIndex):
            raise InvalidOptionsError(
                f"index {chosen!r} is a name: give the SearchIndex to create"
            )
        mesh = await self.mesh(namespace)
        await require_store(mesh).create_search_index(mesh.app, chosen)

    async def list_search_indexes(self, *, namespace: str | None = None) -> list[str]:
        """Return the names of a namespace's search indexes, sorted."""
        mesh = await self.mesh(namespace)
        return await require_store(mesh).list_search_indexes(mesh.app)

    @overload
    async def find_where(
        self,
        query: Sequence[QueryItem] = ...,
        *,
        index: SearchIndex | str | None = ...,
        return_fields: Sequence[str] = ...,
        limit: int | None = ...,
        offset: int = ...,
        count: Literal[False] = ...,
        namespace: str | None = ...,
    ) -> SearchResult: ...

    @overload
    async def find_where(
        self,
        query: Sequence[QueryItem] = ...,
        *,
        index: SearchIndex | str | None = ...,
        return_fields: Sequence[str] = ...,
        limit: int | None = ...,
        offset: int = ...,
        count: Literal[True],
        namespace: str | None = ...,
    ) -> int: ...

    async def find_where(
        self,
        query: Sequence[QueryItem] = (),
        *,
        index: SearchIndex | str | None = None,
        return_fields: Sequence[str] = (),
        limit: int | None = None,
        offset: int = 0,
        count: bool = False,
        namespace: str | None = None,
    ) -> SearchResult | int:
        """Return the records that meet every condition, ordered by id.

        Conditions are search-layer conditions (:class:`~hotmesh.search.Equals`
        and others) or dictionaries such as ``{"field": "plan", "is": "=",
        "value": "pro"}``. Their operators are ``=`` and ``!=`` (a tag, the
        words of a text, or a number), ``<``, ``<=``, ``>``, ``>=`` and
        ``[]`` (between ``[low, high]``, both included) on numeric fields.
        ``limit`` and ``offset`` select a page, ``return_fields`` the values
        each row carries. With ``count=True`` return only the number of
        matches.

        The index must exist in the namespace (see
        :meth:`create_search_index`). The server's index runs the query
        where there is one, and elsewhere a scan returns the same result. Jobs that
        records start for themselves (ids with ``$``) are never returned.

        Raises:
            InvalidOptionsError: A condition is malformed.
            ConfigurationError: The index does not exist, or a condition
                names a field it lacks or does not fit the field's type.
        """
        chosen = self._index(index)
        name = chosen if isinstance(chosen, str) else chosen.name
        if not is_names(return_fields):
            raise InvalidOptionsError(
                f"return_fields {return_fields!r} are invalid: give field names"
            )
        conditions = to_conditions(query)
        mesh = await self.mesh(namespace)
        result = await find_records(
            require_store(mesh),
            mesh.app,
            name,
            conditions,
            return_fields=[] if count else list(return_fields),
            limit=0 if count else limit,
            offset=0 if count else offset,
        )
        return result.count if count else result
