"""Export-only content a pull through the API cannot see, kept from the tree it replaces.

The v3 API neither reads nor writes the keys an export holds beyond its fields
(``nlu_settings_list``, ``playback_interruption_settings: {}``, ...), so after an apply a pull
``--via list`` would drop them and rewrite files that nothing changed. A pull keeps them from
the current tree wherever the pulled content does not say otherwise: a key the pulled body
has wins, lists are matched item by item only when their lengths agree.
"""

from __future__ import annotations

import copy
from typing import Any

from cxops.core.validate import LINES, STRUCTURAL
from cxops.model import kinds as K
from cxops.model.proto import FREE_FORM, LANGUAGE_MAPS
from cxops.model.snapshot import Snapshot


def keep_export_only(pulled: Snapshot, current: Snapshot) -> None:
    """Put ``current``'s export-only content back into ``pulled``, resource by resource."""
    for key, body in list(pulled.resources.items()):
        old = current.resources.get(key)
        if old is None:
            continue
        if key.kind == "generative_settings":
            desc = K.GENERATIVE_SETTINGS.descriptor
            merged: Any = {
                lang: _merge(b, old[lang], desc) if isinstance(old, dict) and lang in old else b
                for lang, b in body.items()
            }
        else:
            merged = _merge(body, old, K.KINDS[key.kind].descriptor)
        pulled.resources[key] = merged


def _merge(pulled: Any, old: Any, desc: Any) -> Any:
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
            merged: Any = {lang: _items(mine.get(lang), v, fd.message_type) for lang, v in item.items()}
            merged = {**mine, **{lang: v for lang, v in merged.items() if v not in (None, [], {})}}
        else:
            merged = _items(here, item, fd.message_type)
        if merged not in (None, [], {}) and merged != here:
            out[name] = merged
            changed = True
    if not changed:
        return pulled
    order = {f.name: f.number for f in desc.fields}
    # Tree order: fields by number, then export-only keys sorted (as the codec writes them).
    return {k: out[k] for k in sorted(out, key=lambda k: (0, order[k], "") if k in order else (1, 0, k))}


def _items(here: Any, old: Any, desc: Any) -> Any:
    if isinstance(old, list):
        if not isinstance(here, list) or len(here) != len(old):
            return here
        return [_merge(h, o, desc) for h, o in zip(here, old, strict=True)]
    return _merge({} if here is None else here, old, desc) if isinstance(old, dict) else here
