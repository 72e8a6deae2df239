"""The ``pluck`` demo keeps a record per term and finds the last one."""

from __future__ import annotations

import pytest

from hotmesh.demos import pluck as pluck_demo

pytestmark = pytest.mark.timeout(120)

EXPECTED = [
    "* connecting workers ...",
    "* UserID: cat, function response => Welcome, cat. "
    "function state => {'plan': 'pro', 'id': 'cat', 'active': 'yes'}",
    "* UserID: dog, function response => Welcome, dog. "
    "function state => {'plan': 'pro', 'id': 'dog', 'active': 'yes'}",
    "* UserID: mouse, function response => Welcome, mouse. "
    "function state => {'plan': 'pro', 'id': 'mouse', 'active': 'yes'}",
    "* creating search index ...",
    "* search for id 'mouse' => 1 match",
    "  greeting-mouse {'plan': 'pro', 'id': 'mouse', 'active': 'yes'}",
    "* shutting down ...",
]


def test_demo_prints_records_and_match(
    backend_url: str, namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["cat", "dog", "mouse", "--url", backend_url, "--namespace", namespace]

    assert pluck_demo.main(argv) == 0
    first = capsys.readouterr().out.splitlines()
    assert pluck_demo.main(argv) == 0
    second = capsys.readouterr().out.splitlines()

    assert first == EXPECTED
    assert second == EXPECTED


def test_demo_rejects_bad_term(
    backend_url: str, namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["a:b", "--url", backend_url, "--namespace", namespace]

    assert pluck_demo.main(argv) == 2
    assert "id 'a:b' is invalid" in capsys.readouterr().err


def test_demo_rejects_too_long_term(
    backend_url: str, namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["n" * 1024, "--url", backend_url, "--namespace", namespace]

    assert pluck_demo.main(argv) == 2
    error = capsys.readouterr().err
    assert "is 1024 chars long: give at most 512 chars" in error
    assert "greeting-" not in error
