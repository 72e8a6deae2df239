"""Tests for status code and job status matching."""

from __future__ import annotations

import re

import pytest

from hotmesh.engine.codes import matches_status, matches_status_code
from hotmesh.errors import PipeError


def test_wildcard_patterns() -> None:
    assert matches_status_code(404, "4**") is True
    assert matches_status_code(304, "4**") is False
    assert matches_status_code(500, "4**") is False
    assert matches_status_code(500, "5**") is True


def test_regex_patterns() -> None:
    assert matches_status_code(404, re.compile(r"^4\d\d$")) is True
    assert matches_status_code(403, re.compile(r"^40[34]$")) is True
    assert matches_status_code(404, re.compile(r"^40[34]$")) is True
    assert matches_status_code(405, re.compile(r"^40[34]$")) is False


def test_regex_literal_strings() -> None:
    assert matches_status_code(404, r"/^4\d\d$/") is True
    assert matches_status_code(403, "/^40[34]$/") is True
    assert matches_status_code(405, "/^40[34]$/") is False
    assert matches_status_code(4040, "/40/") is True
    assert matches_status_code("abc", "/^ABC$/i") is True
    assert matches_status_code("abc", "/^ABC$/") is False


def test_wildcard_whole_code_only() -> None:
    assert matches_status_code(4040, "4**") is False
    assert matches_status_code(40, "4**") is False
    assert matches_status_code("404", "4**") is True
    assert matches_status_code(404, "404") is True
    assert matches_status_code(404, "4.4") is False
    assert matches_status_code("4\u06604", "4*4") is False


def test_invalid_regex_literal_raises() -> None:
    with pytest.raises(PipeError, match=r"invalid status code pattern '/\(/'"):
        matches_status_code(404, "/(/")


def test_matches_status() -> None:
    assert matches_status("success", "success") is True
    assert matches_status("success", "error") is False
    assert matches_status("error", "error") is True
    assert matches_status("error", "pending") is False
    assert matches_status("pending", "pending") is True
    assert matches_status(None, "pending") is False
