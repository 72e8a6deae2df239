"""The engine: reads engine-stream messages and carries jobs forward.

An engine keeps no job state of its own. For each message it reads the
job's fields, computes one step, and commits it atomically together with
the acknowledgement of the message. Any number of engines, in any number of
processes, can consume the same stream.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from hotmesh.engine import stats, steps
from hotmesh.engine.cache import (
    VERSION_FIELD,
    StateCache,
    after_commit,
    predicted,
    versioned,
)
from hotmesh.engine.jobs import (
    Finish,
    JobRequest,
    ParentLink,
    build_job,
    emit_notices,
    fail_job_step,
    finish_job,
    interrupt_step,
)
from hotmesh.engine.messages import MalformedMessageError, Message, new_guid
from hotmesh.engine.model import Activity, AppModel, Graph
from hotmesh.engine.router import Router
from hotmesh.engine.state import decode, job_output, metadata_field, read_status
from hotmesh.engine.steps import StepInput, json_str
from hotmesh.errors import (
    ConfigurationError,
    ConnectionFailedError,
    DuplicateJobError,
    HookNotFoundError,
    HotMeshError,
    JobNotFoundError,
    LeaseLostError,
    ModelError,
    PayloadTooLargeError,
    PipeError,
    SerializationError,
    TopicNotFoundError,
)
from hotmesh.store.protocol import (
    ENGINE_TOPIC,
    INTERRUPTED_BELOW,
    STATUS_FIELD,
    AppKey,
    Claim,
    Lease,
    NewJob,
    Outgoing,
    Step,
    StepResult,
    Store,
    StreamMessage,
)

logger = logging.getLogger(__name__)

JOB_FAULTS = (
    ConfigurationError,
    ModelError,
    PayloadTooLargeError,
    PipeError,
    SerializationError,
    TopicNotFoundError,
)
"""Errors that a job's model or data causes. They fail the job with a
one-line warning, where other errors also log their traceback."""

EARLY_SIGNAL_TTL_MS = 300_000
"""How long a signal that arrived before its hook paused is kept."""

MAX_STEP_RETRIES = 20
"""Attempts of a step whose optimistic guard keeps failing under contention."""


class Engine:
    """Processes engine-stream messages for one app."""

    def __init__(
        self,
        store: Store,
        app: AppKey,
        guid: str,
        *,
        load_model: Callable[[str], Awaitable[AppModel]],
        active_version: Callable[[], Awaitable[str]],
        default_expire: int = 1,
    ) -> None:
        self.store = store
        self.app = app
        self.guid = guid
        self._load_model = load_model
        self._active_version = active_version
        self.default_expire = default_expire
        self.cache = StateCache()
        self.router: Router | None = None
        """The router reading this engine's stream. Writes that append
        engine messages claim them for it, so they skip a stream read."""
        self.early_signal_ttl_ms = EARLY_SIGNAL_TTL_MS
        self._handlers: dict[str, Callable[[Message, Lease], Awaitable[None]]] = {
            "transition": self._on_transition,
            "response": self._on_response,
            "result": self._on_response,
            "cycle": self._on_response,
            "timehook": self._on_timehook,
            "webhook": self._on_webhook,
            "await": self._on_await,
            "finish": self._on_finish,
            "emit": self._on_emit,
            "hookall": self._on_hookall,
        }

    # -- starting jobs ------------------------------------------------------

    async def graph_for(
        self, topic: str, version: str | None = None
    ) -> tuple[AppModel, Graph]:
        """Return the model and graph that start jobs on a topic."""
        model = await self._load_model(version or await self._active_version())
        graph = model.graph_for_topic(topic)
        if graph is None:
            topics = ", ".join(sorted(g.subscribes for g in model.graphs))
            raise TopicNotFoundError(
                f"no graph of app {model.app_id!r} version {model.version!r} "
                f"subscribes to topic {topic!r}; known topics: {topics}"
            )
        return model, graph

    async def start_job(
        self,
        topic: str,
        data: Mapping[str, Any],
        *,
        engine_guid: str | None = None,
        search: Mapping[str, Any] | None = None,
        markers: Mapping[str, Any] | None = None,
        pending_seconds: int | None = None,
        job_id: str | None = None,
        before_commit: Callable[[str], None] | None = None,
    ) -> str:
        """Create a job of the graph subscribed to ``topic``; return its id."""
        model, graph = await self.graph_for(topic)
        request = JobRequest(
            model=model,
            graph=graph,
            data=dict(data),
            engine_guid=engine_guid,
            search=search or {},
            markers=markers or {},
            pending_seconds=pending_seconds,
            job_id=job_id,
            default_expire=self.default_expire,
        )
        job = build_job(request)
        if before_commit is not None:
            before_commit(job.job_id)
        await self._create(job)
        return job.job_id

    async def _create(self, job: NewJob) -> None:
        """Create a job, caching its first state for the engine's next step.

        The state is cached before the write because this engine may read
        the job's first message before the write's reply arrives.
        """
        if job.status > 0:
            fields = {**job.fields, STATUS_FIELD: str(job.status)}
            self.cache.remember(job.job_id, fields)
        try:
            result = await self.store.create_job(
                self.app, dataclasses.replace(job, claim=self._claim())
            )
        except BaseException as exc:
            self.cache.forget(job.job_id)
            if isinstance(exc, ConnectionFailedError):
                self.reply_lost()
            raise
        self._take_claimed(result.claimed)

    def _claim(self) -> Claim | None:
        return self.router.claim() if self.router is not None else None

    def reply_lost(self) -> None:
        """Note that a write that may have claimed messages lost its reply."""
        if self.router is not None:
            self.router.reply_lost()

    def _take_claimed(self, items: Sequence[StreamMessage]) -> None:
        if items and self.router is not None:
            self.router.process_claimed(items)

    # -- message loop ---------------------------------------------------------

    async def process(self, item: StreamMessage) -> None:
        """Process one engine-stream message; bad input is logged, not raised."""
        try:
            message = Message.from_json(item.payload)
        except MalformedMessageError as exc:
            logger.error(
                "dropping malformed engine message %s: %s", item.lease.message_id, exc
            )
            await self._ack(item.lease)
            return
        handler = self._handlers.get(message.type)
        if handler is None:
            logger.error("dropping engine message of type %r", message.type)
            await self._ack(item.lease)
            return
        try:
            await handler(message, item.lease)
        except LeaseLostError:
            logger.info(
                "lease on message %s lost to another consumer", item.lease.message_id
            )
        except ConnectionFailedError:
            # The message stays leased to this engine, and its router applies
            # it again once the server replies. The job is not at fault.
            raise
        except Exception as exc:
            if isinstance(exc, JOB_FAULTS):
                # The job's model or data is at fault, not the engine, so the
                # error is all a reader needs.
                logger.warning(
                    "job %r failed on its %s message: %s",
                    message.job_id,
                    message.type,
                    exc,
                )
            else:
                logger.exception(
                    "engine failed on %s message for job %r",
                    message.type,
                    message.job_id,
                )
            await self._fail_job(
                message.job_id, code=500, reason=str(exc), lease=item.lease
            )

    async def _ack(self, lease: Lease, messages: list[Outgoing] | None = None) -> None:
        try:
            claim = self._claim() if messages else None
            self._take_claimed(
                await self.store.ack(self.app, lease, messages or [], claim)
            )
        except LeaseLostError:
            logger.info(
                "lease on message %s lost to another consumer", lease.message_id
            )

    async def handle_dead_letter(self, item: StreamMessage) -> None:
        """Fail the job of a message that exceeded its delivery ceiling."""
        try:
            message = Message.from_json(item.payload)
        except MalformedMessageError:
            return
        reason = (
            "stream message exceeded the maximum delivery count "
            f"({item.lease.delivery})"
        )
        await self._fail_job(message.job_id, code=999, reason=reason, lease=None)

    async def _fail_job(
        self, job_id: str, *, code: int, reason: str, lease: Lease | None
    ) -> None:
        for _ in range(MAX_STEP_RETRIES):
            fields = await self.store.read_job(self.app, job_id) if job_id else None
            step = (
                fail_job_step(fields, code=code, message=reason, lease=lease)
                if fields
                else None
            )
            if step is None:
                if lease is not None:
                    await self._ack(lease)
                return
            self.cache.forget(job_id)
            result = await self.store.commit_step(self.app, versioned(step, None))
            if (
                result.applied
                or step.guards[result.failed_guard or 0].on_fail == "drop"
            ):
                return
        logger.error("could not record failure on job %r after retries", job_id)

    async def _run_step(
        self,
        message: Message,
        lease: Lease,
        build: Callable[
            [AppModel, Activity, Mapping[str, str]], Awaitable[Step | None]
        ],
    ) -> StepResult | None:
        """Read the job, build a step, commit it; retry on contention."""
        cached = self.cache.take(message.job_id)
        for _ in range(MAX_STEP_RETRIES):
            if cached is not None and self._is_current(cached, message):
                fields: Mapping[str, str] | None = cached
            else:
                cached = None
                fields = await self.store.read_job(self.app, message.job_id)
            if not self._is_current(fields, message):
                await self._ack(lease)
                return None
            assert fields is not None
            model = await self._load_model(json_str(fields.get(metadata_field("vrs"))))
            try:
                activity = model.activity(message.activity_id)
            except KeyError:
                logger.error(
                    "dropping message for unknown activity %r of job %r",
                    message.activity_id,
                    message.job_id,
                )
                await self._ack(lease)
                return None
            try:
                step = await build(model, activity, fields)
            except Exception:
                if cached is None:
                    raise
                # Cached fields may be stale (another engine moved the job
                # on); a step that fails to build from them is rebuilt from
                # a fresh read before the failure counts.
                cached = None
                continue
            if step is None:
                await self._ack(lease)
                return None
            step = dataclasses.replace(
                step, guards=[steps.active_guard(), *step.guards]
            )
            finish = await self._finish_inline(fields, step, lease)
            step = versioned(finish or step, fields if finish else cached)
            step = dataclasses.replace(step, claim=self._claim())
            try:
                result = await self.store.commit_step(self.app, step)
            except ConnectionFailedError:
                self.reply_lost()
                raise
            self._take_claimed(result.claimed)
            if result.applied:
                state = None if finish else after_commit(fields, step, result)
                if state is not None:
                    self.cache.remember(message.job_id, state)
                if step.signals:
                    await self._deliver_early_signals(list(step.signals))
                return result
            cached = None
            guard = step.guards[result.failed_guard or 0]
            if guard.on_fail == "drop":
                logger.debug(
                    "dropped %s message %s: %s", message.type, message.guid, guard
                )
                return None
        raise HotMeshError(
            f"step for job {message.job_id!r} kept conflicting; retry later"
        )

    async def _finish_inline(
        self, fields: Mapping[str, str], step: Step, lease: Lease
    ) -> Step | None:
        """Return ``step`` with the job's completion folded in, when it
        brings the status from above 0 to exactly 0; else None.

        The completion (output, publications, parent result, expiry) is
        computed from the fields the step will leave, which is exact because
        the caller guards the step with the version of ``fields``. Folding
        saves the separate finish message and its commit. Interrupted jobs
        keep the finish message, which also interrupts their children.
        """
        status = read_status(fields)
        if (
            not step.on_finish
            or VERSION_FIELD not in fields
            or status is None
            or status <= 0
            or status + step.status_delta != 0
        ):
            return None
        final = predicted(fields, step)
        finish = finish_job(final, await self._publishes(final), lease)
        if finish.notify_first:
            return None
        done = finish.step
        return dataclasses.replace(
            step,
            guards=[*step.guards, *done.guards],
            fields={**step.fields, **done.fields},
            messages=[*step.messages, *done.messages],
            on_finish=[],
            expire_seconds=done.expire_seconds,
            publish=[*step.publish, *done.publish],
            drop_signals=[*step.drop_signals, *done.drop_signals],
        )

    @staticmethod
    def _is_current(fields: Mapping[str, str] | None, message: Message) -> bool:
        if not fields:
            return False
        status = read_status(fields)
        if status is None or status <= 0:
            return False
        gid = message.metadata.get("gid")
        return not gid or json_str(fields.get(metadata_field("gid"))) == gid

    def _input(
        self,
        model: AppModel,
        activity: Activity,
        fields: Mapping[str, str],
        message: Message,
        lease: Lease,
    ) -> StepInput:
        now_ms = int(time.time() * 1000)
        return StepInput(model, activity, fields, message, lease, now_ms)

    async def _on_transition(self, message: Message, lease: Lease) -> None:
        async def build(
            model: AppModel, activity: Activity, fields: Mapping[str, str]
        ) -> Step:
            step_input = self._input(model, activity, fields, message, lease)
            if activity.type == "interrupt":
                await self._interrupt_other(step_input)
            return steps.leg1(step_input)

        await self._run_step(message, lease, build)

    async def _interrupt_other(self, step_input: StepInput) -> None:
        order = steps.interrupt_order(step_input)
        if order.job_id == step_input.message.job_id:
            return
        try:
            await self.interrupt(
                order.job_id,
                reason=order.reason,
                code=order.code,
                throw=order.throw,
                stack=order.stack,
                expire=order.expire,
            )
        except JobNotFoundError as exc:
            logger.info("interrupt activity %r: %s", step_input.activity.id, exc)

    async def _on_response(self, message: Message, lease: Lease) -> None:
        async def build(
            model: AppModel, activity: Activity, fields: Mapping[str, str]
        ) -> Step:
            step_input = self._input(model, activity, fields, message, lease)
            return steps.leg2(step_input, message.dad, hook_data=False)

        await self._run_step(message, lease, build)

    async def _on_timehook(self, message: Message, lease: Lease) -> None:
        async def build(
            model: AppModel, activity: Activity, fields: Mapping[str, str]
        ) -> Step:
            step_input = self._input(model, activity, fields, message, lease)
            return steps.leg2(step_input, message.dad, hook_data=True)

        await self._run_step(message, lease, build)

    async def _on_webhook(self, message: Message, lease: Lease) -> None:
        key = str(message.metadata.get("signal", ""))
        registration = await self.store.get_signal(self.app, key) if key else None
        if registration is None and key:
            registration = await self._hold_early_signal(key, message)
        if registration is None:
            await self._ack(lease)
            return
        target = decode(registration)
        routed = dataclasses.replace(
            message,
            metadata={
                **message.metadata,
                **{k: target[k] for k in ("jid", "gid", "aid")},
            },
        )
        dad = str(target["dad"])

        async def build(
            model: AppModel, activity: Activity, fields: Mapping[str, str]
        ) -> Step:
            step_input = self._input(model, activity, fields, routed, lease)
            return steps.leg2(step_input, dad, hook_data=True, signal=key)

        await self._run_step(routed, lease, build)

    async def _hold_early_signal(self, key: str, message: Message) -> str | None:
        """Keep a signal that arrived before its hook paused.

        The signal waits ``early_signal_ttl_ms`` for the hook to register,
        which delivers it (see :meth:`_deliver_early_signals`). Both sides
        check again after writing, so at least one of them finds the other. A
        signal delivered twice carries one message id and lands once.
        Returns the registration when the hook registered meanwhile.
        """
        await self.store.kv_set(
            self.app, early_signal_key(key), message.to_json(), self.early_signal_ttl_ms
        )
        registration = await self.store.get_signal(self.app, key)
        if registration is not None:
            await self.store.kv_delete(self.app, early_signal_key(key))
            return registration
        logger.info("holding signal %r until a hook pauses on it", key)
        return None

    async def _deliver_early_signals(self, keys: Sequence[str]) -> None:
        """Send signals that arrived before the hooks now registered on ``keys``."""
        for key in keys:
            held = await self.store.kv_get(self.app, early_signal_key(key))
            if held is None:
                continue
            await self.store.add_message(self.app, Outgoing(ENGINE_TOPIC, held))
            await self.store.kv_delete(self.app, early_signal_key(key))

    async def _on_await(self, message: Message, lease: Lease) -> None:
        parent = ParentLink(
            job_id=message.job_id,
            gid=str(message.metadata.get("gid", "")),
            dad=message.dad,
            aid=message.activity_id,
            detached=message.metadata.get("await") is False,
        )
        topic = str(message.metadata.get("topic", ""))
        try:
            version = await self._parent_version(message.job_id)
            model, graph = await self.graph_for(topic, version)
            job: NewJob = build_job(
                JobRequest(
                    model=model,
                    graph=graph,
                    data=message.data,
                    parent=parent,
                    lease=lease,
                    origin=message.guid,
                    default_expire=self.default_expire,
                )
            )
            await self._create(job)
        except (DuplicateJobError, TopicNotFoundError, ConfigurationError) as exc:
            # A ConfigurationError is a child id or expire that resolved to an
            # invalid value, so the parent's await activity fails with it.
            code = 400
            if isinstance(exc, TopicNotFoundError):
                code = 404
            elif isinstance(exc, DuplicateJobError):
                code = 409
            reply = Message(
                "result",
                metadata={
                    "guid": new_guid(),
                    "jid": parent.job_id,
                    "gid": parent.gid,
                    "dad": parent.dad,
                    "aid": parent.aid,
                },
                data={"message": str(exc), "code": code},
                status="error",
                code=code,
            )
            await self._ack(lease, [Outgoing(ENGINE_TOPIC, reply.to_json())])

    async def _parent_version(self, job_id: str) -> str | None:
        (raw,) = await self.store.read_job_fields(
            self.app, job_id, [metadata_field("vrs")]
        )
        return json_str(raw) or None

    async def _publishes(self, fields: Mapping[str, str]) -> str | None:
        version = json_str(fields.get(metadata_field("vrs")))
        topic = json_str(fields.get(metadata_field("tpc")))
        model = await self._load_model(version)
        graph = model.graph_for_topic(topic)
        return graph.publishes if graph else None

    async def _on_finish(self, message: Message, lease: Lease) -> None:
        cached = self.cache.take(message.job_id)
        for _ in range(MAX_STEP_RETRIES):
            fields = cached or await self.store.read_job(self.app, message.job_id)
            if not fields:
                await self._ack(lease)
                return
            finish: Finish = finish_job(fields, await self._publishes(fields), lease)
            for outgoing in finish.notify_first:
                await self.store.add_message(self.app, outgoing)
            if finish.notify_first or (read_status(fields) or 0) < INTERRUPTED_BELOW:
                await self._interrupt_children(message.job_id)
            step = versioned(finish.step, cached)
            result = await self.store.commit_step(self.app, step)
            if (
                result.applied
                or step.guards[result.failed_guard or 0].on_fail == "drop"
            ):
                return
            cached = None

    async def _interrupt_children(self, job_id: str) -> None:
        """Interrupt the running children of an interrupted job."""
        for entry in await self.store.read_dependents(self.app, job_id):
            try:
                child = json.loads(entry)
            except ValueError:
                continue
            child_id = child.get("jid") if isinstance(child, dict) else None
            if not child_id:
                continue
            try:
                await self.interrupt(
                    str(child_id), reason=f"parent job {job_id!r} was interrupted"
                )
            except JobNotFoundError:
                continue
            logger.info("interrupted job %r with its parent %r", child_id, job_id)

    async def _on_emit(self, message: Message, lease: Lease) -> None:
        snapshot = message.data.get("fields")
        if isinstance(snapshot, dict):
            fields: Mapping[str, str] | None = snapshot
        else:
            fields = await self.store.read_job(self.app, message.job_id)
        if not fields:
            await self._ack(lease)
            return
        notices, parent = emit_notices(fields, await self._publishes(fields))
        for channel, text in notices:
            await self.store.publish(self.app, channel, text)
        await self._ack(lease, parent)

    # -- queries and commands ---------------------------------------------------

    async def hook(
        self,
        topic: str,
        data: Mapping[str, Any],
        status: str = "success",
        code: int = 200,
        *,
        require_paused: bool = True,
    ) -> str:
        """Resume the hook activity paused on ``topic`` that ``data`` matches."""
        model = await self._load_model(await self._active_version())
        message = steps.webhook_message(model, topic, dict(data), status, code)
        if message is None:
            known = ", ".join(sorted(model.hook_rules)) or "none"
            raise TopicNotFoundError(
                f"no hook rule for topic {topic!r} in app {model.app_id!r} "
                f"version {model.version!r}; hook topics: {known}"
            )
        key = str(message.metadata["signal"])
        if require_paused and await self.store.get_signal(self.app, key) is None:
            raise HookNotFoundError(
                f"no job is paused on hook topic {topic!r} with key {key!r}"
            )
        outgoing = Outgoing(ENGINE_TOPIC, message.to_json())
        return await self.store.add_message(self.app, outgoing)

    async def _trigger_of(self, topic: str) -> Activity:
        model, graph = await self.graph_for(topic)
        return model.activity(graph.trigger)

    async def get_stats(self, topic: str, query: Mapping[str, Any]) -> dict[str, Any]:
        """Return the counters of a topic's jobs over a time window."""
        trigger = await self._trigger_of(topic)
        window = stats.resolve_window(trigger, query)
        buckets = await self.store.read_stats(self.app, window.buckets())
        segments = []
        totals: dict[str, float] = {}
        for slot, counters in zip(window.slots, buckets, strict=True):
            measures = _count_measures(counters)
            for measure in measures:
                target = measure["target"]
                totals[target] = totals.get(target, 0) + measure["value"]
            segments.append(
                {
                    "time": stats.slot_iso(slot),
                    "count": int(counters.get("count", 0)),
                    "measures": measures,
                }
            )
        response: dict[str, Any] = {
            "key": window.key,
            "granularity": window.granularity,
            "range": window.range,
            "end": window.end,
            "count": sum(segment["count"] for segment in segments),
            "measures": [
                {"target": target, "type": "count", "value": int(value)}
                for target, value in totals.items()
            ],
        }
        if not query.get("sparse"):
            response["segments"] = segments
        return response

    async def get_ids(
        self, topic: str, query: Mapping[str, Any], facets: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Return the ids of a topic's jobs indexed under each facet."""
        trigger = await self._trigger_of(topic)
        window = stats.resolve_window(trigger, query)
        if not facets:
            counters = await self.store.read_stats(self.app, window.buckets())
            facets = stats.facets_of(counters)
        counts = []
        segments = []
        for facet in facets:
            total = 0
            for slot, bucket in zip(window.slots, window.buckets(), strict=True):
                ids = await self.store.read_index(self.app, bucket, facet)
                total += len(ids)
                if not ids:
                    continue
                time_name = stats.slot_iso(slot)
                measure = {
                    "type": "ids",
                    "target": facet,
                    "time": time_name,
                    "count": len(ids),
                    "ids": ids,
                }
                segments.append({"time": time_name, "measures": [measure]})
            counts.append({"facet": facet, "count": total})
        return {
            "key": window.key,
            "facets": list(facets),
            "granularity": window.granularity,
            "range": window.range,
            "end": window.end,
            "counts": counts,
            "segments": segments,
        }

    async def hook_all(
        self,
        hook_topic: str,
        data: Mapping[str, Any],
        query: Mapping[str, Any],
        facets: Sequence[str] = (),
    ) -> list[str]:
        """Resume every paused job listed under ``facets`` of a stats query.

        Each listed id is taken from its index once, whichever engine drains
        it; ids whose job is not paused on the hook are skipped. Returns the
        indexes that held ids.
        """
        model = await self._load_model(await self._active_version())
        rules = model.hook_rules.get(hook_topic)
        if not rules:
            raise TopicNotFoundError(f"no hook rule for topic {hook_topic!r}")
        graph = model.graph_for_topic(model.activity(rules[0].to).graph_topic)
        if graph is None:
            raise TopicNotFoundError(f"hook topic {hook_topic!r} targets no graph")
        trigger = model.activity(graph.trigger)
        window = stats.resolve_window(trigger, query)
        if not facets:
            counters = await self.store.read_stats(self.app, window.buckets())
            facets = stats.facets_of(counters)
        targets = []
        for bucket in window.buckets():
            for facet in facets:
                if await self.store.read_index(self.app, bucket, facet):
                    targets.append(f"{bucket}:index:{facet}")
                    await self._drain_index(hook_topic, data, bucket, facet, query)
        return targets

    async def _drain_index(
        self,
        hook_topic: str,
        data: Mapping[str, Any],
        bucket: str,
        facet: str,
        query: Mapping[str, Any],
    ) -> None:
        while True:
            ids = await self.store.take_from_index(self.app, bucket, facet, 100)
            if not ids:
                break
            for job_id in ids:
                try:
                    await self.hook(hook_topic, {**data, "id": job_id})
                except HookNotFoundError:
                    logger.info("job %r is not paused on %r", job_id, hook_topic)
        scrub = bool(query.get("scrub"))
        await self.store.close_index(self.app, bucket, facet, scrub=scrub)

    async def _on_hookall(self, message: Message, lease: Lease) -> None:
        body = message.data
        await self.hook_all(
            str(message.metadata.get("topic")),
            body.get("data") or {},
            body.get("query") or {},
            body.get("facets") or [],
        )
        await self._ack(lease)

    async def read_job(self, job_id: str) -> Mapping[str, str]:
        fields = await self.store.read_job(self.app, job_id)
        if not fields:
            raise JobNotFoundError(f"job {job_id!r} not found", job_id=job_id)
        return fields

    async def get_state(self, job_id: str) -> dict[str, Any]:
        return job_output(await self.read_job(job_id))

    async def interrupt(
        self,
        job_id: str,
        *,
        reason: str | None = None,
        code: int = 410,
        throw: bool = True,
        stack: str = "",
        expire: int | None = None,
    ) -> None:
        fields = await self.read_job(job_id)
        status = read_status(fields) or 0
        if status <= 0:
            raise JobNotFoundError(
                f"job {job_id!r} is not running (status {status})", job_id=job_id
            )
        step = interrupt_step(
            fields, reason=reason, code=code, throw=throw, stack=stack, expire=expire
        )
        self.cache.forget(job_id)
        result = await self.store.commit_step(self.app, versioned(step, None))
        if not result.applied:
            raise JobNotFoundError(f"job {job_id!r} is not running", job_id=job_id)


def _count_measures(counters: Mapping[str, float]) -> list[dict[str, Any]]:
    return [
        {"target": name[len("count:") :], "type": "count", "value": int(value)}
        for name, value in counters.items()
        if name.startswith("count:")
    ]


def early_signal_key(key: str) -> str:
    return f"early-signal:{key}"
