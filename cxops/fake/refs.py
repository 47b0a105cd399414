"""References between resources: where they are, which kind they point at, and their cleanup.

The real service checks that references resolve when a resource is written, refuses to delete
a referenced resource unless ``force`` is set, and with ``force`` removes the references.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from google.protobuf.descriptor import FieldDescriptor

from cxops.fake.protoutil import Msg, is_repeated
from cxops.model import proto
from cxops.model import references as table
from cxops.model.proto import V3
from cxops.package.desired import COLLECTION

# (message type, field) -> the collection the field's value names: every reference field of
# the v3 API (cxops/model/references.py).
REFERENCE_FIELDS: dict[tuple[str, str], str] = {
    row.key: COLLECTION.get(row.target, f"{row.target}s") for row in table.ROWS
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
        if field.type != field.TYPE_MESSAGE or not table.may_refer(field.message_type):
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
