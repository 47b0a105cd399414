"""Preview agents: one agent per git branch in the project of a stage marked ``preview: true``.

``up`` makes the branch's agent if it has none (CreateAgent with the tree's languages and time
zone, then one RestoreAgent of the packaged desired state) and otherwise brings it to the
branch's tree by the normal plan and apply. ``down``, ``list`` and ``prune`` only ever see
agents carrying this stage's label (:mod:`cxops.stage.preview`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cxops.cx import CxSession
from cxops.cx.agents import create_agent, delete_agent, list_agents
from cxops.errors import ConfigError
from cxops.model.snapshot import AGENT_KEY
from cxops.repo import gitsource, yamlio
from cxops.repo.tree import read_tree
from cxops.stage import preview as pv
from cxops.stage.config import Stage, load_stage, load_stages
from cxops.workflows import apply
from cxops.workflows.live import open_session, tree_path
from cxops.workflows.planning import now, plan_for


@dataclass(frozen=True)
class PreviewAgent:
    name: str  # projects/P/locations/L/agents/ID
    display_name: str
    label: pv.Label

    @property
    def url(self) -> str:
        return pv.console_url(self.name)


@dataclass(frozen=True)
class UpOutcome:
    stage: str
    branch: str
    agent: PreviewAgent
    created: bool
    writes: int  # write calls of the apply (a RestoreAgent counts one); 0: already the tree
    security: tuple[str, ...] = ()  # where a credential goes or comes from changed (applied)


def preview_stage(root: Path, name: str | None) -> Stage:
    """The stage ``name``, which must be a preview stage; without a name, the only one there is."""
    if name is not None:
        stage = load_stage(root, name)
        if not stage.preview:
            raise ConfigError(
                "is not a preview stage: add preview: true (and a {branch} in agent_display_name)",
                stage.location_of(("preview",)),
            )
        return stage
    found = [s for s in load_stages(root).values() if s.preview]
    if len(found) != 1:
        which = ", ".join(s.name for s in found) if found else "none"
        raise ConfigError(
            f"name the preview stage with --stage (stages with preview: true: {which})"
            if found
            else "no stage has preview: true; add one, e.g. environments/preview.yaml"
        )
    return found[0]


def branch_or_current(root: Path, branch: str | None) -> str:
    return pv.check_branch(branch if branch is not None else gitsource.current_branch(root))


def labelled(session: CxSession, stage: Stage) -> list[PreviewAgent]:
    """The agents of the stage's location that carry this stage's label, oldest first."""
    out = []
    for agent in list_agents(session, stage.parent):
        label = pv.parse_label(agent.description)
        if label is not None and label.stage == stage.name:
            out.append(PreviewAgent(agent.name, agent.display_name, label))
    return sorted(out, key=lambda a: (a.label.created, a.name))


def _tree_agent(root: Path, stage: Stage) -> dict[str, Any]:
    snapshot = read_tree(root / "agents" / stage.agent, base=f"agents/{stage.agent}")
    return dict(snapshot.resources.get(AGENT_KEY) or {})


def branch_stage(stage: Stage, branch: str, agent: PreviewAgent, tree_agent: dict[str, Any] | None) -> Stage:
    """The preview stage pinned to one branch's agent, by id."""
    named = pv.for_branch(stage, branch, agent.label, tree_agent)
    return replace(named, agent_id=agent.name.rsplit("/", 1)[-1], agent_display_name=None)


def up(
    root: Path,
    stage_name: str | None,
    branch: str | None,
    emulator_host: str | None,
    endpoint: str | None,
    progress: apply.Progress | None = None,
) -> UpOutcome:
    stage = preview_stage(root, stage_name)
    branch = branch_or_current(root, branch)
    tree_agent = _tree_agent(root, stage)
    with open_session(stage, emulator_host, endpoint) as session:
        mine = [a for a in labelled(session, stage) if a.label.branch == branch]
        created = not mine
        if mine:
            agent = mine[0]
        else:
            label = pv.Label(stage.name, branch, now())
            display = pv.display_name(stage, branch)
            name = create_agent(
                session,
                stage.parent,
                display_name=display,
                description=pv.description(str(tree_agent.get("description", "")), label),
                default_language=str(tree_agent.get("default_language_code", "en")),
                supported_languages=[str(c) for c in tree_agent.get("supported_language_codes", [])],
                time_zone=str(tree_agent.get("time_zone", "UTC")),
            )
            agent = PreviewAgent(name, display, label)
    target = branch_stage(stage, branch, agent, tree_agent)
    plan = plan_for(root, target, None, emulator_host, endpoint)
    # A preview agent is the branch's own and disposable: a branch that deletes much of the
    # agent is not refused, and a new (empty) agent is filled with one RestoreAgent. A change
    # of where a credential goes is applied and reported, not refused: whoever can push a branch
    # here can already run the repository's workflows with its secrets (forks get no preview).
    outcome = apply.run(
        root, target, plan, emulator_host, endpoint, force=True, via_restore=created, progress=progress
    )
    return UpOutcome(stage.name, branch, agent, created, outcome.writes, plan.security)


def find_branch_agent(
    stage: Stage, branch: str, emulator_host: str | None, endpoint: str | None
) -> PreviewAgent:
    with open_session(stage, emulator_host, endpoint) as session:
        mine = [a for a in labelled(session, stage) if a.label.branch == branch]
    if not mine:
        raise ConfigError(f"branch {branch!r} has no preview agent in {stage.parent}; run cxops preview up")
    return mine[0]


def pinned(
    root: Path, stage: Stage, branch: str | None, emulator_host: str | None, endpoint: str | None
) -> Stage:
    """A stage as commands that read or run its agent see it: a preview stage pinned to the
    branch's own agent (``branch``, default the branch checked out); any other as it is, where
    ``branch`` is refused."""
    if not stage.preview:
        if branch is not None:
            raise ConfigError(
                "--branch is for preview stages (preview: true): this stage names one agent",
                stage.location_of(("agent_id" if stage.agent_id else "agent_display_name",)),
            )
        return stage
    branch = branch_or_current(root, branch)
    agent = find_branch_agent(stage, branch, emulator_host, endpoint)
    tree = tree_path(root, stage) / "agent.yaml"
    tree_agent = yamlio.load(tree.read_text(encoding="utf-8"), str(tree)) if tree.is_file() else None
    return branch_stage(stage, branch, agent, tree_agent if isinstance(tree_agent, dict) else None)


def down(
    root: Path, stage_name: str | None, branch: str | None, emulator_host: str | None, endpoint: str | None
) -> tuple[Stage, str, list[PreviewAgent]]:
    """Delete the branch's preview agent(s); returns what was deleted (none is not an error:
    a closed PR whose agent is gone already)."""
    stage = preview_stage(root, stage_name)
    branch = branch_or_current(root, branch)
    with open_session(stage, emulator_host, endpoint) as session:
        mine = [a for a in labelled(session, stage) if a.label.branch == branch]
        for agent in mine:
            delete_agent(session, agent.name)
    return stage, branch, mine


def list_previews(
    root: Path, stage_name: str | None, emulator_host: str | None, endpoint: str | None
) -> tuple[Stage, list[PreviewAgent]]:
    stage = preview_stage(root, stage_name)
    with open_session(stage, emulator_host, endpoint) as session:
        return stage, labelled(session, stage)


def prune(
    root: Path,
    stage_name: str | None,
    older_than: dt.timedelta,
    emulator_host: str | None,
    endpoint: str | None,
    *,
    at: dt.datetime | None = None,
) -> tuple[Stage, list[PreviewAgent]]:
    """Delete this stage's preview agents created more than ``older_than`` ago."""
    stage = preview_stage(root, stage_name)
    cutoff = (at or dt.datetime.now(dt.timezone.utc)) - older_than
    with open_session(stage, emulator_host, endpoint) as session:
        old = [a for a in labelled(session, stage) if a.label.created_at < cutoff]
        for agent in old:
            delete_agent(session, agent.name)
    return stage, old
