"""The benchmark behind ``hotmesh bench``.

It measures, against one server in one run:

* the floor: a bare ``PING`` round trip through the store's client;
* ``pubsub`` latency percentiles of a trigger → worker app and of a chain
  of ten workers, one job at a time;
* throughput of many jobs of the trigger → worker app started together.

Every figure printed is measured in the run that prints it.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from hotmesh.hotmesh import HotMesh
from hotmesh.registry import open_store


def _chain_model(length: int) -> str:
    lines = [
        "app:",
        "  id: bench",
        "  version: '1'",
        "  graphs:",
        "    - subscribes: bench.one",
        "      activities:",
        "        t1: {type: trigger}",
        "        w1:",
        "          type: worker",
        "          topic: bench.work",
        "          input: {maps: {n: '{t1.output.data.n}'}}",
        "          job: {maps: {n: '{$self.output.data.n}'}}",
        "      transitions:",
        "        t1: [{to: w1}]",
        "    - subscribes: bench.chain",
        "      activities:",
        "        c0: {type: trigger}",
    ]
    for index in range(1, length + 1):
        source = "c0" if index == 1 else f"c{index - 1}"
        lines += [
            f"        c{index}:",
            "          type: worker",
            "          topic: bench.work",
            f"          input: {{maps: {{n: '{{{source}.output.data.n}}'}}}}",
            "          job: {maps: {n: '{$self.output.data.n}'}}",
        ]
    lines.append("      transitions:")
    for index in range(1, length + 1):
        lines.append(f"        c{index - 1}: [{{to: c{index}}}]")
    return "\n".join(lines) + "\n"


@dataclass
class Percentiles:
    """Latency percentiles in milliseconds."""

    p50: float
    p95: float
    p99: float
    count: int

    @classmethod
    def of(cls, samples_ms: list[float]) -> Percentiles:
        cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
        return cls(cuts[49], cuts[94], cuts[98], len(samples_ms))


async def _time_each(count: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _increment(message: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"n": int(message["data"].get("n") or 0) + 1}}


async def run_bench(
    connection: Any = None,
    *,
    jobs: int = 1000,
    samples: int = 200,
    concurrency: int = 50,
    workers: int = 10,
) -> dict[str, Any]:
    """Run every workload and return the measurements."""
    store = await open_store(connection)
    try:
        floor = await _time_each(samples * 5, store.ping)
    finally:
        await store.close()
    hotmesh = await HotMesh.init(
        app_id="bench",
        namespace=f"bench{secrets.token_hex(3)}",
        connection=connection,
        engine={"block_ms": 1000},
        workers=[
            {"topic": "bench.work", "callback": _increment, "concurrency": concurrency}
        ],
    )
    try:
        await hotmesh.deploy(_chain_model(workers))
        await hotmesh.activate("1", delay=0.1)
        one = await _time_each(samples, lambda: hotmesh.pubsub("bench.one", {"n": 0}))
        chain = await _time_each(
            max(samples // 4, 10), lambda: hotmesh.pubsub("bench.chain", {"n": 0})
        )
        started = time.perf_counter()
        gate = asyncio.Semaphore(concurrency)

        async def one_job() -> None:
            async with gate:
                await hotmesh.pubsub("bench.one", {"n": 0}, timeout=120)

        await asyncio.gather(*(one_job() for _ in range(jobs)))
        elapsed = time.perf_counter() - started
    finally:
        await hotmesh.stop()
    return {
        "floor": Percentiles.of(floor),
        "trigger_worker": Percentiles.of(one),
        "chain": Percentiles.of(chain),
        "chain_length": workers,
        "jobs": jobs,
        "elapsed_s": elapsed,
        "jobs_per_s": jobs / elapsed,
        # trigger → worker is 3 engine steps and 1 worker step.
        "steps_per_s": jobs * 4 / elapsed,
    }


def format_report(result: dict[str, Any]) -> str:
    """Render the measurements as an aligned text table."""
    floor: Percentiles = result["floor"]
    rows = [
        ("store round trip (PING)", floor),
        ("pubsub trigger → worker", result["trigger_worker"]),
        (f"pubsub chain of {result['chain_length']} workers", result["chain"]),
    ]
    lines = [
        f"{'workload':40} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'x floor':>8}"
    ]
    for name, cut in rows:
        ratio = cut.p50 / floor.p50 if floor.p50 else float("nan")
        lines.append(
            f"{name:40} {cut.p50:9.3f} {cut.p95:9.3f} {cut.p99:9.3f} {ratio:8.1f}"
        )
    lines.append(
        f"throughput: {result['jobs']} trigger → worker jobs in "
        f"{result['elapsed_s']:.2f}s = {result['jobs_per_s']:.0f} jobs/s, "
        f"{result['steps_per_s']:.0f} steps/s"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark from the command line and print the report."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="hotmesh bench",
        description="Measure engine latency and throughput against one server.",
    )
    parser.add_argument("url", nargs="?", help="server URL (default: configured)")
    parser.add_argument(
        "--jobs", type=int, default=1000, help="jobs in the throughput run"
    )
    parser.add_argument(
        "--samples", type=int, default=200, help="jobs timed one at a time"
    )
    parser.add_argument(
        "--concurrency", type=int, default=50, help="jobs in flight at once"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    result = asyncio.run(
        run_bench(
            args.url, jobs=args.jobs, samples=args.samples, concurrency=args.concurrency
        )
    )
    print(format_report(result))
    return 0
