"""A normalized agent read from anywhere: a tree, a JSON package, a live agent, a git ref."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cxops.model.kinds import KINDS, ORDER

Body = dict[str, Any]


@dataclass(frozen=True, order=True)
class Key:
    """kind + scope + display name: a resource's identity across agents (never a UUID)."""

    kind: str
    scope: str
    name: str

    def __str__(self) -> str:
        scoped = f"{self.scope}/{self.name}" if self.scope else self.name
        # The agent's own settings have no name of their own: "agent", not "agent ".
        return f"{self.kind} {scoped}" if scoped else self.kind

    @property
    def sort_key(self) -> tuple[int, str, str]:
        return (ORDER.index(self.kind), self.scope, self.name)


def canonical_json(body: Any) -> bytes:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def body_hash(body: Any) -> str:
    """``sha256:`` of the canonical JSON: what plan hashes and content hashes are."""
    return "sha256:" + hashlib.sha256(canonical_json(body)).hexdigest()


@dataclass
class Snapshot:
    """Resources by key; the agent's own settings are the resource of kind ``agent``.

    Bodies are in tree form: proto field names in snake_case, references by display name,
    translatable content keyed by language, no server identity.
    """

    resources: dict[Key, Body] = field(default_factory=dict)
    # Where each resource was read from (a file of a tree or a package), for messages only.
    origins: dict[Key, str] = field(default_factory=dict, compare=False)

    def add(self, key: Key, body: Body) -> None:
        if key.kind not in KINDS:
            raise ValueError(f"unknown kind {key.kind!r}")
        self.resources[key] = body

    def __iter__(self) -> Iterator[tuple[Key, Body]]:
        for key in sorted(self.resources, key=lambda k: k.sort_key):
            yield key, self.resources[key]

    def of_kind(self, kind: str) -> list[tuple[Key, Body]]:
        return [(k, b) for k, b in self if k.kind == kind]

    @property
    def agent(self) -> Body:
        return self.resources.get(AGENT_KEY, {})

    def languages(self) -> list[str]:
        """The agent's languages, lower case: the default first, then the supported ones."""
        default = str(self.agent.get("default_language_code", "en")).lower()
        others = (str(c).lower() for c in self.agent.get("supported_language_codes", []))
        return [default, *(c for c in others if c != default)]

    def fingerprint(self) -> str:
        """sha256 over the canonical form of every resource, for plans and gates."""
        digest = hashlib.sha256()
        for key, body in self:
            digest.update(canonical_json([key.kind, key.scope, key.name, body]))
        return digest.hexdigest()


AGENT_KEY = Key("agent", "", "")
GENERATIVE_SETTINGS_KEY = Key("generative_settings", "", "")


def walk(
    value: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """Every mapping in a body, with its path, parents before children in document order.

    With a stack rather than nested generators: a deep body (a page's routes, fulfillments,
    conditional cases) costs one step per mapping, not one per mapping and level above it; and
    leaves (an intent's thousands of phrase lines) are never visited."""
    if not isinstance(value, (dict, list)):
        return
    stack: list[tuple[tuple[str | int, ...], Any]] = [(path, value)]
    while stack:
        here, node = stack.pop()
        if isinstance(node, dict):
            yield here, node
            children = [((*here, k), v) for k, v in node.items() if isinstance(v, (dict, list))]
        else:
            children = [((*here, i), v) for i, v in enumerate(node) if isinstance(v, (dict, list))]
        children.reverse()
        stack.extend(children)


def holding(
    value: dict[str, Any], keys: frozenset[str], path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """The mappings of a body that hold any of ``keys``, with their paths, in :func:`walk`'s
    order. For checks that look for a few keys: a recursion that tests each mapping with one
    set operation and yields only the few that match, several times cheaper than walking all
    of an L agent's 180,000 mappings."""
    found: list[tuple[tuple[str | int, ...], dict[str, Any]]] = []
    _holding(value, keys, path, found)
    return iter(found)


def _holding(
    obj: dict[str, Any],
    keys: frozenset[str],
    path: tuple[str | int, ...],
    found: list[tuple[tuple[str | int, ...], dict[str, Any]]],
) -> None:
    if not keys.isdisjoint(obj):
        found.append((path, obj))
    for name, value in obj.items():
        if isinstance(value, dict):
            _holding(value, keys, (*path, name), found)
        elif isinstance(value, list):
            _holding_items(value, keys, (*path, name), found)


def _holding_items(
    items: list[Any],
    keys: frozenset[str],
    path: tuple[str | int, ...],
    found: list[tuple[tuple[str | int, ...], dict[str, Any]]],
) -> None:
    for i, value in enumerate(items):
        if isinstance(value, dict):
            _holding(value, keys, (*path, i), found)
        elif isinstance(value, list):
            _holding_items(value, keys, (*path, i), found)
