"""``find_where``: a search over records, leaving out the jobs they start.

An index covers every job whose id starts with one of its prefixes, so an
index on ``greeting`` also covers the jobs a record's workflow starts for
itself, such as ``greeting-ann-$activity-2``. Those have no search fields,
so a negation or an empty query would match them. Record ids never contain
``$`` and the ids of those jobs always do, so the search leaves them out
before it counts and pages the matches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from hotmesh.pluck.errors import InvalidOptionsError
from hotmesh.search import Condition, SearchQuery, SearchResult, SearchRow
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
    ``limit``; rows carry the ``return_fields`` each record has.
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
