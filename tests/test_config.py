"""Connection URL precedence and parsing."""

from __future__ import annotations

import logging
import string
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hotmesh import config
from hotmesh.config import mask_url, parse_url, resolve_url
from hotmesh.errors import ConfigurationError

ENV_URL = "redis://env.example:6379/0"
ARG_URL = "redis://arg.example:6379/0"
TOML_URL = "valkey://toml.example:6379/0"
PYPROJECT_URL = "dragonfly://pyproject.example:6379/0"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- precedence -----------------------------------------------------------------


def test_argument_beats_everything(tmp_path: Path) -> None:
    write(tmp_path / "hotmesh.toml", f'url = "{TOML_URL}"\n')
    environ = {"HOTMESH_URL": ENV_URL}

    assert resolve_url(ARG_URL, environ=environ, cwd=tmp_path) == ARG_URL


def test_environment_beats_config_file(tmp_path: Path) -> None:
    write(tmp_path / "hotmesh.toml", f'url = "{TOML_URL}"\n')
    environ = {"HOTMESH_URL": ENV_URL}

    assert resolve_url(environ=environ, cwd=tmp_path) == ENV_URL


def test_blank_environment_is_ignored(tmp_path: Path) -> None:
    write(tmp_path / "hotmesh.toml", f'url = "{TOML_URL}"\n')

    assert resolve_url(environ={"HOTMESH_URL": "  "}, cwd=tmp_path) == TOML_URL


def test_hotmesh_toml_beats_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "hotmesh.toml", f'url = "{TOML_URL}"\n')
    write(tmp_path / "pyproject.toml", f'[tool.hotmesh]\nurl = "{PYPROJECT_URL}"\n')

    assert resolve_url(environ={}, cwd=tmp_path) == TOML_URL


def test_pyproject_table_is_read(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", f'[tool.hotmesh]\nurl = "{PYPROJECT_URL}"\n')

    assert resolve_url(environ={}, cwd=tmp_path) == PYPROJECT_URL


def test_nothing_configured_means_embedded(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "app"\n')

    assert resolve_url(environ={}, cwd=tmp_path) is None


def test_table_without_url_means_embedded(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.hotmesh]\n")

    assert resolve_url(environ={}, cwd=tmp_path) is None


def test_config_found_in_parent_folder(tmp_path: Path) -> None:
    write(tmp_path / "hotmesh.toml", f'url = "{TOML_URL}"\n')
    nested = tmp_path / "src" / "app"
    nested.mkdir(parents=True)

    assert resolve_url(environ={}, cwd=nested) == TOML_URL


def test_nearest_folder_wins(tmp_path: Path) -> None:
    write(tmp_path / "hotmesh.toml", f'url = "{TOML_URL}"\n')
    nested = tmp_path / "service"
    write(nested / "hotmesh.toml", f'url = "{ARG_URL}"\n')

    assert resolve_url(environ={}, cwd=nested) == ARG_URL


def test_pyproject_ends_the_search(tmp_path: Path) -> None:
    write(tmp_path / "hotmesh.toml", f'url = "{TOML_URL}"\n')
    project = tmp_path / "project"
    write(project / "pyproject.toml", '[project]\nname = "app"\n')

    assert resolve_url(environ={}, cwd=project) is None


def test_environment_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTMESH_URL", ENV_URL)
    assert resolve_url() == ENV_URL

    monkeypatch.setenv("HOTMESH_URL", ARG_URL)
    assert resolve_url() == ARG_URL


def test_empty_argument_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="empty"):
        resolve_url("", environ={}, cwd=tmp_path)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "hotmesh.toml", "url = \n")

    with pytest.raises(ConfigurationError) as caught:
        resolve_url(environ={}, cwd=tmp_path)

    assert str(path) in str(caught.value)
    assert "invalid TOML" in str(caught.value)


@pytest.mark.parametrize("value", ["42", '""', "[1, 2]"])
def test_non_string_url_is_rejected(tmp_path: Path, value: str) -> None:
    path = write(tmp_path / "pyproject.toml", f"[tool.hotmesh]\nurl = {value}\n")

    with pytest.raises(ConfigurationError) as caught:
        resolve_url(environ={}, cwd=tmp_path)

    assert "[tool.hotmesh]" in str(caught.value)
    assert str(path) in str(caught.value)


# -- parsing --------------------------------------------------------------------

SCHEMES = [
    # url, scheme, tls, cluster
    ("redis://127.0.0.1:6379/0", "redis", False, False),
    ("rediss://127.0.0.1:6380/0", "rediss", True, False),
    ("valkey://127.0.0.1:6379/0", "valkey", False, False),
    ("valkeys://127.0.0.1:6380/0", "valkeys", True, False),
    ("dragonfly://127.0.0.1:6379/0", "dragonfly", False, False),
    ("redis+cluster://127.0.0.1:7000", "redis+cluster", False, True),
    ("rediss+cluster://127.0.0.1:7000", "rediss+cluster", True, True),
    ("valkey+cluster://127.0.0.1:7000", "valkey+cluster", False, True),
    ("valkeys+cluster://127.0.0.1:7000", "valkeys+cluster", True, True),
]


@pytest.mark.parametrize(("url", "scheme", "tls", "cluster"), SCHEMES)
def test_every_scheme_parses(url: str, scheme: str, tls: bool, cluster: bool) -> None:
    settings = parse_url(url)

    assert settings.scheme == scheme
    assert settings.tls is tls
    assert settings.cluster is cluster
    assert settings.host == "127.0.0.1"
    assert settings.url == url


def test_unix_socket_url_parses() -> None:
    settings = parse_url("unix:///var/run/valkey.sock?db=3")

    assert settings.scheme == "unix"
    assert settings.path == "/var/run/valkey.sock"
    assert settings.db == 3
    assert settings.port is None
    assert settings.options == {}


def test_unix_socket_with_password() -> None:
    settings = parse_url("unix://:s3cret@/tmp/valkey.sock")

    assert settings.path == "/tmp/valkey.sock"
    assert settings.password == "s3cret"


def test_host_port_and_database() -> None:
    settings = parse_url("redis://cache.example:6390/5")

    assert settings.host == "cache.example"
    assert settings.port == 6390
    assert settings.db == 5


def test_port_defaults_to_backend() -> None:
    settings = parse_url("redis://cache.example")

    assert settings.port is None
    assert settings.db == 0


def test_ipv6_host() -> None:
    settings = parse_url("redis://[::1]:6379/0")

    assert settings.host == "::1"
    assert settings.port == 6379


def test_database_from_query() -> None:
    assert parse_url("redis://h.example:6379?db=4").db == 4


def test_credentials_are_decoded() -> None:
    settings = parse_url("rediss://app%40ops:p%40ss%3Aword@h.example:6380/0")

    assert settings.username == "app@ops"
    assert settings.password == "p@ss:word"


def test_password_without_user() -> None:
    settings = parse_url("redis://:hunter22@h.example:6379/0")

    assert settings.username is None
    assert settings.password == "hunter22"


def test_query_options_kept() -> None:
    settings = parse_url(
        "rediss://h.example:6380/0?ssl_cert_reqs=none&socket_timeout=2.5"
    )

    assert settings.options == {"ssl_cert_reqs": "none", "socket_timeout": "2.5"}


def test_scheme_is_lowercased() -> None:
    assert parse_url("REDIS://h.example:6379/0").scheme == "redis"


def test_plugin_scheme_parses() -> None:
    settings = parse_url("fakeredis://local.example/2")

    assert settings.scheme == "fakeredis"
    assert settings.db == 2


INVALID = [
    ("127.0.0.1:6379", "expected scheme://"),
    ("redis:/h.example", "expected scheme://"),
    ("1redis://h.example", "expected scheme://"),
    ("redis://h.example:0", "invalid port"),
    ("redis://h.example:70000", "invalid port"),
    ("redis://h.example:port", "invalid port"),
    ("redis://h.example/one", "invalid database"),
    ("redis://h.example/1/2", "invalid database"),
    ("redis://h.example/1?db=2", "keep one"),
    ("redis://h.example?db=1&db=2", "appears twice"),
    ("redis://h.example?novalue", "invalid query string"),
    ("redis://h.example#frag", "fragment"),
    ("redis://:pw@/0", "has no host"),
    ("unix://relative.sock", "absolute socket path"),
    ("unix:///tmp/x.sock/extra?db=x", "invalid database"),
    ("redis+cluster://h.example:7000/2", "database 0"),
    ("redis://user@h.example", "no password"),
]


@pytest.mark.parametrize(("url", "expected"), INVALID)
def test_invalid_url_is_rejected(url: str, expected: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_url(url)

    assert expected in str(caught.value)


# -- passwords stay secret ------------------------------------------------------

SECRET = "Tr0ub4dor-x9"
SECRET_URLS = [
    f"redis://:{SECRET}@h.example:6379/0",
    f"rediss://admin:{SECRET}@h.example:6380/1?ssl_cert_reqs=none",
    f"unix://:{SECRET}@/tmp/valkey.sock",
    f"valkey+cluster://ops:{SECRET}@h.example:7000",
]


@pytest.mark.parametrize("url", SECRET_URLS)
def test_password_absent_from_repr(url: str) -> None:
    settings = parse_url(url)

    assert settings.password == SECRET
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)
    assert SECRET not in settings.url
    assert SECRET not in settings.safe_url
    assert "***" in settings.url


def test_encoded_password_absent_from_repr() -> None:
    settings = parse_url("redis://:p%40ss%2Fw0rd@h.example:6379/0")

    assert settings.password == "p@ss/w0rd"
    assert "p%40ss%2Fw0rd" not in repr(settings)
    assert "p@ss/w0rd" not in repr(settings)


BAD_URLS_WITH_SECRET = [
    f"redis://:{SECRET}@h.example:0",
    f"redis://:{SECRET}@h.example/db",
    f"redis://:{SECRET}@h.example#x",
    f"redis://{SECRET}@h.example",
    f"redis://h.example?password={SECRET}",
    f"redis://user:{SECRET}@h.example?db=1&db=2",
    f"unix://:{SECRET}@relative.sock",
]


@pytest.mark.parametrize("url", BAD_URLS_WITH_SECRET)
def test_password_absent_from_errors(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_url(url)

    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)


def test_mask_url_hides_password() -> None:
    assert mask_url("redis://u:pw@h:1/0") == "redis://u:***@h:1/0"
    assert mask_url("redis://pw@h:1/0") == "redis://***@h:1/0"
    assert mask_url("redis://h:1/0?password=pw") == "redis://h:1/0?password=***"
    assert mask_url("redis://h:1/0") == "redis://h:1/0"


PASSWORD_CHARACTERS = string.ascii_letters + string.digits + "!$&'()*+,;=-._~:@/?#[]%"


@given(password=st.text(alphabet=PASSWORD_CHARACTERS, min_size=6, max_size=40))
def test_any_password_stays_masked(password: str) -> None:
    template = "redis://app:***@h.example:6379/0"
    assume(password not in template)
    encoded = "".join(
        c if c in string.ascii_letters + string.digits else f"%{ord(c):02X}"
        for c in password
    )

    settings = parse_url(f"redis://app:{encoded}@h.example:6379/0")

    assert settings.password == password
    assert password not in repr(settings)
    assert encoded not in repr(settings)


# -- unknown keys -----------------------------------------------------------------


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the unknown keys already warned about in this process."""
    monkeypatch.setattr(config, "_warned_unknown_keys", set())


@pytest.mark.usefixtures("fresh_warnings")
def test_unknown_toml_key_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path / "hotmesh.toml", 'uri = "redis://x.example"\n')

    with caplog.at_level(logging.WARNING, logger="hotmesh.config"):
        assert resolve_url(environ={}, cwd=tmp_path) is None

    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "unknown key 'uri'" in message
    assert str(path) in message
    assert "the known key is 'url'" in message


@pytest.mark.usefixtures("fresh_warnings")
def test_unknown_pyproject_keys_warn_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(
        tmp_path / "pyproject.toml",
        f'[tool.hotmesh]\nurl = "{PYPROJECT_URL}"\nhost = "h"\nport = 1\n',
    )

    with caplog.at_level(logging.WARNING, logger="hotmesh.config"):
        assert resolve_url(environ={}, cwd=tmp_path) == PYPROJECT_URL
        assert resolve_url(environ={}, cwd=tmp_path) == PYPROJECT_URL

    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "unknown keys 'host', 'port' in [tool.hotmesh]" in message


@pytest.mark.usefixtures("fresh_warnings")
def test_known_keys_do_not_warn(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path / "hotmesh.toml", f'url = "{TOML_URL}"\n')

    with caplog.at_level(logging.WARNING, logger="hotmesh.config"):
        assert resolve_url(environ={}, cwd=tmp_path) == TOML_URL

    assert caplog.records == []


@pytest.mark.parametrize(
    ("url", "db", "options"),
    [
        ("fakeredis://", 0, {}),
        ("fakeredis://?max_payload_bytes=1048576", 0, {"max_payload_bytes": "1048576"}),
        ("fakeredis:///3", 3, {}),
    ],
)
def test_named_server_scheme_without_host(
    url: str, db: int, options: dict[str, str]
) -> None:
    settings = parse_url(url)

    assert settings.scheme == "fakeredis"
    assert settings.host == ""
    assert settings.db == db
    assert settings.options == options
