"""One agent as the runtime reads it: the stand-in's stored resources in one language."""

from __future__ import annotations

import datetime
from typing import Any

from google.protobuf import json_format

from cxops.fake.protoutil import Msg
from cxops.fake.runtime.entities import EntityDef, Found, find_custom, find_system, system_id
from cxops.fake.runtime.nlu import IntentDef, Phrase
from cxops.fake.store import flow_of
from cxops.fake.versions import captured_entries


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
        self.relative_dates = False

    def find(self, entity_type: str, text: str) -> list[Found]:
        sys_id = system_id(entity_type)
        if sys_id is not None:
            found = find_system(sys_id, text, self.today)
            # A date said relative to the day ("tomorrow", "friday"): its value depends on the clock.
            self.relative_dates = self.relative_dates or (
                sys_id == "sys.date" and any(not f.text[:1].isdigit() for f in found)
            )
            return found
        entity = self.entities.get(entity_type)
        return find_custom(entity, text) if entity is not None else []

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
