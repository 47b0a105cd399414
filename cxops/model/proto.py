"""Facts about the CX v3 protos that every layer shares: one place, not a copy per module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cxops.model import schema, translatable
from cxops.model.schema import FREE_FORM, V3

__all__ = ["FREE_FORM", "V3"]
SYSTEM_ENTITY_PREFIX = "projects/-/locations/-/agents/-/entityTypes/"

# Special transition targets: how exports write them -> the page ids (and the tree's symbols).
SPECIAL_TARGETS = {
    "End Session": "END_SESSION",
    "End Flow": "END_FLOW",
    "Current Page": "CURRENT_PAGE",
    "Start Page": "START_PAGE",
    "Previous Page": "PREVIOUS_PAGE",
}
SYMBOL_TARGETS = {v: k for k, v in SPECIAL_TARGETS.items()}
# Special page ids that exports write as the id itself.
END_FLOW_SYMBOLS = frozenset(
    {"END_FLOW_WITH_CANCELLATION", "END_FLOW_WITH_FAILURE", "END_FLOW_WITH_HUMAN_ESCALATION"}
)
SPECIAL_PAGE_IDS = frozenset(SYMBOL_TARGETS) | END_FLOW_SYMBOLS


def any_field_below(desc: Any, test: Callable[[Any], bool]) -> bool:
    """Whether ``desc`` or a message reachable from it has a field that passes ``test``."""
    seen: set[str] = set()
    stack = [desc]
    while stack:
        d = stack.pop()
        if d.full_name in seen:
            continue
        seen.add(d.full_name)
        for fd in d.fields:
            if test(fd):
                return True
            if fd.message_type is not None:
                stack.append(fd.message_type)
    return False


def is_repeated(field: Any) -> bool:
    """Whether a field descriptor is repeated, on protobuf 4 to 7 (7 dropped ``label``)."""
    flag = getattr(field, "is_repeated", None)
    if flag is not None:
        return bool(flag)
    return bool(field.label == 3)  # LABEL_REPEATED


# Fields whose value in the tree is a map of language -> the field's value: a view of the one
# list of translatable fields (cxops/model/translatable.py).
LANGUAGE_MAPS = translatable.language_maps()


def beta_shaped(owner: str, name: str) -> bool:
    """Whether v3beta1 gives the export-only key ``name`` of the v3 message ``owner`` (its full
    name) a message type of its own, not free-form JSON: then its value is settings of a known
    shape (LlmModelSettings.parameters is v3beta1's ``LlmModelSettings.Parameters``: temperature,
    input and output token limits), written as the tree writes fields, not user data kept
    verbatim. Exports are written by the service behind v3beta1, so its protos describe the keys
    v3 lacks; the generated table (cxops/model/gen_schema.py) holds which."""
    try:
        return name in schema.message(owner).beta_shaped
    except KeyError:
        return False
