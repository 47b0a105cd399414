"""An original export against its packaged twin, value by value, driven by the v3 descriptors.

What counts as noise is this short list, documented in docs/tree-format.md ("Checked against
the original export"); every other difference is reported with its file and JSON path:

* a UUID-valued ``name``, ``id`` or ``customConfigKey`` (server identity: cxops derives its own
  from keys);
* create/update/creation times, ``projectNumber``, derived counts (``numTrainingPhrases``,
  ``tokenCount``) and the other fields the codec drops as output-only (``codec.DROPPED``);
* key order; the order of messages of several languages (grouped by language);
* float32 rounding (``0.30000001`` is ``0.3``);
* an empty object or list against an absent message or repeated field, and a proto3 scalar at
  its default (``false``, ``0``, ``""``, an enum's zero) against absent: proto3 cannot tell
  them apart. Never inside a ``google.protobuf.Value`` / ``Struct`` / ``ListValue``, where
  ``""``, ``0``, ``false``, ``null``, ``[]`` and ``{}`` are values;
* adjacent plain training-phrase parts (merged) and a part's ``auto`` flag;
* a credential replaced by ``${secret:…}``;
* a resource path written as the display name it names (or relative to the agent), and a data
  store's full name with another project and location (each stage's own);
* read back from a stage's agent (apply -> pull): the agent's display name, which is each
  stage's own, and the export-only keys, which the API has no field for.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cxops.model import datastores, outputonly
from cxops.model import kinds as K
from cxops.model.proto import FREE_FORM

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
VOLATILE = frozenset({"createTime", "updateTime", "creationTime", "projectNumber"})
DERIVED = frozenset({"numTrainingPhrases", "tokenCount"})
# Server identities: a UUID under these keys names the resource (or its NLU model) on one server.
IDENTITY = frozenset({"name", "id", "customConfigKey"})
_ABSENT: Any = object()


def descriptor_for(path: str) -> Any:
    """The message type of one package file (per-language files: their resource's type)."""
    parts = path.split("/")
    if path == "agent.json":
        return K.AGENT.descriptor
    top = parts[0]
    if top == "flows":
        if len(parts) == 3:
            return K.FLOW.descriptor
        return K.PAGE.descriptor if parts[2] == "pages" else K.FLOW_ROUTE_GROUP.descriptor
    if top == "playbooks" and len(parts) == 4:
        return K.EXAMPLE.descriptor
    return {
        "agentTransitionRouteGroups": K.ROUTE_GROUP,
        "intents": K.INTENT,
        "entityTypes": K.ENTITY_TYPE,
        "webhooks": K.WEBHOOK,
        "testCases": K.TEST_CASE,
        "generators": K.GENERATOR,
        "playbooks": K.PLAYBOOK,
        "tools": K.TOOL,
        "generativeSettings": K.GENERATIVE_SETTINGS,
    }[top].descriptor


class Compare:
    """One file's comparison; ``ids`` maps ``collection/uuid`` to display names (both exports)."""

    def __init__(self, path: str, ids: Mapping[str, str], known_only: bool = False) -> None:
        self.path = path
        self.ids = ids
        self.known_only = known_only
        self.differences: list[str] = []

    def fail(self, where: str, original: Any, packaged: Any) -> None:
        show = lambda v: "absent" if v is _ABSENT else json.dumps(v, sort_keys=True)[:120]  # noqa: E731
        self.differences.append(f"{self.path}: {where or '$'}: {show(original)} -> {show(packaged)}")

    def message(self, a: Any, b: Any, desc: Any, where: str, top: bool) -> None:
        if not isinstance(a, dict) or not isinstance(b, dict):
            self.free(a, b, where)
            return
        dropped = outputonly.fields(desc.full_name, nested=True)
        for key in sorted(set(a) | set(b)):
            x, y = a.get(key, _ABSENT), b.get(key, _ABSENT)
            fd = desc.fields_by_camelcase_name.get(key) or desc.fields_by_name.get(key)
            at = f"{where}.{key}"
            if key in VOLATILE or key in DERIVED or (fd is not None and fd.name in dropped):
                continue
            if key in IDENTITY and _uuid_or_absent(x, y):
                continue
            if fd is None:
                # Export-only keys (issue 24 decides how they are carried): compared as plain
                # JSON, unless the twin came through the API, which has no field for them.
                if not self.known_only:
                    self.plain(x, y, at)
                continue
            self.field(fd, x, y, at)

    def field(self, fd: Any, x: Any, y: Any, at: str) -> None:
        mt = fd.message_type
        if mt is not None and mt.full_name in FREE_FORM:
            self.free(x, y, at)
            return
        if mt is not None and mt.GetOptions().map_entry:
            x, y = (_as_map(v) for v in (x, y))
            vfd = mt.fields_by_name["value"]
            for k in sorted(set(x) | set(y)):
                self.field(vfd, x.get(k, _ABSENT), y.get(k, _ABSENT), f"{at}[{k!r}]")
            return
        repeated = fd.label == fd.LABEL_REPEATED if hasattr(fd, "label") else fd.is_repeated
        if repeated:
            xs, ys = ([] if v is _ABSENT else v for v in (x, y))
            if not isinstance(xs, list) or not isinstance(ys, list):
                self.fail(at, x, y)
                return
            if mt is not None and fd.name == "parts":
                xs, ys = _merged_parts(xs), _merged_parts(ys)
            xs, ys = _by_language(xs), _by_language(ys)
            if len(xs) != len(ys):
                self.fail(at, x, y)
                return
            for i, (p, q) in enumerate(zip(xs, ys, strict=True)):
                self.single(fd, p, q, f"{at}[{i}]")
            return
        self.single(fd, x, y, at)

    def single(self, fd: Any, x: Any, y: Any, at: str) -> None:
        mt = fd.message_type
        if mt is not None and mt.full_name not in ("google.protobuf.Duration", "google.protobuf.Timestamp"):
            # An absent message and an empty one are one thing in a package.
            self.message({} if x is _ABSENT else x, {} if y is _ABSENT else y, mt, at, False)
            return
        default: Any = _default(fd)
        x = default if x is _ABSENT else x
        y = default if y is _ABSENT else y
        self.plain(x, y, at, float32=fd.type == fd.TYPE_FLOAT)

    def plain(self, x: Any, y: Any, at: str, float32: bool = False) -> None:
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y)):
                p, q = x.get(k, _ABSENT), y.get(k, _ABSENT)
                if k in VOLATILE or k in DERIVED or (k in IDENTITY and _uuid_or_absent(p, q)):
                    continue
                if _empty(p) and _empty(q):
                    continue  # export-only empties are the format's noise, not a value
                self.plain(p, q, f"{at}.{k}")
            return
        if isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for i, (p, q) in enumerate(zip(x, y, strict=True)):
                self.plain(p, q, f"{at}[{i}]")
            return
        if not self.same_scalar(x, y, float32):
            self.fail(at, x, y)

    def free(self, x: Any, y: Any, at: str) -> None:
        """Inside a Value / Struct: every value counts, ``""``, ``0``, ``false``, ``null``, ``[]``
        and ``{}`` included; only key order and the number's type (a Value's number is a
        double) do not."""
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y)):
                self.free(x.get(k, _ABSENT), y.get(k, _ABSENT), f"{at}.{k}")
            return
        if isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for i, (p, q) in enumerate(zip(x, y, strict=True)):
                self.free(p, q, f"{at}[{i}]")
            return
        if x is _ABSENT or y is _ABSENT or type(x) is bool or type(y) is bool:
            if x is not y and not (type(x) is bool and x == y and type(y) is bool):
                self.fail(at, x, y)
            return
        if not self.same_scalar(x, y, False):
            self.fail(at, x, y)

    def same_scalar(self, x: Any, y: Any, float32: bool) -> bool:
        if (x == y and type(x) is type(y)) or (_numbers(x, y) and x == y):
            return True
        if _numbers(x, y) and float32:
            return bool(struct.pack("<f", x) == struct.pack("<f", y))
        if isinstance(y, str) and y.startswith("${secret:"):
            return isinstance(x, str) and bool(x)
        if isinstance(x, str) and isinstance(y, str) and datastores.neutral(x) != x:
            return datastores.neutral(x) == datastores.neutral(y)  # each stage's project and location
        if isinstance(x, str) and x.startswith("projects/") and isinstance(y, str):
            segments = x.split("/")
            named = self.ids.get("/".join(segments[-2:]))
            if y.startswith("projects/"):
                # Both paths (generator references stay paths): the same resource by display name.
                return named is not None and named == self.ids.get("/".join(y.split("/")[-2:]))
            return y in (named, "/".join(segments[6:]))
        return False


def _uuid_or_absent(*values: Any) -> bool:
    return all(v is _ABSENT or (isinstance(v, str) and UUID.match(v)) for v in values)


def _numbers(x: Any, y: Any) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (x, y))


def _empty(v: Any) -> bool:
    return v is _ABSENT or v in ({}, [])


def _default(fd: Any) -> Any:
    if fd.type == fd.TYPE_ENUM:
        return fd.enum_type.values_by_number[0].name
    if fd.type == fd.TYPE_BOOL:
        return False
    if fd.type in (fd.TYPE_STRING, fd.TYPE_BYTES):
        return ""
    return 0


def _as_map(v: Any) -> dict[str, Any]:
    if v is _ABSENT:
        return {}
    if isinstance(v, list):
        return {str(p.get("key")): p.get("value", _ABSENT) for p in v if isinstance(p, dict)}
    return dict(v) if isinstance(v, dict) else {}


def _merged_parts(parts: list[Any]) -> list[Any]:
    merged: list[Any] = []
    for part in parts:
        if not isinstance(part, dict):
            merged.append(part)
            continue
        part = {k: v for k, v in part.items() if k != "auto"}
        if merged and not part.get("parameterId") and not merged[-1].get("parameterId"):
            merged[-1] = {"text": merged[-1].get("text", "") + part.get("text", "")}
        else:
            merged.append(part)
    return merged


def _by_language(items: list[Any]) -> list[Any]:
    if items and all(isinstance(i, dict) and "languageCode" in i for i in items):
        return sorted(items, key=lambda i: str(i["languageCode"]))
    return items


def export_ids(files: Mapping[str, bytes]) -> dict[str, str]:
    """``<collection>/<uuid>`` -> display name, of every resource file."""
    ids = {}
    for path, data in files.items():
        if path.endswith(".json"):
            obj = json.loads(data)
            if (
                isinstance(obj, dict)
                and isinstance(obj.get("name"), str)
                and isinstance(obj.get("displayName"), str)
            ):
                collection = path.split("/")[-2] if path.count("/") == 3 else path.split("/")[0]
                ids[f"{collection}/{obj['name']}"] = obj["displayName"]
                ids[f"{path.split('/')[0]}/{obj['name']}"] = obj["displayName"]
    return ids


def differences(
    original: Mapping[str, bytes], packaged: Mapping[str, bytes], *, known_only: bool = False
) -> list[str]:
    """Every value difference between an export and its packaged twin, as ``file: path: a -> b``;
    ``known_only``: of the fields the v3 protos know, the agent's display name aside (the twin
    was read through the API from a stage's agent)."""
    ids = {**export_ids(packaged), **export_ids(original)}
    out: list[str] = []
    for path in sorted(set(original) | set(packaged)):
        if not path.endswith(".json"):
            if original.get(path) != packaged.get(path):
                out.append(f"{path}: the file differs")
            continue
        if path not in original or path not in packaged:
            out.append(f"{path}: only in the {'original' if path in original else 'package'}")
            continue
        compare = Compare(path, ids, known_only)
        a, b = json.loads(original[path]), json.loads(packaged[path])
        if known_only and path == "agent.json":
            # Read from a stage's agent: its display name is the stage's own (apply never writes it).
            a.pop("displayName", None)
            b.pop("displayName", None)
        compare.message(a, b, descriptor_for(path), "", True)
        out.extend(compare.differences)
    return out


def default_intents() -> dict[str, bytes]:
    """The export files of the two intents every agent has (CX creates them, never deletes them)."""
    intents = {
        "Default Welcome Intent": {"name": "00000000-0000-0000-0000-000000000000"},
        "Default Negative Intent": {"name": "00000000-0000-0000-0000-000000000001", "isFallback": True},
    }
    return {
        f"intents/{name}/{name}.json": json.dumps({**body, "displayName": name, "priority": 500000}).encode()
        for name, body in intents.items()
    }


def write_export(folder: Path, files: Mapping[str, bytes]) -> Path:
    """An export's files as the folder CX's git integration writes."""
    for path, data in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    return folder
