"""An engine process that stops in the middle of one kind of step.

Usage: ``python _engine_process.py URL NAMESPACE JOURNAL LEG MOMENT JOBS``.
It deploys :data:`MODEL`, starts ``JOBS`` jobs, journals each job id as a
``job`` event, prints ``ready`` and processes the engine stream. When it
applies the ``LEG`` step of activity ``a1``, it journals a ``commit``
event and then blocks that step for an hour, either ``before`` the step's
commit reaches the server or ``after`` it returned. ``LEG`` is ``request``
for the transition that sends the worker request, or ``response`` for the
step that takes the worker's response.
The test kills the process while the steps are blocked.
"""

from __future__ import annotations

import asyncio
import sys

from hotmesh import HotMesh
from hotmesh.store.protocol import AppKey, Step, StepResult
from tests.reliability import _journal
from tests.reliability._support import ENGINE

MODEL = """
app:
  id: steps
  version: '1'
  graphs:
    - subscribes: steps.start
      expire: 120
      activities:
        t1:
          type: trigger
        a1:
          type: worker
          topic: steps.work
          input:
            maps:
              n: '{t1.output.data.n}'
          job:
            maps:
              answer: '{$self.output.data.answer}'
        a2:
          type: hook
          job:
            maps:
              after: '{a1.output.data.answer}'
      transitions:
        t1:
          - to: a1
        a1:
          - to: a2
"""

APP_ID = "steps"
WORK_TOPIC = "steps.work"
HOUR = 3600


def is_target(step: Step, leg: str) -> bool:
    """Return whether a step is the ``leg`` step of activity ``a1``."""
    if not any(name.startswith("a/a1/") for name in step.fields):
        return False
    requests = any(message.topic == WORK_TOPIC for message in step.messages)
    return requests if leg == "request" else not requests


async def main(
    url: str, namespace: str, journal: str, leg: str, moment: str, jobs: str
) -> None:
    hotmesh = await HotMesh.init(
        app_id=APP_ID, namespace=namespace, connection=url, engine=dict(ENGINE)
    )
    store = hotmesh.store
    assert store is not None
    commit = store.commit_step

    async def commit_step(app: AppKey, step: Step) -> StepResult:
        if not is_target(step, leg):
            return await commit(app, step)
        if moment == "before":
            _journal.record(journal, "commit", step.job_id)
            await asyncio.sleep(HOUR)
        result = await commit(app, step)
        _journal.record(journal, "commit", step.job_id)
        await asyncio.sleep(HOUR)
        return result

    store.commit_step = commit_step  # type: ignore[method-assign]
    await hotmesh.deploy(MODEL)
    await hotmesh.activate("1", delay=0.05)
    for index in range(int(jobs)):
        job_id = await hotmesh.pub("steps.start", {"n": index})
        _journal.record(journal, "job", job_id)
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:7]))
