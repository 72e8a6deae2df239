"""How the search model reads text words, tags and numbers."""

from __future__ import annotations

import pytest

from hotmesh.search import MAX_WORD_BYTES, parse_number, tags, text_words


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Hello, World!", {b"hello", b"world"}),
        ("jdoe@pluck.com", {b"jdoe", b"pluck", b"com"}),
        ("a-b|c{d}e", {b"a", b"b", b"c", b"d", b"e"}),
        ("say \"hi\" or 'bye'", {b"say", b"hi", b"or", b"bye"}),
        ("snake_case stays", {b"snake_case", b"stays"}),
        ("tab\tand  spaces", {b"tab", b"and", b"spaces"}),
        ("", set()),
        ("!!! ---", set()),
    ],
)
def test_words_split_at_punctuation(text: str, words: set[bytes]) -> None:
    assert text_words(text) == words


def test_words_lowercase_ascii_only() -> None:
    # "É" keeps its case and "COLE" is lowercased, so both are one word.
    assert text_words("ÉCOLE École") == {"École".encode()}
    assert text_words("ЖУК жук") == {"ЖУК".encode(), "жук".encode()}
    assert text_words("STRASSE Straße") == {b"strasse", "straße".encode()}


def test_words_keep_unicode_and_emoji() -> None:
    assert text_words("日本語 😀 naïve") == {
        "日本語".encode(),
        "😀".encode(),
        "naïve".encode(),
    }
    # Non-ASCII punctuation and spaces do not separate words.
    assert text_words("a\u00a0b c—d") == {"a\u00a0b".encode(), "c—d".encode()}


def test_words_backslash_escapes_separator() -> None:
    assert text_words("a\\-b") == {b"a-b"}
    assert text_words("c\\ d") == {b"c d"}
    assert text_words("h\\\\i") == {b"h\\i"}
    assert text_words("a\\\\-b") == {b"a\\", b"b"}
    assert text_words("u\\Av") == {b"uav"}
    assert text_words("trailing\\") == {b"trailing"}


def test_words_drop_control_characters() -> None:
    assert text_words("foo\nbar") == {b"foobar"}
    assert text_words("a\x01b\x7fc") == {b"abc"}
    assert text_words("f\\\ng") == {b"fg"}
    assert text_words("p\\\tq") == {b"pq"}


def test_words_end_at_nul() -> None:
    assert text_words("before\0after") == {b"before"}


def test_words_cut_at_max_bytes() -> None:
    assert text_words("x" * 200) == {b"x" * MAX_WORD_BYTES}
    # The cut falls inside a two-byte character.
    cut = ("x" + "é" * 70).encode()[:MAX_WORD_BYTES]
    assert text_words("x" + "é" * 70) == {cut}
    # The raw word is cut before escapes are removed.
    assert text_words("\\-" * 70) == {b"-" * 64}
    assert text_words("x" * 127 + "\\\\y") == {b"x" * 127}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", {b"yes"}),
        ("no, maybe", {b"no", b"maybe"}),
        ("  padded\t,\n", {b"padded"}),
        ("x,,y", {b"x", b"y"}),
        ("Case", {b"Case"}),
        ("a\u00a0", {"a\u00a0".encode()}),
        ("😀 ok", {"😀 ok".encode()}),
        ("", set()),
        ("a\0b,c", {b"a"}),
        ("\0d", set()),
    ],
)
def test_tags_split_and_trim(value: str, expected: set[bytes]) -> None:
    assert tags(value, ",") == expected


def test_tags_use_the_separator() -> None:
    assert tags("a|b,c", "|") == {b"a", b"b,c"}


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("1", 1.0),
        ("-0", 0.0),
        ("+3", 3.0),
        ("1.", 1.0),
        (".5", 0.5),
        ("-.5e-3", -0.0005),
        ("1E5", 100000.0),
        ("00012", 12.0),
        ("1e+20", 1e20),
        ("inf", float("inf")),
        ("-Infinity", float("-inf")),
        ("INF", float("inf")),
        ("4e-320", 4e-320),
        ("1.7976931348623158e308", 1.7976931348623157e308),
        ("0e-500", 0.0),
    ],
)
def test_numbers_accepted(value: str, number: float) -> None:
    assert parse_number(value) == number


@pytest.mark.parametrize(
    "value",
    [
        "",
        " 5",
        "5 ",
        "abc",
        "1_0",
        "0x10",
        "nan",
        "NaN",
        "1e",
        ".",
        "1,5",
        "\u0663",
        "\uff11",
        "1e400",
        "1.7976931348623159e308",
        "1e-400",
        "2e-324",
        "--1",
    ],
)
def test_numbers_rejected(value: str) -> None:
    assert parse_number(value) is None
