"""Export-only content a pull through the API cannot see, kept from the tree it replaces.

The v3 API neither reads nor writes the keys an export holds beyond its fields
(``nlu_settings_list``, ``playback_interruption_settings: {}``, ...), so after an apply a pull
``--via list`` would drop them and rewrite files that nothing changed. A pull keeps them from
the current tree wherever the pulled content does not say otherwise: a key the pulled body
has wins, lists are matched item by item only when their lengths agree.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from typing import Any

from cxops.model import kinds as K
from cxops.model.proto import FREE_FORM, LANGUAGE_MAPS, V3
from cxops.model.snapshot import AGENT_KEY, Snapshot

# Export-only keys that carry what the API holds in another shape: a page's or flow's
# agent-level route groups (one list in the API), the flow of a test turn's page (its name).
STRUCTURAL = frozenset(
    {("Page", "agent_transition_route_groups"), ("Flow", "agent_transition_route_groups"), ("Page", "flow")}
)
# Language maps whose items the tree writes as lines or strings, not as messages.
LINES = frozenset(
    {
        (f"{V3}.Intent", "training_phrases"),
        (f"{V3}.EntityType", "excluded_phrases"),
        (f"{V3}.Generator", "prompt_text"),
    }
)


def keep_export_only(pulled: Snapshot, current: Snapshot, *, through_api: bool = False) -> None:
    """Put ``current``'s export-only content back into ``pulled``, resource by resource, and its
    content in languages the agent does not support (no API read returns it); and,
    ``through_api`` (read resource by resource, not exported), the resources of kinds only a
    package carries, which such a read cannot see."""
    languages = frozenset(pulled.languages()) if AGENT_KEY in pulled.resources else None
    if through_api:
        for kind in K.PACKAGE_ONLY:
            for key, body in current.of_kind(kind):
                pulled.add(key, copy.deepcopy(body))
    for key, body in list(pulled.resources.items()):
        old = current.resources.get(key)
        if old is None:
            continue
        pulled.resources[key] = merge_body(body, old, key.kind, languages)


def descriptor_of(kind: str) -> Any:
    """The message descriptor of a tree kind's body (generative settings: of one language's)."""
    return K.GENERATIVE_SETTINGS.descriptor if kind == "generative_settings" else K.KINDS[kind].descriptor


def extract(body: Any, desc: Any, languages: Collection[str] | None = None) -> Any:
    """Only the export-only content of a tree body, in the shape :func:`_merge` puts back, and
    (given the agent's ``languages``) all its content in any other language: the API serves
    neither ("languages must be enabled in the agent before they can be used", v3 requests'
    ``language_code``).

    Lists keep their length (``{}`` for an item with nothing export-only) so items match by
    position; ``None`` when the body has nothing beyond the API's fields.
    """
    if not isinstance(body, dict):
        return None
    out: dict[str, Any] = {}
    for name, item in body.items():
        fd = desc.fields_by_name.get(name)
        if fd is None:
            if (desc.name, name) not in STRUCTURAL:
                out[name] = copy.deepcopy(item)
            continue
        if fd.message_type is None or fd.message_type.full_name in FREE_FORM:
            continue
        if fd.message_type.GetOptions().map_entry or (desc.full_name, name) in LINES:
            continue
        if (desc.full_name, name) in LANGUAGE_MAPS and isinstance(item, dict):
            by_lang = {
                lang: copy.deepcopy(v)
                if languages is not None and lang not in languages
                else _extract_items(v, fd.message_type, languages)
                for lang, v in item.items()
            }
            sub: Any = {lang: v for lang, v in by_lang.items() if v is not None} or None
        else:
            sub = _extract_items(item, fd.message_type, languages)
        if sub is not None:
            out[name] = sub
    return out or None


def _extract_items(value: Any, desc: Any, languages: Collection[str] | None) -> Any:
    if isinstance(value, list):
        items = [extract(v, desc, languages) for v in value]
        return [{} if i is None else i for i in items] if any(i is not None for i in items) else None
    return extract(value, desc, languages)


def export_only_keys(held: Any, desc: Any) -> set[str]:
    """``Message.key`` of every export-only key in :func:`extract`'s result (for the list in docs/commands.md)."""
    out: set[str] = set()
    if not isinstance(held, dict):
        return out
    for name, item in held.items():
        fd = desc.fields_by_name.get(name)
        if fd is None:
            out.add(f"{desc.name}.{name}")
            continue
        values = (
            item.values() if (desc.full_name, name) in LANGUAGE_MAPS and isinstance(item, dict) else [item]
        )
        for value in values:
            for one in value if isinstance(value, list) else [value]:
                out |= export_only_keys(one, fd.message_type)
    return out


def merge_body(pulled: Any, old: Any, kind: str, languages: Collection[str] | None = None) -> Any:
    """``pulled`` with ``old``'s export-only content put back (``old`` may be :func:`extract`'s),
    and, given the agent's ``languages``, ``old``'s content in other languages where ``pulled``
    has none in them."""
    desc = descriptor_of(kind)
    if kind == "generative_settings":
        merged = {
            lang: _merge(b, old[lang], desc, languages) if isinstance(old, dict) and lang in old else b
            for lang, b in pulled.items()
        }
        if languages is not None and isinstance(old, dict):
            merged.update(
                (lang, copy.deepcopy(b))
                for lang, b in old.items()
                if lang not in languages and lang not in merged
            )
        return merged
    return _merge(pulled, old, desc, languages)


def _merge(pulled: Any, old: Any, desc: Any, languages: Collection[str] | None = None) -> Any:
    if not isinstance(pulled, dict) or not isinstance(old, dict):
        return pulled
    out = dict(pulled)
    changed = False
    for name, item in old.items():
        fd = desc.fields_by_name.get(name)
        if fd is None:
            if name not in out and (desc.name, name) not in STRUCTURAL:
                out[name] = copy.deepcopy(item)
                changed = True
            continue
        if fd.message_type is None or fd.message_type.full_name in FREE_FORM:
            continue
        if fd.message_type.GetOptions().map_entry or (desc.full_name, name) in LINES:
            continue
        here = out.get(name)
        if (desc.full_name, name) in LANGUAGE_MAPS and isinstance(item, dict):
            mine = here if isinstance(here, dict) else {}
            merged: Any = {
                lang: copy.deepcopy(v)
                if languages is not None and lang not in languages and lang not in mine
                else _items(mine.get(lang), v, fd.message_type, languages)
                for lang, v in item.items()
            }
            merged = {**mine, **{lang: v for lang, v in merged.items() if v not in (None, [], {})}}
        else:
            merged = _items(here, item, fd.message_type, languages)
        if merged not in (None, [], {}) and merged != here:
            out[name] = merged
            changed = True
    if not changed:
        return pulled
    order = {f.name: f.number for f in desc.fields}
    # Tree order: fields by number, then export-only keys sorted (as the codec writes them).
    return {k: out[k] for k in sorted(out, key=lambda k: (0, order[k], "") if k in order else (1, 0, k))}


def _items(here: Any, old: Any, desc: Any, languages: Collection[str] | None) -> Any:
    if isinstance(old, list):
        if not isinstance(here, list) or len(here) != len(old):
            return here
        return [_merge(h, o, desc, languages) for h, o in zip(here, old, strict=True)]
    return _merge({} if here is None else here, old, desc, languages) if isinstance(old, dict) else here
