"""Per-language storage of translatable fields.

A stored resource is a *base* message (translatable fields cleared) plus, per language, the
serialized translatable parts keyed by slot. Reading in a language merges that language's parts
into a copy of the base; writing splits a full view into base and parts again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

from cxops.fake.protoutil import Msg, is_repeated
from cxops.model.translatable import Slot

Parts = dict[str, bytes]


def _element_key(element: Msg) -> str:
    fields = element.DESCRIPTOR.fields_by_name
    return str(element.name) if "name" in fields else str(element.display_name)


def _containers(msg: Msg, steps: tuple[str, ...], prefix: str) -> Iterator[tuple[str, Msg]]:
    if not steps:
        yield prefix, msg
        return
    step, rest = steps[0], steps[1:]
    if step.endswith("[]"):
        field = step[:-2]
        for element in getattr(msg, field):
            yield from _containers(element, rest, f"{prefix}{field}[{_element_key(element)}].")
    elif msg.HasField(step):
        yield from _containers(getattr(msg, step), rest, f"{prefix}{step}.")


def slots(msg: Msg, spec: tuple[Slot, ...]) -> Iterator[tuple[str, Msg, tuple[str, ...]]]:
    """Every translatable container present in ``msg``: (slot key, container, its translatable fields)."""
    for steps, fields in spec:
        for key, container in _containers(msg, steps, ""):
            yield key + "|".join(fields), container, fields


def split(view: Msg, spec: tuple[Slot, ...]) -> tuple[Msg, Parts]:
    """A full view in one language -> (base without translatable fields, that language's parts)."""
    base = type(view)()
    base.CopyFrom(view)
    parts: Parts = {}
    for key, container, fields in slots(base, spec):
        part = type(container)()
        for name in fields:
            field = container.DESCRIPTOR.fields_by_name[name]
            if is_repeated(field):
                getattr(part, name).extend(getattr(container, name))
            elif container.HasField(name):
                getattr(part, name).CopyFrom(getattr(container, name))
            container.ClearField(name)
        data = part.SerializeToString(deterministic=True)
        if data:
            parts[key] = data
    return base, parts


def merge(base: Msg, parts: Parts, spec: tuple[Slot, ...]) -> Msg:
    """Base plus one language's parts -> the view in that language."""
    view = type(base)()
    view.CopyFrom(base)
    if parts:
        for key, container, _ in slots(view, spec):
            data = parts.get(key)
            if data:
                container.MergeFromString(data)
    return view


def prune(parts: Parts, base: Msg, spec: tuple[Slot, ...]) -> Parts:
    """Drop a language's parts whose element no longer exists in the base."""
    live = {key for key, _, _ in slots(base, spec)}
    return {key: data for key, data in parts.items() if key in live}


def _signature(element: Msg) -> tuple[str, ...]:
    return tuple(
        str(getattr(element, f, ""))
        for f in ("intent", "condition", "event", "target_page", "target_flow", "target_playbook")
        if f in element.DESCRIPTOR.fields_by_name
    )


def assign_ids(new: Msg, old: Msg | None, spec: tuple[Slot, ...], new_id: Callable[[], str]) -> None:
    """Give output-only ids to list elements (routes, handlers) that have none.

    An element without an id takes the id of an old element with the same intent, condition,
    event and target (first unused one, in order), so that a write in one language keeps the
    other languages' content of the elements it did not change.
    """
    for steps, _ in spec:
        _assign(new, old, steps, new_id)


def _assign(new: Msg, old: Msg | None, steps: tuple[str, ...], new_id: Callable[[], str]) -> None:
    for i, step in enumerate(steps):
        if not step.endswith("[]"):
            if not new.HasField(step):
                return
            new = getattr(new, step)
            old = getattr(old, step) if old is not None and old.HasField(step) else None
            continue
        field = step[:-2]
        new_items = list(getattr(new, field))
        old_items = list(getattr(old, field)) if old is not None else []
        if not new_items:
            return
        keyed_by_name = "name" in new_items[0].DESCRIPTOR.fields_by_name
        if keyed_by_name:
            used = {str(e.name) for e in new_items if e.name}
            free = [e for e in old_items if e.name not in used]
            taken = used | {str(e.name) for e in old_items}
            for element in new_items:
                if element.name:
                    continue
                sig = _signature(element)
                match = next((e for e in free if _signature(e) == sig), None)
                if match is not None:
                    free.remove(match)
                    element.name = match.name
                else:
                    # Never an id another element holds (a seeded generator replays after a restart).
                    element.name = new_id()
                    while element.name in taken:
                        element.name = new_id()
                    taken.add(element.name)
        rest = steps[i + 1 :]
        if rest:
            old_by_key = {_element_key(e): e for e in old_items}
            for element in new_items:
                _assign(element, old_by_key.get(_element_key(element)), rest, new_id)
        return


def random_id() -> str:
    return str(uuid.uuid4())
