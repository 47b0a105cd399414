"""Who changed what: ``Changelogs.ListChangelogs`` entries as resource keys with user and time.

The filter syntax is the v3 reference's (``ListChangelogsRequest.filter``): ``create_time``
predicates joined by ``AND`` with the other fields (``resource``, ``user_email``, …).
"""

from __future__ import annotations

import datetime as dt

from google.cloud import dialogflowcx_v3 as cx

from cxops.cx.session import CxSession
from cxops.errors import ApiError
from cxops.model.changelog import Change
from cxops.model.snapshot import AGENT_KEY, GENERATIVE_SETTINGS_KEY, Key

# Collection segment of a resource name -> the tree's kind (flow route groups and examples are
# scoped by the flow or playbook above them).
_KIND = {
    "flows": "flow",
    "pages": "page",
    "intents": "intent",
    "entityTypes": "entity_type",
    "webhooks": "webhook",
    "testCases": "test_case",
    "generators": "generator",
    "playbooks": "playbook",
    "examples": "example",
    "tools": "tool",
}


def changes_since(session: CxSession, agent: str, since: str, *, limit: int = 1000) -> list[Change]:
    """Changes to ``agent`` at or after ``since`` (RFC 3339, UTC), newest first; at most
    ``limit`` (one page each of at most 1000)."""
    request = cx.ListChangelogsRequest(
        parent=agent, filter=f"create_time >= {since}", page_size=min(limit, 1000)
    )
    entries = session.list_all(session.changelogs.list_changelogs, request)[:limit]
    scopes: dict[str, str] = {}
    out = []
    for entry in entries:
        key = _key(session, str(entry.resource), str(entry.display_name), scopes)
        if key is None:
            continue
        when = entry.create_time
        time = when if isinstance(when, dt.datetime) else dt.datetime.fromtimestamp(0, dt.timezone.utc)
        out.append(
            Change(
                key, str(entry.action), str(entry.user_email) or "unknown", time.astimezone(dt.timezone.utc)
            )
        )
    return out


def _key(session: CxSession, resource: str, shown: str, scopes: dict[str, str]) -> Key | None:
    parts = resource.split("/")
    if len(parts) < 6 or parts[4] != "agents":
        return None
    rest = parts[6:]
    if not rest:
        return AGENT_KEY
    if rest == ["generativeSettings"]:
        return GENERATIVE_SETTINGS_KEY
    if len(rest) == 2:
        kind = "route_group" if rest[0] == "transitionRouteGroups" else _KIND.get(rest[0])
        return Key(kind, "", shown) if kind else None
    if len(rest) == 4:
        owner = "/".join(parts[:8])
        kind = {"pages": "page", "transitionRouteGroups": "flow_route_group", "examples": "example"}.get(
            rest[2]
        )
        if kind is None:
            return None
        if owner not in scopes:
            scopes[owner] = _display_name(session, owner)
        return Key(kind, scopes[owner], shown)
    return None


def _display_name(session: CxSession, name: str) -> str:
    """A flow's or playbook's display name; '?' when it is gone (deleted since)."""
    try:
        if "/playbooks/" in name:
            got = session.call(session.playbooks.get_playbook, cx.GetPlaybookRequest(name=name), write=False)
        else:
            got = session.call(session.flows.get_flow, cx.GetFlowRequest(name=name), write=False)
    except ApiError:
        return "?"
    return str(got.display_name)


def last_change_of(session: CxSession, agent: str, resource: str) -> tuple[str, dt.datetime] | None:
    """Who changed ``resource`` (any resource name, e.g. an environment's) last, and when; None
    where the changelog names no change of it or cannot be read. Filter syntax as in the v3
    reference of ``ListChangelogsRequest.filter`` (``resource = "…"``)."""
    request = cx.ListChangelogsRequest(parent=agent, filter=f'resource = "{resource}"', page_size=1000)
    try:
        entries = session.list_all(session.changelogs.list_changelogs, request)
    except ApiError:
        return None
    found = []
    for entry in entries:
        when: object = entry.create_time  # proto-plus gives a datetime
        if isinstance(when, dt.datetime):
            found.append((str(entry.user_email) or "unknown", when.astimezone(dt.timezone.utc)))
    return max(found, key=lambda f: f[1]) if found else None
