"""URL helpers for the store tests."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode


def with_options(url: str, options: Mapping[str, str]) -> str:
    """Return ``url`` with ``options`` added to its query string."""
    if not options:
        return url
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}{urlencode(options)}"
