"""The gate's cheap re-read of live: the collections a plan writes into, plus the agent's
changelog since planning, instead of reading the whole agent again.

At planning (after the full read the diff needs), :func:`take` lists the collections the plan
writes into and records their digests (``cx/watch.py``) and the time the full read began.
Before apply writes, :func:`changed` lists the same collections again and reads the agent's
changelog since that time (``ListChangelogs`` with a ``create_time`` filter, v3 reference
ListChangelogsRequest.filter); any difference in either refuses the plan. What this cannot
see is in docs/gate.md ("What the gate re-reads").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from cxops.core import changeclauses, marker
from cxops.core.plan import Write
from cxops.cx import CxSession
from cxops.cx.changelogs import changes_since
from cxops.cx.watch import Collection, digests
from cxops.model.snapshot import AGENT_KEY


def now_precise() -> str:
    """UTC now with microseconds: the start of the plan's full read."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def collections(writes: Iterable[Write]) -> list[Collection]:
    """The collections a plan's writes go into (the agent's own settings always count)."""
    return sorted({("agent", "")} | {(w.key.kind, w.key.scope) for w in writes})


def _description(text: str) -> str:
    return marker.split(text)[0]


def take(
    session: CxSession, agent: str, writes: Iterable[Write], since: str, start_flow: str | None
) -> dict[str, Any]:
    """What the plan file records for the gate (the plan hash covers it)."""
    found = digests(session, agent, collections(writes), _description)
    return {"since": since, "start_flow": start_flow, "collections": dict(sorted(found.items()))}


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def changed(session: CxSession, agent: str, watch: Mapping[str, Any]) -> str | None:
    """None when live is as planned as far as the watch can see; else why not, one clause.
    Raises :class:`ApiError` when the changelog cannot be read (the caller reads in full)."""
    since = _parse(str(watch["since"]))
    # The filter takes whole seconds (v3 reference: create_time predicates); entries of the
    # second before the read began are dropped here by their exact time.
    whole = since.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    # The agent's own entries are left to its digest below: the apply lease writes the agent's
    # description (cxops's lines, which the digest leaves out) and is no change of content.
    found = [c for c in changes_since(session, agent, whole) if c.time >= since and c.key != AGENT_KEY]
    if found:
        newest = changeclauses.latest_per_resource(found)
        return changeclauses.summary(newest, dt.datetime.now(dt.timezone.utc))
    wanted: dict[str, str] = dict(watch["collections"])
    listed = [(key.partition(":")[0], key.partition(":")[2]) for key in wanted]
    now = digests(session, agent, listed, _description)
    moved = [key for key, digest in wanted.items() if now.get(key) != digest]
    if moved:
        return (
            "content of " + ", ".join(moved[:3]) + (f" and {len(moved) - 3} more" if len(moved) > 3 else "")
        )
    return None
