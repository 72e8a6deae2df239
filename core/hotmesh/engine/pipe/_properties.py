"""Own-property lookup on arrays and objects, as JavaScript reads ``obj[key]``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hotmesh.engine.pipe._values import UNDEFINED

_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


def array_index(key: str) -> int | None:
    """Return the index that a canonical array index string names, else None.

    ``'3'`` names index 3, while ``'03'``, ``'-1'`` and ``'1.0'`` name none.
    """
    if _ARRAY_INDEX.fullmatch(key):
        return int(key)
    return None


def own_property(container: Any, key: str) -> Any:
    """Return the own property ``key`` of a dict or list, else UNDEFINED.

    Lists have their indexes and ``length`` as own properties. A dict whose
    key is an ``int`` (as YAML loads ``422:``) also matches the digit string.
    Strings, numbers and other values have no own properties here.
    """
    if isinstance(container, Mapping):
        if key in container:
            return container[key]
        index = array_index(key)
        if index is not None and index in container:
            return container[index]
        return UNDEFINED
    if isinstance(container, list | tuple):
        if key == "length":
            return len(container)
        index = array_index(key)
        if index is not None and index < len(container):
            return container[index]
    return UNDEFINED


def has_own_property(container: Any, key: str) -> bool:
    """Return whether a dict or list has ``key`` as an own property."""
    if isinstance(container, Mapping):
        index = array_index(key)
        return key in container or (index is not None and index in container)
    if isinstance(container, list | tuple | str):
        index = array_index(key)
        return key == "length" or (index is not None and index < len(container))
    return False
