"""The benchmark behind ``hotmesh bench``.

It measures, against one server in one run:

* the floor: a bare ``PING`` round trip through the store's client;
* ``yaml-one`` and ``yaml-chain``: ``pubsub`` latency of a trigger → worker
  job and of a chain of ten workers, one job at a time;
* ``yaml-many``: throughput of many trigger → worker jobs started together;
* ``durable-one``, ``durable-chain`` and ``durable-many``: the same for a
  Durable workflow calling one, or ten sequential, proxied activities;
* ``yaml-many-1p``, ``yaml-many-2p``, ``durable-many-1p`` and
  ``durable-many-2p``: the ``-many`` workloads with their workers in one or
  two worker processes (:mod:`hotmesh._bench_flows`), and the ratio of the
  two throughputs;
* ``pluck-hit``: latency of a Pluck ``exec`` answered from its record cache;
* ``memory``: this process's RSS and the server's ``used_memory`` and key
  count before, after many finished jobs and after those jobs expire. It
  runs only when named.

Store calls are counted at the store layer and reported per job. Every
figure printed is measured in the run that prints it.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import collections
import gc
import json
import os
import resource
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from hotmesh import _bench_flows
from hotmesh.hotmesh import HotMesh
from hotmesh.registry import open_store
from hotmesh.store.protocol import Store

WORKLOADS = (
    "yaml-one",
    "yaml-chain",
    "yaml-many",
    "yaml-many-1p",
    "yaml-many-2p",
    "durable-one",
    "durable-chain",
    "durable-many",
    "durable-many-1p",
    "durable-many-2p",
    "pluck-hit",
    "memory",
)
DEFAULT_WORKLOADS = tuple(name for name in WORKLOADS if name != "memory")
"""Workloads of a run that names none: all but ``memory``, which takes
minutes at its default size."""

CHAIN_LENGTH = 10
MEMORY_JOBS = 100_000
MEMORY_WAIT_SECONDS = 60.0
MEMORY_TOLERANCE = 0.10
"""Fraction by which a reading after expiry may exceed the one before."""

JOB_EXPIRE_SECONDS = 1
"""Seconds a finished job of the YAML model stays on the server."""

MIN_TIMED = 2
"""Fewest timed calls of a workload: its percentiles need two."""

SAMPLE_SHARES = {
    "floor": (5, 1),
    "pluck-hit": (5, 1),
    "yaml-one": (1, 1),
    "durable-one": (1, 2),
    "yaml-chain": (1, 4),
    "durable-chain": (1, 8),
}
"""Multiplier and divisor of ``--samples`` for each workload timed one
call at a time."""

MIN_DIVIDED_SAMPLES = 10
"""Fewest calls of a workload whose share of ``--samples`` is a fraction."""

MANY_WORKLOADS = tuple(name for name in WORKLOADS if "-many" in name)
"""Workloads that start ``--jobs`` jobs together."""


def sample_count(workload: str, samples: int) -> int:
    """Return how many calls a one-at-a-time workload times for ``--samples``."""
    multiplier, divisor = SAMPLE_SHARES[workload]
    count = samples * multiplier // divisor
    return count if divisor == 1 else max(count, MIN_DIVIDED_SAMPLES)


def _chain_model(length: int) -> str:
    lines = [
        "app:",
        "  id: bench",
        "  version: '1'",
        "  graphs:",
        "    - subscribes: bench.one",
        f"      expire: {JOB_EXPIRE_SECONDS}",
        "      activities:",
        "        t1: {type: trigger}",
        "        w1:",
        "          type: worker",
        f"          topic: {_bench_flows.WORKER_TOPIC}",
        "          input: {maps: {n: '{t1.output.data.n}'}}",
        "          job: {maps: {n: '{$self.output.data.n}'}}",
        "      transitions:",
        "        t1: [{to: w1}]",
        "    - subscribes: bench.chain",
        f"      expire: {JOB_EXPIRE_SECONDS}",
        "      activities:",
        "        c0: {type: trigger}",
    ]
    for index in range(1, length + 1):
        source = "c0" if index == 1 else f"c{index - 1}"
        lines += [
            f"        c{index}:",
            "          type: worker",
            f"          topic: {_bench_flows.WORKER_TOPIC}",
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
        cls, workload: str, samples_ms: Sequence[float], elapsed_s: float
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


_PROGRESS_INTERVAL = 0.1
"""Seconds between redraws of the progress bar."""

_progress_drawn_at = 0.0


def _progress(label: str, done: int, total: int) -> None:
    """Draw a progress bar on standard error when it is a terminal."""
    global _progress_drawn_at
    if not sys.stderr.isatty():
        return
    now = time.monotonic()
    finished = done >= total
    if not finished and done > 1 and now - _progress_drawn_at < _PROGRESS_INTERVAL:
        return
    _progress_drawn_at = now
    width = 30
    filled = width * done // max(total, 1)
    bar = "#" * filled + "." * (width - filled)
    print(f"\r{label:16} [{bar}] {done}/{total}", end="", file=sys.stderr)
    if finished:
        print(file=sys.stderr)


Samples = tuple[Sequence[float], float]
"""Latencies in milliseconds and the elapsed seconds of a timed run."""


async def _one_at_a_time(
    label: str, count: int, call: Callable[[], Awaitable[Any]]
) -> Samples:
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
) -> Samples:
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


async def _in_lanes(
    label: str, count: int, concurrency: int, call: Callable[[], Awaitable[Any]]
) -> Samples:
    """Run ``count`` calls, ``concurrency`` at a time, from that many tasks.

    Unlike :func:`_all_at_once` it creates no coroutine per call up front,
    and keeps the latencies in an array of doubles, so a run of 100,000
    jobs adds little memory of its own to the process it measures.
    """
    samples = array.array("d")
    started = time.perf_counter()
    remaining = count

    async def lane() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            begin = time.perf_counter()
            await call()
            samples.append((time.perf_counter() - begin) * 1000)
            _progress(label, len(samples), count)

    await asyncio.gather(*(lane() for _ in range(min(concurrency, count))))
    return samples, time.perf_counter() - started


EVENT_LOOPS = ("asyncio", "uvloop")
"""Event loops the timed process can run on."""


@dataclass
class BenchOptions:
    """Workloads and sizes of one ``hotmesh bench`` run."""

    connection: Any = None
    workloads: tuple[str, ...] = DEFAULT_WORKLOADS
    samples: int = 200
    jobs: int = 1000
    concurrency: int = 50
    memory_jobs: int = MEMORY_JOBS
    memory_wait: float = MEMORY_WAIT_SECONDS
    loop: str = "asyncio"


_UNCOUNTED_VERBS = ("read_messages", "reclaim")
"""Verbs left out of store calls per job: consumer loops poll with them
whether or not jobs run."""


async def _measure(
    counter: CountingStore,
    name: str,
    runner: Callable[[], Awaitable[Samples]],
    workers: _bench_flows.WorkerProcesses | None = None,
) -> Measurement:
    counter.calls.clear()
    if workers is not None:
        await workers.reset_counts()
    samples, elapsed = await runner()
    calls = collections.Counter(counter.calls)
    if workers is not None:
        calls.update(await workers.read_counts())
    result = Measurement.of(name, samples, elapsed)
    result.store_calls = {
        verb: round(count / len(samples), 2)
        for verb, count in sorted(calls.items())
        if verb not in _UNCOUNTED_VERBS
    }
    return result


def _process_count(workload: str) -> int:
    """Return the worker processes a ``-Np`` workload runs (0 for others)."""
    suffix = workload.rsplit("-", 1)[-1]
    if suffix.endswith("p") and suffix[:-1].isdigit():
        return int(suffix[:-1])
    return 0


# -- YAML workloads ---------------------------------------------------------------


async def _open_yaml(
    options: BenchOptions, *, with_worker: bool
) -> tuple[Store, CountingStore, HotMesh]:
    store = await open_store(options.connection)
    counter = CountingStore(store)
    workers = []
    if with_worker:
        workers.append(
            {
                "topic": _bench_flows.WORKER_TOPIC,
                "callback": _bench_flows.increment,
                "concurrency": options.concurrency,
            }
        )
    try:
        hotmesh = await HotMesh.init(
            app_id="bench",
            namespace=f"bench{secrets.token_hex(3)}",
            connection=counter,
            engine={},
            workers=workers,
        )
    except BaseException:
        await store.close()
        raise
    try:
        await hotmesh.deploy(_chain_model(CHAIN_LENGTH))
        await hotmesh.activate("1", delay=0.1)
    except BaseException:
        await hotmesh.stop()
        await store.close()
        raise
    return store, counter, hotmesh


def _start_one(hotmesh: HotMesh) -> Callable[[], Awaitable[Any]]:
    def one() -> Awaitable[Any]:
        return hotmesh.pubsub("bench.one", {"n": 0}, timeout=120)

    return one


async def _yaml_workloads(options: BenchOptions) -> list[Measurement]:
    store, counter, hotmesh = await _open_yaml(options, with_worker=True)
    results = []
    try:
        one = _start_one(hotmesh)
        for _ in range(20):
            await one()

        def chain() -> Awaitable[Any]:
            return hotmesh.pubsub("bench.chain", {"n": 0}, timeout=120)

        plans = {
            "yaml-one": lambda: _one_at_a_time(
                "yaml-one", sample_count("yaml-one", options.samples), one
            ),
            "yaml-chain": lambda: _one_at_a_time(
                "yaml-chain", sample_count("yaml-chain", options.samples), chain
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


async def _yaml_many_in_processes(options: BenchOptions, name: str) -> Measurement:
    """Time ``yaml-many`` with its worker in separate processes.

    This process runs the engine and the caller; the worker processes
    serve the worker topic.
    """
    store, counter, hotmesh = await _open_yaml(options, with_worker=False)
    try:
        count = _process_count(name)
        async with _bench_flows.worker_processes(
            "yaml",
            count,
            hotmesh.namespace,
            options.concurrency,
            options.connection,
            store,
        ) as workers:
            one = _start_one(hotmesh)
            for _ in range(20):
                await one()
            return await _measure(
                counter,
                name,
                lambda: _all_at_once(name, options.jobs, options.concurrency, one),
                workers,
            )
    finally:
        await hotmesh.stop()
        await store.close()


# -- Durable workloads ------------------------------------------------------------


async def _durable_workloads(options: BenchOptions) -> list[Measurement]:
    from hotmesh.durable import Client, Connection, Worker

    store = await open_store(options.connection)
    counter = CountingStore(store)
    connection = Connection(url=counter, activate_delay=0.1)  # type: ignore[arg-type]
    namespace = f"dbench{secrets.token_hex(3)}"
    worker = await Worker.create(
        connection=connection,
        namespace=namespace,
        task_queue=_bench_flows.TASK_QUEUE,
        workflow=_bench_flows.DURABLE_WORKFLOWS,
        concurrency=options.concurrency,
    )
    client = Client(connection, namespace=namespace)
    results = []
    try:
        run = _durable_runner(client)
        for _ in range(5):
            await run("bench_one")
        plans = {
            "durable-one": lambda: _one_at_a_time(
                "durable-one",
                sample_count("durable-one", options.samples),
                lambda: run("bench_one"),
            ),
            "durable-chain": lambda: _one_at_a_time(
                "durable-chain",
                sample_count("durable-chain", options.samples),
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


def _durable_runner(client: Any) -> Callable[[str], Awaitable[Any]]:
    async def run(name: str) -> Any:
        handle = await client.workflow.start(
            workflow_name=name, task_queue=_bench_flows.TASK_QUEUE, args=[0]
        )
        return await handle.result(timeout=120)

    return run


async def _durable_many_in_processes(options: BenchOptions, name: str) -> Measurement:
    """Time ``durable-many`` with its Durable worker in separate processes.

    This process runs the caller and the client's engine; each worker
    process runs a Durable worker, which has an engine of its own.
    """
    from hotmesh.durable import Client, Connection

    store = await open_store(options.connection)
    counter = CountingStore(store)
    connection = Connection(url=counter, activate_delay=0.1)  # type: ignore[arg-type]
    namespace = f"dbench{secrets.token_hex(3)}"
    client = Client(connection, namespace=namespace)
    try:
        await client.mesh()
        count = _process_count(name)
        async with _bench_flows.worker_processes(
            "durable", count, namespace, options.concurrency, options.connection, store
        ) as workers:
            run = _durable_runner(client)
            for _ in range(5):
                await run("bench_one")
            return await _measure(
                counter,
                name,
                lambda: _all_at_once(
                    name, options.jobs, options.concurrency, lambda: run("bench_one")
                ),
                workers,
            )
    finally:
        await client.close()
        await store.close()


# -- Pluck ----------------------------------------------------------------------


async def _pluck_hit(options: BenchOptions) -> Measurement:
    """Time ``exec`` calls that return the record cache's stored response.

    Raises:
        RuntimeError: The function ran again during the timed calls, so
            they were not all cache hits.
    """
    from hotmesh.durable import Connection
    from hotmesh.pluck import Pluck

    store = await open_store(options.connection)
    counter = CountingStore(store)
    connection = Connection(url=counter, activate_delay=0.1)  # type: ignore[arg-type]
    pluck = Pluck(connection, namespace=f"pbench{secrets.token_hex(3)}")
    value = f"hit{secrets.token_hex(4)}"
    exec_options: Any = {"id": value, "ttl": "1 hour"}
    try:
        await pluck.connect(entity="bench-echo", target=_bench_flows.pluck_echo)

        def hit() -> Awaitable[Any]:
            return pluck.exec(entity="bench-echo", args=[value], options=exec_options)

        if await hit() != value:
            raise RuntimeError("the Pluck function returned a wrong response")
        for _ in range(20):
            await hit()
        count = sample_count("pluck-hit", options.samples)
        result = await _measure(
            counter, "pluck-hit", lambda: _one_at_a_time("pluck-hit", count, hit)
        )
        runs = _bench_flows.pluck_runs[value]
        if runs != 1:
            raise RuntimeError(
                f"the cached Pluck function ran {runs} times instead of once, "
                "so the timed calls were not all cache hits"
            )
        await pluck.flush("bench-echo", value)
    finally:
        await pluck.shutdown()
        await store.close()
    return result


# -- memory ---------------------------------------------------------------------


@dataclass
class MemoryReading:
    """Process and server memory at one moment."""

    rss_bytes: int | None
    used_memory_bytes: int | None
    """The server's ``used_memory`` (INFO memory), summed over a cluster's
    nodes; None when the server has no INFO command."""
    keys: int | None
    """The server's key count (DBSIZE), summed over a cluster's nodes."""


METRICS = ("rss_bytes", "used_memory_bytes", "keys")


def _rss_bytes() -> tuple[int | None, str]:
    """Return this process's resident memory in bytes and where it was read.

    Linux reports the current size in ``/proc/self/statm``; elsewhere the
    peak size from ``getrusage`` is the closest figure, and it never drops.
    """
    try:
        with open("/proc/self/statm") as statm:
            resident_pages = int(statm.read().split()[1])
        return resident_pages * os.sysconf("SC_PAGE_SIZE"), "/proc/self/statm"
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        scale = 1 if sys.platform == "darwin" else 1024
        return peak * scale, "getrusage ru_maxrss (peak)"


async def _server_memory(store: Store) -> tuple[int | None, int | None]:
    """Return the server's ``used_memory`` and key count, or None for each
    figure the server does not report."""
    client = getattr(store, "client", None)
    if client is None:
        return None, None
    nodes: Iterable[Any] = [None]
    if hasattr(client, "get_nodes"):
        nodes = client.get_nodes()
    used: int | None = 0
    keys: int | None = 0
    for node in nodes:
        target = {} if node is None else {"target_nodes": node}
        try:
            info = await client.execute_command("INFO", "memory", **target)
            used = None if used is None else used + int(info["used_memory"])
        except Exception:
            # fakeredis has no INFO command, and other servers may hide it.
            used = None
        try:
            size = await client.execute_command("DBSIZE", **target)
            keys = None if keys is None else keys + int(size)
        except Exception:
            keys = None
    return used, keys


async def _read_memory(store: Store) -> MemoryReading:
    gc.collect()
    rss, _ = _rss_bytes()
    used, keys = await _server_memory(store)
    return MemoryReading(rss, used, keys)


def _within(after: int | None, before: int | None) -> bool | None:
    if after is None or before is None:
        return None
    return after <= before * (1 + MEMORY_TOLERANCE)


def _memory_settled(after: MemoryReading, before: MemoryReading) -> bool:
    """Return whether the server is back to its size before the jobs."""
    keys_back = after.keys is None or before.keys is None or after.keys <= before.keys
    memory_back = _within(after.used_memory_bytes, before.used_memory_bytes)
    return keys_back and memory_back is not False


async def _wait_for_expiry(
    store: Store, before: MemoryReading, limit: float
) -> tuple[MemoryReading, float]:
    """Poll the server once a second until the finished jobs are gone.

    Returns the last reading and the seconds waited. Polling stops when the
    key count and ``used_memory`` are back to their readings before the
    jobs, or after ``limit`` seconds, whichever comes first.
    """
    started = time.monotonic()
    await asyncio.sleep(JOB_EXPIRE_SECONDS)
    while True:
        reading = await _read_memory(store)
        waited = time.monotonic() - started
        _progress("memory expiry", min(int(waited), int(limit)), int(limit))
        if _memory_settled(reading, before) or waited >= limit:
            _progress("memory expiry", int(limit), int(limit))
            return reading, waited
        await asyncio.sleep(1.0)


async def _memory(options: BenchOptions) -> tuple[Measurement, dict[str, Any]]:
    """Run many one-step jobs and read memory before, after and after expiry."""
    store, counter, hotmesh = await _open_yaml(options, with_worker=True)
    try:
        one = _start_one(hotmesh)
        # Warm-up jobs load code and fill caches; "before" is read once
        # they have expired too.
        deployed = await _read_memory(store)
        await _in_lanes("memory warm-up", 200, options.concurrency, one)
        await _wait_for_expiry(store, deployed, 15.0)
        before = await _read_memory(store)
        result = await _measure(
            counter,
            "memory",
            lambda: _in_lanes("memory", options.memory_jobs, options.concurrency, one),
        )
        after_jobs = await _read_memory(store)
        after_expiry, waited = await _wait_for_expiry(
            store, before, options.memory_wait
        )
    finally:
        await hotmesh.stop()
        await store.close()
    readings = {
        "before": before,
        "after_jobs": after_jobs,
        "after_expiry": after_expiry,
    }
    report: dict[str, Any] = {
        "jobs": options.memory_jobs,
        "expire_seconds": JOB_EXPIRE_SECONDS,
        "expiry_wait_seconds": round(waited, 1),
        "rss_source": _rss_bytes()[1],
        "tolerance_percent": MEMORY_TOLERANCE * 100,
    }
    for metric in METRICS:
        values = {moment: getattr(item, metric) for moment, item in readings.items()}
        before_value = values["before"]
        report[metric] = {
            **values,
            "after_jobs_change_percent": _percent(values["after_jobs"], before_value),
            "after_expiry_change_percent": _percent(
                values["after_expiry"], before_value
            ),
            "back_within_tolerance": _within(values["after_expiry"], before_value),
        }
    return result, report


def _percent(value: int | None, base: int | None) -> float | None:
    if value is None or not base:
        return None
    return round((value - base) / base * 100, 1)


# -- the run and its report -----------------------------------------------------------


async def run_bench(options: BenchOptions) -> dict[str, Any]:
    """Run the chosen workloads and return the measurements."""
    store = await open_store(options.connection)
    try:
        floor_samples, floor_elapsed = await _one_at_a_time(
            "floor", sample_count("floor", options.samples), store.ping
        )
        info = store.info
    finally:
        await store.close()
    chosen = options.workloads
    measurements = [Measurement.of("floor", floor_samples, floor_elapsed)]
    if {"yaml-one", "yaml-chain", "yaml-many"} & set(chosen):
        measurements += await _yaml_workloads(options)
    for name in ("yaml-many-1p", "yaml-many-2p"):
        if name in chosen:
            measurements.append(await _yaml_many_in_processes(options, name))
    if {"durable-one", "durable-chain", "durable-many"} & set(chosen):
        measurements += await _durable_workloads(options)
    for name in ("durable-many-1p", "durable-many-2p"):
        if name in chosen:
            measurements.append(await _durable_many_in_processes(options, name))
    if "pluck-hit" in chosen:
        measurements.append(await _pluck_hit(options))
    memory = None
    if "memory" in chosen:
        row, memory = await _memory(options)
        measurements.append(row)
    return {
        "server": {"name": info.name, "version": info.version, "url": info.url},
        "loop": options.loop,
        "measurements": [asdict(item) for item in measurements],
        "scaling": _scaling(measurements),
        "memory": memory,
    }


def _scaling(measurements: list[Measurement]) -> list[dict[str, Any]]:
    """Return the 2-process / 1-process throughput ratio of each ``-many``."""
    by_name = {item.workload: item for item in measurements}
    ratios = []
    for base in ("yaml-many", "durable-many"):
        one = by_name.get(f"{base}-1p")
        two = by_name.get(f"{base}-2p")
        if one is None or two is None:
            continue
        ratios.append(
            {
                "workload": base,
                "per_second_1p": round(one.per_second, 1),
                "per_second_2p": round(two.per_second, 1),
                "ratio": round(two.per_second / one.per_second, 2)
                if one.per_second
                else None,
            }
        )
    return ratios


def format_report(result: dict[str, Any]) -> str:
    """Render the measurements as an aligned text table."""
    rows = result["measurements"]
    floor = rows[0]["p50"] or float("nan")
    server = result["server"]
    lines = [
        f"server: {server['name']} {server['version']}, "
        f"event loop: {result.get('loop', 'asyncio')}",
        f"{'workload':16} {'n':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} "
        f"{'per s':>8} {'x floor':>8}  store calls per job",
    ]
    for row in rows:
        calls = ", ".join(
            f"{verb} {count:g}" for verb, count in row["store_calls"].items()
        )
        lines.append(
            f"{row['workload']:16} {row['count']:6d} {row['p50']:9.3f} "
            f"{row['p95']:9.3f} {row['p99']:9.3f} {row['per_second']:8.0f} "
            f"{row['p50'] / floor:8.1f}  {calls}"
        )
    for entry in result.get("scaling") or []:
        ratio = entry["ratio"]
        lines.append(
            f"scaling {entry['workload']}: {entry['per_second_1p']:g}/s with one "
            f"worker process, {entry['per_second_2p']:g}/s with two, ratio "
            + (f"{ratio:.2f}" if ratio is not None else "n/a")
        )
    if result.get("memory"):
        lines += _format_memory(result["memory"])
    return "\n".join(lines)


_METRIC_LABELS = {
    "rss_bytes": "process RSS MiB",
    "used_memory_bytes": "used_memory MiB",
    "keys": "server keys",
}


def _format_memory(memory: dict[str, Any]) -> list[str]:
    lines = [
        f"memory: {memory['jobs']} jobs, expire {memory['expire_seconds']} s, "
        f"polled {memory['expiry_wait_seconds']:g} s after the last job; "
        f"RSS from {memory['rss_source']}",
        f"{'':16} {'before':>10} {'after jobs':>11} {'change':>8} "
        f"{'after expiry':>13} {'change':>8}  within {memory['tolerance_percent']:g}%",
    ]
    for metric, label in _METRIC_LABELS.items():
        values = memory[metric]
        scale = 1 if metric == "keys" else 1024 * 1024
        lines.append(
            f"{label:16} {_number(values['before'], scale):>10} "
            f"{_number(values['after_jobs'], scale):>11} "
            f"{_change(values['after_jobs_change_percent']):>8} "
            f"{_number(values['after_expiry'], scale):>13} "
            f"{_change(values['after_expiry_change_percent']):>8}  "
            f"{_yes_no(values['back_within_tolerance'])}"
        )
    return lines


def _number(value: int | None, scale: int) -> str:
    if value is None:
        return "n/a"
    return f"{value:d}" if scale == 1 else f"{value / scale:.1f}"


def _change(percent: float | None) -> str:
    return "n/a" if percent is None else f"{percent:+.1f}%"


def _yes_no(flag: bool | None) -> str:
    if flag is None:
        return "n/a"
    return "yes" if flag else "no"


def build_parser() -> argparse.ArgumentParser:
    """Build the parser of ``hotmesh bench``'s options."""
    parser = argparse.ArgumentParser(
        prog="hotmesh bench",
        description="Measure engine, Durable and Pluck latency and throughput, "
        "and memory, on one server.",
    )
    parser.add_argument("url", nargs="?", help="server URL (default: configured)")
    parser.add_argument(
        "--workload",
        action="append",
        choices=WORKLOADS,
        help="workload to run; repeat for several (default: all but memory)",
    )
    parser.add_argument(
        "--samples",
        type=_positive,
        default=200,
        help="calls timed one at a time: yaml-one times this many jobs, "
        "durable-one half, yaml-chain a quarter and durable-chain an eighth "
        f"(each at least {MIN_DIVIDED_SAMPLES}); floor and pluck-hit time "
        f"five times as many calls (default: 200, at least {MIN_TIMED} "
        "with yaml-one)",
    )
    parser.add_argument(
        "--jobs",
        type=_positive,
        default=1000,
        help="jobs started together for the -many workloads "
        f"(default: 1000, at least {MIN_TIMED})",
    )
    parser.add_argument(
        "--concurrency", type=_positive, default=50, help="jobs in flight at once"
    )
    parser.add_argument(
        "--memory-jobs",
        type=_positive,
        default=MEMORY_JOBS,
        help=f"jobs the memory workload runs (default: {MEMORY_JOBS}, at "
        f"least {MIN_TIMED})",
    )
    parser.add_argument(
        "--memory-wait",
        type=float,
        default=MEMORY_WAIT_SECONDS,
        help="seconds the memory workload polls the server for the jobs to "
        f"expire (default: {MEMORY_WAIT_SECONDS:g})",
    )
    parser.add_argument(
        "--loop",
        choices=EVENT_LOOPS,
        default="asyncio",
        help="event loop of the timed process: asyncio's own, or uvloop "
        "(pip install 'hotmesh[uvloop]') (default: asyncio)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def parse_options(argv: Sequence[str]) -> tuple[BenchOptions, bool]:
    """Return the run's options and whether to print JSON.

    Exits with status 2, as argparse does, when an option is invalid or
    leaves a chosen workload fewer than :data:`MIN_TIMED` timed calls.
    """
    parser = build_parser()
    args = parser.parse_args(list(argv))
    options = BenchOptions(
        connection=args.url,
        workloads=tuple(dict.fromkeys(args.workload or DEFAULT_WORKLOADS)),
        samples=args.samples,
        jobs=args.jobs,
        concurrency=args.concurrency,
        memory_jobs=args.memory_jobs,
        memory_wait=args.memory_wait,
        loop=args.loop,
    )
    problem = _too_few_calls(options)
    if problem is not None:
        parser.error(problem)
    return options, args.json


def _too_few_calls(options: BenchOptions) -> str | None:
    """Return why a chosen workload would time too few calls, or None."""
    for name in options.workloads:
        if name in SAMPLE_SHARES:
            count = sample_count(name, options.samples)
            option, value = "--samples", options.samples
        elif name in MANY_WORKLOADS:
            count = options.jobs
            option, value = "--jobs", options.jobs
        elif name == "memory":
            count = options.memory_jobs
            option, value = "--memory-jobs", options.memory_jobs
        else:
            continue
        if count < MIN_TIMED:
            return (
                f"{option} {value} is too small for {name}: it would time "
                f"{count} call, and percentiles need at least {MIN_TIMED}; "
                f"raise {option}"
            )
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark from the command line and print the report."""
    options, as_json = parse_options(sys.argv[1:] if argv is None else argv)
    runner: Callable[[Coroutine[Any, Any, dict[str, Any]]], dict[str, Any]]
    runner = asyncio.run
    if options.loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            print(
                "hotmesh bench: --loop uvloop needs uvloop: "
                "pip install 'hotmesh[uvloop]'",
                file=sys.stderr,
            )
            return 2
        runner = uvloop.run
    try:
        result = runner(run_bench(options))
    except RuntimeError as error:
        # The benchmark's own failures, such as a worker process that cannot
        # reach the benchmark's server, are RuntimeErrors with a full message.
        print(f"hotmesh bench: error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2) if as_json else format_report(result))
    return 0
