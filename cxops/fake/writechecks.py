"""The checks a write passes before the stand-in stores it: required fields, content, unique
display names and references; and who refers to a resource about to go.

Functions of the store, so the service's create, update and delete share them.
"""

from __future__ import annotations

import grpc

from cxops.fake import refs as refmod
from cxops.fake.kinds import SPECIAL_PAGES, Kind
from cxops.fake.protoutil import Msg, is_repeated
from cxops.fake.rpcerrors import RpcFailure, invalid
from cxops.fake.store import Entry, Store, agent_of, flow_of


def check_required(kind: Kind, msg: Msg) -> None:
    for field in kind.required:
        desc = msg.DESCRIPTOR.fields_by_name[field]
        if desc.type == desc.TYPE_MESSAGE and not is_repeated(desc):
            present = msg.HasField(field)
        else:  # scalars, enums (0 is unspecified) and repeated fields (empty is missing)
            present = bool(getattr(msg, field))
        if not present:
            raise invalid(f"{kind.singular}.{field} is required.")
    check_content(kind, msg)


def check_content(kind: Kind, msg: Msg) -> None:
    if kind.collection == "intents":
        for param in msg.parameters:
            if not param.id or not param.entity_type:
                raise invalid("Intent.parameters need an id and an entity_type.")
        for phrase in msg.training_phrases:
            if not phrase.parts:
                raise invalid("Intent.training_phrases[].parts is required.")
            for part in phrase.parts:
                if not part.text:
                    raise invalid("Intent.training_phrases[].parts[].text is required.")
            # A part may annotate a parameter the intent does not declare: a real export
            # holds one (CX stored it), so it is accepted; `cxops lint` is where it belongs.
    elif kind.collection == "entityTypes":
        for entity in msg.entities:
            if not entity.value:
                raise invalid("EntityType.entities[].value is required.")
        for phrase in msg.excluded_phrases:
            if not phrase.value:
                raise invalid("EntityType.excluded_phrases[].value is required.")
    elif kind.collection == "pages":
        for param in msg.form.parameters:
            if not param.display_name or not param.entity_type:
                raise invalid("Page.form.parameters need a display_name and an entity_type.")
    elif (
        kind.collection == "webhooks"
        and msg.HasField("generic_web_service")
        and not msg.generic_web_service.uri
    ):
        raise invalid("Webhook.generic_web_service.uri is required.")
    if kind.collection in ("flows", "pages", "transitionRouteGroups"):
        for route in msg.transition_routes:
            if not route.intent and not route.condition:
                raise invalid("A transition route needs an intent or a condition.")
        for handler in getattr(msg, "event_handlers", ()):
            if not handler.event:
                raise invalid("EventHandler.event is required.")


def check_unique(store: Store, kind: Kind, parent: str, msg: Msg, own_name: str = "") -> None:
    if kind.collection in ("versions",):
        return
    display = str(msg.display_name)
    for other in store.list(parent, kind.collection):
        if other.name != own_name and other.base.display_name == display:
            raise RpcFailure(
                grpc.StatusCode.ALREADY_EXISTS,
                f"A {kind.singular} with display name {display!r} already exists in {parent}.",
            )


def check_refs(store: Store, msg: Msg, owner: str) -> None:
    agent = agent_of(owner)
    own_flow = flow_of(owner)
    for ref in refmod.references(msg):
        value = ref.value
        where = f"{msg.DESCRIPTOR.name}.{ref.field}"
        if ref.collection == "entityTypes" and (
            value.startswith(refmod.SYSTEM_ENTITY_PREFIX) or value.startswith(f"{agent}/entityTypes/sys.")
        ):
            continue
        if not value.startswith(agent + "/"):
            raise invalid(f"{where} {value!r} does not name a resource of agent {agent}.")
        if ref.collection == "tools" and value.startswith(f"{agent}/tools/df-"):
            continue  # built-in tools (df-code-interpreter-tool, …) exist in every agent
        if ref.collection == "pages":
            flow, _, page_id = value.rpartition("/pages/")
            if not own_flow and flow == f"{agent}/flows/-" and page_id in SPECIAL_PAGES:
                continue  # an agent-level route group targets special pages of whatever flow is current
            if own_flow and flow != own_flow:
                raise invalid(f"{where} {value!r} is a page of another flow; targets must be in {own_flow}.")
            if flow not in store.entries:
                raise invalid(f"{where} {value!r}: flow not found.")
            if page_id in SPECIAL_PAGES:
                continue
        if (
            ref.collection == "transitionRouteGroups"
            and value.startswith(f"{agent}/flows/")
            and flow_of(value) != own_flow
        ):
            raise invalid(f"{where} {value!r} is a route group of another flow.")
        target = store.entries.get(value)
        if target is None and msg.DESCRIPTOR.name == "Example" and ref.collection in ("tools", "playbooks"):
            # An example records a past conversation: a real export holds one whose tool is
            # gone from the agent (CX stored it), so the stand-in keeps it as it stands.
            continue
        if target is None or target.kind.collection != ref.collection:
            raise invalid(f"{where} {value!r} not found.")


def referrers(store: Store, doomed: set[str], agent: str) -> list[tuple[Entry, refmod.Ref]]:
    found: list[tuple[Entry, refmod.Ref]] = []
    prefix = agent + "/"
    for entry in store.entries.values():
        if entry.name in doomed or not entry.name.startswith(prefix):
            continue
        for ref in refmod.references(entry.base):
            if ref.value in doomed:
                found.append((entry, ref))
    return found
