"""Searching a namespace's workflows by their search fields.

A worker declares search indexes (``Worker.create(search=...)``) and the
client queries them with ``client.workflow.search``. Both go through the
store's search verbs, so the server's RediSearch index runs queries where
the server has one, and a scan of the namespace's jobs gives the same
result elsewhere (see :mod:`hotmesh.search`).

An index covers every job whose id starts with one of its prefixes. The
jobs that run a workflow's activities and collations have ids that start
with the workflow's id, so a prefix that covers a workflow covers them too.
They have no search fields, so a condition that needs a value of a search
field leaves them out. A query with no such condition (no conditions, or
only negative ones) reads every match and drops them here, so results,
counts and pages hold workflows only.

NOTE: upstream Durable passed raw ``FT.SEARCH`` arguments through. Queries
here are typed, so that servers without the RediSearch module answer them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from hotmesh.durable._app import is_workflow_id
from hotmesh.errors import ConfigurationError
from hotmesh.search import (
    Condition,
    Equals,
    Match,
    Not,
    NotEquals,
    Range,
    SearchIndex,
    SearchQuery,
    SearchResult,
)
from hotmesh.store.protocol import AppKey, Store

WorkflowQuery: TypeAlias = Mapping[str, Any] | Sequence[Condition] | SearchQuery
"""The query of ``client.workflow.search``: field values that must all match,
search conditions, or a whole :class:`~hotmesh.search.SearchQuery`."""

_CONDITION_TYPES = (Equals, NotEquals, Range, Match, Not)


def check_indexes(
    search: SearchIndex | Sequence[SearchIndex] | None,
) -> tuple[SearchIndex, ...]:
    """Return the search indexes a worker declares, as a tuple.

    Raises:
        ConfigurationError: An item is not a SearchIndex, or two share a name.
    """
    if search is None:
        return ()
    items = [search] if isinstance(search, SearchIndex) else search
    if isinstance(items, str | Mapping) or not isinstance(items, Sequence):
        raise ConfigurationError(
            f"search {search!r} is invalid: give a hotmesh.search.SearchIndex "
            "or a list of them"
        )
    names: set[str] = set()
    for item in items:
        if not isinstance(item, SearchIndex):
            raise ConfigurationError(
                f"search index {item!r} is invalid: give a hotmesh.search.SearchIndex"
            )
        if item.name in names:
            raise ConfigurationError(f"search index {item.name!r} is declared twice")
        names.add(item.name)
    return tuple(items)


async def search_workflows(
    store: Store,
    app: AppKey,
    query: WorkflowQuery,
    *,
    index: SearchIndex | str | None,
    limit: int | None,
    offset: int,
    return_fields: Sequence[str],
    count: bool,
) -> SearchResult:
    """Run a workflow search; see ``WorkflowClient.search``."""
    if isinstance(return_fields, str):
        raise ConfigurationError(
            f"return_fields {return_fields!r} is invalid: give a list of field names"
        )
    if isinstance(query, SearchQuery):
        if index is not None or limit is not None or offset or return_fields or count:
            raise ConfigurationError(
                "search got a SearchQuery and other options: set index, limit, "
                "offset, return_fields and count_only in the SearchQuery"
            )
        request = query
        definition = await store.get_search_index(app, query.index)
    else:
        name = _index_name(index)
        if name is None:
            definition = await _only_index(store, app)
            name = definition.name
        else:
            definition = await store.get_search_index(app, name)
        request = SearchQuery(
            name,
            _conditions(query, definition),
            limit=limit,
            offset=offset,
            return_fields=list(return_fields),
            count_only=count,
        )
    if definition is None or not _may_match_helper_jobs(definition, request):
        # Without a definition the store raises its "not found" error.
        return await store.search_jobs(app, request)
    return await _workflows_only(store, app, request)


def _index_name(index: SearchIndex | str | None) -> str | None:
    if index is None or isinstance(index, str):
        return index
    if isinstance(index, SearchIndex):
        return index.name
    raise ConfigurationError(
        f"index {index!r} is invalid: give a SearchIndex or the name of one"
    )


async def _only_index(store: Store, app: AppKey) -> SearchIndex:
    names = await store.list_search_indexes(app)
    if len(names) != 1:
        known = ", ".join(repr(name) for name in names) or "none"
        raise ConfigurationError(
            f"search needs index=... when the namespace {app.app_id!r} does not "
            f"have exactly one search index (it has: {known}); workers declare "
            "them with Worker.create(search=...)"
        )
    found = await store.get_search_index(app, names[0])
    if found is None:
        raise ConfigurationError(
            f"search index {names[0]!r} not found: it was dropped while the "
            "search ran; retry the search"
        )
    return found


def _conditions(
    query: Mapping[str, Any] | Sequence[Condition], definition: SearchIndex | None
) -> list[Condition]:
    if isinstance(query, Mapping):
        return [_equals(name, value, definition) for name, value in query.items()]
    if isinstance(query, str) or not isinstance(query, Sequence):
        raise ConfigurationError(
            f"search query {query!r} is invalid: give a dict of field values, "
            "a list of search conditions or a SearchQuery"
        )
    for item in query:
        if not isinstance(item, _CONDITION_TYPES):
            raise ConfigurationError(
                f"search condition {item!r} is invalid: give Equals, NotEquals, "
                "Range, Match or Not from hotmesh.search"
            )
    return list(query)


def _equals(name: str, value: Any, definition: SearchIndex | None) -> Equals:
    """Return the condition that a field has a value, as ``start`` stores it."""
    field = definition.get_field(name) if definition is not None else None
    numeric = field is not None and field.type == "numeric"
    if numeric and isinstance(value, int | float) and not isinstance(value, bool):
        return Equals(name, value)
    return Equals(name, str(value))


def _may_match_helper_jobs(index: SearchIndex, query: SearchQuery) -> bool:
    """Return whether activity or collation jobs could match the query.

    Those jobs have no search fields (``_<name>``), so any condition that
    needs a value of one leaves them out.
    """
    for condition in query.conditions:
        if isinstance(condition, Equals | Match | Range):
            item = index.get_field(condition.field)
            if item is not None and item.field.startswith("_"):
                return False
    return True


async def _workflows_only(
    store: Store, app: AppKey, request: SearchQuery
) -> SearchResult:
    every = dataclasses.replace(
        request,
        limit=None,
        offset=0,
        return_fields=() if request.count_only else request.return_fields,
        count_only=False,
    )
    found = await store.search_jobs(app, every)
    rows = tuple(row for row in found.rows if is_workflow_id(row.job_id))
    if request.count_only:
        return SearchResult(count=len(rows), indexed=found.indexed)
    end = None if request.limit is None else request.offset + request.limit
    page = rows[request.offset : end]
    return SearchResult(count=len(rows), rows=page, indexed=found.indexed)
