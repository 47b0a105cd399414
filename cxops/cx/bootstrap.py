"""Write a whole snapshot into an agent: RestoreAgent in the stand-in, ``apply --via``-style
bootstrapping, and tests that build real agents through the client.

Order (SPEC §5): agent languages first, then entity types, webhooks, intents, generators,
tools, playbooks; route groups, flows and pages as shells, then filled (they refer to each
other); examples and test cases; the agent's start flow and generative settings last. Every
translatable resource is written in the default language, then once per other language with
an update mask of just its translatable fields. CX's fixed resources are updated, never created.
"""

from __future__ import annotations

from typing import Any, Protocol

from google.cloud import dialogflowcx_v3 as cx

from cxops.model import kinds as K
from cxops.model.snapshot import Body, Key, Snapshot
from cxops.package import desired
from cxops.package.writer import (
    DEFAULT_NEGATIVE_INTENT,
    DEFAULT_START_FLOW,
    DEFAULT_WELCOME_INTENT,
    start_flow_name,
)

SHELLS = ("flow", "page", "flow_route_group", "route_group")
FULL_FIRST = ("entity_type", "webhook", "intent", "generator", "tool", "playbook")
AFTER = ("example", "test_case")


class Writer(Protocol):
    """Create and update calls, whether through the client or inside the stand-in."""

    def create(self, key: Key, parent: str, message: Any, language: str) -> str: ...

    def update(self, key: Key, message: Any, language: str, mask: list[str] | None) -> None: ...

    def update_agent(self, message: Any, mask: list[str] | None) -> None: ...

    def update_generative_settings(self, message: Any) -> None: ...


def _shell(key: Key, body: Body) -> Body:
    return {"display_name": body.get("display_name", key.name)}


def write_snapshot(snapshot: Snapshot, writer: Writer, agent: str) -> desired.Names:
    """Write every resource of the snapshot into ``agent`` (which has only CX's defaults)."""
    names = desired.Names(agent)
    languages = desired.languages_of(snapshot)
    default = languages[0]
    start = start_flow_name(snapshot)
    if any(k.kind == "flow" and k.name == start for k, _ in snapshot):
        names.by_key[Key("flow", "", start)] = f"{agent}/flows/{DEFAULT_START_FLOW}"
    fixed_intents = {
        "Default Welcome Intent": DEFAULT_WELCOME_INTENT,
        "Default Negative Intent": DEFAULT_NEGATIVE_INTENT,
    }
    for name, rid in fixed_intents.items():
        if Key("intent", "", name) in snapshot.resources:
            names.by_key[Key("intent", "", name)] = f"{agent}/intents/{rid}"

    agent_body = {k: v for k, v in snapshot.agent.items() if k not in ("start_flow", "start_playbook")}
    settings = desired.message(Key("agent", "", ""), agent_body, default, names)
    writer.update_agent(settings, sorted(f.name for f, _ in settings.ListFields()))

    def put(key: Key, body: Body) -> None:
        """Create (or, for a fixed resource, update) in the default language, then the others."""
        msg = desired.message(key, body, default, names)
        if key in names.by_key:
            msg.name = names.by_key[key]
            writer.update(key, msg, default, None)
        else:
            names.by_key[key] = writer.create(key, names.parent(key), msg, default)
        translate(key, body)

    def translate(key: Key, body: Body) -> None:
        fields = desired.TRANSLATED_FIELDS.get(key.kind)
        if not fields:
            return
        descriptor = K.KINDS[key.kind].descriptor
        for language in languages[1:]:
            if desired.has_language(body, descriptor, language):
                msg = desired.message(key, body, language, names)
                msg.name = names.by_key[key]
                writer.update(key, msg, language, [f for f in fields if f in body])

    for kind in FULL_FIRST:
        for key, body in snapshot.of_kind(kind):
            if kind == "playbook":
                # Playbooks may name each other and flows; those are output-only in the API.
                body = {
                    k: v for k, v in body.items() if k not in ("referenced_playbooks", "referenced_flows")
                }
            put(key, body)
    for kind in SHELLS:
        for key, body in snapshot.of_kind(kind):
            if key in names.by_key:
                continue
            shell = desired.message(key, _shell(key, body), default, names)
            names.by_key[key] = writer.create(key, names.parent(key), shell, default)
    for kind in SHELLS:
        for key, body in snapshot.of_kind(kind):
            msg = desired.message(key, body, default, names)
            msg.name = names.by_key[key]
            writer.update(key, msg, default, None)
            translate(key, body)
    for kind in AFTER:
        for key, body in snapshot.of_kind(kind):
            put(key, body)
    starts = {k: v for k, v in snapshot.agent.items() if k in ("start_flow", "start_playbook")}
    if starts:
        writer.update_agent(desired.message(Key("agent", "", ""), starts, default, names), sorted(starts))
    for _, settings in snapshot.of_kind("generative_settings"):
        for language, body in settings.items():
            writer.update_generative_settings(desired.settings_message(agent, language, body))
    return names


# Client methods and request fields per kind, for writing through the real client.
_CALLS = {
    "flow": ("flows", "flow", "Flow"),
    "page": ("pages", "page", "Page"),
    "flow_route_group": ("transition_route_groups", "transition_route_group", "TransitionRouteGroup"),
    "route_group": ("transition_route_groups", "transition_route_group", "TransitionRouteGroup"),
    "intent": ("intents", "intent", "Intent"),
    "entity_type": ("entity_types", "entity_type", "EntityType"),
    "webhook": ("webhooks", "webhook", "Webhook"),
    "test_case": ("test_cases", "test_case", "TestCase"),
    "generator": ("generators", "generator", "Generator"),
    "playbook": ("playbooks", "playbook", "Playbook"),
    "example": ("examples", "example", "Example"),
    "tool": ("tools", "tool", "Tool"),
}


class SessionWriter:
    """Writes through the real client, within the session's limits and retries."""

    def __init__(self, session: Any, agent: str) -> None:
        self.session = session
        self.agent = agent

    def _request(self, verb: str, key: Key, fields: dict[str, Any], language: str) -> tuple[Any, Any]:
        attr, field, singular = _CALLS[key.kind]
        cls = getattr(cx, f"{verb}{singular}Request")
        if "language_code" in cls.pb().DESCRIPTOR.fields_by_name:
            fields["language_code"] = language
        method = getattr(getattr(self.session, attr), f"{verb.lower()}_{field}")
        return method, cls.pb()(**fields)

    def create(self, key: Key, parent: str, message: Any, language: str) -> str:
        method, request = self._request(
            "Create", key, {"parent": parent, _CALLS[key.kind][1]: message}, language
        )
        return str(self.session.call(method, request, write=True).name)

    def update(self, key: Key, message: Any, language: str, mask: list[str] | None) -> None:
        fields: dict[str, Any] = {_CALLS[key.kind][1]: message}
        if key.kind == "test_case" and mask is None:
            mask = sorted(f.name for f, _ in message.ListFields() if f.name != "name")
        if mask is not None:
            fields["update_mask"] = {"paths": mask}
        method, request = self._request("Update", key, fields, language)
        self.session.call(method, request, write=True)

    def delete(self, key: Key, name: str) -> None:
        """Delete, forced where the API offers it: whatever still refers to it is being deleted
        too (apply updates every referrer that stays before it deletes anything)."""
        if key.kind == "test_case":  # test cases are deleted in batches only
            request = cx.BatchDeleteTestCasesRequest(parent=self.agent, names=[name])
            self.session.call(self.session.test_cases.batch_delete_test_cases, request, write=True)
            return
        attr, field, singular = _CALLS[key.kind]
        cls = getattr(cx, f"Delete{singular}Request").pb()
        fields: dict[str, Any] = {"name": name}
        if "force" in cls.DESCRIPTOR.fields_by_name:
            fields["force"] = True
        method = getattr(getattr(self.session, attr), f"delete_{field}")
        self.session.call(method, cls(**fields), write=True)

    def update_agent(self, message: Any, mask: list[str] | None) -> None:
        message.name = self.agent
        request = cx.UpdateAgentRequest.pb()(agent=message)
        if mask is not None:
            request.update_mask.paths.extend(mask)
        self.session.call(self.session.agents.update_agent, request, write=True)

    def update_generative_settings(self, message: Any) -> None:
        request = cx.UpdateGenerativeSettingsRequest.pb()(generative_settings=message)
        self.session.call(self.session.agents.update_generative_settings, request, write=True)
