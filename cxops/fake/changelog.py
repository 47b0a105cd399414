"""Who changed what: one ``Changelog`` per write, and ``Changelogs.ListChangelogs`` / ``GetChangelog``.

The real service records the caller's account; the stand-in has no authentication, so the
user is the ``x-cxops-user`` request metadata header (tests and the demo set it), else
``unknown``. The filter follows the v3 reference of ``ListChangelogsRequest.filter``: terms on
``user_email``, ``resource``, ``display_name``, ``action``, ``type``, ``create_time`` and
``create_time_epoch_seconds``, joined by ``AND``, e.g.
``resource = "projects/…/flows/789" AND user_email = "someone@google.com" AND create_time <= 2017-01-15T01:30:15.01Z``.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable
from typing import Any

from google.cloud import dialogflowcx_v3 as cx
from google.longrunning import operations_pb2

from cxops.fake.protoutil import Msg
from cxops.fake.store import agent_of

USER_HEADER = "x-cxops-user"
STRING_FIELDS = {
    "user_email": "user_email",
    "resource": "resource",
    "display_name": "display_name",
    "action": "action",
    "type": "type_",
}
TIME_FIELDS = ("create_time", "create_time_epoch_seconds")
_TERM = re.compile(r"^\s*([a-z_]+)\s*(<=|>=|!=|=|<|>)\s*(.*?)\s*$")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
Test = Callable[[Msg], bool]


class FilterError(ValueError):
    pass


def user_of(metadata: Any) -> str:
    for key, value in metadata or ():
        if key == USER_HEADER and value:
            return str(value)
    return "unknown"


def action_of(method: str) -> str | None:
    """``CreatePage`` -> ``Create``; None for calls that change nothing a changelog records."""
    for verb in ("Create", "Update", "Delete", "Restore", "BatchDelete"):
        if method.startswith(verb):
            return "Delete" if verb == "BatchDelete" else verb
    return None


def type_of(resource: str) -> str:
    """The collection segment of a resource name (``pages``), as the reference's ``type = "flows"``."""
    segments = resource.split("/")
    if resource.endswith("/generativeSettings"):
        return "generativeSettings"
    return segments[-2] if len(segments) >= 2 else ""


def new_entry(
    *, agent: str, entry_id: str, user: str, action: str, resource: str, display_name: str, language: str
) -> Msg:
    entry = cx.Changelog.pb()(
        name=f"{agent}/changelogs/{entry_id}",
        user_email=user,
        action=action,
        type_=type_of(resource),
        resource=resource,
        display_name=display_name,
        language_code=language,
    )
    entry.create_time.GetCurrentTime()
    return entry


def touched(method: str, request: Msg, response: Msg, before: dict[str, str]) -> list[tuple[str, str]]:
    """(resource name, display name) of each resource a successful write changed. ``before``:
    display names of the request's targets read before the call (deletes leave none after)."""
    if method.startswith(("Delete", "BatchDelete")):
        return list(before.items())
    if method == "RestoreAgent":
        return [(str(request.name), before.get(str(request.name), ""))]
    if isinstance(response, operations_pb2.Operation) or "name" not in response.DESCRIPTOR.fields_by_name:
        # An update of a resource that answers with an operation names it in the resource it
        # sends (UpdateEnvironment: environment.name).
        target = str(getattr(request, "parent", "") or getattr(request, "name", "")) or next(
            iter(targets(request)), ""
        )
        return [(target, before.get(target, ""))]
    name = str(response.name)
    shown = response.display_name if "display_name" in response.DESCRIPTOR.fields_by_name else ""
    return [(name, str(shown))]


def targets(request: Msg) -> list[str]:
    """Names of existing resources a write names (its ``name``, ``names``, or resource's name)."""
    fields = request.DESCRIPTOR.fields_by_name
    out = []
    if "name" in fields and request.name:
        out.append(str(request.name))
    if "names" in fields:
        out.extend(str(n) for n in request.names)
    for field, value in request.ListFields():
        if field.type == field.TYPE_MESSAGE and "name" in field.message_type.fields_by_name and value.name:
            out.append(str(value.name))
    return out


def agent_for(resource: str) -> str:
    return agent_of(resource) or resource


def _time(text: str) -> dt.datetime:
    value = text.strip('"')
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as bad:
        raise FilterError(f"create_time {text!r} is not an RFC 3339 time") from bad
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def parse_filter(text: str) -> list[Test]:
    """The tests of a filter; :class:`FilterError` for anything the reference does not describe."""
    tests: list[Test] = []
    if not text.strip():
        return tests
    for term in re.split(r"\s+AND\s+", text.strip()):
        found = _TERM.match(term)
        if not found:
            raise FilterError(f"cannot parse filter term {term!r}")
        field, op, raw = found.groups()
        if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"') and '"' not in raw[1:-1]:
            value = raw[1:-1]
        elif raw and not any(c.isspace() or c == '"' for c in raw):
            value = raw
        else:
            raise FilterError(f"cannot parse filter term {term!r} (only AND joins terms)")
        compare = _OPS[op]
        if field in STRING_FIELDS:
            if op not in ("=", "!="):
                raise FilterError(f"{field} takes = or !=, not {op}")
            tests.append(_on_string(STRING_FIELDS[field], value, compare))
        elif field == "create_time":
            tests.append(_on_time(_time(value), compare))
        elif field == "create_time_epoch_seconds":
            if not value.isdigit():
                raise FilterError(f"create_time_epoch_seconds takes whole seconds, not {value!r}")
            tests.append(_on_seconds(int(value), compare))
        else:
            known = ", ".join([*STRING_FIELDS, *TIME_FIELDS])
            raise FilterError(f"unknown filter field {field!r} (fields: {known})")
    return tests


def _on_string(attr: str, value: str, compare: Callable[[Any, Any], bool]) -> Test:
    def test(entry: Msg) -> bool:
        return bool(compare(getattr(entry, attr), value))

    return test


def _on_time(when: dt.datetime, compare: Callable[[Any, Any], bool]) -> Test:
    def test(entry: Msg) -> bool:
        return bool(compare(entry.create_time.ToDatetime(dt.timezone.utc), when))

    return test


def _on_seconds(seconds: int, compare: Callable[[Any, Any], bool]) -> Test:
    def test(entry: Msg) -> bool:
        return bool(compare(entry.create_time.seconds, seconds))

    return test


def matches(entry: Msg, tests: list[Test]) -> bool:
    return all(test(entry) for test in tests)
