"""Who changed what, as one readable clause per resource: ``page "Returns/Confirm Return"
updated by ana@example.com 14:02 UTC`` (from the agent's changelog, newest first)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from cxops.model.changelog import Change
from cxops.model.snapshot import Key

_WORDS = {
    "agent": "agent settings",
    "generative_settings": "generative settings",
    "flow_route_group": "route group",
    "route_group": "route group",
    "entity_type": "entity type",
    "test_case": "test case",
}
_DONE = {"Create": "created", "Update": "updated", "Delete": "deleted", "Restore": "restored"}


def latest_per_resource(changes: Sequence[Change], keys: Collection[Key] | None = None) -> list[Change]:
    """The newest change of each resource (of ``keys`` only, when given), newest first. A
    restore of the whole agent stands for every resource."""
    seen: set[Key] = set()
    out = []
    for change in sorted(changes, key=lambda c: c.time, reverse=True):
        if change.key in seen:
            continue
        if keys is not None and change.key not in keys and change.action != "Restore":
            continue
        seen.add(change.key)
        out.append(change)
    return out


def describe(change: Change, now: dt.datetime) -> str:
    key = change.key
    what = _WORDS.get(key.kind, key.kind.replace("_", " "))
    if change.action == "Restore":
        what, name = "the whole agent", ""
    else:
        shown = f"{key.scope}/{key.name}" if key.scope else key.name
        name = f' "{shown}"' if shown else ""
    time = change.time.astimezone(dt.timezone.utc)
    when = time.strftime("%H:%M UTC") if time.date() == now.date() else time.strftime("%Y-%m-%d %H:%M UTC")
    return f"{what}{name} {_DONE.get(change.action, change.action.lower())} by {change.user} {when}"


def summary(changes: Sequence[Change], now: dt.datetime, limit: int = 3) -> str:
    """Up to ``limit`` clauses joined by '; ', and how many more."""
    shown = [describe(c, now) for c in changes[:limit]]
    more = len(changes) - limit
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
