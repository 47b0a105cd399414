"""Field names the tree writes without the protobuf's Python-keyword underscore.

The Python protobuf of the v3 API names a few fields ``type_`` (``ParameterDefinition``,
``InlineSchema``, ``TestRunDifference``): proto-plus appends ``_`` to a field named after a Python
builtin, while the proto and its JSON name it ``type``. The tree is snake_case as the proto
names fields, so it says ``type``; bodies in memory keep the descriptor's name, which package and
apply use. Reading accepts both, for trees written before (they said ``type_``).
"""

from __future__ import annotations

import functools
from typing import Any

from cxops.model.exportonly import LINES, descriptor_of
from cxops.model.proto import FREE_FORM, LANGUAGE_MAPS, any_field_below


@functools.cache
def _holds_keyword_field(desc: Any) -> bool:
    """Whether ``desc`` or a message below it has a field with a trailing underscore."""
    return any_field_below(desc, lambda fd: fd.name.endswith("_"))


def tree_key(name: str) -> str:
    """The key the tree gives a field the Python protobuf names ``name`` (``type`` for ``type_``):
    what messages about a tree file must say. No v3 field ends in ``_`` but these."""
    return name.removesuffix("_")


def to_tree(body: Any, kind: str) -> Any:
    """A body with ``type_`` written ``type`` (a new object where anything changes)."""
    return _rename(body, descriptor_of(kind), True) if kind != "generative_settings" else body


def from_tree(body: Any, kind: str) -> Any:
    """A body read from a tree with ``type`` (or the older ``type_``) as the descriptor's ``type_``."""
    return _rename(body, descriptor_of(kind), False) if kind != "generative_settings" else body


def _rename(value: Any, desc: Any, writing: bool) -> Any:
    if not isinstance(value, dict) or not _holds_keyword_field(desc):
        return value
    out: dict[str, Any] = {}
    for name, item in value.items():
        fd = desc.fields_by_name.get(name)
        if fd is None and not writing:
            fd = desc.fields_by_name.get(name + "_")
        if fd is None:
            out[name] = item  # export-only: as the export wrote it
            continue
        key = fd.name.removesuffix("_") if writing else fd.name
        sub = fd.message_type
        plain = sub is None or sub.full_name in FREE_FORM or sub.GetOptions().map_entry
        if plain or (desc.full_name, fd.name) in LINES or not _holds_keyword_field(sub):
            out[key] = item
        elif (desc.full_name, fd.name) in LANGUAGE_MAPS and isinstance(item, dict):
            out[key] = {lang: _items(v, sub, writing) for lang, v in item.items()}
        else:
            out[key] = _items(item, sub, writing)
    return out


def _items(value: Any, desc: Any, writing: bool) -> Any:
    if isinstance(value, list):
        return [_rename(v, desc, writing) for v in value]
    return _rename(value, desc, writing)
