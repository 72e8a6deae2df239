"""Exceptions of Pluck.

Every class derives from :class:`PluckError`, itself a
:class:`~hotmesh.errors.HotMeshError`, and also from the standard or
HotMesh class of the same meaning::

    HotMeshError
    └── PluckError
        ├── InvalidOptionsError      (also a ConfigurationError)
        │   └── InvalidTtlError      (also a ValueError)
        ├── UnknownEntityError       (also a LookupError)
        └── RecordNotFoundError      (also a JobNotFoundError)

Failures of the connected function itself reach ``exec`` as the Durable
errors of its workflow (:class:`~hotmesh.durable.MaxedError`,
:class:`~hotmesh.durable.FatalError` and the others).
"""

from __future__ import annotations

from hotmesh.errors import ConfigurationError, HotMeshError, JobNotFoundError


class PluckError(HotMeshError):
    """Root of Pluck's errors."""


class InvalidOptionsError(PluckError, ConfigurationError):
    """An option, entity name or id is invalid."""


class InvalidTtlError(InvalidOptionsError, ValueError):
    """A ttl is neither a positive duration nor ``"infinity"``."""


class UnknownEntityError(PluckError, LookupError):
    """No process connected a function under the requested entity name."""


class RecordNotFoundError(PluckError, JobNotFoundError):
    """No record (workflow job) with the requested id exists, or it expired."""
