"""Commands for a server with the RediSearch module: ``FT.CREATE``, ``FT.SEARCH``.

Indexes are created so that matching is simple to state and to reproduce
without the module (see :mod:`hotmesh.search._values`): no stop words, no
stemming, case-sensitive tags. Queries use ``DIALECT 2`` and ``VERBATIM``
(no query expansion). Every ASCII punctuation and whitespace byte of a user
value is escaped with a backslash, so the query parser reads a value as one
literal tag or word. That includes ``_``, because a lone ``_`` is a syntax
error in RediSearch 2.10.
"""

from __future__ import annotations

import math
import string
from collections.abc import Sequence

from hotmesh.search._model import SearchField, SearchIndex
from hotmesh.search._plan import NotTest, Plan, RangeTest, TagTest, Test, WordsTest

DIALECT = "2"

LANGUAGE_FIELD = ":ft:language"
SCORE_FIELD = ":ft:score"
"""Job fields the index reads a document's language and score from.

The module's defaults (``__language``, ``__score``) could collide with a
search field named ``_language``, which is stored as ``__language``. Names
that start with ``:`` are reserved for the store, so no job has them.
"""

_ESCAPED = frozenset((string.punctuation + " \t\n\v\f\r").encode())


def create_index_args(
    index_name: str, key_prefixes: Sequence[str], index: SearchIndex
) -> list[str]:
    """Return the ``FT.CREATE`` command for an index over hashes.

    ``key_prefixes`` are the full key prefixes of the jobs it covers.
    """
    args = ["FT.CREATE", index_name, "ON", "HASH"]
    args += ["PREFIX", str(len(key_prefixes)), *key_prefixes]
    args += ["LANGUAGE_FIELD", LANGUAGE_FIELD, "SCORE_FIELD", SCORE_FIELD]
    args += ["STOPWORDS", "0", "SCHEMA"]
    for item in index.fields:
        args += _schema_entry(item)
    return args


def _schema_entry(item: SearchField) -> list[str]:
    if item.type == "tag":
        return [item.field, "TAG", "SEPARATOR", item.separator, "CASESENSITIVE"]
    if item.type == "text":
        return [item.field, "TEXT", "NOSTEM"]
    return [item.field, "NUMERIC"]


def search_args(index_name: str, plan: Plan, *, limit: int) -> list[str | bytes]:
    """Return the ``FT.SEARCH`` command that lists up to ``limit`` job keys.

    ``limit`` 0 returns only the count.
    """
    return [
        "FT.SEARCH",
        index_name,
        query_text(plan),
        "NOCONTENT",
        "VERBATIM",
        "LIMIT",
        "0",
        str(limit),
        "DIALECT",
        DIALECT,
    ]


def query_text(plan: Plan) -> bytes:
    """Return the query string of a satisfiable plan, as UTF-8 bytes.

    Bytes, because a word cut at 128 bytes may end inside a character.
    """
    if not plan.tests:
        return b"*"
    return b" ".join(_clause(test) for test in plan.tests)


def _clause(test: Test) -> bytes:
    if isinstance(test, NotTest):
        return b"-(" + _clause(test.test) + b")"
    attribute = b"@" + escape(test.field.encode()) + b":"
    if isinstance(test, TagTest):
        return attribute + b"{" + escape(test.tag) + b"}"
    if isinstance(test, WordsTest):
        return attribute + b"(" + b" ".join(escape(word) for word in test.words) + b")"
    return attribute + _range(test)


def _range(test: RangeTest) -> bytes:
    low = _bound(test.low, test.low_inclusive)
    high = _bound(test.high, test.high_inclusive)
    return b"[" + low + b" " + high + b"]"


def _bound(value: float, inclusive: bool) -> bytes:
    text = repr(value)
    if math.isinf(value):
        text = "+inf" if value > 0 else "-inf"
    return (text if inclusive else f"({text}").encode()


def escape(value: bytes) -> bytes:
    """Escape every ASCII punctuation and whitespace byte with a backslash."""
    escaped = bytearray()
    for byte in value:
        if byte in _ESCAPED:
            escaped.append(0x5C)
        escaped.append(byte)
    return bytes(escaped)
