"""Live API resources -> the files of a JSON package, as Google's ``ExportAgent`` writes them.

Two producers share this one function: ``pull --via list`` (every resource read through the
API, translatable kinds once per language) and the stand-in's ``ExportAgent``. Both then give a
package that :func:`cxops.package.reader.snapshot_from_package` decodes into the same tree.

What an export does differently from the API's own JSON (../shared/corpus/FORMAT.md):

* keys in field-number order, camelCase; enums by name; Duration and Timestamp as
  ``{"seconds", "nanos"}`` objects; int64 as numbers; maps as ``[{"key", "value"}]`` lists;
  float32 fields with their float32 noise; default values left out, but set messages and set
  oneof members kept even when empty (``"endInteraction": {}``);
* a resource's ``name`` is its bare UUID, and references name their target by display name
  (special pages by their display name or symbol, entity types as ``@name``, a page's or flow's
  route groups split into its flow's and the agent's); generator references stay full paths;
* flows, pages and route groups carry every language inline, each response message tagged with
  its ``languageCode``; intents, entity types and generators get one file per language.

The walk is driven by the protobuf descriptors (``json_format.MessageToDict`` would write
durations and int64 as strings and maps as objects).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cxops.errors import Location, ValidationError
from cxops.model import references
from cxops.model.proto import FREE_FORM, SYMBOL_TARGETS, V3, is_repeated
from cxops.model.translatable import TRANSLATABLE
from cxops.package import jsonfmt
from cxops.repo import names

T = TypeVar("T")

# Messages are raw protobuf messages of any type, read by reflection.
Msg = Any
Json = dict[str, Any]


@dataclass
class ApiResource:
    """One resource as the API returns it."""

    collection: str  # the resource name's collection segment: "flows", "pages", "transitionRouteGroups", …
    name: str  # full resource name
    # language -> raw protobuf message read with that ``language_code``. Kinds without
    # translatable fields have one entry, keyed by the default language.
    views: dict[str, Msg]


@dataclass
class ApiAgent:
    """Everything an export holds, as read from the API (raw protobuf or proto-plus messages)."""

    agent: Msg  # google.cloud.dialogflow.cx.v3.Agent
    # Every flow, page, route group (flow- and agent-level), intent, entity type, webhook,
    # test case (FULL view), generator, playbook, example and tool of the agent.
    resources: list[ApiResource] = field(default_factory=list)
    generative_settings: dict[str, Msg] = field(default_factory=dict)  # language -> settings, where set


# -- how references are written ----------------------------------------------------------------

# Special page ids: exports write these five by their display name, the others by the id itself.
SPECIAL_PAGE_NAMES = SYMBOL_TARGETS

# How exports write each reference field (cxops/model/references.py): by display name (most;
# generators stay full paths), pages by display name or special symbol, entity types as
# ``@name``, a page's or flow's route groups split by where the group lives.
DISPLAY_NAME_REFERENCES = frozenset(
    row.key for row in references.ROWS if row.written == references.NAME and not row.exported_as_path
)
PAGE_REFERENCES = references.keys(references.PAGE)
ENTITY_TYPE_REFERENCES = references.keys(references.ENTITY_TYPE)
ROUTE_GROUP_LISTS = references.keys(references.ROUTE_GROUPS)

# Output-only fields no export in the corpus holds; translatable lists that get files of their
# own per language.
TOP_LEVEL_DROPPED: dict[str, frozenset[str]] = {
    "agents": frozenset({"name", "satisfies_pzs", "satisfies_pzi"}),
    "intents": frozenset({"training_phrases"}),
    "entityTypes": frozenset({"entities", "excluded_phrases"}),
    "generators": frozenset({"prompt_text"}),
    "testCases": frozenset({"last_test_result"}),
    "playbooks": frozenset({"create_time", "update_time"}),
    "examples": frozenset({"create_time", "update_time"}),
    "generativeSettings": frozenset({"name"}),
}
# Exports write the derived ``numTrainingPhrases`` (phrases of all languages) after
# ``description`` (field 8) and before ``dtmfPattern`` (16).
NUM_TRAINING_PHRASES_AFTER = 8


def _last(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _flow_of(name: str) -> str:
    """``…/agents/A/flows/F`` of a page or flow-level route group ('' for agent-level ones)."""
    head, sep, rest = name.partition("/flows/")
    return f"{head}/flows/{rest.split('/', 1)[0]}" if sep else ""


class _Context:
    """Display names of the agent's resources, for references; the language being written."""

    def __init__(self, display: dict[str, str], default_language: str) -> None:
        self.display = display
        self.language = default_language

    def display_name(self, value: str) -> str:
        return self.display.get(value, value)

    def page(self, value: str) -> str:
        if value in self.display:
            return self.display[value]
        page_id = _last(value)
        if "/pages/" in value and page_id.isupper():
            return SPECIAL_PAGE_NAMES.get(page_id, page_id)
        return value

    def entity_type(self, value: str) -> str:
        if value in self.display:
            return "@" + self.display[value]
        type_id = _last(value)
        if "/entityTypes/" in value and type_id.startswith("sys."):
            return "@" + type_id
        return value


# -- one message -> export JSON ------------------------------------------------------------------


def message_json(msg: Msg, ctx: _Context, skip: frozenset[str] = frozenset()) -> Json:
    """One message as an export writes it; ``skip``: fields of this message left out."""
    desc = msg.DESCRIPTOR
    type_name = desc.full_name
    out: Json = {}
    for fd, value in msg.ListFields():
        if fd.name in skip:
            continue
        key = (type_name, fd.name)
        if key in ROUTE_GROUP_LISTS:
            own = [ctx.display_name(v) for v in value if _flow_of(v)]
            agent_level = [ctx.display_name(v) for v in value if not _flow_of(v)]
            if own:
                out["transitionRouteGroups"] = own
            if agent_level:
                out["agentTransitionRouteGroups"] = agent_level
            continue
        if key in DISPLAY_NAME_REFERENCES:
            out[fd.json_name] = (
                [ctx.display_name(v) for v in value] if is_repeated(fd) else ctx.display_name(value)
            )
            continue
        if key in PAGE_REFERENCES:
            out[fd.json_name] = ctx.page(value)
            continue
        if key in ENTITY_TYPE_REFERENCES:
            out[fd.json_name] = ctx.entity_type(value)
            continue
        nested = NESTED_RESOURCES.get(key)
        out[fd.json_name] = nested(value, ctx) if nested is not None else _field(fd, value, ctx)
    special = _SPECIAL.get(type_name)
    if special is not None:
        special(msg, out, ctx)
    return out


def _field(fd: Any, value: Any, ctx: _Context) -> Any:
    if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
        value_fd = fd.message_type.fields_by_name["value"]
        return [{"key": k, "value": _single(value_fd, value[k], ctx)} for k in sorted(value)]
    if is_repeated(fd):
        return [_single(fd, v, ctx) for v in value]
    return _single(fd, value, ctx)


def _single(fd: Any, value: Any, ctx: _Context) -> Any:
    kind = fd.type
    if kind == fd.TYPE_MESSAGE:
        full_name = fd.message_type.full_name
        # Only reads through the API reach here: the client is already loaded.
        from google.protobuf import json_format

        if full_name in FREE_FORM:
            return _sorted_keys(json_format.MessageToDict(value))
        if full_name == "google.protobuf.Any":
            try:
                return json_format.MessageToDict(value)
            except (TypeError, KeyError):
                # A type this build does not know: keep its bytes, as the proto JSON mapping would.
                return {"@type": value.type_url, "value": base64.b64encode(value.value).decode("ascii")}
        return message_json(value, ctx)
    if kind == fd.TYPE_ENUM:
        enum_value = fd.enum_type.values_by_number.get(value)
        return enum_value.name if enum_value is not None else int(value)
    if kind == fd.TYPE_FLOAT:
        return jsonfmt.float32_json(float(value))
    if kind == fd.TYPE_BYTES:
        return base64.b64encode(value).decode("ascii")
    return value


def _sorted_keys(value: Any) -> Any:
    """Free-form JSON (Struct) with its keys sorted, as most exports have them.

    A Struct is a map in the API, so the order its author wrote is gone by the time a client
    holds it; sorted is the order exports mostly show and is the same on every read.
    """
    if isinstance(value, dict):
        return {k: _sorted_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(v) for v in value]
    return value


def _tag(message: Json, language: str) -> None:
    # Exports place a response message's languageCode after the message kinds numbered up to
    # 13 (``liveAgentHandoff`` is 10) and before ``telephonyTransferCall`` (18), ``channel``
    # (19) and ``knowledgeInfoCard`` (20): as if it were a field numbered in between.
    later = [key for key in message if key in _AFTER_LANGUAGE]
    message["languageCode"] = language
    for key in later:
        message[key] = message.pop(key)


_AFTER_LANGUAGE = frozenset({"telephonyTransferCall", "channel", "knowledgeInfoCard", "toolCall"})


def _tag_messages(items: Iterable[Any], language: str) -> None:
    for item in items:
        if isinstance(item, dict):
            _tag(item, language)


def _tag_cases(value: Any, language: str) -> None:
    # Inside conditional cases each response message carries its language, the cases do not.
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "message" and isinstance(item, dict):
                _tag(item, language)
            else:
                _tag_cases(item, language)
    elif isinstance(value, list):
        for item in value:
            _tag_cases(item, language)


def _fulfillment(msg: Msg, out: Json, ctx: _Context) -> None:
    _tag_messages(out.get("messages", ()), ctx.language)
    _tag_cases(out.get("conditionalCases", ()), ctx.language)


def _test_config(msg: Msg, out: Json, ctx: _Context) -> None:
    # A test that starts on a page names that page's flow as well (the flow goes first).
    if msg.page and not msg.flow:
        flow = _flow_of(str(msg.page))
        if flow:
            _put(out, msg.DESCRIPTOR, "flow", ctx.display_name(flow))


def _triggered_intent(intent: Msg, ctx: _Context) -> Json:
    return {"name": ctx.display.get(str(intent.name)) or str(intent.display_name or intent.name)}


def _current_page(page: Msg, ctx: _Context) -> Json:
    page_name = str(page.name)
    shown = ctx.page(page_name) if page_name else str(page.display_name)
    if shown == page_name and page.display_name:
        shown = str(page.display_name)
    out: Json = {"name": shown}
    flow = _flow_of(page_name)
    if flow:
        out["flow"] = ctx.display_name(flow)
    return out


# Resources nested in a test turn's expected output: exports write them by display name under
# ``name``, the page together with its flow.
NESTED_RESOURCES: dict[tuple[str, str], Callable[[Msg, _Context], Json]] = {
    (f"{V3}.ConversationTurn.VirtualAgentOutput", "triggered_intent"): _triggered_intent,
    (f"{V3}.ConversationTurn.VirtualAgentOutput", "current_page"): _current_page,
}


_SPECIAL: dict[str, Callable[[Msg, Json, _Context], None]] = {
    f"{V3}.Fulfillment": _fulfillment,
    f"{V3}.TestConfig": _test_config,
}


def _order(desc: Any) -> dict[str, float]:
    """Where each key goes: field-number order, with the export-only keys at their place."""
    order: dict[str, float] = {f.json_name: f.number for f in desc.fields}
    if "transitionRouteGroups" in order:
        order["agentTransitionRouteGroups"] = order["transitionRouteGroups"] + 0.5
    if desc.full_name == f"{V3}.Intent":
        order["numTrainingPhrases"] = NUM_TRAINING_PHRASES_AFTER + 0.5
    return order


def _put(obj: Json, desc: Any, key: str, value: Any) -> None:
    """Set ``obj[key]`` at its place in the key order (keys of no known place go last)."""
    obj[key] = value
    order = _order(desc)
    items = sorted(obj.items(), key=lambda kv: order.get(kv[0], float("inf")))
    obj.clear()
    obj.update(items)


# -- languages ------------------------------------------------------------------------------------


def _key_field(message_desc: Any) -> Any:
    # As the stand-in and the API key translatable list elements: routes and handlers by their
    # output-only id, form parameters by display name.
    fields = message_desc.fields_by_name
    return fields["name"] if "name" in fields else fields["display_name"]


def _keyed(items: Iterable[T], key_of: Callable[[T], str]) -> dict[tuple[str, int], T]:
    """Elements by key and occurrence (two elements may share a key)."""
    out: dict[tuple[str, int], T] = {}
    seen: dict[str, int] = {}
    for item in items:
        key = key_of(item)
        n = seen.get(key, 0)
        seen[key] = n + 1
        out[(key, n)] = item
    return out


def _merge_fields(dst: Json, src: Json, desc: Any, fields: tuple[str, ...]) -> None:
    """Append ``src``'s translatable ``fields`` to ``dst``'s (one slot, two languages)."""
    for name in fields:
        fd = desc.fields_by_name[name]
        extra = src.get(fd.json_name)
        if not extra:
            continue
        if fd.json_name in dst:
            dst[fd.json_name].extend(extra)
        else:
            _put(dst, desc, fd.json_name, list(extra))


def _merge_view(
    dst: Json, src: Msg, steps: tuple[str, ...], desc: Any, fields: tuple[str, ...], ctx: _Context
) -> None:
    """Add another language's view ``src`` to ``dst`` (export JSON) at one translatable slot;
    only what sits at the slot (a fulfillment) is turned into JSON, not the whole resource
    again for every language."""
    if not steps:
        _merge_fields(dst, message_json(src, ctx), desc, fields)
        return
    step, rest = steps[0], steps[1:]
    if step.endswith("[]"):
        fd = desc.fields_by_name[step[:-2]]
        key_fd = _key_field(fd.message_type)
        mine = _keyed(dst.get(fd.json_name, []), lambda e: str(e.get(key_fd.json_name, "")))
        for key, item in _keyed(getattr(src, fd.name), lambda m: str(getattr(m, key_fd.name))).items():
            # Elements are shared by all languages; one missing here has no place to go.
            if key in mine:
                _merge_view(mine[key], item, rest, fd.message_type, fields, ctx)
        return
    fd = desc.fields_by_name[step]
    if not src.HasField(fd.name):
        return
    created = fd.json_name not in dst
    if created:
        _put(dst, desc, fd.json_name, {})
    _merge_view(dst[fd.json_name], getattr(src, fd.name), rest, fd.message_type, fields, ctx)
    if created and not dst[fd.json_name]:
        del dst[fd.json_name]


def _inline_languages(
    resource: ApiResource, languages: list[str], ctx: _Context, skip: frozenset[str]
) -> Json:
    """Flows, pages, route groups: every language's messages in one file, default language first."""
    order = [lang for lang in languages if lang in resource.views]
    order += sorted(lang for lang in resource.views if lang not in order)
    first, *others = order
    ctx.language = first
    out = message_json(resource.views[first], ctx, skip)
    slots = TRANSLATABLE.get(resource.collection, ())
    desc = resource.views[first].DESCRIPTOR
    for lang in others:
        ctx.language = lang
        for steps, fields in slots:
            if steps[0].removesuffix("[]") not in skip:
                _merge_view(out, resource.views[lang], steps, desc, fields, ctx)
    ctx.language = languages[0]
    return out


# -- the package ----------------------------------------------------------------------------------


def _dump(obj: Any) -> bytes:
    return jsonfmt.dumps(obj).encode("utf-8")


def _languages(agent: Msg) -> list[str]:
    default = str(agent.default_language_code).lower()
    supported = [str(c).lower() for c in agent.supported_language_codes]
    return [default, *(c for c in supported if c != default)]


def _ordered_views(resource: ApiResource, languages: list[str]) -> list[tuple[str, Msg]]:
    known = [(lang, resource.views[lang]) for lang in languages if lang in resource.views]
    return known + sorted((lang, v) for lang, v in resource.views.items() if lang not in languages)


def _raw(msg: Msg) -> Msg:
    # The client library hands out proto-plus wrappers; the walk needs the protobuf message.
    return msg if hasattr(msg, "ListFields") else type(msg).pb(msg)


class _Package:
    def __init__(self, api: ApiAgent) -> None:
        self.languages = _languages(api.agent)
        self.resources = sorted(
            (
                ApiResource(r.collection, r.name, {k.lower(): _raw(v) for k, v in r.views.items()})
                for r in api.resources
            ),
            key=lambda r: r.name,
        )
        display: dict[str, str] = {}
        for resource in self.resources:
            if not resource.views:
                raise ValidationError(f"{resource.name}: no view was read", Location(resource.name))
            display[resource.name] = str(next(iter(resource.views.values())).display_name)
        self.display = display
        self.ctx = _Context(display, self.languages[0])
        self.files: dict[str, bytes] = {}
        self.origin: dict[str, str] = {}

    def add(self, path: str, data: bytes, origin: str) -> None:
        if path in self.files:
            raise ValidationError(
                f"{origin} and {self.origin[path]} would both be written to this file", Location(path)
            )
        self.files[path] = data
        self.origin[path] = origin

    def folder_of(self, parent: str, collection: str, child: str) -> str:
        if parent not in self.display:
            raise ValidationError(f"{child}: its {collection[:-1]} {parent} was not read", Location(child))
        return f"{collection}/{names.package_encode(self.display[parent])}"

    def main_view(self, resource: ApiResource) -> Msg:
        views = _ordered_views(resource, self.languages)
        return views[0][1]

    def resource_json(self, resource: ApiResource, skip: frozenset[str] = frozenset()) -> Json:
        self.ctx.language = self.languages[0]
        out = message_json(self.main_view(resource), self.ctx, skip)
        out["name"] = _last(resource.name)
        return out

    def write(self, resource: ApiResource) -> None:
        c, enc = resource.collection, names.package_encode
        stem = enc(self.display[resource.name])
        skip = TOP_LEVEL_DROPPED.get(c, frozenset())
        if c in ("flows", "pages", "transitionRouteGroups"):
            body = _inline_languages(resource, self.languages, self.ctx, skip)
            body["name"] = _last(resource.name)
            if c == "flows":
                path = f"flows/{stem}/{stem}.json"
            elif c == "pages":
                path = f"{self.folder_of(_flow_of(resource.name), 'flows', resource.name)}/pages/{stem}.json"
            elif _flow_of(resource.name):
                folder = self.folder_of(_flow_of(resource.name), "flows", resource.name)
                path = f"{folder}/transitionRouteGroups/{stem}.json"
            else:
                path = f"agentTransitionRouteGroups/{stem}.json"
            self.add(path, _dump(body), resource.name)
        elif c == "intents":
            self.intent(resource, stem, skip)
        elif c == "entityTypes":
            self.entity_type(resource, stem, skip)
        elif c == "generators":
            self.generator(resource, stem, skip)
        elif c in ("webhooks", "testCases"):
            self.add(f"{c}/{stem}.json", _dump(self.resource_json(resource, skip)), resource.name)
        elif c == "playbooks":
            self.add(
                f"playbooks/{stem}/{stem}.json", _dump(self.resource_json(resource, skip)), resource.name
            )
        elif c == "examples":
            playbook = resource.name.rsplit("/examples/", 1)[0]
            folder = self.folder_of(playbook, "playbooks", resource.name)
            self.add(
                f"{folder}/examples/{stem}.json", _dump(self.resource_json(resource, skip)), resource.name
            )
        elif c == "tools":
            self.tool(resource, stem, skip)
        else:
            raise ValidationError(
                f"{resource.name}: {c} are not part of an agent export", Location(resource.name)
            )

    def per_language(
        self,
        resource: ApiResource,
        folder: str,
        field_name: str,
        key: str,
        item: Callable[[Msg], Json | None] | None = None,
    ) -> int:
        """One file per language of a translatable list; returns how many items were written."""
        total = 0
        for lang, view in _ordered_views(resource, self.languages):
            self.ctx.language = lang
            values = getattr(view, field_name)
            # Generator.prompt_text is one message, not a list.
            values = list(values) if is_repeated(view.DESCRIPTOR.fields_by_name[field_name]) else [values]
            items = []
            for value in values:
                body = item(value) if item is not None else message_json(value, self.ctx)
                if body is None:
                    continue
                body["languageCode"] = lang
                items.append(body)
            if items:
                self.add(f"{folder}/{lang}.json", _dump({key: items}), resource.name)
                total += len(items)
        self.ctx.language = self.languages[0]
        return total

    def intent(self, resource: ApiResource, stem: str, skip: frozenset[str]) -> None:
        folder = f"intents/{stem}"
        body = self.resource_json(resource, skip)
        count = self.per_language(
            resource, f"{folder}/trainingPhrases", "training_phrases", "trainingPhrases"
        )
        if count:
            _put(body, self.main_view(resource).DESCRIPTOR, "numTrainingPhrases", count)
        self.add(f"{folder}/{stem}.json", _dump(body), resource.name)

    def entity_type(self, resource: ApiResource, stem: str, skip: frozenset[str]) -> None:
        folder = f"entityTypes/{stem}"
        self.add(f"{folder}/{stem}.json", _dump(self.resource_json(resource, skip)), resource.name)
        self.per_language(resource, f"{folder}/entities", "entities", "entities")
        self.per_language(resource, f"{folder}/excludedPhrases", "excluded_phrases", "excludedPhrases")

    def generator(self, resource: ApiResource, stem: str, skip: frozenset[str]) -> None:
        folder = f"generators/{stem}"
        self.add(f"{folder}/{stem}.json", _dump(self.resource_json(resource, skip)), resource.name)

        def prompt(phrase: Msg) -> Json | None:
            return {"text": str(phrase.text)} if phrase.text else None

        self.per_language(resource, f"{folder}/phrases", "prompt_text", "promptTexts", prompt)

    def tool(self, resource: ApiResource, stem: str, skip: frozenset[str]) -> None:
        folder = f"tools/{stem}"
        body = self.resource_json(resource, skip)
        spec = body.get("openApiSpec")
        # The OpenAPI text goes to its own file; the JSON keeps the rest of the spec.
        if isinstance(spec, dict) and "textSchema" in spec:
            self.add(f"{folder}/schema.yaml", str(spec.pop("textSchema")).encode("utf-8"), resource.name)
        self.add(f"{folder}/{stem}.json", _dump(body), resource.name)

    def agent(self, agent: Msg) -> None:
        self.ctx.language = self.languages[0]
        self.add("agent.json", _dump(message_json(agent, self.ctx, TOP_LEVEL_DROPPED["agents"])), "the agent")

    def generative_settings(self, settings: dict[str, Msg]) -> None:
        for lang in sorted(settings):
            msg = settings[lang]
            self.ctx.language = lang.lower()
            body = message_json(msg, self.ctx, TOP_LEVEL_DROPPED["generativeSettings"])
            if "languageCode" not in body:
                _put(body, msg.DESCRIPTOR, "languageCode", lang.lower())
            self.add(f"generativeSettings/{lang.lower()}.json", _dump(body), f"generative settings {lang}")
        self.ctx.language = self.languages[0]


def package_from_api(api: ApiAgent) -> dict[str, bytes]:
    """Every file of the JSON package an export of ``api`` gives, by relative path.

    The result does not depend on the order of ``api.resources``. Raises
    :class:`~cxops.errors.ValidationError` when two resources would share a file or a page,
    route group or example comes without its flow or playbook.
    """
    package = _Package(api)
    package.agent(_raw(api.agent))
    for resource in package.resources:
        package.write(resource)
    package.generative_settings({lang: _raw(s) for lang, s in api.generative_settings.items()})
    return package.files
