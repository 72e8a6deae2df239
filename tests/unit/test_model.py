"""Tests for loading, validating and compiling YAML app models."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

import hotmesh.engine.model as model_api
from hotmesh.engine.model import AppModel, HookRule, Transition, load_model
from hotmesh.engine.model._expressions import MappingChecker
from hotmesh.errors import ModelError, ModelValidationError, Problem

REFERENCE_ENV = "HOTMESH_REFERENCE_APPS"

# The TypeScript SDK's test apps, relative to the folder named by REFERENCE_ENV.
REFERENCE_APPS = (
    *(f"apps/abc/v{n}" for n in range(1, 10)),
    "apps/awaiter",
    "apps/calc/v1",
    "apps/cycle/v1",
    "apps/cycle/v2",
    "apps/def/v1",
    "apps/def/v2",
    "apps/def/v3",
    "apps/durable/v1",
    "apps/emit/v1",
    "apps/hook/v1",
    "apps/pending/v1",
    "apps/signal/v1",
    *(f"apps/tree/v{n}" for n in range(1, 11)),
    "seeds",
)


@pytest.fixture
def reference_apps() -> Path:
    """Return the folder holding the TypeScript SDK's test apps."""
    folder = os.environ.get(REFERENCE_ENV)
    if not folder:
        pytest.skip(f"{REFERENCE_ENV} is not set to the folder with apps/ and seeds/")
    return Path(folder)


def load_reference(folder: Path, app: str) -> AppModel:
    return load_model(folder / app / "hotmesh.yaml")


def problems_of(source: str | Path) -> list[Problem]:
    with pytest.raises(ModelValidationError) as caught:
        load_model(source)
    return caught.value.problems


def inline(text: str) -> str:
    return textwrap.dedent(text).strip() + "\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(inline(text), encoding="utf-8")
    return path


MINIMAL = """
    app:
      id: mini
      version: 1
      graphs:
        - subscribes: mini.test
          activities:
            t1:
              type: trigger
"""


def test_public_names_pinned() -> None:
    assert model_api.__all__ == sorted(model_api.__all__)
    assert set(model_api.__all__) == {
        "ACTIVITY_TYPES",
        "Activity",
        "AppModel",
        "Graph",
        "HookRule",
        "Transition",
        "load_model",
    }


# --- the TypeScript SDK's test apps ---------------------------------------


@pytest.mark.parametrize("app", REFERENCE_APPS)
def test_reference_app_loads(reference_apps: Path, app: str) -> None:
    model = load_reference(reference_apps, app)

    assert model.graphs
    for graph in model.graphs:
        trigger = graph.activities[graph.trigger]
        assert trigger.type == "trigger"
        assert trigger.ancestors == []
        assert trigger.parent is None
        for activity in graph.activities.values():
            assert activity.graph_topic == graph.subscribes
            if activity.parent is not None:
                assert activity.ancestors[-1] == activity.parent
                assert activity.ancestors[0] == graph.trigger


@pytest.mark.parametrize("app", REFERENCE_APPS)
def test_reference_app_document_round_trip(reference_apps: Path, app: str) -> None:
    model = load_reference(reference_apps, app)

    text = model.to_document()
    restored = AppModel.from_document(text)

    assert restored == model
    assert restored.to_document() == text
    assert model.to_document() == text


def test_reference_list_covers_folder(reference_apps: Path) -> None:
    found = {
        path.parent.relative_to(reference_apps).as_posix()
        for path in reference_apps.rglob("hotmesh.yaml")
    }
    assert found == set(REFERENCE_APPS)


def test_abc_v7_ancestors(reference_apps: Path) -> None:
    model = load_reference(reference_apps, "apps/abc/v7")

    a2 = model.activity("a2")
    assert a2.ancestors == ["t1", "a1"]
    assert a2.parent == "a1"
    assert a2.depth == 2
    assert a2.topic == "work.do.more"
    assert a2.input_maps == {"i": "{a1.output.data.y}"}
    assert a2.job_maps == {"c": "{$self.output.data.o}"}
    assert a2.output_maps is None
    assert model.activity("a1").transitions == [Transition("a2")]
    assert model.activity("t1").depth == 0


def test_cycle_v1_pivot(reference_apps: Path) -> None:
    model = load_reference(reference_apps, "apps/cycle/v1")

    assert model.activity("a1").cycle is True
    assert model.activity("w1").cycle is False
    assert model.activity("c1").ancestors == ["t1", "a1", "w1"]
    assert model.activity("c1").definition["ancestor"] == "a1"
    assert model.graphs[0].expire == 120


def test_calc_v1_refs_resolved(reference_apps: Path) -> None:
    model = load_reference(reference_apps, "apps/calc/v1")

    assert [graph.subscribes for graph in model.graphs] == [
        "calculate",
        "calculation.execute",
    ]
    assert model.version == "1"
    assert model.settings["some"]["nested"]["integer"] == 55
    operate = model.activity("operate")
    assert operate.input_maps == {
        "operation": "{calculate.output.data.operation}",
        "values": "{calculate.output.data.values}",
    }
    assert operate.job_maps == {"result": "{operate.output.data.result}"}
    assert model.activity("executor").definition["retry"] == {
        "404": [2],
        "500": [3],
    }
    schema = model.graphs[0].input_schema
    assert schema is not None
    assert schema["properties"]["operation"]["enum"][0] == "add"
    assert model.graphs[0].publishes == "calculated"


def test_seeds_hook_rule(reference_apps: Path) -> None:
    model = load_reference(reference_apps, "seeds")

    rules = model.hook_rules["order.routed"]
    assert rules == [
        HookRule(
            "order.routed",
            "route",
            {
                "match": [
                    {
                        "expected": "{schedule.output.data.id}",
                        "actual": "{$self.hook.data.id}",
                    }
                ]
            },
        )
    ]
    assert model.activity("route").hook_topic == "order.routed"
    assert model.activity("fulfill").hook_topic is None
    assert len(model.graphs) == 5
    assert model.app_id == "test-app"


def test_durable_hooks_and_expire(reference_apps: Path) -> None:
    model = load_reference(reference_apps, "apps/durable/v1")

    assert set(model.hook_rules) == {"durable.flow.signal", "durable.wfs.signal"}
    assert model.activity("signaler").hook_topic == "durable.flow.signal"
    assert model.activity("collator_waiter").hook_topic == "durable.wfs.signal"
    graph = model.graph_for_topic("durable.execute")
    assert graph is not None
    assert isinstance(graph.expire, dict)
    assert "@pipe" in graph.expire
    activity_graph = model.graph_for_topic("durable.activity.execute")
    assert activity_graph is not None
    assert activity_graph.expire == 0


def test_def_v2_transition_code_ignored(reference_apps: Path) -> None:
    model = load_reference(reference_apps, "apps/def/v2")

    a422 = model.activity("a1").transitions[1]
    assert a422.to == "a422"
    assert a422.conditions is not None
    assert "code" not in a422.conditions


def test_tree_v10_graph_lookup(reference_apps: Path) -> None:
    model = load_reference(reference_apps, "apps/tree/v10")

    winter = model.graph_for_topic("winter")
    assert winter is not None
    assert winter.trigger == "starty"
    assert list(winter.activities) == ["starty", "sleepy", "stoppy", "waity"]
    assert model.activity("stoppy").ancestors == ["starty", "sleepy"]
    assert model.graph_for_topic("no.such.topic") is None


def test_signal_definition_fields(reference_apps: Path) -> None:
    model = load_reference(reference_apps, "apps/signal/v1")

    signaler = model.activity("signaler").definition
    assert signaler["subtype"] == "all"
    assert signaler["key_name"] == "parent_job_id"
    assert signaler["resolver"]["maps"]["scrub"] is True
    assert model.activity("pender").transitions == []
    assert model.activity("awaiter").transitions == [
        Transition("ender"),
        Transition("pender", {"code": 202}),
    ]


# --- inline YAML and compiled fields ---------------------------------------


def test_inline_minimal_model() -> None:
    model = load_model(inline(MINIMAL))

    assert model.app_id == "mini"
    assert model.version == "1"
    assert model.settings == {}
    assert model.hook_rules == {}
    graph = model.graphs[0]
    assert graph.trigger == "t1"
    assert graph.publishes is None
    assert graph.expire is None
    assert graph.input_schema is None


def test_path_object_and_string_path(tmp_path: Path) -> None:
    path = write(tmp_path, "hotmesh.yaml", MINIMAL)

    assert load_model(path) == load_model(str(path))


def test_legacy_activity_type_becomes_hook() -> None:
    model = load_model(
        inline("""
        app:
          id: legacy
          version: '2'
          graphs:
            - subscribes: legacy.test
              activities:
                t1: {type: trigger}
                a1: {type: activity}
              transitions:
                t1: [{to: a1}]
        """)
    )

    assert model.activity("a1").type == "hook"
    assert model.activity("a1").definition["type"] == "activity"


def test_cycle_flag_derived_from_cycle_activity() -> None:
    model = load_model(
        inline("""
        app:
          id: loop
          version: '1'
          graphs:
            - subscribes: loop.test
              activities:
                t1: {type: trigger}
                pivot: {type: hook}
                c1: {type: cycle, ancestor: pivot}
              transitions:
                t1: [{to: pivot}]
                pivot: [{to: c1}]
        """)
    )

    assert model.activity("pivot").cycle is True
    assert model.activity("c1").cycle is False
    assert model.activity("c1").parent == "pivot"


def test_inline_local_ref_resolved() -> None:
    model = load_model(
        inline("""
        app:
          id: local
          version: '1'
          graphs:
            - subscribes: local.test
              activities:
                t1:
                  type: trigger
                  job:
                    maps:
                      $ref: '#/app/settings/defaults'
          settings:
            defaults:
              done: false
        """)
    )

    assert model.activity("t1").job_maps == {"done": False}


def test_ref_siblings_extend_target(tmp_path: Path) -> None:
    write(tmp_path, "maps.yaml", "job: {a: 1, b: 2}")
    path = write(
        tmp_path,
        "hotmesh.yaml",
        """
        app:
          id: extend
          version: '1'
          graphs:
            - subscribes: extend.test
              activities:
                t1:
                  type: trigger
                  job:
                    maps:
                      $ref: './maps.yaml#/job'
                      b: 3
        """,
    )

    assert load_model(path).activity("t1").job_maps == {"a": 1, "b": 3}


def test_unknown_activity_raises_key_error() -> None:
    model = load_model(inline(MINIMAL))

    with pytest.raises(KeyError, match="nope"):
        model.activity("nope")


def test_from_document_rejects_garbage() -> None:
    with pytest.raises(ModelError, match="invalid app model document"):
        AppModel.from_document("{}")
    with pytest.raises(ModelError, match="invalid app model document"):
        AppModel.from_document("not json")


def test_timestamp_scalar_keeps_text() -> None:
    model = load_model(inline(MINIMAL) + "  settings: {since: 2024-01-02}\n")

    assert model.settings == {"since": "2024-01-02"}
    assert AppModel.from_document(model.to_document()) == model


# --- problems: files, paths and lines ---------------------------------------


def test_broken_model_reports_every_problem(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        "hotmesh.yaml",
        """
        app:
          id: a
          graphs:
            - $ref: ./graphs/main.yaml
            - subscribes: other
              activities:
                t1:
                  type: trigger
        """,
    )
    graph_file = write(
        tmp_path,
        "graphs/main.yaml",
        """
        subscribes: main
        activities:
          t1:
            type: trigger
          w1:
            type: worker
          orphan:
            type: hook
            sleep: -1
        transitions:
          t1:
            - to: w1
            - to: ghost
        """,
    )

    problems = problems_of(root)
    found = {(p.file, p.path, p.line) for p in problems}

    assert (str(root), "app.id", 2) in found
    assert (str(root), "app.version", 1) in found
    assert (str(root), "app.graphs[1].activities.t1", 7) in found
    assert (str(graph_file), "app.graphs[0].activities.w1.topic", 5) in found
    assert (str(graph_file), "app.graphs[0].activities.orphan", 7) in found
    assert (str(graph_file), "app.graphs[0].activities.orphan.sleep", 9) in found
    assert (str(graph_file), "app.graphs[0].transitions.t1[1].to", 13) in found
    assert len(problems) == 7
    messages = {p.path: p.message for p in problems}
    assert messages["app.id"] == "app id 'a' is reserved; choose another id"
    assert "already used in app.graphs[0]" in messages["app.graphs[1].activities.t1"]


def test_problem_messages_name_the_cause(tmp_path: Path) -> None:
    problems = problems_of(
        inline("""
        app:
          id: bad_id
          version: '1'
          graphs:
            - subscribes: x
              activities:
                t1: {type: trigger}
        """)
    )

    assert len(problems) == 1
    assert problems[0].path == "app.id"
    assert problems[0].file == ""
    assert problems[0].line == 2
    assert "letters, digits and '-'" in problems[0].message
    assert str(problems[0]).startswith("<inline>:2 at app.id: invalid app id")


def test_await_check_skips_invalid_subscribes() -> None:
    problems = problems_of(
        inline("""
        app:
          id: waits
          version: '1'
          graphs:
            - subscribes: waits.start
              activities:
                t1: {type: trigger}
                a1: {type: await, topic: waits.child}
              transitions:
                t1: [{to: a1}]
            - subscribes: []
              activities:
                c0: {type: trigger}
        """)
    )

    assert [problem.path for problem in problems] == [
        "app.graphs[1].subscribes",
        "app.graphs[0].activities.a1.topic",
    ]


def test_missing_ref_file(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        "hotmesh.yaml",
        """
        app:
          id: refs
          version: '1'
          graphs:
            - $ref: ./graphs/missing.yaml
        """,
    )

    problems = problems_of(root)

    assert len(problems) == 1
    assert problems[0].file == str(root)
    assert problems[0].line == 5
    assert problems[0].path == "app.graphs[0].$ref"
    assert problems[0].message.startswith("$ref file ")
    assert "missing.yaml' not found" in problems[0].message


def test_missing_ref_pointer(tmp_path: Path) -> None:
    write(tmp_path, "maps.yaml", "a1:\n  job: {x: 1}\n")
    root = write(
        tmp_path,
        "hotmesh.yaml",
        """
        app:
          id: refs
          version: '1'
          graphs:
            - subscribes: refs.test
              activities:
                t1:
                  type: trigger
                  job:
                    maps:
                      $ref: './maps.yaml#/a2/job'
        """,
    )

    problems = problems_of(root)

    assert [p.path for p in problems] == ["app.graphs[0].activities.t1.job.maps.$ref"]
    assert problems[0].line == 11
    assert "$ref target not found: './maps.yaml#/a2/job'" in problems[0].message


def test_circular_ref(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "next: {$ref: './b.yaml'}\n")
    b_file = write(tmp_path, "b.yaml", "next: {$ref: './a.yaml'}\n")
    root = write(
        tmp_path,
        "hotmesh.yaml",
        """
        app:
          id: loop
          version: '1'
          settings: {$ref: './a.yaml'}
          graphs:
            - subscribes: loop.test
              activities:
                t1: {type: trigger}
        """,
    )

    problems = problems_of(root)

    assert len(problems) == 1
    assert problems[0].file == str(b_file)
    assert problems[0].line == 1
    assert problems[0].message.startswith("circular $ref: ")
    assert problems[0].message.count("a.yaml") == 2


def test_yaml_error_in_ref_file(tmp_path: Path) -> None:
    broken = write(tmp_path, "graphs/g.yaml", "subscribes: [unclosed\n")
    root = write(
        tmp_path,
        "hotmesh.yaml",
        """
        app:
          id: syntax
          version: '1'
          graphs:
            - $ref: ./graphs/g.yaml
        """,
    )

    problems = problems_of(root)

    assert len(problems) == 1
    assert problems[0].file == str(broken)
    assert problems[0].line == 2
    assert problems[0].message.startswith("invalid YAML")


def test_inline_file_ref_rejected() -> None:
    problems = problems_of(
        inline("""
        app:
          id: inl
          version: '1'
          graphs:
            - $ref: ./graphs/g.yaml
        """)
    )

    assert len(problems) == 1
    assert problems[0].file == ""
    assert problems[0].line == 5
    assert "inline YAML" in problems[0].message


def test_model_file_not_found(tmp_path: Path) -> None:
    problems = problems_of(tmp_path / "nope.yaml")

    assert [p.message for p in problems] == ["model file not found"]
    assert problems[0].file == str(tmp_path / "nope.yaml")


def test_text_without_app_prefix_is_a_path() -> None:
    problems = problems_of("# comment\napp:\n  id: x\n")

    assert problems[0].message.startswith(
        "neither an existing file nor YAML text starting with 'app:'"
    )


def test_text_neither_file_nor_yaml() -> None:
    for source in ("foo: bar", ""):
        problems = problems_of(source)

        assert len(problems) == 1
        assert "neither an existing file nor YAML text" in problems[0].message
        assert "pass the path of a model file" in problems[0].message


def test_duplicate_yaml_key() -> None:
    problems = problems_of(
        inline("""
        app:
          id: dup
          version: '1'
          version: '2'
          graphs:
            - subscribes: dup.test
              activities:
                t1: {type: trigger}
        """)
    )

    assert [(p.path, p.line) for p in problems] == [("app.version", 4)]
    assert problems[0].message == "duplicate key 'version'"


GRAPH_HEAD = """
app:
  id: check
  version: '1'
  graphs:
    - subscribes: check.test
"""

# (case id, graph body under `- subscribes:`, expected path, line, message part)
GRAPH_CASES = [
    (
        "unknown-type",
        "      activities:\n        t1: {type: trigger}\n        e1: {type: emit}\n"
        "      transitions:\n        t1: [{to: e1}]\n",
        "app.graphs[0].activities.e1.type",
        8,
        "unknown type 'emit'; valid types: await, cycle, hook, interrupt",
    ),
    (
        "missing-type",
        "      activities:\n        t1: {type: trigger}\n        e1: {title: x}\n"
        "      transitions:\n        t1: [{to: e1}]\n",
        "app.graphs[0].activities.e1.type",
        8,
        "missing activity type",
    ),
    (
        "await-without-topic",
        "      activities:\n        t1: {type: trigger}\n        w1: {type: await}\n"
        "      transitions:\n        t1: [{to: w1}]\n",
        "app.graphs[0].activities.w1.topic",
        8,
        "missing 'topic': every await activity needs one",
    ),
    (
        "no-trigger",
        "      activities:\n        h1: {type: hook}\n",
        "app.graphs[0].activities",
        6,
        "graph has no activity of type trigger",
    ),
    (
        "two-triggers",
        "      activities:\n        t1: {type: trigger}\n        t2: {type: trigger}\n",
        "app.graphs[0].activities.t2",
        8,
        "second trigger 't2'",
    ),
    (
        "comma-in-id",
        "      activities:\n        t1: {type: trigger}\n        'a,b': {type: hook}\n"
        "      transitions:\n        t1: [{to: 'a,b'}]\n",
        "app.graphs[0].activities.a,b",
        8,
        "ids may not contain ','",
    ),
    (
        "cycle-without-ancestor",
        "      activities:\n        t1: {type: trigger}\n        c1: {type: cycle}\n"
        "      transitions:\n        t1: [{to: c1}]\n",
        "app.graphs[0].activities.c1.ancestor",
        8,
        "missing 'ancestor'",
    ),
    (
        "cycle-ancestor-not-above",
        "      activities:\n        t1: {type: trigger}\n        h1: {type: hook}\n"
        "        c1: {type: cycle, ancestor: h1}\n"
        "      transitions:\n        t1: [{to: h1}, {to: c1}]\n",
        "app.graphs[0].activities.c1.ancestor",
        9,
        "'h1' is not an ancestor of cycle activity 'c1'",
    ),
    (
        "two-parents",
        "      activities:\n        t1: {type: trigger}\n        a: {type: hook}\n"
        "        b: {type: hook}\n"
        "      transitions:\n        t1: [{to: a}, {to: b}]\n        a:\n"
        "          - to: b\n",
        "app.graphs[0].transitions.a[0].to",
        13,
        "'b' already has parent 't1'",
    ),
    (
        "trigger-as-target",
        "      activities:\n        t1: {type: trigger}\n        a: {type: hook}\n"
        "      transitions:\n        t1: [{to: a}]\n        a: [{to: t1}]\n",
        "app.graphs[0].transitions.a[0].to",
        11,
        "the trigger 't1' cannot be a transition target",
    ),
    (
        "unreachable",
        "      activities:\n        t1: {type: trigger}\n        lost: {type: hook}\n",
        "app.graphs[0].activities.lost",
        8,
        "activity 'lost' is not reachable from trigger 't1'",
    ),
    (
        "transition-from-unknown",
        "      activities:\n        t1: {type: trigger}\n"
        "      transitions:\n        ghost: []\n",
        "app.graphs[0].transitions.ghost",
        9,
        "transition from unknown activity 'ghost'",
    ),
    (
        "hook-target-unknown",
        "      activities:\n        t1: {type: trigger}\n"
        "      hooks:\n        some.topic:\n          - to: nowhere\n",
        'app.graphs[0].hooks["some.topic"][0].to',
        10,
        "target 'nowhere' is not an activity of this graph",
    ),
    (
        "hook-target-not-hook",
        "      activities:\n        t1: {type: trigger}\n"
        "        w1: {type: worker, topic: w}\n"
        "      transitions:\n        t1: [{to: w1}]\n"
        "      hooks:\n        resume:\n          - to: w1\n",
        "app.graphs[0].hooks.resume[0].to",
        13,
        "'w1' is a worker, not a hook",
    ),
    (
        "unknown-mapping-root",
        "      activities:\n        t1:\n          type: trigger\n"
        "          job:\n            maps:\n              x: '{t9.output.data.x}'\n",
        "app.graphs[0].activities.t1.job.maps.x",
        11,
        "mapping '{t9.output.data.x}' refers to unknown activity 't9'",
    ),
    (
        "unknown-root-in-condition",
        "      activities:\n        t1: {type: trigger}\n        a: {type: hook}\n"
        "      transitions:\n        t1:\n          - to: a\n"
        "            conditions:\n              match:\n"
        "                - {expected: true, actual: '{zz.output.data.ok}'}\n",
        "app.graphs[0].transitions.t1[0].conditions.match[0].actual",
        14,
        "refers to unknown activity 'zz'",
    ),
    (
        "negative-sleep",
        "      activities:\n        t1: {type: trigger}\n"
        "        s1:\n          type: hook\n          sleep: -5\n"
        "      transitions:\n        t1: [{to: s1}]\n",
        "app.graphs[0].activities.s1.sleep",
        10,
        "'sleep' is -5, out of range: use seconds from 0 to 315360000",
    ),
    (
        "nan-sleep",
        "      activities:\n        t1: {type: trigger}\n"
        "        s1:\n          type: hook\n          sleep: .nan\n"
        "      transitions:\n        t1: [{to: s1}]\n",
        "app.graphs[0].activities.s1.sleep",
        10,
        "'sleep' is nan, out of range",
    ),
    (
        "text-sleep",
        "      activities:\n        t1: {type: trigger}\n"
        "        s1:\n          type: hook\n          sleep: abc\n"
        "      transitions:\n        t1: [{to: s1}]\n",
        "app.graphs[0].activities.s1.sleep",
        10,
        "'sleep' is 'abc', which is not a number of seconds",
    ),
    (
        "interrupt-expire",
        "      activities:\n        t1: {type: trigger}\n"
        "        i1:\n          type: interrupt\n          expire: -1\n"
        "      transitions:\n        t1: [{to: i1}]\n",
        "app.graphs[0].activities.i1.expire",
        10,
        "interrupt 'expire' is -1: out of range: give whole seconds from 0",
    ),
    (
        "underscore-sleep",
        "      activities:\n        t1: {type: trigger}\n"
        "        s1:\n          type: hook\n          sleep: '1_0'\n"
        "      transitions:\n        t1: [{to: s1}]\n",
        "app.graphs[0].activities.s1.sleep",
        10,
        "'sleep' is '1_0', which is not a number of seconds",
    ),
    (
        "interrupt-expire-text",
        "      activities:\n        t1: {type: trigger}\n"
        "        i1:\n          type: interrupt\n          expire: abc\n"
        "      transitions:\n        t1: [{to: i1}]\n",
        "app.graphs[0].activities.i1.expire",
        10,
        "interrupt 'expire' is 'abc': give whole seconds from 0 to 315360000",
    ),
    (
        "interrupt-code-high",
        "      activities:\n        t1: {type: trigger}\n"
        "        i1:\n          type: interrupt\n          code: 1000\n"
        "      transitions:\n        t1: [{to: i1}]\n",
        "app.graphs[0].activities.i1.code",
        10,
        "interrupt 'code' is 1000: out of range: give a whole number from 1 to 999",
    ),
    (
        "await-unknown-topic",
        "      activities:\n        t1: {type: trigger}\n"
        "        w1:\n          type: await\n          topic: no.such.graph\n"
        "      transitions:\n        t1: [{to: w1}]\n",
        "app.graphs[0].activities.w1.topic",
        10,
        "await topic 'no.such.graph' is not subscribed by any graph",
    ),
    (
        "interrupt-code",
        "      activities:\n        t1: {type: trigger}\n"
        "        i1:\n          type: interrupt\n          code: gone\n"
        "      transitions:\n        t1: [{to: i1}]\n",
        "app.graphs[0].activities.i1.code",
        10,
        "interrupt 'code' is 'gone': give a whole number from 1",
    ),
    (
        "bad-gate",
        "      activities:\n        t1: {type: trigger}\n        a: {type: hook}\n"
        "      transitions:\n        t1:\n          - to: a\n"
        "            conditions: {gate: any}\n",
        "app.graphs[0].transitions.t1[0].conditions.gate",
        12,
        "'gate' must be 'and' or 'or'",
    ),
    (
        "missing-subscribes",
        "      activities:\n        t1: {type: trigger}\n",
        "app.graphs[0].subscribes",
        5,
        "missing 'subscribes'",
    ),
]


@pytest.mark.parametrize(
    ("body", "path", "line", "message"),
    [case[1:] for case in GRAPH_CASES],
    ids=[case[0] for case in GRAPH_CASES],
)
def test_graph_problem_located(body: str, path: str, line: int, message: str) -> None:
    text = GRAPH_HEAD.strip() + "\n" + body
    if path == "app.graphs[0].subscribes":
        text = text.replace("- subscribes: check.test", "- publishes: done")

    problems = problems_of(text)

    assert [(p.path, p.line) for p in problems] == [(path, line)]
    assert message in problems[0].message


def test_valid_mapping_roots_accepted() -> None:
    model = load_model(
        inline("""
        app:
          id: roots
          version: '1'
          graphs:
            - subscribes: roots.test
              expire: '{$job.data.keep}'
              activities:
                t1:
                  type: trigger
                  job:
                    maps:
                      a: '{$self.output.data.a}'
                      b: '{$job.metadata.jid}'
                      c: '{$app.id}'
                      d: '{$graph.topic}'
                      e: '{$item.name}'
                      f: '{t1.output.data.f}'
                      g: 'plain {not a mapping'
                h1:
                  type: hook
              transitions:
                t1: [{to: h1}]
              hooks:
                resume:
                  - to: h1
                    conditions:
                      match:
                        - {expected: '{t1.output.data.id}', actual: '{$hook.data.id}'}
        """)
    )

    assert model.graphs[0].expire == "{$job.data.keep}"
    assert model.activity("h1").hook_topic == "resume"


def test_mapping_checker_roots() -> None:
    checker = MappingChecker({"a1"}, function_exists=lambda domain, name: True)

    for text in (
        "{a1.output.data.x}",
        "{$self.output.data}",
        "{$job.metadata.jid}",
        "{$app.id}",
        "{$graph.x}",
        "{$input}",
        "{$output}",
        "{$item.full_name}",
        "{$key}",
        "{$index}",
        "{@date.now}",
        "literal",
        "{not closed",
    ):
        assert checker.check_expression(text) is None, text
    assert checker.check_expression("{$hook.data.id}") is not None
    assert checker.check_expression("{$hook.data.id}", in_hook=True) is None
    assert checker.check_expression("{zz.output}") is not None
    assert checker.check_expression("{@nodot}") is not None


def test_mapping_checker_unknown_function() -> None:
    checker = MappingChecker(
        {"a1"}, function_exists=lambda domain, name: (domain, name) == ("math", "add")
    )

    assert checker.check_expression("{@math.add}") is None
    message = checker.check_expression("{@math.nope}")
    assert (
        message
        == "unknown function '{@math.nope}': no @pipe function 'math.nope' exists"
    )


def test_unknown_function_via_load() -> None:
    problems = problems_of(
        inline("""
        app:
          id: funcs
          version: '1'
          graphs:
            - subscribes: funcs.test
              activities:
                t1:
                  type: trigger
                  job:
                    maps:
                      x: '{@math.no_such_function}'
        """)
    )

    assert [(p.path, p.line) for p in problems] == [
        ("app.graphs[0].activities.t1.job.maps.x", 11)
    ]
    assert "unknown function" in problems[0].message


@pytest.mark.parametrize(
    ("app_lines", "path", "message"),
    [
        ("  version: '1'\n", "app.id", "missing 'id'"),
        ("  id: x\n", "app.version", "missing 'version'"),
        ("  id: x\n  version: '1'\n  graphs: []\n", "app.graphs", "non-empty list"),
        ("  id: x\n  version: '1'\n", "app.graphs", "missing 'graphs'"),
        ("  id: 123\n  version: '1'\n", "app.id", "id must be a string"),
        ("  id: my_app\n  version: '1'\n", "app.id", "letters, digits and '-'"),
        ("  id: x\n  version: 1.10\n", "app.version", "version: '1.1'"),
    ],
    ids=[
        "no-id",
        "no-version",
        "empty-graphs",
        "no-graphs",
        "numeric-id",
        "bad-id",
        "float-version",
    ],
)
def test_app_field_problems(app_lines: str, path: str, message: str) -> None:
    graphs = "  graphs:\n    - subscribes: s\n      activities: {t1: {type: trigger}}\n"
    if "graphs" in path:
        graphs = ""
    problems = problems_of("app:\n" + app_lines + graphs)

    assert [p.path for p in problems] == [path]
    assert message in problems[0].message


def test_missing_app_key() -> None:
    problems = problems_of("app:\n")

    assert [p.path for p in problems] == ["app"]


def test_duplicate_graph_topic() -> None:
    problems = problems_of(
        inline("""
        app:
          id: twice
          version: '1'
          graphs:
            - subscribes: same
              activities: {t1: {type: trigger}}
            - subscribes: same
              activities: {t2: {type: trigger}}
        """)
    )

    assert [(p.path, p.line) for p in problems] == [("app.graphs[1].subscribes", 7)]
    assert problems[0].message == "topic 'same' is already subscribed by app.graphs[0]"


def test_yaml_merge_key_and_duplicate() -> None:
    text = inline("""
        app:
          id: merge
          version: '1'
          settings:
            base: &base {type: hook, title: base}
          graphs:
            - subscribes: merge.test
              activities:
                t1: {type: trigger}
                h1:
                  <<: *base
                  title: own
              transitions:
                t1: [{to: h1}]
        """)

    model = load_model(text)
    assert model.activity("h1").definition == {"type": "hook", "title": "own"}

    duplicated = text.replace("title: own\n", "title: own\n          title: again\n")
    problems = problems_of(duplicated)
    assert [(p.path, p.line) for p in problems] == [
        ("app.graphs[0].activities.h1.title", 13)
    ]


def test_recursive_alias_reported() -> None:
    problems = problems_of(
        inline("""
        app:
          id: alias
          version: '1'
          settings: &loop
            self: *loop
          graphs:
            - subscribes: alias.test
              activities: {t1: {type: trigger}}
        """)
    )

    assert [(p.path, p.line) for p in problems] == [("app.settings.self", 5)]
    assert "recursive YAML alias" in problems[0].message


def test_ref_into_root_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        "graphs/g.yaml",
        """
        subscribes: back.test
        activities:
          t1:
            type: trigger
            job: {$ref: '../hotmesh.yaml#/app/settings/job'}
        """,
    )
    root = write(
        tmp_path,
        "hotmesh.yaml",
        """
        app:
          id: back
          version: '1'
          settings:
            job: {maps: {x: 1}}
          graphs:
            - $ref: ./graphs/g.yaml
        """,
    )

    assert load_model(root).activity("t1").job_maps == {"x": 1}


def test_unprintable_character_located() -> None:
    problems = problems_of("app:\n  id: a\x7fb\n")

    assert [(p.file, p.line) for p in problems] == [("", 2)]
    assert problems[0].message == (
        "invalid YAML: character U+007F at column 8 is not allowed; remove it, "
        'or write it as the escape "\\x7f" in a double-quoted string'
    )


def test_non_string_activity_type() -> None:
    problems = problems_of(MINIMAL.replace("type: trigger", "type: [trigger]"))

    paths = [p.path for p in problems]
    assert paths[0] == "app.graphs[0].activities.t1.type"
    assert problems[0].message.startswith(
        "the activity type must be a string, not ['trigger']; valid types:"
    )


def laughs(levels: int, ref: bool = False) -> str:
    """Return a model whose x{levels} expands to 9**(levels + 1) scalars."""
    lines = ["app:", "  id: laughs", "  version: '1'"]
    lines.append("  x0: &a0 [" + ", ".join(["lol"] * 9) + "]")
    for level in range(1, levels + 1):
        item = f"{{$ref: '#/app/x{level - 1}'}}" if ref else f"*a{level - 1}"
        lines.append(f"  x{level}: &a{level} [" + ", ".join([item] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_expansion_limit() -> None:
    problems = problems_of(laughs(8))

    assert [(p.path, p.line) for p in problems] == [("", 8)]
    assert problems[0].message.startswith(
        "YAML aliases add more than 100000 nodes to the model"
    )


def test_ref_expansion_limit() -> None:
    problems = problems_of(laughs(8, ref=True))

    assert len(problems) == 1
    assert problems[0].path.startswith("app.x")
    assert problems[0].message.startswith(
        "$refs add more than 100000 nodes to the model"
    )


def test_small_alias_expansion_loads() -> None:
    anchors = laughs(3).splitlines()[3:]
    text = inline(MINIMAL) + "  settings:\n" + "".join(f"  {x}\n" for x in anchors)

    settings = load_model(text).settings

    assert len(settings["x3"]) == 9
    assert settings["x3"][8][8][8] == ["lol"] * 9


def nested(levels: int) -> str:
    """Return a flow YAML list whose innermost list is ``levels`` levels down."""
    return "[" * (levels + 1) + "]" * (levels + 1)


def test_nesting_limit_allowed() -> None:
    # The list at app.settings.x is 3 levels below the root, so its
    # innermost list is 100 levels below.
    model = load_model(inline(MINIMAL) + f"  settings: {{x: {nested(97)}}}\n")

    assert model.settings["x"] == json.loads(nested(97))


def test_nesting_beyond_limit_rejected() -> None:
    problems = problems_of(inline(MINIMAL) + f"  settings: {{x: {nested(98)}}}\n")

    assert [(p.path, p.line) for p in problems] == [("", 9)]
    assert problems[0].message == (
        "the model is nested more than 100 levels deep; "
        "flatten the mappings and lists here"
    )


@pytest.mark.parametrize(
    ("anchor", "reference", "message"),
    [
        ("&a0 ", "*a0", "YAML aliases nest the model more than 100 levels deep"),
        ("", "{$ref: '#/app/a0'}", "$refs nest the model more than 100 levels deep"),
    ],
    ids=["alias", "ref"],
)
def test_nesting_by_reference_rejected(
    anchor: str, reference: str, message: str
) -> None:
    # Neither list is 100 levels deep, but a1 nests a0 50 levels down.
    text = inline(MINIMAL) + f"  a0: {anchor}{nested(60)}\n"
    text += "  a1: " + "[" * 50 + reference + "]" * 50 + "\n"
    problems = problems_of(text)

    assert [p.line for p in problems] == [9]
    assert problems[0].message.startswith(message)


def test_nul_in_model_path() -> None:
    problems = problems_of("model\x00.yaml")

    assert [p.file for p in problems] == ["model\\x00.yaml"]
    assert problems[0].message.startswith(
        "model file cannot be opened: a file path cannot contain a NUL character"
    )


def test_nul_in_ref_path(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        "hotmesh.yaml",
        """
        app:
          id: nul
          version: '1'
          graphs:
            - $ref: ./g%00.yaml
        """,
    )
    problems = problems_of(root)

    assert [p.path for p in problems] == ["app.graphs[0].$ref"]
    assert "a file path cannot contain a NUL character" in problems[0].message
