"""Validate a loaded app model, collecting every problem before raising."""

from __future__ import annotations

import re
from typing import Any

from hotmesh.engine.model._expressions import MappingChecker
from hotmesh.engine.model._graph import GraphChecker
from hotmesh.engine.model._loader import LoadedDocument
from hotmesh.engine.model._yaml import NodePath, format_path
from hotmesh.errors import Problem

APP_ID_PATTERN = re.compile(r"[A-Za-z0-9-]+")
"""App ids must match this pattern in full."""

MAX_APP_ID_LENGTH = 128
"""Maximum characters of an app id, which prefixes every key of the app."""

RESERVED_APP_IDS = frozenset({"a"})
"""App ids the store uses for its own keys."""


def validate(doc: LoadedDocument) -> list[Problem]:
    """Check a loaded model and return every problem, load problems first."""
    reporter = Reporter(doc)
    app = _check_root(doc.data, reporter)
    if app is not None:
        _check_app(app, reporter)
    return [*doc.problems, *reporter.problems]


class Reporter:
    """Collect problems, locating each node in the file it was loaded from."""

    def __init__(self, doc: LoadedDocument) -> None:
        self.doc = doc
        self.problems: list[Problem] = []

    def report(self, path: NodePath, message: str) -> None:
        """Record a problem about the node at ``path``.

        Problems inside a ``$ref`` that failed to load are dropped, because
        the load problem already names their cause.
        """
        if any(path[:size] in self.doc.unresolved for size in range(len(path) + 1)):
            return
        self.problems.append(self.doc.problem(path, message))


def _check_root(data: Any, reporter: Reporter) -> dict[str, Any] | None:
    if not isinstance(data, dict) or "app" not in data:
        reporter.report(("app",), "missing 'app': the model must start with 'app:'")
        return None
    app = data["app"]
    if not isinstance(app, dict):
        reporter.report(("app",), "'app' must be a mapping with id, version, graphs")
        return None
    return app


def _check_app(app: dict[str, Any], reporter: Reporter) -> None:
    _check_app_id(app, reporter)
    _check_version(app, reporter)
    if "settings" in app and not isinstance(app["settings"], dict | None):
        reporter.report(("app", "settings"), "'settings' must be a mapping")
    graphs = app.get("graphs")
    path: NodePath = ("app", "graphs")
    if graphs is None:
        reporter.report(path, "missing 'graphs': list at least one graph")
        return
    if not isinstance(graphs, list) or not graphs:
        reporter.report(path, "'graphs' must be a non-empty list of graphs")
        return
    checkers = [GraphChecker(graph, (*path, i)) for i, graph in enumerate(graphs)]
    _check_unique_topics(checkers, reporter)
    activity_ids = _check_unique_ids(checkers, reporter)
    for checker in checkers:
        checker.check(reporter.report)
    _check_await_topics(checkers, reporter)
    mappings = MappingChecker(activity_ids)
    for checker in checkers:
        checker.check_mappings(mappings, reporter.report)


def _check_app_id(app: dict[str, Any], reporter: Reporter) -> None:
    path: NodePath = ("app", "id")
    app_id = app.get("id")
    if app_id is None:
        reporter.report(path, "missing 'id': name the app, e.g. 'id: orders'")
    elif not isinstance(app_id, str):
        message = f"app id must be a string; quote it, e.g. id: '{app_id}'"
        reporter.report(path, message)
    elif not APP_ID_PATTERN.fullmatch(app_id):
        message = "invalid app id {!r}: use only letters, digits and '-'"
        reporter.report(path, message.format(app_id))
    elif len(app_id) > MAX_APP_ID_LENGTH:
        message = f"app id of {len(app_id)} characters is invalid: max"
        reporter.report(path, f"{message} {MAX_APP_ID_LENGTH}")
    elif app_id in RESERVED_APP_IDS:
        reporter.report(path, f"app id {app_id!r} is reserved; choose another id")


def _check_version(app: dict[str, Any], reporter: Reporter) -> None:
    path: NodePath = ("app", "version")
    version = app.get("version")
    if version is None:
        reporter.report(path, "missing 'version', e.g. version: '1'")
    elif isinstance(version, float):
        # YAML reads 1.10 as the float 1.1, so the written text is lost.
        message = f"version {version!r} is a number with a fraction; quote it"
        reporter.report(path, f"{message}, e.g. version: '{version}'")
    elif isinstance(version, bool) or not isinstance(version, str | int):
        reporter.report(path, f"invalid version {version!r}: use a string like '1'")
    elif not str(version).strip():
        reporter.report(path, "'version' must not be empty")


def _check_unique_ids(
    checkers: list[GraphChecker], reporter: Reporter
) -> frozenset[str]:
    """Report activity ids used twice in the app; return all activity ids."""
    first_use: dict[str, NodePath] = {}
    for checker in checkers:
        for aid in checker.activity_ids():
            path = (*checker.path, "activities", aid)
            if aid in first_use:
                where = format_path(first_use[aid][:3])
                message = f"duplicate activity id {aid!r}: already used in {where}"
                reporter.report(path, message)
            else:
                first_use[aid] = path
    return frozenset(first_use)


def _check_unique_topics(checkers: list[GraphChecker], reporter: Reporter) -> None:
    """Report graphs that subscribe to a topic an earlier graph subscribes to."""
    first_use: dict[str, NodePath] = {}
    for checker in checkers:
        topic = checker.graph.get("subscribes")
        if not isinstance(topic, str):
            continue
        if topic in first_use:
            where = format_path(first_use[topic])
            message = f"topic {topic!r} is already subscribed by {where}"
            reporter.report((*checker.path, "subscribes"), message)
        else:
            first_use[topic] = checker.path


def _check_await_topics(checkers: list[GraphChecker], reporter: Reporter) -> None:
    """Report await activities whose literal topic no graph of the app subscribes to.

    An await starts a job of this app on its topic, so a job that reaches
    such an activity would fail. Topics with ``{...}`` are resolved when a
    job runs and checked then.
    """
    subscribed: set[str] = set()
    for checker in checkers:
        topic = checker.graph.get("subscribes")
        if isinstance(topic, str):
            subscribed.add(topic)
    for checker in checkers:
        for aid, definition in checker.activities.items():
            if not isinstance(definition, dict) or definition.get("type") != "await":
                continue
            topic = definition.get("topic")
            if not isinstance(topic, str) or "{" in topic or topic in subscribed:
                continue
            message = (
                f"await topic {topic!r} is not subscribed by any graph of this "
                "app; add a graph with that 'subscribes' or correct the topic"
            )
            reporter.report((*checker.path, "activities", aid, "topic"), message)
