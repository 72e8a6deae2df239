"""HotMesh runs as an ACL user allowed only the rules of docs/security.md.

The test reads the ``ACL SETUSER`` block of the security guide and grants
exactly those rules on a ValKey server of its own, with key and channel
patterns for its two apps. Through that user it runs a Durable workflow
with an activity and a sleep, a YAML workflow with a worker and a sleep,
an interrupt and a search that scans. The server's ``ACL LOG`` then shows
the denied commands: only the optional probes the guide names. Commands
and keys outside the rules are denied.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import pytest
import redis

from _servers import LocalServer, ServerFactory
from hotmesh import HotMesh
from hotmesh.errors import StoreError
from hotmesh.registry import open_store
from hotmesh.search import Equals, SearchField, SearchIndex, SearchQuery
from hotmesh.store.protocol import AppKey, NewJob
from tests.reliability._support import (
    ENGINE,
    HOTMESH_NAMESPACE,
    ROOT,
    run_workflow,
    wait_for,
)

pytestmark = pytest.mark.timeout(60)

ADMIN_PASSWORD = "adm1n-Pa55word"
USER_PASSWORD = "l3ast-Pa55word"
USER = "hotmesh"
GUIDE = ROOT / "docs" / "security.md"

OPTIONAL_PROBES = frozenset({"module|list", "ft._list", "config|get"})
"""Commands the guide lists as optional: the store's probe tolerates a refusal."""

YAML_APP = "aclyaml"
WORK_TOPIC = "acl.work"
MODEL = f"""
app:
  id: {YAML_APP}
  version: '1'
  graphs:
    - subscribes: acl.start
      expire: 30
      activities:
        t1:
          type: trigger
        a1:
          type: worker
          topic: {WORK_TOPIC}
          input:
            maps:
              x: '{{t1.output.data.x}}'
          job:
            maps:
              y: '{{$self.output.data.y}}'
        nap:
          type: hook
          sleep: '{{t1.output.data.nap}}'
      transitions:
        t1:
          - to: a1
        a1:
          - to: nap
"""
"""A job that calls a worker, then sleeps ``nap`` seconds: streams and timers."""


def guide_rules() -> list[str]:
    """Return the rules of the guide's ``ACL SETUSER`` block, after the user name."""
    text = GUIDE.read_text()
    block = re.search(r"```acl\n(ACL SETUSER .*?)```", text, re.DOTALL)
    assert block is not None, f"no ACL SETUSER block in {GUIDE}"
    words = block.group(1).split()
    assert words[:3] == ["ACL", "SETUSER", USER]
    return words[3:]


def user_rules(apps: list[AppKey]) -> list[str]:
    """Return the guide's rules with its example app's patterns replaced by ``apps``."""
    rules = []
    for rule in guide_rules():
        if rule == ">PASSWORD":
            rules.append(f">{USER_PASSWORD}")
        elif rule == "~hmsh:{myapp}:*":
            rules += [f"~{app.namespace}:{{{app.app_id}}}:*" for app in apps]
        elif rule == "&hmsh:{myapp}:q:*":
            rules += [f"&{app.namespace}:{{{app.app_id}}}:q:*" for app in apps]
        else:
            rules.append(rule)
    return rules


def denied_commands(admin: redis.Redis) -> set[str]:
    """Return the commands and keys the ACL LOG records as denied to the user."""
    denied = set()
    for entry in admin.execute_command("ACL", "LOG"):
        if isinstance(entry, dict):
            fields = entry
        else:
            fields = dict(zip(entry[::2], entry[1::2], strict=True))
        decoded = {_text(key): _text(value) for key, value in fields.items()}
        if decoded.get("username") == USER:
            denied.add(f"{decoded['reason']}:{decoded['object']}")
    return denied


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@pytest.fixture
def server(server_factory: ServerFactory) -> LocalServer:
    return server_factory("--requirepass", ADMIN_PASSWORD)


def answer(message: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"y": f"{message['data']['x']}!"}}


async def run_yaml_workflow(url: str, namespace: str) -> dict[str, Any]:
    """Run one job to its end, and interrupt another while it sleeps.

    Returns the first job's output data and the timer due after the
    interrupt (None when the interrupt removed the sleep's timer).
    """
    mesh = await HotMesh.init(
        app_id=YAML_APP,
        namespace=namespace,
        connection=url,
        engine=dict(ENGINE),
        workers=[{"topic": WORK_TOPIC, "callback": answer}],
    )
    try:
        await mesh.deploy(MODEL)
        await mesh.activate("1", delay=0.05)
        output = await mesh.pubsub("acl.start", {"x": "least", "nap": 0.2}, timeout=20)
        sleeper = await mesh.pub("acl.start", {"x": "sleeper", "nap": 60})
        store = mesh.store
        assert store is not None

        async def sleeping() -> bool:
            return await store.next_timer_due(mesh.app) is not None

        await wait_for(sleeping, timeout=10, condition="the second job sleeps")
        await mesh.interrupt("acl.start", sleeper)
        return {**output["data"], "timer": await store.next_timer_due(mesh.app)}
    finally:
        await mesh.stop()


async def search_by_scan(url: str, app: AppKey) -> list[str]:
    store = await open_store(url)
    try:
        index = SearchIndex("acl", [SearchField("kind", "tag")], prefixes=["acl-"])
        await store.create_search_index(app, index)
        for job_id, kind in (("acl-1", "red"), ("acl-2", "blue"), ("acl-3", "red")):
            await store.create_job(app, NewJob(job_id, 1, {"_kind": kind}))
        result = await store.search_jobs(
            app, SearchQuery("acl", [Equals("kind", "red")])
        )
        return result.job_ids
    finally:
        await store.close()


async def test_least_privilege_user_runs_workflows(
    server: LocalServer, journal: Path
) -> None:
    yaml_namespace = f"a{secrets.token_hex(4)}"
    durable_namespace = f"d{secrets.token_hex(4)}"
    apps = [
        AppKey(yaml_namespace, YAML_APP),
        AppKey(HOTMESH_NAMESPACE, durable_namespace),
    ]
    with server.client(password=ADMIN_PASSWORD) as admin:
        admin.execute_command("ACL", "SETUSER", USER, *user_rules(apps))
        admin.execute_command("ACL", "LOG", "RESET")
    url = f"valkey://{USER}:{USER_PASSWORD}@127.0.0.1:{server.port}/0"

    durable_result = await run_workflow(
        url, durable_namespace, "nap_then_step", [str(journal), "acl", 0.2]
    )
    yaml_output = await run_yaml_workflow(url, yaml_namespace)
    found = await search_by_scan(url, apps[0])

    assert durable_result == "ACL"
    assert yaml_output["y"] == "least!"
    assert yaml_output["timer"] is None
    assert found == ["acl-1", "acl-3"]
    with server.client(password=ADMIN_PASSWORD) as admin:
        denied = denied_commands(admin)
    assert denied <= {f"command:{name}" for name in OPTIONAL_PROBES}


@pytest.mark.parametrize(
    "command",
    [
        ("FLUSHALL",),
        ("KEYS", "*"),
        ("CONFIG", "SET", "appendonly", "no"),
        ("GET", "other:{app}:kv:secret"),
        ("HGET", f"{HOTMESH_NAMESPACE}:{{otherapp}}:j:job-1", ":"),
        ("PUBLISH", "other:{app}:q:news", "hello"),
        ("EVAL", "return redis.call('GET', KEYS[1])", "1", "other:{app}:kv:k"),
    ],
    ids=["flushall", "keys", "config-set", "other-key", "other-app", "channel", "eval"],
)
def test_user_denied_outside_rules(
    server: LocalServer, command: tuple[str, ...]
) -> None:
    app = AppKey(HOTMESH_NAMESPACE, "myapp")
    with server.client(password=ADMIN_PASSWORD) as admin:
        admin.execute_command("ACL", "SETUSER", USER, *user_rules([app]))

    with server.client(username=USER, password=USER_PASSWORD) as client:
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.execute_command(*command)
        assert client.execute_command("GET", "hmsh:{myapp}:kv:allowed") is None


async def test_store_denied_outside_app(server: LocalServer) -> None:
    app = AppKey(HOTMESH_NAMESPACE, "myapp")
    with server.client(password=ADMIN_PASSWORD) as admin:
        admin.execute_command("ACL", "SETUSER", USER, *user_rules([app]))
    url = f"valkey://{USER}:{USER_PASSWORD}@127.0.0.1:{server.port}/0"
    store = await open_store(url)
    try:
        await store.kv_set(app, "entry", "value")
        allowed = await store.kv_get(app, "entry")
        with pytest.raises(
            StoreError, match="No permissions to access a key"
        ) as caught:
            await store.kv_get(AppKey(HOTMESH_NAMESPACE, "otherapp"), "entry")
    finally:
        await store.close()

    assert allowed == "value"
    assert USER_PASSWORD not in str(caught.value)
