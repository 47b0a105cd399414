"""The straightforward checks of `cxops validate` as they were before issue 15 made them fast
(cxops/core/validate.py at 4932c42): every field handled through its descriptor on every
value, every phrase line parsed, every mapping of a body walked. Kept as the reference the
fast ones must agree with (tests/test_validate_same.py); not used by cxops."""

from __future__ import annotations

from typing import Any

from cxops.core.validate import SPECIAL_PAGES, FieldPath, Problem, _type_name
from cxops.model import keyrule, phrases
from cxops.model import kinds as K
from cxops.model.proto import FREE_FORM, LANGUAGE_MAPS, is_repeated
from cxops.model.snapshot import Key, Snapshot, walk
from cxops.package.desired import COLLECTION


class _Checker:
    def __init__(self, key: Key) -> None:
        self.key = key
        self.problems: list[Problem] = []

    def problem(self, path: FieldPath, message: str) -> None:
        self.problems.append(Problem(self.key, path, message))

    def message(self, value: Any, desc: Any, path: FieldPath) -> None:
        if not isinstance(value, dict):
            self.problem(path, f"expected a mapping of {desc.name} fields, got {_type_name(value)}")
            return
        for name, item in value.items():
            here = (*path, name)
            if not isinstance(name, str):
                self.problem(path, f"key {name!r} is not a string")
                continue
            fd = desc.fields_by_name.get(name)
            if fd is None:
                # The key rule is shared (cxops.model.keyrule): only the walk is the reference.
                error = (
                    None
                    if keyrule.is_known_export_only(desc.name, name)
                    else keyrule.unknown_key_error(desc, name)
                )
                if error is not None:
                    self.problem(here, error)
                continue
            if (desc.full_name, name) in LANGUAGE_MAPS:
                self.language_map(item, fd, here)
            else:
                self.field(item, fd, here)

    def language_map(self, value: Any, fd: Any, path: FieldPath) -> None:
        if not isinstance(value, dict):
            self.problem(path, f"expected a mapping of language code to {fd.name}, got {_type_name(value)}")
            return
        for lang, item in value.items():
            here = (*path, lang)
            if fd.name == "training_phrases":
                if not isinstance(item, list):
                    self.problem(here, f"expected a list of training phrases, got {_type_name(item)}")
                    continue
                for i, phrase in enumerate(item):
                    try:
                        phrases.decode_phrase(phrase)
                    except Exception as bad:
                        self.problem((*here, i), str(bad))
            elif fd.name == "excluded_phrases":
                self.strings(item, here)
            elif fd.name == "prompt_text":
                if not isinstance(item, (str, list)):
                    self.problem(here, f"expected a prompt text, got {_type_name(item)}")
            else:
                self.field(item, fd, here)

    def strings(self, value: Any, path: FieldPath) -> None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(path, "expected a list of strings")

    def field(self, value: Any, fd: Any, path: FieldPath) -> None:
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            if not isinstance(value, dict):
                self.problem(path, f"expected a mapping, got {_type_name(value)}")
                return
            value_fd = fd.message_type.fields_by_name["value"]
            for k, v in value.items():
                self.single(v, value_fd, (*path, k))
            return
        if is_repeated(fd):
            if not isinstance(value, list):
                self.problem(path, f"expected a list, got {_type_name(value)}")
                return
            for i, item in enumerate(value):
                self.single(item, fd, (*path, i))
            return
        self.single(value, fd, path)

    def single(self, value: Any, fd: Any, path: FieldPath) -> None:
        if fd.message_type is not None:
            if fd.message_type.full_name in FREE_FORM:
                return
            if fd.message_type.full_name in (
                "google.protobuf.Duration",
                "google.protobuf.Timestamp",
            ) and not isinstance(value, dict):
                self.problem(path, "expected a mapping like {seconds: 5}")
                return
            self.message(value, fd.message_type, path)
            return
        if fd.enum_type is not None:
            if not isinstance(value, str) or value not in fd.enum_type.values_by_name:
                allowed = ", ".join(v.name for v in fd.enum_type.values[1:6])
                self.problem(path, f"{value!r} is not a {fd.enum_type.name}; one of {allowed}, …")
            return
        kind = fd.cpp_type
        if kind == fd.CPPTYPE_STRING:
            ok = isinstance(value, str)
            expected = "a string"
        elif kind == fd.CPPTYPE_BOOL:
            ok = isinstance(value, bool)
            expected = "true or false"
        elif kind in (fd.CPPTYPE_FLOAT, fd.CPPTYPE_DOUBLE):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            expected = "a number"
        else:
            ok = isinstance(value, int) and not isinstance(value, bool)
            expected = "an integer"
        if not ok:
            self.problem(path, f"expected {expected}, got {_type_name(value)} {value!r}")


def check_types(snapshot: Snapshot) -> list[Problem]:
    problems: list[Problem] = []
    for key, body in snapshot:
        checker = _Checker(key)
        if key.kind == "generative_settings":
            for lang, settings in body.items():
                checker.message(settings, K.GENERATIVE_SETTINGS.descriptor, (lang,))
        else:
            checker.message(body, K.KINDS[key.kind].descriptor, ())
        problems.extend(checker.problems)
    return problems


# -- references -------------------------------------------------------------------------------


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

    def path_like(value: Any) -> bool:
        return isinstance(value, str) and (
            value.startswith("projects/") or value.split("/", 1)[0] in COLLECTION.values()
        )

    # Keys naming a resource by display name, and the kind each names.
    by_name = {
        "intent": "intent",
        "target_flow": "flow",
        "target_playbook": "playbook",
        "webhook": "webhook",
        "generator": "generator",
        "flow": "flow",
        "playbook": "playbook",
        "tool": "tool",
        "start_flow": "flow",
        "start_playbook": "playbook",
    }
    lists = {"referenced_flows": "flow", "referenced_playbooks": "playbook", "referenced_tools": "tool"}
    for key, body in snapshot:
        if key.kind in K.PACKAGE_ONLY:
            continue
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
        for path, obj in walk(body):
            for field, value in obj.items():
                here = (*path, field)
                if field in by_name:
                    if not path_like(value):
                        need(key, here, by_name[field], value)
                elif field in lists and isinstance(value, list):
                    for i, item in enumerate(value):
                        if not path_like(item):
                            need(key, (*here, i), lists[field], item)
                elif field == "target_page" and isinstance(value, str) and value not in SPECIAL_PAGES:
                    if flow is not None:
                        need(key, here, "page", value, flow)
                elif field == "page" and isinstance(value, str) and value not in SPECIAL_PAGES:
                    if isinstance(obj.get("flow"), str):
                        need(key, here, "page", value, obj["flow"])
                elif (
                    field == "transition_route_groups"
                    and key.kind in ("page", "flow")
                    and isinstance(value, list)
                ):
                    for i, group in enumerate(value):
                        need(key, (*here, i), "flow_route_group", group, flow)
                elif field == "agent_transition_route_groups" and isinstance(value, list):
                    for i, group in enumerate(value):
                        need(key, (*here, i), "route_group", group)
                elif (
                    field == "entity_type"
                    and isinstance(value, str)
                    and value.startswith("@")
                    and not value.startswith("@sys.")
                ):
                    need(key, here, "entity_type", value[1:])
    return problems
