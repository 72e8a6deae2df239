"""Matching of status codes and job statuses against transition patterns."""

from __future__ import annotations

import re
from typing import Any

from hotmesh.errors import PipeError

_REGEX_LITERAL = re.compile(r"/(?P<body>.*)/(?P<flags>[dgimsuvy]*)", re.DOTALL)
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}


def _compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile ``/body/flags`` as a regular expression, else a wildcard pattern.

    In a wildcard pattern each ``*`` matches one digit and the whole code
    must match, so ``4**`` matches 404 but not 4040.
    """
    literal = _REGEX_LITERAL.fullmatch(pattern)
    if literal is None:
        wildcard = re.escape(pattern).replace(r"\*", "[0-9]")
        return re.compile(f"^{wildcard}$")
    flags = 0
    for letter in literal.group("flags"):
        flags |= _FLAGS.get(letter, 0)
    try:
        return re.compile(literal.group("body"), flags)
    except re.error as exc:
        raise PipeError(f"invalid status code pattern {pattern!r}: {exc}") from exc


def matches_status_code(code: int | str, pattern: str | re.Pattern[str]) -> bool:
    """Return whether a status code matches a pattern.

    Args:
        code: A status code such as 404 or ``'404'``.
        pattern: A wildcard string like ``'4**'``, a JavaScript regex
            literal string like ``'/^4\\d\\d$/'``, or a compiled regex. A
            regex matches anywhere in the code's text unless anchored.

    Raises:
        PipeError: A regex literal string does not compile.
    """
    compiled = pattern if isinstance(pattern, re.Pattern) else _compile_pattern(pattern)
    return compiled.search(str(code)) is not None


def matches_status(status: Any, expected: Any) -> bool:
    """Return whether a job status (success, error or pending) is ``expected``."""
    return isinstance(status, str) and status == expected
