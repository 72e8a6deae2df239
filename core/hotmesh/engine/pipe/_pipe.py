"""Evaluation of ``@pipe`` row lists, nested pipes and ``@reduce`` rows.

A pipe runs its rows in order against a *current row*. The first plain
row's cells are resolved to start it. Each later plain row calls the
function named in its first cell with the current row as arguments, and
the result followed by the row's other resolved cells becomes the new
current row. A nested ``@pipe`` row queues its result instead, and the
queued results replace the current row at the next plain or ``@reduce``
row, or at the end. The pipe's value is the first cell of the last row.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from hotmesh.engine.pipe._resolve import (
    call_reference,
    is_reduce_variable,
    resolve_cell,
)
from hotmesh.engine.pipe._values import UNDEFINED, to_string
from hotmesh.errors import PipeError

PIPE_KEY: Final = "@pipe"
REDUCE_KEY: Final = "@reduce"

MAX_PIPE_DEPTH: Final = 100
"""Maximum nesting depth of ``@pipe`` and ``@reduce`` rows in one pipe.

Each level is a recursive call, so the bound keeps a deep pipe from
exhausting Python's recursion limit.
"""

Row = list[Any]


def is_pipe(value: Any) -> bool:
    """Return whether a value is an ``{'@pipe': [...]}`` object."""
    return isinstance(value, Mapping) and PIPE_KEY in value


def is_reduce(value: Any) -> bool:
    """Return whether a value is an ``{'@reduce': [...]}`` object."""
    return isinstance(value, Mapping) and REDUCE_KEY in value


def resolve(
    value: Any,
    context: Mapping[str, Any],
    reduce_context: Mapping[str, Any] | None = None,
) -> Any:
    """Return the value of a cell or of an ``{'@pipe': [...]}`` object.

    Args:
        value: A literal, a ``{...}`` expression or a pipe object.
        context: The job context tree that ``{a.b.c}`` paths read.
        reduce_context: The ``$input``, ``$output``, ``$item``, ``$key``
            and ``$index`` variables of an enclosing ``@reduce``.

    Raises:
        PipeError: A function is unknown or fails, or a pipe is malformed.
    """
    if is_pipe(value):
        return evaluate_pipe(value, context, reduce_context)
    return resolve_cell(value, context, reduce_context)


def evaluate_pipe(
    pipe: Any,
    context: Mapping[str, Any],
    reduce_context: Mapping[str, Any] | None = None,
) -> Any:
    """Run a pipe, given as its list of rows or as an ``{'@pipe': rows}`` object.

    Returns UNDEFINED for a pipe with no rows.

    Raises:
        PipeError: A function is unknown or fails, a row is malformed, or
            ``@pipe`` and ``@reduce`` rows nest more than
            :data:`MAX_PIPE_DEPTH` levels deep.
    """
    rows = pipe[PIPE_KEY] if is_pipe(pipe) else pipe
    return _Evaluation(context, reduce_context, 0).run(rows, None)


class _Evaluation:
    def __init__(
        self,
        context: Mapping[str, Any],
        reduce_context: Mapping[str, Any] | None,
        depth: int,
    ) -> None:
        self.context = context
        self.reduce_context = reduce_context
        # The number of @pipe and @reduce rows this evaluation is inside.
        self.depth = depth

    def run(self, rows: Any, current: Row | None) -> Any:
        if self.depth > MAX_PIPE_DEPTH:
            raise PipeError(
                f"@pipe and @reduce rows nest more than {MAX_PIPE_DEPTH} levels "
                "deep; flatten the pipe into fewer nested rows"
            )
        if not isinstance(rows, list | tuple):
            raise PipeError(f"a pipe must be a list of rows, got {rows!r}")
        start = 0
        if current is None and rows and isinstance(rows[0], list | tuple):
            current = self.cells(rows[0])
            start = 1

        queue: list[Any] = []
        for position in range(start, len(rows)):
            current = self.step(rows[position], position, current, queue)

        if queue:
            current = queue
        return current[0] if current else UNDEFINED

    def step(
        self, row: Any, position: int, current: Row | None, queue: Row
    ) -> Row | None:
        if is_pipe(row):
            nested = _Evaluation(self.context, self.reduce_context, self.depth + 1)
            queue.append(nested.run(row[PIPE_KEY], None))
            return current
        if queue:
            current = list(queue)
            queue.clear()
        if is_reduce(row):
            if current is None:
                raise PipeError(
                    f"@reduce at row {position} has no row before it to reduce"
                )
            return [self.reduce(row[REDUCE_KEY], current)]
        if not isinstance(row, list | tuple):
            raise PipeError(
                f"row {position} must be a list of cells, an @pipe or an @reduce, "
                f"got {row!r}"
            )
        if current is None:
            return self.cells(row)
        if not row:
            raise PipeError(
                f"row {position} is empty, but it needs a function reference"
            )
        return [self.apply(row[0], current), *self.cells(row[1:])]

    def apply(self, head: Any, arguments: Row) -> Any:
        if is_reduce_variable(head):
            return resolve_cell(head, self.context, self.reduce_context)
        if not isinstance(head, str):
            raise PipeError(
                f"expected a function reference such as {{@math.add}}, got {head!r}"
            )
        return call_reference(head, arguments)

    def cells(self, row: Sequence[Any]) -> Row:
        return [resolve_cell(cell, self.context, self.reduce_context) for cell in row]

    def reduce(self, body: Any, current: Row) -> Any:
        iterable = current[0] if current else UNDEFINED
        initial = current[1] if len(current) > 1 else None
        output = copy.deepcopy(None if initial is UNDEFINED else initial)
        for index, (key, item) in enumerate(_members(iterable)):
            variables = {
                "$input": iterable,
                "$output": output,
                "$item": item,
                "$key": key,
                "$index": index,
            }
            body_evaluation = _Evaluation(self.context, variables, self.depth + 1)
            output = body_evaluation.run(body, [output])
        return output


def _members(iterable: Any) -> Iterator[tuple[str, Any]]:
    """Yield ``(key, item)`` pairs as a JavaScript ``for...in`` loop visits them."""
    if isinstance(iterable, Mapping):
        for key, item in iterable.items():
            yield to_string(key), item
    elif isinstance(iterable, list | tuple | str):
        for index, item in enumerate(iterable):
            yield str(index), item
