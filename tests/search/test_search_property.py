"""Property: on a server with RediSearch, FT.SEARCH and the scan return the same ids.

Hypothesis generates jobs (tag, text and numeric fields with punctuation,
Unicode, emoji, control characters and malformed numbers) and queries on
them (tag and text matches, numeric ranges, negations, limits, offsets,
counts). Each query runs through the server's index, through the scan on
the same server, and through the Python evaluator on the generated jobs.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import string
from dataclasses import dataclass

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from _servers import requires_capability
from hotmesh.registry import open_store
from hotmesh.search import (
    Condition,
    Equals,
    Match,
    Not,
    NotEquals,
    Range,
    SearchField,
    SearchIndex,
    SearchQuery,
    SearchResult,
    parse_number,
    plan_matches,
    plan_query,
)
from hotmesh.store.protocol import AppKey, NewJob, Store
from hotmesh.testing import StoreInspection, eventually
from hotmesh_redis.search import SearchVerbs

INDEX = SearchIndex(
    "things",
    fields=[
        SearchField("kind", "tag"),
        SearchField("labels", "tag", separator="|"),
        SearchField("body", "text"),
        SearchField("size", "numeric"),
    ],
    prefixes=["thing-", "item:"],
)

CHARACTERS = [
    *"aAbBzZ019",
    *string.punctuation,
    " ",
    "\t",
    "\n",
    "\x00",
    "\x01",
    "\x7f",
    "é",
    "É",
    "ß",
    "Ж",
    "日",
    "\u00a0",
    "\u0301",
    "😀",
    "👍🏽",
]
"""Characters of generated values: ASCII letters in both cases, every ASCII
punctuation mark, whitespace, NUL and other control characters, accents,
other scripts, a non-breaking space, a combining mark and emoji."""

WORDS = ["cat", "Cat", "dog", "a-b", "x_y", "naïve", "日本", "😀", "1e5", "-3"]

values = st.one_of(
    st.lists(st.sampled_from(CHARACTERS), max_size=10).map("".join),
    st.lists(st.sampled_from(WORDS), max_size=4).map(" ".join),
    st.lists(st.sampled_from(WORDS), max_size=3).map(",".join),
    st.lists(st.sampled_from(WORDS), max_size=3).map("|".join),
    # Words around the 128-byte limit, some cut inside a character.
    st.builds(
        lambda piece, count: piece * count,
        st.sampled_from(["x", "Ab", "é", "😀", "\\-"]),
        st.integers(30, 140),
    ),
)

numbers = st.one_of(
    st.integers(-5, 5),
    st.floats(allow_nan=False, width=32),
    st.sampled_from([0.5, -0.0, 1e20, 5e-324, math.inf, -math.inf]),
)

number_texts = st.one_of(
    numbers.map(repr),
    st.integers(-5, 5).map(str),
    st.sampled_from(["+3", ".5", "1.", "1E2", "inf", "-Infinity", "007"]),
    st.sampled_from(["", "abc", " 5", "nan", "1e400", "0x10", "1_0", "5\0"]),
)

job_ids = st.one_of(
    st.integers(0, 30).map(lambda n: f"thing-{n}"),
    st.integers(0, 5).map(lambda n: f"item:{n}"),
    st.sampled_from(["other-1", "thing", "ite", "thing-*?[x]\\"]),
)

FIELD_VALUES = {
    "_kind": values,
    "_labels": values,
    "_body": values,
    "_size": number_texts,
    "_extra": values,
}


@st.composite
def jobs(draw: st.DrawFn) -> dict[str, dict[str, str]]:
    """Draw jobs keyed by id, each with a random subset of the fields."""
    ids = draw(st.lists(job_ids, max_size=12, unique=True))
    result = {}
    for job_id in ids:
        names = draw(st.sets(st.sampled_from(sorted(FIELD_VALUES))))
        result[job_id] = {name: draw(FIELD_VALUES[name]) for name in sorted(names)}
    return result


def seen(found: dict[str, dict[str, str]], field: str) -> list[str]:
    return [fields[field] for fields in found.values() if field in fields]


@st.composite
def conditions(draw: st.DrawFn, found: dict[str, dict[str, str]]) -> Condition:
    """Draw a condition, often on a value one of the jobs has."""
    kind = draw(st.sampled_from(["tag", "labels", "text", "range", "number"]))
    condition: Condition
    if kind in ("tag", "labels"):
        name = "kind" if kind == "tag" else "labels"
        separator = "," if kind == "tag" else "|"
        options = [
            part for value in seen(found, f"_{name}") for part in value.split(separator)
        ]
        value = draw(st.sampled_from(options) if options else values)
        value = draw(st.sampled_from([value, value.upper(), f" {value}\t", value]))
        condition = Equals(name, "".join(c for c in value if not _control(c)))
    elif kind == "text":
        options = seen(found, "_body")
        text = draw(st.sampled_from(options) if options else values)
        start = draw(st.integers(0, len(text)))
        length = draw(st.sampled_from([1, 3, 8, 200]))
        condition = Match("body", text[start : start + length])
    elif kind == "range":
        low = draw(st.one_of(st.none(), numbers))
        high = draw(st.one_of(st.none(), numbers))
        condition = Range("size", low, high, draw(st.booleans()), draw(st.booleans()))
    else:
        options = [text for text in seen(found, "_size") if parse_number(text)]
        number = draw(st.sampled_from(options) if options else numbers.map(repr))
        condition = Equals("size", number)
    negation = draw(st.sampled_from(["", "not", "ne"]))
    if negation == "not":
        return Not(condition)
    if negation == "ne" and isinstance(condition, Equals):
        return NotEquals(condition.field, condition.value)
    return condition


@dataclass(frozen=True)
class Case:
    jobs: dict[str, dict[str, str]]
    query: SearchQuery


@st.composite
def cases(draw: st.DrawFn) -> Case:
    found = draw(jobs())
    chosen = draw(st.lists(conditions(found), min_size=1, max_size=3))
    usable = [c for c in chosen if _valid(c)]
    query = SearchQuery(
        "things",
        usable,
        limit=draw(st.one_of(st.none(), st.integers(0, 5))),
        offset=draw(st.integers(0, 3)),
        return_fields=draw(st.lists(st.sampled_from(["kind", "body", "extra"]))),
        count_only=draw(st.booleans()),
    )
    return Case(found, query)


def _control(char: str) -> bool:
    # Tag queries cannot contain control characters other than whitespace.
    return (ord(char) < 0x20 and char not in "\t\n") or char == "\x7f"


def _valid(condition: Condition) -> bool:
    # Conditions that plan_query rejects (a value that is not a number, a
    # tag with a control character) are left out, because both paths reject
    # them before reading any job.
    try:
        plan_query(INDEX, SearchQuery("things", [condition]))
    except Exception:
        return False
    return True


def expected_ids(case: Case) -> list[str]:
    plan = plan_query(INDEX, case.query)
    prefixes = tuple(INDEX.prefixes)
    matched = [
        job_id
        for job_id, fields in case.jobs.items()
        if job_id.startswith(prefixes)
        and plan_matches(plan, {k: v.encode() for k, v in fields.items()})
    ]
    return sorted(matched)


async def indexed(store: Store, app: AppKey) -> bool:
    """Return whether the server's index runs queries on the index now.

    Right after ``FT.CREATE`` the module may still be indexing, and until
    it is done the store scans.
    """
    count = SearchQuery(INDEX.name, count_only=True)
    return (await store.search_jobs(app, count)).indexed


async def run_both(url: str, case: Case) -> tuple[SearchResult, SearchResult]:
    store = await open_store(url)
    app = AppKey(f"p{secrets.token_hex(6)}", "app")
    try:
        await store.create_search_index(app, INDEX)
        for job_id, fields in case.jobs.items():
            await store.create_job(app, NewJob(job_id, 1, fields))
        await eventually(
            lambda: indexed(store, app), message="server index done indexing"
        )
        by_index = await store.search_jobs(app, case.query)
        assert isinstance(store, SearchVerbs)
        store.search_mode = "scan"
        by_scan = await store.search_jobs(app, case.query)
        return by_index, by_scan
    finally:
        await store.drop_search_index(app, INDEX.name)
        if isinstance(store, StoreInspection):
            await store.purge_app(app)
        await store.close()


@requires_capability("search")
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases())
def test_index_and_scan_return_same_ids(backend_url: str, case: Case) -> None:
    by_index, by_scan = asyncio.run(run_both(backend_url, case))
    satisfiable = plan_query(INDEX, case.query).satisfiable
    expected = expected_ids(case)
    query = case.query
    end = None if query.limit is None else query.offset + query.limit
    event(f"{len(query.conditions)} conditions")
    event("some jobs match" if expected else "no job matches")

    assert by_index.indexed == satisfiable
    assert not by_scan.indexed
    assert by_index.count == by_scan.count
    assert by_index.job_ids == by_scan.job_ids
    assert by_index.rows == by_scan.rows
    assert by_scan.count == len(expected)
    if not query.count_only:
        assert by_scan.job_ids == expected[query.offset : end]
