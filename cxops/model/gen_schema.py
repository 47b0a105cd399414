"""Writes cxops/model/schema.json from the installed ``google-cloud-dialogflow-cx``:
``python -m cxops.model.gen_schema`` (``--check`` only compares).

The table holds, for every v3 message a tree kind's body can reach, its fields in declaration
order (name, number, type, repeated, oneof, JSON name where it is not the default), their field
behaviour (OUTPUT_ONLY, REQUIRED, ...) and the length limit their proto comment states, the values of every enum those fields use, and which
keys v3beta1 gives a message shape that v3 lacks. The model layer reads it (cxops/model/schema.py)
instead of importing the client, so commands that never connect to CX load no ``google.*``
module; tests/test_schema.py regenerates it in memory, so a client release with new fields fails
until it is regenerated. This module is the one in model/ that imports the client.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cxops.model.schema import FREE_FORM, SCALAR_TYPES, V3, default_json_name

TABLE = Path(__file__).with_name("schema.json")
# The resources a tree holds (cxops/model/kinds.py): every message their bodies can reach.
ROOTS = (
    "Agent",
    "Flow",
    "Page",
    "TransitionRouteGroup",
    "Intent",
    "EntityType",
    "Webhook",
    "TestCase",
    "Generator",
    "Playbook",
    "Example",
    "Tool",
    "GenerativeSettings",
    # No tree kind, but the stand-in keeps their server-set fields (cxops/model/outputonly.py).
    "Version",
    "Environment",
)
_TYPE_NAMES = {number: name for name, number in SCALAR_TYPES.items()}
# proto-plus builds the client's descriptors from Python declarations and keeps no field options,
# so ``google.api.field_behavior`` is not in them. Its generated docstrings carry the proto
# comments, which in googleapis open with the behaviour ("Output only. ..."); Google's API linter
# requires a field so documented to carry the annotation (https://linter.aip.dev/203/output-only).
_BEHAVIOURS = {
    "Output only": "OUTPUT_ONLY",
    "Input only": "INPUT_ONLY",
    "Required": "REQUIRED",
    "Optional": "OPTIONAL",
    "Immutable": "IMMUTABLE",
    "Identifier": "IDENTIFIER",
}
_LEADING = re.compile(rf"({'|'.join(_BEHAVIOURS)})\.\s*")
# The proto comments state length limits in a few phrasings ("The maximum length is 500
# characters.", "Limit of 64 characters.", "Limited to 300 characters.", "Maximum character limit:
# 1000 characters.", "can be no longer than 30 characters"); the service refuses a longer value.
_LIMIT = re.compile(
    r"(?:maximum length is|limit of|limited to|maximum character limit:|no longer than)\s+(\d+)\s+characters",
    re.I,
)
_ATTRIBUTE = re.compile(r"^ {8}(\w+) \([^\n]*\):\n((?:(?: {12}[^\n]*)?\n)*)", re.M)


def _proto_plus_classes(module: Any) -> dict[str, Any]:
    """Every proto-plus message class of a client module (nested ones too), by full name."""
    import proto

    out: dict[str, Any] = {}
    stack = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, proto.Message)]
    while stack:
        cls = stack.pop()
        name = cls.pb().DESCRIPTOR.full_name  # type: ignore[attr-defined]
        if name in out:
            continue
        out[name] = cls
        stack.extend(v for v in vars(cls).values() if isinstance(v, type) and issubclass(v, proto.Message))
    return out


def _behaviours(cls: Any) -> dict[str, list[str]]:
    """Field name -> the behaviours its docstring opens with."""
    out: dict[str, list[str]] = {}
    for match in _ATTRIBUTE.finditer(cls.__doc__ or ""):
        text = " ".join(match.group(2).split())
        found = []
        while lead := _LEADING.match(text):
            found.append(_BEHAVIOURS[lead.group(1)])
            text = text[lead.end() :]
        if found:
            out[match.group(1)] = sorted(set(found))
    return out


def _limits(cls: Any) -> dict[str, int]:
    """Field name -> the most characters its proto comment allows."""
    out: dict[str, int] = {}
    for match in _ATTRIBUTE.finditer(cls.__doc__ or ""):
        found = _LIMIT.search(" ".join(match.group(2).split()))
        if found:
            out[match.group(1)] = int(found.group(1))
    return out


def _reachable(roots: Iterable[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    stack = list(roots)
    while stack:
        desc = stack.pop()
        if desc.full_name in seen:
            continue
        seen[desc.full_name] = desc
        stack.extend(fd.message_type for fd in desc.fields if fd.message_type is not None)
    return [seen[name] for name in sorted(seen)]


def _field(fd: Any, behaviours: dict[str, list[str]], limits: dict[str, int]) -> dict[str, Any]:
    from cxops.model.proto import is_repeated

    out: dict[str, Any] = {"name": fd.name, "number": fd.number, "type": _TYPE_NAMES[fd.type]}
    if fd.message_type is not None:
        out["type"] = fd.message_type.full_name
    elif fd.enum_type is not None:
        out["type"] = fd.enum_type.full_name
    if is_repeated(fd):
        out["repeated"] = True
    if fd.containing_oneof is not None:
        out["oneof"] = fd.containing_oneof.name
    if fd.json_name != default_json_name(fd.name):
        out["json_name"] = fd.json_name
    if fd.name in behaviours:
        out["behavior"] = behaviours[fd.name]
    if fd.name in limits:
        out["max_chars"] = limits[fd.name]
    return out


def _beta_shaped(desc: Any, beta: dict[str, Any]) -> list[str]:
    """Fields v3beta1 has and v3 lacks whose value v3beta1 gives a message shape (not free-form
    JSON): exports are written by the service behind v3beta1, so its protos describe keys v3 lacks."""
    twin = beta.get(desc.full_name.replace(f"{V3}.", f"{V3}beta1.", 1))
    if twin is None:
        return []
    twin_desc = twin.pb().DESCRIPTOR
    return sorted(
        fd.name
        for fd in twin_desc.fields
        if fd.name not in desc.fields_by_name
        and fd.message_type is not None
        and fd.message_type.full_name not in FREE_FORM
    )


def build() -> dict[str, Any]:
    """The table, from the installed client."""
    from google.cloud import dialogflowcx_v3, dialogflowcx_v3beta1

    classes = _proto_plus_classes(dialogflowcx_v3)
    beta = _proto_plus_classes(dialogflowcx_v3beta1)
    messages: dict[str, Any] = {}
    enums: dict[str, list[list[Any]]] = {}
    for desc in _reachable(getattr(dialogflowcx_v3, name).pb().DESCRIPTOR for name in ROOTS):
        cls = classes.get(desc.full_name)
        behaviours = _behaviours(cls) if cls is not None else {}
        limits = _limits(cls) if cls is not None else {}
        entry: dict[str, Any] = {"fields": [_field(fd, behaviours, limits) for fd in desc.fields]}
        if desc.GetOptions().map_entry:
            entry["map_entry"] = True
        shaped = _beta_shaped(desc, beta)
        if shaped:
            entry["beta_shaped"] = shaped
        messages[desc.full_name] = entry
        for fd in desc.fields:
            if fd.enum_type is not None:
                enums[fd.enum_type.full_name] = [[v.name, v.number] for v in fd.enum_type.values]
    return {"messages": messages, "enums": dict(sorted(enums.items()))}


def render(table: dict[str, Any]) -> str:
    """The table as the checked-in file: one message, field or enum a line, so a client upgrade
    shows in review as the lines it adds."""

    def one(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    lines = ["{", '  "messages": {']
    names = list(table["messages"])
    for i, name in enumerate(names):
        entry = table["messages"][name]
        head = {k: v for k, v in entry.items() if k != "fields"}
        lines.append(f"    {one(name)}: {{")
        lines.extend(f"      {one(k)}: {one(v)}," for k, v in head.items())
        lines.append('      "fields": [')
        fields = entry["fields"]
        lines.extend(f"        {one(f)}{',' if j < len(fields) - 1 else ''}" for j, f in enumerate(fields))
        lines.append("      ]")
        lines.append("    }" + ("," if i < len(names) - 1 else ""))
    lines.append("  },")
    lines.append('  "enums": {')
    enums = list(table["enums"].items())
    lines.extend(
        f"    {one(k)}: {one(v)}{',' if i < len(enums) - 1 else ''}" for i, (k, v) in enumerate(enums)
    )
    lines.extend(["  }", "}", ""])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render(build())
    if "--check" in args:
        same = TABLE.exists() and TABLE.read_text(encoding="utf-8") == text
        print(f"{TABLE}: {'up to date' if same else 'out of date: run python -m cxops.model.gen_schema'}")
        return 0 if same else 1
    TABLE.write_text(text, encoding="utf-8")
    print(f"wrote {TABLE} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
