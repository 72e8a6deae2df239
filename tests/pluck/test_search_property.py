"""Property: ``find_where`` returns the same records through FT.SEARCH and the scan.

Hypothesis generates records (tag, text and numeric search fields with
punctuation, Unicode and malformed numbers, some jobs a record started for
itself) and ``find_where`` queries as field dictionaries (``=``, ``!=``,
``<``, ``<=``, ``>``, ``>=``, ``[]``), with limits and offsets. Each query
runs on the server's index and forced to scan, and both must return the
records that the search layer's Python evaluator selects.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from _servers import requires_capability
from hotmesh.durable import Connection
from hotmesh.errors import ConfigurationError
from hotmesh.pluck import Pluck
from hotmesh.pluck._query import to_conditions
from hotmesh.search import (
    SearchField,
    SearchIndex,
    SearchQuery,
    SearchResult,
    plan_matches,
    plan_query,
)
from hotmesh.store.protocol import NewJob
from hotmesh.testing import eventually
from hotmesh_redis.search import SearchVerbs
from tests.durable.conftest import FAST_ENGINE

FIELDS = [
    SearchField("plan", "tag"),
    SearchField("bio", "text"),
    SearchField("age", "numeric"),
]

CHARACTERS = [*"aAzZ09", *",.-:@{}()|'\"!?$%&*", " ", "é", "É", "ß", "日", "😀"]
WORDS = ["cat", "Cat", "dog", "e-mail", "naïve", "日本", "😀", "x_y", "{a}", "1.5"]

values = st.one_of(
    st.lists(st.sampled_from(CHARACTERS), min_size=1, max_size=8).map("".join),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(",".join),
)
numbers = st.one_of(
    st.integers(-50, 50),
    st.floats(-100, 100, allow_nan=False),
)
number_texts = st.one_of(
    numbers.map(str), st.sampled_from(["1e2", "-0", "abc", "", " 5"])
)
names = st.sampled_from(["ann", "bob", "cyd", "dee", "eve", "fay", "gus", "hal"])

_counter = itertools.count()


@dataclass(frozen=True)
class Case:
    records: dict[str, dict[str, str]]
    query: list[dict[str, Any]]
    limit: int | None
    offset: int


@st.composite
def records(draw: st.DrawFn) -> dict[str, dict[str, str]]:
    """Draw records by name, some with a started job that has their fields."""
    found: dict[str, dict[str, str]] = {}
    for name in draw(st.lists(names, min_size=2, max_size=6, unique=True)):
        fields: dict[str, str] = {}
        if draw(st.booleans()):
            fields["_plan"] = draw(values)
        if draw(st.booleans()):
            fields["_bio"] = draw(values)
        if draw(st.booleans()):
            fields["_age"] = draw(number_texts)
        found[name] = fields
        if draw(st.integers(0, 3)) == 0:
            found[f"{name}-$activity-1"] = dict(fields)
    return found


@st.composite
def conditions(draw: st.DrawFn, found: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Draw a field condition, often on a value one of the records has."""
    field = draw(st.sampled_from(["plan", "bio", "age"]))
    seen = [fields[f"_{field}"] for fields in found.values() if f"_{field}" in fields]
    if field == "age":
        operator = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "[]"]))
        number = draw(numbers)
        if operator == "[]":
            return {"field": field, "is": operator, "value": [number, draw(numbers)]}
        return {"field": field, "is": operator, "value": number}
    value = draw(st.sampled_from(seen) if seen else values)
    if field == "plan" and "," in value:
        value = draw(st.sampled_from(value.split(",")))
    return {"field": field, "is": draw(st.sampled_from(["=", "!="])), "value": value}


@st.composite
def cases(draw: st.DrawFn) -> Case:
    found = draw(records())
    query = draw(st.lists(conditions(found), max_size=3))
    limit = draw(st.one_of(st.none(), st.integers(0, 4)))
    return Case(found, query, limit, draw(st.integers(0, 2)))


def expected_ids(case: Case, index: SearchIndex, prefix: str) -> list[str] | None:
    """Return the record ids the query selects, or None if it is rejected."""
    try:
        search = SearchQuery(index.name, to_conditions(case.query))  # type: ignore[arg-type]
        plan = plan_query(index, search)
    except Exception:
        return None
    matched = sorted(
        f"{prefix}{name}"
        for name, fields in case.records.items()
        if "$" not in name
        and plan_matches(plan, {key: value.encode() for key, value in fields.items()})
    )
    end = None if case.limit is None else case.offset + case.limit
    return matched[case.offset : end]


async def run_both(
    url: str, namespace: str, case: Case
) -> tuple[SearchIndex, str, SearchResult | None, SearchResult | None]:
    number = next(_counter)
    prefix = f"u{number}-"
    index = SearchIndex(f"users{number}", FIELDS, prefixes=[prefix])
    connection = Connection(url=url, engine=FAST_ENGINE, activate_delay=0.05)
    async with Pluck(connection, namespace=namespace) as pluck:
        mesh = await pluck.mesh()
        store = mesh.store
        assert isinstance(store, SearchVerbs), "the matrix stores are Redis stores"
        for name, fields in case.records.items():
            job = NewJob(f"{prefix}{name}", 1, fields or {"_other": "x"})
            await store.create_job(mesh.app, job)
        await pluck.create_search_index(index)

        async def indexed() -> bool:
            result = await pluck.find_where([], index=index, limit=0)
            return result.indexed

        await eventually(indexed, timeout=10, message="server index done indexing")
        options: dict[str, Any] = {
            "index": index,
            "limit": case.limit,
            "offset": case.offset,
            "return_fields": ["plan", "age"],
        }
        try:
            by_index = await pluck.find_where(case.query, **options)  # type: ignore[arg-type]
        except ConfigurationError:
            return index, prefix, None, None
        store.search_mode = "scan"
        try:
            by_scan = await pluck.find_where(case.query, **options)  # type: ignore[arg-type]
        finally:
            store.search_mode = "auto"
        await store.drop_search_index(mesh.app, index.name)
        return index, prefix, by_index, by_scan


@requires_capability("search")
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(case=cases())
def test_index_and_scan_find_same_records(
    backend_url: str, namespace: str, case: Case
) -> None:
    index, prefix, by_index, by_scan = asyncio.run(
        run_both(backend_url, namespace, case)
    )
    expected = expected_ids(case, index, prefix)
    event("rejected" if expected is None else f"{len(expected or [])} records")

    if expected is None:
        assert by_index is None
        return
    assert by_index is not None
    assert by_scan is not None
    assert not by_scan.indexed
    assert by_index.job_ids == expected
    assert by_scan.job_ids == expected
    assert by_index.rows == by_scan.rows
    assert by_index.count == by_scan.count
