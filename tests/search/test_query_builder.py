"""The FT.CREATE and FT.SEARCH commands built from index definitions and queries."""

from __future__ import annotations

import pytest

from hotmesh.errors import ConfigurationError
from hotmesh.search import (
    Equals,
    Match,
    Not,
    NotEquals,
    Range,
    SearchField,
    SearchIndex,
    SearchQuery,
    plan_query,
)
from hotmesh.search._redisearch import (
    create_index_args,
    escape,
    query_text,
    search_args,
)

INDEX = SearchIndex(
    "people",
    fields=[
        SearchField("email", "text"),
        SearchField("status", "tag"),
        SearchField("groups", "tag", separator="|"),
        SearchField("age", "numeric"),
        SearchField("odd-name", "tag", field="raw field"),
    ],
    prefixes=["person-", "user-"],
)


def query_for(*conditions: Equals | NotEquals | Range | Match | Not) -> bytes:
    return query_text(plan_query(INDEX, SearchQuery("people", conditions)))


def test_create_args() -> None:
    args = create_index_args("ns:{app}:idx:people", ["k:person-", "k:user-"], INDEX)

    assert args == [
        "FT.CREATE",
        "ns:{app}:idx:people",
        "ON",
        "HASH",
        "PREFIX",
        "2",
        "k:person-",
        "k:user-",
        "LANGUAGE_FIELD",
        ":ft:language",
        "SCORE_FIELD",
        ":ft:score",
        "STOPWORDS",
        "0",
        "SCHEMA",
        "_email",
        "TEXT",
        "NOSTEM",
        "_status",
        "TAG",
        "SEPARATOR",
        ",",
        "CASESENSITIVE",
        "_groups",
        "TAG",
        "SEPARATOR",
        "|",
        "CASESENSITIVE",
        "_age",
        "NUMERIC",
        "raw field",
        "TAG",
        "SEPARATOR",
        ",",
        "CASESENSITIVE",
    ]


def test_search_args_use_dialect_2() -> None:
    plan = plan_query(INDEX, SearchQuery("people", [Equals("status", "new")]))

    args = search_args("idx", plan, limit=50)

    assert args == [
        "FT.SEARCH",
        "idx",
        b"@\\_status:{new}",
        "NOCONTENT",
        "VERBATIM",
        "LIMIT",
        "0",
        "50",
        "DIALECT",
        "2",
    ]


def test_no_conditions_match_everything() -> None:
    assert query_for() == b"*"


@pytest.mark.parametrize(
    ("value", "query"),
    [
        ("plain", b"@\\_status:{plain}"),
        ("with space", b"@\\_status:{with\\ space}"),
        ("  trimmed\t", b"@\\_status:{trimmed}"),
        ("a-b", b"@\\_status:{a\\-b}"),
        ("x|y", b"@\\_status:{x\\|y}"),
        ("{braces}", b"@\\_status:{\\{braces\\}}"),
        ("user@example.com", b"@\\_status:{user\\@example\\.com}"),
        ('say "hi"', b'@\\_status:{say\\ \\"hi\\"}'),
        ("it's", b"@\\_status:{it\\'s}"),
        ("back\\slash", b"@\\_status:{back\\\\slash}"),
        ("$(rm -rf)*", b"@\\_status:{\\$\\(rm\\ \\-rf\\)\\*}"),
        ("snake_case", b"@\\_status:{snake\\_case}"),
        ("Ünïcödé", "@\\_status:{Ünïcödé}".encode()),
        ("😀 party", "@\\_status:{😀\\ party}".encode()),
        ("line\nbreak", b"@\\_status:{line\\\nbreak}"),
    ],
)
def test_tag_values_escaped(value: str, query: bytes) -> None:
    assert query_for(Equals("status", value)) == query


def test_tag_separator_in_value_matches_nothing() -> None:
    plan = plan_query(INDEX, SearchQuery("people", [Equals("status", "a,b")]))

    assert not plan.satisfiable
    assert plan.tests == ()


def test_tag_with_other_separator() -> None:
    assert query_for(Equals("groups", "a,b")) == b"@\\_groups:{a\\,b}"


def test_empty_tag_matches_nothing() -> None:
    plan = plan_query(INDEX, SearchQuery("people", [Equals("status", " \t")]))

    assert not plan.satisfiable


def test_negated_empty_tag_matches_everything() -> None:
    assert query_for(NotEquals("status", "")) == b"*"


def test_tag_with_control_character_rejected() -> None:
    with pytest.raises(ConfigurationError, match="control characters"):
        plan_query(INDEX, SearchQuery("people", [Equals("status", "a\x01b")]))


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("Hello", b"@\\_email:(hello)"),
        ("jdoe@pluck.com", b"@\\_email:(com jdoe pluck)"),
        ("b a b", b"@\\_email:(a b)"),
        ("a\\-b", b"@\\_email:(a\\-b)"),
        ("c\\ d", b"@\\_email:(c\\ d)"),
        ("h\\\\i", b"@\\_email:(h\\\\i)"),
        ("ÉCOLE 😀", "@\\_email:(École 😀)".encode()),
        ("_ snake_case", b"@\\_email:(\\_ snake\\_case)"),
    ],
)
def test_text_words_escaped(text: str, query: bytes) -> None:
    assert query_for(Match("email", text)) == query


def test_text_equals_is_match() -> None:
    assert query_for(Equals("email", "Pluck")) == b"@\\_email:(pluck)"


def test_text_without_words_matches_nothing() -> None:
    plan = plan_query(INDEX, SearchQuery("people", [Match("email", "@@ --")]))

    assert not plan.satisfiable


def test_long_word_cut_inside_character() -> None:
    query = query_for(Match("email", "é" * 70))

    assert query == b"@\\_email:(" + "é".encode() * 64 + b")"


@pytest.mark.parametrize(
    ("condition", "query"),
    [
        (Equals("age", 5), b"@\\_age:[5.0 5.0]"),
        (Equals("age", "5"), b"@\\_age:[5.0 5.0]"),
        (Range("age", 1, 10), b"@\\_age:[1.0 10.0]"),
        (Range("age", 1, 10, low_inclusive=False), b"@\\_age:[(1.0 10.0]"),
        (Range("age", 1, 10, high_inclusive=False), b"@\\_age:[1.0 (10.0]"),
        (Range("age", None, 0), b"@\\_age:[-inf 0.0]"),
        (Range("age", -1.5, None), b"@\\_age:[-1.5 +inf]"),
        (Range("age", 1e20, None), b"@\\_age:[1e+20 +inf]"),
        (Range("age", float("-inf"), 5e-324), b"@\\_age:[-inf 5e-324]"),
    ],
)
def test_numeric_ranges(condition: Equals | Range, query: bytes) -> None:
    assert query_for(condition) == query


@pytest.mark.parametrize(
    "condition",
    [
        Range("age", 5, 1),
        Range("age", 1, 1, low_inclusive=False),
        Range("age", 1, 1, high_inclusive=False),
    ],
)
def test_empty_ranges_match_nothing(condition: Range) -> None:
    plan = plan_query(INDEX, SearchQuery("people", [condition]))

    assert not plan.satisfiable


def test_negations() -> None:
    assert query_for(NotEquals("status", "x")) == b"-(@\\_status:{x})"
    assert query_for(Not(Range("age", 1, 2))) == b"-(@\\_age:[1.0 2.0])"
    assert query_for(Not(Not(Equals("status", "x")))) == b"-(-(@\\_status:{x}))"


def test_conditions_joined_with_and() -> None:
    query = query_for(Equals("status", "new"), Not(Match("email", "spam")))

    assert query == b"@\\_status:{new} -(@\\_email:(spam))"


def test_field_name_escaped() -> None:
    assert query_for(Equals("odd-name", "v")) == b"@raw\\ field:{v}"


def test_escape_leaves_non_ascii_bytes() -> None:
    assert escape("é-😀".encode()) == "é\\-😀".encode()


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (Equals("missing", "x"), "has no field 'missing'"),
        (Range("status", 1, 2), "needs a numeric field"),
        (Match("age", "x"), "needs a text field"),
        (Equals("status", 5), "takes a string value"),
        (Equals("age", "five"), "is not a number"),
        (Equals("age", float("nan")), "NaN"),
    ],
)
def test_invalid_conditions_rejected(
    condition: Equals | Range | Match, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        plan_query(INDEX, SearchQuery("people", [condition]))


def test_nan_bound_rejected() -> None:
    with pytest.raises(ConfigurationError, match="NaN"):
        Range("age", float("nan"), 1)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SearchQuery("people", offset=-1), "invalid search offset"),
        (lambda: SearchQuery("people", limit=-1), "invalid search limit"),
        (lambda: SearchField("", "tag"), "must not be empty"),
        (lambda: SearchField("x", "date"), "invalid type"),  # type: ignore[arg-type]
        (lambda: SearchField("x", "tag", separator="ab"), "invalid separator"),
        (lambda: SearchField("x", "tag", separator="\\"), "invalid separator"),
        (lambda: SearchField("x\n", "tag"), "control characters"),
        (lambda: SearchIndex("i", []), "has no fields"),
        (lambda: SearchIndex("i", [SearchField("a", "tag")], []), "no prefixes"),
        (
            lambda: SearchIndex(
                "i", [SearchField("a", "tag"), SearchField("a", "text")]
            ),
            "two fields with name 'a'",
        ),
        (
            lambda: SearchIndex(
                "i", [SearchField("a", "tag"), SearchField("b", "tag", field="_a")]
            ),
            "two fields with job field '_a'",
        ),
    ],
)
def test_invalid_definitions_rejected(make: object, message: str) -> None:
    assert callable(make)
    with pytest.raises(ConfigurationError, match=message):
        make()


def test_definition_round_trips_through_json() -> None:
    assert SearchIndex.from_json(INDEX.to_json()) == INDEX


def test_invalid_json_definition_rejected() -> None:
    with pytest.raises(ConfigurationError, match="invalid search index definition"):
        SearchIndex.from_json('{"name": "x"}')
