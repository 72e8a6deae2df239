"""Parse one YAML text into plain values, recording the line of every node."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from hotmesh.errors import Problem

NodePath = tuple[str | int, ...]
"""Keys and list indexes leading from a document root to a node."""

_MERGE_TAG = "tag:yaml.org,2002:merge"

MAX_DEPTH = 100
"""Maximum nesting depth of mappings and lists in a model, with the root at 0.

The YAML composer and the loader recurse for each level, so a deeper
document would exhaust Python's recursion limit. The TypeScript SDK's
test apps nest at most 16 levels.
"""

MAX_ALIAS_NODES = 100_000
"""Maximum number of nodes that YAML aliases may add to one file.

Each alias stands for a copy of the node it names, so a few lines of
aliases of aliases expand to billions of nodes.
"""


@dataclass(frozen=True)
class SourceFile:
    """A parsed YAML text and the 1-based line of each of its nodes."""

    name: str
    """File path as shown in problems; empty for inline text."""
    data: Any
    lines: dict[NodePath, int]


def format_path(path: NodePath) -> str:
    """Format a node path as ``app.graphs[0].activities.a1``.

    Keys that contain dots, brackets, quotes or spaces are written as
    ``["order.routed"]`` so that the path reads back unambiguously.
    """
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif step and not any(char in step for char in ".[]\"' "):
            text += f".{step}" if text else step
        else:
            text += '["' + step.replace('"', '\\"') + '"]'
    return text


def parse_yaml(text: str, name: str) -> tuple[SourceFile | None, list[Problem]]:
    """Parse one YAML document into dicts, lists and JSON scalars.

    Mapping keys become strings, as in JSON: ``500:`` is read as ``"500"``
    and ``true:`` as ``"true"``. Timestamps and binary scalars keep the text
    they were written with.

    Returns:
        The parsed file, or None when the text is not valid YAML, and the
        problems found.
    """
    try:
        # The reader checks for characters YAML does not allow when created.
        loader = _DepthLimitedLoader(text)
    except yaml.reader.ReaderError as exc:
        return None, [_character_problem(exc, text, name)]
    builder = _TreeBuilder(loader, name)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_alias_expansion(node)
        data = None if node is None else builder.build(node, (), _line(node))
    except yaml.YAMLError as exc:
        return None, [_syntax_problem(exc, name)]
    except LimitExceededError as exc:
        return None, [Problem(str(exc), format_path(exc.path), name, exc.line)]
    finally:
        loader.dispose()
    builder.lines.setdefault((), 1)
    return SourceFile(name, data, builder.lines), builder.problems


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class LimitExceededError(Exception):
    """A document is nested too deeply or expands to too many nodes."""

    def __init__(
        self, message: str, line: int | None, path: NodePath = (), file: str = ""
    ) -> None:
        super().__init__(message)
        self.line = line
        self.path = path
        self.file = file


class _DepthLimitedLoader(yaml.SafeLoader):
    """A safe loader that stops composing below :data:`MAX_DEPTH` levels."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self._depth > MAX_DEPTH:
            # The PyYAML stubs leave peek_event untyped.
            event = self.peek_event()  # type: ignore[no-untyped-call]
            line = int(event.start_mark.line) + 1
            message = (
                f"the model is nested more than {MAX_DEPTH} levels deep; "
                "flatten the mappings and lists here"
            )
            raise LimitExceededError(message, line)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _check_alias_expansion(root: yaml.Node) -> None:
    """Check that aliases add at most :data:`MAX_ALIAS_NODES` nodes.

    The composer returns the anchored node itself for each alias, so a node
    met a second time is an alias, and it adds the expanded size of that
    node. The walk visits each written node once, in document order, where
    an anchor always comes before its aliases.

    Raises:
        LimitExceededError: The limit is exceeded, at the line of the anchor
            whose alias crosses it.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    added = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        children = _children(node)
        if children_done:
            # A child still open is a recursive alias, which the tree
            # builder reports, so it adds nothing here.
            sizes[id(node)] = 1 + sum(sizes.get(id(child), 0) for child in children)
            open_nodes.discard(id(node))
        elif id(node) in sizes:
            added += sizes[id(node)]
            if added > MAX_ALIAS_NODES:
                message = (
                    f"YAML aliases add more than {MAX_ALIAS_NODES} nodes to the "
                    "model, crossing the limit at an alias of the node on this "
                    "line; alias large nodes fewer times"
                )
                raise LimitExceededError(message, _line(node))
        elif id(node) not in open_nodes:
            open_nodes.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return []


def _character_problem(exc: yaml.reader.ReaderError, text: str, name: str) -> Problem:
    """Describe a character the YAML reader rejects, with its line and column."""
    position = int(exc.position)
    line = text.count("\n", 0, position) + 1
    column = position - text.rfind("\n", 0, position)
    code = int(exc.character)
    fix = "remove it"
    if code <= 0xFF:
        fix += f', or write it as the escape "\\x{code:02x}" in a double-quoted string'
    message = f"invalid YAML: character U+{code:04X} at column {column} is not allowed"
    return Problem(f"{message}; {fix}", file=name, line=line)


def _syntax_problem(exc: yaml.YAMLError, name: str) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    reason = getattr(exc, "problem", None) or str(exc)
    line = None if mark is None else int(mark.line) + 1
    return Problem(f"invalid YAML: {reason}", file=name, line=line)


class _TreeBuilder:
    """Convert composed YAML nodes to Python values and record their lines."""

    def __init__(self, loader: yaml.SafeLoader, name: str) -> None:
        self.loader = loader
        self.name = name
        self.lines: dict[NodePath, int] = {}
        self.problems: list[Problem] = []
        self._open_nodes: set[int] = set()
        self._merged_counts: dict[int, int] = {}

    def build(self, node: yaml.Node, path: NodePath, line: int) -> Any:
        """Build the value of ``node`` found at ``path``, written on ``line``.

        Raises:
            LimitExceededError: Aliases nest the value deeper than
                :data:`MAX_DEPTH` levels.
        """
        self.lines[path] = line
        if len(path) > MAX_DEPTH:
            message = (
                f"YAML aliases nest the model more than {MAX_DEPTH} levels deep "
                "at this node; alias fewer nested nodes"
            )
            raise LimitExceededError(message, line)
        if id(node) in self._open_nodes:
            self._report(path, "recursive YAML alias: a node contains itself")
            return None
        self._open_nodes.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return [
                    self.build(item, (*path, index), _line(item))
                    for index, item in enumerate(node.value)
                ]
            return self._scalar(node)
        finally:
            self._open_nodes.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: NodePath) -> dict[str, Any]:
        merged = self._flatten(node)
        result: dict[str, Any] = {}
        written: set[str] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            key_line = _line(key_node)
            key = self._key(key_node, path, key_line)
            if key is None:
                continue
            # Keys pulled in by a `<<` merge may be overridden, but a key written
            # twice in the mapping itself is a duplicate.
            if index >= merged:
                if key in written:
                    self.lines[(*path, key)] = key_line
                    self._report((*path, key), f"duplicate key {key!r}")
                written.add(key)
            result[key] = self.build(value_node, (*path, key), key_line)
        return result

    def _flatten(self, node: yaml.MappingNode) -> int:
        """Expand ``<<`` merge keys in place and return how many entries they added."""
        if id(node) not in self._merged_counts:
            written = sum(1 for key, _ in node.value if key.tag != _MERGE_TAG)
            self.loader.flatten_mapping(node)
            self._merged_counts[id(node)] = len(node.value) - written
        return self._merged_counts[id(node)]

    def _key(self, node: yaml.Node, path: NodePath, line: int) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.lines.setdefault(path, line)
            self._report(path, "mapping keys must be scalars, not lists or mappings")
            return None
        value = self.loader.construct_object(node)
        if isinstance(value, bool):
            return "true" if value else "false"
        if value is None:
            return "null"
        if isinstance(value, str | int | float):
            return str(value)
        return str(node.value)

    def _scalar(self, node: yaml.Node) -> Any:
        value = self.loader.construct_object(node)
        if value is None or isinstance(value, str | int | float | bool):
            return value
        return node.value

    def _report(self, path: NodePath, message: str) -> None:
        line = self.lines.get(path)
        self.problems.append(Problem(message, format_path(path), self.name, line))
