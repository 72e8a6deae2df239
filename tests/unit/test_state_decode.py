"""Stored values decode as JSON, with a fast path for plain strings."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hotmesh.engine.state import UNDEFINED, decode


def reference(text: str) -> Any:
    """Decode the way the JSON parser alone would."""
    try:
        return json.loads(text)
    except ValueError:
        return text


@given(st.text())
def test_decode_matches_json_on_any_text(text: str) -> None:
    # repr, because the parser decodes "NaN" to a float unequal to itself.
    assert repr(decode(text)) == repr(reference(text))


@given(st.text())
def test_decode_matches_json_on_quoted_text(inner: str) -> None:
    text = f'"{inner}"'
    assert repr(decode(text)) == repr(reference(text))


@given(st.text())
def test_decode_round_trips_encoded_strings(value: str) -> None:
    assert decode(json.dumps(value, ensure_ascii=False)) == value


def test_decode_cases() -> None:
    assert decode('"abc"') == "abc"
    assert decode('"a\\"b"') == 'a"b'
    assert decode('"a"b"') == '"a"b"'
    assert decode('"x\ty"') == '"x\ty"'
    assert decode('""') == ""
    assert decode('"') == '"'
    assert decode("12") == 12
    assert decode("plain") == "plain"
    assert decode(None) is UNDEFINED
