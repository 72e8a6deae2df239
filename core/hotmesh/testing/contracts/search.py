"""Contracts of the search verbs: index definitions and queries on job fields.

They hold for a store that runs queries on a server index and for one that
scans, so they run on every backend whatever its capabilities.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from hotmesh.errors import ConfigurationError
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
    SearchRow,
)
from hotmesh.store.protocol import AppKey, NewJob, Step, Store

PEOPLE = SearchIndex(
    "people",
    fields=[
        SearchField("email", "text"),
        SearchField("status", "tag"),
        SearchField("age", "numeric"),
    ],
    prefixes=["person-"],
)

JOBS: dict[str, dict[str, str]] = {
    "person-a": {"_email": "ann@example.com", "_status": "new", "_age": "31"},
    "person-b": {"_email": "Bob Stone <bob@example.org>", "_status": "old, vip"},
    "person-c": {"_email": "cat@example.com", "_status": "New", "_age": "7.5"},
    "person-d": {"_status": " new ", "_age": "-2", "_note": "no email"},
    "person-e": {"_email": "eve@example.com", "_status": "new", "_age": "many"},
    "other-f": {"_email": "fay@example.com", "_status": "new", "_age": "40"},
}
"""Jobs with search fields. ``person-e`` has an age that is not a number, so
the index leaves it out. ``other-f`` is outside the index's prefix."""


async def ids(store: Store, app: AppKey, query: SearchQuery) -> list[str]:
    result = await store.search_jobs(app, query)
    return result.job_ids


def where(*conditions: Condition) -> SearchQuery:
    return SearchQuery("people", conditions)


@pytest.mark.asyncio
class TestSearch:
    @pytest_asyncio.fixture
    async def people(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> AsyncIterator[SearchIndex]:
        """Create the index and its jobs, and drop the index afterwards."""
        await hotmesh_store.create_search_index(hotmesh_app, PEOPLE)
        for job_id, fields in JOBS.items():
            await hotmesh_store.create_job(hotmesh_app, NewJob(job_id, 1, fields))
        yield PEOPLE
        await hotmesh_store.drop_search_index(hotmesh_app, PEOPLE.name)

    async def test_create_is_idempotent(
        self, hotmesh_store: Store, hotmesh_app: AppKey, people: SearchIndex
    ) -> None:
        await hotmesh_store.create_search_index(hotmesh_app, people)

        assert await hotmesh_store.list_search_indexes(hotmesh_app) == ["people"]
        assert await hotmesh_store.get_search_index(hotmesh_app, "people") == people
        assert await hotmesh_store.get_search_index(hotmesh_app, "none") is None

    async def test_new_definition_replaces_old(
        self, hotmesh_store: Store, hotmesh_app: AppKey, people: SearchIndex
    ) -> None:
        by_note = SearchIndex("people", [SearchField("note", "text")], ["person-"])

        await hotmesh_store.create_search_index(hotmesh_app, by_note)

        assert await hotmesh_store.get_search_index(hotmesh_app, "people") == by_note
        query = SearchQuery("people", [Match("note", "email")])
        assert await ids(hotmesh_store, hotmesh_app, query) == ["person-d"]

    async def test_drop_removes_index(
        self, hotmesh_store: Store, hotmesh_app: AppKey, people: SearchIndex
    ) -> None:
        assert await hotmesh_store.drop_search_index(hotmesh_app, "people")
        assert not await hotmesh_store.drop_search_index(hotmesh_app, "people")

        assert await hotmesh_store.list_search_indexes(hotmesh_app) == []
        assert await hotmesh_store.read_job(hotmesh_app, "person-a") is not None
        with pytest.raises(ConfigurationError, match="not found"):
            await hotmesh_store.search_jobs(hotmesh_app, where())

    async def test_unknown_index_raises(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        with pytest.raises(ConfigurationError, match="'nowhere' not found"):
            await hotmesh_store.search_jobs(hotmesh_app, SearchQuery("nowhere"))

    async def test_all_jobs_sorted_by_id(
        self, hotmesh_store: Store, hotmesh_app: AppKey, people: SearchIndex
    ) -> None:
        result = await hotmesh_store.search_jobs(hotmesh_app, where())

        assert result.count == 4
        assert result.job_ids == ["person-a", "person-b", "person-c", "person-d"]

    async def test_tag_equals_exact_and_trimmed(
        self, hotmesh_store: Store, hotmesh_app: AppKey, people: SearchIndex
    ) -> None:
        assert await ids(
            hotmesh_store, hotmesh_app, where(Equals("status", "new"))
        ) == [
            "person-a",
            "person-d",
        ]
        assert await ids(
            hotmesh_store, hotmesh_app, where(Equals("status", "New"))
        ) == ["person-c"]
        assert await ids(
            hotmesh_store, hotmesh_app, where(Equals("status", "vip"))
        ) == ["person-b"]

    async def test_numeric_ranges(
        self, hotmesh_store: Store, hotmesh_app: AppKey, people: SearchIndex
    ) -> None:
        cases: list[tuple[Condition, list[str]]] = [
            (Range("age", 7.5, 31), ["person-a", "person-c"]),
            (Range("age", 7.5, 31, low_inclusive=False), ["person-a"]),
            (Range("age", 7.5, 31, high_inclusive=False), ["person-c"]),
            (Range("age", None, 0), ["person-d"]),
            (Range("age", 0, None), ["person-a", "person-c"]),
            (Equals("age", -2), ["person-d"]),
            (Equals("age", "31"), ["person-a"]),
        ]
        for condition, expected in cases:
            found = await ids(hotmesh_store, hotmesh_app, where(condition))
            assert found == expected, condition

    async def test_text_match_words(
        self, hotmesh_store: Store, hotmesh_app: AppKey, people: SearchIndex
    ) -> None:
        cases: list[tuple[Condition, list[str]]] = [
            (Match("email", "example.com"), ["person-a", "person-c"]),
            (Match("email", "COM example"), ["person-a", "person-c"]),
            (Match("email", "stone BOB"), ["person-b"]),
            (Match("email", "bob@example.org"), ["person-b"]),
            (Match("email", "ann cat"), []),
            (Equals("email", "Ann"), ["person-a"]),
        ]
        for condition, expected in cases:
            found = await ids(hotmesh_store, hotmesh_app, where(condition))
            assert found == expected, condition

    async def test_negation_includes_missing_fields(
        self, hotmesh_store: Store, hotmesh_app: AppKey, people: SearchIndex
    ) -> None:
        cases: list[tuple[Condition, list[str]]] = [
            (NotEquals("status", "new"), ["person-b", "person-c"]),
            (Not(Match("email", "example")), ["person-d"]),
            (Not(Range("age", 0, None)), ["person-b", "person-d"]),
            (Not(Not(Equals("status", "new"))), ["person-a", "person-d"]),
        ]
        for condition, expected in cases:
            found = await ids(hotmesh_store, hotmesh_app, where(condition))
            assert found == expected, condition

    async def test_conditions_combine_with_and(
        self, hotmesh_store: Store, hotmesh_app: AppKey, people: SearchIndex
    ) -> None:
        query = where(Equals("status", "new"), Range("age", 0, None))

        assert await ids(hotmesh_store, hotmesh_app, query) == ["person-a"]

    async def test_unsatisfiable_query_finds_nothing(
        self, hotmesh_store: Store, hotmesh_app: AppKey, people: SearchIndex
    ) -> None:
        unsatisfiable: list[Condition] = [
            Equals("status", "new,old"),
            Equals("status", ""),
            Match("email", "..."),
            Range("age", 2, 1),
        ]
        for condition in unsatisfiable:
            result = await hotmesh_store.search_jobs(hotmesh_app, where(condition))
            assert result.count == 0, condition
            assert result.rows == (), condition

    async def test_limit_and_offset_page_by_id(
        self, hotmesh_store: Store, hotmesh_app: AppKey, people: SearchIndex
    ) -> None:
        first = SearchQuery("people", limit=2)
        second = SearchQuery("people", limit=2, offset=2)
        beyond = SearchQuery("people", limit=2, offset=10)
        empty = SearchQuery("people", limit=0)

        first_page = await hotmesh_store.search_jobs(hotmesh_app, first)
        second_page = await hotmesh_store.search_jobs(hotmesh_app, second)
        beyond_page = await hotmesh_store.search_jobs(hotmesh_app, beyond)
        empty_page = await hotmesh_store.search_jobs(hotmesh_app, empty)

        assert first_page.job_ids == ["person-a", "person-b"]
        assert second_page.job_ids == ["person-c", "person-d"]
        assert beyond_page.job_ids == []
        assert empty_page.job_ids == []
        assert {page.count for page in [first_page, beyond_page, empty_page]} == {4}

    async def test_return_fields(
        self, hotmesh_store: Store, hotmesh_app: AppKey, people: SearchIndex
    ) -> None:
        query = SearchQuery(
            "people",
            [Range("age", None, 10)],
            return_fields=["email", "note", "age"],
        )

        result = await hotmesh_store.search_jobs(hotmesh_app, query)

        assert result.rows == (
            SearchRow("person-c", {"email": "cat@example.com", "age": "7.5"}),
            SearchRow("person-d", {"note": "no email", "age": "-2"}),
        )

    async def test_count_only(
        self, hotmesh_store: Store, hotmesh_app: AppKey, people: SearchIndex
    ) -> None:
        query = SearchQuery("people", [Equals("status", "new")], count_only=True)

        result = await hotmesh_store.search_jobs(hotmesh_app, query)

        assert result.count == 2
        assert result.rows == ()

    async def test_search_sees_later_writes(
        self, hotmesh_store: Store, hotmesh_app: AppKey, people: SearchIndex
    ) -> None:
        query = where(Equals("status", "done"))
        assert await ids(hotmesh_store, hotmesh_app, query) == []

        step = Step("person-c", fields={"_status": "done", "_age": "8"})
        await hotmesh_store.commit_step(hotmesh_app, step)
        await hotmesh_store.delete_job(hotmesh_app, "person-a")
        await hotmesh_store.create_job(
            hotmesh_app, NewJob("person-g", 1, {"_status": "done"})
        )

        assert await ids(hotmesh_store, hotmesh_app, query) == ["person-c", "person-g"]
        everyone = await ids(hotmesh_store, hotmesh_app, where())
        assert "person-a" not in everyone

    async def test_punctuation_and_unicode_values(
        self, hotmesh_store: Store, hotmesh_app: AppKey, people: SearchIndex
    ) -> None:
        values = [
            'say "hi" {now}',
            "a-b|c@d",
            "it's $5 (approx.)",
            "Ünïcödé 日本",
            "😀 party",
            "back\\slash",
        ]
        for number, value in enumerate(values):
            fields = {"_status": value, "_email": value}
            await hotmesh_store.create_job(
                hotmesh_app, NewJob(f"person-x{number}", 1, fields)
            )
        for number, value in enumerate(values):
            by_tag = await ids(
                hotmesh_store, hotmesh_app, where(Equals("status", value))
            )
            by_text = await ids(
                hotmesh_store, hotmesh_app, where(Match("email", value))
            )
            assert by_tag == [f"person-x{number}"], value
            assert f"person-x{number}" in by_text, value
