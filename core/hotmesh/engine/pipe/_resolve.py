"""Resolution of single cells: mappings, function calls and literals.

A cell that is a string starting with ``{`` and ending with ``}`` is never
a literal. ``{@domain.name}`` calls a function with no arguments,
``{$item.x}`` and the other reduce variables read the reduce context, and
any other ``{a.b.c}`` is a dotted path into the job context.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from hotmesh.engine.pipe._properties import own_property
from hotmesh.engine.pipe._values import UNDEFINED
from hotmesh.engine.pipe.functions import call_function
from hotmesh.errors import PipeError

REDUCE_VARIABLES: Final = frozenset({"$input", "$output", "$item", "$key", "$index"})


def is_expression(value: Any) -> bool:
    """Return whether a value is a ``{...}`` expression rather than a literal."""
    return (
        isinstance(value, str)
        and len(value) >= 2
        and value.startswith("{")
        and value.endswith("}")
    )


def is_function_ref(value: Any) -> bool:
    """Return whether a value has the ``{@...}`` form of a function reference."""
    return is_expression(value) and value.startswith("{@")


def parse_function_ref(value: Any) -> tuple[str, str] | None:
    """Split ``'{@math.add}'`` into ``('math', 'add')``.

    The domain ends at the first dot. Returns None unless the value is a
    ``{@domain.name}`` string with a non-empty domain and name.
    """
    if not is_function_ref(value):
        return None
    domain, dot, name = value[2:-1].partition(".")
    if not (dot and domain and name):
        return None
    return domain, name


def is_reduce_variable(value: Any) -> bool:
    """Return whether a cell reads the reduce context, as ``{$item.name}`` does."""
    if not is_expression(value):
        return False
    head = value[1:-1].split(".", 1)[0]
    return head in REDUCE_VARIABLES


def lookup_path(root: Any, path: str) -> Any:
    """Follow a dotted path through own dict keys and list indexes.

    Returns UNDEFINED as soon as a step is missing.
    """
    value = root
    for segment in path.split("."):
        value = own_property(value, segment)
        if value is UNDEFINED:
            break
    return value


def call_reference(reference: str, args: list[Any]) -> Any:
    """Call the function that a ``{@domain.name}`` reference names.

    Raises:
        PipeError: The reference is malformed or the call fails.
    """
    parsed = parse_function_ref(reference)
    if parsed is None:
        raise PipeError(
            f"invalid function reference {reference!r}. "
            "Use the form {@domain.name}, such as {@math.add}"
        )
    return call_function(parsed[0], parsed[1], args)


def resolve_cell(
    cell: Any,
    context: Mapping[str, Any],
    reduce_context: Mapping[str, Any] | None = None,
) -> Any:
    """Return the value of one cell, or the cell itself when it is a literal."""
    if not is_expression(cell):
        return cell
    if is_function_ref(cell):
        return call_reference(cell, [])
    path = cell[1:-1]
    if is_reduce_variable(cell):
        return lookup_path(reduce_context or {}, path)
    return lookup_path(context, path)
