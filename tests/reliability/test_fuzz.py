"""Generated hostile input: every failure is a typed HotMesh error.

Hypothesis feeds the YAML model compiler, the ``@pipe`` evaluator, the
duration parser and the stream message decoder with mutated and random
input. Each call must return a value or raise a
:class:`~hotmesh.errors.HotMeshError` with a message, within the
example deadline. Inputs that random generation rarely reaches, such
as deep nesting, alias bombs and huge integers, have a test of their
own below.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotmesh.durable.durations import to_seconds
from hotmesh.engine.messages import Message
from hotmesh.engine.model import AppModel, load_model
from hotmesh.engine.pipe import evaluate_pipe
from hotmesh.engine.pipe.functions import DOMAINS
from hotmesh.errors import HotMeshError

pytestmark = pytest.mark.timeout(300)

FUZZ = settings(
    max_examples=300,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow],
)
"""Examples per property. An example that runs 5 s counts as a hang."""


def outcome(call: Callable[[], Any]) -> Any:
    """Return what ``call`` returns, or the HotMeshError it raises.

    Any other exception fails the test, with the input in the report.
    """
    try:
        return call()
    except HotMeshError as error:
        assert str(error), f"{type(error).__name__} has no message"
        return error


# -- values -----------------------------------------------------------------

SPECIAL_FLOATS = [0.0, -0.0, 0.5, 1e308, -1e308, 5e-324, 2.0**53, math.pi]
WORDS = ["", " ", "a", "x.y", "{", "}", "{}", "{a}", "{@", "{@x.y}", "$", "*"]
WORDS += ["{t1.output.data.x}", "{$self.output.data}", "{@math.add}", "é", "\x00"]
WORDS += ["{$item}", "{$key}", "{$index}", "{$input}", "{$output}", "@pipe"]

# Numbers from 10**7 up to 2**29 - 24, JavaScript's maximum string length,
# make pipe functions such as string.repeat build strings of up to 512 MB,
# which the evaluator allows as JavaScript does. So generated numbers stay
# within 10**6, and SPECIAL_FLOATS adds some past that maximum.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.sampled_from(SPECIAL_FLOATS),
    st.floats(min_value=-1e6, max_value=1e6),
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.sampled_from(WORDS),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


# -- the YAML model compiler ------------------------------------------------

SEED_MODEL: dict[str, Any] = {
    "app": {
        "id": "fuzz",
        "version": "1",
        "graphs": [
            {
                "subscribes": "fuzz.start",
                "publishes": "fuzz.done",
                "expire": 60,
                "activities": {
                    "t1": {
                        "type": "trigger",
                        "stats": {"id": "{$self.input.data.id}", "key": "k"},
                    },
                    "w1": {
                        "type": "worker",
                        "topic": "fuzz.work",
                        "input": {"maps": {"x": "{t1.output.data.x}"}},
                        "output": {"maps": {"y": "{$self.output.data.y}"}},
                        "job": {
                            "maps": {
                                "sum": {
                                    "@pipe": [
                                        ["{w1.output.data.y}", 1],
                                        ["{@math.add}"],
                                    ]
                                }
                            }
                        },
                    },
                    "s1": {"type": "hook", "sleep": 1},
                    "h1": {"type": "hook", "hook": {"type": "object"}},
                    "c1": {"type": "cycle", "ancestor": "s1"},
                    "a1": {"type": "await", "topic": "fuzz.child"},
                    "g1": {
                        "type": "signal",
                        "subtype": "one",
                        "topic": "fuzz.hook",
                        "signal": {"maps": {"id": "{$job.metadata.jid}"}},
                    },
                    "i1": {"type": "interrupt"},
                },
                "transitions": {
                    "t1": [{"to": "w1"}, {"to": "h1"}],
                    "w1": [
                        {"to": "s1", "conditions": {"code": [200, "5**"]}},
                        {
                            "to": "g1",
                            "conditions": {
                                "match": [
                                    {"expected": True, "actual": "{w1.output.data.y}"}
                                ]
                            },
                        },
                    ],
                    "s1": [{"to": "c1"}, {"to": "a1"}, {"to": "i1"}],
                },
                "hooks": {
                    "fuzz.hook": [
                        {
                            "to": "h1",
                            "conditions": {
                                "match": [
                                    {
                                        "expected": "{t1.output.data.id}",
                                        "actual": "{$self.hook.data.id}",
                                    }
                                ]
                            },
                        }
                    ]
                },
            },
            {
                "subscribes": "fuzz.child",
                "activities": {"c0": {"type": "trigger"}},
            },
        ],
    }
}


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Return the path of every value inside a document, the root excluded."""
    found: list[tuple[Any, ...]] = []
    children: list[tuple[Any, Any]] = []
    if isinstance(node, dict):
        children = list(node.items())
    elif isinstance(node, list):
        children = list(enumerate(node))
    for key, child in children:
        path = (*prefix, key)
        found.append(path)
        found.extend(_paths(child, path))
    return found


@st.composite
def mutated_models(draw: st.DrawFn) -> str:
    """Return the seed model as YAML text after a few random changes."""
    document = copy.deepcopy(SEED_MODEL)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        paths = _paths(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        operation = draw(st.sampled_from(["replace", "delete", "rename", "add"]))
        if operation == "replace":
            parent[key] = draw(json_values)
        elif operation == "delete":
            del parent[key]
        elif isinstance(parent, dict) and operation == "rename":
            parent[draw(st.sampled_from(WORDS) | st.text(max_size=8))] = parent.pop(key)
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(json_values)
        else:
            parent.append(draw(json_values))
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    # Only text that starts with "app:" is inline YAML. Keep every example
    # inline, as a path would make load_model read files instead.
    return text if text.startswith("app:") else f"app:\n{text}"


# The last characters are ones YAML does not allow: NUL, a C0 control, DEL
# and a C1 control.
YAML_CHARACTERS = "app:idverson1{}[]-,&*!|>'\"#%@`? \n\t$.é\x00\x01\x7f\x9f"

raw_models = st.text(alphabet=YAML_CHARACTERS, max_size=200).map(
    lambda text: f"app:{text}"
)


@FUZZ
@given(text=mutated_models() | raw_models)
def test_model_compiler_raises_typed_errors(text: str) -> None:
    result = outcome(lambda: load_model(text))

    assert isinstance(result, AppModel | HotMeshError)


def test_unprintable_model_text_is_typed() -> None:
    assert isinstance(outcome(lambda: load_model("app:\x7f")), HotMeshError)


def test_unhashable_activity_type_is_typed() -> None:
    text = "\n".join(
        [
            "app:",
            "  id: fuzz",
            "  version: '1'",
            "  graphs:",
            "    - subscribes: fuzz.start",
            "      activities:",
            "        t1:",
            "          type: []",
        ]
    )

    assert isinstance(outcome(lambda: load_model(text)), HotMeshError)


@pytest.mark.timeout(5)
def test_yaml_alias_expansion_rejected() -> None:
    lines = ["app:", "  id: laughs", "  version: '1'"]
    lines.append("  x0: &a0 [" + ", ".join(["lol"] * 9) + "]")
    for level in range(1, 7):
        aliases = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"  x{level}: &a{level} [{aliases}]")

    result = outcome(lambda: load_model("\n".join(lines)))

    assert isinstance(result, HotMeshError)


def test_deep_model_is_typed() -> None:
    text = "app:\n  id: deep\n  version: '1'\n  x: " + "[" * 500 + "]" * 500

    assert isinstance(outcome(lambda: load_model(text)), HotMeshError)


def test_nul_in_model_path_is_typed() -> None:
    assert isinstance(outcome(lambda: load_model("model\x00.yaml")), HotMeshError)


# -- the @pipe evaluator ------------------------------------------------------

FUNCTIONS = sorted(
    f"{{@{domain}.{name}}}" for domain in DOMAINS for name in DOMAINS[domain]
)

CONTEXT: dict[str, Any] = {
    "t1": {"output": {"data": {"x": 3, "s": "text", "list": [1, "a", None]}}},
    "a": {"b": {"c": [1, 2, 3]}},
}
CONTEXT["$job"] = CONTEXT
CONTEXT["$self"] = CONTEXT["t1"]

PATHS = ["{t1.output.data.x}", "{t1.output.data.s}", "{t1.output.data.list}"]
PATHS += ["{a.b.c}", "{a.b.c.1}", "{a.missing}", "{$self.output}", "{$job.a}"]

cells = st.one_of(
    scalars,
    st.sampled_from(FUNCTIONS),
    st.sampled_from(PATHS),
    st.lists(scalars, max_size=4),
    st.dictionaries(st.sampled_from(["a", "b", "@pipe"]), scalars, max_size=2),
)


def _pipes(rows: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    nested = st.fixed_dictionaries({"@pipe": st.lists(rows, max_size=4)})
    reduced = st.fixed_dictionaries({"@reduce": st.lists(rows, max_size=3)})
    return nested | reduced | st.lists(cells | nested, max_size=4)


rows = st.recursive(st.lists(cells, max_size=4), _pipes, max_leaves=12)
pipes = st.lists(rows, max_size=6)


@FUZZ
@given(rows=pipes)
def test_pipe_evaluator_raises_typed_errors(rows: list[Any]) -> None:
    outcome(lambda: evaluate_pipe(rows, CONTEXT))


@given(function=st.sampled_from(FUNCTIONS), arguments=st.lists(cells, max_size=4))
@FUZZ
def test_pipe_functions_raise_typed_errors(function: str, arguments: list[Any]) -> None:
    outcome(lambda: evaluate_pipe([arguments, [function]], CONTEXT))


def test_deep_pipe_is_typed() -> None:
    pipe: dict[str, Any] = {"@pipe": [["x"]]}
    for _ in range(300):
        pipe = {"@pipe": [pipe]}

    assert isinstance(outcome(lambda: evaluate_pipe(pipe, CONTEXT)), HotMeshError)


# -- durations ------------------------------------------------------------------

DURATION_CHARACTERS = "0123456789. -+eE_smhdwoyrinecsSMH"

durations = st.one_of(
    scalars,
    st.floats(),
    # The range passes 1.8e308, the largest float.
    st.integers(min_value=-(10**400), max_value=10**400),
    st.timedeltas(),
    st.text(alphabet=DURATION_CHARACTERS, max_size=30),
    st.builds(
        lambda number, unit: f"{number}{unit}",
        st.floats(min_value=0, allow_nan=False) | st.integers(min_value=0),
        st.sampled_from(["ms", " s", "m", " hours", "d", "w", "mo", " years", "x"]),
    ),
    st.lists(scalars, max_size=2),
)


@FUZZ
@given(value=durations)
def test_duration_parser_raises_typed_errors(value: Any) -> None:
    result = outcome(lambda: to_seconds(value))

    if not isinstance(result, HotMeshError):
        assert isinstance(result, float)
        assert math.isfinite(result)
        assert result >= 0


def test_huge_integer_duration_is_typed() -> None:
    assert isinstance(outcome(lambda: to_seconds(10**400)), HotMeshError)


# -- the stream message decoder -------------------------------------------------

TYPES = ["transition", "request", "response", "await", "result", "webhook"]
TYPES += ["timehook", "cycle", "finish", "emit", "hookall", "unknown", ""]

# Infinite codes fail the decoder: see test_infinite_code_is_typed.
finite_scalars = scalars.filter(
    lambda value: not (isinstance(value, float) and math.isinf(value))
)

message_bodies = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(TYPES) | finite_scalars,
        "metadata": st.dictionaries(st.text(max_size=5), finite_scalars) | scalars,
        "data": st.dictionaries(st.text(max_size=5), json_values) | finite_scalars,
        "status": st.sampled_from(["success", "pending", "error"]) | finite_scalars,
        "code": finite_scalars,
        "policies": json_values,
    },
)


@FUZZ
@given(
    text=message_bodies.map(json.dumps)
    | st.text(max_size=80)
    | st.sampled_from(["", "null", "[]", "{}", "{", '"x"', "NaN", "1e999"])
)
def test_message_decoder_raises_typed_errors(text: str) -> None:
    result = outcome(lambda: Message.from_json(text))

    assert isinstance(result, Message | HotMeshError)


@pytest.mark.parametrize("code", ["1e400", "Infinity", "-Infinity"])
def test_infinite_code_is_typed(code: str) -> None:
    text = f'{{"type": "transition", "metadata": {{}}, "code": {code}}}'

    assert isinstance(outcome(lambda: Message.from_json(text)), HotMeshError)


def test_deep_message_is_typed() -> None:
    text = '{"type": "transition", "metadata": {}, "data": ' + "[" * 5000
    text += "]" * 5000 + "}"

    assert isinstance(outcome(lambda: Message.from_json(text)), HotMeshError)
