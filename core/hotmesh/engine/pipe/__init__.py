"""Mapping expressions and the ``@pipe`` language, with JavaScript semantics.

``resolve`` turns one model value into data: ``{a1.output.data.x}`` reads
the job context, ``{@date.now}`` calls a function, an ``{'@pipe': rows}``
object runs a pipe, and anything else is a literal. Values follow
JavaScript: ``UNDEFINED`` is ``undefined``, ``None`` is ``null`` and
numbers behave like doubles.
"""

from hotmesh.engine.pipe._json import parse as json_parse
from hotmesh.engine.pipe._json import stringify as json_stringify
from hotmesh.engine.pipe._pipe import evaluate_pipe, is_pipe, is_reduce, resolve
from hotmesh.engine.pipe._resolve import (
    is_expression,
    is_function_ref,
    is_reduce_variable,
    lookup_path,
    parse_function_ref,
)
from hotmesh.engine.pipe._values import (
    UNDEFINED,
    Undefined,
    compare,
    loose_equals,
    number_to_string,
    strict_equals,
    to_number,
    to_string,
    truthy,
    type_of,
)
from hotmesh.engine.pipe.functions import arity, call_function, function_exists

__all__ = [
    "UNDEFINED",
    "Undefined",
    "arity",
    "call_function",
    "compare",
    "evaluate_pipe",
    "function_exists",
    "is_expression",
    "is_function_ref",
    "is_pipe",
    "is_reduce",
    "is_reduce_variable",
    "json_parse",
    "json_stringify",
    "lookup_path",
    "loose_equals",
    "number_to_string",
    "parse_function_ref",
    "resolve",
    "strict_equals",
    "to_number",
    "to_string",
    "truthy",
    "type_of",
]
