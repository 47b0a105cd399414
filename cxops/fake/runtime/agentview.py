"""One agent as the runtime reads it: the stand-in's stored resources in one language."""

from __future__ import annotations

import datetime
from typing import Any

from google.protobuf import json_format

from cxops.fake.protoutil import Msg
from cxops.fake.runtime.entities import EntityDef, Found, find_custom, find_system, system_id
from cxops.fake.runtime.nlu import IntentDef, Phrase


def value_of(msg: Any) -> Any:
    """A protobuf Value/Struct as plain Python."""
    return json_format.MessageToDict(msg)


class AgentView:
    def __init__(self, service: Any, agent: str, language: str) -> None:
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
            )
        self.today = datetime.date.today()

    def find(self, entity_type: str, text: str) -> list[Found]:
        sys_id = system_id(entity_type)
        if sys_id is not None:
            return find_system(sys_id, text, self.today)
        entity = self.entities.get(entity_type)
        return find_custom(entity, text) if entity is not None else []

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
