"""Length limits CX documents for what a tree holds, checked before anything is packaged.

The limits come from the API itself: the proto comments state them ("Limit of 64 characters.",
"The maximum length is 500 characters. If exceeded, the request is rejected."), and
cxops/model/gen_schema.py carries them into the generated schema table as each field's
``max_chars``, so a client release that adds or changes one reaches validate when the table is
regenerated. The only limit added here by hand is one Google documents outside the protos.
Nothing is guessed from examples: a field with no documented limit is not checked.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from cxops.core.problem import FieldPath, Problem
from cxops.model import kinds as K
from cxops.model.proto import LANGUAGE_MAPS, V3, any_field_below
from cxops.model.snapshot import Key, Snapshot
from cxops.model.treekeys import tree_key

# Documented outside the protos: a detect-intent text input holds at most 256 characters (the
# "Limits" table of https://cloud.google.com/dialogflow/quotas; the service answers a longer one
# with INVALID_ARGUMENT "Input text exceeds 256 characters"). A test case turn whose input is
# longer can never be run.
DOCUMENTED = {(f"{V3}.TextInput", "text"): 256}


def max_chars(fd: Any) -> int | None:
    """The most characters the field may hold, where Google documents a limit."""
    limit: int | None = getattr(fd, "max_chars", None)
    return limit if limit is not None else DOCUMENTED.get((fd.containing_type.full_name, fd.name))


@functools.cache
def _plan(desc: Any) -> tuple[tuple[Any, int | None, Any], ...]:
    """The fields of ``desc`` worth visiting: those with a limit, and the message fields through
    which one can be reached (each message type is planned once, and a body is walked only along
    these, so the check costs little on an agent of a million values)."""
    out = []
    for fd in desc.fields:
        sub = fd.message_type
        if sub is not None and sub.GetOptions().map_entry:
            value_fd = sub.fields_by_name["value"]
            limit = max_chars(fd)
            if limit is not None or (value_fd.message_type is not None and _reaches(value_fd.message_type)):
                out.append((fd, limit, value_fd.message_type))
        elif sub is not None:
            if _reaches(sub):
                out.append((fd, None, sub))
        elif (limit := max_chars(fd)) is not None:
            out.append((fd, limit, None))
    return tuple(out)


@functools.cache
def _reaches(desc: Any) -> bool:
    """Whether some field with a limit can be reached from ``desc``."""
    return any_field_below(desc, lambda fd: max_chars(fd) is not None)


def _too_long(value: Any, limit: int) -> bool:
    return isinstance(value, str) and len(value) > limit


def _values(value: Any, fd: Any) -> Iterator[tuple[FieldPath, Any]]:
    """Each value of a field as (its path below the field, the value): a list's items, a map's
    entries, a language map's per-language values."""
    if (fd.containing_type.full_name, fd.name) in LANGUAGE_MAPS and isinstance(value, dict):
        for lang, item in value.items():
            for sub, v in _values_plain(item, fd):
                yield (lang, *sub), v
        return
    yield from _values_plain(value, fd)


def _values_plain(value: Any, fd: Any) -> Iterator[tuple[FieldPath, Any]]:
    if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
        if isinstance(value, dict):
            yield from (((k,), v) for k, v in value.items())
    elif fd.label == fd.LABEL_REPEATED:
        if isinstance(value, list):
            yield from (((i,), v) for i, v in enumerate(value))
    else:
        yield (), value


def _walk(key: Key, body: Any, desc: Any, path: FieldPath, out: list[Problem]) -> None:
    if not isinstance(body, dict):
        return  # a type problem, reported by check_types
    for fd, limit, sub in _plan(desc):
        if fd.name not in body:
            continue
        here = (*path, tree_key(fd.name))
        is_map = fd.message_type is not None and fd.message_type.GetOptions().map_entry
        for below, value in _values(body[fd.name], fd):
            where = (*here, *below)
            if limit is not None:
                # A map's keys are limited too where the comment says so ("Keys and values can
                # be no longer than 63 characters", Intent.labels).
                entry = str(below[-1]) if below else ""
                if is_map and _too_long(entry, limit):
                    out.append(Problem(key, where, _message(entry, limit, fd, "key")))
                if _too_long(value, limit):
                    out.append(Problem(key, where, _message(value, limit, fd)))
            if sub is not None:
                _walk(key, value, sub, where, out)


def _message(value: str, limit: int, fd: Any, what: str = "value") -> str:
    owner = fd.containing_type.full_name.removeprefix(f"{V3}.")
    return (
        f"{what} of {len(value):,} characters; CX accepts at most {limit:,} here ({owner}.{fd.name}) "
        "and refuses a longer one"
    )


def check_lengths(snapshot: Snapshot) -> list[Problem]:
    """A problem for every value longer than CX's documented limit for its field, display names
    (the tree's file names) included."""
    problems: list[Problem] = []
    for key, body in snapshot:
        if key.kind == "generative_settings":
            desc = K.GENERATIVE_SETTINGS.descriptor
            for lang, settings in body.items():
                _walk(key, settings, desc, (lang,), problems)
            continue
        desc = K.KINDS[key.kind].descriptor
        name_fd = desc.fields_by_name.get("display_name")
        limit = max_chars(name_fd) if name_fd is not None else None
        if limit is not None and _too_long(key.name, limit):
            problems.append(
                Problem(key, ("display_name",), _message(key.name, limit, name_fd, "display name"))
            )
        _walk(key, body, desc, (), problems)
    return problems
