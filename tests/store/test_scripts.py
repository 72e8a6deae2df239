"""The Lua scripts shipped with the Redis-family store."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from hotmesh_redis.base import SCRIPT_NAMES
from hotmesh_redis.scripting import load_script

SCRIPTS_FOLDER = resources.files("hotmesh_redis").joinpath("scripts")


def test_every_script_is_listed() -> None:
    shipped = {
        entry.name.removesuffix(".lua")
        for entry in SCRIPTS_FOLDER.iterdir()
        if entry.name.endswith(".lua")
    }

    assert shipped == set(SCRIPT_NAMES)


@pytest.mark.parametrize("name", SCRIPT_NAMES)
def test_script_header_names_verb_and_keys(name: str) -> None:
    source = SCRIPTS_FOLDER.joinpath(f"{name}.lua").read_text(encoding="utf-8")
    header = source.split("\n\n", 1)[0]

    assert header.startswith(f"-- {name}: ")
    assert "KEYS[1" in header


@pytest.mark.parametrize("name", SCRIPT_NAMES)
def test_includes_are_resolved(name: str) -> None:
    script = load_script(name)

    assert "--@include" not in script.source
    assert re.fullmatch(r"[0-9a-f]{40}", script.sha)


@pytest.mark.parametrize("name", SCRIPT_NAMES)
def test_scripts_avoid_lua_version_specifics(name: str) -> None:
    # The scripts must run on Lua 5.1, which Redis and ValKey embed, and on
    # later versions: 5.2 moved unpack to table.unpack, and since 5.3 "/"
    # returns a float.
    source = load_script(name).source
    code = "\n".join(line.split("--", 1)[0] for line in source.splitlines())

    assert "unpack(" not in code
    assert not re.search(r"[\w)\]]\s*/\s*[\w(]", code)


def test_header_becomes_first_line() -> None:
    script = load_script("ack", "-- header line")

    assert script.source.startswith("-- header line\n-- ack: ")
    assert script.sha != load_script("ack").sha
