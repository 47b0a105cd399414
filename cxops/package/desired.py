"""A snapshot -> API messages: each resource in each of its languages, references as names.

The reverse of reading an agent: tree form (display names, language maps) becomes the raw
protobuf messages that Create*/Update* take, one per language, with every reference turned
into the resource name it has in the target agent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cxops.errors import Location, ValidationError
from cxops.model import datastores, phrases, references, translatable
from cxops.model import kinds as K
from cxops.model.proto import LANGUAGE_MAPS, SPECIAL_PAGE_IDS, SPECIAL_TARGETS, SYSTEM_ENTITY_PREFIX, V3
from cxops.model.snapshot import Body, Key, Snapshot

DURATION = "google.protobuf.Duration"

# Collections of resource names, by kind (cxops/model/kinds.py); the agent's is its own.
COLLECTION = {k.name: k.collection for k in K.KINDS.values() if k.collection is not None and k is not K.AGENT}

# Top-level fields that hold translatable content, per kind: the update mask of a write in a
# language other than the default (cxops/model/translatable.py).
TRANSLATED_FIELDS = {
    kind: translatable.top_fields(collection)
    for kind, collection in COLLECTION.items()
    if collection in translatable.TRANSLATABLE
}


class Names:
    """Resource names in the target agent, by key; filled as resources get their ids."""

    def __init__(self, agent: str) -> None:
        self.agent = agent
        self.by_key: dict[Key, str] = {}

    def parent(self, key: Key) -> str:
        if key.kind in ("page", "flow_route_group"):
            return self.require(Key("flow", "", key.scope))
        if key.kind == "example":
            return self.require(Key("playbook", "", key.scope))
        return self.agent

    def require(self, key: Key) -> str:
        name = self.by_key.get(key)
        if name is None:
            raise ValidationError(f"{key} is referenced but not part of the agent")
        return name

    def find(self, kind: str, name: str, scope: str = "") -> str | None:
        return self.by_key.get(Key(kind, scope, name))


def languages_of(snapshot: Snapshot) -> list[str]:
    return snapshot.languages()


def localize(value: Any, desc: Any, language: str) -> Any:
    """Tree form with language maps -> the content of one language (None where it has none)."""
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for name, item in value.items():
        fd = desc.fields_by_name.get(name)
        if fd is None:
            out[name] = item
            continue
        if (desc.full_name, name) in LANGUAGE_MAPS:
            if isinstance(item, dict) and language in item:
                out[name] = _localize_field(fd, item[language], language)
            continue
        out[name] = _localize_field(fd, item, language)
    return out


def _localize_field(fd: Any, value: Any, language: str) -> Any:
    if fd.message_type is None or fd.message_type.GetOptions().map_entry:
        return value
    if isinstance(value, list):
        return [localize(v, fd.message_type, language) for v in value]
    return localize(value, fd.message_type, language)


def has_language(body: Body, desc: Any, language: str) -> bool:
    """Whether any language map of the body has content in ``language``."""
    if not isinstance(body, dict):
        return False
    for name, item in body.items():
        fd = desc.fields_by_name.get(name)
        if fd is None:
            continue
        if (desc.full_name, name) in LANGUAGE_MAPS:
            if isinstance(item, dict) and item.get(language):
                return True
        elif fd.message_type is not None and not fd.message_type.GetOptions().map_entry:
            items = item if isinstance(item, list) else [item]
            if any(has_language(i, fd.message_type, language) for i in items):
                return True
    return False


class _Refs:
    def __init__(self, names: Names, key: Key) -> None:
        self.names = names
        self.key = key
        self.flow = (
            key.scope if key.kind in ("page", "flow_route_group") else key.name if key.kind == "flow" else ""
        )

    def fail(self, what: str, value: str) -> ValidationError:
        return ValidationError(f"{self.key}: {what} {value!r} is not part of the agent")

    def lookup(self, kind: str, value: Any, scope: str = "") -> Any:
        if not isinstance(value, str):
            return value
        if value.startswith("projects/"):
            # A path into another agent: the same path in this one.
            segments = value.split("/")
            return "/".join([self.names.agent, *segments[6:]]) if len(segments) > 6 else value
        if value.split("/", 1)[0] in COLLECTION.values() and "/" in value:
            return f"{self.names.agent}/{value}"  # agent-relative, e.g. tools/df-code-interpreter-tool
        found = self.names.find(kind, value, scope)
        if found is None:
            raise self.fail(kind.replace("_", " "), value)
        return found

    def page(self, value: Any, flow: str | None = None) -> Any:
        flow = self.flow if flow is None else flow
        if not isinstance(value, str) or value.startswith("projects/"):
            return value
        flow_name = self.names.find("flow", flow) if flow else None
        if value in SPECIAL_PAGE_IDS or value in SPECIAL_TARGETS:
            if flow_name is None:
                # Agent-level route groups: the special page of whichever flow is current.
                flow_name = f"{self.names.agent}/flows/-"
            return f"{flow_name}/pages/{SPECIAL_TARGETS.get(value, value)}"
        return self.lookup("page", value, flow)

    def entity_type(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("@sys."):
            return SYSTEM_ENTITY_PREFIX + value[1:]
        if isinstance(value, str) and value.startswith("@"):
            return self.lookup("entity_type", value[1:])
        return value


Converter = Callable[[_Refs, Any, dict[str, Any]], Any]


def _converter(row: references.Reference) -> Converter:
    """How apply writes one reference field of the table (cxops/model/references.py)."""
    target, each = row.target, row.repeated
    if row.written == references.PAGE:
        flow_field = row.flow_field
        if flow_field is not None:
            return lambda r, v, o: r.page(v, str(o.get(flow_field, "")))
        return lambda r, v, o: r.page(v)
    if row.written == references.ENTITY_TYPE:
        return lambda r, v, o: r.entity_type(v)
    if each:
        return lambda r, v, o: [r.lookup(target, x) for x in v]
    return lambda r, v, o: r.lookup(target, v)


def _data_store(r: _Refs, value: Any, o: dict[str, Any]) -> Any:
    # In the target agent's project and data store location (model/datastores.py); a list for
    # the repeated ones (BoostSpecs, FilterSpecs.data_stores).
    if isinstance(value, list):
        return [datastores.expand(x, r.names.agent) for x in value]
    return datastores.expand(value, r.names.agent)


# Every reference field but a page's or flow's route groups, which _api_json joins from the
# tree's two lists; environments are no tree kind.
REFERENCES: dict[tuple[str, str], Converter] = {
    row.key: _converter(row)
    for row in references.ROWS
    if row.written not in (references.ROUTE_GROUPS, references.NOT_IN_TREE)
} | dict.fromkeys(sorted(datastores.FIELDS), _data_store)
_GROUP_HOLDERS = frozenset(full_name for full_name, _ in references.keys(references.ROUTE_GROUPS))


def _api_json(body: Any, desc: Any, refs: _Refs) -> Any:
    """One language's tree form -> proto JSON with names (unknown, export-only keys left out)."""
    if desc.full_name == DURATION and isinstance(body, dict):
        seconds, nanos = int(body.get("seconds", 0)), int(body.get("nanos", 0))
        return f"{seconds}.{nanos:09d}s" if nanos else f"{seconds}s"
    if not isinstance(body, dict):
        return body
    out: dict[str, Any] = {}
    for name, value in body.items():
        if name == references.AGENT_GROUPS_KEY and desc.full_name in _GROUP_HOLDERS:
            continue
        fd = desc.fields_by_name.get(name)
        if fd is None:
            continue
        convert = REFERENCES.get((desc.full_name, name))
        if convert is not None:
            out[name] = convert(refs, value, body)
        elif name == "transition_route_groups" and desc.full_name in _GROUP_HOLDERS:
            continue
        else:
            out[name] = _api_field(fd, value, refs, desc.full_name)
    if desc.full_name in _GROUP_HOLDERS:
        # The API keeps one list; the tree two (the flow's own groups, then agent-level ones).
        groups = [
            refs.lookup("flow_route_group", g, refs.flow) for g in body.get("transition_route_groups", [])
        ]
        groups += [refs.lookup("route_group", g) for g in body.get(references.AGENT_GROUPS_KEY, [])]
        if groups:
            out["transition_route_groups"] = groups
    return out


def _api_field(fd: Any, value: Any, refs: _Refs, owner: str) -> Any:
    if (owner, fd.name) == (f"{V3}.Intent", "training_phrases"):
        return [_phrase(p) for p in value]
    if (owner, fd.name) == (f"{V3}.EntityType", "excluded_phrases"):
        return [{"value": v} for v in value]
    if (owner, fd.name) == (f"{V3}.Generator", "prompt_text"):
        return {"text": value if isinstance(value, str) else (value[0] if value else "")}
    if (owner, fd.name) == (f"{V3}.ConversationTurn.VirtualAgentOutput", "current_page") and isinstance(
        value, dict
    ):
        page = value.get("name")
        flow = value.get("flow")
        if isinstance(flow, str) and isinstance(page, str):
            flow_name = refs.names.find("flow", flow)
            special = SPECIAL_TARGETS.get(page, page if page in SPECIAL_PAGE_IDS else None)
            found = refs.names.find("page", page, flow) or (
                f"{flow_name}/pages/{special}" if special and flow_name else None
            )
            return {"name": found or page}
        return {k: v for k, v in value.items() if k in ("name", "display_name")}
    if (owner, fd.name) == (f"{V3}.ConversationTurn.VirtualAgentOutput", "triggered_intent") and isinstance(
        value, dict
    ):
        intent = value.get("name")
        return {"name": refs.names.find("intent", intent) or intent} if isinstance(intent, str) else {}
    if fd.message_type is None:
        return value
    if fd.message_type.full_name.startswith("google.protobuf.") and fd.message_type.full_name != DURATION:
        return value  # Struct, Value, … are JSON already
    if fd.message_type.GetOptions().map_entry:
        value_fd = fd.message_type.fields_by_name["value"]
        return {k: _api_field(value_fd, v, refs, fd.message_type.full_name) for k, v in value.items()}
    if isinstance(value, list):
        return [_api_json(v, fd.message_type, refs) for v in value]
    return _api_json(value, fd.message_type, refs)


def _phrase(value: Any) -> dict[str, Any]:
    parts, count = phrases.decode_phrase(value)
    return {"parts": parts, "repeat_count": count}


def message_class(kind: K.Kind) -> Any:
    """The raw protobuf class of a kind's resource. Imports the client: only planning and
    writing build messages, so the model layer names the message (``Kind.proto``) and no more."""
    from google.cloud import dialogflowcx_v3 as cx

    return getattr(cx, kind.proto).pb()


def message(key: Key, body: Body, language: str, names: Names) -> Any:
    """The raw protobuf message of one resource in one language (imports the client: only
    planning and writing build messages)."""
    from google.protobuf import json_format

    kind = K.KINDS[key.kind]
    single = localize(body, kind.descriptor, language)
    data = _api_json(single, kind.descriptor, _Refs(names, key))
    msg = message_class(kind)()
    try:
        json_format.ParseDict(data, msg)
    except json_format.ParseError as bad:
        raise ValidationError(f"{key}: {bad}", Location(key.kind)) from bad
    return msg


def settings_message(agent: str, language: str, body: Body) -> Any:
    data = _api_json(
        body, K.GENERATIVE_SETTINGS.descriptor, _Refs(Names(agent), Key("generative_settings", "", ""))
    )
    from google.protobuf import json_format

    msg = message_class(K.GENERATIVE_SETTINGS)()
    json_format.ParseDict(data, msg)
    msg.name = f"{agent}/generativeSettings"
    msg.language_code = language
    return msg
