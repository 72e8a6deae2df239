"""Search over job fields, with or without a search index on the server.

A :class:`SearchIndex` names the job fields to search and their types, and
a :class:`SearchQuery` ANDs conditions on them. A store runs a query on
the server's RediSearch index where the server has the module, and scans
the app's jobs otherwise. Both return the same ids in the same order (by
job id), because what a condition means is defined in Python, in
:func:`text_words`, :func:`tags` and :func:`parse_number`, and the scan
evaluates it with them.

Example::

    index = SearchIndex(
        "greeting",
        fields=[SearchField("email", "text"), SearchField("newsletter", "tag")],
        prefixes=["greeting"],
    )
    await store.create_search_index(app, index)
    result = await store.search_jobs(
        app,
        SearchQuery("greeting", [Equals("newsletter", "no")], return_fields=["email"]),
    )
"""

from hotmesh.search._evaluate import plan_matches
from hotmesh.search._model import (
    DEFAULT_SEPARATOR,
    FIELD_TYPES,
    Condition,
    Equals,
    FieldType,
    Match,
    Not,
    NotEquals,
    Range,
    SearchField,
    SearchIndex,
    SearchQuery,
    SearchResult,
    SearchRow,
)
from hotmesh.search._plan import Plan, plan_query
from hotmesh.search._values import (
    MAX_WORD_BYTES,
    parse_number,
    tags,
    text_words,
)

__all__ = [
    "DEFAULT_SEPARATOR",
    "FIELD_TYPES",
    "MAX_WORD_BYTES",
    "Condition",
    "Equals",
    "FieldType",
    "Match",
    "Not",
    "NotEquals",
    "Plan",
    "Range",
    "SearchField",
    "SearchIndex",
    "SearchQuery",
    "SearchResult",
    "SearchRow",
    "parse_number",
    "plan_matches",
    "plan_query",
    "tags",
    "text_words",
]
