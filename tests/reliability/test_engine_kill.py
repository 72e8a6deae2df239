"""An engine process killed in the middle of a step: the step applies once.

The engine process blocks every step of one kind, before or after its
commit, and dies with SIGKILL. An engine in the test process reclaims what
it left pending and finishes the jobs. Each job's worker callback, the side
effect of the step that sends the request, runs once, and each job's
transitions apply once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.reliability import _journal
from tests.reliability._engine_process import APP_ID, WORK_TOPIC
from tests.reliability._support import Processes, wait_for
from tests.reliability.conftest import MeshFactory

pytestmark = pytest.mark.timeout(90)

JOBS = 5


@pytest.mark.parametrize("moment", ["before", "after"])
@pytest.mark.parametrize("leg", ["request", "response"])
async def test_killed_engine_step_applies_once(
    backend_url: str,
    namespace: str,
    meshes: MeshFactory,
    processes: Processes,
    journal: Path,
    leg: str,
    moment: str,
) -> None:
    def answer(message: dict[str, Any]) -> dict[str, Any]:
        _journal.record(journal, "work", str(message["metadata"]["jid"]))
        return {"data": {"answer": message["data"]["n"] * 10}}

    worker = {"topic": WORK_TOPIC, "callback": answer, "concurrency": JOBS}
    if leg == "response":
        # The worker must respond while the engine process still runs.
        await meshes(APP_ID, [worker], engine=False)
    engine = processes.start(
        "_engine_process.py",
        backend_url,
        namespace,
        str(journal),
        leg,
        moment,
        str(JOBS),
    )
    assert await processes.read_line(engine) == "ready"
    job_ids = [
        line["name"] for line in _journal.read(journal) if line["event"] == "job"
    ]

    async def all_blocked() -> bool:
        return _journal.counts(journal, "commit").total() == JOBS

    await wait_for(all_blocked, timeout=30, condition=f"every {leg} step blocked")
    processes.kill(engine)
    mesh = await meshes(APP_ID, [] if leg == "response" else [worker])

    async def all_finished() -> bool:
        statuses = [await mesh.get_status(job_id) for job_id in job_ids]
        return statuses == [0] * JOBS

    await wait_for(all_finished, timeout=30, condition="every job finished")
    work = _journal.counts(journal, "work")
    for index, job_id in enumerate(job_ids):
        state = await mesh.get_state("steps.start", job_id)
        assert state["data"] == {"answer": index * 10, "after": index * 10}
        assert work[job_id] == 1
        fields = await mesh.get_raw(job_id)
        # One trigger, one worker activity, one hook: three activity records.
        records = {name.split("/")[1] for name in fields if name.endswith("/m")}
        assert records == {"t1", "a1", "a2"}
