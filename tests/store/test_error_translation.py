"""Client library exceptions become HotMesh errors by what the server replied."""

from __future__ import annotations

import pytest
import redis.exceptions

from hotmesh.config import parse_url
from hotmesh.errors import ConnectionFailedError, HotMeshError, StoreError
from hotmesh_redis.errors import ClientErrors, translate

ERRORS = ClientErrors.from_module(redis.exceptions, "Redis")
SETTINGS = parse_url("redis://:sesame@127.0.0.1:6390/0")


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (
            redis.exceptions.ResponseError(
                "LOADING Redis is loading the dataset in memory"
            ),
            ConnectionFailedError,
        ),
        (
            redis.exceptions.ResponseError("MASTERDOWN Link is down"),
            ConnectionFailedError,
        ),
        (
            redis.exceptions.ResponseError("TRYAGAIN Multiple keys"),
            ConnectionFailedError,
        ),
        (redis.exceptions.ConnectionError("Connection refused"), ConnectionFailedError),
        (
            redis.exceptions.MaxConnectionsError("Too many connections"),
            ConnectionFailedError,
        ),
        (redis.exceptions.ResponseError("ERR unknown command 'X'"), StoreError),
        (redis.exceptions.ResponseError("ERR loading module"), StoreError),
    ],
)
def test_reply_decides_error_class(exc: Exception, kind: type[HotMeshError]) -> None:
    error = translate(exc, ERRORS, SETTINGS)

    assert type(error) is kind
    assert "sesame" not in str(error)
    assert "127.0.0.1:6390" in str(error)
