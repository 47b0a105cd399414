"""Live agents of stages: connect, find the agent, read it as a snapshot (pull, diff, plan)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cxops.core import marker
from cxops.cx import CxSession, ErrorContext
from cxops.cx.envcontent import served_agent
from cxops.cx.read import export_package, find_agents, read_agent
from cxops.cx.versions import find_environment
from cxops.errors import ConfigError, CxopsError
from cxops.model import progress
from cxops.model.snapshot import AGENT_KEY, Snapshot
from cxops.package.files import ZipFiles
from cxops.package.fromapi import package_from_api
from cxops.package.reader import snapshot_from_package
from cxops.repo.tree import read_tree
from cxops.stage import overrides
from cxops.stage.config import Stage


class Via(str, enum.Enum):
    export = "export"
    list = "list"


def open_session(stage: Stage, emulator_host: str | None, endpoint: str | None) -> CxSession:
    return CxSession(
        stage.connection_settings(emulator_host=emulator_host, api_endpoint=endpoint),
        limits=stage.rate_limits,
        context=ErrorContext(stage=stage.name, stage_file=stage.file, agent=stage.agent_path),
    )


def agent_name(session: CxSession, stage: Stage) -> str:
    """The stage's agent: by id, or looked up by display name."""
    if stage.agent_path is not None:
        return stage.agent_path
    if stage.preview:
        raise ConfigError(
            f"{stage.name} is a preview stage, with one agent per branch: use cxops preview up,"
            f" or cxops pull {stage.name} --branch NAME",
            stage.location_of(("preview",)),
        )
    found = find_agents(session, stage.parent, str(stage.agent_display_name))
    if not found:
        raise ConfigError(
            f"no agent named {stage.agent_display_name!r} in {stage.parent}",
            stage.location_of(("agent_display_name",)),
        )
    session.context = ErrorContext(stage=stage.name, stage_file=stage.file, agent=found[0])
    return found[0]


@dataclass(frozen=True)
class Live:
    agent: str
    snapshot: Snapshot
    files: int  # files of the package the agent was read as
    # cxops's own lines of the agent's description (the apply lease, the sources stamp):
    # taken out of the snapshot, so that they are never content.
    marks: Mapping[str, str] = field(default_factory=dict)
    # What could not be read as asked (an environment's version shown as the draft), one line each.
    notes: tuple[str, ...] = ()


def read_live(session: CxSession, stage: Stage, via: Via) -> Live:
    """The stage's agent as a snapshot, with one consistent export or by listing everything."""
    name = agent_name(session, stage)
    files: Mapping[str, bytes]
    if via is Via.export:
        files = ZipFiles(export_package(session, name), f"export of {name}")
    else:
        with progress.step(f"listing every resource of {name}"):
            files = package_from_api(read_agent(session, name))
    return decode(name, files, stage.name)


def decode(name: str, files: Mapping[str, bytes], stage_name: str, notes: tuple[str, ...] = ()) -> Live:
    """A package read from the stage's agent as a snapshot, cxops's own description lines out."""
    with progress.step(f"decoding {len(files)} files of {stage_name}'s agent"):
        snapshot, _ = snapshot_from_package(files)
    count = len(files)
    agent = snapshot.resources.get(AGENT_KEY)
    marks: dict[str, str] = {}
    if agent is not None and isinstance(agent.get("description"), str):
        description, marks = marker.split(agent["description"])
        if description:
            agent["description"] = description
        else:
            del agent["description"]
    return Live(agent=name, snapshot=snapshot, files=count, marks=marks, notes=notes)


def read_served(session: CxSession, stage: Stage) -> Live:
    """What the stage's CX environment serves: its pinned flow versions' content, the draft's
    agent-level resources with the environment's webhook overrides (cx/envcontent.py)."""
    name = agent_name(session, stage)
    env = find_environment(session, name, str(stage.environment))
    if env is None:
        raise ConfigError(
            f"the agent has no environment {stage.environment!r} yet: apply {stage.name} first",
            stage.location_of(("environment",)),
        )
    with progress.step(f"reading what environment {stage.environment!r} serves"):
        served = served_agent(session, name, env)
        files = package_from_api(served.api)
    return decode(name, files, stage.name, tuple(served.notes))


def tree_path(root: Path, stage: Stage) -> Path:
    return root / "agents" / stage.agent


def read_content(
    root: Path, stage: Stage, via: Via, emulator_host: str | None, endpoint: str | None
) -> tuple[Live, list[overrides.Kept]]:
    """The stage's live agent as content (pull, diff, promotion): its overrides taken out again
    (the tree's value goes back), the agent's display name the tree's. Returns what stayed
    because the live value is not the override (a real change)."""
    folder = tree_path(root, stage)
    try:
        # The tree is only needed to put its own values back where the stage overrides them.
        tree = read_tree(folder) if stage.overrides and (folder / "agent.yaml").is_file() else None
    except CxopsError:
        tree = None  # a broken tree says so where it is read; overrides fall back to absent
    with open_session(stage, emulator_host, endpoint) as session:
        # An environment stage's content is what the environment serves, not the draft.
        live = read_served(session, stage) if stage.environment else read_live(session, stage, via)
    kept = overrides.remove(live.snapshot, stage, tree)
    overrides.keep_agent_name(live.snapshot, folder)
    return live, kept
