"""The ``logical`` functions, which return an operand as ``&&`` and ``||`` do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from hotmesh.engine.pipe._values import truthy


def and_(left: Any, right: Any) -> Any:
    """Return ``left && right``: ``left`` if it is falsy, else ``right``."""
    return right if truthy(left) else left


def or_(left: Any, right: Any) -> Any:
    """Return ``left || right``: ``left`` if it is truthy, else ``right``."""
    return left if truthy(left) else right


FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "and": and_,
    "or": or_,
}
