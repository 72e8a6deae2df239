"""The registry of functions that ``{@domain.name}`` references call.

Each family module maps JavaScript-style names to Python functions in its
``FUNCTIONS`` table. Calls go through :func:`call_function`, which checks
the argument count against the Python signature and reports every failure
as a :class:`~hotmesh.errors.PipeError` that names the function.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from hotmesh.engine.pipe.functions import (
    array,
    bitwise,
    conditional,
    date,
    json,
    logical,
    math,
    number,
    object,
    string,
    symbol,
    unary,
)
from hotmesh.errors import PipeError

DOMAINS: Final[Mapping[str, Mapping[str, Callable[..., Any]]]] = MappingProxyType(
    {
        "array": MappingProxyType(array.FUNCTIONS),
        "bitwise": MappingProxyType(bitwise.FUNCTIONS),
        "conditional": MappingProxyType(conditional.FUNCTIONS),
        "date": MappingProxyType(date.FUNCTIONS),
        "json": MappingProxyType(json.FUNCTIONS),
        "logical": MappingProxyType(logical.FUNCTIONS),
        "math": MappingProxyType(math.FUNCTIONS),
        "number": MappingProxyType(number.FUNCTIONS),
        "object": MappingProxyType(object.FUNCTIONS),
        "string": MappingProxyType(string.FUNCTIONS),
        "symbol": MappingProxyType(symbol.FUNCTIONS),
        "unary": MappingProxyType(unary.FUNCTIONS),
    }
)

# Errors that a function body may raise on a value it cannot handle.
_VALUE_ERRORS: Final = (
    TypeError,
    ValueError,
    OverflowError,
    ZeroDivisionError,
    RecursionError,
)


class Arity(NamedTuple):
    """Accepted count of positional arguments, with no maximum when None."""

    minimum: int
    maximum: int | None

    def describe(self) -> str:
        """Phrase the accepted count, such as ``'1 to 3 arguments'``."""
        if self.maximum is None:
            return f"at least {self.minimum} argument{'s' * (self.minimum != 1)}"
        if self.minimum == self.maximum:
            return f"{self.minimum} argument{'s' * (self.minimum != 1)}"
        return f"{self.minimum} to {self.maximum} arguments"

    def accepts(self, count: int) -> bool:
        """Return whether ``count`` arguments are acceptable."""
        return count >= self.minimum and (self.maximum is None or count <= self.maximum)


def function_exists(domain: str, name: str) -> bool:
    """Return whether ``{@domain.name}`` names a known function."""
    return name in DOMAINS.get(domain, {})


def get_function(domain: str, name: str) -> Callable[..., Any]:
    """Return the function that ``{@domain.name}`` names.

    Raises:
        PipeError: The domain or the function is unknown.
    """
    functions = DOMAINS.get(domain)
    if functions is None:
        known = ", ".join(DOMAINS)
        raise PipeError(
            f"unknown function domain {domain!r} in {{@{domain}.{name}}}. "
            f"The domains are {known}"
        )
    function = functions.get(name)
    if function is None:
        raise PipeError(
            f"unknown function {{@{domain}.{name}}}: {domain} has no {name!r}"
        )
    return function


@functools.cache
def arity(domain: str, name: str) -> Arity:
    """Return how many arguments ``{@domain.name}`` accepts."""
    parameters = inspect.signature(get_function(domain, name)).parameters.values()
    positional = [p for p in parameters if p.kind == p.POSITIONAL_OR_KEYWORD]
    required = sum(1 for p in positional if p.default is p.empty)
    variadic = any(p.kind == p.VAR_POSITIONAL for p in parameters)
    return Arity(required, None if variadic else len(positional))


def call_function(domain: str, name: str, args: Sequence[Any]) -> Any:
    """Call ``{@domain.name}`` with positional ``args`` and return its result.

    Raises:
        PipeError: The function is unknown, the argument count is wrong, or
            an argument has a type or value the function cannot accept.
    """
    function = get_function(domain, name)
    accepted = arity(domain, name)
    if not accepted.accepts(len(args)):
        raise PipeError(
            f"{domain}.{name} expects {accepted.describe()}, got {len(args)}"
        )
    try:
        return function(*args)
    except PipeError as exc:
        raise PipeError(f"{domain}.{name}: {exc}") from exc
    except _VALUE_ERRORS as exc:
        raise PipeError(f"{domain}.{name} failed: {exc}") from exc
