"""Durable: workflows as ``async def`` functions that survive crashes.

A workflow function calls activities through ``workflow.proxy_activities``
and waits with ``workflow.sleep_for``, ``workflow.wait_for`` and child
workflows. Every finished step is stored, so a worker that dies
mid-workflow loses nothing: the function resumes where it stopped. The
state machine behind it is a HotMesh app that the library deploys itself.
Workflows carry search fields (``workflow.search()``); a worker declares
indexes over them (``Worker.create(search=SearchIndex(...))``, see
:mod:`hotmesh.search`) and ``client.workflow.search`` queries those.

Example::

    from hotmesh.durable import Client, Worker, workflow

    greetings = workflow.proxy_activities(activities=activities_module)

    async def greet(name: str) -> str:
        return await greetings.hello(name)

    worker = await Worker.create(task_queue="hello", workflow=greet)
    client = Client()
    handle = await client.workflow.start(
        workflow_name=greet, task_queue="hello", args=["Ada"]
    )
    print(await handle.result())
"""

from hotmesh.durable import workflow
from hotmesh.durable._app import Connection
from hotmesh.durable.client import Client, WorkflowClient
from hotmesh.durable.durations import Duration, to_seconds
from hotmesh.durable.errors import (
    ApplicationError,
    DuplicateWorkflowError,
    DurableError,
    DurableTimeoutError,
    FatalError,
    InvalidDurationError,
    MaxedError,
    NonDeterminismError,
    NotInWorkflowError,
    RetryableError,
    UnknownActivityError,
    WorkflowInterruptedError,
    WorkflowNotFoundError,
    WorkflowNotRunningError,
    WorkflowSuspended,
)
from hotmesh.durable.handle import WorkflowHandle
from hotmesh.durable.retry import RetryPolicy
from hotmesh.durable.worker import Worker

__all__ = [
    "ApplicationError",
    "Client",
    "Connection",
    "DuplicateWorkflowError",
    "DurableError",
    "DurableTimeoutError",
    "Duration",
    "FatalError",
    "InvalidDurationError",
    "MaxedError",
    "NonDeterminismError",
    "NotInWorkflowError",
    "RetryPolicy",
    "RetryableError",
    "UnknownActivityError",
    "Worker",
    "WorkflowClient",
    "WorkflowHandle",
    "WorkflowInterruptedError",
    "WorkflowNotFoundError",
    "WorkflowNotRunningError",
    "WorkflowSuspended",
    "to_seconds",
    "workflow",
]
