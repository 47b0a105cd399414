"""References between resources: where they are, which kind they point at, and their cleanup.

The real service checks that references resolve when a resource is written, refuses to delete
a referenced resource unless ``force`` is set, and with ``force`` removes the references.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import FieldDescriptor

from cxops.fake.protoutil import Msg, is_repeated
from cxops.model import proto
from cxops.model.proto import V3

# (message type, field) -> the collection the field's value names.
REFERENCE_FIELDS: dict[tuple[str, str], str] = {
    (f"{V3}.TransitionRoute", "intent"): "intents",
    (f"{V3}.TransitionRoute", "target_page"): "pages",
    (f"{V3}.TransitionRoute", "target_flow"): "flows",
    (f"{V3}.EventHandler", "target_page"): "pages",
    (f"{V3}.EventHandler", "target_flow"): "flows",
    (f"{V3}.EventHandler", "target_playbook"): "playbooks",
    (f"{V3}.KnowledgeConnectorSettings", "target_page"): "pages",
    (f"{V3}.KnowledgeConnectorSettings", "target_flow"): "flows",
    (f"{V3}.Fulfillment", "webhook"): "webhooks",
    (f"{V3}.Fulfillment.GeneratorSettings", "generator"): "generators",
    (f"{V3}.Page", "transition_route_groups"): "transitionRouteGroups",
    (f"{V3}.Flow", "transition_route_groups"): "transitionRouteGroups",
    (f"{V3}.Form.Parameter", "entity_type"): "entityTypes",
    (f"{V3}.Intent.Parameter", "entity_type"): "entityTypes",
    (f"{V3}.Agent", "start_flow"): "flows",
    (f"{V3}.Agent", "start_playbook"): "playbooks",
    (f"{V3}.Playbook", "referenced_tools"): "tools",
    (f"{V3}.ToolUse", "tool"): "tools",
    (f"{V3}.PlaybookInvocation", "playbook"): "playbooks",
    (f"{V3}.FlowInvocation", "flow"): "flows",
    (f"{V3}.TestConfig", "flow"): "flows",
    (f"{V3}.TestConfig", "page"): "pages",
    (f"{V3}.Environment.VersionConfig", "version"): "versions",
}

SYSTEM_ENTITY_PREFIX = proto.SYSTEM_ENTITY_PREFIX + "sys."


@dataclass
class Ref:
    """One reference found in a message, with what is needed to remove it."""

    owner: Msg  # the message holding the field
    field: str
    index: int | None  # position in a repeated field
    value: str
    collection: str
    path: list[tuple[Msg, str, int | None]]  # the chain of containers down to ``owner``


def _fields(desc: object) -> list[FieldDescriptor]:
    return list(getattr(desc, "fields", []))


@functools.cache
def _may_refer(type_name: str, descriptor: Any) -> bool:
    """Whether messages of this type can hold a reference at any depth (training phrases cannot).

    Skipping the types that cannot keeps reference checks proportional to what may refer.
    """
    return _search(descriptor, set())


def _search(descriptor: Any, seen: set[str]) -> bool:
    name = descriptor.full_name
    if name in seen or name.startswith("google.protobuf.") or descriptor.GetOptions().map_entry:
        return False
    seen.add(name)
    for field in descriptor.fields:
        if (name, field.name) in REFERENCE_FIELDS:
            return True
        if field.type == field.TYPE_MESSAGE and _search(field.message_type, seen):
            return True
    return False


def references(msg: Msg) -> Iterator[Ref]:
    """Every reference set in ``msg``, depth first, in field order."""
    yield from _walk(msg, [])


def _walk(msg: Msg, path: list[tuple[Msg, str, int | None]]) -> Iterator[Ref]:
    type_name = msg.DESCRIPTOR.full_name
    for field, value in msg.ListFields():
        ref_kind = REFERENCE_FIELDS.get((type_name, field.name))
        if ref_kind is not None:
            if is_repeated(field):
                for i, item in enumerate(value):
                    yield Ref(msg, field.name, i, str(item), ref_kind, path)
            else:
                yield Ref(msg, field.name, None, str(value), ref_kind, path)
            continue
        if field.type != field.TYPE_MESSAGE or not _may_refer(
            field.message_type.full_name, field.message_type
        ):
            continue
        if is_repeated(field):
            for i, item in enumerate(value):
                yield from _walk(item, [*path, (msg, field.name, i)])
        else:
            yield from _walk(value, [*path, (msg, field.name, None)])


def remove(ref: Ref) -> None:
    """Remove one reference the way a forced delete does.

    A deleted entity type turns the page form parameters that use it into ``@sys.any`` and takes
    the intent parameters that use it with it (DeleteEntityTypeRequest.force); a webhook leaves
    its tag behind empty; generator settings and list entries disappear; targets are cleared.
    """
    if ref.collection == "entityTypes" and ref.owner.DESCRIPTOR.full_name == f"{V3}.Form.Parameter":
        ref.owner.entity_type = SYSTEM_ENTITY_PREFIX + "any"
        return
    if ref.collection == "entityTypes" and ref.path:
        holder, field, index = ref.path[-1]
        if index is not None:
            del getattr(holder, field)[index]
            return
    if ref.collection == "generators" and ref.path:
        holder, field, index = ref.path[-1]
        if index is not None:
            del getattr(holder, field)[index]
            return
    if ref.index is not None:
        del getattr(ref.owner, ref.field)[ref.index]
        return
    ref.owner.ClearField(ref.field)
    if ref.collection == "webhooks" and "tag" in ref.owner.DESCRIPTOR.fields_by_name:
        ref.owner.ClearField("tag")
