"""The stand-in's in-memory state: resources by name, their children in creation order, and
long-running operations. Saved to and loaded from one JSON file so processes can share it."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.cloud import dialogflowcx_v3 as cx
from google.longrunning import operations_pb2

from cxops.fake.kinds import KINDS, Kind
from cxops.fake.protoutil import Msg
from cxops.fake.translate import Parts

STATE_VERSION = 1
GENERATIVE_SETTINGS = "generativeSettings"


@dataclass
class Entry:
    """One stored resource: the base message and, per language, its translatable parts."""

    kind: Kind
    name: str
    base: Msg
    parts: dict[str, Parts] = field(default_factory=dict)

    @property
    def parent(self) -> str:
        return parent_of(self.name)


def parent_of(name: str) -> str:
    return name.rsplit("/", 2)[0]


def agent_of(name: str) -> str:
    """``projects/P/locations/L/agents/A`` of any name inside an agent ('' when there is none)."""
    segments = name.split("/")
    return "/".join(segments[:6]) if len(segments) >= 6 and segments[4] == "agents" else ""


def flow_of(name: str) -> str:
    """The flow a page, flow-level route group or version lives in (or the flow itself)."""
    segments = name.split("/")
    return "/".join(segments[:8]) if len(segments) >= 8 and segments[6] == "flows" else ""


class Store:
    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.children: dict[tuple[str, str], dict[str, None]] = {}
        self.generative_settings: dict[str, dict[str, bytes]] = {}  # agent -> language -> settings
        self.operations: dict[str, operations_pb2.Operation] = {}
        self.changelogs: dict[str, list[Msg]] = {}  # agent -> Changelog messages, oldest first
        self.snapshots: dict[str, bytes] = {}  # version -> its flow's content when it was created
        self.env_history: dict[str, list[bytes]] = {}  # environment -> its states, oldest first
        # resource name (an agent's generative settings: ``<agent>/generativeSettings``) -> what
        # RestoreAgent received beyond the API's fields, tree form (model.exportonly.extract).
        self.export_only: dict[str, Any] = {}

    def add(self, entry: Entry) -> None:
        self.entries[entry.name] = entry
        self.children.setdefault((entry.parent, entry.kind.collection), {})[entry.name] = None

    def remove(self, name: str) -> list[Entry]:
        """Remove a resource and everything under it; return what was removed."""
        removed: list[Entry] = []
        entry = self.entries.pop(name, None)
        if entry is None:
            return removed
        self.children.get((entry.parent, entry.kind.collection), {}).pop(name, None)
        removed.append(entry)
        for collection in KINDS:
            for child in list(self.children.pop((name, collection), {})):
                removed.extend(self.remove(child))
        self.generative_settings.pop(name, None)
        self.changelogs.pop(name, None)
        self.export_only.pop(name, None)
        self.export_only.pop(f"{name}/{GENERATIVE_SETTINGS}", None)
        return removed

    def keep_export_only(self, name: str, touched: set[str], language: str = "") -> None:
        """After an API update of ``touched`` fields: export-only content below them is gone.

        Top-level export-only keys stay, as no API write can reach them; what sits inside a field
        the update replaced belonged to the old value (a form parameter's ``description``).
        """
        held: dict[str, Any] | None = self.export_only.get(name)
        # Generative settings hold theirs per language, and an update writes one language.
        scope = held.get(language) if language and held is not None else held
        if not isinstance(held, dict) or not isinstance(scope, dict):
            return
        fields = {path.split(".", 1)[0] for path in touched}
        kept = {k: v for k, v in scope.items() if k not in fields}
        if language:
            kept = {**held, language: kept} if kept else {k: v for k, v in held.items() if k != language}
        if kept:
            self.export_only[name] = kept
        else:
            del self.export_only[name]

    def list(self, parent: str, collection: str) -> list[Entry]:
        return [self.entries[n] for n in self.children.get((parent, collection), {})]

    def subtree(self, name: str) -> set[str]:
        prefix = name + "/"
        return {n for n in self.entries if n == name or n.startswith(prefix)}

    # -- persistence -------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        def b64(data: bytes) -> str:
            return base64.b64encode(data).decode("ascii")

        state = {
            "version": STATE_VERSION,
            "entries": [
                {
                    "name": e.name,
                    "collection": e.kind.collection,
                    "base": b64(e.base.SerializeToString(deterministic=True)),
                    "parts": {lang: {k: b64(v) for k, v in p.items()} for lang, p in e.parts.items()},
                }
                for e in self.entries.values()
            ],
            "generative_settings": {
                agent: {lang: b64(v) for lang, v in by_lang.items()}
                for agent, by_lang in self.generative_settings.items()
            },
            "operations": [b64(op.SerializeToString(deterministic=True)) for op in self.operations.values()],
            "changelogs": {
                agent: [b64(e.SerializeToString(deterministic=True)) for e in entries]
                for agent, entries in self.changelogs.items()
            },
            "snapshots": {name: b64(data) for name, data in self.snapshots.items()},
            "env_history": {name: [b64(s) for s in states] for name, states in self.env_history.items()},
            "export_only": self.export_only,
        }
        # Write beside the target and rename, so a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(state, out)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Store:
        state = json.loads(path.read_text(encoding="utf-8"))
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"{path}: not a cxops fake state file (version {state.get('version')!r})")
        store = cls()
        raw = base64.b64decode
        for item in state["entries"]:
            kind = KINDS[item["collection"]]
            base = kind.message.FromString(raw(item["base"]))
            parts = {lang: {k: raw(v) for k, v in p.items()} for lang, p in item["parts"].items()}
            store.add(Entry(kind=kind, name=item["name"], base=base, parts=parts))
        store.generative_settings = {
            agent: {lang: raw(v) for lang, v in by_lang.items()}
            for agent, by_lang in state["generative_settings"].items()
        }
        for data in state["operations"]:
            op = operations_pb2.Operation.FromString(raw(data))
            store.operations[op.name] = op
        changelog = cx.Changelog.pb()
        store.changelogs = {
            agent: [changelog.FromString(raw(e)) for e in entries]
            for agent, entries in state.get("changelogs", {}).items()
        }
        store.snapshots = {name: raw(data) for name, data in state.get("snapshots", {}).items()}
        store.env_history = {
            name: [raw(s) for s in states] for name, states in state.get("env_history", {}).items()
        }
        store.export_only = state.get("export_only", {})
        return store
