"""The ``hotmesh`` command.

Each subcommand is one function in :data:`COMMANDS`, which takes the parsed
arguments and returns the exit status. This module is the only place that
configures logging output, because the library itself adds no handlers.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.metadata
import logging
import os
import pkgutil
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from hotmesh import embedded
from hotmesh.config import parse_url, resolve_url
from hotmesh.errors import ConfigurationError, HotMeshError
from hotmesh.registry import InstalledBackend, get_registry, open_store
from hotmesh.store.protocol import CAP_CLUSTER, CAP_SEARCH

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_RUNNING = 3
"""``hotmesh server status`` when no server runs (as LSB init scripts do)."""

DEMOS_PACKAGE = "hotmesh.demos"
BENCH_MODULE = "hotmesh.bench"

Command = Callable[[argparse.Namespace], int]


def cmd_backends(args: argparse.Namespace) -> int:
    """Print installed backends, their schemes and where they come from."""
    registry = get_registry()
    if not registry.backends:
        print("no backends installed")
    for backend in registry.backends:
        print(f"{backend.name}")
        print(f"  schemes: {', '.join(s + '://' for s in backend.schemes)}")
        print(f"  capabilities: {_join(backend.capabilities)}")
        print(f"  plugin: {backend.plugin} ({backend.distribution or 'in process'})")
        if backend.spec.description:
            print(f"  {backend.spec.description}")
    for failure in registry.failures:
        print(f"not loaded: {failure}")
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    """Connect to the configured server and print what it is and can do."""
    return asyncio.run(_doctor(args.url))


async def _doctor(url: str | None) -> int:
    resolved = resolve_url(url)
    source = "configured"
    if resolved is None:
        server = await asyncio.to_thread(embedded.attach_or_start)
        server.hold_lease()
        resolved, source = server.url, "embedded server"
    settings = parse_url(resolved)
    backend = get_registry().backend_for_scheme(settings.scheme)

    store = await open_store(resolved)
    try:
        info = store.info
        print(f"url: {settings.url} ({source})")
        print(f"backend: {backend.name} ({_source(backend)})")
        print(f"server: {info.name} {info.version}")
        print(f"search: {_yes_no(CAP_SEARCH in info.capabilities)}")
        print(f"cluster: {_yes_no(CAP_CLUSTER in info.capabilities)}")
        print(f"capabilities: {_join(info.capabilities)}")
    finally:
        await store.close()
    return EXIT_OK


def cmd_server(args: argparse.Namespace) -> int:
    """Run, start, stop or report the embedded server."""
    server = embedded.EmbeddedServer(embedded.home_dir())
    action: str = args.action
    if action in ("start", "run"):
        _require_parent(server.home)
    if action == "start":
        started = server.start()
        state = "started" if started else "already running"
        print(f"embedded server {state} at {server.url}")
        return EXIT_OK
    if action == "stop":
        if server.stop(force=args.force):
            print(f"stopped the embedded server in {server.home}")
        else:
            print(f"no embedded server was running in {server.home}")
        return EXIT_OK
    if action == "status":
        return _print_status(server)
    return _run_foreground(server)


def _require_parent(home: Path) -> None:
    """Reject a data folder whose parent is missing.

    Starting the server creates every missing level of the data folder's
    path, so without this check a mistyped ``HOTMESH_HOME`` creates a tree.
    """
    if not home.parent.is_dir():
        raise ConfigurationError(
            f"the data folder {home} cannot be created because its parent "
            f"folder {home.parent} does not exist: create that folder, or set "
            "HOTMESH_HOME to a folder whose parent exists"
        )


def _print_status(server: embedded.EmbeddedServer) -> int:
    status = server.status()
    print(f"data folder: {status.home}")
    print(f"running: {_yes_no(status.running)}")
    if status.running:
        print(f"pid: {status.pid if status.pid is not None else 'unknown'}")
        print(f"url: {status.url}")
        holders = ", ".join(str(pid) for pid in status.lease_holders)
        print(f"used by processes: {holders or 'none'}")
    return EXIT_OK if status.running else EXIT_NOT_RUNNING


def _run_foreground(server: embedded.EmbeddedServer) -> int:
    started = server.start()
    server.hold_lease()
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {
        sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    state = "started" if started else "attached to running"
    print(f"{state} embedded server at {server.url}; press Ctrl-C to stop", flush=True)
    try:
        while not stop.wait(1.0):
            if not server.is_answering():
                print("the embedded server stopped responding", file=sys.stderr)
                return EXIT_ERROR
    finally:
        server.release_lease()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return _stop_if_unused(server, started)


def _stop_if_unused(server: embedded.EmbeddedServer, started: bool) -> int:
    holders = server.live_leases()
    if not started or holders:
        used_by = ", ".join(str(pid) for pid in holders) or "none"
        print(f"left the embedded server running (used by processes: {used_by})")
        return EXIT_OK
    server.stop()
    print("stopped the embedded server")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """Run ``hotmesh.demos.<name>.main(argv)``."""
    available = _available_demos()
    if not args.name:
        print(f"available demos: {', '.join(available) or 'none installed'}")
        return EXIT_OK
    name: str = args.name
    if not name.isidentifier():
        return _demo_not_found(name, available)
    try:
        module = importlib.import_module(f"{DEMOS_PACKAGE}.{name}")
    except ModuleNotFoundError as error:
        if error.name not in (DEMOS_PACKAGE, f"{DEMOS_PACKAGE}.{name}"):
            raise
        return _demo_not_found(name, available)
    entry = getattr(module, "main", None)
    if not callable(entry):
        print(f"hotmesh demo: {module.__name__} has no main(argv)", file=sys.stderr)
        return EXIT_ERROR
    result = entry(list(args.demo_args))
    return result if isinstance(result, int) else EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    """Run ``hotmesh.bench.main(argv)``, the benchmark."""
    module = importlib.import_module(BENCH_MODULE)
    entry = getattr(module, "main", None)
    if not callable(entry):
        print(f"hotmesh bench: {BENCH_MODULE} has no main(argv)", file=sys.stderr)
        return EXIT_ERROR
    result = entry(list(args.bench_args))
    return result if isinstance(result, int) else EXIT_OK


def _demo_not_found(name: str, available: list[str]) -> int:
    listing = ", ".join(available) or "none installed"
    print(
        f"hotmesh demo: no demo named {name!r}; available demos: {listing}",
        file=sys.stderr,
    )
    return EXIT_USAGE


def _available_demos() -> list[str]:
    try:
        package = importlib.import_module(DEMOS_PACKAGE)
    except ModuleNotFoundError:
        return []
    paths = getattr(package, "__path__", [])
    return sorted(
        m.name for m in pkgutil.iter_modules(paths) if not m.name.startswith("_")
    )


COMMANDS: dict[str, Command] = {
    "backends": cmd_backends,
    "doctor": cmd_doctor,
    "server": cmd_server,
    "demo": cmd_demo,
    "bench": cmd_bench,
}


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="hotmesh",
        description="Workflows on Redis, ValKey or Dragonfly, with no central server.",
        epilog="The backend comes from the URL argument, HOTMESH_URL, "
        "[tool.hotmesh] url in pyproject.toml or hotmesh.toml, or else the "
        "embedded server.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {_installed_version()}",
        help="print the installed hotmesh version and exit",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log more: -v for progress, -vv for debugging detail",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    commands.add_parser("backends", help="list installed backends and their schemes")

    doctor = commands.add_parser(
        "doctor", help="connect and print the server, version and capabilities"
    )
    doctor.add_argument(
        "url", nargs="?", help="connection URL (default: the configured one)"
    )

    server = commands.add_parser(
        "server",
        help="run the embedded server in the foreground until Ctrl-C",
        description="Without an action, run the embedded server in the "
        "foreground until Ctrl-C. Its data folder is .hotmesh/ in the "
        "working directory, or HOTMESH_HOME; the server creates that folder "
        "but not its parent.",
    )
    server.add_argument(
        "action",
        nargs="?",
        default="run",
        choices=["run", "start", "stop", "status"],
        help="start: in the background; stop: stop it; status: exit 0 when "
        "running, 3 when not",
    )
    server.add_argument(
        "--force",
        action="store_true",
        help="with stop: stop even while other processes use the server",
    )

    demo = commands.add_parser("demo", help="run a demo (without a name: list them)")
    demo.add_argument("name", nargs="?", help="demo name")
    demo.add_argument(
        "demo_args", nargs=argparse.REMAINDER, help="arguments passed to the demo"
    )

    # The benchmark parses its own options, --help included.
    bench = commands.add_parser(
        "bench",
        help="measure latency, throughput and memory against a server",
        add_help=False,
    )
    bench.add_argument(
        "bench_args",
        nargs=argparse.REMAINDER,
        help="arguments passed to the benchmark (try: hotmesh bench --help)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``hotmesh`` command and return its exit status."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.command != "bench":
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if unknown:
        args.bench_args = [*unknown, *args.bench_args]
    _configure_logging(args.verbose)
    command = COMMANDS[args.command]
    try:
        status = command(args)
        # Flush here, where a closed pipe can be handled, and not at exit.
        sys.stdout.flush()
        return status
    except HotMeshError as error:
        print(f"hotmesh {args.command}: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of standard output went away, as with `| head -1`.
        _silence_stdout()
        return EXIT_ERROR


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the exit-time flush of a
    closed pipe raises no second BrokenPipeError."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        # Standard output has no file descriptor (a test's capture buffer).
        pass
    finally:
        os.close(devnull)


def _installed_version() -> str:
    try:
        return importlib.metadata.version("hotmesh")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed as a package)"


_HANDLER_NAME = "hotmesh-cli"


def _configure_logging(verbosity: int) -> None:
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    logger = logging.getLogger("hotmesh")
    for handler in list(logger.handlers):
        if handler.get_name() == _HANDLER_NAME:
            logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)


def _source(backend: InstalledBackend) -> str:
    return f"plugin {backend.plugin}, {backend.distribution or 'in process'}"


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _join(names: frozenset[str]) -> str:
    return ", ".join(sorted(names)) or "none"


if __name__ == "__main__":
    sys.exit(main())
