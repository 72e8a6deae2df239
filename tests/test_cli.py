"""The ``hotmesh`` command: backends, doctor, server and demo."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import types
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from _servers import BackendServer
from hotmesh import cli
from hotmesh.embedded import EmbeddedServer, ping_socket


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Undo the handler and level that ``cli.main`` puts on the hotmesh logger."""
    logger = logging.getLogger("hotmesh")
    handlers, level = list(logger.handlers), logger.level
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point HOTMESH_HOME at a short temporary folder; stop its server after."""
    base = Path(tempfile.mkdtemp(prefix="hm-"))
    folder = base / ".hotmesh"
    monkeypatch.setenv("HOTMESH_HOME", str(folder))
    yield folder
    EmbeddedServer(folder).stop(force=True)
    shutil.rmtree(base, ignore_errors=True)


def lines_of(text: str) -> dict[str, str]:
    pairs = (line.partition(": ") for line in text.splitlines() if ": " in line)
    return {key.strip(): value for key, _, value in pairs}


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["--help"])

    assert caught.value.code == 0
    output = capsys.readouterr().out
    for command in ("backends", "doctor", "server", "demo"):
        assert command in output


def test_unknown_command_is_usage_error() -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["frobnicate"])

    assert caught.value.code == 2


def test_every_command_has_a_handler() -> None:
    parser = cli.build_parser()
    subparsers = next(
        action
        for action in parser._actions
        if isinstance(action.choices, dict) and "doctor" in action.choices
    )

    assert set(subparsers.choices or {}) == set(cli.COMMANDS)


def test_backends_lists_built_ins(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["backends"]) == 0

    output = capsys.readouterr().out
    assert "redis://" in output
    assert "valkey://" in output
    assert "dragonfly://" in output
    assert "plugin: redis (hotmesh " in output


def test_doctor_reports_capabilities(
    backend: BackendServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["doctor", backend.url]) == 0

    report = lines_of(capsys.readouterr().out)
    has_search = "search" in backend.capabilities
    has_cluster = "cluster" in backend.capabilities
    assert report["search"] == ("yes" if has_search else "no")
    assert report["cluster"] == ("yes" if has_cluster else "no")
    assert report["server"]
    assert report["url"].startswith(backend.url.partition("://")[0])


def test_matrix_servers_have_expected_capabilities(backend: BackendServer) -> None:
    """Check the servers this suite starts itself, with known modules."""
    if backend.source.startswith("$"):
        pytest.skip("the server comes from the environment")
    expected = {
        "redis": set(),
        "redis-stack": {"search"},
        "valkey": set(),
        "cluster": {"cluster"},
    }
    if backend.name not in expected:
        pytest.skip(f"no expectation for {backend.name}")

    assert set(backend.capabilities) == expected[backend.name]


def test_doctor_unknown_scheme(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["doctor", "nosuch://127.0.0.1:1"]) == 1

    error = capsys.readouterr().err
    assert "hotmesh doctor: error:" in error
    assert "'nosuch://'" in error


def test_doctor_hides_password(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["doctor", "redis://:Sekrit-1234@127.0.0.1:0/0"]) == 1

    captured = capsys.readouterr()
    assert "Sekrit-1234" not in captured.err
    assert "Sekrit-1234" not in captured.out


def test_doctor_uses_embedded_default(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HOTMESH_URL", raising=False)
    monkeypatch.chdir(home.parent)

    assert cli.main(["doctor"]) == 0

    report = lines_of(capsys.readouterr().out)
    assert report["url"] == f"unix://{home / 'valkey.sock'} (embedded server)"
    assert report["search"] == "no"
    assert report["cluster"] == "no"


def test_server_start_status_stop(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["server", "status"]) == cli.EXIT_NOT_RUNNING

    assert cli.main(["server", "start"]) == 0
    assert ping_socket(home / "valkey.sock")
    assert cli.main(["server", "status"]) == 0
    status = lines_of(capsys.readouterr().out)
    assert status["running"] == "yes"
    assert status["url"] == f"unix://{home / 'valkey.sock'}"

    assert cli.main(["server", "stop"]) == 0
    assert not ping_socket(home / "valkey.sock")
    assert cli.main(["server", "status"]) == cli.EXIT_NOT_RUNNING


def test_server_runs_until_interrupted(home: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "hotmesh.cli", "server"],
        env={**os.environ, "HOTMESH_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        assert "started embedded server at unix://" in first_line
        assert ping_socket(home / "valkey.sock")

        process.send_signal(signal.SIGINT)
        output, errors = process.communicate(timeout=30)
    finally:
        process.kill()

    assert process.returncode == 0, errors
    assert "stopped the embedded server" in output
    assert not ping_socket(home / "valkey.sock")


def test_demo_dispatches_with_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:
        calls.append(argv)
        return 0

    module = types.ModuleType("hotmesh.demos.fake_for_test")
    module.main = fake_main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "hotmesh.demos.fake_for_test", module)

    assert cli.main(["demo", "fake_for_test", "greetings", "--loud"]) == 0
    assert calls == [["greetings", "--loud"]]


def test_unknown_demo_is_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "no_such_demo"]) == cli.EXIT_USAGE

    assert "no demo named 'no_such_demo'" in capsys.readouterr().err


def test_demo_name_must_be_identifier(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "../etc"]) == cli.EXIT_USAGE

    assert "no demo named '../etc'" in capsys.readouterr().err


def test_logging_stays_off_root() -> None:
    root_handlers = list(logging.getLogger().handlers)

    cli.main(["-v", "backends"])
    cli.main(["-v", "backends"])

    assert logging.getLogger().handlers == root_handlers
    names = [h.get_name() for h in logging.getLogger("hotmesh").handlers]
    assert names.count("hotmesh-cli") == 1
    assert logging.getLogger("hotmesh").level == logging.INFO


def test_bench_passes_its_options(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:
        calls.append(argv)
        return 0

    module = types.ModuleType("hotmesh.bench")
    module.main = fake_main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "hotmesh.bench", module)

    assert cli.main(["bench", "--help"]) == 0
    assert cli.main(["bench", "--jobs", "10", "redis://127.0.0.1:6379/0"]) == 0
    assert calls == [["--help"], ["--jobs", "10", "redis://127.0.0.1:6379/0"]]


def test_unknown_option_is_usage_error() -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["backends", "--bogus"])

    assert caught.value.code == 2


def test_version_prints_installed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["--version"])

    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"hotmesh {version('hotmesh')}"


@pytest.mark.parametrize("action", ["start", "run"])
def test_server_rejects_missing_parent(
    action: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = tmp_path / "missing" / "home"
    monkeypatch.setenv("HOTMESH_HOME", str(missing))

    assert cli.main(["server", action]) == cli.EXIT_ERROR

    error = capsys.readouterr().err
    assert error.startswith("hotmesh server: error: the data folder")
    assert f"parent folder {missing.parent} does not exist" in error
    assert not missing.parent.exists()


def test_server_creates_last_level(home: Path) -> None:
    assert not home.exists()

    assert cli.main(["server", "start"]) == cli.EXIT_OK

    assert home.is_dir()


def test_closed_pipe_exits_quietly() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "hotmesh.cli", "backends"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()
    _, errors = process.communicate(timeout=30)

    assert errors.decode() == ""
    assert process.returncode == cli.EXIT_ERROR
