"""Changes to where a credential goes or where it comes from: the ones a reviewer must not miss.

A stage's secrets are written into the live agent (a webhook's header, password or OAuth client
secret; a tool's API key) and sent by CX to wherever that resource points. A plan that re-points
such a resource, adds a credential to it, or changes where a credential's value is read from
can turn an ordinary-looking merge into an exfiltration. Such a plan is marked in every
renderer and needs an approval by someone other than its author on every stage, protected or
not (:func:`cxops.core.gate.check_approvals`).
"""

from __future__ import annotations

from collections.abc import Mapping

from cxops.core.diff import Diff, FieldChange
from cxops.model import secrets
from cxops.model.snapshot import Key, Snapshot

# Fields that decide where a resource sends its credentials (webhooks and OpenAPI tools).
_DESTINATIONS = ("uri", "token_endpoint", "text_schema", "service", "allowed_ca_certs")


def _where(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)


def _is_destination(path: tuple[str | int, ...]) -> bool:
    return any(isinstance(step, str) and step in _DESTINATIONS for step in path)


def _under_slot(path: tuple[str | int, ...], slot_paths: list[tuple[str | int, ...]]) -> bool:
    return any(path[: len(slot)] == slot or slot[: len(path)] == path for slot in slot_paths)


def notes(
    live: Snapshot,
    desired: Snapshot,
    diff: Diff,
    sources_changed: Mapping[str, str],
    *,
    bootstrap: bool = False,
) -> tuple[str, ...]:
    """One line per security-relevant change, in a stable order.

    ``sources_changed``: placeholder name -> its new source, for secrets whose source differs
    from the one the stage's last apply used. ``bootstrap``: live holds only what CX creates
    with every agent, so every resource is new — the first deployment of a stage is reviewed
    as a whole (a protected stage needs its approvals anyway), not marked resource by resource."""
    slots_by_key: dict[Key, list[secrets.SecretSlot]] = {}
    for snapshot in (live, desired):
        for slot in secrets.slots(snapshot):
            slots_by_key.setdefault(slot.key, []).append(slot)
    out: list[str] = []
    for change in diff.changes:
        held = slots_by_key.get(change.key)
        if not held or change.op == "remove":
            continue
        names = sorted({s.name for s in held})
        if change.op == "add":
            if bootstrap:
                continue
            out.append(f"{change.key}: new, sends {', '.join(names)}")
            continue
        slot_paths = [s.path for s in held]
        for field in change.fields:
            note = _field_note(change.key, field, slot_paths, names)
            if note:
                out.append(note)
    out.extend(
        f"secret {name}: now read from {source} (another source than the last apply's)"
        for name, source in sorted(sources_changed.items())
    )
    return tuple(dict.fromkeys(out))


def _field_note(
    key: Key, field: FieldChange, slot_paths: list[tuple[str | int, ...]], names: list[str]
) -> str | None:
    where = _where(field.path)
    if _is_destination(field.path):
        return f"{key}: {where} changed, and it sends {', '.join(names)}"
    if _under_slot(field.path, slot_paths) and field.op in ("set", "added"):
        return f"{key}: new credential field {where}"
    return None
