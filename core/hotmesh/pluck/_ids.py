"""Entity names and record ids.

A record's workflow id is ``<entity>-<id>``: the entity name (or a
``prefix`` that replaces it) and the caller's id, or a new random id.
Search indexes select records by that id prefix.
"""

from __future__ import annotations

import re

from hotmesh.durable._app import MAX_ID_LENGTH
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
    for itself have ``$`` in their ids. A whole workflow id is at most
    :data:`~hotmesh.durable._app.MAX_ID_LENGTH` characters long.
    """
    if not isinstance(value, str) or not value or _FORBIDDEN_IN_ID.search(value):
        raise InvalidOptionsError(
            f"{kind} {value!r} is invalid: give a non-empty string without ':', "
            "'$', whitespace or control characters"
        )
    if len(value) > MAX_ID_LENGTH:
        raise InvalidOptionsError(
            f"{kind} {value[:40]!r}... is {len(value)} chars long: give at most "
            f"{MAX_ID_LENGTH} chars"
        )
    return value


def mint_guid(
    prefix: str, record_id: str | None = None, id_name: str = "record_id"
) -> str:
    """Return the workflow id ``<prefix>-<record_id>``.

    Without ``record_id`` a new random id takes its place. ``id_name``
    names the caller's argument or option that contains ``record_id``, for the
    error message.

    Raises:
        InvalidOptionsError: The prefix or the id is invalid, or the
            workflow id would be longer than
            :data:`~hotmesh.durable._app.MAX_ID_LENGTH` characters.
    """
    check_entity(prefix, "prefix")
    suffix = HotMesh.guid() if record_id is None else check_id(record_id, id_name)
    workflow_id = f"{prefix}-{suffix}"
    if len(workflow_id) <= MAX_ID_LENGTH:
        return workflow_id
    room = MAX_ID_LENGTH - len(prefix) - 1
    if record_id is None or room < 1:
        raise InvalidOptionsError(
            f"entity or prefix {prefix[:40]!r}... is {len(prefix)} chars long, "
            f"so its record ids would exceed the max of {MAX_ID_LENGTH} chars; "
            "use a shorter entity name or prefix"
        )
    raise InvalidOptionsError(
        f"{id_name} {record_id[:40]!r}... is {len(record_id)} chars long, but "
        f"with the prefix {prefix!r} it may have at most {room} chars, because "
        f"a record's workflow id '<prefix>-<id>' has at most {MAX_ID_LENGTH} chars"
    )
