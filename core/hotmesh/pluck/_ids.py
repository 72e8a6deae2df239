"""Entity names and record ids.

A record's workflow id is ``<entity>-<id>``: the entity name (or a
``prefix`` that replaces it) and the caller's id, or a new random id.
Search indexes select records by that id prefix.
"""

from __future__ import annotations

import re

from hotmesh.hotmesh import HotMesh
from hotmesh.pluck.errors import InvalidOptionsError

_ENTITY = re.compile(r"^[A-Za-z0-9_.-]+$")
_FORBIDDEN_IN_ID = re.compile(r"[:$\s\x00-\x1f\x7f]")


def check_entity(entity: object, kind: str = "entity") -> str:
    """Return ``entity`` if it is a valid entity name.

    Entity names become workflow names and task queues, so they take the
    same characters: letters, digits, ``_``, ``.`` and ``-``.
    """
    if not isinstance(entity, str) or not _ENTITY.match(entity):
        raise InvalidOptionsError(
            f"{kind} {entity!r} is invalid: use letters, digits, '_', '.' and '-'"
        )
    return entity


def check_id(value: object, kind: str = "id") -> str:
    """Return ``value`` if it can be part of a record id.

    Ids are not empty and contain no ``:``, ``$``, whitespace or control
    characters: the store reserves ``:`` and jobs that a workflow starts
    for itself have ``$`` in their ids.
    """
    if not isinstance(value, str) or not value or _FORBIDDEN_IN_ID.search(value):
        raise InvalidOptionsError(
            f"{kind} {value!r} is invalid: give a non-empty string without ':', "
            "'$', whitespace or control characters"
        )
    return value


def mint_guid(prefix: str, record_id: str | None = None) -> str:
    """Return the workflow id ``<prefix>-<record_id>``.

    Without ``record_id`` a new random id takes its place.
    """
    check_entity(prefix, "prefix")
    suffix = HotMesh.guid() if record_id is None else check_id(record_id)
    return f"{prefix}-{suffix}"
