"""HotMesh: durable workflows on Redis, ValKey or Dragonfly, with no central server."""

from hotmesh.errors import (
    ConfigurationError,
    DuplicateJobError,
    HotMeshError,
    JobFailedError,
    JobInterruptedError,
    JobNotFoundError,
    JobTimeoutError,
    ModelValidationError,
    TopicNotFoundError,
)
from hotmesh.hotmesh import HotMesh, WorkerConfig

__all__ = [
    "ConfigurationError",
    "DuplicateJobError",
    "HotMesh",
    "HotMeshError",
    "JobFailedError",
    "JobInterruptedError",
    "JobNotFoundError",
    "JobTimeoutError",
    "ModelValidationError",
    "TopicNotFoundError",
    "WorkerConfig",
]
