"""Pluck's methods that read and write one record: info, export and fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from hotmesh.durable import WorkflowNotFoundError
from hotmesh.pluck import _state
from hotmesh.pluck._base import PluckBase, is_names
from hotmesh.pluck._record import RecordInfo, not_found, read_info, require_store
from hotmesh.pluck.errors import InvalidOptionsError


class RecordMethods(PluckBase):
    """Reads and writes of one record, addressed by entity and record id."""

    async def info(
        self,
        entity: str,
        record_id: str,
        *,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> RecordInfo:
        """Return a record's status and response.

        Raises:
            RecordNotFoundError: The record does not exist or expired.
        """
        client = self._client(namespace)
        workflow_id = self._workflow_id(entity, record_id, prefix)
        handle = client.workflow.get_handle(workflow_id)
        return await read_info(await client.mesh(), handle)

    async def export(
        self,
        entity: str,
        record_id: str,
        *,
        allow: Sequence[str] | None = None,
        block: Sequence[str] = (),
        values: bool = True,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> dict[str, Any]:
        """Return a readable dump of a record.

        The dump is Durable's export (``status``, ``dependencies``,
        ``process``, ``metadata``, ``data``, ``timeline``) plus ``state``,
        as ``{"metadata", "data": {"done", "response", "workflow_id"}}``,
        and ``search``, the record's search fields. ``allow`` keeps only
        the named keys, ``block`` drops keys, and ``values=False`` leaves
        the stored values out of the timeline.

        Raises:
            RecordNotFoundError: The record does not exist or expired.
        """
        client = self._client(namespace)
        workflow_id = self._workflow_id(entity, record_id, prefix)
        handle = client.workflow.get_handle(workflow_id)
        mesh = await client.mesh()
        try:
            dump = await handle.export()
        except WorkflowNotFoundError as exc:
            raise not_found(workflow_id, client.namespace) from exc
        info = await read_info(mesh, handle)
        fields = await _state.read_search_fields(
            require_store(mesh), mesh.app, workflow_id
        )
        dump = {**dump, "state": info.to_state(), "search": fields}
        if not values:
            dump["timeline"] = [
                {key: step[key] for key in step if key != "value"}
                for step in dump.get("timeline", [])
            ]
        if allow is not None:
            dump = {key: dump[key] for key in _names("allow", allow) if key in dump}
        for key in _names("block", block):
            dump.pop(key, None)
        return dump

    async def get(
        self,
        entity: str,
        record_id: str,
        fields: Sequence[str] | None = None,
        *,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> dict[str, str]:
        """Return search fields of a record, leaving out those not set.

        ``fields`` defaults to the fields of this instance's ``search``
        index, and to every search field without one.
        """
        mesh, workflow_id = await self._record(entity, record_id, namespace, prefix)
        store = require_store(mesh)
        if fields is None and self.search is None:
            return await _state.read_search_fields(store, mesh.app, workflow_id)
        if fields is None:
            assert self.search is not None
            requested = {item.name: item.field for item in self.search.fields}
        else:
            targets = _state.field_names(fields)
            requested = dict(zip(list(fields), targets, strict=True))
        return await _state.read_fields(store, mesh.app, workflow_id, requested)

    async def all(
        self,
        entity: str,
        record_id: str,
        *,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> dict[str, str]:
        """Return every search field of a record, by name."""
        mesh, workflow_id = await self._record(entity, record_id, namespace, prefix)
        return await _state.read_search_fields(
            require_store(mesh), mesh.app, workflow_id
        )

    async def raw(
        self,
        entity: str,
        record_id: str,
        *,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> dict[str, str]:
        """Return every field of a record's job: engine state, markers, search."""
        mesh, workflow_id = await self._record(entity, record_id, namespace, prefix)
        return await _state.read_raw(require_store(mesh), mesh.app, workflow_id)

    async def set(
        self,
        entity: str,
        record_id: str,
        data: Mapping[str, Any],
        *,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> int:
        """Set search fields of a record (values as text) and count the new ones."""
        mesh, workflow_id = await self._record(entity, record_id, namespace, prefix)
        return await _state.write_fields(
            require_store(mesh), mesh.app, workflow_id, data
        )

    async def incr(
        self,
        entity: str,
        record_id: str,
        field: str,
        amount: float = 1,
        *,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> float:
        """Add ``amount`` to a numeric search field (0 when unset).

        Returns the sum.
        """
        mesh, workflow_id = await self._record(entity, record_id, namespace, prefix)
        return await _state.increment_field(
            require_store(mesh), mesh.app, workflow_id, field, amount
        )

    async def delete(
        self,
        entity: str,
        record_id: str,
        fields: Sequence[str],
        *,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> int:
        """Remove search fields of a record and count those that existed."""
        mesh, workflow_id = await self._record(entity, record_id, namespace, prefix)
        return await _state.delete_fields(
            require_store(mesh), mesh.app, workflow_id, fields
        )


def _names(option: str, values: object) -> list[str]:
    if not is_names(values):
        raise InvalidOptionsError(
            f"{option} {values!r} is invalid: give a list of export keys"
        )
    return list(cast(Sequence[str], values))
