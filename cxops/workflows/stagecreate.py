"""`cxops stage create STAGE`: make the stage's agent, empty, where CX has none yet.

A new project (or a fresh stand-in) has no agent, and every other command needs one. The agent
is created with the stage's display name and the tree's default language, supported languages
and time zone (CreateAgent; the rest comes with the first apply). A protected stage is where
real users talk to the bot: creating an agent there is refused unless someone is named as
having approved it, and that name goes into the agent's description (a ``[cxops-created …]``
line, core/marker.py), visible in the console.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxops.core import marker
from cxops.cx.agents import create_agent
from cxops.cx.read import find_agents
from cxops.errors import ConfigError, CxopsError
from cxops.repo import yamlio
from cxops.stage.config import Stage, load_stage, load_stages
from cxops.workflows.live import open_session


@dataclass(frozen=True)
class Created:
    stage: str
    name: str  # projects/P/locations/L/agents/ID
    display_name: str


def tree_settings(root: Path, stage: Stage) -> dict[str, Any]:
    """The tree's agent.yaml (only the agent's own file is read: it is all CreateAgent needs)."""
    path = root / "agents" / stage.agent / "agent.yaml"
    if not path.is_file():
        raise ConfigError(f"no agents/{stage.agent}/agent.yaml: the tree gives the new agent's languages")
    body = yamlio.load(path.read_text(encoding="utf-8"), f"agents/{stage.agent}/agent.yaml")
    return dict(body) if isinstance(body, dict) else {}


def create(
    root: Path,
    stage: Stage,
    emulator_host: str | None,
    endpoint: str | None,
    *,
    approved_by: str | None,
    protect: bool = True,
) -> Created:
    if stage.preview:
        raise ConfigError(
            f"{stage.name} is a preview stage: cxops preview up creates each branch's agent",
            stage.location_of(("preview",)),
        )
    if stage.agent_display_name is None:
        # CX chooses a new agent's id: a stage naming an id names an agent that must exist.
        raise ConfigError(
            f"{stage.name} names its agent by agent_id, which CX chooses at creation: name it by "
            "agent_display_name to create it",
            stage.location_of(("agent_id",)),
        )
    if protect and stage.protected and not (approved_by or "").strip():
        raise ConfigError(
            f"{stage.name} is protected: creating its agent needs --approved-by NAME (who approved it)",
            stage.location_of(("protected",)),
        )
    settings = tree_settings(root, stage)
    display = stage.agent_display_name
    with open_session(stage, emulator_host, endpoint) as session:
        if find_agents(session, stage.parent, display):
            raise ConfigError(f"{stage.name}: an agent named {display!r} already exists in {stage.parent}")
        # The approval is cxops's own line, which every read takes out again: it shows in the
        # console, never as a difference between the tree and the agent.
        marks = (
            {"created": marker.created_text(approved_by, dt.datetime.now(dt.timezone.utc))}
            if approved_by
            else {}
        )
        description = marker.join(str(settings.get("description", "")), marks)
        name = create_agent(
            session,
            stage.parent,
            display_name=display,
            description=description,
            default_language=str(settings.get("default_language_code", "en")),
            supported_languages=[str(c) for c in settings.get("supported_language_codes", [])],
            time_zone=str(settings.get("time_zone", "UTC")),
        )
    return Created(stage.name, name, display)


def create_stage(
    root: Path, stage_name: str, emulator_host: str | None, endpoint: str | None, approved_by: str | None
) -> Created:
    return create(root, load_stage(root, stage_name), emulator_host, endpoint, approved_by=approved_by)


def create_all(root: Path, emulator_host: str) -> list[Created | CxopsError]:
    """Every stage's agent in a stand-in (``cxops fake serve --agents-from``): each stage is
    created or says why not; protection is a test double's business no more than a test's."""
    out: list[Created | CxopsError] = []
    for stage in load_stages(root).values():
        try:
            out.append(create(root, stage, emulator_host, None, approved_by=None, protect=False))
        except CxopsError as bad:
            out.append(bad)
    return out
