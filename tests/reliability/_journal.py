"""A journal file: one JSON line per event, appended by any process.

Activities and worker callbacks of the reliability tests write an event
when they start and when they end, so a test can count how often each ran
and in which process, whichever process ran it.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any


def record(journal: str | Path, event: str, name: str, **extra: Any) -> None:
    """Append one event as a JSON line, with this process's id and the time.

    One ``os.write`` to a file opened with ``O_APPEND`` appends the whole
    line, so the lines of concurrent processes do not interleave on a local
    file system.
    """
    line = {"pid": os.getpid(), "event": event, "name": name, **extra}
    line["at"] = time.time()
    data = (json.dumps(line) + "\n").encode()
    descriptor = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, data)
    finally:
        os.close(descriptor)


def read(journal: str | Path) -> list[dict[str, Any]]:
    """Return every event of a journal, oldest first, or none if it is missing."""
    path = Path(journal)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def counts(journal: str | Path, event: str) -> Counter[str]:
    """Return how many times each name has an event of this kind."""
    return Counter(line["name"] for line in read(journal) if line["event"] == event)


def pids(journal: str | Path, event: str, name: str) -> list[int]:
    """Return the process ids of the events of one kind and name, in order."""
    return [
        line["pid"]
        for line in read(journal)
        if line["event"] == event and line["name"] == name
    ]
