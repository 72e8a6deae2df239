"""Test-only inspection of the store (:class:`hotmesh.testing.StoreInspection`)."""

from __future__ import annotations

from hotmesh import errors
from hotmesh.store.protocol import AppKey
from hotmesh_redis.base import RespBase, translated

_DELETE_BATCH = 500
"""Keys deleted per DEL command when purging an app."""


class InspectionVerbs(RespBase):
    """Hidden state of the store, for the conformance suite."""

    @translated
    async def list_app_keys(self, app: AppKey) -> list[str]:
        """Return the names of every key of an app that exists."""
        keys = self.keys(app)
        return await self.scan(keys, keys.all_keys_pattern)

    async def job_owned_keys(self, app: AppKey, job_id: str) -> list[str]:
        """Return the names of the keys holding a job's state."""
        keys = self.keys(app)
        return [keys.job(job_id), keys.dependents(job_id)]

    @translated
    async def key_ttl_ms(self, key: str) -> int | None:
        """Return the milliseconds until a key expires, or None if it does not."""
        milliseconds = int(await self.client.pttl(key))
        return milliseconds if milliseconds >= 0 else None

    @translated
    async def purge_app(self, app: AppKey) -> int:
        """Delete every key of an app. Return how many were deleted."""
        names = await self.list_app_keys(app)
        deleted = 0
        for start in range(0, len(names), _DELETE_BATCH):
            deleted += int(
                await self.client.delete(*names[start : start + _DELETE_BATCH])
            )
        return deleted

    @translated
    async def flush_scripts(self) -> None:
        """Empty the server's script cache (``SCRIPT FLUSH``).

        Raises ``UnsupportedOperationError`` when the server rejects the
        command.
        """
        try:
            await self.client.script_flush()
        except self.flavor.errors.base as exc:
            if isinstance(exc, self.flavor.errors.connection):
                raise
            raise errors.UnsupportedOperationError(
                f"{self._info.name} rejected SCRIPT FLUSH: {exc}"
            ) from exc
