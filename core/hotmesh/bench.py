"""The benchmark behind ``hotmesh bench``.

It measures, against one server in one run:

* the floor: a bare ``PING`` round trip through the store's client;
* ``yaml-one`` and ``yaml-chain``: ``pubsub`` latency of a trigger → worker
  job and of a chain of ten workers, one job at a time;
* ``yaml-many``: throughput of many trigger → worker jobs started together;
* ``durable-one``, ``durable-chain`` and ``durable-many``: the same for a
  Durable workflow calling one, or ten sequential, proxied activities.

Store calls are counted at the store layer and reported per job. Every
figure printed is measured in the run that prints it.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from hotmesh.hotmesh import HotMesh
from hotmesh.registry import open_store
from hotmesh.store.protocol import Store

WORKLOADS = (
    "yaml-one",
    "yaml-chain",
    "yaml-many",
    "durable-one",
    "durable-chain",
    "durable-many",
)
CHAIN_LENGTH = 10


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


class CountingStore:
    """Forward every call to a store and count the calls by verb."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.calls: collections.Counter[str] = collections.Counter()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if not callable(target):
            return target

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return target(*args, **kwargs)

        return counted


@dataclass
class Measurement:
    """One workload's latency percentiles (ms), throughput and store calls."""

    workload: str
    count: int
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    per_second: float = 0.0
    store_calls: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(
        cls, workload: str, samples_ms: list[float], elapsed_s: float
    ) -> Measurement:
        cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
        return cls(
            workload,
            len(samples_ms),
            cuts[49],
            cuts[94],
            cuts[98],
            len(samples_ms) / elapsed_s if elapsed_s else 0.0,
        )


def _progress(label: str, done: int, total: int) -> None:
    if sys.stderr.isatty():
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "." * (width - filled)
        print(f"\r{label:14} [{bar}] {done}/{total}", end="", file=sys.stderr)
        if done >= total:
            print(file=sys.stderr)


async def _one_at_a_time(
    label: str, count: int, call: Callable[[], Awaitable[Any]]
) -> tuple[list[float], float]:
    samples = []
    started = time.perf_counter()
    for index in range(count):
        begin = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - begin) * 1000)
        _progress(label, index + 1, count)
    return samples, time.perf_counter() - started


async def _all_at_once(
    label: str, count: int, concurrency: int, call: Callable[[], Awaitable[Any]]
) -> tuple[list[float], float]:
    gate = asyncio.Semaphore(concurrency)
    samples: list[float] = []

    async def one() -> None:
        async with gate:
            begin = time.perf_counter()
            await call()
            samples.append((time.perf_counter() - begin) * 1000)
            _progress(label, len(samples), count)

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    return samples, time.perf_counter() - started


def _increment(message: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"n": int(message["data"].get("n") or 0) + 1}}


@dataclass
class BenchOptions:
    """Workloads and sizes of one ``hotmesh bench`` run."""

    connection: Any = None
    workloads: tuple[str, ...] = WORKLOADS
    samples: int = 200
    jobs: int = 1000
    concurrency: int = 50


async def _measure(
    counter: CountingStore,
    name: str,
    runner: Callable[[], Awaitable[tuple[list[float], float]]],
) -> Measurement:
    counter.calls.clear()
    samples, elapsed = await runner()
    result = Measurement.of(name, samples, elapsed)
    result.store_calls = {
        verb: round(calls / len(samples), 2)
        for verb, calls in sorted(counter.calls.items())
        if verb not in ("read_messages", "reclaim")
    }
    return result


async def _yaml_workloads(options: BenchOptions) -> list[Measurement]:
    store = await open_store(options.connection)
    counter = CountingStore(store)
    hotmesh = await HotMesh.init(
        app_id="bench",
        namespace=f"bench{secrets.token_hex(3)}",
        connection=counter,
        engine={},
        workers=[
            {
                "topic": "bench.work",
                "callback": _increment,
                "concurrency": options.concurrency,
            }
        ],
    )
    results = []
    try:
        await hotmesh.deploy(_chain_model(CHAIN_LENGTH))
        await hotmesh.activate("1", delay=0.1)
        for _ in range(20):
            await hotmesh.pubsub("bench.one", {"n": 0})

        def one() -> Awaitable[Any]:
            return hotmesh.pubsub("bench.one", {"n": 0}, timeout=120)

        def chain() -> Awaitable[Any]:
            return hotmesh.pubsub("bench.chain", {"n": 0}, timeout=120)

        plans = {
            "yaml-one": lambda: _one_at_a_time("yaml-one", options.samples, one),
            "yaml-chain": lambda: _one_at_a_time(
                "yaml-chain", max(options.samples // 4, 10), chain
            ),
            "yaml-many": lambda: _all_at_once(
                "yaml-many", options.jobs, options.concurrency, one
            ),
        }
        for name, plan in plans.items():
            if name in options.workloads:
                results.append(await _measure(counter, name, plan))
    finally:
        await hotmesh.stop()
        await store.close()
    return results


async def _durable_workloads(options: BenchOptions) -> list[Measurement]:
    from hotmesh import _bench_flows
    from hotmesh.durable import Client, Connection, Worker

    store = await open_store(options.connection)
    counter = CountingStore(store)
    connection = Connection(url=counter, activate_delay=0.1)  # type: ignore[arg-type]
    namespace = f"dbench{secrets.token_hex(3)}"
    worker = await Worker.create(
        connection=connection,
        namespace=namespace,
        task_queue="bench",
        workflow=[_bench_flows.bench_one, _bench_flows.bench_chain],
        concurrency=options.concurrency,
    )
    client = Client(connection, namespace=namespace)
    results = []
    try:

        async def run(name: str) -> Any:
            handle = await client.workflow.start(
                workflow_name=name, task_queue="bench", args=[0]
            )
            return await handle.result(timeout=120)

        for _ in range(5):
            await run("bench_one")
        plans = {
            "durable-one": lambda: _one_at_a_time(
                "durable-one", max(options.samples // 2, 10), lambda: run("bench_one")
            ),
            "durable-chain": lambda: _one_at_a_time(
                "durable-chain",
                max(options.samples // 8, 10),
                lambda: run("bench_chain"),
            ),
            "durable-many": lambda: _all_at_once(
                "durable-many",
                options.jobs,
                options.concurrency,
                lambda: run("bench_one"),
            ),
        }
        for name, plan in plans.items():
            if name in options.workloads:
                results.append(await _measure(counter, name, plan))
    finally:
        await worker.shutdown()
        await client.close()
        await store.close()
    return results


async def run_bench(options: BenchOptions) -> dict[str, Any]:
    """Run the chosen workloads and return the measurements."""
    store = await open_store(options.connection)
    try:
        floor_samples, floor_elapsed = await _one_at_a_time(
            "floor", options.samples * 5, store.ping
        )
        info = store.info
    finally:
        await store.close()
    measurements = [Measurement.of("floor", floor_samples, floor_elapsed)]
    if any(name.startswith("yaml") for name in options.workloads):
        measurements += await _yaml_workloads(options)
    if any(name.startswith("durable") for name in options.workloads):
        measurements += await _durable_workloads(options)
    return {
        "server": {"name": info.name, "version": info.version, "url": info.url},
        "measurements": [asdict(item) for item in measurements],
    }


def format_report(result: dict[str, Any]) -> str:
    """Render the measurements as an aligned text table."""
    rows = result["measurements"]
    floor = rows[0]["p50"] or float("nan")
    server = result["server"]
    lines = [
        f"server: {server['name']} {server['version']}",
        f"{'workload':14} {'n':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} "
        f"{'per s':>8} {'x floor':>8}  store calls per job",
    ]
    for row in rows:
        calls = ", ".join(
            f"{verb} {count:g}" for verb, count in row["store_calls"].items()
        )
        lines.append(
            f"{row['workload']:14} {row['count']:6d} {row['p50']:9.3f} "
            f"{row['p95']:9.3f} {row['p99']:9.3f} {row['per_second']:8.0f} "
            f"{row['p50'] / floor:8.1f}  {calls}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark from the command line and print the report."""
    parser = argparse.ArgumentParser(
        prog="hotmesh bench",
        description="Measure engine and Durable latency and throughput on one server.",
    )
    parser.add_argument("url", nargs="?", help="server URL (default: configured)")
    parser.add_argument(
        "--workload",
        action="append",
        choices=WORKLOADS,
        help="workload to run; repeat for several (default: all)",
    )
    parser.add_argument(
        "--samples", type=int, default=200, help="jobs timed one at a time"
    )
    parser.add_argument(
        "--jobs", type=int, default=1000, help="jobs started together for -many"
    )
    parser.add_argument(
        "--concurrency", type=int, default=50, help="jobs in flight at once"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    options = BenchOptions(
        connection=args.url,
        workloads=tuple(args.workload or WORKLOADS),
        samples=args.samples,
        jobs=args.jobs,
        concurrency=args.concurrency,
    )
    result = asyncio.run(run_bench(options))
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    return 0
