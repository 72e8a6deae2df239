"""Keep one live record per term with Pluck, then search the records.

Run it with ``hotmesh demo pluck cat dog mouse [--url URL]`` or as a
script: ``python -m hotmesh.demos.pluck cat dog mouse``. With no URL and
no configured backend it uses the embedded ValKey server in ``.hotmesh/``.

Each term becomes a call of the ``greeting`` function with ttl
``"infinity"``: a workflow that stays alive after it returns, keeping its
response and its search fields. A second run finds the records alive and
prints their stored responses without running the function again.

Where the server has the RediSearch module, the search runs on its index.
Elsewhere it scans the records, and the printed lines are the same.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from hotmesh.errors import ConfigurationError
from hotmesh.pluck import Pluck, PluckError, workflow
from hotmesh.search import SearchField, SearchIndex

NAMESPACE = "pluck"

GREETINGS = SearchIndex(
    "greeting",
    fields=[
        SearchField("id", "tag"),
        SearchField("plan", "tag"),
        SearchField("active", "text"),
    ],
    prefixes=["greeting"],
)
"""Searchable fields of the greeting records: every record id starts with
``greeting-``."""


# -- the function: an ordinary async function with a searchable record --------


async def greeting(name: str) -> str:
    """Mark the caller's record active and welcome them."""
    await workflow.search().set(active="yes")
    return f"Welcome, {name}."


# -- connecting it, calling it, searching its records ---------------------------


async def run(terms: list[str], url: str | None, namespace: str) -> None:
    """Connect ``greeting``, call it once per term, then search the records."""
    async with Pluck(url, namespace=namespace, search=GREETINGS) as pluck:
        print("* connecting workers ...")
        await pluck.connect(entity="greeting", target=greeting)

        for term in terms:
            response = await pluck.exec(
                entity="greeting",
                args=[term],
                options={
                    "id": term,
                    "ttl": "infinity",
                    "search": {"data": {"id": term, "plan": "pro"}},
                },
            )
            state = await pluck.get("greeting", term, ["plan", "id", "active"])
            print(
                f"* UserID: {term}, function response => {response} "
                f"function state => {state}"
            )

        print("* creating search index ...")
        await pluck.create_search_index()
        last = terms[-1]
        found = await pluck.find_where(
            [{"field": "id", "is": "=", "value": last}],
            return_fields=["plan", "id", "active"],
            limit=100,
        )
        noun = "match" if found.count == 1 else "matches"
        print(f"* search for id {last!r} => {found.count} {noun}")
        for row in found.rows:
            print(f"  {row.job_id} {dict(row.fields)}")
        print("* shutting down ...")


def main(argv: list[str] | None = None) -> int:
    """Print each term's response and record state, then the search match."""
    parser = argparse.ArgumentParser(prog="hotmesh demo pluck")
    parser.add_argument(
        "terms",
        nargs="*",
        default=["cat", "dog", "mouse"],
        help="ids of the records to create (default: cat dog mouse)",
    )
    parser.add_argument(
        "--url", help="store URL (default: the configured or embedded server)"
    )
    parser.add_argument(
        "--namespace",
        default=NAMESPACE,
        help=f"namespace of the records (default: {NAMESPACE})",
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        asyncio.run(run(args.terms, args.url, args.namespace))
    except (PluckError, ConfigurationError) as error:
        print(f"hotmesh demo pluck: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
