"""One pass over a snapshot that collects what the lint rules look up: names per kind, pages per
flow, and every reference (targets, intents, webhooks, generators, entity types, route groups,
parameters read and set), so each rule is a few set operations instead of another walk."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cxops.model import references, translatable
from cxops.model.snapshot import AGENT_KEY, Body, Key, Snapshot

FieldPath = tuple[str | int, ...]

# $session.params.x, also written $session.params.x.y or $session.params['x'] in conditions.
_SESSION_PARAM = re.compile(r"\$session\.params\.([A-Za-z0-9_-]+)")
_ENTITY_REF = re.compile(r"@([A-Za-z0-9_.-]+)")
# A playbook hands over to a flow by naming it in its instructions or an example's invocation.
_PLAYBOOK_FLOW = re.compile(r"\$\{FLOW:([^}]+)\}")
_CONTAINERS = frozenset({"page", "flow", "flow_route_group", "route_group"})
# Keys whose text value may name another resource (cxops/model/references.py) or a parameter:
# a filter before the branches of the scan below, which act on those they know.
_NAMING = references.tree_keys() | {"parameter"}
# Tree fields holding {language: content} (cxops/model/translatable.py), but excluded phrases:
# lint's language rules have never looked at them (a missing translation of an entity type's
# excluded phrases is no warning so far: including them would be a new languages/missing-translation
# warning, a behaviour change of its own).
LANGUAGE_FIELDS = translatable.tree_keys() - {"excluded_phrases"}
# False: a list of texts is looked at text by text, as every other list is, so that a test can
# hold the joined shortcut in items() to it (tests/test_fast_paths.py).
JOINED_TEXTS = True


@dataclass
class Uses:
    """References found in the bodies: name -> first (key, path) that uses it."""

    intents: dict[str, tuple[Key, FieldPath]] = field(default_factory=dict)
    flows: dict[str, tuple[Key, FieldPath]] = field(default_factory=dict)
    webhooks: dict[str, tuple[Key, FieldPath]] = field(default_factory=dict)
    generators: dict[str, tuple[Key, FieldPath]] = field(default_factory=dict)
    entity_types: set[str] = field(default_factory=set)
    # flow -> page names targeted from a resource of that flow (or from a route group it uses)
    pages: dict[str, set[str]] = field(default_factory=dict)
    flow_groups: dict[str, set[str]] = field(default_factory=dict)
    agent_groups: set[str] = field(default_factory=set)
    params_set: set[str] = field(default_factory=set)
    # parameter -> every (key, path) where $session.params.<parameter> is read
    params_read: dict[str, list[tuple[Key, FieldPath]]] = field(default_factory=dict)
    agent_group_pages: set[str] = field(default_factory=set)
    # page, flow or route group -> the page names it targets, wherever in its body
    targets_of: dict[Key, set[str]] = field(default_factory=dict)
    # page, flow or route group -> (path of the fulfillment, webhook) of each webhook it calls
    webhook_calls: dict[Key, list[tuple[FieldPath, str]]] = field(default_factory=dict)
    # resource -> its mappings that hold content by language (LANGUAGE_FIELDS), with their
    # paths, in document order
    translatable: dict[Key, list[tuple[FieldPath, dict[str, Any]]]] = field(default_factory=dict)


def strings(value: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, str]]:
    """Every text value in a body, with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from strings(v, (*path, i))


class Index:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.resources = list(snapshot)
        self.by_kind: dict[str, list[tuple[Key, Body]]] = {}
        self.pages: dict[str, dict[str, Body]] = {}
        for key, body in self.resources:
            self.by_kind.setdefault(key.kind, []).append((key, body))
            if key.kind == "page":
                self.pages.setdefault(key.scope, {})[key.name] = body

    def of_kind(self, kind: str) -> list[tuple[Key, Body]]:
        return self.by_kind.get(kind, [])

    def names(self, kind: str) -> set[str]:
        return {k.name for k, _ in self.of_kind(kind)}

    @property
    def agent(self) -> Body:
        return self.snapshot.agent

    @cached_property
    def default_language(self) -> str:
        code = self.agent.get("default_language_code")
        return code if isinstance(code, str) else "en"

    @cached_property
    def languages(self) -> list[str]:
        extra = self.agent.get("supported_language_codes")
        more = [c for c in extra if isinstance(c, str)] if isinstance(extra, list) else []
        return [self.default_language, *[c for c in more if c != self.default_language]]

    @cached_property
    def uses(self) -> Uses:
        uses = Uses()
        start = self.agent.get("start_flow")
        if isinstance(start, str):
            uses.flows.setdefault(start, (AGENT_KEY, ("start_flow",)))
        for key, body in self.resources:
            if key.kind in ("agent", "test_case"):
                continue  # a test case's expectations are not uses
            flow = (
                key.scope
                if key.kind in ("page", "flow_route_group")
                else key.name
                if key.kind == "flow"
                else ""
            )
            self._collect(uses, key, body, flow)
        return uses

    def _collect(self, uses: Uses, key: Key, body: Body, flow: str) -> None:
        container = key.kind in _CONTAINERS
        playbook = key.kind in ("playbook", "example")
        in_group = key.kind == "route_group"
        pages = uses.pages.setdefault(flow, set()) if container and not in_group else uses.agent_group_pages

        dollars = container or playbook  # where text() looks for $session.params. or ${FLOW:

        def text(value: str, path: FieldPath) -> None:
            if "@" in value:
                uses.entity_types.update(_ENTITY_REF.findall(value))
            if container and "$session.params." in value:
                for param in _SESSION_PARAM.findall(value):
                    uses.params_read.setdefault(param, []).append((key, path))
            if playbook and "${FLOW:" in value:
                for flow_name in _PLAYBOOK_FLOW.findall(value):
                    uses.flows.setdefault(flow_name, (key, path))

        translatable: list[tuple[FieldPath, dict[str, Any]]] = []

        # One recursive pass: a body is read once, whatever the rules look for.
        def scan(obj: dict[str, Any], path: FieldPath) -> None:
            if not LANGUAGE_FIELDS.isdisjoint(obj):
                translatable.append((path, obj))
            for name, value in obj.items():
                if isinstance(value, str):
                    if name not in _NAMING:
                        pass  # most texts: not a reference by their key
                    elif name == "target_page" and container:
                        pages.add(value)
                        uses.targets_of.setdefault(key, set()).add(value)
                    elif name == "target_flow":
                        uses.flows.setdefault(value, (key, (*path, name)))
                    elif name == "intent" and container:
                        uses.intents.setdefault(value, (key, (*path, name)))
                    elif name == "webhook":
                        uses.webhooks.setdefault(value, (key, (*path, name)))
                        if container and value:
                            uses.webhook_calls.setdefault(key, []).append((path, value))
                    elif name == "generator":
                        uses.generators.setdefault(value, (key, (*path, name)))
                    elif name == "parameter" and path[-2:-1] == ("set_parameter_actions",):
                        # A set-parameter action sets its parameter whatever its value, also
                        # with none (an export may leave out a value of "" or 0). Some agents
                        # name it as it is read, $session.params.x.
                        uses.params_set.add(value.removeprefix("$session.params."))
                    elif name == "flow" and playbook and path[-1:] == ("flow_invocation",):
                        uses.flows.setdefault(value, (key, (*path, name)))
                    if "@" in value or (dollars and "$" in value):
                        text(value, (*path, name))  # else it holds nothing text() looks for
                elif isinstance(value, dict):
                    scan(value, (*path, name))
                elif isinstance(value, list):
                    if name == "transition_route_groups" and key.kind in ("page", "flow"):
                        uses.flow_groups.setdefault(flow, set()).update(
                            v for v in value if isinstance(v, str)
                        )
                    elif name == "agent_transition_route_groups":
                        uses.agent_groups.update(v for v in value if isinstance(v, str))
                    items(value, (*path, name))

        def items(values: list[Any], path: FieldPath) -> None:
            if JOINED_TEXTS and values and isinstance(values[0], str):
                # A list of texts (an intent's phrases, a message's lines): looked at joined, in
                # one step, where only entity types can be in them (a set: order is no matter,
                # and no reference reaches across the newline).
                try:
                    block = "\n".join(values)
                except TypeError:
                    block = None
                if (
                    block is not None
                    and not (container and "$session.params." in block)
                    and not (playbook and "${FLOW:" in block)
                ):
                    if "@" in block:
                        uses.entity_types.update(_ENTITY_REF.findall(block))
                    return
            for i, value in enumerate(values):
                if isinstance(value, str):
                    if "@" in value or (dollars and "$" in value):
                        text(value, (*path, i))
                elif isinstance(value, dict):
                    scan(value, (*path, i))
                elif isinstance(value, list):
                    items(value, (*path, i))

        scan(body, ())
        if translatable:
            uses.translatable[key] = translatable
        if key.kind == "flow":
            # A flow's own routes are in scope on every page of the flow; its start page is its
            # entry, not a separate resource.
            uses.pages.setdefault(flow, set())
        forms = body.get("form")
        if isinstance(forms, dict):
            for p in forms.get("parameters") or []:
                if isinstance(p, dict) and isinstance(p.get("display_name"), str):
                    uses.params_set.add(p["display_name"])
        for p in body.get("parameters") or [] if key.kind == "intent" else []:
            if isinstance(p, dict) and isinstance(p.get("id"), str):
                uses.params_set.add(p["id"])
