"""One resource between package JSON (camelCase, as Google exports it) and tree form.

Tree form: proto field names in snake_case in field-number order (the order Google's exports
use), defaults and empty values left out, float32 noise removed, server identity dropped,
translatable content grouped by language, special targets as symbols. Keys that are not in
the v3 protos (export-only keys) follow :mod:`cxops.model.keyrule`: those cxops knows are
carried under their snake_case name, any other exactly as the export spelt it, its value
verbatim; a few are dropped as volatile or derived, and ``docs/tree-format.md`` lists them.

The walk is driven by the protobuf descriptors, so it knows every field of every message
without a hand-written schema: which keys are maps, which are free-form JSON (``Struct``),
which are float32, which belong to a oneof.
"""

from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass, field
from typing import Any

from cxops.model import datastores, outputonly, phrases, references
from cxops.model.keyrule import is_known_export_only, snake
from cxops.model.proto import FREE_FORM, SPECIAL_TARGETS, SYMBOL_TARGETS, V3, beta_shaped, is_repeated
from cxops.package.jsonfmt import clean_float32, float32_json

# Route and handler targets: special pages as the tree's symbols (END_SESSION), not as exports
# write them ("End Session"). A test config's page is no target: exports give it by path.
TARGET_FIELDS = frozenset(
    row.key for row in references.ROWS if row.written == references.PAGE and not row.flow_field
)


# Memoized: the same export-only keys (``languageCode`` in every training phrase, say) come
# back thousands of times.
@functools.lru_cache(maxsize=4096)
def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def export_only_key(key: str) -> str:
    """An export-only key in tree form: snake_case where camelCase gives the same key back."""
    name = snake(key)
    return name if camel(name) == key else key


def package_key(key: str) -> str:
    """The inverse of :func:`export_only_key`."""
    name = camel(key)
    return name if snake(name) == key else key


# Export-only keys whose values are server identity: a flow's NLU settings name their custom
# model config by a UUID the server assigns. Left out of trees; the package writer derives one.
EXPORT_ONLY_IDENTITY = frozenset({"customConfigKey"})
# Export-only values that are user data (a tool call's parameters in a playbook example) or a
# document of their own (a JSON Schema): kept verbatim, as their author wrote their keys, which
# may already be snake_case (``shopping_cart``) and so could not be told apart in a tree.
EXPORT_ONLY_VERBATIM = frozenset({"openapi_json_schema", "value", "payload"})


def _verbatim(tree_key: str, owner: str) -> bool:
    """``owner``: the full name of the message the key sits in ('' below an export-only value)."""
    if tree_key in EXPORT_ONLY_VERBATIM:
        return True
    # Every ``...parameters`` / ``...action_parameters`` of a tool or flow call is user data,
    # but for settings v3beta1 gives a shape of their own (an LLM's parameters).
    return tree_key.endswith("parameters") and not (owner and beta_shaped(owner, tree_key))


def decode_export_only(tree_key: str, value: Any, ctx: Context, owner: str = "") -> Any:
    """An export-only value in tree form: keys as :func:`export_only_key`, server identities left
    out, resource paths of the exporting agent as the display name they name (as in the fields of
    the v3 API, SPEC §2 rule 3), float32 noise removed (exports print 0.3 as 0.30000001).
    ``owner``: the full name of the message holding the key."""
    if _verbatim(tree_key, owner):
        return copy.deepcopy(value)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in EXPORT_ONLY_IDENTITY:
                continue
            name = export_only_key(key)
            out[name] = decode_export_only(name, item, ctx)
        return out
    if isinstance(value, list):
        return [decode_export_only(tree_key, item, ctx) for item in value]
    if isinstance(value, str):
        segments = value.split("/")
        if len(segments) > 7 and segments[0] == "projects" and segments[4] == "agents":
            return ctx.resolve(value)
        return value
    if isinstance(value, float) and math.isfinite(value):
        clean = clean_float32(value)
        # Only a value the float32 printing explains is noise; a double keeps its digits.
        return clean if float32_json(clean) == value else value
    return value


def encode_export_only(tree_key: str, value: Any, owner: str = "") -> Any:
    """The inverse of :func:`decode_export_only`, as far as a package needs it."""
    if _verbatim(tree_key, owner):
        return copy.deepcopy(value)
    if isinstance(value, dict):
        return {package_key(k): encode_export_only(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [encode_export_only(tree_key, item) for item in value]
    if isinstance(value, float) and math.isfinite(value) and not value.is_integer():
        return float32_json(value)
    return value


@dataclass
class Context:
    """What decoding one agent needs: its languages and how to resolve path references."""

    default_language: str
    languages: list[str]  # default first, then the agent's supported languages
    ids: dict[tuple[str, str], str] = field(default_factory=dict)  # (collection, UUID) -> display name
    unknown: set[str] = field(default_factory=set)  # export-only keys met, "Type.key"
    unresolved: list[str] = field(default_factory=list)

    def resolve(self, path: str) -> str:
        """A full resource path of the exporting agent -> the display name it names."""
        segments = path.split("/")
        for i in range(len(segments) - 2, 5, -1):
            name = self.ids.get((segments[i], segments[i + 1]))
            if name is not None:
                return name
        self.unresolved.append(path)
        # Naming nothing in the package (a built-in tool, say): keep it relative to the agent,
        # without the exporting project (SPEC §2 rule 2); it names the same thing in any agent.
        return "/".join(segments[6:]) if len(segments) > 6 and segments[4] == "agents" else path

    def language_order(self, found: list[str]) -> list[str]:
        known = [lang for lang in self.languages if lang in found]
        return known + sorted(set(found) - set(known))


def _is_empty(value: Any, enum_default: str | None) -> bool:
    """Whether ``value`` is its field's default; ``enum_default`` names an enum's zero value."""
    if value is None:
        return True
    if isinstance(value, bool):
        return value is False
    if isinstance(value, (int, float)):
        return value == 0
    if isinstance(value, str):
        if enum_default is not None:
            return value == enum_default
        return value == ""
    if isinstance(value, (list, dict)):
        return len(value) == 0
    return False


def _sorted_free_form(value: Any) -> Any:
    """Free-form JSON with sorted keys; a whole number as an int: a Value holds every number as
    a double (``number_value``), so an export's ``0`` and the API's ``0.0`` are one value."""
    if isinstance(value, dict):
        return {k: _sorted_free_form(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_free_form(v) for v in value]
    if type(value) is float and value.is_integer() and abs(value) < _MAX_EXACT_INT:
        return int(value)
    return value


_MAX_EXACT_INT = 2.0**53
_VALUE = "google.protobuf.Value"


# How one value of a field decodes (see _decode_single).
_PLAIN, _MESSAGE, _FREE_FORM, _FLOAT, _INT64, _PATH, _DATA_STORE = range(7)
# How _decode_message handles a field, most common first: a single plain value kept as it is
# unless at its default, a single message, a list of messages, a list of plain values,
# anything else.
_PLAIN_ONE, _MESSAGE_ONE, _MESSAGE_LIST, _PLAIN_LIST, _OTHER = range(5)
# False: plain fields take the general path too (the per-type steps below), so that a test can
# hold the plain-value shortcuts to it (tests/test_fast_paths.py); decoding tables built while
# it is set are cached, so the test empties _MESSAGES around a change.
PLAIN_SHORTCUTS = True


class _Field:
    """What decoding needs of one field, read once from its descriptor: going through the
    protobuf runtime for descriptor attributes on every value cost more than the decoding."""

    __slots__ = (
        "empty_text",
        "enum_default",
        "info",
        "is_map",
        "keep_zero",
        "message_type",
        "mode",
        "name",
        "number",
        "plan",
        "repeated",
        "target",
        "value",
    )

    def __init__(self, fd: Any) -> None:
        self.name: str = fd.name
        self.number: int = fd.number
        message_type = fd.message_type
        self.message_type: Any = message_type
        self.is_map = message_type is not None and bool(message_type.GetOptions().map_entry)
        self.repeated = is_repeated(fd)
        # A map's values decode as its entry type's "value" field.
        self.value: _Field | None = _Field(message_type.fields_by_name["value"]) if self.is_map else None
        if message_type is not None:
            self.mode = _FREE_FORM if message_type.full_name in FREE_FORM else _MESSAGE
        elif fd.type == fd.TYPE_FLOAT:
            self.mode = _FLOAT
        elif fd.cpp_type in (fd.CPPTYPE_INT64, fd.CPPTYPE_UINT64):
            self.mode = _INT64
        elif _is_path_reference(fd):
            self.mode = _PATH
        elif (fd.containing_type.full_name, fd.name) in datastores.FIELDS:
            self.mode = _DATA_STORE
        else:
            self.mode = _PLAIN
        self.target = (fd.containing_type.full_name, fd.name) in TARGET_FIELDS
        # Inside a oneof even a zero value says which member is set; a google.protobuf.Value or
        # Struct has presence and its "", 0, false, null, [] and {} are values (struct.proto:
        # ``null_value`` is a kind of Value, not its absence): neither is ever left out.
        self.keep_zero = fd.containing_oneof is not None or self.mode == _FREE_FORM
        enum = fd.enum_type
        self.enum_default: str | None = None if enum is None else str(enum.values_by_number[0].name)
        # The text that is this field's default: an enum's zero value, else "".
        self.empty_text = "" if self.enum_default is None else self.enum_default
        # The message type's decoding table, looked up on first use: types nest themselves.
        self.info: _Message | None = None
        if self.is_map or self.target:
            self.plan = _OTHER
        elif PLAIN_SHORTCUTS and self.mode == _PLAIN and not self.repeated and not self.keep_zero:
            self.plan = _PLAIN_ONE
        elif self.mode == _MESSAGE:
            self.plan = _MESSAGE_LIST if self.repeated else _MESSAGE_ONE
        elif PLAIN_SHORTCUTS and self.mode == _PLAIN and self.repeated and not self.keep_zero:
            self.plan = _PLAIN_LIST
        else:
            self.plan = _OTHER

    def message(self) -> _Message:
        info = self.info
        if info is None:
            info = self.info = _message(self.message_type)
        return info


class _Message:
    """What decoding needs of one message type, read once from its descriptor."""

    __slots__ = (
        "dropped",
        "export_only",
        "fulfillment",
        "full_name",
        "nested",
        "nested_dropped",
        "order",
        "short_name",
        "top",
    )

    def __init__(self, desc: Any) -> None:
        type_name = desc.full_name
        self.full_name: str = type_name
        self.short_name: str = desc.name
        self.fulfillment = type_name == f"{V3}.Fulfillment"
        by_key: dict[str, _Field | None] = {name: _Field(fd) for name, fd in desc.fields_by_name.items()}
        # The camelCase spelling is looked up first, as the export writes it.
        by_key.update((key, by_key[fd.name]) for key, fd in desc.fields_by_camelcase_name.items())
        self.order: dict[str, int] = {fd.name: fd.number for fd in desc.fields}
        # Server-set fields and identity are never in a tree (cxops/model/outputonly.py).
        self.dropped: frozenset[str] = outputonly.fields(type_name)
        self.nested_dropped: frozenset[str] = outputonly.fields(type_name, nested=True)
        # Fields by JSON key, with None for a field left out: at the top, and nested.
        self.top = {key: None if f is None or f.name in self.dropped else f for key, f in by_key.items()}
        self.nested = {
            key: None if f is None or f.name in self.nested_dropped else f for key, f in by_key.items()
        }
        # Export-only keys met so far: JSON key -> (snake_case name, tree key, "Type.key"); the
        # tree key is the JSON key itself for a key cxops has no schema for (kept verbatim).
        self.export_only: dict[str, tuple[str, str, str]] = {}

    def export_only_names(self, key: str) -> tuple[str, str, str]:
        names = self.export_only.get(key)
        if names is None:
            name = snake(key)
            tree_key = export_only_key(key) if is_known_export_only(self.short_name, name) else key
            names = (name, tree_key, f"{self.short_name}.{key}")
            if len(self.export_only) < 4096:
                self.export_only[key] = names
        return names


_MESSAGES: dict[str, _Message] = {}
_ABSENT: Any = object()


def _message(desc: Any) -> _Message:
    info = _MESSAGES.get(desc.full_name)
    if info is None:
        info = _MESSAGES[desc.full_name] = _Message(desc)
    return info


def decode(obj: dict[str, Any], desc: Any, ctx: Context, *, top: bool = True) -> dict[str, Any]:
    """Package JSON of one message -> tree form (``top``: the resource itself, not a nested message)."""
    return _decode_message(obj, _message(desc), ctx, top)


def _decode_message(obj: dict[str, Any], info: _Message, ctx: Context, top: bool) -> dict[str, Any]:
    fields = info.top if top else info.nested
    known: dict[str, Any] = {}
    unknown: dict[str, Any] | None = None
    # Exports write fields in field-number order: sorted only when they are not.
    last = 0
    unordered = False
    for key, value in obj.items():
        f = fields.get(key, _ABSENT)
        if f is None:
            continue  # a field left out (server identity, derived)
        if f is _ABSENT:
            name, tree_key, label = info.export_only_names(key)
            if name in (info.dropped if top else info.nested_dropped):
                continue
            ctx.unknown.add(label)
            if unknown is None:
                unknown = {}
            if tree_key == key and not is_known_export_only(info.short_name, name):
                # No schema for it: as the export wrote it, not a digit or key changed.
                unknown[key] = copy.deepcopy(value)
            elif type(value) is str and not value.startswith("projects/"):
                # Text (the usual export-only value) naming no resource: kept as it is.
                unknown[tree_key] = value
            else:
                unknown[tree_key] = decode_export_only(tree_key, value, ctx, info.full_name)
            continue
        number = f.number
        if number < last:
            unordered = True
        last = number
        decoded: Any
        plan = f.plan
        if plan == _PLAIN_ONE:
            # Most fields: a string, a bool or an enum name, taken as it is.
            if type(value) is str:
                if value != f.empty_text:
                    known[f.name] = value
                continue
            decoded = value
        elif plan == _MESSAGE_ONE:
            if isinstance(value, dict):
                decoded = _decode_message(value, f.info or f.message(), ctx, False)
            else:
                decoded = copy.deepcopy(value)
        elif plan == _MESSAGE_LIST:
            sub = f.info or f.message()
            decoded = [
                _decode_message(v, sub, ctx, False) if isinstance(v, dict) else copy.deepcopy(v)
                for v in value
            ]
        elif plan == _PLAIN_LIST:
            decoded = list(value)
            if decoded:
                known[f.name] = decoded
            continue
        elif f.is_map:
            decoded = _decode_map(f, value, ctx)
        elif f.repeated:
            decoded = list(value) if f.mode == _PLAIN else [_decode_single(f, v, ctx) for v in value]
        else:
            decoded = _decode_single(f, value, ctx)
            if f.target and isinstance(decoded, str):
                decoded = SPECIAL_TARGETS.get(decoded, decoded)
        if f.keep_zero:
            # Proto JSON: null is a Value's null_value, but for a Struct or a list the field unset.
            if decoded is not None or f.message_type is None or f.message_type.full_name == _VALUE:
                known[f.name] = decoded
            continue
        # The common types inline; _is_empty has the rest.
        kind = type(decoded)
        if kind is dict or kind is list:
            if decoded:
                known[f.name] = decoded
        elif kind is str:
            if decoded != f.empty_text:
                known[f.name] = decoded
        elif not _is_empty(decoded, f.enum_default):
            known[f.name] = decoded
    if unordered and len(known) > 1:
        order = info.order
        out = {name: known[name] for name in sorted(known, key=order.__getitem__)}
    else:
        out = known
    if unknown:
        # Usually one key (an entity's or a response message's languageCode): nothing to sort.
        out.update(unknown if len(unknown) == 1 else {k: unknown[k] for k in sorted(unknown)})
    if info.fulfillment:
        _group_fulfillment(out, ctx)
    return out


def _decode_map(f: _Field, value: Any, ctx: Context) -> dict[str, Any]:
    pairs = value.items() if isinstance(value, dict) else ((p.get("key"), p.get("value")) for p in value)
    value_field = f.value
    assert value_field is not None
    return {str(k): _decode_single(value_field, v, ctx) for k, v in sorted(pairs, key=lambda kv: str(kv[0]))}


def _decode_single(f: _Field, value: Any, ctx: Context) -> Any:
    mode = f.mode
    if mode == _PLAIN:
        return value
    if mode == _MESSAGE:
        if not isinstance(value, dict):
            return copy.deepcopy(value)
        return _decode_message(value, f.message(), ctx, False)
    if mode == _FREE_FORM:
        return _sorted_free_form(value)
    if mode == _FLOAT:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return clean_float32(float(value))
        return value
    if mode == _INT64:
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
        return value
    if mode == _DATA_STORE:
        # Without the exporting project and location: those are each stage's (model/datastores.py).
        return datastores.neutral(value) if isinstance(value, str) else value
    if isinstance(value, str) and value.startswith("projects/"):
        return ctx.resolve(value)
    return value


def _is_path_reference(fd: Any) -> bool:
    return (fd.containing_type.full_name, fd.name) in PATH_REFERENCES


# Reference fields that some exports write as full resource paths (SPEC §2 rule 3): generators
# always; playbooks, flows and tools in playbooks, examples and test configs (the corpus).
# Every reference by name is read so, should an export write it as a path.
PATH_REFERENCES = references.keys(references.NAME) | {
    row.key for row in references.ROWS if row.written == references.PAGE and row.flow_field
}


def _pop_languages(value: Any, found: list[str]) -> None:
    items: Any
    if isinstance(value, dict):
        lang = value.pop("language_code", None)
        if isinstance(lang, str):
            found.append(lang.lower())
        items = value.values()
    elif isinstance(value, list):
        items = value
    else:
        return
    for v in items:
        # No call for a scalar, most of what a response message holds.
        if isinstance(v, (dict, list)):
            _pop_languages(v, found)


def _group_fulfillment(out: dict[str, Any], ctx: Context) -> None:
    for name in ("messages", "conditional_cases"):
        items = out.get(name)
        if not isinstance(items, list):
            continue
        grouped: dict[str, list[Any]] = {}
        for item in items:
            found: list[str] = []
            _pop_languages(item, found)
            grouped.setdefault(found[0] if found else ctx.default_language, []).append(item)
        out[name] = {lang: grouped[lang] for lang in ctx.language_order(list(grouped))}


# -- tree form -> package JSON ----------------------------------------------------------------


@dataclass
class EncodeContext:
    languages: list[str]
    generator_path: dict[str, str] = field(default_factory=dict)  # display name -> resource path
    agent: str = "projects/-/locations/-/agents/-"  # the agent the package is bound to, if any


def encode(body: dict[str, Any], desc: Any, ctx: EncodeContext) -> dict[str, Any]:
    """Tree form of one message -> package JSON (camelCase, Google's key order)."""
    type_name = desc.full_name
    known: list[tuple[int, str, Any]] = []
    unknown: list[tuple[str, Any]] = []
    for key, value in body.items():
        fd = desc.fields_by_name.get(key)
        if fd is None:
            if is_known_export_only(desc.name, key):
                unknown.append((package_key(key), encode_export_only(key, value, type_name)))
            else:
                unknown.append((key, copy.deepcopy(value)))  # no schema: as the export spelt it
            continue
        if (
            type_name == f"{V3}.Fulfillment"
            and key in ("messages", "conditional_cases")
            and isinstance(value, dict)
        ):
            known.append((fd.number, fd.json_name, _ungroup(fd, value, ctx)))
            continue
        encoded = _encode_field(fd, value, ctx)
        if (type_name, fd.name) in TARGET_FIELDS and isinstance(encoded, str):
            encoded = SYMBOL_TARGETS.get(encoded, encoded)
        known.append((fd.number, fd.json_name, encoded))
    out = {json_name: v for _, json_name, v in sorted(known, key=lambda t: t[0])}
    out.update(unknown)
    return out


def _ungroup(fd: Any, grouped: dict[str, Any], ctx: EncodeContext) -> list[Any]:
    items: list[Any] = []
    order = [lang for lang in ctx.languages if lang in grouped] + sorted(set(grouped) - set(ctx.languages))
    for lang in order:
        for item in grouped[lang]:
            encoded = _encode_single(fd, item, ctx)
            _tag_language(encoded, lang, fd.message_type.name == "ConditionalCases")
            items.append(encoded)
    return items


def _tag_language(message: Any, lang: str, nested: bool) -> None:
    if not nested:
        message["languageCode"] = lang
        return
    # Inside conditional cases every response message carries its language.
    if isinstance(message, dict):
        for key, value in message.items():
            if key == "message" and isinstance(value, dict):
                value["languageCode"] = lang
            else:
                _tag_language(value, lang, True)
    elif isinstance(message, list):
        for value in message:
            _tag_language(value, lang, True)


def _encode_field(fd: Any, value: Any, ctx: EncodeContext) -> Any:
    if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
        value_fd = fd.message_type.fields_by_name["value"]
        return [{"key": k, "value": _encode_single(value_fd, v, ctx)} for k, v in value.items()]
    if is_repeated(fd) and isinstance(value, list):
        return [_encode_single(fd, v, ctx) for v in value]
    return _encode_single(fd, value, ctx)


def _encode_single(fd: Any, value: Any, ctx: EncodeContext) -> Any:
    if fd.message_type is not None:
        if fd.message_type.full_name in FREE_FORM or not isinstance(value, dict):
            return copy.deepcopy(value)
        return encode(value, fd.message_type, ctx)
    if fd.type == fd.TYPE_FLOAT and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float32_json(float(value))
    if (fd.containing_type.full_name, fd.name) == (f"{V3}.Fulfillment.GeneratorSettings", "generator"):
        return ctx.generator_path.get(value, value)
    if (fd.containing_type.full_name, fd.name) in datastores.FIELDS:
        return datastores.expand(value, ctx.agent)
    return value


def phrase_lines(phrases_json: list[dict[str, Any]], ctx: Context, desc: Any) -> list[Any]:
    """Training phrases of one language (package JSON) -> one line each."""
    fast = desc.full_name == _TRAINING_PHRASE
    lines = []
    for raw in phrases_json:
        line = _phrase_line(raw, ctx) if fast else None
        if line is None:
            phrase = decode(raw, desc, ctx)
            parts = [
                {k: str(v) for k, v in p.items() if k in ("text", "parameter_id")}
                for p in phrase.get("parts", [])
            ]
            line = phrases.encode_phrase(parts, int(phrase.get("repeat_count", 1)))
        lines.append(line)
    return lines


_TRAINING_PHRASE = f"{V3}.Intent.TrainingPhrase"


def _phrase_line(raw: Any, ctx: Context) -> Any:
    """The line of a training phrase of the usual shape, as :func:`decode` would give it, without
    its generic walk (phrases are half the messages of an agent); None for any other shape.

    Written straight from the parts, as :func:`phrases.encode_phrase` would write them: escaping
    goes character by character, so merging adjacent plain parts first changes nothing."""
    # id and a part's auto are dropped (server identity, derived); languageCode is export-only.
    if type(raw) is not dict or not _PHRASE_KEYS.issuperset(raw):
        return None
    repeat_count = raw.get("repeatCount", 1)
    if type(repeat_count) is not int:
        return None
    parts_json = raw.get("parts", [])
    if type(parts_json) is not list:
        return None
    pieces: list[str] = []
    for part in parts_json:
        if type(part) is not dict or not _PART_KEYS.issuperset(part):
            return None
        text = part.get("text", "")
        parameter_id = part.get("parameterId", "")
        if type(text) is not str or type(parameter_id) is not str:
            return None
        if parameter_id:
            if "\\" in text or "]" in text:
                text = phrases.escape_annotated(text)
            pieces.append(f"[{text}]({parameter_id})")
        elif text:
            if "\\" in text or "[" in text or "]" in text:
                text = phrases.escape_plain(text)
            pieces.append(text)
    if "languageCode" in raw:
        ctx.unknown.add("TrainingPhrase.languageCode")
    line = pieces[0] if len(pieces) == 1 else "".join(pieces)
    if repeat_count in (0, 1):
        return line
    return {"phrase": line, "repeat_count": repeat_count}


_PHRASE_KEYS = frozenset({"id", "parts", "repeatCount", "languageCode"})
_PART_KEYS = frozenset({"text", "parameterId", "auto"})
