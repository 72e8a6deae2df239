"""Collation: how a job tracks its own progress without a controller.

Two kinds of atomic counters live in the job hash.

The **status semaphore** counts open branches: the trigger sets it to the
number of children it starts, every step adds ``children - 1`` when it
closes an activity (``+children`` for a pending response that keeps the
activity open), and the one step whose increment brings it to 0 finishes
the job. An interrupt subtracts :data:`INTERRUPT_DELTA`, so any value below
``INTERRUPTED_BELOW`` means the job was interrupted.

The **activity counter** is a 15-digit integer per activity and
dimensional address. Reading left to right: leg 1 entered (digit 0, 9 = no,
8 = yes), leg 1 exited (digit 1), leg 2 open (digit 2, 9 = open, 8 =
closed), six digits counting leg-2 entries and six counting leg-2 exits.
A parent seeds each child with :data:`SEED`; every step checks the counter
it read in a guard, so a redelivered or duplicate message changes nothing.

A *dimensional address* (``dad``) is a comma-prefixed list of integers, one
per depth: the trigger is ``,0``, its children ``,0,0``. When an activity
is re-entered (a cycle, or another pending response) the ``n``-th entry
writes its output at its address with the last segment set to ``n``, so
its descendants run in a fresh thread with their own counters.
"""

from __future__ import annotations

SEED = 999_000_000_000_000
TRIGGER_DONE = 888_000_001_000_001

LEG1_ENTRY = -100_000_000_000_000
LEG1_EXIT = -10_000_000_000_000
LEG2_CLOSE = -1_000_000_000_000
LEG2_ENTRY = 1_000_000
LEG2_EXIT = 1

LEG1_WAIT = LEG1_ENTRY + LEG1_EXIT
"""Leg 1 done, now waiting for leg 2 (worker, await, waiting hook)."""

LEG2_OPEN_PREFIX = "889"
"""Counter prefix of an activity whose leg 2 accepts entries."""

INTERRUPT_DELTA = -1_000_000_000


def leg1_complete(cycle_target: bool) -> int:
    """Return the delta of a leg 1 that also completes the activity."""
    close = 0 if cycle_target else LEG2_CLOSE
    return LEG1_WAIT + close + LEG2_ENTRY + LEG2_EXIT


def leg2_exit(final: bool, cycle_target: bool) -> int:
    """Return the delta of one leg-2 pass, entry included."""
    close = LEG2_CLOSE if final and not cycle_target else 0
    return LEG2_ENTRY + LEG2_EXIT + close


CYCLE_EXIT = LEG1_WAIT + LEG2_CLOSE
"""A cycle activity closes at once; its ancestor's re-entry carries on."""


def entry_count(counter: int) -> int:
    """Return how many times leg 2 of an activity has been entered."""
    return (counter // 1_000_000) % 1_000_000


def child_dad(dad: str) -> str:
    return f"{dad},0"


def segments(dad: str) -> list[str]:
    return dad.split(",")[1:]


def with_last(dad: str, index: int) -> str:
    parts = segments(dad)
    parts[-1] = str(index)
    return "," + ",".join(parts)


def truncate(dad: str, depth: int) -> str:
    """Return the first ``depth + 1`` segments of an address."""
    return "," + ",".join(segments(dad)[: depth + 1])


def dimension_map(ancestors: list[str], aid: str, dad: str) -> dict[str, str]:
    """Map each ancestor and the activity itself to its address in ``dad``."""
    dims = {ancestor: truncate(dad, depth) for depth, ancestor in enumerate(ancestors)}
    dims[aid] = dad
    return dims


def cycle_target_dad(dad: str, ancestor_depth: int) -> str:
    """Return the original address of a cycle's ancestor at a depth."""
    return with_last(truncate(dad, ancestor_depth), 0)
