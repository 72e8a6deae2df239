"""Store verbs of app versions and jobs."""

from __future__ import annotations

from collections.abc import Sequence

from hotmesh import errors
from hotmesh.store.protocol import AppKey, NewJob, Step, StepResult
from hotmesh_redis import calls
from hotmesh_redis.base import RespBase, translated
from hotmesh_redis.keys import ORIGIN_FIELD, TIMER_FIELD_PREFIX
from hotmesh_redis.replies import claimed_messages, lease_lost, text


class JobVerbs(RespBase):
    """Deploy and activate app versions; create, step, read and find jobs."""

    # -- apps -----------------------------------------------------------------

    @translated
    async def save_app_version(
        self, app: AppKey, version: str, document: str, deployed_at: str
    ) -> None:
        keys = self.keys(app)
        args = (
            self.encode(document, f"document of version {version!r}"),
            f"versions/{version}",
            f"deployed:{deployed_at}",
        )
        await self.run_script(
            "save_app_version", (keys.version(version), keys.profile), args
        )

    @translated
    async def load_app_version(self, app: AppKey, version: str) -> str | None:
        value = await self.client.get(self.keys(app).version(version))
        return None if value is None else text(value)

    @translated
    async def activate_app_version(
        self, app: AppKey, version: str, activated_at: str
    ) -> None:
        keys = self.keys(app)
        args = (version, f"versions/{version}", f"activated:{activated_at}")
        done = await self.run_script(
            "activate_app_version", (keys.version(version), keys.profile), args
        )
        if not done:
            raise errors.DeploymentError(
                f"cannot activate version {version!r} of app {app.app_id!r}: "
                "it was never deployed"
            )

    @translated
    async def load_app_profile(self, app: AppKey) -> dict[str, str]:
        profile = await self.client.hgetall(self.keys(app).profile)
        return {text(name): text(value) for name, value in profile.items()}

    # -- jobs -----------------------------------------------------------------

    @translated
    async def create_job(self, app: AppKey, job: NewJob) -> StepResult:
        call = calls.create_job_call(self.keys(app), job, self.max_payload_bytes)
        reply = await self.run_script("create_job", call.keys, call.args)
        code = int(reply[0])
        if code == 1:
            raise lease_lost(job.lease)
        if code == 5:
            raise errors.DuplicateJobError(
                f"job {job.job_id!r} already exists in app {app.app_id!r}",
                job_id=job.job_id,
            )
        claimed = (
            claimed_messages(reply[2:], job.claim) if code == 0 and job.claim else ()
        )
        return StepResult(applied=True, status=int(reply[1]), claimed=claimed)

    @translated
    async def commit_step(self, app: AppKey, step: Step) -> StepResult:
        call = calls.commit_step_call(self.keys(app), step, self.max_payload_bytes)
        reply = await self.run_script("commit_step", call.keys, call.args)
        code = int(reply[0])
        if code == 1:
            raise lease_lost(step.lease)
        if code == 2:
            return StepResult(
                applied=False, status=int(reply[1]), failed_guard=int(reply[2])
            )
        if code == 3:
            raise errors.StoreError(
                f"cannot increment field {text(reply[1])!r} of job {step.job_id!r}: "
                "it holds a value that is not an integer; nothing was written"
            )
        end = 2 + len(step.increments)
        counters = tuple(int(value) for value in reply[2:end])
        claimed = claimed_messages(reply[end:], step.claim) if step.claim else ()
        return StepResult(
            applied=True, status=int(reply[1]), counters=counters, claimed=claimed
        )

    @translated
    async def read_job(self, app: AppKey, job_id: str) -> dict[str, str] | None:
        state = await self.client.hgetall(self.keys(app).job(job_id))
        if not state:
            return None
        fields = {text(name): text(value) for name, value in state.items()}
        fields.pop(ORIGIN_FIELD, None)
        return {
            name: value
            for name, value in fields.items()
            if not name.startswith(TIMER_FIELD_PREFIX)
        }

    @translated
    async def read_job_fields(
        self, app: AppKey, job_id: str, fields: Sequence[str]
    ) -> list[str | None]:
        if not fields:
            return []
        values = await self.client.hmget(self.keys(app).job(job_id), list(fields))
        return [None if value is None else text(value) for value in values]

    @translated
    async def delete_job(self, app: AppKey, job_id: str) -> bool:
        return bool(await self.client.delete(self.keys(app).job(job_id)))

    @translated
    async def job_ttl(self, app: AppKey, job_id: str) -> int | None:
        seconds = int(await self.client.ttl(self.keys(app).job(job_id)))
        return seconds if seconds >= 0 else None

    @translated
    async def read_dependents(self, app: AppKey, job_id: str) -> list[str]:
        entries = await self.client.lrange(self.keys(app).dependents(job_id), 0, -1)
        return [text(entry) for entry in entries]

    @translated
    async def find_jobs(
        self, app: AppKey, pattern: str = "*", limit: int = 1000
    ) -> list[str]:
        keys = self.keys(app)
        names = await self.scan(keys, keys.job_pattern(pattern), limit)
        return [keys.job_id_from_key(name) for name in names]
