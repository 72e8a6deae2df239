"""The ``durable`` demo greets through a workflow whose activity fails at random."""

from __future__ import annotations

import pytest

from hotmesh.demos import durable as durable_demo

pytestmark = pytest.mark.timeout(120)


def test_demo_prints_greeting(
    backend_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert durable_demo.main(["Ada", "--url", backend_url]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("started workflow ")
    assert lines[-1] == "¡Hola, Ada!"
    for line in lines[1:-1]:
        assert "activity 'greet' of workflow" in line
        assert "failed on attempt" in line
