"""Tests for mapping expressions, the @pipe language and its functions."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

import pytest

import hotmesh.engine.pipe as pipe_api
from hotmesh.engine.pipe import (
    UNDEFINED,
    evaluate_pipe,
    function_exists,
    json_stringify,
    loose_equals,
    number_to_string,
    parse_function_ref,
    resolve,
    strict_equals,
    to_number,
    truthy,
)
from hotmesh.engine.pipe.functions import DOMAINS, arity, call_function
from hotmesh.errors import PipeError

NAN = math.nan
INF = math.inf

JULY_15 = "2024-07-15T12:30:45.123Z"
JULY_15_MS = 1721046645123


def run(rows: list[Any], context: dict[str, Any] | None = None) -> Any:
    """Evaluate a pipe given as rows against ``context``."""
    return evaluate_pipe(rows, context or {})


def call(reference: str, *args: Any) -> Any:
    """Call ``{@domain.name}`` with positional arguments."""
    parsed = parse_function_ref(reference)
    assert parsed is not None
    return call_function(parsed[0], parsed[1], list(args))


def same_number(actual: Any, expected: float) -> bool:
    """Compare numbers with NaN equal to NaN."""
    if math.isnan(expected):
        return isinstance(actual, float) and math.isnan(actual)
    return bool(actual == expected)


@pytest.fixture
def context() -> dict[str, Any]:
    """Build a job context with the aliases the engine sets."""
    a1 = {
        "input": {"data": {"x": "in"}},
        "output": {
            "data": {
                "y": "hello",
                "items": ["zero", "one", "two"],
                "nested": {"deep": {"value": 42}},
                "codes": {422: "unprocessable"},
                "nothing": None,
            },
            "metadata": {"aid": "a1", "dad": ",0,0"},
        },
        "hook": {"data": {"signal": "go"}},
    }
    root: dict[str, Any] = {
        "metadata": {"jid": "job-1", "aid": "t1"},
        "data": {"x": 7, "name": "Luke Birdeau"},
        "a1": a1,
    }
    root["$self"] = a1
    root["$job"] = root
    return root


def test_public_api_exports() -> None:
    assert sorted(pipe_api.__all__) == pipe_api.__all__
    for name in ("resolve", "evaluate_pipe", "function_exists", "UNDEFINED"):
        assert name in pipe_api.__all__
    assert "parse_function_ref" in pipe_api.__all__


# Upstream pipe unit cases, one test per case.


def test_date_now_between_clock_reads() -> None:
    before = int(datetime.now(UTC).timestamp() * 1000)
    now = resolve("{@date.now}", {})
    after = int(datetime.now(UTC).timestamp() * 1000)
    assert isinstance(now, int)
    assert before - 1 <= now <= after + 1


def test_date_now_to_locale_string() -> None:
    text = run([["{@date.now}", "en-US"], ["{@date.toLocaleString}"]])
    parts = text.split("/")
    assert parts[0].isdigit()
    assert parts[1].isdigit()
    assert not parts[2].isdigit()
    assert re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}, \d{1,2}:\d{2}:\d{2} [AP]M", text)


def test_array_join_names() -> None:
    assert run([[["Luke", "Birdeau"], " "], ["{@array.join}"]]) == "Luke Birdeau"


def test_number_is_even_and_odd() -> None:
    assert run([[42], ["{@number.isEven}"]]) is True
    assert run([[55], ["{@number.isOdd}"]]) is True


def test_string_concat_split_char_at() -> None:
    assert run([["Luke", "Birdeau"], ["{@string.concat}"]]) == "LukeBirdeau"
    assert run([["Luke Birdeau", " "], ["{@string.split}"]]) == ["Luke", "Birdeau"]
    assert run([["Luke", 0], ["{@string.charAt}"]]) == "L"
    assert run([["Luke Birdeau", "Bird"], ["{@string.includes}"]]) is True
    assert run([["Luke Birdeau", "Bird"], ["{@string.indexOf}"]]) == 5


def test_string_last_index_slice_ends() -> None:
    assert run([["Luke Birdeau", "B"], ["{@string.lastIndexOf}"]]) == 5
    assert run([["Luke Birdeau", 0, 4], ["{@string.slice}"]]) == "Luke"
    assert run([["Luke Birdeau", "Bird"], ["{@string.startsWith}"]]) is False
    assert run([["Luke Birdeau", "deau"], ["{@string.endsWith}"]]) is True


def test_string_substring_and_trims() -> None:
    padded = "  Luke Birdeau  "
    assert run([[padded, 2, 6], ["{@string.substring}"]]) == "Luke"
    assert run([[padded], ["{@string.trim}"]]) == "Luke Birdeau"
    assert run([[padded], ["{@string.trimStart}"]]) == "Luke Birdeau  "
    assert run([[padded], ["{@string.trimEnd}"]]) == "  Luke Birdeau"


def test_string_pad_repeat_upper() -> None:
    assert run([["Luke", 8, "-"], ["{@string.padStart}"]]) == "----Luke"
    assert run([["Luke", 8, "-"], ["{@string.padEnd}"]]) == "Luke----"
    assert run([["Luke", 3], ["{@string.repeat}"]]) == "LukeLukeLuke"
    assert run([["Luke"], ["{@string.toUpperCase}"]]) == "LUKE"


def test_string_lower_and_trims() -> None:
    assert run([["LUKE"], ["{@string.toLowerCase}"]]) == "luke"
    assert run([["  Luke  "], ["{@string.trim}"]]) == "Luke"
    assert run([["  Luke  "], ["{@string.trimStart}"]]) == "Luke  "
    assert run([["  Luke  "], ["{@string.trimEnd}"]]) == "  Luke"


def test_math_abs_acos_acosh_tanh_trunc() -> None:
    assert run([[-42], ["{@math.abs}"]]) == 42
    assert run([[0.5], ["{@math.acos}"]]) == pytest.approx(math.acos(0.5))
    assert run([[2], ["{@math.acosh}"]]) == pytest.approx(math.acosh(2))
    assert run([[1], ["{@math.tanh}"]]) == pytest.approx(math.tanh(1))
    assert run([[36], ["{@math.trunc}"]]) == 36


def test_math_atan2() -> None:
    assert run([[1, 1], ["{@math.atan2}"]]) == pytest.approx(math.pi / 4)


def test_math_hypot() -> None:
    assert run([[3, 4], ["{@math.hypot}"]]) == 5


def test_math_max() -> None:
    assert run([[5, 7, 3], ["{@math.max}"]]) == 7


def test_chained_split_then_get() -> None:
    rows = [["Luke Birdeau", " "], ["{@string.split}", 0], ["{@array.get}"]]
    assert run(rows) == "Luke"


def test_chained_json_parse_then_join() -> None:
    rows = [['["ke","bab","case"]'], ["{@json.parse}", "-"], ["{@array.join}"]]
    assert run(rows) == "ke-bab-case"


def test_nested_pipes_build_marker() -> None:
    context = {"w": {"output": {"data": {"dimension": ",0,0,1", "index": 13}}}}
    rows = [
        {
            "@pipe": [
                [
                    "-sleep",
                    "{w.output.data.dimension}",
                    "-",
                    "{w.output.data.index}",
                    "-",
                ],
                ["{@string.concat}"],
            ]
        },
        {"@pipe": [[1000]]},
        ["{@object.create}"],
    ]
    assert run(rows, context) == {"-sleep,0,0,1-13-": 1000}


def test_reduce_array_of_names() -> None:
    context = {
        "a": {
            "output": {
                "data": {
                    "people": [{"full_name": "Luke Birdeau"}, {"full_name": "John Doe"}]
                }
            }
        }
    }
    name_part = [["{$item.full_name}", " "], ["{@string.split}", 0], ["{@array.get}"]]
    last_part = [["{$item.full_name}", " "], ["{@string.split}", 1], ["{@array.get}"]]
    rows = [
        ["{a.output.data.people}", []],
        {
            "@reduce": [
                {"@pipe": [["{$output}"]]},
                {
                    "@pipe": [
                        {"@pipe": [["first"]]},
                        {"@pipe": name_part},
                        {"@pipe": [["last"]]},
                        {"@pipe": last_part},
                        ["{@object.create}"],
                    ]
                },
                ["{@array.push}"],
            ]
        },
    ]
    assert run(rows, context) == [
        {"first": "Luke", "last": "Birdeau"},
        {"first": "John", "last": "Doe"},
    ]


def test_reduce_object_into_markers() -> None:
    context = {
        "a": {
            "output": {
                "data": {
                    "steps": {
                        "wait": {"dimension": ",0,0,1", "signal": "ready"},
                        "sleep": {"dimension": ",0,0,1", "duration": 60},
                    }
                }
            }
        }
    }
    marker = {
        "@pipe": [
            {"@pipe": [["-"]]},
            {"@pipe": [["{$key}"]]},
            {"@pipe": [["{$item.dimension}"]]},
            {"@pipe": [["-"]]},
            {"@pipe": [["{$index}", 5], ["{@math.add}"]]},
            {"@pipe": [["-"]]},
            ["{@string.concat}"],
        ]
    }
    rows = [
        ["{a.output.data.steps}", {}],
        {
            "@reduce": [
                {"@pipe": [["{$output}"]]},
                marker,
                {"@pipe": [["{$item}"]]},
                ["{@object.set}"],
            ]
        },
    ]
    assert run(rows, context) == {
        "-wait,0,0,1-5-": {"dimension": ",0,0,1", "signal": "ready"},
        "-sleep,0,0,1-6-": {"dimension": ",0,0,1", "duration": 60},
    }


# Cell resolution and lookups.


def test_resolve_literals_unchanged() -> None:
    assert resolve(5, {}) == 5
    assert resolve("hello", {}) == "hello"
    assert resolve(None, {}) is None
    assert resolve(True, {}) is True
    assert resolve([1, 2], {}) == [1, 2]
    assert resolve("{not closed", {}) == "{not closed"
    assert resolve("x}", {}) == "x}"


def test_resolve_paths(context: dict[str, Any]) -> None:
    assert resolve("{$job.data.x}", context) == 7
    assert resolve("{a1.output.data.y}", context) == "hello"
    assert resolve("{$self.output.data.y}", context) == "hello"
    assert resolve("{$self.hook.data.signal}", context) == "go"
    assert resolve("{a1.output.metadata.dad}", context) == ",0,0"
    assert resolve("{a1.output.data.nested.deep.value}", context) == 42
    assert resolve("{metadata.jid}", context) == "job-1"


def test_resolve_list_indexes(context: dict[str, Any]) -> None:
    assert resolve("{a1.output.data.items.1}", context) == "one"
    assert resolve("{a1.output.data.items.length}", context) == 3
    assert resolve("{a1.output.data.items.3}", context) is UNDEFINED
    assert resolve("{a1.output.data.items.01}", context) is UNDEFINED
    assert resolve("{a1.output.data.items.-1}", context) is UNDEFINED


def test_resolve_missing_is_undefined(context: dict[str, Any]) -> None:
    assert resolve("{a2.output.data.y}", context) is UNDEFINED
    assert resolve("{a1.output.data.y.length}", context) is UNDEFINED
    assert resolve("{a1.output.data.nothing.x}", context) is UNDEFINED
    assert resolve("{a1.output.data.nothing}", context) is None
    assert resolve("{}", context) is UNDEFINED
    assert resolve("{$app.id}", context) is UNDEFINED


def test_resolve_int_keys_match_digits(context: dict[str, Any]) -> None:
    assert resolve("{a1.output.data.codes.422}", context) == "unprocessable"


def test_resolve_reads_no_attributes() -> None:
    context = {"text": "abc", "number": 5}
    assert resolve("{text.upper}", context) is UNDEFINED
    assert resolve("{text.__class__}", context) is UNDEFINED
    assert resolve("{number.real}", context) is UNDEFINED
    assert resolve("{__class__}", context) is UNDEFINED


def test_resolve_function_cell() -> None:
    assert resolve("{@symbol.whitespace}", {}) == " "
    assert resolve("{@symbol.null}", {}) is None
    assert resolve("{@symbol.undefined}", {}) is UNDEFINED


def test_resolve_reduce_variables() -> None:
    variables = {"$item": {"full_name": "Luke"}, "$index": 2, "$key": "2"}
    assert resolve("{$item.full_name}", {}, variables) == "Luke"
    assert resolve("{$index}", {}, variables) == 2
    assert resolve("{$key}", {}, variables) == "2"
    assert resolve("{$output}", {}, variables) is UNDEFINED
    assert resolve("{$item}", {}) is UNDEFINED


def test_resolve_pipe_object(context: dict[str, Any]) -> None:
    value = {"@pipe": [["{$job.data.x}", 3], ["{@math.multiply}"]]}
    assert resolve(value, context) == 21


def test_parse_function_ref_forms() -> None:
    assert parse_function_ref("{@math.add}") == ("math", "add")
    assert parse_function_ref("{@date.toISOXString}") == ("date", "toISOXString")
    assert parse_function_ref("{@a.b.c}") == ("a", "b.c")
    assert parse_function_ref("{@math}") is None
    assert parse_function_ref("{@.add}") is None
    assert parse_function_ref("{math.add}") is None
    assert parse_function_ref("@math.add") is None
    assert parse_function_ref(5) is None


def test_function_exists_lookup() -> None:
    assert function_exists("math", "add") is True
    assert function_exists("date", "getUTCHours") is True
    assert function_exists("math", "nope") is False
    assert function_exists("nope", "add") is False


def test_every_listed_function_exists() -> None:
    listed = {
        "array": "get length concat indexOf join lastIndexOf pop push reverse "
        "shift slice sort splice unshift",
        "bitwise": "and or xor leftShift rightShift unsignedRightShift",
        "conditional": "ternary equality strict_equality greater_than less_than "
        "greater_than_or_equal less_than_or_equal nullish",
        "date": "now parse fromISOString getDate getDay getFullYear getHours "
        "getMilliseconds getMinutes getMonth getSeconds getTime "
        "getTimezoneOffset getUTCDate getUTCDay getUTCFullYear getUTCHours "
        "getUTCMilliseconds getUTCMinutes getUTCMonth getUTCSeconds "
        "setMilliseconds setMinutes setMonth setSeconds setTime setDate "
        "setFullYear setHours setUTCMilliseconds setUTCMinutes setUTCMonth "
        "setUTCSeconds setUTCDate setUTCFullYear setUTCHours toDateString "
        "toISOString toISOXString toJSON toLocaleDateString toLocaleString "
        "toLocaleTimeString toString UTC valueOf",
        "json": "stringify parse",
        "logical": "and or",
        "math": "add multiply subtract divide abs acos acosh asin asinh atan "
        "atan2 atanh cbrt ceil clz32 cos cosh exp expm1 floor fround hypot "
        "imul log log10 log1p log2 max min pow random round sign sin sinh "
        "sqrt tan tanh trunc",
        "number": "isFinite isEven isOdd isInteger isNaN parseFloat parseInt "
        "toFixed toExponential toPrecision gte lte gt lt max min pow round",
        "object": "get set create keys values entries fromEntries assign "
        "getOwnPropertyNames getOwnPropertySymbols getOwnPropertyDescriptor "
        "defineProperty defineProperties freeze isFrozen seal isSealed "
        "preventExtensions isExtensible hasOwnProperty isPrototypeOf "
        "propertyIsEnumerable",
        "string": "split charAt concat includes indexOf lastIndexOf slice "
        "toLowerCase toUpperCase trim trimStart trimEnd padStart padEnd "
        "replace search substring startsWith endsWith repeat",
        "symbol": "null undefined whitespace object array posInfinity "
        "negInfinity NaN date",
        "unary": "not positive negative bitwise_not",
    }
    assert set(DOMAINS) == set(listed)
    for domain, names in listed.items():
        for name in names.split():
            assert function_exists(domain, name), f"{domain}.{name}"


def test_function_arities() -> None:
    assert arity("math", "add") == (0, None)
    assert arity("math", "atan2") == (2, 2)
    assert arity("array", "get") == (1, 2)
    assert arity("date", "now") == (0, 0)
    assert arity("string", "padStart") == (2, 3)
    assert arity("object", "create") == (0, None)
    for domain, functions in DOMAINS.items():
        for name in functions:
            accepted = arity(domain, name)
            assert accepted.maximum is None or accepted.maximum >= accepted.minimum


# Pipe evaluation rules.


def test_empty_pipe_is_undefined() -> None:
    assert run([]) is UNDEFINED
    assert run([[]]) is UNDEFINED


def test_first_row_only_returns_first_cell() -> None:
    assert run([["a", "b"]]) == "a"


def test_extra_cells_follow_result() -> None:
    rows = [[2, 3], ["{@math.add}", 10], ["{@math.multiply}"]]
    assert run(rows) == 50


def test_evaluate_pipe_accepts_object() -> None:
    assert evaluate_pipe({"@pipe": [[1, 2], ["{@math.add}"]]}, {}) == 3


def test_trailing_nested_pipes_become_row() -> None:
    assert run([{"@pipe": [["a"]]}, {"@pipe": [["b"]]}]) == "a"


def test_nested_pipe_keeps_current_row() -> None:
    rows = [
        [1],
        {"@pipe": [[2]]},
        {"@pipe": [[3]]},
        ["{@math.add}"],
    ]
    assert run(rows) == 5


def test_deeply_nested_pipes() -> None:
    rows = [
        {
            "@pipe": [
                {"@pipe": [[2], ["{@unary.negative}"]]},
                {"@pipe": [[3, 4], ["{@math.multiply}"]]},
                ["{@math.add}"],
            ]
        },
        {"@pipe": [[10]]},
        ["{@math.subtract}"],
    ]
    assert run(rows) == 0


def nest_pipes(levels: int) -> dict[str, Any]:
    """Return a pipe whose innermost ``@pipe`` is ``levels`` rows deep."""
    pipe: dict[str, Any] = {"@pipe": [["x"]]}
    for _ in range(levels):
        pipe = {"@pipe": [pipe]}
    return pipe


def test_pipe_nesting_limit_allowed() -> None:
    assert evaluate_pipe(nest_pipes(100), {}) == "x"


def test_pipe_nesting_beyond_limit_rejected() -> None:
    with pytest.raises(PipeError, match="nest more than 100 levels deep"):
        evaluate_pipe(nest_pipes(101), {})


def test_reduce_nesting_beyond_limit_rejected() -> None:
    # Each step adds two levels: a @reduce row and the @pipe in its body.
    rows: list[Any] = [["x"]]
    for _ in range(51):
        rows = [[[1], 0], {"@reduce": [{"@pipe": rows}]}]

    with pytest.raises(PipeError, match="nest more than 100 levels deep"):
        run(rows)


def test_nullish_chain_with_defaults() -> None:
    rows = [
        ["{w.output.data.max}", "{t.output.data.max}"],
        ["{@conditional.nullish}", 5],
        ["{@conditional.nullish}"],
    ]
    assert run(rows, {}) == 5
    assert run(rows, {"t": {"output": {"data": {"max": 3}}}}) == 3
    assert run(rows, {"w": {"output": {"data": {"max": 0}}}}) == 0


def test_or_of_response_or_new_object() -> None:
    rows = [
        {"@pipe": [["{$self.output.data.response}"]]},
        {
            "@pipe": [
                ["job_id", "{$self.output.data.job_id}"],
                ["{@object.create}", "timestamp", "{$self.output.metadata.au}"],
                ["{@object.set}"],
            ]
        },
        ["{@logical.or}"],
    ]
    node = {"output": {"data": {"job_id": "j1"}, "metadata": {"au": "2024"}}}
    assert run(rows, {"$self": node}) == {"job_id": "j1", "timestamp": "2024"}
    node["output"]["data"]["response"] = {"ok": True}
    assert run(rows, {"$self": node}) == {"ok": True}


def test_row_of_one_context_variable() -> None:
    rows = [["{a.list}", 0], {"@reduce": [["{$index}"]]}]
    assert run(rows, {"a": {"list": ["x", "y", "z"]}}) == 2


def test_reduce_sums_array() -> None:
    rows = [
        [[1, 2, 3, 4], 0],
        {
            "@reduce": [
                {"@pipe": [["{$output}"]]},
                {"@pipe": [["{$item}"]]},
                ["{@math.add}"],
            ]
        },
    ]
    assert run(rows) == 10


def test_reduce_exposes_input_and_key() -> None:
    rows = [
        [["a", "b"], ""],
        {
            "@reduce": [
                {"@pipe": [["{$output}"]]},
                {"@pipe": [["{$key}"]]},
                {"@pipe": [["{$input.length}"]]},
                ["{@string.concat}"],
            ]
        },
    ]
    assert run(rows) == "0212"


def test_reduce_without_initial_starts_null() -> None:
    rows = [[["a"]], {"@reduce": [{"@pipe": [["{$output}"]]}, ["{@unary.not}"]]}]
    assert run(rows) is True


def test_reduce_over_nothing_returns_initial() -> None:
    body = {"@reduce": [["{@symbol.null}"]]}
    assert run([["{missing}", 7], body]) == 7
    assert run([[None, "x"], body]) == "x"
    assert run([[[], []], body]) == []


def test_reduce_over_string_characters() -> None:
    rows = [
        ["abc", ""],
        {
            "@reduce": [
                {"@pipe": [["{$item}"]]},
                {"@pipe": [["{$output}"]]},
                ["{@string.concat}"],
            ]
        },
    ]
    assert run(rows) == "cba"


def test_reduce_does_not_change_literals() -> None:
    initial: list[Any] = []
    rows = [
        [[1, 2], initial],
        {
            "@reduce": [
                {"@pipe": [["{$output}"]]},
                {"@pipe": [["{$item}"]]},
                ["{@array.push}"],
            ]
        },
    ]
    assert run(rows) == [1, 2]
    assert initial == []
    assert run(rows) == [1, 2]


def test_nested_reduce_shadows_variables() -> None:
    inner = {
        "@reduce": [
            {"@pipe": [["{$output}"]]},
            {"@pipe": [["{$item}"]]},
            ["{@math.add}"],
        ]
    }
    rows = [
        [[[1, 2], [3, 4]], 0],
        {
            "@reduce": [
                {"@pipe": [["{$output}"]]},
                {"@pipe": [["{$item}", 0], inner]},
                ["{@math.add}"],
            ]
        },
    ]
    assert run(rows) == 10


def test_reduce_needs_prior_row() -> None:
    with pytest.raises(PipeError, match="no row before it"):
        run([{"@reduce": [["{$output}"]]}])


def test_malformed_rows_raise() -> None:
    with pytest.raises(PipeError, match="must be a list of cells"):
        run([[1], "oops"])
    with pytest.raises(PipeError, match="must be a list of rows"):
        evaluate_pipe("oops", {})
    with pytest.raises(PipeError, match="row 1 is empty"):
        run([[1], []])
    with pytest.raises(PipeError, match="expected a function reference"):
        run([[1], [5]])
    with pytest.raises(PipeError, match="invalid function reference"):
        run([[1], ["add"]])


def test_unknown_domain_raises() -> None:
    with pytest.raises(PipeError, match=r"unknown function domain 'nope'"):
        run([[1], ["{@nope.add}"]])


def test_unknown_function_raises() -> None:
    with pytest.raises(PipeError, match=r"unknown function \{@math.nope\}"):
        run([[1], ["{@math.nope}"]])
    with pytest.raises(PipeError, match="unknown function"):
        resolve("{@math.nope}", {})


def test_malformed_reference_cell_raises() -> None:
    with pytest.raises(
        PipeError, match=re.escape("invalid function reference '{@math}'")
    ):
        resolve("{@math}", {})


def test_too_few_arguments_raises() -> None:
    with pytest.raises(
        PipeError, match=re.escape("math.atan2 expects 2 arguments, got 1")
    ):
        run([[1], ["{@math.atan2}"]])
    with pytest.raises(
        PipeError, match=re.escape("string.padStart expects 2 to 3 arguments")
    ):
        run([["x"], ["{@string.padStart}"]])


def test_too_many_arguments_raises() -> None:
    with pytest.raises(
        PipeError, match=re.escape("string.toUpperCase expects 1 argument, got 2")
    ):
        run([["a", "b"], ["{@string.toUpperCase}"]])
    with pytest.raises(
        PipeError, match=re.escape("symbol.null expects 0 arguments, got 1")
    ):
        run([[1], ["{@symbol.null}"]])


def test_bad_argument_types_raise_pipe_error() -> None:
    with pytest.raises(
        PipeError, match=re.escape("string.split: the first argument must be")
    ):
        run([[None, " "], ["{@string.split}"]])
    with pytest.raises(
        PipeError, match=re.escape("array.join: the first argument must be an array")
    ):
        run([[5], ["{@array.join}"]])
    with pytest.raises(
        PipeError, match=re.escape("object.keys: cannot convert undefined")
    ):
        run([["{missing}"], ["{@object.keys}"]])
    with pytest.raises(
        PipeError, match=re.escape("array.get: cannot read property '0' of null")
    ):
        run([[None], ["{@array.get}"]])


def test_odd_arguments_fail_deliberately() -> None:
    odd_values: list[Any] = [
        None,
        UNDEFINED,
        {},
        [],
        "x",
        "",
        -1.5,
        NAN,
        INF,
        True,
        {"a": [1]},
        datetime(2024, 1, 1, tzinfo=UTC),
    ]
    for domain, functions in DOMAINS.items():
        for name in functions:
            accepted = arity(domain, name)
            count = max(accepted.minimum, 1) if accepted.maximum != 0 else 0
            for value in odd_values:
                try:
                    call_function(domain, name, [value] * count)
                except PipeError as exc:
                    cause = exc.__cause__
                    assert cause is None or isinstance(cause, PipeError), (
                        f"{domain}.{name}({value!r}) raised {cause!r}"
                    )


# JavaScript value semantics.


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (5, "5"),
        (5.0, "5"),
        (-1.5, "-1.5"),
        (0.1 + 0.2, "0.30000000000000004"),
        (123.456, "123.456"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (2**53, "9007199254740992"),
        (2**64, "18446744073709552000"),
        (1.5e300, "1.5e+300"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1.234e-7, "1.234e-7"),
        (5e-324, "5e-324"),
        (-0.0, "0"),
        (NAN, "NaN"),
        (INF, "Infinity"),
        (-INF, "-Infinity"),
    ],
)
def test_number_to_string(value: float, text: str) -> None:
    assert number_to_string(value) == text


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        (1, "1", True),
        (None, UNDEFINED, True),
        (0, "", True),
        (0, "0", True),
        ("", "0", False),
        (None, 0, False),
        (UNDEFINED, 0, False),
        (None, False, False),
        (True, 1, True),
        (True, "1", True),
        (False, "", True),
        (NAN, NAN, False),
        (5, 5.0, True),
        ("1.0", 1, True),
        (" 1 ", 1, True),
        ("0x10", 16, True),
        ([1, 2], "1,2", True),
        ({}, "[object Object]", True),
        ("a", "a", True),
        ("a", "b", False),
    ],
)
def test_loose_equality(left: Any, right: Any, expected: bool) -> None:
    assert loose_equals(left, right) is expected
    assert loose_equals(right, left) is expected


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        (1, "1", False),
        (5, 5.0, True),
        (0.0, -0.0, True),
        (NAN, NAN, False),
        (None, UNDEFINED, False),
        (None, None, True),
        (UNDEFINED, UNDEFINED, True),
        (True, 1, False),
        ("a", "a", True),
        ({"a": 1}, {"a": 1}, False),
        ([], [], False),
    ],
)
def test_strict_equality(left: Any, right: Any, expected: bool) -> None:
    assert strict_equals(left, right) is expected


def test_strict_equality_same_object() -> None:
    shared = {"a": 1}
    assert strict_equals(shared, shared) is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", True),
        ("false", True),
        (" ", True),
        ([], True),
        ({}, True),
        (-1, True),
        (0, False),
        (-0.0, False),
        (NAN, False),
        ("", False),
        (None, False),
        (UNDEFINED, False),
        (False, False),
    ],
)
def test_truthiness(value: Any, expected: bool) -> None:
    assert truthy(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", 0),
        (" 12 ", 12),
        ("0x1A", 26),
        ("0b101", 5),
        ("0o17", 15),
        ("1e3", 1000),
        (".5", 0.5),
        ("5.", 5),
        ("+5", 5),
        ("Infinity", INF),
        ("-Infinity", -INF),
        ("abc", NAN),
        ("1_000", NAN),
        ("inf", NAN),
        ("--5", NAN),
        ("-0x10", NAN),
        ("\u0661\u0662", NAN),
        ("\uff11", NAN),
        (None, 0),
        (UNDEFINED, NAN),
        (True, 1),
        ([], 0),
        ([5], 5),
        ([1, 2], NAN),
        ({}, NAN),
    ],
)
def test_to_number(value: Any, expected: float) -> None:
    assert same_number(to_number(value), expected)


def test_undefined_sentinel() -> None:
    assert UNDEFINED is not None
    assert bool(UNDEFINED) is False
    assert repr(UNDEFINED) == "UNDEFINED"


def test_json_stringify_compact() -> None:
    value = {"b": 1, "a": [1, "x", None, True, 2.5], "c": {"d": 5.0}}
    assert json_stringify(value) == '{"b":1,"a":[1,"x",null,true,2.5],"c":{"d":5}}'


def test_json_stringify_special_values() -> None:
    assert json_stringify({"a": UNDEFINED, "b": NAN, "c": INF}) == '{"b":null,"c":null}'
    assert json_stringify([UNDEFINED, -INF]) == "[null,null]"
    assert json_stringify(UNDEFINED) is UNDEFINED
    assert json_stringify(datetime(2024, 7, 15, tzinfo=UTC)) == (
        '"2024-07-15T00:00:00.000Z"'
    )
    assert json_stringify({1: "int key"}) == '{"1":"int key"}'
    assert json_stringify(1e21) == "1e+21"


def test_json_stringify_escapes() -> None:
    assert json_stringify('a"b\\c\n\t\x01') == '"a\\"b\\\\c\\n\\t\\u0001"'
    assert json_stringify("é\u2028") == '"é\u2028"'
    assert json_stringify("\ud800") == '"\\ud800"'


def test_json_stringify_indent_and_replacer() -> None:
    assert run([[{"a": [1]}, None, 2], ["{@json.stringify}"]]) == (
        '{\n  "a": [\n    1\n  ]\n}'
    )
    assert run([[{}, None, 2], ["{@json.stringify}"]]) == "{}"
    assert run([[{"a": 1, "b": 2, "c": 3}, ["c", "a"]], ["{@json.stringify}"]]) == (
        '{"c":3,"a":1}'
    )
    assert run([[[1], None, "--"], ["{@json.stringify}"]]) == "[\n--1\n]"


def test_json_stringify_circular_raises() -> None:
    looped: dict[str, Any] = {}
    looped["self"] = looped
    with pytest.raises(PipeError, match="circular"):
        json_stringify(looped)


def test_json_parse_values() -> None:
    assert call("{@json.parse}", '{"a":[1,2.5,"x",null,true]}') == {
        "a": [1, 2.5, "x", None, True]
    }
    assert call("{@json.parse}", "5") == 5
    assert call("{@json.parse}", 5) == 5
    assert call("{@json.parse}", " [] ") == []


def test_json_parse_rejects_invalid() -> None:
    with pytest.raises(PipeError, match=re.escape("json.parse: invalid JSON text")):
        call("{@json.parse}", "{bad}")
    with pytest.raises(PipeError, match="NaN is not a JSON value"):
        call("{@json.parse}", "NaN")
    with pytest.raises(PipeError, match="invalid JSON"):
        call("{@json.parse}", UNDEFINED)


# Function families.


def test_array_get_and_length() -> None:
    assert call("{@array.get}", ["a", "b"]) == "a"
    assert call("{@array.get}", ["a", "b"], 1) == "b"
    assert call("{@array.get}", ["a", "b"], 1.0) == "b"
    assert call("{@array.get}", ["a", "b"], "1") == "b"
    assert call("{@array.get}", ["a", "b"], 5) is UNDEFINED
    assert call("{@array.get}", ["a", "b"], -1) is UNDEFINED
    assert call("{@array.get}", "xyz", 2) == "z"
    assert call("{@array.length}", [1, 2, 3]) == 3
    assert call("{@array.length}", "four") == 4


def test_array_concat_push_unshift() -> None:
    original = [1, 2]
    assert call("{@array.concat}", original, [3], 4, [[5]]) == [1, 2, 3, 4, [5]]
    assert call("{@array.push}", original, 3, 4) == [1, 2, 3, 4]
    assert call("{@array.unshift}", original, 0) == 3
    assert original == [1, 2]


def test_array_index_of_forms() -> None:
    items = [1, "1", 2, 1, NAN]
    assert call("{@array.indexOf}", items, 1) == 0
    assert call("{@array.indexOf}", items, "1") == 1
    assert call("{@array.indexOf}", items, 1, 1) == 3
    assert call("{@array.indexOf}", items, 1, -2) == 3
    assert call("{@array.indexOf}", items, NAN) == -1
    assert call("{@array.lastIndexOf}", items, 1) == 3
    assert call("{@array.lastIndexOf}", items, 1, 2) == 0
    assert call("{@array.lastIndexOf}", items, 9) == -1
    assert call("{@array.lastIndexOf}", items, 1, -INF) == -1
    assert call("{@array.lastIndexOf}", items, 1, INF) == 3


def test_array_join_variants() -> None:
    assert call("{@array.join}", [1, None, UNDEFINED, 2.0, True]) == "1,,,2,true"
    assert call("{@array.join}", [[1, 2], 3], "-") == "1,2-3"
    assert call("{@array.join}", []) == ""


def test_array_pop_shift_reverse() -> None:
    original = [1, 2, 3]
    assert call("{@array.pop}", original) == 3
    assert call("{@array.shift}", original) == 1
    assert call("{@array.reverse}", original) == [3, 2, 1]
    assert call("{@array.pop}", []) is UNDEFINED
    assert call("{@array.shift}", []) is UNDEFINED
    assert original == [1, 2, 3]


def test_array_slice_and_splice() -> None:
    items = ["a", "b", "c", "d"]
    assert call("{@array.slice}", items, 1, 3) == ["b", "c"]
    assert call("{@array.slice}", items, -2) == ["c", "d"]
    assert call("{@array.slice}", items) == items
    assert call("{@array.splice}", items, 1, 2) == ["b", "c"]
    assert call("{@array.splice}", items, -1) == ["d"]
    assert call("{@array.splice}", items, 1, 0, "x") == []
    assert items == ["a", "b", "c", "d"]


def test_array_sort_orders() -> None:
    numbers = [10, None, 2, 33, 1]
    assert call("{@array.sort}", numbers) == [None, 1, 2, 10, 33]
    assert call("{@array.sort}", numbers, "DESCENDING") == [33, 10, 2, 1, None]
    words = ["banana", "Apple", "cherry", "apple", "Éclair"]
    assert call("{@array.sort}", words) == [
        "apple",
        "Apple",
        "banana",
        "cherry",
        "Éclair",
    ]
    with pytest.raises(PipeError, match="order must be 'ASCENDING' or 'DESCENDING'"):
        call("{@array.sort}", words, "UP")


def test_bitwise_operations() -> None:
    assert call("{@bitwise.and}", 12, 10) == 8
    assert call("{@bitwise.or}", 12, 10) == 14
    assert call("{@bitwise.xor}", 12, 10) == 6
    assert call("{@bitwise.leftShift}", 1, 31) == -2147483648
    assert call("{@bitwise.leftShift}", 1, 33) == 2
    assert call("{@bitwise.rightShift}", -16, 2) == -4
    assert call("{@bitwise.unsignedRightShift}", -1, 0) == 4294967295
    assert call("{@bitwise.unsignedRightShift}", -16, 28) == 15
    assert call("{@bitwise.or}", 2**32 + 5, 0) == 5
    assert call("{@bitwise.and}", "7", 3.9) == 3


def test_conditional_ternary_and_nullish() -> None:
    assert call("{@conditional.ternary}", "0", "yes", "no") == "yes"
    assert call("{@conditional.ternary}", 0, "yes", "no") == "no"
    assert call("{@conditional.ternary}", UNDEFINED, 1, 2) == 2
    assert call("{@conditional.nullish}", 0, 5) == 0
    assert call("{@conditional.nullish}", "", 5) == ""
    assert call("{@conditional.nullish}", None, 5) == 5
    assert call("{@conditional.nullish}", UNDEFINED, 5) == 5


def test_conditional_equalities() -> None:
    assert call("{@conditional.equality}", 1, "1") is True
    assert call("{@conditional.equality}", None, UNDEFINED) is True
    assert call("{@conditional.strict_equality}", 1, "1") is False
    assert call("{@conditional.strict_equality}", 1, 1.0) is True


def test_conditional_comparisons() -> None:
    assert call("{@conditional.greater_than}", 2, 1) is True
    assert call("{@conditional.greater_than}", "10", 9) is True
    assert call("{@conditional.greater_than}", "10", "9") is False
    assert call("{@conditional.less_than}", "a", "b") is True
    assert call("{@conditional.less_than}", None, 1) is True
    assert call("{@conditional.less_than}", UNDEFINED, 1) is False
    assert call("{@conditional.greater_than_or_equal}", 1, 1) is True
    assert call("{@conditional.greater_than_or_equal}", NAN, 1) is False
    assert call("{@conditional.less_than_or_equal}", NAN, NAN) is False
    assert call("{@conditional.less_than_or_equal}", 2, "2") is True


def test_logical_return_operands() -> None:
    assert call("{@logical.and}", 1, "b") == "b"
    assert call("{@logical.and}", 0, "b") == 0
    assert call("{@logical.and}", "", "b") == ""
    assert call("{@logical.or}", 0, "b") == "b"
    assert call("{@logical.or}", "a", "b") == "a"
    assert call("{@logical.or}", None, UNDEFINED) is UNDEFINED


def test_unary_operations() -> None:
    assert call("{@unary.not}", "") is True
    assert call("{@unary.not}", "0") is False
    assert call("{@unary.positive}", "42") == 42
    assert same_number(call("{@unary.positive}", "x"), NAN)
    assert call("{@unary.negative}", "3.5") == -3.5
    assert call("{@unary.bitwise_not}", 5) == -6
    assert call("{@unary.bitwise_not}", -1) == 0


def test_symbol_constants() -> None:
    assert call("{@symbol.null}") is None
    assert call("{@symbol.undefined}") is UNDEFINED
    assert call("{@symbol.whitespace}") == " "
    assert call("{@symbol.object}") == {}
    assert call("{@symbol.array}") == []
    assert call("{@symbol.posInfinity}") == INF
    assert call("{@symbol.negInfinity}") == -INF
    assert same_number(call("{@symbol.NaN}"), NAN)
    first, second = call("{@symbol.object}"), call("{@symbol.object}")
    assert first is not second
    stamp = call("{@symbol.date}")
    assert isinstance(stamp, datetime)
    assert stamp.tzinfo is not None
    assert stamp.microsecond % 1000 == 0


def test_math_add_folds_arrays() -> None:
    assert call("{@math.add}", 1, 2, 3) == 6
    assert call("{@math.add}", [1, 2], 3, [4, [5]]) == 15
    assert call("{@math.add}") == 0
    assert call("{@math.add}", 0.1, 0.2) == 0.30000000000000004


def test_math_add_concatenates_strings() -> None:
    assert call("{@math.add}", 1, "2") == "12"
    assert call("{@math.add}", "a", "b") == "0ab"
    assert call("{@math.add}", 1, None) == 1
    assert same_number(call("{@math.add}", 1, UNDEFINED), NAN)


def test_math_multiply_subtract_divide() -> None:
    assert call("{@math.multiply}", 2, [3, [4]]) == 24
    assert call("{@math.multiply}", "3", 4) == 12
    assert call("{@math.subtract}", 10, 1, [2, 3]) == 4
    assert call("{@math.subtract}", [10, 1]) == 9
    assert call("{@math.divide}", 10, 4) == 2.5
    assert call("{@math.divide}", [100, 2], 5) == 10
    assert same_number(call("{@math.divide}", 1, 0), NAN)
    assert same_number(call("{@math.divide}", 1, 2, 0), NAN)
    with pytest.raises(
        PipeError, match=re.escape("math.subtract: expected at least one number")
    ):
        call("{@math.subtract}", [])


def test_math_results_are_whole_ints() -> None:
    result = call("{@math.divide}", 10, 2)
    assert result == 5
    assert isinstance(result, int)
    assert number_to_string(call("{@math.multiply}", 2.5, 2)) == "5"


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("abs", ["-3"], 3),
        ("acos", [2], NAN),
        ("asin", [1], math.pi / 2),
        ("asinh", [0], 0),
        ("atan", [INF], math.pi / 2),
        ("atanh", [1], INF),
        ("atanh", [-1], -INF),
        ("atanh", [2], NAN),
        ("cbrt", [-27], -3),
        ("ceil", [1.2], 2),
        ("ceil", [INF], INF),
        ("clz32", [1], 31),
        ("clz32", [0], 32),
        ("cos", [0], 1),
        ("cosh", [1000], INF),
        ("cosh", [-1000], INF),
        ("exp", [1000], INF),
        ("exp", [-INF], 0),
        ("expm1", [0], 0),
        ("floor", [-1.5], -2),
        ("floor", [NAN], NAN),
        ("fround", [5.5], 5.5),
        ("fround", [5.05], 5.050000190734863),
        ("fround", [1e40], INF),
        ("hypot", [], 0),
        ("hypot", [INF, NAN], INF),
        ("imul", [3, 4], 12),
        ("imul", [0xFFFFFFFF, 5], -5),
        ("imul", [0x7FFFFFFF, 0x7FFFFFFF], 1),
        ("log", [0], -INF),
        ("log", [-1], NAN),
        ("log10", [1000], 3),
        ("log1p", [-1], -INF),
        ("log2", [8], 3),
        ("max", [], -INF),
        ("max", [1, NAN], NAN),
        ("max", ["4", 2], 4),
        ("min", [], INF),
        ("min", [3, 1, 2], 1),
        ("pow", [2, 10], 1024),
        ("pow", [1, INF], NAN),
        ("pow", [1, NAN], NAN),
        ("pow", [NAN, 0], 1),
        ("pow", [0, -1], INF),
        ("pow", [-0.0, -1], -INF),
        ("pow", [-8, 1 / 3], NAN),
        ("pow", [10, 400], INF),
        ("pow", [-10, 401], -INF),
        ("round", [2.5], 3),
        ("round", [-2.5], -2),
        ("round", [0.49999999999999994], 0),
        ("sign", [-5], -1),
        ("sign", [0], 0),
        ("sign", [NAN], NAN),
        ("sin", [0], 0),
        ("sinh", [-1000], -INF),
        ("sqrt", [16], 4),
        ("sqrt", [-1], NAN),
        ("tan", [0], 0),
        ("trunc", [-4.7], -4),
        ("trunc", ["12.9"], 12),
    ],
)
def test_math_functions(name: str, args: list[Any], expected: float) -> None:
    result = call_function("math", name, args)
    if math.isnan(expected) or math.isinf(expected):
        assert same_number(result, expected)
    else:
        assert result == pytest.approx(expected)


def test_math_max_min_signed_zero() -> None:
    assert math.copysign(1, call("{@math.max}", -0.0, 0)) == 1
    assert math.copysign(1, call("{@math.min}", 0, -0.0)) == -1


def test_math_random_range() -> None:
    values = [call("{@math.random}") for _ in range(50)]
    assert all(0 <= value < 1 for value in values)
    assert len(set(values)) > 1


def test_number_predicates() -> None:
    assert call("{@number.isFinite}", 5) is True
    assert call("{@number.isFinite}", "5") is False
    assert call("{@number.isFinite}", INF) is False
    assert call("{@number.isInteger}", 5.0) is True
    assert call("{@number.isInteger}", 5.5) is False
    assert call("{@number.isNaN}", NAN) is True
    assert call("{@number.isNaN}", "abc") is False
    assert call("{@number.isEven}", 0) is True
    assert call("{@number.isEven}", 3) is False
    assert call("{@number.isEven}", 2.5) is False
    assert call("{@number.isOdd}", -3) is True
    assert call("{@number.isOdd}", 1.5) is False
    assert call("{@number.isOdd}", NAN) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.14abc", 3.14),
        ("  -2.5e3x", -2500),
        (".5", 0.5),
        ("Infinityx", INF),
        ("abc", NAN),
        ("", NAN),
        ("1e", 1),
        ("\u0661\u0662", NAN),
    ],
)
def test_number_parse_float(text: str, expected: float) -> None:
    assert same_number(call("{@number.parseFloat}", text), expected)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["42px"], 42),
        (["  -17"], -17),
        (["0x1F"], 31),
        (["1F", 16], 31),
        (["101", 2], 5),
        (["z", 36], 35),
        (["12", 1], NAN),
        (["12", 37], NAN),
        (["abc"], NAN),
        (["3.99"], 3),
        ([15.99], 15),
        (["0x1F", 10], 0),
    ],
)
def test_number_parse_int(args: list[Any], expected: float) -> None:
    assert same_number(call_function("number", "parseInt", args), expected)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([1.005, 2], "1.00"),
        ([2.5], "3"),
        ([-2.5], "-3"),
        ([1.45, 1], "1.4"),
        ([0, 2], "0.00"),
        ([-0.0, 2], "0.00"),
        ([-0.0001, 2], "-0.00"),
        ([123.456, 5], "123.45600"),
        ([1e21, 2], "1e+21"),
        ([NAN, 2], "NaN"),
        (["2.345", 2], "2.35"),
    ],
)
def test_number_to_fixed(args: list[Any], expected: str) -> None:
    assert call_function("number", "toFixed", args) == expected


def test_number_to_fixed_range() -> None:
    with pytest.raises(
        PipeError, match=re.escape("number.toFixed: digits must be between 0 and 100")
    ):
        call("{@number.toFixed}", 1, 101)
    with pytest.raises(
        PipeError, match=re.escape("number.toFixed: the value must be a number")
    ):
        call("{@number.toFixed}", None, 1)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([123456], "1.23456e+5"),
        ([123456, 2], "1.23e+5"),
        ([0.00015, 1], "1.5e-4"),
        ([0], "0e+0"),
        ([0, 2], "0.00e+0"),
        ([-1.5, 0], "-2e+0"),
        ([9.99, 1], "1.0e+1"),
        ([INF, 2], "Infinity"),
    ],
)
def test_number_to_exponential(args: list[Any], expected: str) -> None:
    assert call_function("number", "toExponential", args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([123.456, 4], "123.5"),
        ([0.000123, 2], "0.00012"),
        ([123456, 2], "1.2e+5"),
        ([1e-7, 2], "1.0e-7"),
        ([5, 3], "5.00"),
        ([0, 3], "0.00"),
        ([-99.99, 3], "-100"),
        ([1.5], "1.5"),
    ],
)
def test_number_to_precision(args: list[Any], expected: str) -> None:
    assert call_function("number", "toPrecision", args) == expected


def test_number_comparisons_and_math() -> None:
    assert call("{@number.gte}", 5, 5) is True
    assert call("{@number.lte}", 6, 5) is False
    assert call("{@number.gt}", 6, "5") is True
    assert call("{@number.lt}", 4, 5) is True
    assert call("{@number.max}", 1, 9, 3) == 9
    assert call("{@number.min}", 1, 9, 3) == 1
    assert call("{@number.pow}", 3, 2) == 9
    assert call("{@number.round}", 4.5) == 5


def test_object_get_set_create() -> None:
    original = {"a": 1}
    assert call("{@object.get}", original, "a") == 1
    assert call("{@object.get}", original, "b") is UNDEFINED
    assert call("{@object.get}", [5, 6], 1) == 6
    assert call("{@object.set}", original, "b", 2) == {"a": 1, "b": 2}
    assert original == {"a": 1}
    assert call("{@object.set}", None, "k", "v") == {"k": "v"}
    assert call("{@object.set}", ["a"], 2, "c") == ["a", None, "c"]
    assert call("{@object.create}", "a", 1, 2, "two") == {"a": 1, "2": "two"}
    assert call("{@object.create}", "a", 1, "dangling") == {
        "a": 1,
        "dangling": UNDEFINED,
    }
    with pytest.raises(
        PipeError, match=re.escape("object.set: cannot set property 'x' on a primitive")
    ):
        call("{@object.set}", 5, "x", 1)


def test_object_set_keeps_int_keys() -> None:
    result = call("{@object.set}", {422: "old"}, "422", "new")
    assert result == {422: "new"}


def test_object_keys_values_entries() -> None:
    value = {"b": 1, "a": 2}
    assert call("{@object.keys}", value) == ["b", "a"]
    assert call("{@object.values}", value) == [1, 2]
    assert call("{@object.entries}", value) == [["b", 1], ["a", 2]]
    assert call("{@object.keys}", ["x", "y"]) == ["0", "1"]
    assert call("{@object.keys}", "hi") == ["0", "1"]
    assert call("{@object.keys}", 5) == []
    assert call("{@object.fromEntries}", [["a", 1], ["b", 2]]) == {"a": 1, "b": 2}
    with pytest.raises(
        PipeError, match=re.escape("object.fromEntries: each entry must be")
    ):
        call("{@object.fromEntries}", [5])


def test_object_assign_copies() -> None:
    target = {"a": 1}
    result = call("{@object.assign}", target, {"b": 2}, None, {"a": 3})
    assert result == {"a": 3, "b": 2}
    assert target == {"a": 1}


def test_object_property_queries() -> None:
    value = {"a": 1}
    assert call("{@object.hasOwnProperty}", value, "a") is True
    assert call("{@object.hasOwnProperty}", value, "toString") is False
    assert call("{@object.hasOwnProperty}", [1], 0) is True
    assert call("{@object.propertyIsEnumerable}", value, "a") is True
    assert call("{@object.propertyIsEnumerable}", [1], "length") is False
    assert call("{@object.getOwnPropertyNames}", [1]) == ["0", "length"]
    assert call("{@object.getOwnPropertySymbols}", value) == []
    assert call("{@object.isPrototypeOf}", value, {}) is False


def test_object_property_descriptor() -> None:
    assert call("{@object.getOwnPropertyDescriptor}", {"a": 1}, "a") == {
        "value": 1,
        "writable": True,
        "enumerable": True,
        "configurable": True,
    }
    assert call("{@object.getOwnPropertyDescriptor}", {"a": 1}, "b") is UNDEFINED
    frozen = call("{@object.freeze}", {"a": 1})
    descriptor = call("{@object.getOwnPropertyDescriptor}", frozen, "a")
    assert descriptor["writable"] is False
    assert descriptor["configurable"] is False


def test_object_define_property() -> None:
    original = {"a": 1}
    result = call("{@object.defineProperty}", original, "b", {"value": 2})
    assert result == {"a": 1, "b": 2}
    assert original == {"a": 1}
    many = call(
        "{@object.defineProperties}", {}, {"x": {"value": 1}, "y": {"value": 2}}
    )
    assert many == {"x": 1, "y": 2}
    with pytest.raises(PipeError, match="accessor descriptors"):
        call("{@object.defineProperty}", {}, "b", {"get": 1})


def test_object_integrity_levels() -> None:
    frozen = call("{@object.freeze}", {"a": 1})
    assert frozen == {"a": 1}
    assert call("{@object.isFrozen}", frozen) is True
    assert call("{@object.isSealed}", frozen) is True
    assert call("{@object.isExtensible}", frozen) is False
    assert call("{@object.isFrozen}", {"a": 1}) is False
    assert call("{@object.isFrozen}", 5) is True
    assert call("{@object.isExtensible}", 5) is False
    with pytest.raises(
        PipeError, match=re.escape("object.set: cannot assign to property 'a'")
    ):
        call("{@object.set}", frozen, "a", 2)


def test_object_seal_and_prevent_extensions() -> None:
    sealed = call("{@object.seal}", {"a": 1})
    assert call("{@object.isSealed}", sealed) is True
    assert call("{@object.isFrozen}", sealed) is False
    assert call("{@object.set}", sealed, "a", 2) == {"a": 2}
    assert call("{@object.isSealed}", call("{@object.set}", sealed, "a", 2)) is True
    with pytest.raises(PipeError, match="not extensible"):
        call("{@object.set}", sealed, "b", 2)
    closed = call("{@object.preventExtensions}", {})
    assert call("{@object.isFrozen}", closed) is True
    assert call("{@object.isExtensible}", closed) is False
    assert json_stringify(sealed) == '{"a":1}'


def test_string_split_forms() -> None:
    assert call("{@string.split}", "a,b,c", ",") == ["a", "b", "c"]
    assert call("{@string.split}", "a,b,c", ",", 2) == ["a", "b"]
    assert call("{@string.split}", "abc", "") == ["a", "b", "c"]
    assert call("{@string.split}", "abc") == ["abc"]
    assert call("{@string.split}", "", ",") == [""]
    assert call("{@string.split}", "a,b", ",", 0) == []


def test_string_positions() -> None:
    assert call("{@string.charAt}", "abc", 5) == ""
    assert call("{@string.charAt}", "abc", -1) == ""
    assert call("{@string.indexOf}", "abcabc", "c", 3) == 5
    assert call("{@string.indexOf}", "abc", "", 10) == 3
    assert call("{@string.lastIndexOf}", "abcabc", "c", 4) == 2
    assert call("{@string.lastIndexOf}", "abc", "abcd") == -1
    assert call("{@string.includes}", "abc", "a", 1) is False
    assert call("{@string.slice}", "abcdef", -3, -1) == "de"
    assert call("{@string.substring}", "abcdef", 4, 1) == "bcd"
    assert call("{@string.substring}", "abcdef", -5, 2) == "ab"
    assert call("{@string.startsWith}", "abcdef", "cd", 2) is True
    assert call("{@string.endsWith}", "abcdef", "cd", 4) is True


def test_string_concat_values() -> None:
    assert call("{@string.concat}", "a", 1, 2.0, True, None, UNDEFINED) == "a12true"
    assert call("{@string.concat}") == ""


def test_string_converts_non_strings() -> None:
    assert call("{@string.padStart}", 5, 3, "0") == "005"
    assert call("{@string.toUpperCase}", True) == "TRUE"
    assert call("{@string.padEnd}", "ab", 5, "xy") == "abxyx"
    assert call("{@string.padStart}", "ab", 5) == "   ab"
    assert call("{@string.padStart}", "ab", 5, "") == "ab"


def test_string_replace_first_only() -> None:
    assert call("{@string.replace}", "a-b-c", "-", "+") == "a+b-c"
    assert call("{@string.replace}", "abc", "x", "y") == "abc"
    assert call("{@string.replace}", "abc", "b", "[$&]") == "a[b]c"
    assert call("{@string.replace}", "abc", "b", "$`$'") == "aacc"
    assert call("{@string.replace}", "abc", "b", "$$1") == "a$1c"


def test_string_search_regex() -> None:
    assert call("{@string.search}", "abc123", "[0-9]") == 3
    assert call("{@string.search}", "a.c", ".") == 0
    assert call("{@string.search}", "abc", "z") == -1
    with pytest.raises(
        PipeError, match=re.escape("string.search: invalid regular expression")
    ):
        call("{@string.search}", "abc", "(")


def test_string_repeat_limits() -> None:
    assert call("{@string.repeat}", "ab", 0) == ""
    assert call("{@string.repeat}", "ab", 2.9) == "abab"
    with pytest.raises(
        PipeError, match=re.escape("string.repeat: count must be a finite number")
    ):
        call("{@string.repeat}", "ab", -1)
    with pytest.raises(
        PipeError, match=re.escape("string.repeat: count must be a finite number")
    ):
        call("{@string.repeat}", "ab", INF)
    with pytest.raises(PipeError, match="maximum"):
        call("{@string.repeat}", "ab", 2**30)


def test_string_trims_js_whitespace() -> None:
    assert call("{@string.trim}", "\ufeff\xa0 a \u2028\n") == "a"


def test_date_getters() -> None:
    expected = {
        "getFullYear": 2024,
        "getMonth": 6,
        "getDate": 15,
        "getDay": 1,
        "getHours": 12,
        "getMinutes": 30,
        "getSeconds": 45,
        "getMilliseconds": 123,
        "getTime": JULY_15_MS,
        "valueOf": JULY_15_MS,
        "getTimezoneOffset": 0,
        "getUTCHours": 12,
        "getUTCDay": 1,
    }
    for name, value in expected.items():
        assert call_function("date", name, [JULY_15]) == value, name


def test_date_accepts_input_forms() -> None:
    moment = datetime(2024, 7, 15, 12, 30, 45, 123000, tzinfo=UTC)
    assert call("{@date.getTime}", moment) == JULY_15_MS
    assert call("{@date.getTime}", JULY_15_MS) == JULY_15_MS
    assert call("{@date.getTime}", str(JULY_15_MS)) == JULY_15_MS
    assert call("{@date.getTime}", "2024-07-15") == 1721001600000
    assert call("{@date.getTime}", "2024-07-15T12:30:45Z") == 1721046645000
    assert call("{@date.getTime}", datetime(2024, 7, 15)) == 1721001600000
    assert call("{@date.getFullYear}", "0") == 1970


def test_date_rejects_invalid_input() -> None:
    for value in ["July 4", "2024-13-01", "2024-02-30", "", True, None, {}, NAN]:
        with pytest.raises(PipeError, match=re.escape("date.getDate: ")):
            call("{@date.getDate}", value)


def test_date_formatters() -> None:
    assert call("{@date.toISOString}", 0) == "1970-01-01T00:00:00.000Z"
    assert call("{@date.toJSON}", JULY_15) == JULY_15
    assert call("{@date.toISOXString}", JULY_15) == "20240715123045.123"
    assert call("{@date.toDateString}", JULY_15) == "Mon Jul 15 2024"
    assert call("{@date.toString}", JULY_15) == (
        "Mon Jul 15 2024 12:30:45 GMT+0000 (Coordinated Universal Time)"
    )
    assert call("{@date.toUTCString}", JULY_15) == "Mon, 15 Jul 2024 12:30:45 GMT"
    assert re.fullmatch(r"\d{8}\d{6}\.\d{3}", call("{@date.toISOXString}"))


def test_date_iso_expanded_years() -> None:
    assert call("{@date.toISOString}", -62198755200000) == "-000001-01-01T00:00:00.000Z"
    assert call("{@date.toISOString}", 8.64e15) == "+275760-09-13T00:00:00.000Z"


def test_date_locale_strings() -> None:
    assert call("{@date.toLocaleString}", JULY_15, "en-US") == "7/15/2024, 12:30:45 PM"
    assert (
        call("{@date.toLocaleString}", "2024-01-05T00:05:09Z")
        == "1/5/2024, 12:05:09 AM"
    )
    assert call("{@date.toLocaleDateString}", JULY_15, "en-US") == "7/15/2024"
    assert call("{@date.toLocaleTimeString}", JULY_15, "en-US") == "12:30:45 PM"
    assert call("{@date.toLocaleString}", JULY_15, "en-GB") == "15/07/2024, 12:30:45"
    assert call("{@date.toLocaleString}", JULY_15, ["en-US"], {"hour12": False}) == (
        "7/15/2024, 12:30:45"
    )


def test_date_locale_time_zone() -> None:
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        zoneinfo.ZoneInfo("America/New_York")
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no time zone database installed")
    options = {"timeZone": "America/New_York"}
    assert call("{@date.toLocaleString}", JULY_15, "en-US", options) == (
        "7/15/2024, 8:30:45 AM"
    )
    with pytest.raises(PipeError, match="invalid time zone 'Nowhere/City'"):
        call("{@date.toLocaleString}", JULY_15, "en-US", {"timeZone": "Nowhere/City"})


def test_date_parse_and_from_iso() -> None:
    assert call("{@date.parse}", "2024-07-15") == 1721001600000
    assert call("{@date.parse}", "2024-07-15T14:00:00+02:00") == 1721044800000
    assert call("{@date.parse}", "Mon, 15 Jul 2024 12:30:45 GMT") == 1721046645000
    assert call("{@date.parse}", "7/15/2024, 12:30:45 PM") == 1721046645000
    assert same_number(call("{@date.parse}", "not a date"), NAN)
    parsed = call("{@date.fromISOString}", JULY_15)
    assert parsed == datetime(2024, 7, 15, 12, 30, 45, 123000, tzinfo=UTC)
    with pytest.raises(
        PipeError, match=re.escape("date.fromISOString: invalid date string")
    ):
        call("{@date.fromISOString}", "nope")


def test_date_setters() -> None:
    assert call("{@date.setHours}", JULY_15, 25) == 1721093445123
    assert call("{@date.setMonth}", JULY_15, 13) == 1739622645123
    assert call("{@date.setUTCMonth}", JULY_15, 13) == 1739622645123
    assert call("{@date.setMilliseconds}", JULY_15, 0) == JULY_15_MS - 123
    assert call("{@date.setSeconds}", JULY_15, 0, 0) == JULY_15_MS - 45123
    assert call("{@date.setMinutes}", JULY_15, 31) == JULY_15_MS + 60000
    assert call("{@date.setDate}", JULY_15, 16) == JULY_15_MS + 86400000
    assert call("{@date.setFullYear}", JULY_15, 2025, 1, 15) == 1739622645123
    assert call("{@date.setTime}", JULY_15, 5) == 5
    assert same_number(call("{@date.setHours}", JULY_15, "x"), NAN)


def test_date_utc() -> None:
    assert call("{@date.UTC}", 2024, 6, 15) == 1721001600000
    assert call("{@date.UTC}", 99, 0) == 915148800000
    assert call("{@date.UTC}", 2024, 12) == 1735689600000
    assert call("{@date.UTC}", 2024) == 1704067200000
    assert same_number(call("{@date.UTC}", "x"), NAN)


def test_date_values_cross_functions() -> None:
    rows = [[JULY_15], ["{@date.fromISOString}"], ["{@date.getMonth}"]]
    assert run(rows) == 6
    assert run([["{@date.now}"], ["{@date.getFullYear}"]]) >= 2024
