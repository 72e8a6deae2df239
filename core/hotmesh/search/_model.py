"""The search model: index definitions, query conditions, queries and results.

An index covers the jobs of one app whose ids start with one of its
prefixes. Each :class:`SearchField` reads one job hash field (by default
``"_" + name``, where search data is stored) as a tag list, as text or as a
number. Conditions name fields by :attr:`SearchField.name`.
"""

from __future__ import annotations

import json
import math
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from hotmesh.errors import ConfigurationError

FieldType = Literal["tag", "text", "numeric"]
FIELD_TYPES: tuple[FieldType, ...] = ("tag", "text", "numeric")

DEFAULT_SEPARATOR = ","
"""Character that separates the tags of a tag field's value."""

_SEPARATORS = frozenset(string.punctuation) - {"\\"}
_DOCUMENT_VERSION = 1


@dataclass(frozen=True)
class SearchField:
    """One searchable job field.

    ``name`` is the name conditions and result rows use; ``field`` is the
    job hash field it reads, ``"_" + name`` when left empty. ``separator``
    splits a tag field's value into tags and is ignored for other types.
    """

    name: str
    type: FieldType
    field: str = ""
    separator: str = DEFAULT_SEPARATOR

    def __post_init__(self) -> None:
        _check_text("search field name", self.name)
        if self.type not in FIELD_TYPES:
            raise ConfigurationError(
                f"invalid type {self.type!r} of search field {self.name!r}: "
                f"expected one of {', '.join(FIELD_TYPES)}"
            )
        if not self.field:
            object.__setattr__(self, "field", f"_{self.name}")
        _check_text("job field", self.field)
        if self.separator not in _SEPARATORS:
            raise ConfigurationError(
                f"invalid separator {self.separator!r} of search field "
                f"{self.name!r}: expected one ASCII punctuation character "
                "other than a backslash"
            )


@dataclass(frozen=True)
class SearchIndex:
    """A named set of searchable fields over the jobs of one app.

    ``prefixes`` are job id prefixes; the index covers every job whose id
    starts with one of them (the default ``("",)`` covers every job).
    """

    name: str
    fields: Sequence[SearchField]
    prefixes: Sequence[str] = ("",)

    def __post_init__(self) -> None:
        _check_text("search index name", self.name)
        object.__setattr__(self, "fields", tuple(self.fields))
        object.__setattr__(self, "prefixes", tuple(self.prefixes))
        if not self.prefixes:
            raise ConfigurationError(
                f"search index {self.name!r} has no prefixes: give at least "
                'one job id prefix ("" covers every job)'
            )
        if not self.fields:
            raise ConfigurationError(
                f"search index {self.name!r} has no fields: give at least one"
            )
        _check_unique(self.name, [item.name for item in self.fields], "name")
        _check_unique(self.name, [item.field for item in self.fields], "job field")

    def get_field(self, name: str) -> SearchField | None:
        """Return the field with this name, or None."""
        for item in self.fields:
            if item.name == name:
                return item
        return None

    def job_field(self, name: str) -> str:
        """Return the job hash field that contains the value named ``name``.

        A name outside the index reads ``"_" + name``, where search data is
        stored, so results can return fields that are not indexed.
        """
        item = self.get_field(name)
        return item.field if item is not None else f"_{name}"

    def to_json(self) -> str:
        """Encode the definition as JSON, as the store keeps it."""
        document = {
            "version": _DOCUMENT_VERSION,
            "name": self.name,
            "prefixes": list(self.prefixes),
            "fields": [
                {
                    "name": item.name,
                    "type": item.type,
                    "field": item.field,
                    "separator": item.separator,
                }
                for item in self.fields
            ],
        }
        return json.dumps(document, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, document: str) -> SearchIndex:
        """Decode a definition written by :meth:`to_json`.

        Raises ``ConfigurationError`` when the document is not one.
        """
        try:
            data: Any = json.loads(document)
            return cls(
                name=data["name"],
                prefixes=tuple(data["prefixes"]),
                fields=tuple(
                    SearchField(
                        name=item["name"],
                        type=item["type"],
                        field=item["field"],
                        separator=item["separator"],
                    )
                    for item in data["fields"]
                ),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigurationError(
                f"invalid search index definition {document[:200]!r}: {exc}"
            ) from exc


# -- conditions ---------------------------------------------------------------


@dataclass(frozen=True)
class Equals:
    """The field has this value.

    On a tag field, ``value`` is one of the field's tags (compared exactly,
    after trimming ASCII whitespace at both ends). On a numeric field, the
    field's number equals ``value``. On a text field this is :class:`Match`.
    """

    field: str
    value: str | float


@dataclass(frozen=True)
class NotEquals:
    """The negation of :class:`Equals`; also true where the field is missing."""

    field: str
    value: str | float


@dataclass(frozen=True)
class Range:
    """The numeric field lies between two bounds.

    A bound of None is unbounded. Bounds are inclusive unless
    ``low_inclusive`` or ``high_inclusive`` is false.
    """

    field: str
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True

    def __post_init__(self) -> None:
        for bound in (self.low, self.high):
            if bound is not None and math.isnan(bound):
                raise ConfigurationError(
                    f"invalid range on search field {self.field!r}: a bound is NaN"
                )


@dataclass(frozen=True)
class Match:
    """Every word of ``text`` occurs in the text field, in any order.

    Words are split and compared as the index splits the field (see
    :func:`hotmesh.search.text_words`). A text with no words matches nothing.
    """

    field: str
    text: str


@dataclass(frozen=True)
class Not:
    """The negation of a condition; also true where the field is missing."""

    condition: Condition


Condition: TypeAlias = Equals | NotEquals | Range | Match | Not


# -- queries and results ------------------------------------------------------


@dataclass(frozen=True)
class SearchQuery:
    """A search over one index: every condition must hold (AND).

    Matches are ordered by job id (by Unicode code point). ``offset`` and
    ``limit`` select a page of them; ``limit`` None returns every match.
    ``return_fields`` names the values each row carries (a name outside
    the index reads ``"_" + name``). ``count_only`` returns the count and
    no rows.
    """

    index: str
    conditions: Sequence[Condition] = ()
    limit: int | None = None
    offset: int = 0
    return_fields: Sequence[str] = ()
    count_only: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "conditions", tuple(self.conditions))
        object.__setattr__(self, "return_fields", tuple(self.return_fields))
        if self.offset < 0:
            raise ConfigurationError(
                f"invalid search offset {self.offset}: expected 0 or more"
            )
        if self.limit is not None and self.limit < 0:
            raise ConfigurationError(
                f"invalid search limit {self.limit}: expected 0 or more, "
                "or None for every match"
            )


@dataclass(frozen=True)
class SearchRow:
    """One matching job: its id and the requested values it has."""

    job_id: str
    fields: Mapping[str, str] = field(default_factory=dict)
    """Values by requested name; a name the job lacks is left out."""


@dataclass(frozen=True)
class SearchResult:
    """The matches of a :class:`SearchQuery`."""

    count: int
    """Number of matching jobs, before ``offset`` and ``limit``."""
    rows: tuple[SearchRow, ...] = ()
    indexed: bool = False
    """True when the server's search index ran the query, False for a scan."""

    @property
    def job_ids(self) -> list[str]:
        """The ids of the rows, in order."""
        return [row.job_id for row in self.rows]


def _check_text(what: str, value: str) -> None:
    if not value:
        raise ConfigurationError(f"invalid {what}: it must not be empty")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        raise ConfigurationError(
            f"invalid {what} {value!r}: it must not contain control characters"
        )


def _check_unique(index: str, values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ConfigurationError(
                f"search index {index!r} has two fields with {what} {value!r}"
            )
        seen.add(value)
