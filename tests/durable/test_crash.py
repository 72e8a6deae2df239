"""A worker killed mid-workflow loses nothing: another worker finishes it.

The worker runs in a subprocess killed with SIGKILL while the workflow runs
an activity, sleeps, or waits for a signal. A worker in the test process
then finishes the workflow. Only the activity that was running when the
process died runs again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from hotmesh.durable import Client
from hotmesh.durable._app import require_store
from tests.durable import _crash
from tests.durable.conftest import Durable
from tests.durable.test_scenarios import send_signal
from tests.engine.conftest import wait_for

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]


def journal_counts(journal: Path) -> Counter[str]:
    if not journal.exists():
        return Counter()
    return Counter(line.split()[1] for line in journal.read_text().splitlines())


def journal_pids(journal: Path, name: str) -> list[str]:
    lines = journal.read_text().splitlines()
    return [line.split()[0] for line in lines if line.split()[1] == name]


async def has_field(client: Client, job_id: str, field: str) -> bool:
    mesh = await client.mesh()
    fields = await require_store(mesh).read_job_fields(mesh.app, job_id, [field])
    return fields[0] is not None


def start_worker_process(
    url: str, namespace: str, stall: str
) -> subprocess.Popen[bytes]:
    script = Path(__file__).with_name("_worker_process.py")
    env = {**os.environ, "PYTHONPATH": str(ROOT), _crash.STALL_VARIABLE: stall}
    return subprocess.Popen([sys.executable, str(script), url, namespace], env=env)


def kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


@pytest.mark.parametrize("moment", ["activity", "sleep", "signal"])
async def test_killed_worker_loses_nothing(
    durable: Durable, backend_url: str, tmp_path: Path, moment: str
) -> None:
    journal = tmp_path / "journal.txt"
    client = durable.client()
    await client.mesh()
    process = start_worker_process(
        backend_url, durable.namespace, "two" if moment == "activity" else ""
    )
    try:
        handle = await client.workflow.start(
            workflow_name="journey", task_queue="crash", args=[str(journal)]
        )
        # The job and field that exist once the workflow reached the moment:
        # activity "two" runs, the sleep started, the signal wait started.
        job, field = {
            "activity": (handle.workflow_id, "-proxy-1-"),
            "sleep": (handle.workflow_id, "-proxy-2-"),
            "signal": (f"{handle.workflow_id}-$collate-5", ":"),
        }[moment]

        async def reached() -> bool:
            recorded = await has_field(client, job, field)
            return recorded and journal_counts(journal)["two"] > 0

        await wait_for(reached, timeout=30, interval=0.05)
        kill(process)
    finally:
        kill(process)
    assert await handle.status() > 0

    if moment == "signal":
        # The signal arrives while no worker runs; the engine keeps it.
        await send_signal(client, f"{handle.workflow_id}-go", "go")
    await durable.worker(
        task_queue="crash", workflow=_crash.journey, reclaim_delay_ms=1000
    )
    if moment != "signal":
        await send_signal(client, f"{handle.workflow_id}-go", "go")
    result = await handle.result(timeout=60)

    assert result == ["ONE", "TWO", "SLEPT", "go", "THREE"]
    counts = journal_counts(journal)
    assert counts["one"] == 1
    assert counts["two"] == (2 if moment == "activity" else 1)
    assert counts["slept"] == 1
    assert counts["three"] == 1
    if moment == "activity":
        killed, finished = journal_pids(journal, "two")
        assert killed == str(process.pid)
        assert finished == str(os.getpid())
