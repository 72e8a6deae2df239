"""The matrix helpers: backend selection, provider order, probing."""

from __future__ import annotations

from pathlib import Path

import pytest

from _servers import (
    BACKEND_NAMES,
    CLUSTER_FLAGS,
    BackendUnavailable,
    ServerFactory,
    ServerPool,
    docker_engine_answers,
    env_url_name,
    free_port,
    join_cluster,
    probe_capabilities,
    selected_backends,
)


def test_env_url_names() -> None:
    assert env_url_name("redis") == "HOTMESH_TEST_REDIS_URL"
    assert env_url_name("redis-stack") == "HOTMESH_TEST_REDIS_STACK_URL"


def test_all_backends_by_default() -> None:
    assert selected_backends(None, {}) == list(BACKEND_NAMES)


def test_option_beats_environment() -> None:
    environ = {"HOTMESH_TEST_BACKENDS": "redis"}

    assert selected_backends("valkey, cluster", environ) == ["valkey", "cluster"]
    assert selected_backends(None, environ) == ["redis"]


def test_duplicates_are_dropped() -> None:
    assert selected_backends("valkey,valkey", {}) == ["valkey"]


def test_unknown_backend_is_usage_error() -> None:
    with pytest.raises(pytest.UsageError) as caught:
        selected_backends("redis,mongodb", {})

    assert "mongodb" in str(caught.value)
    assert "redis-stack" in str(caught.value)


def test_docker_probe_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without a socket or DOCKER_HOST the probe returns at once, never waits.
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    if Path("/var/run/docker.sock").exists():
        pytest.skip("a Docker socket exists here")
    docker_engine_answers.cache_clear()

    assert docker_engine_answers() is False


def test_environment_url_wins(server_factory: ServerFactory, tmp_path: Path) -> None:
    server = server_factory()
    url = f"valkey://127.0.0.1:{server.port}/0"
    pool = ServerPool(tmp_path, {"HOTMESH_TEST_VALKEY_URL": url})
    try:
        provided = pool.get("valkey")
    finally:
        pool.close()

    assert provided.url == url
    assert provided.source == "$HOTMESH_TEST_VALKEY_URL"
    assert provided.capabilities == frozenset()


def test_unreachable_environment_url_fails(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    pool = ServerPool(tmp_path, {"HOTMESH_TEST_REDIS_URL": url})

    with pytest.raises(RuntimeError, match="HOTMESH_TEST_REDIS_URL is set"):
        pool.get("redis")
    with pytest.raises(RuntimeError):  # the failure is kept, not retried
        pool.get("redis")


def test_unavailable_backend_names_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    pool = ServerPool(tmp_path, {})

    with pytest.raises(BackendUnavailable) as caught:
        pool.get("dragonfly")

    assert "HOTMESH_TEST_DRAGONFLY_URL" in str(caught.value)
    assert pool.summary() == [f"dragonfly: skipped, {caught.value}"]


def test_probe_reads_cluster_mode(server_factory: ServerFactory) -> None:
    single = server_factory()
    node = server_factory("--cluster-enabled", "yes", cluster=True)

    assert probe_capabilities(f"redis://127.0.0.1:{single.port}/0") == frozenset()
    assert "cluster" in probe_capabilities(f"redis://127.0.0.1:{node.port}/0")


def test_cluster_joins_without_cli(
    monkeypatch: pytest.MonkeyPatch, server_factory: ServerFactory, tmp_path: Path
) -> None:
    nodes = [server_factory(*CLUSTER_FLAGS, cluster=True) for _ in range(3)]
    monkeypatch.setenv("PATH", str(tmp_path))  # hides valkey-cli and redis-cli

    assert join_cluster(nodes) == "joined by CLUSTER MEET"

    url = f"valkey+cluster://127.0.0.1:{nodes[0].port}"
    assert "cluster" in probe_capabilities(url)
    with nodes[1].client() as client:
        slots = client.execute_command("CLUSTER", "SLOTS")
    assert sum(int(end) - int(start) + 1 for start, end, *_ in slots) == 16384
