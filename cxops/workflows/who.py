"""Who changed a stage's live agent, from its changelog: for the gate's refusal and for drift."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path

from cxops.core import changeclauses
from cxops.cx import CxSession
from cxops.cx.changelogs import changes_since
from cxops.errors import ApiError
from cxops.model.snapshot import Key
from cxops.stage.config import load_stage
from cxops.workflows.live import agent_name, open_session

EPOCH = "1970-01-01T00:00:00Z"


def changed_since(session: CxSession, agent: str, since: str, keys: Collection[Key] | None = None) -> str:
    """What the agent's changelog says changed since ``since`` (of ``keys`` only, when given);
    '' where it cannot say: the service refused the read, or nothing is recorded. A plan's
    time has whole seconds, so writes in the second it was made are named too."""
    try:
        found = changes_since(session, agent, since)
    except ApiError:
        return ""
    return changeclauses.summary(
        changeclauses.latest_per_resource(found, keys), dt.datetime.now(dt.timezone.utc)
    )


def last_changes(
    root: Path, stage_name: str, keys: Collection[Key], emulator_host: str | None, endpoint: str | None
) -> str:
    """The newest changelog entry of each of ``keys`` in the stage's live agent (drift)."""
    stage = load_stage(root, stage_name)
    with open_session(stage, emulator_host, endpoint) as session:
        try:
            agent = agent_name(session, stage)
        except ApiError:
            return ""
        return changed_since(session, agent, EPOCH, keys)
