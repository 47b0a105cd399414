"""Stage overrides (SPEC §3): values that differ per stage, by resource key and field path.

The desired state of a stage is its tree with its overrides put in; ``pull`` takes them out
again, so that a stage-specific value never reaches the tree.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxops.errors import ConfigError, CxopsError
from cxops.model import datastores
from cxops.model.snapshot import AGENT_KEY, GENERATIVE_SETTINGS_KEY, Key, Snapshot
from cxops.repo import yamlio

_FOLDER_KINDS = {
    "route-groups": "route_group",
    "intents": "intent",
    "entity-types": "entity_type",
    "webhooks": "webhook",
    "test-cases": "test_case",
    "generators": "generator",
    "tools": "tool",
}
MISSING = object()


def key_of(text: str) -> Key:
    """``webhooks/orders-api``, ``flows/Orders/pages/Ask Size``, ``agent`` … -> the resource key."""
    if text == "agent":
        return AGENT_KEY
    if text == "generative-settings":
        return GENERATIVE_SETTINGS_KEY
    folder, _, rest = text.partition("/")
    if folder == "flows":
        flow, _, sub = rest.partition("/")
        if not sub:
            return Key("flow", "", flow)
        kind, _, name = sub.partition("/")
        if kind in ("pages", "route-groups") and name:
            return Key("page" if kind == "pages" else "flow_route_group", flow, name)
    elif folder == "playbooks":
        playbook, _, sub = rest.partition("/")
        if not sub:
            return Key("playbook", "", playbook)
        kind, _, name = sub.partition("/")
        if kind == "examples" and name:
            return Key("example", playbook, name)
    elif folder in _FOLDER_KINDS and rest:
        return Key(_FOLDER_KINDS[folder], "", rest)
    raise ConfigError(
        f"override key {text!r} names no resource (e.g. webhooks/orders-api, flows/Orders/pages/Ask)"
    )


def field_path(text: str) -> tuple[str | int, ...]:
    return tuple(int(p) if p.isdigit() else p for p in text.split("."))


@dataclass(frozen=True)
class Override:
    key: Key
    path: tuple[str | int, ...]
    value: Any
    key_text: str
    where: str  # "overrides.<key>.<path>", for messages


def overrides_of(stage: Any) -> Iterator[Override]:
    raw: Mapping[str, Mapping[str, Any]] = stage.overrides
    for key_text, fields in raw.items():
        key = key_of(key_text)
        for path_text, value in fields.items():
            yield Override(key, field_path(path_text), value, key_text, f"overrides.{key_text}.{path_text}")


def get(body: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        if not _has(body, step):
            return MISSING
        body = body[step]
    return body


def _has(body: Any, step: str | int) -> bool:
    if isinstance(body, dict):
        return step in body
    return isinstance(body, list) and isinstance(step, int) and step < len(body)


def put(body: Any, path: tuple[str | int, ...], value: Any) -> None:
    for i, step in enumerate(path[:-1]):
        if isinstance(body, dict):
            if step not in body:
                body[step] = [] if isinstance(path[i + 1], int) else {}
            body = body[step]
        else:
            body = body[step]
    if value is MISSING:
        if isinstance(body, dict):
            body.pop(path[-1], None)
    else:
        body[path[-1]] = value


def apply(snapshot: Snapshot, stage: Any) -> Snapshot:
    """The stage's desired state: a copy of the tree with the stage's overrides put in."""
    # Only the overridden bodies are copied; the others are shared with the tree's snapshot.
    out = Snapshot(resources=dict(snapshot.resources), origins=dict(snapshot.origins))
    copied: set[Key] = set()
    for override in overrides_of(stage):
        body = out.resources.get(override.key)
        if body is not None and override.key not in copied:
            body = out.resources[override.key] = copy.deepcopy(body)
            copied.add(override.key)
        if body is None:
            raise ConfigError(
                f"{override.key} is not in agents/{stage.agent}",
                stage.location_of(("overrides", override.key_text)),
            )
        put(body, override.path, copy.deepcopy(override.value))
    ids: Mapping[str, str] = stage.data_stores
    if ids:
        referenced = datastores.ids_in(out)
        for tree_id in ids:
            if tree_id not in referenced:
                raise ConfigError(
                    f"agents/{stage.agent} references no data store {tree_id!r}",
                    stage.location_of(("data_stores", tree_id)),
                )
        datastores.swap(out, ids)
    return out


@dataclass(frozen=True)
class Kept:
    """A live value that is not the stage's override: a real change, kept in the tree."""

    key: Key
    where: str


def remove(live: Snapshot, stage: Any, tree: Snapshot | None) -> list[Kept]:
    """Take the stage's overrides out of a pulled snapshot, in place: where the live value is the
    override, the tree's own value goes back (or the field goes, if the tree has none)."""
    kept: list[Kept] = []
    for override in overrides_of(stage):
        body = live.resources.get(override.key)
        if body is None:
            continue
        if get(body, override.path) != override.value:
            kept.append(Kept(override.key, override.where))
            continue
        base = get(tree.resources.get(override.key, {}), override.path) if tree is not None else MISSING
        put(body, override.path, base if base is MISSING else copy.deepcopy(base))
    ids = stage.data_stores
    datastores.swap(live, {store: tree_id for tree_id, store in ids.items()})
    return kept


def keep_agent_name(live: Snapshot, tree_dir: Path) -> None:
    """The agent's display name is each stage's own ("Order Desk (stg)"): a pulled or compared
    stage keeps the tree's name (or none, if the tree has none), in place. Without a tree, the
    live name stays."""
    agent_file = tree_dir / "agent.yaml"
    if AGENT_KEY not in live.resources or not agent_file.is_file():
        return
    try:
        tree_agent = yamlio.load(agent_file.read_text(encoding="utf-8"), str(agent_file))
    except (OSError, UnicodeDecodeError, CxopsError):
        return  # a broken tree is reported by whoever reads it; the live name stays
    body = dict(live.resources[AGENT_KEY])
    name = tree_agent.get("display_name") if isinstance(tree_agent, dict) else None
    if isinstance(name, str):
        body["display_name"] = name
    else:
        body.pop("display_name", None)
    live.resources[AGENT_KEY] = body
