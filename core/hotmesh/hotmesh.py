"""The ``HotMesh`` class: deploy YAML apps, start jobs, read their state."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import math
import os
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from hotmesh.engine.cache import DEFAULT_LIMIT as DEFAULT_CACHE_LIMIT
from hotmesh.engine.cache import shared_cache
from hotmesh.engine.engine import Engine
from hotmesh.engine.exporter import export_job
from hotmesh.engine.leases import LeaseKeeper
from hotmesh.engine.messages import Message, new_guid
from hotmesh.engine.model import AppModel, load_model
from hotmesh.engine.model._literals import MAX_CODE
from hotmesh.engine.model._types import MAX_EXPIRE_SECONDS
from hotmesh.engine.model._validate import MAX_APP_ID_LENGTH
from hotmesh.engine.quorum import (
    APP_CHANNEL,
    GLOBAL_SCOPE,
    Member,
    Quorum,
    check_throttle,
)
from hotmesh.engine.router import Router, RouterSettings
from hotmesh.engine.state import job_output, read_status, search_fields
from hotmesh.engine.worker import WorkerCallback, WorkerHandler
from hotmesh.errors import (
    ConfigurationError,
    ConnectionFailedError,
    DeploymentError,
    HotMeshError,
    JobFailedError,
    JobInterruptedError,
    JobNotFoundError,
    JobTimeoutError,
)
from hotmesh.registry import open_store
from hotmesh.store.protocol import (
    ENGINE_TOPIC,
    INTERRUPTED_BELOW,
    STATUS_FIELD,
    TIMER_TOPIC,
    AppKey,
    Outgoing,
    Store,
    StreamMessage,
    Subscription,
)

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5
"""Mean interval at which ``pubsub`` reads a job's status, in case its
completion notice was lost. It stays below the default ``expire`` of 1 s,
so the output of a finished job is read before the job expires."""

_NAME = re.compile(r"^[A-Za-z0-9-]+$")
ENGINE_GROUP = "ENGINE"
VALUE_DICTIONARY = "sym:vals"
WORKER_GROUP = "WORKER"
MIN_RECONNECT_MS = 50
"""Minimum interval, in ms, between an engine's attempts to reconnect."""

JobCallback = Callable[[str, dict[str, Any]], Awaitable[None] | None]


@dataclass
class WorkerConfig:
    """One worker: the topic it serves and the callback that serves it."""

    topic: str
    callback: WorkerCallback
    connection: Any = None
    reclaim_delay_ms: int | None = None
    reclaim_count: int | None = None
    concurrency: int = 1


def _check_name(kind: str, value: str) -> None:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ConfigurationError(
            f"{kind} {value!r} is invalid: use letters, digits and '-' only"
        )
    if kind == "app_id" and value == "a":
        raise ConfigurationError("app_id 'a' is reserved; choose another app id")
    if kind == "app_id" and len(value) > MAX_APP_ID_LENGTH:
        raise ConfigurationError(
            f"app_id of {len(value)} characters is invalid: max "
            f"{MAX_APP_ID_LENGTH}; choose a shorter app id"
        )


MAX_BLOCK_MS = 3_600_000
"""Maximum ``block_ms`` and ``timer_poll_ms``: one hour."""

MAX_LEASE_MS = 86_400_000
"""Maximum ``reclaim_delay_ms`` and ``scout_lease_ms``: one day."""

MAX_COUNT = 2**31 - 1
"""Maximum of count options, which the store receives as integers."""

OPTION_RANGES: dict[str, tuple[int, int]] = {
    "block_ms": (1, MAX_BLOCK_MS),
    "timer_poll_ms": (1, MAX_BLOCK_MS),
    "reclaim_delay_ms": (0, MAX_LEASE_MS),
    "scout_lease_ms": (1, MAX_LEASE_MS),
    "reclaim_count": (0, MAX_COUNT),
    "batch": (1, MAX_COUNT),
    "concurrency": (1, MAX_COUNT),
    "state_cache": (0, MAX_COUNT),
}
"""Accepted (minimum, maximum) of each integer engine and worker option.

A ``block_ms`` or ``timer_poll_ms`` of 0 would make its loop spin without
waiting, and the store rejects a role lease of 0 ms.
"""

ENGINE_OPTIONS = frozenset({"connection", *OPTION_RANGES})
"""Keys accepted in the ``engine`` mapping of :meth:`HotMesh.init`."""

WORKER_OPTIONS = frozenset(
    {
        "topic",
        "callback",
        "connection",
        "reclaim_delay_ms",
        "reclaim_count",
        "concurrency",
    }
)
"""Keys accepted in each ``workers`` entry of :meth:`HotMesh.init`."""


def _check_option(owner: str, name: str, value: Any) -> int:
    """Return an integer option, or raise if it is outside :data:`OPTION_RANGES`."""
    low, high = OPTION_RANGES[name]
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not low <= value <= high
    ):
        unit = "milliseconds" if name.endswith("_ms") else "number"
        raise ConfigurationError(
            f"{owner} option {name}={value!r} is invalid: give a whole {unit} "
            f"from {low} to {high}"
        )
    return value


def _check_expire(name: str, value: Any, zero: str = "0 to keep finished jobs") -> int:
    """Return whole seconds from 0 to the maximum, or raise naming ``zero``,
    what 0 means for the option."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 0 <= value <= MAX_EXPIRE_SECONDS
    ):
        raise ConfigurationError(
            f"{name}={value!r} is invalid: give whole seconds from 0 to "
            f"{MAX_EXPIRE_SECONDS} (10 years), {zero}"
        )
    return value


def _check_engine_config(engine: Any) -> dict[str, Any]:
    if engine is None:
        return {}
    if not isinstance(engine, Mapping):
        raise ConfigurationError(
            f"engine must be a mapping of options or None, got {type(engine).__name__}"
        )
    unknown = sorted(set(engine) - ENGINE_OPTIONS)
    if unknown:
        raise ConfigurationError(
            f"unknown engine options {', '.join(unknown)}; "
            f"known options: {', '.join(sorted(ENGINE_OPTIONS))}"
        )
    for name in OPTION_RANGES:
        if name in engine:
            _check_option("engine", name, engine[name])
    return dict(engine)


def _router_settings(
    config: Mapping[str, Any], defaults: RouterSettings
) -> RouterSettings:
    return RouterSettings(
        block_ms=config.get("block_ms", defaults.block_ms),
        reclaim_delay_ms=config.get("reclaim_delay_ms", defaults.reclaim_delay_ms),
        reclaim_count=config.get("reclaim_count", defaults.reclaim_count),
        batch=config.get("batch", defaults.batch),
        concurrency=config.get("concurrency", defaults.concurrency),
    )


def _check_source(path_or_yaml: Any) -> None:
    if not isinstance(path_or_yaml, (str, os.PathLike)):
        raise ConfigurationError(
            "a model is a path to a YAML file or YAML text starting with 'app:', "
            f"got {type(path_or_yaml).__name__}"
        )


def _check_code(value: Any) -> int:
    """Return a status code, or raise unless it is a whole number from 1 to
    :data:`MAX_CODE`."""
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if is_int and 1 <= value <= MAX_CODE:
        return int(value)
    raise ConfigurationError(
        f"code={value!r} is invalid: give a whole number from 1 to "
        f"{MAX_CODE}, such as 200 or 410"
    )


def _check_id(kind: str, value: Any) -> str:
    """Return a job id or version, or raise unless it is a non-empty string."""
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{kind} must be a non-empty string, got {value!r}")
    return value


class HotMesh:
    """One process's membership in an app: an engine, workers, or both.

    Create instances with :meth:`init`; close them with :meth:`stop` or an
    ``async with`` block.
    """

    def __init__(self, app_id: str, namespace: str, guid: str) -> None:
        self.app_id = app_id
        self.namespace = namespace
        self.instance_id = guid
        self.app = AppKey(namespace, app_id)
        self.store: Store | None = None
        self.engine: Engine | None = None
        self.routers: list[Router] = []
        self._lease_keepers: list[LeaseKeeper] = []
        self._stores: list[Store] = []
        self._models: dict[str, AppModel] = {}
        self._active_version: str | None = None
        self._waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._subscriptions: list[Subscription] = []
        self._user_subs: dict[str, Subscription] = {}
        self._scout: asyncio.Task[None] | None = None
        self._scout_stopping = False
        """Whether :meth:`stop` ended the scout, which a client library call
        that swallows the cancellation would otherwise outlive."""
        self.quorum: Quorum | None = None
        self.default_expire = 1
        self.timer_poll_ms = 500
        self.scout_lease_ms = 5000

    # -- lifecycle ------------------------------------------------------------

    @classmethod
    async def init(
        cls,
        *,
        app_id: str,
        namespace: str = "hmsh",
        connection: Any = None,
        engine: Mapping[str, Any] | None = None,
        workers: Sequence[Mapping[str, Any] | WorkerConfig] = (),
        default_expire: int = 1,
    ) -> HotMesh:
        """Connect and start an engine and workers for an app.

        Args:
            app_id: The app's id: letters, digits and ``-``, at most
                :data:`~hotmesh.engine.model._validate.MAX_APP_ID_LENGTH`
                (128) characters.
            namespace: Prefix of every key, so apps can share a server.
            connection: URL, client object or store; when omitted the
                configured backend (``HOTMESH_URL``, ``hotmesh.toml``) or
                the embedded server is used.
            engine: Engine options: ``connection`` and the integers in
                :data:`OPTION_RANGES` (``block_ms``, ``reclaim_delay_ms``,
                ``concurrency``...); omit for a worker-only instance.
            workers: Workers, each a mapping with ``topic`` and
                ``callback`` (plus optional ``connection``,
                ``reclaim_delay_ms``, ``reclaim_count``, ``concurrency``).
            default_expire: Seconds a finished job is kept when its graph
                sets no ``expire``, from 0 (keep it) to
                :data:`~hotmesh.engine.model._types.MAX_EXPIRE_SECONDS` (10 years).

        Raises:
            ConfigurationError: A name, option or worker entry is invalid.
        """
        _check_name("app_id", app_id)
        _check_name("namespace", namespace)
        if isinstance(workers, Mapping) or not isinstance(workers, Sequence):
            raise ConfigurationError(
                "workers must be a list of mappings, each with 'topic' and 'callback'"
            )
        if engine is not None:
            engine = _check_engine_config(engine)
        configs = [_worker_config(entry, index) for index, entry in enumerate(workers)]
        instance = cls(app_id, namespace, new_guid())
        instance.default_expire = _check_expire("default_expire", default_expire)
        try:
            await instance._start(connection, engine, configs)
        except BaseException:
            await instance.stop()
            raise
        return instance

    async def _start(
        self,
        connection: Any,
        engine: Mapping[str, Any] | None,
        workers: list[WorkerConfig],
    ) -> None:
        engine_config = dict(engine or {})
        self.store = await self._open(engine_config.get("connection", connection))
        self.quorum = Quorum(self.store, self.app, self.instance_id)
        self.quorum.on_activate = self._switch_version
        self.quorum.on_job = self._resolve_waiter
        channels: set[str] = {APP_CHANNEL, self.instance_id}
        channels.update(config.topic for config in workers)
        for channel in sorted(channels):
            self._subscriptions.append(
                await self.store.subscribe(self.app, channel, self.quorum.receive)
            )
        throttles = await self.store.get_throttles(self.app)
        if engine is not None:
            await self._start_engine(engine_config, throttles)
        for config in workers:
            await self._start_worker(config, throttles)

    async def _open(self, connection: Any) -> Store:
        """Open a store for ``connection``; :meth:`stop` closes only stores
        opened here, never a store the caller passed in."""
        supplied = isinstance(connection, Store)
        store = await open_store(connection)
        if not supplied and store not in self._stores:
            self._stores.append(store)
        return store

    async def _start_engine(
        self, config: Mapping[str, Any], throttles: Mapping[str, int]
    ) -> None:
        assert self.store is not None
        self.engine = Engine(
            self.store,
            self.app,
            self.instance_id,
            load_model=self._model,
            active_version=self.active_version,
            default_expire=self.default_expire,
        )
        self.engine.cache = shared_cache(
            (self.store.info.url, self.app),
            int(config.get("state_cache", DEFAULT_CACHE_LIMIT)),
        )
        profile = await self.store.load_app_profile(self.app)
        self._active_version = profile.get("active_version") or None
        router = Router(
            self.store,
            self.app,
            ENGINE_TOPIC,
            ENGINE_GROUP,
            self.instance_id,
            self.engine.process,
            on_dead=self.engine.handle_dead_letter,
            settings=_router_settings(config, RouterSettings()),
        )
        self.timer_poll_ms = int(config.get("timer_poll_ms", self.timer_poll_ms))
        # Messages of timers that fire while the server is down wait in the
        # engine stream, so the engine reconnects as often as the scout polls.
        router.settings.reconnect_ms = max(
            MIN_RECONNECT_MS, min(self.timer_poll_ms, router.settings.reconnect_ms)
        )
        # A step checks its lease and guards, so applying it again after a
        # lost connection is safe.
        router.settings.retry_lost = True
        # Timers deliver to a stream of their own, so a wake is applied
        # without waiting behind the engine stream's backlog.
        timer_router = Router(
            self.store,
            self.app,
            TIMER_TOPIC,
            ENGINE_GROUP,
            self.instance_id,
            self.engine.process,
            on_dead=self.engine.handle_dead_letter,
            settings=dataclasses.replace(router.settings),
        )
        self._add_member(
            router, "engine", throttles.get(GLOBAL_SCOPE, 0), lanes=(timer_router,)
        )
        self.engine.router = router
        self.scout_lease_ms = int(config.get("scout_lease_ms", self.scout_lease_ms))
        self._scout = asyncio.create_task(self._run_scout(), name="hotmesh-scout")

    async def _run_scout(self) -> None:
        """Fire due timers while this instance has the scout role.

        One engine of the app has the role at a time, and when it dies, the
        lease lapses after ``scout_lease_ms`` and another engine takes over.
        The scout wakes when the earliest timer is due, and at least every
        ``timer_poll_ms`` for timers scheduled since it looked, so a timer
        fires at most ``timer_poll_ms`` late while a scout runs.
        """
        store = self._require_store()
        batch = 100
        while not self._scout_stopping:
            wait_ms = self.timer_poll_ms
            try:
                if await store.acquire_role(
                    self.app, "scout", self.instance_id, self.scout_lease_ms
                ):
                    now_ms = int(time.time() * 1000)
                    if await store.fire_due_timers(self.app, now_ms, batch) >= batch:
                        continue
                    # A timer that was due at now_ms and is still there could
                    # not fire yet, and waits for the next poll.
                    due_ms = await store.next_timer_due(self.app)
                    if due_ms is not None and due_ms > now_ms:
                        wait_ms = min(wait_ms, due_ms - int(time.time() * 1000))
            except HotMeshError as exc:
                logger.warning("scout of app %r failed: %s", self.app_id, exc)
            await asyncio.sleep(max(wait_ms, 1) / 1000)

    def _add_member(
        self,
        router: Router,
        role: str,
        throttle: int,
        *,
        lanes: tuple[Router, ...] = (),
    ) -> None:
        assert self.quorum is not None
        member = Member(router, role, lanes)
        member.set_throttle(throttle)
        self.quorum.members.append(member)
        for started in (router, *lanes):
            self.routers.append(started)
            started.start()

    async def _start_worker(
        self, config: WorkerConfig, throttles: Mapping[str, int]
    ) -> None:
        store = self.store
        if config.connection is not None:
            store = await self._open(config.connection)
        assert store is not None
        settings = RouterSettings(concurrency=config.concurrency)
        if config.reclaim_delay_ms is not None:
            settings.reclaim_delay_ms = config.reclaim_delay_ms
        if config.reclaim_count is not None:
            settings.reclaim_count = config.reclaim_count
        leases = LeaseKeeper.for_reclaim_delay(
            store, self.app, config.topic, settings.reclaim_delay_ms
        )
        self._lease_keepers.append(leases)
        # A worker on the engine's own store hands its responses to this
        # instance's engine directly (see Router.claim).
        engine_router = None
        if self.engine is not None and store is self.store:
            engine_router = self.engine.router
        handler = WorkerHandler(
            store,
            self.app,
            config.topic,
            config.callback,
            leases=leases,
            engine=engine_router,
        )
        router = Router(
            store,
            self.app,
            config.topic,
            WORKER_GROUP,
            self.instance_id,
            handler,
            on_dead=handler.handle_dead_letter,
            settings=settings,
        )
        throttle = throttles.get(config.topic, throttles.get(GLOBAL_SCOPE, 0))
        self._add_member(router, "worker", throttle)

    async def stop(self) -> None:
        """Stop every consumer loop and close the connections this instance opened."""
        if self._scout is not None:
            self._scout_stopping = True
            self._scout.cancel()
            await asyncio.gather(self._scout, return_exceptions=True)
            self._scout = None
            if self.store is not None:
                with contextlib.suppress(HotMeshError):
                    await self.store.release_role(self.app, "scout", self.instance_id)
        for router in self.routers:
            await router.stop()
        self.routers.clear()
        for leases in self._lease_keepers:
            await leases.stop()
        self._lease_keepers.clear()
        if self.quorum is not None:
            await self.quorum.stop()
        for subscription in [*self._subscriptions, *self._user_subs.values()]:
            with contextlib.suppress(Exception):
                await subscription.close()
        self._subscriptions.clear()
        self._user_subs.clear()
        for future in self._waiters.values():
            future.cancel()
        for store in self._stores:
            await store.close()
        self._stores.clear()
        # Later calls find no store and raise that the instance is stopped.
        self.store = None

    async def __aenter__(self) -> HotMesh:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @staticmethod
    def guid() -> str:
        """Return a new random id, as used for job ids."""
        return new_guid()

    # -- versions ---------------------------------------------------------------

    def _require_engine(self) -> Engine:
        self._require_store()
        if self.engine is None:
            raise ConfigurationError(
                "this HotMesh instance has no engine; pass engine={...} to HotMesh.init"
            )
        return self.engine

    def _require_store(self) -> Store:
        if self.store is None:
            raise ConfigurationError("this HotMesh instance is stopped")
        return self.store

    async def _model(self, version: str) -> AppModel:
        model = self._models.get(version)
        if model is not None:
            return model
        document = await self._require_store().load_app_version(self.app, version)
        if document is None:
            raise DeploymentError(
                f"version {version!r} of app {self.app_id!r} is not deployed"
            )
        model = AppModel.from_document(document)
        self._models[version] = model
        return model

    async def active_version(self) -> str:
        """Return the app version new jobs run on."""
        if self._active_version is None:
            profile = await self._require_store().load_app_profile(self.app)
            self._active_version = profile.get("active_version") or None
        if self._active_version is None:
            raise DeploymentError(
                f"app {self.app_id!r} has no active version; "
                "call deploy() and then activate(version)"
            )
        return self._active_version

    async def plan(self, path_or_yaml: str | Path) -> AppModel:
        """Load and validate a model without deploying it."""
        _check_source(path_or_yaml)
        model = load_model(path_or_yaml)
        self._check_app(model)
        return model

    def _check_app(self, model: AppModel) -> None:
        if model.app_id != self.app_id:
            raise DeploymentError(
                f"model is for app {model.app_id!r} but this instance serves "
                f"{self.app_id!r}; init HotMesh with app_id={model.app_id!r}"
            )

    async def deploy(self, path_or_yaml: str | Path) -> AppModel:
        """Validate a model and store it as a version of the app.

        Deploying does not activate: jobs keep starting on the active
        version until :meth:`activate` switches them.
        """
        store = self._require_store()
        model = await self.plan(path_or_yaml)
        document = model.to_document()
        stored = await store.load_app_version(self.app, model.version)
        if stored is not None and stored != document:
            raise DeploymentError(
                f"version {model.version!r} of app {self.app_id!r} is already "
                "deployed with a different model; give the changed model a new "
                "version, because running jobs and other engines use the stored one"
            )
        stamp = _stamp()
        await store.save_app_version(self.app, model.version, document, stamp)
        await store.ensure_group(self.app, ENGINE_TOPIC, ENGINE_GROUP)
        await store.ensure_group(self.app, TIMER_TOPIC, ENGINE_GROUP)
        for topic in _literal_worker_topics(model):
            await store.ensure_group(self.app, topic, WORKER_GROUP)
        self._models[model.version] = model
        return model

    async def activate(self, version: str | int, delay: float = 0.25) -> bool:
        """Make a deployed version the one every engine starts new jobs on."""
        store = self._require_store()
        assert self.quorum is not None
        if isinstance(version, int) and not isinstance(version, bool):
            version = str(version)
        version = _check_id("version", version)
        await self._model(version)
        profile = await store.load_app_profile(self.app)
        if profile.get("active_version") == version:
            self._active_version = version
            return True
        if not await self.quorum.activate(version, delay):
            return False
        await store.activate_app_version(self.app, version, _stamp())
        self._active_version = version
        return True

    def _switch_version(self, version: str) -> None:
        self._active_version = version

    async def throttle(
        self, throttle: int, *, topic: str | None = None, guid: str | None = None
    ) -> bool:
        """Make matching consumers wait ``throttle`` ms before each read.

        ``-1`` pauses them until the next throttle. A ``topic`` limits the
        throttle to that topic's workers and a ``guid`` to one instance.
        With neither, every engine and worker of the app slows down and
        stored topic delays are reset. Returns whether exactly one instance
        received the message.
        """
        delay = check_throttle(throttle)
        store = self._require_store()
        assert self.quorum is not None
        if topic is not None:
            await store.set_throttle(self.app, topic, delay)
        elif guid is None:
            await store.clear_throttles(self.app)
            await store.set_throttle(self.app, GLOBAL_SCOPE, delay)
        message: dict[str, Any] = {"type": "throttle", "throttle": delay}
        if topic is not None:
            message["topic"] = topic
        if guid is not None:
            message["guid"] = guid
        return await self.quorum.pub(message) == 1

    async def roll_call(self, delay: float = 1.0) -> list[dict[str, Any]]:
        """Return a profile of every live engine and worker of the app."""
        self._require_store()
        assert self.quorum is not None
        return await self.quorum.roll_call(delay)

    # -- jobs -------------------------------------------------------------------

    async def pub(
        self,
        topic: str,
        data: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        extended: Mapping[str, Any] | None = None,
    ) -> str:
        """Start a job on a topic and return its id without waiting for it.

        ``extended`` may set ``search`` (search fields by name), ``marker``
        (marker fields, each named with a leading ``-``) and ``pending``
        (whole seconds the job waits, status -1, before it expires unless
        resumed; 0 waits without expiry).
        """
        engine = self._require_engine()
        options = _check_extended(extended)
        return await engine.start_job(
            topic,
            _check_data(data),
            search=options.get("search"),
            markers=options.get("marker"),
            pending_seconds=options.get("pending"),
        )

    async def pubsub(
        self,
        topic: str,
        data: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        timeout: float | None = 10.0,
    ) -> dict[str, Any]:
        """Start a job and wait for its output ``{metadata, data}``.

        Raises:
            JobTimeoutError: The job did not finish within ``timeout``
                seconds (it keeps running).
            JobFailedError: The job finished with an error.
            JobInterruptedError: The job was interrupted.
        """
        if timeout is not None and (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not math.isfinite(timeout)
            or timeout < 0
        ):
            raise ConfigurationError(
                f"timeout={timeout!r} is invalid: give a finite number of "
                "seconds, 0 or more, or None to wait without a limit"
            )
        engine = self._require_engine()
        future: asyncio.Future[dict[str, Any]] = (
            asyncio.get_running_loop().create_future()
        )
        registered: list[str] = []

        def register(job_id: str) -> None:
            registered.append(job_id)
            self._waiters[job_id] = future

        try:
            job_id = await engine.start_job(
                topic,
                _check_data(data),
                engine_guid=self.instance_id,
                before_commit=register,
            )
            job = await self._await_job(future, job_id, timeout)
            if job is None:
                raise JobTimeoutError(
                    f"job {job_id!r} on topic {topic!r} did not finish within "
                    f"{timeout}s; it keeps running",
                    job_id=job_id,
                )
        finally:
            for job_id in registered:
                self._waiters.pop(job_id, None)
        _raise_job_error(job, job_id)
        return job

    async def _await_job(
        self,
        notice: asyncio.Future[dict[str, Any]],
        job_id: str,
        timeout: float | None,
    ) -> dict[str, Any] | None:
        """Return the job's output from its notice, or None after ``timeout``.

        The job's status is also read at random intervals around
        :data:`POLL_SECONDS`, because a notice published while the
        subscription was reconnecting is lost. A finished job's output is
        then read from the store.

        Raises:
            JobNotFoundError: The job finished and expired before its
                output could be read.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            wait = POLL_SECONDS * (0.5 + random.random())
            if deadline is not None:
                wait = min(wait, deadline - loop.time())
            with contextlib.suppress(TimeoutError):
                return await asyncio.wait_for(asyncio.shield(notice), max(wait, 0))
            if deadline is not None and loop.time() >= deadline:
                return None
            store = self._require_store()
            try:
                (status,) = await store.read_job_fields(
                    self.app, job_id, [STATUS_FIELD]
                )
                if status is not None and float(status) > 0:
                    continue
                fields = (
                    None if status is None else await store.read_job(self.app, job_id)
                )
            except ConnectionFailedError as exc:
                logger.info("reading the status of job %r failed: %s", job_id, exc)
                continue
            if fields:
                return job_output(fields)
            if notice.done():
                return notice.result()
            raise JobNotFoundError(
                f"job {job_id!r} finished and expired before its output was "
                "read; give its graph a longer expire",
                job_id=job_id,
            )

    async def add(self, message: Mapping[str, Any]) -> None:
        """Append a raw message to the engine stream, e.g. a late worker response.

        A message without a ``type`` is taken as a worker response.
        """
        body = {"type": "response", **dict(message)}
        parsed = Message.from_json(json.dumps(body))
        if parsed.type == "request":
            parsed.type = "response"
        if not parsed.metadata.get("guid") or parsed.type == "response":
            parsed.metadata = {**parsed.metadata, "guid": new_guid()}
        await self._require_store().add_message(
            self.app, Outgoing(ENGINE_TOPIC, parsed.to_json())
        )

    async def get_status(self, job_id: str) -> int:
        """Return a job's status: 0 finished, above 0 running, -1 pending."""
        store = self._require_store()
        _check_id("job_id", job_id)
        (raw,) = await store.read_job_fields(self.app, job_id, [":"])
        if raw is None:
            raise JobNotFoundError(f"Job {job_id} not found", job_id=job_id)
        return int(float(raw))

    async def get_state(self, topic: str, job_id: str) -> dict[str, Any]:
        """Return a job's ``{metadata, data}``."""
        store = self._require_store()
        _check_id("job_id", job_id)
        fields = await store.read_job(self.app, job_id)
        if not fields:
            raise JobNotFoundError(f"{job_id} Not Found", job_id=job_id)
        return job_output(fields)

    async def get_query_state(
        self, job_id: str, fields: Sequence[str]
    ) -> dict[str, Any]:
        """Return a job's search fields by name."""
        store = self._require_store()
        _check_id("job_id", job_id)
        raw = await store.read_job(self.app, job_id)
        if not raw:
            raise JobNotFoundError(f"{job_id} Not Found", job_id=job_id)
        found = search_fields(raw)
        return {name: found.get(name) for name in fields}

    async def get_raw(self, job_id: str) -> dict[str, str]:
        """Return every stored field of a job."""
        store = self._require_store()
        _check_id("job_id", job_id)
        raw = await store.read_job(self.app, job_id)
        if not raw:
            raise JobNotFoundError(f"{job_id} Not Found", job_id=job_id)
        return raw

    async def export(self, job_id: str) -> dict[str, Any]:
        """Return a readable dump of a job: status, dependencies and process tree."""
        store = self._require_store()
        _check_id("job_id", job_id)
        raw = await store.read_job(self.app, job_id)
        if not raw:
            raise JobNotFoundError(f"{job_id} Not Found", job_id=job_id)
        dependents = await store.read_dependents(self.app, job_id)
        return export_job(raw, dependents)

    async def scrub(self, job_id: str) -> None:
        """Delete a job's state."""
        store = self._require_store()
        _check_id("job_id", job_id)
        await store.delete_job(self.app, job_id)

    async def interrupt(
        self,
        topic: str,
        job_id: str,
        *,
        reason: str | None = None,
        throw: bool = True,
        code: int = 410,
        expire: int | None = None,
    ) -> None:
        """Interrupt a running job; its waiters see error ``code``.

        ``expire`` sets the seconds the interrupted job is kept, from 0
        (keep it) to :data:`~hotmesh.engine.model._types.MAX_EXPIRE_SECONDS`.
        """
        engine = self._require_engine()
        _check_id("topic", topic)
        _check_id("job_id", job_id)
        if reason is not None and not isinstance(reason, str):
            raise ConfigurationError(
                f"reason={reason!r} is invalid: give a message string or None "
                "for the default message"
            )
        if not isinstance(throw, bool):
            raise ConfigurationError(f"throw={throw!r} is invalid: give True or False")
        _check_code(code)
        if expire is not None:
            _check_expire("expire", expire)
        await engine.interrupt(
            job_id, reason=reason, throw=throw, code=code, expire=expire
        )

    async def hook(
        self,
        topic: str,
        data: Mapping[str, Any],
        status: str = "success",
        code: int = 200,
    ) -> str:
        """Resume the paused hook activity that ``data`` matches on ``topic``.

        Raises:
            TopicNotFoundError: No graph has a hook rule for ``topic``.
            HookNotFoundError: No job is paused on the key ``data`` resolves to.
        """
        if status not in ("success", "pending", "error"):
            raise ConfigurationError(
                f"hook status {status!r} is invalid; use success, pending or error"
            )
        _check_code(code)
        return await self._require_engine().hook(topic, _check_data(data), status, code)

    async def compress(self, terms: Sequence[str]) -> bool:
        """Add strings to the app's value dictionary.

        The dictionary is kept for compatibility with the TypeScript SDK,
        whose serializer does not apply it either. Returns whether at least
        one term was new.
        """
        store = self._require_store()
        if isinstance(terms, str) or not all(isinstance(t, str) for t in terms):
            raise ConfigurationError("compress takes a list of strings")
        raw = await store.kv_get(self.app, VALUE_DICTIONARY)
        known: list[str] = json.loads(raw) if raw else []
        added = [term for term in dict.fromkeys(terms) if term not in known]
        if added:
            await store.kv_set(self.app, VALUE_DICTIONARY, json.dumps(known + added))
        return bool(added)

    async def hook_all(
        self,
        hook_topic: str,
        data: Mapping[str, Any],
        query: Mapping[str, Any],
        facets: Sequence[str] = (),
    ) -> list[str]:
        """Resume every job paused on ``hook_topic`` that a stats query lists.

        ``query`` contains ``data`` (resolving the jobs' stats key), a time
        window (``range``/``start``/``end``) unless the granularity is
        ``infinity``, and ``scrub`` to delete the index once drained;
        ``facets`` such as ``["color:red"]`` pick the indexes. Returns the
        indexes that held ids.
        """
        return await self._require_engine().hook_all(
            hook_topic, _check_data(data), query, facets
        )

    async def get_stats(self, topic: str, query: Mapping[str, Any]) -> dict[str, Any]:
        """Return counts of a topic's jobs by facet over a time window."""
        return await self._require_engine().get_stats(topic, query)

    async def get_ids(
        self, topic: str, query: Mapping[str, Any], facets: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Return the ids of a topic's jobs by facet over a time window."""
        return await self._require_engine().get_ids(topic, query, facets)

    # -- pub/sub ------------------------------------------------------------

    def _resolve_waiter(self, body: dict[str, Any]) -> None:
        future = self._waiters.get(str(body.get("topic")))
        if future is not None and not future.done():
            future.set_result(body.get("job") or {})

    async def sub(self, topic: str, callback: JobCallback) -> None:
        """Call ``callback(topic, job)`` for each job message on a channel."""
        await self._subscribe(topic, callback, pattern=False)

    async def psub(self, pattern: str, callback: JobCallback) -> None:
        """Call ``callback(topic, job)`` for job messages on matching channels."""
        await self._subscribe(pattern, callback, pattern=True)

    async def _subscribe(
        self, name: str, callback: JobCallback, *, pattern: bool
    ) -> None:
        store = self._require_store()

        async def deliver(channel: str, text: str) -> None:
            try:
                body = json.loads(text)
            except ValueError:
                return
            result = callback(str(body.get("topic", channel)), body.get("job", body))
            if asyncio.iscoroutine(result):
                await result

        key = f"{'p' if pattern else 's'}:{name}"
        if key in self._user_subs:
            await self._user_subs.pop(key).close()
        if pattern:
            self._user_subs[key] = await store.psubscribe(self.app, name, deliver)
        else:
            self._user_subs[key] = await store.subscribe(self.app, name, deliver)

    async def unsub(self, topic: str) -> None:
        """Stop a :meth:`sub` subscription."""
        subscription = self._user_subs.pop(f"s:{topic}", None)
        if subscription is not None:
            await subscription.close()

    async def punsub(self, pattern: str) -> None:
        """Stop a :meth:`psub` subscription."""
        subscription = self._user_subs.pop(f"p:{pattern}", None)
        if subscription is not None:
            await subscription.close()


def _worker_config(entry: Mapping[str, Any] | WorkerConfig, index: int) -> WorkerConfig:
    owner = f"workers[{index}]"
    if isinstance(entry, WorkerConfig):
        config = entry
    else:
        if not isinstance(entry, Mapping):
            raise ConfigurationError(
                f"{owner} must be a mapping with topic and callback"
            )
        unknown = sorted(str(key) for key in set(entry) - WORKER_OPTIONS)
        if unknown:
            raise ConfigurationError(
                f"unknown options {', '.join(unknown)} in {owner}; "
                f"known options: {', '.join(sorted(WORKER_OPTIONS))}"
            )
        config = WorkerConfig(
            topic=entry.get("topic"),  # type: ignore[arg-type]
            callback=entry.get("callback"),  # type: ignore[arg-type]
            connection=entry.get("connection"),
            reclaim_delay_ms=entry.get("reclaim_delay_ms"),
            reclaim_count=entry.get("reclaim_count"),
            concurrency=entry.get("concurrency", 1),
        )
    if not isinstance(config.topic, str) or not config.topic:
        raise ConfigurationError(f"{owner} has no topic; set 'topic': 'work.do'")
    if config.topic == TIMER_TOPIC:
        raise ConfigurationError(
            f"{owner} has topic {TIMER_TOPIC!r}, which the engine reserves "
            "for its timers; give the worker another topic"
        )
    if not callable(config.callback):
        raise ConfigurationError(
            f"{owner} (topic {config.topic!r}) has no callable 'callback'"
        )
    _check_option(owner, "concurrency", config.concurrency)
    if config.reclaim_delay_ms is not None:
        _check_option(owner, "reclaim_delay_ms", config.reclaim_delay_ms)
    if config.reclaim_count is not None:
        _check_option(owner, "reclaim_count", config.reclaim_count)
    return config


EXTENDED_OPTIONS = ("search", "marker", "pending")
"""Keys accepted in the ``extended`` mapping of :meth:`HotMesh.pub`."""


def _check_extended(extended: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the options of a new job, or raise if one is unknown or invalid."""
    if extended is None:
        return {}
    if not isinstance(extended, Mapping):
        raise ConfigurationError(
            f"extended must be a mapping or None, got {type(extended).__name__}"
        )
    unknown = sorted(str(key) for key in set(extended) - set(EXTENDED_OPTIONS))
    if unknown:
        raise ConfigurationError(
            f"unknown options {', '.join(unknown)} in extended; "
            f"known options: {', '.join(EXTENDED_OPTIONS)}"
        )

    for key in ("search", "marker"):
        fields = extended.get(key)
        if fields is None:
            continue
        if not isinstance(fields, Mapping) or not all(
            isinstance(name, str) and name for name in fields
        ):
            raise ConfigurationError(
                f"extended[{key!r}] must map non-empty field names to values, "
                f"got {fields!r}"
            )

    markers = extended.get("marker") or {}
    unmarked = sorted(name for name in markers if not name.startswith("-"))
    if unmarked:
        raise ConfigurationError(
            f"marker names must start with '-', got {', '.join(unmarked)}; "
            "name them '-done' and the like"
        )

    pending = extended.get("pending")
    if pending is not None:
        _check_expire("extended['pending']", pending, "0 to wait without expiry")
    return dict(extended)


def _check_data(data: Mapping[str, Any] | None) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigurationError(
            f"job data must be a mapping, got {type(data).__name__}"
        )
    return dict(data)


def _literal_worker_topics(model: AppModel) -> set[str]:
    topics = set()
    for graph in model.graphs:
        for activity in graph.activities.values():
            topic = activity.topic
            if (
                activity.type == "worker"
                and isinstance(topic, str)
                and "{" not in topic
            ):
                topics.add(topic)
    return topics


def _stamp() -> str:
    from hotmesh.engine.state import now_iso

    return now_iso()


def _raise_job_error(job: Mapping[str, Any], job_id: str) -> None:
    raw = (job.get("metadata") or {}).get("err")
    if not raw:
        return
    try:
        error = json.loads(raw) if isinstance(raw, str) else dict(raw)
    except ValueError:
        error = {"message": str(raw)}
    code = int(error.get("code") or 500)
    message = str(error.get("message") or "job failed")
    # An interrupt may carry any code, so the job's status shows whether it
    # was interrupted. Without a status, code 410 means interrupted.
    status = (job.get("metadata") or {}).get("js")
    interrupted = code == 410 or (
        isinstance(status, int | float) and status < INTERRUPTED_BELOW
    )
    kind = JobInterruptedError if interrupted else JobFailedError
    raise kind(message, job_id=job_id, code=code, data=error)


def is_running(fields: Mapping[str, str]) -> bool:
    status = read_status(fields)
    return status is not None and status > 0


__all__ = ["HotMesh", "StreamMessage", "WorkerConfig"]
