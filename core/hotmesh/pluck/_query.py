"""Conditions of ``find_where``: search-layer conditions or field dictionaries.

A field dictionary ``{"field": "plan", "is": "=", "value": "pro"}`` names
an index field, an operator and a value:

* ``=`` and ``!=``: the field equals (or does not equal) the value. On a
  tag field the value is one tag, on a text field every word of it must
  occur, on a numeric field it is a number.
* ``<``, ``<=``, ``>``, ``>=``: the numeric field compares with the value.
* ``[]``: the numeric field lies between the two values of a list, both
  included.

NOTE: upstream Pluck read ``<`` and ``>`` as inclusive bounds. Here they
are strict, and ``<=`` and ``>=`` include the bound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from hotmesh.pluck.errors import InvalidOptionsError
from hotmesh.search import Condition, Equals, Match, Not, NotEquals, Range

FieldCondition = TypedDict("FieldCondition", {"field": str, "is": str, "value": Any})
"""A condition as a dictionary: field name, operator and value."""

QueryItem = Condition | FieldCondition
"""One condition of a ``find_where`` query."""

OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "[]")

_CONDITION_TYPES = (Equals, NotEquals, Range, Match, Not)
_KEYS = frozenset(FieldCondition.__annotations__)


def to_conditions(query: Sequence[QueryItem]) -> list[Condition]:
    """Return the search-layer conditions of a ``find_where`` query."""
    if isinstance(query, str | Mapping) or not isinstance(query, Sequence):
        raise InvalidOptionsError(
            f"query {query!r} is invalid: give a list of conditions"
        )
    return [_condition(item) for item in query]


def _condition(item: object) -> Condition:
    if isinstance(item, _CONDITION_TYPES):
        return item
    if not isinstance(item, Mapping) or set(item) != _KEYS:
        raise InvalidOptionsError(
            f"condition {item!r} is invalid: give a search condition or a dict "
            "with the keys 'field', 'is' and 'value'"
        )
    name, operator, value = item["field"], item["is"], item["value"]
    if not isinstance(name, str) or not name:
        raise InvalidOptionsError(f"condition {item!r} has no field name")
    if operator in ("=", "!="):
        text = _text(item, value)
        return Equals(name, text) if operator == "=" else NotEquals(name, text)
    if operator == "[]":
        low, high = _bounds(item, value)
        return Range(name, low, high)
    if operator in ("<", "<="):
        return Range(name, high=_number(item, value), high_inclusive=operator == "<=")
    if operator in (">", ">="):
        return Range(name, low=_number(item, value), low_inclusive=operator == ">=")
    raise InvalidOptionsError(
        f"condition {item!r} has an unknown operator {operator!r}: "
        f"use one of {', '.join(OPERATORS)}"
    )


def _text(item: Mapping[str, Any], value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidOptionsError(
            f"condition {item!r} has value {value!r}: give a string or a number"
        )
    return str(value)


def _number(item: Mapping[str, Any], value: object) -> float:
    if isinstance(value, bool):
        raise InvalidOptionsError(
            f"condition {item!r} has value {value!r}: give a number"
        )
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidOptionsError(
            f"condition {item!r} has value {value!r}: give a number"
        ) from None
    if math.isnan(number):
        raise InvalidOptionsError(f"condition {item!r} has value NaN: give a number")
    return number


def _bounds(item: Mapping[str, Any], value: object) -> tuple[float, float]:
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
        raise InvalidOptionsError(
            f"condition {item!r} has value {value!r}: give [low, high]"
        )
    return _number(item, value[0]), _number(item, value[1])
