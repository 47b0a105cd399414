"""Flow versions after apply (``versions: on_apply``) and their listing (``cxops history``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cxops.core import releases
from cxops.core.envplan import content_of, flow_contents
from cxops.core.plan import Plan
from cxops.cx import CxSession
from cxops.cx import versions as cxv
from cxops.model.flowversion import FlowVersion
from cxops.model.snapshot import Snapshot
from cxops.stage.config import load_stage
from cxops.workflows.live import agent_name, open_session


@dataclass(frozen=True)
class Release:
    flow: str  # display name
    version: FlowVersion

    @property
    def plan_hash(self) -> str:
        return releases.plan_hash_of(self.version)


def _due(
    session: CxSession, agent: str, desired: Snapshot
) -> list[tuple[str, str, list[FlowVersion], set[str]]]:
    """(flow resource name, content, its versions, pinned versions) of each flow whose newest
    cxops version does not hold its desired content; a flow not in the agent yet (planning
    before it is created) comes with no name and no versions."""
    names = cxv.flow_names(session, agent)
    held = cxv.pinned_versions(session, agent)
    out: list[tuple[str, str, list[FlowVersion], set[str]]] = []
    for flow, content in flow_contents(desired).items():
        flow_name = names.get(flow)
        if flow_name is None:
            out.append(("", content, [], held))
            continue
        existing = cxv.list_versions(session, flow_name)
        ours = sorted((v for v in existing if releases.by_cxops(v)), key=lambda v: v.create_time)
        if ours and content_of(ours[-1].description) == content:
            continue
        out.append((flow_name, content, existing, held))
    return out


def planned_calls(session: CxSession, agent: str, desired: Snapshot) -> tuple[int, int]:
    """The CreateVersion and DeleteVersion calls :func:`create_versions` would make now."""
    due = _due(session, agent, desired)
    return len(due), sum(len(releases.to_prune(existing, held)) for _, _, existing, held in due)


def create_versions(session: CxSession, agent: str, plan: Plan, desired: Snapshot) -> list[str]:
    """A version of each flow whose newest cxops version does not hold its desired content
    (the flows the plan changed, and any a killed run left unversioned); returns the new names.

    Run after apply verified live (or found nothing to write): the versions then hold exactly
    the desired content, which each records as a hash, so a re-run versions nothing twice.
    """
    plan_hash = plan.hash
    made: list[str] = []
    for flow_name, content, existing, held in _due(session, agent, desired):
        if not flow_name:
            continue
        for doomed in releases.to_prune(existing, held):
            cxv.delete_version(session, doomed)
        made.append(
            cxv.create_version(
                session,
                flow_name,
                releases.display_name(plan_hash),
                releases.description(plan, plan_hash, content),
            )
        )
    return made


def history(session: CxSession, agent: str) -> list[Release]:
    """cxops's versions of every flow, newest first."""
    out = [
        Release(flow, v)
        for flow, name in sorted(cxv.flow_names(session, agent).items())
        for v in cxv.list_versions(session, name)
        if releases.by_cxops(v)
    ]
    return sorted(out, key=lambda r: r.version.create_time, reverse=True)


def stage_history(
    root: Path, stage_name: str, emulator_host: str | None, endpoint: str | None
) -> list[Release]:
    stage = load_stage(root, stage_name)
    with open_session(stage, emulator_host, endpoint) as session:
        return history(session, agent_name(session, stage))
