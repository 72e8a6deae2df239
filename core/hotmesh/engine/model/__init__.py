"""Load, validate and compile YAML app models.

:func:`load_model` reads an app from a ``hotmesh.yaml`` file (following
``$ref`` includes across files) or from inline YAML text, checks it, and
returns an :class:`AppModel` for the engine to run. An invalid model raises
one :class:`~hotmesh.errors.ModelValidationError` that lists every problem
with its file, line and path in the document.
"""

from __future__ import annotations

import os

from hotmesh.engine.model._compile import compile_app
from hotmesh.engine.model._loader import load_document
from hotmesh.engine.model._types import (
    ACTIVITY_TYPES,
    Activity,
    AppModel,
    Graph,
    HookRule,
    Transition,
)
from hotmesh.engine.model._validate import validate
from hotmesh.errors import ModelValidationError

__all__ = [
    "ACTIVITY_TYPES",
    "Activity",
    "AppModel",
    "Graph",
    "HookRule",
    "Transition",
    "load_model",
]


def load_model(source: str | os.PathLike[str]) -> AppModel:
    """Load, validate and compile an app model.

    Args:
        source: Path of a YAML file, or inline YAML text. A string whose
            stripped text starts with ``app:`` is inline YAML; inline YAML
            can use ``$ref`` only with ``#/`` pointers into itself.

    Raises:
        ModelValidationError: The model could not be read or is invalid.
            Its ``problems`` list every problem found, not only the first.
    """
    document = load_document(source)
    problems = validate(document)
    if problems:
        raise ModelValidationError(problems)
    return compile_app(document.data)
