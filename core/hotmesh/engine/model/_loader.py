"""Load an app model from YAML and resolve its ``$ref`` includes.

A mapping ``{$ref: '../maps/x.yaml#/a1/job'}`` is replaced by the value it
points to: a file path relative to the file that contains the ``$ref``, then
an optional JSON-pointer fragment (RFC 6901). ``{$ref: '#/a/b'}`` points into
the same file. Keys written beside ``$ref`` extend the referenced mapping.
Unreadable files, YAML errors, missing targets and circular references are
collected as problems rather than raised.

Each ``$ref`` copies its target, so ``$ref``s to values that hold
``$ref``s grow the document exponentially. The resolver stops with a
problem once they add more than :data:`MAX_REF_NODES` nodes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from hotmesh.engine.model._yaml import (
    MAX_DEPTH,
    LimitExceededError,
    NodePath,
    SourceFile,
    format_path,
    parse_yaml,
)
from hotmesh.errors import Problem

REF_KEY = "$ref"

INLINE_PREFIX = "app:"
"""Text whose stripped form starts with this is inline YAML, not a path."""

MAX_REF_NODES = 100_000
"""Maximum number of nodes that ``$ref``s add beyond the parsed files' nodes."""

_RefKey = tuple[str, str]
"""A file identity and a JSON pointer: one link in a chain of ``$ref``s."""


@dataclass(frozen=True)
class Location:
    """The file and 1-based line a node of the loaded document came from."""

    file: str
    line: int


@dataclass
class LoadedDocument:
    """A model document with every ``$ref`` replaced by its target."""

    data: Any
    locations: dict[NodePath, Location]
    """Source of each node of ``data``, by its path in ``data``."""
    problems: list[Problem]
    unresolved: set[NodePath] = field(default_factory=set)
    """Paths of ``$ref``s that could not be resolved and hold None."""

    def locate(self, path: NodePath) -> Location:
        """Return the source of ``path``, or of its nearest ancestor present."""
        while path not in self.locations and path:
            path = path[:-1]
        return self.locations.get(path, Location("", 1))

    def problem(self, path: NodePath, message: str) -> Problem:
        """Build a problem about the node at ``path``."""
        location = self.locate(path)
        return Problem(message, format_path(path), location.file, location.line)


def load_document(source: str | os.PathLike[str]) -> LoadedDocument:
    """Read a model from a file path or inline YAML text and resolve ``$ref``s.

    A string is inline YAML when its stripped text starts with ``app:``;
    any other string is a file path. Inline YAML resolves only ``#/``
    pointers into itself, because it has no folder to resolve files from.
    """
    resolver = _Resolver()
    if isinstance(source, str) and source.strip().startswith(INLINE_PREFIX):
        root = resolver.parse_inline(source)
    else:
        root = resolver.open_root(os.fspath(source), is_text=isinstance(source, str))
    if root is None:
        return _empty_document(resolver.problems)
    chain = (_file_key(root.name), "")
    try:
        data = resolver.resolve(root, root.data, (), (), (chain,))
    except LimitExceededError as exc:
        path = format_path(exc.path)
        resolver.problems.append(Problem(str(exc), path, exc.file, exc.line))
        return _empty_document(resolver.problems)
    return LoadedDocument(
        data, resolver.locations, resolver.problems, resolver.unresolved
    )


def _empty_document(problems: list[Problem]) -> LoadedDocument:
    """Return a document without data, whose problems explain why."""
    locations: dict[NodePath, Location] = {(): Location("", 1)}
    return LoadedDocument(None, locations, problems, {()})


def _file_key(name: str) -> str:
    return os.path.abspath(name) if name else "<inline>"


def _read(name: str) -> tuple[str | None, str]:
    """Read a UTF-8 file; return its text, or None and why it failed."""
    if "\0" in name:
        return None, "cannot be opened: a file path cannot contain a NUL character"
    try:
        with open(name, encoding="utf-8") as stream:
            return stream.read(), ""
    except FileNotFoundError:
        return None, "not found"
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot be read: {exc}"


def _split_ref(ref: str) -> tuple[str, list[str]]:
    """Split ``file#/a/b`` into the file part and the unescaped pointer tokens."""
    file_part, _, fragment = ref.partition("#")
    pointer = unquote(fragment)
    tokens = pointer.split("/")[1:] if pointer else []
    tokens = [token.replace("~1", "/").replace("~0", "~") for token in tokens]
    return unquote(file_part), tokens


def _lookup(data: Any, tokens: list[str]) -> tuple[bool, Any, NodePath]:
    """Follow pointer tokens into ``data`` and return (found, value, node path)."""
    path: list[str | int] = []
    for token in tokens:
        if isinstance(data, dict) and token in data:
            data = data[token]
            path.append(token)
        elif isinstance(data, list) and token.isdigit() and int(token) < len(data):
            data = data[int(token)]
            path.append(int(token))
        else:
            return False, None, tuple(path)
    return True, data, tuple(path)


class _Resolver:
    """Walk a document, splice in ``$ref`` targets and record node sources."""

    def __init__(self) -> None:
        self.locations: dict[NodePath, Location] = {}
        self.problems: list[Problem] = []
        self.unresolved: set[NodePath] = set()
        self._files: dict[str, SourceFile | None] = {}
        self._names: dict[str, str] = {}
        self._parsed_nodes = 0
        self._output_nodes = 0

    def parse_inline(self, text: str) -> SourceFile | None:
        """Parse inline YAML text, which has no file name."""
        return self._parse("", text)

    def open_root(self, name: str, *, is_text: bool = False) -> SourceFile | None:
        """Parse the model file ``name``, reporting a problem if it cannot be read.

        ``is_text`` marks a name given as a string, which may be YAML text
        that lacks the ``app:`` prefix rather than a path.
        """
        text, reason = _read(name)
        if text is None:
            display_name = name.replace("\0", "\\x00")
            message = f"model file {reason}"
            if is_text and reason == "not found":
                message = (
                    "neither an existing file nor YAML text starting with "
                    f"{INLINE_PREFIX!r}; pass the path of a model file, or the "
                    f"model's YAML text starting with {INLINE_PREFIX!r}"
                )
            elif "\n" in name or "\0" in name:
                message += "; inline YAML must start with 'app:'"
            self.problems.append(Problem(message, file=display_name))
            return None
        return self._parse(name, text)

    def resolve(
        self,
        source: SourceFile,
        value: Any,
        source_path: NodePath,
        path: NodePath,
        chain: tuple[_RefKey, ...],
    ) -> Any:
        """Copy ``value`` to ``path`` of the output, following ``$ref``s.

        ``source_path`` is where ``value`` sits in ``source``, and ``chain``
        lists the references being followed, to detect cycles.

        Raises:
            LimitExceededError: ``$ref``s nest the output deeper than
                :data:`MAX_DEPTH` levels or add more than
                :data:`MAX_REF_NODES` nodes to it.
        """
        line = source.lines.get(source_path, 1)
        self.locations[path] = Location(source.name, line)
        self._output_nodes += 1
        if len(path) > MAX_DEPTH:
            message = (
                f"$refs nest the model more than {MAX_DEPTH} levels deep at "
                "this node; reference fewer nested values"
            )
            raise LimitExceededError(message, line, file=source.name)
        if self._output_nodes > self._parsed_nodes + MAX_REF_NODES:
            message = (
                f"$refs add more than {MAX_REF_NODES} nodes to the model, "
                "crossing the limit here; reference large values fewer times"
            )
            raise LimitExceededError(message, line, path, source.name)
        if isinstance(value, dict):
            if REF_KEY in value:
                return self._follow(source, value, source_path, path, chain)
            return {
                key: self.resolve(
                    source, item, (*source_path, key), (*path, key), chain
                )
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [
                self.resolve(source, item, (*source_path, index), (*path, index), chain)
                for index, item in enumerate(value)
            ]
        return value

    def _follow(
        self,
        source: SourceFile,
        value: dict[str, Any],
        source_path: NodePath,
        path: NodePath,
        chain: tuple[_RefKey, ...],
    ) -> Any:
        site = _RefSite(source, (*source_path, REF_KEY), (*path, REF_KEY))
        target = self._find_target(site, value[REF_KEY], chain)
        if target is None:
            # The problem is already reported, so later checks skip this path.
            self.unresolved.add(path)
            return None
        resolved = self.resolve(
            target.source, target.value, target.path, path, (*chain, target.link)
        )
        return self._extend(source, value, source_path, path, chain, resolved)

    def _find_target(
        self, site: _RefSite, ref: Any, chain: tuple[_RefKey, ...]
    ) -> _Target | None:
        """Locate the value a ``$ref`` points to, reporting a problem if missing."""
        if not isinstance(ref, str):
            self._report(site, "$ref must be a string")
            return None
        target_file = self._target_file(site.source, ref, site)
        if target_file is None:
            return None
        _, tokens = _split_ref(ref)
        link = (_file_key(target_file.name), "/" + "/".join(tokens) if tokens else "")
        if link in chain:
            loop = (*chain[chain.index(link) :], link)
            text = " -> ".join(self._describe(step) for step in loop)
            self._report(site, f"circular $ref: {text}")
            return None
        found, value, target_path = _lookup(target_file.data, tokens)
        if not found:
            self._report(site, f"$ref target not found: {ref!r}")
            return None
        return _Target(target_file, target_path, value, link)

    def _extend(
        self,
        source: SourceFile,
        value: dict[str, Any],
        source_path: NodePath,
        path: NodePath,
        chain: tuple[_RefKey, ...],
        resolved: Any,
    ) -> Any:
        """Merge the keys written beside ``$ref`` over the resolved mapping."""
        siblings = [key for key in value if key != REF_KEY]
        if not siblings:
            return resolved
        if not isinstance(resolved, dict):
            site = _RefSite(source, (*source_path, REF_KEY), (*path, REF_KEY))
            self._report(site, "keys beside $ref need a mapping as the $ref target")
            return resolved
        extended = dict(resolved)
        for key in siblings:
            extended[key] = self.resolve(
                source, value[key], (*source_path, key), (*path, key), chain
            )
        return extended

    def _target_file(
        self, source: SourceFile, ref: str, site: _RefSite
    ) -> SourceFile | None:
        file_part, _ = _split_ref(ref)
        if not file_part:
            return source
        if "://" in file_part:
            self._report(site, f"$ref to a URL is not supported: {ref!r}")
            return None
        if not source.name:
            message = "a file $ref needs a model loaded from a file; inline YAML"
            self._report(site, f"{message} can only use '#/' pointers: {ref!r}")
            return None
        name = os.path.normpath(os.path.join(os.path.dirname(source.name), file_part))
        return self._open(name, ref, site)

    def _open(self, name: str, ref: str, site: _RefSite) -> SourceFile | None:
        key = _file_key(name)
        if key in self._files:
            return self._files[key]
        text, reason = _read(name)
        if text is None:
            self._report(site, f"$ref file {name!r} {reason} (from {ref!r})")
            return None
        return self._parse(name, text)

    def _parse(self, name: str, text: str) -> SourceFile | None:
        """Parse a file and cache it, so later ``$ref``s to it reuse the result."""
        key = _file_key(name)
        parsed, problems = parse_yaml(text, name)
        self.problems.extend(problems)
        if parsed is not None:
            self._parsed_nodes += len(parsed.lines)
        self._names[key] = name
        self._files[key] = parsed
        return parsed

    def _describe(self, link: _RefKey) -> str:
        file_key, pointer = link
        name = self._names.get(file_key) or "<inline>"
        return f"{name}#{pointer}" if pointer else name

    def _report(self, site: _RefSite, message: str) -> None:
        line = site.source.lines.get(site.source_path)
        path = format_path(site.path)
        self.problems.append(Problem(message, path, site.source.name, line))


@dataclass(frozen=True)
class _RefSite:
    """Location of a ``$ref`` key: its file, its path there and its output path."""

    source: SourceFile
    source_path: NodePath
    path: NodePath


@dataclass(frozen=True)
class _Target:
    """The value a ``$ref`` points to and where it sits."""

    source: SourceFile
    path: NodePath
    value: Any
    link: _RefKey
