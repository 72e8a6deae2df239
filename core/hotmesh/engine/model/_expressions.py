"""Check mapping expressions such as ``{a1.output.data.x}`` and ``{@date.now}``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from hotmesh.engine.model._yaml import NodePath

Report = Callable[[NodePath, str], None]

SYSTEM_VARIABLES = frozenset({"$self", "$job", "$app", "$graph"})
"""Roots of the job context that every expression may name."""

REDUCE_VARIABLES = frozenset({"$input", "$output", "$item", "$key", "$index"})
"""Variables that ``@reduce`` binds while it iterates."""

HOOK_VARIABLE = "$hook"
"""Root that a graph hook rule's ``actual`` may name: the incoming signal."""

SCHEMA_KEY = "schema"
"""Key of JSON Schema documents, which hold examples rather than expressions."""


FunctionExists = Callable[[str, str], bool]
"""Lookup taking a function's domain and name, as in ``{@domain.name}``."""


def _pipe_function_exists(domain: str, name: str) -> bool:
    # Imported on first use, so importing the model package does not import @pipe.
    from hotmesh.engine.pipe import function_exists

    return function_exists(domain, name)


class MappingChecker:
    """Report mapping expressions that name an unknown activity or function."""

    def __init__(
        self,
        activity_ids: Iterable[str],
        function_exists: FunctionExists = _pipe_function_exists,
    ) -> None:
        self.roots = frozenset(activity_ids) | SYSTEM_VARIABLES | REDUCE_VARIABLES
        self.function_exists = function_exists

    def check_tree(
        self, value: Any, path: NodePath, report: Report, *, in_hook: bool = False
    ) -> None:
        """Check every expression string in ``value``, skipping JSON Schemas.

        ``in_hook`` also accepts ``$hook``, which only graph hook rules see.
        """
        if isinstance(value, dict):
            for key, item in value.items():
                if key != SCHEMA_KEY:
                    self.check_tree(item, (*path, key), report, in_hook=in_hook)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.check_tree(item, (*path, index), report, in_hook=in_hook)
        elif isinstance(value, str):
            message = self.check_expression(value, in_hook=in_hook)
            if message:
                report(path, message)

    def check_expression(self, text: str, *, in_hook: bool = False) -> str | None:
        """Return a problem message for ``text``, or None if it is valid.

        A string is an expression when it starts with ``{`` and ends with
        ``}``. Any other string is a literal and always valid.
        """
        if not (text.startswith("{") and text.endswith("}")):
            return None
        if text.startswith("{@"):
            return self._check_function(text)
        root = text[1:-1].split(".", 1)[0]
        if root in self.roots or (in_hook and root == HOOK_VARIABLE):
            return None
        return (
            f"mapping {text!r} refers to unknown activity {root!r}; the first "
            "segment must be an activity id, $self, $job, $app, $graph or a "
            "@reduce variable ($input, $output, $item, $key, $index)"
        )

    def _check_function(self, text: str) -> str | None:
        name = text[2:-1]
        domain, dot, function = name.partition(".")
        if not (domain and dot and function):
            return f"invalid function reference {text!r}: write '{{@domain.function}}'"
        if self.function_exists(domain, function):
            return None
        return f"unknown function {text!r}: no @pipe function {name!r} exists"
