"""The ``object`` functions, after JavaScript's Object methods.

Functions that change an object in JavaScript (``set``, ``assign``,
``defineProperty``, ``freeze`` and so on) return a changed copy instead,
so job data and model literals are never modified. Keys are strings, as
JavaScript converts every property key.

NOTE: properties are always plain data properties. ``defineProperty``
stores the descriptor's ``value`` and ignores its ``writable``,
``enumerable`` and ``configurable`` flags.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from hotmesh.engine.pipe._properties import has_own_property
from hotmesh.engine.pipe._values import UNDEFINED, is_nullish, to_string, truthy
from hotmesh.engine.pipe.functions import _integrity
from hotmesh.engine.pipe.functions._integrity import Integrity
from hotmesh.engine.pipe.functions._support import (
    ArgumentError,
    describe,
    get_property,
    property_key,
    require_object,
)


def _require_coercible(value: Any) -> Any:
    if is_nullish(value):
        raise ArgumentError(f"cannot convert {describe(value)} to an object")
    return value


def _own_entries(value: Any) -> list[tuple[str, Any]]:
    _require_coercible(value)
    if isinstance(value, Mapping):
        return [(to_string(key), item) for key, item in value.items()]
    if isinstance(value, list | tuple | str):
        return [(str(index), item) for index, item in enumerate(value)]
    return []


def get(value: Any, key: Any) -> Any:
    """Return ``value[key]``, or UNDEFINED when there is no such own property.

    Like JavaScript's ``value?.[key]``, a null or undefined ``value`` gives
    UNDEFINED instead of an error.
    """
    if value is None or value is UNDEFINED:
        return UNDEFINED
    return get_property(value, key)


def set_(value: Any, key: Any, item: Any) -> Any:
    """Return a copy of ``value`` with ``key`` set to ``item``.

    A falsy ``value`` (such as null) starts as an empty object.
    """
    target = value if truthy(value) else {}
    name = property_key(key)
    result = _integrity.writable_copy(target, name)
    _integrity.store(result, name, item)
    return result


def create(*keys_and_values: Any) -> dict[str, Any]:
    """Return an object from alternating keys and values.

    A trailing key without a value maps to UNDEFINED.
    """
    result: dict[str, Any] = {}
    for position in range(0, len(keys_and_values), 2):
        key = property_key(keys_and_values[position])
        following = position + 1 < len(keys_and_values)
        result[key] = keys_and_values[position + 1] if following else UNDEFINED
    return result


def keys(value: Any) -> list[str]:
    """Return the own enumerable keys, as ``Object.keys`` does."""
    return [key for key, _ in _own_entries(value)]


def values(value: Any) -> list[Any]:
    """Return the own enumerable values, as ``Object.values`` does."""
    return [item for _, item in _own_entries(value)]


def entries(value: Any) -> list[list[Any]]:
    """Return ``[key, value]`` pairs, as ``Object.entries`` does."""
    return [[key, item] for key, item in _own_entries(value)]


def from_entries(pairs: Any) -> dict[str, Any]:
    """Return an object built from a list of ``[key, value]`` pairs."""
    if not isinstance(pairs, list | tuple):
        raise ArgumentError(
            f"expected an array of [key, value] pairs, got {describe(pairs)}"
        )
    result: dict[str, Any] = {}
    for pair in pairs:
        if not isinstance(pair, list | tuple):
            raise ArgumentError(
                f"each entry must be a [key, value] array, got {describe(pair)}"
            )
        key = pair[0] if pair else UNDEFINED
        result[property_key(key)] = pair[1] if len(pair) > 1 else UNDEFINED
    return result


def assign(target: Any, *sources: Any) -> Any:
    """Return a copy of ``target`` with the own properties of each source copied in."""
    result = _integrity.shallow_copy(_require_coercible(target))
    for source in sources:
        if is_nullish(source):
            continue
        for key, item in _own_entries(source):
            _integrity.check_writable(result, key)
            _integrity.store(result, key, item)
    return result


def get_own_property_names(value: Any) -> list[str]:
    """Return the own keys, with ``length`` for arrays and strings."""
    names = keys(value)
    if isinstance(value, list | tuple | str):
        names.append("length")
    return names


def get_own_property_symbols(value: Any) -> list[Any]:
    """Return an empty list, because pipe values never have symbol keys."""
    _require_coercible(value)
    return []


def get_own_property_descriptor(value: Any, key: Any) -> Any:
    """Return ``{value, writable, enumerable, configurable}`` for an own property.

    Returns UNDEFINED when there is no such property.
    """
    name = property_key(key)
    if not has_own_property(_require_coercible(value), name):
        return UNDEFINED
    level = _integrity.integrity_of(value)
    fixed = isinstance(value, str) or (
        name == "length" and not isinstance(value, Mapping)
    )
    return {
        "value": get_property(value, name),
        "writable": level < Integrity.FROZEN and not isinstance(value, str),
        "enumerable": not (fixed and name == "length"),
        "configurable": level < Integrity.SEALED and not fixed,
    }


def define_property(value: Any, key: Any, descriptor: Any) -> Any:
    """Return a copy of ``value`` with ``key`` set to the descriptor's ``value``."""
    fields = require_object(descriptor, "the descriptor")
    if "get" in fields or "set" in fields:
        raise ArgumentError("accessor descriptors (get and set) are not supported")
    if not isinstance(value, Mapping | list | tuple):
        raise ArgumentError(f"defineProperty needs an object, got {describe(value)}")
    name = property_key(key)
    result = _integrity.writable_copy(value, name)
    _integrity.store(result, name, fields.get("value", UNDEFINED))
    return result


def define_properties(value: Any, descriptors: Any) -> Any:
    """Return a copy of ``value`` with every property in ``descriptors`` defined."""
    result = value
    for key, descriptor in require_object(descriptors, "the descriptors").items():
        result = define_property(result, key, descriptor)
    return result


def freeze(value: Any) -> Any:
    """Return a frozen copy of an object, or a primitive unchanged."""
    return _integrity.lock(value, Integrity.FROZEN)


def seal(value: Any) -> Any:
    """Return a sealed copy of an object: no keys can be added or removed."""
    return _integrity.lock(value, Integrity.SEALED)


def prevent_extensions(value: Any) -> Any:
    """Return a copy of an object to which no keys can be added."""
    return _integrity.lock(value, Integrity.NON_EXTENSIBLE)


def is_frozen(value: Any) -> bool:
    """Return whether a value is frozen, which primitives always are."""
    return _integrity.effective_integrity(value) >= Integrity.FROZEN


def is_sealed(value: Any) -> bool:
    """Return whether a value is sealed, which primitives always are."""
    return _integrity.effective_integrity(value) >= Integrity.SEALED


def is_extensible(value: Any) -> bool:
    """Return whether keys can be added, which is never so for primitives."""
    return _integrity.integrity_of(value) == Integrity.EXTENSIBLE


def has_own_property_(value: Any, key: Any) -> bool:
    """Return whether ``value`` has ``key`` as an own property."""
    return has_own_property(_require_coercible(value), property_key(key))


def is_prototype_of(value: Any, other: Any) -> bool:
    """Return False, because pipe values never inherit from one another."""
    _require_coercible(value)
    return False


def property_is_enumerable(value: Any, key: Any) -> bool:
    """Return whether ``key`` is an own enumerable property of ``value``."""
    name = property_key(key)
    if name == "length" and not isinstance(value, Mapping):
        return False
    return has_own_property_(value, name)


FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "get": get,
    "set": set_,
    "create": create,
    "keys": keys,
    "values": values,
    "entries": entries,
    "fromEntries": from_entries,
    "assign": assign,
    "getOwnPropertyNames": get_own_property_names,
    "getOwnPropertySymbols": get_own_property_symbols,
    "getOwnPropertyDescriptor": get_own_property_descriptor,
    "defineProperty": define_property,
    "defineProperties": define_properties,
    "freeze": freeze,
    "seal": seal,
    "preventExtensions": prevent_extensions,
    "isFrozen": is_frozen,
    "isSealed": is_sealed,
    "isExtensible": is_extensible,
    "hasOwnProperty": has_own_property_,
    "isPrototypeOf": is_prototype_of,
    "propertyIsEnumerable": property_is_enumerable,
}
