"""Offline checks of an agent snapshot: field names and types, references, and the like.

Types are checked against the CX v3 protobuf descriptors, so every field of every message is
known. A key that is no proto field is judged by :mod:`cxops.model.keyrule`: a known export-only
key passes, a key spelt as CX exports a key it has no schema for is carried (a note), and any
other is an error, so a misspelt field is never packaged.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from cxops.core.limits import check_lengths
from cxops.core.problem import FieldPath, Problem
from cxops.model import keyrule, phrases, references
from cxops.model import kinds as K
from cxops.model.exportonly import LINES, STRUCTURAL
from cxops.model.proto import FREE_FORM, LANGUAGE_MAPS, SPECIAL_PAGE_IDS, SPECIAL_TARGETS, is_repeated
from cxops.model.snapshot import AGENT_KEY, Key, Snapshot, holding
from cxops.model.treekeys import tree_key
from cxops.package.desired import COLLECTION

__all__ = [
    "FieldPath",
    "Problem",
    "api_visible",
    "check_lengths",
    "check_references",
    "check_types",
    "validate",
]

SPECIAL_PAGES = SPECIAL_PAGE_IDS | frozenset(SPECIAL_TARGETS)
# Collections of resource paths relative to the agent (``tools/…``).
COLLECTIONS = frozenset(COLLECTION.values())


def _type_name(value: object) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "true/false", type(None): "empty"}.get(
        type(value), type(value).__name__
    )


# How a value is checked, by its field descriptor: worked out once per field, not per value
# (an L agent holds about a million values).
_MESSAGE, _FREE_FORM, _TIME, _ENUM, _STRING, _BOOL, _NUMBER, _INTEGER = range(8)
# How the field holds its values.
_SINGLE, _LIST, _MAP = range(3)
_TIMES = frozenset({"google.protobuf.Duration", "google.protobuf.Timestamp"})


@dataclass(frozen=True)
class _Field:
    fd: Any
    holds: int
    # Held as {language: the field's value} in the tree (LANGUAGE_MAPS).
    languages: bool
    # The descriptor of each value: the field's own, or a map entry's value field.
    value_fd: Any
    kind: int
    # The name the tree gives the field in paths and messages (``type``, not ``type_``).
    key: str


def _kind(fd: Any) -> int:
    if fd.message_type is not None:
        full = fd.message_type.full_name
        return _FREE_FORM if full in FREE_FORM else _TIME if full in _TIMES else _MESSAGE
    if fd.enum_type is not None:
        return _ENUM
    cpp = fd.cpp_type
    if cpp == fd.CPPTYPE_STRING:
        return _STRING
    if cpp == fd.CPPTYPE_BOOL:
        return _BOOL
    return _NUMBER if cpp in (fd.CPPTYPE_FLOAT, fd.CPPTYPE_DOUBLE) else _INTEGER


@functools.cache
def _fields(desc: Any) -> dict[str, _Field]:
    """The fields of a message by the name bodies in memory give them (the descriptor's)."""
    out = {}
    for fd in desc.fields:
        value_fd = fd
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            holds = _MAP
            value_fd = fd.message_type.fields_by_name["value"]
        elif is_repeated(fd):
            holds = _LIST
        else:
            holds = _SINGLE
        languages = (desc.full_name, fd.name) in LANGUAGE_MAPS
        out[fd.name] = _Field(fd, holds, languages, value_fd, _kind(value_fd), tree_key(fd.name))
    return out


def _expected(kind: int, value: Any) -> str | None:
    """What a scalar field of ``kind`` expects, when ``value`` is not that."""
    if kind == _STRING:
        return None if isinstance(value, str) else "a string"
    if kind == _BOOL:
        return None if isinstance(value, bool) else "true or false"
    if kind == _NUMBER:
        return None if isinstance(value, (int, float)) and not isinstance(value, bool) else "a number"
    return None if isinstance(value, int) and not isinstance(value, bool) else "an integer"


class _Checker:
    def __init__(self, key: Key) -> None:
        self.key = key
        self.problems: list[Problem] = []
        # Keys CX wrote that cxops has no schema for: carried, reported at most as a note.
        self.carried: list[Problem] = []

    def problem(self, path: FieldPath, message: str) -> None:
        self.problems.append(Problem(self.key, path, message))

    def message(self, value: Any, desc: Any, path: FieldPath) -> None:
        if not isinstance(value, dict):
            self.problem(path, f"expected a mapping of {desc.name} fields, got {_type_name(value)}")
            return
        fields = _fields(desc)
        for name, item in value.items():
            spec = fields.get(name)
            if spec is None:
                if not isinstance(name, str):
                    self.problem(path, f"key {name!r} is not a string")
                elif not keyrule.is_known_export_only(desc.name, name):
                    error = keyrule.unknown_key_error(desc, name)
                    if error is None:
                        self.carried.append(Problem(self.key, (*path, name), _CARRIED))
                    else:
                        self.problem((*path, name), error)
                continue
            holds = spec.holds
            # Most values are plain strings: checked here, without a path or another call.
            if spec.kind == _STRING and not spec.languages:
                if holds == _SINGLE and isinstance(item, str):
                    continue
                if holds == _LIST and isinstance(item, list) and all(isinstance(v, str) for v in item):
                    continue
            here = (*path, spec.key)
            if spec.languages:
                self.language_map(item, spec, here)
            elif holds == _SINGLE:
                self.single(item, spec.value_fd, spec.kind, here)
            else:
                self.many(item, spec, here)

    def many(self, value: Any, spec: _Field, path: FieldPath) -> None:
        """The values of a map or repeated field."""
        if spec.holds == _MAP:
            if not isinstance(value, dict):
                self.problem(path, f"expected a mapping, got {_type_name(value)}")
                return
            for k, v in value.items():
                self.single(v, spec.value_fd, spec.kind, (*path, k))
            return
        if not isinstance(value, list):
            self.problem(path, f"expected a list, got {_type_name(value)}")
            return
        for i, item in enumerate(value):
            self.single(item, spec.fd, spec.kind, (*path, i))

    def language_map(self, value: Any, spec: _Field, path: FieldPath) -> None:
        fd = spec.fd
        if not isinstance(value, dict):
            self.problem(
                path, f"expected a mapping of language code to {tree_key(fd.name)}, got {_type_name(value)}"
            )
            return
        for lang, item in value.items():
            here = (*path, lang)
            if fd.name == "training_phrases":
                if not isinstance(item, list):
                    self.problem(here, f"expected a list of training phrases, got {_type_name(item)}")
                    continue
                for i, phrase in enumerate(item):
                    if isinstance(phrase, str) and phrases.is_valid_line(phrase):
                        continue
                    try:
                        phrases.decode_phrase(phrase)
                    except Exception as bad:
                        self.problem((*here, i), str(bad))
            elif fd.name == "excluded_phrases":
                self.strings(item, here)
            elif fd.name == "prompt_text":
                if not isinstance(item, (str, list)):
                    self.problem(here, f"expected a prompt text, got {_type_name(item)}")
            elif spec.holds == _SINGLE:
                self.single(item, spec.value_fd, spec.kind, here)
            else:
                self.many(item, spec, here)

    def strings(self, value: Any, path: FieldPath) -> None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(path, "expected a list of strings")

    def single(self, value: Any, fd: Any, kind: int, path: FieldPath) -> None:
        if kind == _MESSAGE:
            self.message(value, fd.message_type, path)
        elif kind == _TIME:
            if isinstance(value, dict):
                self.message(value, fd.message_type, path)
            else:
                self.problem(path, "expected a mapping like {seconds: 5}")
        elif kind == _ENUM:
            if not isinstance(value, str) or value not in fd.enum_type.values_by_name:
                allowed = ", ".join(v.name for v in fd.enum_type.values[1:6])
                self.problem(path, f"{value!r} is not a {fd.enum_type.name}; one of {allowed}, …")
        elif kind != _FREE_FORM:
            expected = _expected(kind, value)
            if expected is not None:
                self.problem(path, f"expected {expected}, got {_type_name(value)} {value!r}")


_CARRIED = "a key CX exported that cxops has no schema for: carried as it is"


def check_types(snapshot: Snapshot, carried: list[Problem] | None = None) -> list[Problem]:
    """The type problems of every resource; the keys carried without a schema are appended to
    ``carried`` when given (notes, never problems)."""
    problems: list[Problem] = []
    for key, body in snapshot:
        checker = _Checker(key)
        if key.kind == "generative_settings":
            for lang, settings in body.items():
                checker.message(settings, K.GENERATIVE_SETTINGS.descriptor, (lang,))
        else:
            checker.message(body, K.KINDS[key.kind].descriptor, ())
        problems.extend(checker.problems)
        if carried is not None:
            carried.extend(checker.carried)
    return problems


# -- references -------------------------------------------------------------------------------

# Keys that name another resource (cxops/model/references.py); a mapping with none of them is
# passed over in one set operation.
_REFERENCE_KEYS = references.tree_keys()
_ROWS = references.by_tree_key()


def _is_path(value: str) -> bool:
    """A resource path, not a display name: apply writes it as the same path in the target agent
    (a built-in tool, ``tools/df-code-interpreter-tool``), so no resource of the tree need match."""
    return value.startswith("projects/") or value.split("/", 1)[0] in COLLECTIONS


def check_references(snapshot: Snapshot) -> list[Problem]:
    names: dict[str, set[str]] = {}
    scoped: dict[tuple[str, str], set[str]] = {}
    for key, _ in snapshot:
        names.setdefault(key.kind, set()).add(key.name)
        if key.scope:
            scoped.setdefault((key.kind, key.scope), set()).add(key.name)
    problems: list[Problem] = []

    def need(key: Key, path: FieldPath, kind: str, value: Any, scope: str | None = None) -> None:
        if not isinstance(value, str):
            return
        pool = scoped.get((kind, scope), set()) if scope is not None else names.get(kind, set())
        if value not in pool:
            where = f" in flow {scope!r}" if scope else ""
            label = K.KINDS[kind].name.replace("_", " ")
            problems.append(Problem(key, path, f"{label} {value!r}{where} does not exist"))

    def references_in(key: Key, flow: str | None, path: FieldPath, obj: dict[str, Any]) -> None:
        for field, value in obj.items():
            if field not in _REFERENCE_KEYS:
                continue
            here = (*path, field)
            if field == references.AGENT_GROUPS_KEY:
                if isinstance(value, list):
                    for i, group in enumerate(value):
                        need(key, (*here, i), "route_group", group)
                continue
            row = _ROWS[field]
            if row.written == references.ROUTE_GROUPS:
                if key.kind in ("page", "flow") and isinstance(value, list):
                    for i, group in enumerate(value):
                        need(key, (*here, i), row.target, group, flow)
            elif row.written == references.PAGE:
                scope = flow if row.flow_field is None else obj.get(row.flow_field)
                if isinstance(value, str) and value not in SPECIAL_PAGES and isinstance(scope, str):
                    need(key, here, "page", value, scope)
            elif row.written == references.ENTITY_TYPE:
                if isinstance(value, str) and value.startswith("@") and not value.startswith("@sys."):
                    need(key, here, "entity_type", value[1:])
            elif row.repeated:
                for i, item in enumerate(value if isinstance(value, list) else []):
                    if isinstance(item, str) and not _is_path(item):
                        need(key, (*here, i), row.target, item)
            elif isinstance(value, str) and not _is_path(value):
                # Every intent reference, whatever else its item holds (a route with only
                # an intent is valid: it matches and stays on the page).
                need(key, here, row.target, value)

    for key, body in snapshot:
        if key.kind in K.PACKAGE_ONLY:
            continue  # the newer test cases: export-only keys, references as paths of versions
        flow = (
            key.scope
            if key.kind in ("page", "flow_route_group")
            else key.name
            if key.kind == "flow"
            else None
        )
        if key.kind == "agent":
            need(key, ("start_flow",), "flow", body.get("start_flow"))
            need(key, ("start_playbook",), "playbook", body.get("start_playbook"))
            continue
        for path, obj in holding(body, _REFERENCE_KEYS):
            references_in(key, flow, path, obj)
    return problems


def validate(snapshot: Snapshot, carried: list[Problem] | None = None) -> list[Problem]:
    return check_types(snapshot, carried) + check_references(snapshot) + check_lengths(snapshot)


def api_visible(value: Any, desc: Any, languages: Collection[str] | None = None) -> Any:
    """Tree form without the export-only keys the v3 API cannot read or write, and (given
    ``languages``) without content in any other language.

    What a pull through the API gives, for comparing it with a tree imported from an export.
    """
    if not isinstance(value, dict):
        return value
    actions, oneofs = _visibility(desc)
    out: dict[str, Any] = {}
    for name, item in value.items():
        action = actions.get(name)
        if action is None:
            continue
        how, sub = action
        if how is _KEEP:
            kept = item
        elif how is _LANGS and isinstance(item, dict):
            kept = {
                lang: _visible_items(v, sub, languages)
                for lang, v in item.items()
                if languages is None or lang in languages
            }
        else:
            kept = _visible_items(item, sub, languages)
        # An empty oneof member still says something (a message that is a knowledge info card),
        # and so does a google.protobuf.Value / Struct: its '', 0, false, null, [] and {} are
        # values (struct.proto), distinct from an unset field.
        if kept not in ({}, [], None) or name in oneofs:
            out[name] = kept
    return out


_KEEP, _EACH, _LANGS = "keep", "each", "languages"
_VISIBILITY: dict[str, tuple[dict[str, tuple[str, Any]], frozenset[str]]] = {}


def _visibility(desc: Any) -> tuple[dict[str, tuple[str, Any]], frozenset[str]]:
    """Per message type, once: what :func:`api_visible` does with each key it may meet (a key
    not in the table is export-only and dropped), and the fields kept even when empty: members
    of a oneof and free-form JSON."""
    found = _VISIBILITY.get(desc.full_name)
    if found is not None:
        return found
    actions: dict[str, tuple[str, Any]] = {
        name: (_KEEP, None) for (type_name, name) in STRUCTURAL if type_name == desc.name
    }
    for name, fd in desc.fields_by_name.items():
        plain = fd.message_type is None or fd.message_type.full_name in FREE_FORM
        if plain or fd.message_type.GetOptions().map_entry or (desc.full_name, name) in LINES:
            actions[name] = (_KEEP, None)
        elif (desc.full_name, name) in LANGUAGE_MAPS:
            actions[name] = (_LANGS, fd.message_type)
        else:
            actions[name] = (_EACH, fd.message_type)
    oneofs = frozenset(
        name
        for name, fd in desc.fields_by_name.items()
        if fd.containing_oneof or (fd.message_type is not None and fd.message_type.full_name in FREE_FORM)
    )
    _VISIBILITY[desc.full_name] = (actions, oneofs)
    return actions, oneofs


def _visible_items(value: Any, desc: Any, languages: Collection[str] | None) -> Any:
    if isinstance(value, list):
        return [api_visible(v, desc, languages) for v in value]
    return api_visible(value, desc, languages)


def api_visible_snapshot(snapshot: Snapshot, *, supported_only: bool = False) -> Snapshot:
    """:func:`api_visible` of every resource; ``supported_only``: content only in the agent's
    languages (the default and the supported ones), which is all the API serves: a write or read
    in another language is refused ("languages must be enabled in the agent before they can be
    used", ``language_code`` of the v3 Update/Get requests)."""
    languages = (
        frozenset(snapshot.languages()) if supported_only and AGENT_KEY in snapshot.resources else None
    )
    out = Snapshot()
    for key, body in snapshot:
        if key.kind in K.PACKAGE_ONLY:
            continue
        if key.kind == "generative_settings":
            out.add(
                key,
                {
                    lang: api_visible(b, K.GENERATIVE_SETTINGS.descriptor, languages)
                    for lang, b in body.items()
                    if languages is None or lang in languages
                },
            )
        else:
            out.add(key, api_visible(body, K.KINDS[key.kind].descriptor, languages))
    return out
