"""One agent as the runtime reads it: the stand-in's stored resources in one language."""

from __future__ import annotations

import datetime
import re
from typing import Any

from google.protobuf import json_format

from cxops.fake.protoutil import Msg
from cxops.fake.runtime.entities import (
    EntityDef,
    Found,
    UnclockedDate,
    UnsupportedEntity,
    find_custom,
    find_system,
    longest_first,
    system_id,
)
from cxops.fake.runtime.nlu import IntentDef, Phrase
from cxops.fake.store import flow_of
from cxops.fake.versions import captured_entries

# An entry of a composite entity that is one reference to another entity type, with or without
# an alias: "@sys.number-sequence", "@sys.number:steps", "@direction:direction".
_REFERENCE = re.compile(r"@([\w.\-]+)(?::([\w\-]+))?")


def value_of(msg: Any) -> Any:
    """A protobuf Value/Struct as plain Python."""
    return json_format.MessageToDict(msg)


class AgentView:
    """``environment``: an environment's resource name, whose pinned flow versions replace the
    draft's flows (the frozen copies CreateVersion made) and whose webhook overrides replace
    the draft webhooks' URIs; '' for the draft."""

    def __init__(self, service: Any, agent: str, language: str, environment: str = "") -> None:
        self.service, self.agent, self.language = service, agent, language
        store = service.store
        self.agent_msg: Msg = store.entries[agent].base

        def load(parent: str, collection: str) -> dict[str, Msg]:
            return {e.name: service.view(e, language) for e in store.list(parent, collection)}

        self.flows = load(agent, "flows")
        self.pages: dict[str, Msg] = {}
        self.groups = load(agent, "transitionRouteGroups")
        for flow in self.flows:
            self.pages.update(load(flow, "pages"))
            self.groups.update(load(flow, "transitionRouteGroups"))
        self.webhooks = load(agent, "webhooks")
        if environment:
            self._serve(environment)
        self.intents: dict[str, IntentDef] = {}
        for name, msg in load(agent, "intents").items():
            self.intents[name] = IntentDef(
                name=name,
                display_name=str(msg.display_name),
                priority=int(msg.priority),
                is_fallback=bool(msg.is_fallback),
                phrases=[
                    Phrase([(str(p.text), str(p.parameter_id)) for p in tp.parts])
                    for tp in msg.training_phrases
                ],
                parameters={str(p.id): str(p.entity_type) for p in msg.parameters},
                is_list={str(p.id): bool(p.is_list) for p in msg.parameters},
            )
        self.entities: dict[str, EntityDef] = {}
        for name, msg in load(agent, "entityTypes").items():
            kind = type(msg).Kind.Name(msg.kind)
            self.entities[name] = EntityDef(
                name=str(msg.display_name),
                kind=kind,
                entities=[(str(e.value), [str(s) for s in e.synonyms]) for e in msg.entities],
                excluded=[str(x.value) for x in msg.excluded_phrases],
                open=bool(msg.enable_fuzzy_extraction) or int(msg.auto_expansion_mode) != 0,
            )
        self.today = datetime.date.today()
        # Whether ``today`` is the day the conversation happened. A test run's is its recording
        # day, which the stand-in knows only from the recording itself (Session.clocked).
        self.clocked = True

    def find(self, entity_type: str, text: str, reading: frozenset[str] = frozenset()) -> list[Found]:
        """``reading``: the composite entities this lookup is inside (a loop reads nothing)."""
        sys_id = system_id(entity_type)
        if sys_id is not None:
            found = find_system(sys_id, text, self.today)
            if not self.clocked and any(f.relative for f in found):
                raise UnclockedDate(found)
            return found
        entity = self.entities.get(entity_type)
        if entity is None:
            return []
        if entity.kind == "KIND_LIST" and any(_REFERENCE.fullmatch(v) for v, _ in entity.entities):
            return self._composite(entity, text, reading | {entity.name})
        return find_custom(entity, text)

    def _composite(self, entity: EntityDef, text: str, reading: frozenset[str]) -> list[Found]:
        """A list entity whose entries reference other entity types ("Composite entity: a special
        kind of list entity ... entries ... can also contain other entity types", entity options
        reference): an entry that is one reference ``@type`` takes that type's value, one
        ``@type:alias`` the object ``{alias: value}``. An entry mixing words and references is not
        modelled (UnsupportedEntity): which parts CX matched is not the runtime's to guess."""
        found: list[Found] = []
        for value, synonyms in entity.entities:
            for entry in {value, *synonyms}:
                ref = _REFERENCE.fullmatch(entry.strip())
                if ref is None:
                    if "@" in entry:
                        raise UnsupportedEntity(
                            f"composite entry {entry!r} of @{entity.name} is not modelled"
                        )
                    found += find_custom(
                        EntityDef(entity.name, "KIND_LIST", [(entry, [])], entity.excluded), text
                    )
                    continue
                target = ref.group(1)
                if target in reading:
                    continue  # a reference back into itself matches nothing new
                named = target if target.startswith("sys.") else self._named(target)
                for hit in self.find(named, text, reading):
                    out = {ref.group(2): hit.value} if ref.group(2) else hit.value
                    found.append(Found(hit.start, hit.end, out, hit.text, hit.relative, hit.days))
        return longest_first(found)

    def _named(self, display: str) -> str:
        return next((n for n, e in self.entities.items() if e.name == display), display)

    def open_ended(self, entity_type: str) -> bool:
        """Finding nothing of this type decides nothing: a system entity (CX's own grammar, of
        which the runtime models a subset of forms) or a custom one CX extends beyond its list."""
        sys_id = system_id(entity_type)
        if sys_id is not None:
            return sys_id != "sys.any"
        entity = self.entities.get(entity_type)
        return entity is not None and entity.open

    def display(self, name: str) -> str:
        for table in (self.flows, self.pages):
            if name in table:
                return str(table[name].display_name)
        if name in self.intents:
            return self.intents[name].display_name
        return name.rsplit("/", 1)[-1]

    def threshold(self, flow: str) -> float:
        settings = self.flows[flow].nlu_settings if flow in self.flows else None
        value = float(settings.classification_threshold) if settings is not None else 0.0
        return value or 0.3

    def _serve(self, environment: str) -> None:
        store = self.service.store
        env = store.entries[environment].base
        for config in env.version_configs:
            version = str(config.version)
            flow = flow_of(version)
            data = store.snapshots.get(version)
            if data is None:
                continue  # a version deleted under the environment: the check refuses that
            self.pages = {n: p for n, p in self.pages.items() if not n.startswith(f"{flow}/pages/")}
            self.groups = {
                n: g for n, g in self.groups.items() if not n.startswith(f"{flow}/transitionRouteGroups/")
            }
            for entry in captured_entries(data):
                view = self.service.view(entry, self.language)
                {"flows": self.flows, "pages": self.pages}.get(entry.kind.collection, self.groups)[
                    entry.name
                ] = view
        for hook in env.webhook_config.webhook_overrides:
            if str(hook.name) in self.webhooks and hook.HasField("generic_web_service"):
                served = type(self.webhooks[str(hook.name)])()
                served.CopyFrom(self.webhooks[str(hook.name)])
                served.generic_web_service.uri = hook.generic_web_service.uri
                self.webhooks[str(hook.name)] = served
