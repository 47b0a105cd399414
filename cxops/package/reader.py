"""A JSON package (the files of an export) -> a snapshot.

Handles what real exports contain (../shared/corpus/FORMAT.md): percent-encoded names, stale
folder names (the ``displayName`` inside wins), both route-group locations, per-language files,
special targets as display names or symbols, resource-path references, maps as key/value lists,
float32 noise, volatile and derived fields.
"""

from __future__ import annotations

import contextvars
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cxops.errors import Location, ValidationError
from cxops.model import kinds as K
from cxops.model.gcpause import gc_paused
from cxops.model.snapshot import AGENT_KEY, GENERATIVE_SETTINGS_KEY, Body, Key, Snapshot
from cxops.package import codec, jsonfmt, layout, playbooktests

# Collections whose UUIDs appear inside full resource paths in older exports.
_PATH_COLLECTIONS = {"flows": "flows", "playbooks": "playbooks", "tools": "tools", "generators": "generators"}


@dataclass
class ImportReport:
    unknown_keys: set[str] = field(default_factory=set)
    unresolved: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def _load(files: Mapping[str, bytes], path: str) -> Any:
    try:
        return jsonfmt.loads(files[path], path)
    except UnicodeDecodeError as bad:
        raise ValidationError(f"not UTF-8 text ({bad.reason})", Location(path)) from bad
    except jsonfmt.JsonSyntaxError as bad:
        raise ValidationError(f"invalid JSON: {bad.message}", Location(path, bad.line)) from bad


# The file being decoded, so that an unexpected shape deep inside is reported against it.
_reading: contextvars.ContextVar[str] = contextvars.ContextVar("cxops_package_reading", default="")


def _object(files: Mapping[str, bytes], path: str) -> dict[str, Any]:
    _reading.set(path)
    data = _load(files, path)
    if not isinstance(data, dict):
        raise ValidationError("expected a JSON object", Location(path, 1))
    return data


def _display_name(data: dict[str, Any], path: str) -> str:
    name = data.get("displayName")
    if not isinstance(name, str) or not name:
        raise ValidationError("missing displayName", Location(path, None, "displayName"))
    return name


def _lang_of(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".json").lower()


class _Layout:
    """The export's files grouped by resource."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self.resources: dict[str, list[str]] = defaultdict(list)  # kind -> main files
        self.extras: dict[str, list[str]] = defaultdict(list)  # main file's folder -> per-language files
        self.ignored: list[str] = []
        for path in sorted(files):
            self._place(path)

    def _place(self, path: str) -> None:
        where = layout.place(path)
        if where is None:
            self.ignored.append(path)
        elif where.kind is not None:
            self.resources[where.kind].append(path)
        elif where.folder is not None:
            self.extras[where.folder].append(path)


def snapshot_from_package(files: Mapping[str, bytes]) -> tuple[Snapshot, ImportReport]:
    """Decode an export into a snapshot; every error names the file."""
    try:
        with gc_paused():
            return _decode_package(files)
    except (TypeError, AttributeError, KeyError, ValueError, IndexError) as bad:
        # A value of the wrong JSON type somewhere in the file (a string where CX writes a
        # list, a list where it writes an object, …): one message naming the file.
        raise ValidationError(
            f"unexpected structure, not what a CX export contains ({type(bad).__name__}: {bad})",
            Location(_reading.get() or "agent.json"),
        ) from bad


def _decode_package(files: Mapping[str, bytes]) -> tuple[Snapshot, ImportReport]:
    if "agent.json" not in files:
        raise ValidationError("not a CX JSON package: agent.json is missing", Location("agent.json"))
    layout = _Layout(files)
    agent_json = _object(files, "agent.json")
    default = str(agent_json.get("defaultLanguageCode") or "").lower()
    if not default:
        raise ValidationError(
            "missing defaultLanguageCode", Location("agent.json", None, "defaultLanguageCode")
        )
    supported = [str(c).lower() for c in agent_json.get("supportedLanguageCodes", []) if isinstance(c, str)]
    ctx = codec.Context(
        default_language=default, languages=[default, *(c for c in supported if c != default)]
    )
    _collect_ids(files, layout, ctx)

    snapshot = Snapshot()
    keys_from: dict[Key, str] = {}
    # (kind, parent, id) -> the file that claims it: a resource's ``name`` is its id in its
    # parent's collection, so two files with one id are one resource told two ways (a stale
    # flow folder holding the start flow's id under another display name, say). CX keeps one
    # resource per name; which file would win is not documented, so import refuses to choose.
    ids_from: dict[tuple[str, str, str], str] = {}

    def add(key: Key, body: Body, path: str, data: Mapping[str, Any] | None = None) -> None:
        if key in keys_from:
            raise ValidationError(
                f"two resources are {key}: {keys_from[key]} and {path}", Location(path, None, "displayName")
            )
        rid = data.get("name") if data is not None else None
        if isinstance(rid, str) and rid:
            claimed = ids_from.setdefault((key.kind, key.scope, rid), path)
            if claimed != path:
                raise ValidationError(
                    f"{claimed} and {path} claim one {key.kind.replace('_', ' ')} (id {rid}) under two"
                    " display names; remove the stale file from the export",
                    Location(path, None, "name"),
                )
        keys_from[key] = path
        snapshot.add(key, body)

    add(AGENT_KEY, codec.decode(agent_json, K.AGENT.descriptor, ctx), "agent.json")

    flow_names: dict[str, str] = {}  # flow folder -> flow display name
    for path in layout.resources["flow"]:
        data = _object(files, path)
        name = _display_name(data, path)
        flow_names[path.split("/")[1]] = name
        add(Key("flow", "", name), codec.decode(data, K.FLOW.descriptor, ctx), path, data)
    for kind in ("page", "flow_route_group"):
        for path in layout.resources[kind]:
            folder = path.split("/")[1]
            if folder not in flow_names:
                raise ValidationError(
                    f"no flow file flows/{folder}/{folder}.json for this {kind}", Location(path)
                )
            data = _object(files, path)
            add(
                Key(kind, flow_names[folder], _display_name(data, path)),
                codec.decode(data, K.KINDS[kind].descriptor, ctx),
                path,
                data,
            )
    playbook_names: dict[str, str] = {}
    for path in layout.resources["playbook"]:
        data = _object(files, path)
        playbook_names[path.split("/")[1]] = _display_name(data, path)
    for kind in ("route_group", "webhook", "test_case", "playbook_test_case", "playbook", "tool"):
        for path in layout.resources[kind]:
            data = _object(files, path)
            if kind == "playbook_test_case":
                data = playbooktests.by_name(data, ctx)
            body = codec.decode(data, K.KINDS[kind].descriptor, ctx)
            if kind == "tool":
                _attach_schema(files, layout, path, body)
            add(Key(kind, "", _display_name(data, path)), body, path, data)
    for path in layout.resources["example"]:
        folder = path.split("/")[1]
        if folder not in playbook_names:
            raise ValidationError(f"no playbook file playbooks/{folder}/{folder}.json", Location(path))
        data = _object(files, path)
        add(
            Key("example", playbook_names[folder], _display_name(data, path)),
            codec.decode(data, K.EXAMPLE.descriptor, ctx),
            path,
            data,
        )
    for path in layout.resources["intent"]:
        data = _object(files, path)
        body = codec.decode(data, K.INTENT.descriptor, ctx)
        phrases = _per_language(files, layout, path, "trainingPhrases", "trainingPhrases")
        desc = K.INTENT.descriptor.fields_by_name["training_phrases"].message_type
        grouped = {lang: codec.phrase_lines(items, ctx, desc) for lang, items in phrases.items() if items}
        _set_language_map(body, "training_phrases", grouped, ctx, K.INTENT.descriptor)
        add(Key("intent", "", _display_name(data, path)), body, path, data)
    for path in layout.resources["entity_type"]:
        data = _object(files, path)
        body = codec.decode(data, K.ENTITY_TYPE.descriptor, ctx)
        entity_desc = K.ENTITY_TYPE.descriptor.fields_by_name["entities"].message_type
        entities = {
            lang: [_strip_language(codec.decode(e, entity_desc, ctx)) for e in items]
            for lang, items in _per_language(files, layout, path, "entities", "entities").items()
            if items
        }
        excluded = {
            lang: [str(e.get("value", "")) for e in items]
            for lang, items in _per_language(
                files, layout, path, "excludedPhrases", "excludedPhrases"
            ).items()
            if items
        }
        _set_language_map(body, "entities", entities, ctx, K.ENTITY_TYPE.descriptor)
        _set_language_map(body, "excluded_phrases", excluded, ctx, K.ENTITY_TYPE.descriptor)
        add(Key("entity_type", "", _display_name(data, path)), body, path, data)
    for path in layout.resources["generator"]:
        data = _object(files, path)
        body = codec.decode(data, K.GENERATOR.descriptor, ctx)
        prompts = {
            lang: [str(p.get("text", "")) for p in items]
            for lang, items in _per_language(files, layout, path, "phrases", "promptTexts").items()
            if items
        }
        # One prompt per language in the API (Generator.prompt_text); a list only if an export has more.
        _set_language_map(
            body,
            "prompt_text",
            {lang: texts[0] if len(texts) == 1 else texts for lang, texts in prompts.items()},
            ctx,
            K.GENERATOR.descriptor,
        )
        add(Key("generator", "", _display_name(data, path)), body, path, data)
    settings: dict[str, Any] = {}
    for path in layout.resources["generative_settings"]:
        data = _object(files, path)
        lang = str(data.get("languageCode") or _lang_of(path)).lower()
        settings[lang] = codec.decode(data, K.GENERATIVE_SETTINGS.descriptor, ctx)
        settings[lang].pop("language_code", None)
    if settings:
        add(
            GENERATIVE_SETTINGS_KEY, {lang: settings[lang] for lang in ctx.language_order(list(settings))}, ""
        )
    report = ImportReport(unknown_keys=ctx.unknown, unresolved=ctx.unresolved, ignored=layout.ignored)
    return snapshot, report


def _collect_ids(files: Mapping[str, bytes], layout: _Layout, ctx: codec.Context) -> None:
    for kind, collection in (
        ("flow", "flows"),
        ("playbook", "playbooks"),
        ("tool", "tools"),
        ("generator", "generators"),
    ):
        for path in layout.resources[kind]:
            data = _object(files, path)
            uuid, name = data.get("name"), data.get("displayName")
            if isinstance(uuid, str) and isinstance(name, str):
                ctx.ids[(collection, uuid)] = name


def _per_language(
    files: Mapping[str, bytes], layout: _Layout, main: str, folder: str, field_name: str
) -> dict[str, list[dict[str, Any]]]:
    base = main.rsplit("/", 1)[0]
    out: dict[str, list[dict[str, Any]]] = {}
    for path in layout.extras.get(base, []):
        if path.split("/")[2] != folder:
            continue
        data = _object(files, path)
        items = data.get(field_name, [])
        if not isinstance(items, list):
            raise ValidationError("expected a list", Location(path, None, field_name))
        lang = _lang_of(path)
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("languageCode"), str):
                lang = item["languageCode"].lower()
                break
        out[lang] = [i for i in items if isinstance(i, dict)]
    return out


def _strip_language(body: Body) -> Body:
    body.pop("language_code", None)
    return body


def _set_language_map(body: Body, name: str, grouped: dict[str, Any], ctx: codec.Context, desc: Any) -> None:
    """Put a language map at its field's place in the field-number order."""
    if not grouped:
        return
    body[name] = {lang: grouped[lang] for lang in ctx.language_order(list(grouped))}
    order = {f.name: f.number for f in desc.fields}
    items = sorted(body.items(), key=lambda kv: order.get(kv[0], 10**9))
    body.clear()
    body.update(items)


def _attach_schema(files: Mapping[str, bytes], layout: _Layout, path: str, body: Body) -> None:
    base = path.rsplit("/", 1)[0]
    for extra in layout.extras.get(base, []):
        if extra.endswith("/schema.yaml"):
            text = files[extra].decode("utf-8")
            spec = body.setdefault("open_api_spec", {})
            spec["text_schema"] = text
