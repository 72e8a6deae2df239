"""``hotmesh bench``: option parsing, the report, and tiny runs of workloads.

The runs time a handful of jobs, so they check that each workload works
and reports its figures, not what the figures are.
"""

from __future__ import annotations

import io
import secrets
from typing import Any

import pytest

from hotmesh import _bench_flows, bench
from hotmesh.bench import BenchOptions, Measurement, parse_options
from hotmesh.registry import backend_for_scheme, open_store

pytestmark = pytest.mark.timeout(120)


def tiny(connection: str, *workloads: str, **sizes: Any) -> BenchOptions:
    """Return options that run the workloads on a few jobs."""
    values: dict[str, Any] = {
        "samples": 4,
        "jobs": 8,
        "concurrency": 4,
        "memory_jobs": 30,
        "memory_wait": 15.0,
    }
    values.update(sizes)
    return BenchOptions(connection=connection, workloads=workloads, **values)


def record_progress(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Record the labels of the progress bars drawn during the test."""
    labels: set[str] = set()

    def draw(label: str, done: int, total: int) -> None:
        labels.add(label)

    monkeypatch.setattr(bench, "_progress", draw)
    return labels


def fakeredis_url() -> str:
    try:
        backend_for_scheme("fakeredis")
    except Exception:
        pytest.skip(
            "fakeredis plugin not installed: pip install -e plugins/hotmesh-fakeredis"
        )
    return f"fakeredis://bench{secrets.token_hex(4)}"


# -- options ----------------------------------------------------------------------


def test_options_default_leaves_out_memory() -> None:
    options, as_json = parse_options([])

    assert "memory" not in options.workloads
    assert "pluck-hit" in options.workloads
    assert "yaml-many-2p" in options.workloads
    assert "durable-many-1p" in options.workloads
    assert options.memory_jobs == 100_000
    assert options.memory_wait == 60.0
    assert options.connection is None
    assert not as_json


def test_options_name_workloads_once() -> None:
    argv = ["valkey://127.0.0.1:1/0", "--workload", "memory", "--workload", "memory"]
    argv += ["--memory-jobs", "500", "--memory-wait", "5", "--json"]

    options, as_json = parse_options(argv)

    assert options.workloads == ("memory",)
    assert options.memory_jobs == 500
    assert options.memory_wait == 5.0
    assert options.connection == "valkey://127.0.0.1:1/0"
    assert as_json


@pytest.mark.parametrize(
    "argv",
    [
        ["--memory-jobs", "0"],
        ["--jobs", "-3"],
        ["--workload", "yaml-many-3p"],
    ],
)
def test_options_reject_invalid_values(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        parse_options(argv)

    assert caught.value.code == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--workload", "yaml-one", "--samples", "1"], "--samples 1 is too small"),
        (["--workload", "yaml-many", "--jobs", "1"], "--jobs 1 is too small"),
        (["--workload", "durable-many-2p", "--jobs", "1"], "for durable-many-2p"),
        (["--workload", "memory", "--memory-jobs", "1"], "--memory-jobs 1"),
        (["--samples", "1"], "for yaml-one"),
    ],
)
def test_options_reject_single_call(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        parse_options(argv)

    assert caught.value.code == 2
    error = capsys.readouterr().err.splitlines()[-1]
    assert error.startswith("hotmesh bench: error: ")
    assert message in error
    assert "percentiles need at least 2" in error


def test_options_accept_single_call_elsewhere() -> None:
    options, _ = parse_options(
        ["--workload", "yaml-chain", "--workload", "yaml-one", "--samples", "2"]
    )
    assert options.samples == 2

    options, _ = parse_options(["--workload", "yaml-chain", "--samples", "1"])
    assert options.samples == 1

    options, _ = parse_options(["--workload", "yaml-one", "--jobs", "1"])
    assert options.jobs == 1


@pytest.mark.parametrize(
    ("workload", "samples", "expected"),
    [
        ("floor", 3, 15),
        ("pluck-hit", 1, 5),
        ("yaml-one", 200, 200),
        ("durable-one", 200, 100),
        ("yaml-chain", 200, 50),
        ("durable-chain", 200, 25),
        ("yaml-chain", 1, 10),
        ("durable-chain", 40, 10),
    ],
)
def test_sample_count_shares(workload: str, samples: int, expected: int) -> None:
    assert bench.sample_count(workload, samples) == expected


def test_samples_help_names_shares(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_options(["--help"])

    text = " ".join(capsys.readouterr().out.split())
    assert "durable-one half, yaml-chain a quarter and durable-chain an eighth" in text
    assert "(each at least 10)" in text
    assert "floor and pluck-hit time five times as many calls" in text


def test_process_count_reads_suffix() -> None:
    assert bench._process_count("yaml-many-1p") == 1
    assert bench._process_count("durable-many-2p") == 2
    assert bench._process_count("yaml-many") == 0
    assert bench._process_count("pluck-hit") == 0


# -- the progress bar -------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_on_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setattr(bench, "_progress_drawn_at", 0.0)

    bench._progress("pluck-hit", 1, 4)
    bench._progress("pluck-hit", 2, 4)
    bench._progress("pluck-hit", 4, 4)

    frames = terminal.getvalue().split("\r")[1:]
    # The second call comes within the redraw interval, so it is skipped.
    assert len(frames) == 2
    assert frames[0].startswith("pluck-hit")
    assert frames[0].rstrip().endswith("1/4")
    assert frames[1].endswith("4/4\n")


def test_progress_silent_without_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    output = io.StringIO()
    monkeypatch.setattr("sys.stderr", output)

    bench._progress("memory", 4, 4)

    assert output.getvalue() == ""


# -- the report -------------------------------------------------------------------


def sample_result() -> dict[str, Any]:
    rows = [
        Measurement("floor", 10, 0.05, 0.06, 0.07, 20000.0),
        Measurement("yaml-many-1p", 8, 50.0, 60.0, 70.0, 400.0, {"ack": 1.0}),
        Measurement("yaml-many-2p", 8, 40.0, 50.0, 60.0, 600.0, {"ack": 1.0}),
        Measurement("pluck-hit", 20, 0.2, 0.3, 0.4, 4000.0, {"read_job_fields": 1}),
    ]
    mib = 1024 * 1024
    memory = {
        "jobs": 1000,
        "expire_seconds": 1,
        "expiry_wait_seconds": 4.0,
        "rss_source": "/proc/self/statm",
        "tolerance_percent": 10.0,
        "rss_bytes": {
            "before": 100 * mib,
            "after_jobs": 150 * mib,
            "after_expiry": 120 * mib,
            "after_jobs_change_percent": 50.0,
            "after_expiry_change_percent": 20.0,
            "back_within_tolerance": False,
        },
        "used_memory_bytes": {
            "before": None,
            "after_jobs": None,
            "after_expiry": None,
            "after_jobs_change_percent": None,
            "after_expiry_change_percent": None,
            "back_within_tolerance": None,
        },
        "keys": {
            "before": 10,
            "after_jobs": 1010,
            "after_expiry": 10,
            "after_jobs_change_percent": 10000.0,
            "after_expiry_change_percent": 0.0,
            "back_within_tolerance": True,
        },
    }
    return {
        "server": {"name": "valkey", "version": "9", "url": "valkey://x"},
        "measurements": [bench.asdict(row) for row in rows],
        "scaling": bench._scaling(rows),
        "memory": memory,
    }


def test_scaling_divides_two_by_one() -> None:
    result = sample_result()

    assert result["scaling"] == [
        {
            "workload": "yaml-many",
            "per_second_1p": 400.0,
            "per_second_2p": 600.0,
            "ratio": 1.5,
        }
    ]


def test_scaling_needs_both_runs() -> None:
    rows = [Measurement("durable-many-2p", 8, 1.0, 1.0, 1.0, 60.0)]

    assert bench._scaling(rows) == []


def test_report_lists_new_workloads() -> None:
    lines = bench.format_report(sample_result()).splitlines()

    hit = next(line for line in lines if line.startswith("pluck-hit"))
    assert hit.split()[:6] == ["pluck-hit", "20", "0.200", "0.300", "0.400", "4000"]
    assert "read_job_fields 1" in hit
    assert any(line.startswith("yaml-many-2p ") for line in lines)
    assert (
        "scaling yaml-many: 400/s with one worker process, 600/s with two, "
        "ratio 1.50" in lines
    )


def test_report_prints_memory_changes() -> None:
    lines = bench.format_report(sample_result()).splitlines()

    rss = next(line for line in lines if line.startswith("process RSS MiB"))
    assert rss.split()[3:] == ["100.0", "150.0", "+50.0%", "120.0", "+20.0%", "no"]
    used = next(line for line in lines if line.startswith("used_memory MiB"))
    assert used.split()[2:] == ["n/a"] * 6
    keys = next(line for line in lines if line.startswith("server keys"))
    assert keys.split()[2:] == ["10", "1010", "+10000.0%", "10", "+0.0%", "yes"]
    assert any(line.startswith("memory: 1000 jobs, expire 1 s") for line in lines)


def test_report_without_new_sections() -> None:
    result = sample_result()
    result["scaling"] = []
    result["memory"] = None

    text = bench.format_report(result)

    assert "scaling" not in text
    assert "memory:" not in text


# -- tiny runs --------------------------------------------------------------------


async def test_pluck_hit_runs(
    backend_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    progress = record_progress(monkeypatch)

    result = await bench.run_bench(tiny(backend_url, "pluck-hit"))

    names = [row["workload"] for row in result["measurements"]]
    assert names == ["floor", "pluck-hit"]
    hit = result["measurements"][1]
    assert hit["count"] == 20
    assert hit["per_second"] > 0
    assert 0 < hit["p50"] <= hit["p95"] <= hit["p99"]
    assert "read_job_fields" in hit["store_calls"]
    assert "create_job" not in hit["store_calls"]
    assert "pluck-hit" in progress


def test_main_runs_on_uvloop(
    backend_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = bench.main(
        [backend_url, "--workload", "yaml-one", "--samples", "4", "--loop", "uvloop"]
    )

    report = capsys.readouterr().out
    assert status == 0
    assert "event loop: uvloop" in report
    assert "yaml-one" in report


async def test_pluck_hit_on_fakeredis() -> None:
    result = await bench.run_bench(tiny(fakeredis_url(), "pluck-hit"))

    assert result["measurements"][1]["count"] == 20


@pytest.mark.parametrize("kind", ["yaml", "durable"])
async def test_worker_processes_scale(
    backend_url: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_process, two_processes = f"{kind}-many-1p", f"{kind}-many-2p"
    progress = record_progress(monkeypatch)

    result = await bench.run_bench(tiny(backend_url, one_process, two_processes))

    rows = {row["workload"]: row for row in result["measurements"]}
    for name in (one_process, two_processes):
        assert rows[name]["count"] == 8
        assert rows[name]["per_second"] > 0
        # The acks are the worker processes' calls, so their counts arrived.
        assert rows[name]["store_calls"]["ack"] >= 1
    (scaling,) = result["scaling"]
    assert scaling["workload"] == f"{kind}-many"
    ratio = scaling["per_second_2p"] / scaling["per_second_1p"]
    assert scaling["ratio"] == pytest.approx(ratio, abs=0.01)
    assert {one_process, two_processes} <= progress


async def test_worker_processes_stop_on_error(backend_url: str) -> None:
    store = await open_store(backend_url)
    namespace = f"bench{secrets.token_hex(3)}"
    started: list[Any] = []
    try:
        with pytest.raises(ZeroDivisionError):
            async with _bench_flows.worker_processes(
                "yaml", 2, namespace, 4, backend_url, store
            ) as workers:
                started = list(workers.processes)
                1 / 0  # noqa: B018
    finally:
        await store.close()

    assert len(started) == 2
    assert all(process.returncode is not None for process in started)


async def test_worker_processes_reject_unshared_store() -> None:
    url = fakeredis_url()
    store = await open_store(url)
    workers = _bench_flows.WorkerProcesses("yaml", "bench0", 4)
    try:
        with pytest.raises(RuntimeError, match="does not share"):
            await workers.start(1, url, store)
        started = list(workers.processes)
        await workers.stop()
    finally:
        await store.close()

    assert len(started) == 1
    assert started[0].returncode == 1
    assert workers.processes == []


async def test_memory_returns_readings(
    backend_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    progress = record_progress(monkeypatch)

    result = await bench.run_bench(tiny(backend_url, "memory"))

    row = result["measurements"][-1]
    assert row["workload"] == "memory"
    assert row["count"] == 30
    memory = result["memory"]
    assert memory["jobs"] == 30
    assert memory["expire_seconds"] == bench.JOB_EXPIRE_SECONDS
    assert memory["expiry_wait_seconds"] <= 15.0 + 5.0
    for metric in ("rss_bytes", "used_memory_bytes", "keys"):
        readings = memory[metric]
        assert readings["before"] > 0
        assert readings["after_jobs"] > 0
        assert readings["after_expiry"] > 0
    # Every job left keys until it expired, and the key count went back.
    assert memory["keys"]["after_jobs"] > memory["keys"]["before"]
    assert memory["keys"]["back_within_tolerance"] is True
    assert {"memory", "memory expiry"} <= progress


async def test_server_memory_without_info() -> None:
    store = await open_store(fakeredis_url())
    try:
        used, keys = await bench._server_memory(store)
    finally:
        await store.close()

    # fakeredis has no INFO command, but it counts keys.
    assert used is None
    assert keys is not None


async def test_server_memory_reads_info(backend_url: str) -> None:
    store = await open_store(backend_url)
    try:
        used, keys = await bench._server_memory(store)
    finally:
        await store.close()

    assert used is not None
    assert used > 0
    assert keys is not None


def test_main_reports_unshared_server(capsys: pytest.CaptureFixture[str]) -> None:
    # Worker processes cannot reach an in-process fakeredis server, so the
    # run fails, and the failure is one line.
    status = bench.main([fakeredis_url(), "--workload", "yaml-many-1p", "--jobs", "4"])

    errors = capsys.readouterr().err
    assert status == 1
    assert errors.count("\n") == 1
    assert errors.startswith("hotmesh bench: error: worker process ")
    assert "cannot be shared" in errors
    assert "Traceback" not in errors
