"""The Durable app: its YAML model, topics, and the HotMesh instances that run it."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotmesh.errors import ConfigurationError, DeploymentError
from hotmesh.hotmesh import HotMesh, WorkerConfig
from hotmesh.store.protocol import Store

logger = logging.getLogger(__name__)

DEFAULT_NAMESPACE = "durable"
ACTIVATION_ATTEMPTS = 3

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class Connection:
    """Where the store is, and how the engines of Durable instances poll it.

    Attributes:
        url: Store URL such as ``redis://localhost:6379``. None uses the
            configured backend (``HOTMESH_URL``, ``hotmesh.toml``) or the
            embedded server.
        engine: Engine options passed to :meth:`HotMesh.init
            <hotmesh.HotMesh.init>` (``block_ms``, ``reclaim_delay_ms``,
            ``timer_poll_ms``, ``scout_lease_ms``...).
        activate_delay: Seconds each round of the app's activation waits
            for the other engines to respond.
    """

    url: str | None = field(default=None, repr=False)
    engine: Mapping[str, Any] = field(default_factory=dict)
    activate_delay: float = 0.25

    @classmethod
    def of(cls, value: Connection | str | None) -> Connection:
        """Return ``value`` as a Connection; a string is taken as the URL."""
        if isinstance(value, Connection):
            return value
        if value is None or isinstance(value, str):
            return cls(url=value)
        raise ConfigurationError(
            f"connection {value!r} is invalid: pass a URL or a Connection"
        )


def check_name(kind: str, value: str) -> str:
    """Return ``value`` if it is a valid task queue or workflow name."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise ConfigurationError(
            f"{kind} {value!r} is invalid: use letters, digits, '_', '.' and '-'"
        )
    return value


def execute_topic(namespace: str) -> str:
    """Return the topic that starts workflow jobs."""
    return f"{namespace}.execute"


def executed_topic(namespace: str, workflow_id: str) -> str:
    """Return the channel a workflow's completion is published on."""
    return f"{namespace}.executed.{workflow_id}"


def hook_topic(namespace: str) -> str:
    """Return the hook topic that starts hook threads and closes workflows."""
    return f"{namespace}.flow.signal"


def signal_topic(namespace: str) -> str:
    """Return the hook topic that wakes ``wait_for`` calls."""
    return f"{namespace}.wfs.signal"


def workflow_topic(task_queue: str, workflow_name: str) -> str:
    """Return the stream topic a workflow function's worker reads."""
    return f"{task_queue}-{workflow_name}"


def activity_topic(task_queue: str, workflow_name: str) -> str:
    """Return the stream topic the activities of a workflow run on."""
    return f"{task_queue}-{workflow_name}-activity"


MAX_ID_LENGTH = 512
"""Maximum length of a job id in characters, as the engine checks it when it
creates a job (:mod:`hotmesh.engine.jobs`)."""

RESERVED_ID_MARK = "-$"
"""Text that only ids the Durable layer derives contain, never a client's."""

_DIGEST_LENGTH = 32
"""Hex digits of the SHA-256 digest that replaces the cut part of a base id."""


def check_workflow_id(workflow_id: str) -> str:
    """Return ``workflow_id`` if a client or workflow function may start a
    workflow with it.

    Raises:
        ConfigurationError: The id is longer than :data:`MAX_ID_LENGTH`,
            spans lines, or contains :data:`RESERVED_ID_MARK`, which the
            ids of activity, collation and shortened child jobs contain.
    """
    if not isinstance(workflow_id, str) or not workflow_id:
        raise ConfigurationError(
            f"workflow id {workflow_id!r} is invalid: pass a non-empty string"
        )
    if "\n" in workflow_id or len(workflow_id) > MAX_ID_LENGTH:
        raise ConfigurationError(
            f"workflow id {workflow_id[:40]!r} is invalid: max "
            f"{MAX_ID_LENGTH} chars, one line"
        )
    if RESERVED_ID_MARK in workflow_id:
        raise ConfigurationError(
            f"workflow id {workflow_id[:80]!r} is invalid: "
            f"{RESERVED_ID_MARK!r} is reserved for the ids of the jobs that run "
            "a workflow's activities and gathered calls; use an id without it"
        )
    return workflow_id


def derived_id(base: str, suffix: str) -> str:
    """Return the id of a job derived from a workflow's id: ``base + suffix``.

    When that is longer than :data:`MAX_ID_LENGTH`, the base is cut and
    followed by ``-$`` and the first 32 hex digits of the SHA-256 digest of
    the whole base, so the id fits. Ids derived from different bases differ
    unless their digests collide. A shortened id contains ``-$``, which no
    client id may contain, so no client can claim it.

    Raises:
        ConfigurationError: The suffix is longer than 477 characters (a
            workflow name about that long), so no base and digest fit.
    """
    job_id = base + suffix
    if len(job_id) <= MAX_ID_LENGTH:
        return job_id
    keep = MAX_ID_LENGTH - len(suffix) - len(RESERVED_ID_MARK) - _DIGEST_LENGTH
    if keep < 1:
        raise ConfigurationError(
            f"job id suffix {suffix[:40]!r} is too long to derive an id of max "
            f"{MAX_ID_LENGTH} chars; use a shorter workflow name"
        )
    digest = hashlib.sha256(base.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{base[:keep]}{RESERVED_ID_MARK}{digest[:_DIGEST_LENGTH]}{suffix}"


def activity_job_id(workflow_id: str, dimension: str, index: int) -> str:
    """Return the id of the job that runs one activity call of a workflow:
    ``<workflow id>-$activity<dimension>-<index>`` (see :func:`derived_id`)."""
    return derived_id(workflow_id, f"-$activity{dimension}-{index}")


def collation_job_id(workflow_id: str, dimension: str, index: int, attempt: int) -> str:
    """Return the id of the job that runs calls awaited together:
    ``<workflow id>-$collate<dimension>-<index>``, then ``-<attempt>`` after a
    failed start (see :func:`derived_id`)."""
    suffix = f"-$collate{dimension}-{index}"
    if attempt:
        suffix = f"{suffix}-{attempt}"
    return derived_id(workflow_id, suffix)


def child_workflow_id(
    parent_id: str, workflow_name: str, dimension: str, index: int
) -> str:
    """Return the default id of a child workflow:
    ``<parent id>-<workflow name><dimension>-<index>`` (see :func:`derived_id`)."""
    return derived_id(parent_id, f"-{workflow_name}{dimension}-{index}")


_HELPER_JOB_ID = re.compile(r"-\$(?:activity|collate)(?:,\d+)*-\d+(?:-\d+)?\Z")


def is_workflow_id(job_id: str) -> bool:
    """Return whether a job of the app is a workflow, not an activity or
    collation job (see :func:`activity_job_id`, :func:`collation_job_id`)."""
    return _HELPER_JOB_ID.search(job_id) is None


@functools.cache
def _template() -> str:
    return Path(__file__).with_name("app.yaml").read_text(encoding="utf-8")


def app_version() -> str:
    """Return the app version: a digest of the YAML model, so a changed model
    is deployed as a new version."""
    digest = hashlib.sha256(_template().encode()).hexdigest()
    return f"1.{digest[:12]}"


def app_model(namespace: str) -> str:
    """Return the YAML model of the Durable app for a namespace."""
    template = _template()
    # The header comment stays out: an inline model must start with "app:".
    text = template[template.index("\napp:") + 1 :]
    text = text.replace("__VERSION__", app_version())
    return text.replace("__NS__", namespace)


async def ensure_app(mesh: HotMesh, activate_delay: float) -> None:
    """Deploy and activate the Durable app unless its version is active.

    Raises:
        DeploymentError: The app could not be activated.
    """
    store = require_store(mesh)
    version = app_version()
    for _ in range(ACTIVATION_ATTEMPTS):
        profile = await store.load_app_profile(mesh.app)
        if profile.get("active_version") == version:
            return
        logger.info("deploying Durable app %r version %s", mesh.app_id, version)
        await mesh.deploy(app_model(mesh.app_id))
        if await mesh.activate(version, delay=activate_delay):
            return
    raise DeploymentError(
        f"Durable app {mesh.app_id!r} version {version} could not be activated; "
        "check that the store is reachable and retry"
    )


async def open_mesh(
    connection: Connection,
    namespace: str,
    workers: Sequence[WorkerConfig] = (),
    *,
    with_engine: bool = True,
) -> HotMesh:
    """Start a HotMesh instance for a Durable namespace, with the app active."""
    mesh = await HotMesh.init(
        app_id=namespace,
        connection=connection.url,
        engine=dict(connection.engine) if with_engine else None,
        workers=list(workers),
    )
    try:
        await ensure_app(mesh, connection.activate_delay)
    except BaseException:
        await mesh.stop()
        raise
    return mesh


def require_store(mesh: HotMesh) -> Store:
    """Return the store of a running HotMesh instance."""
    if mesh.store is None:
        raise ConfigurationError("the Durable connection is closed")
    return mesh.store
