"""HotMesh: durable workflows on Redis, ValKey or Dragonfly, with no central server."""

from hotmesh.errors import (
    ConfigurationError,
    DeploymentError,
    DuplicateJobError,
    HookNotFoundError,
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
    "DeploymentError",
    "DuplicateJobError",
    "HookNotFoundError",
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
