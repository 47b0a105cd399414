"""Stages that are CX environments (``environment:`` in a stage file): which flows need a new
version, which keep theirs, and what the environment cannot pin.

A CX environment points at one version per flow (v3 ``Environment.version_configs``); a version
is made from the draft flow (``Versions.CreateVersion``: "Creates a Version in the specified
Flow") and holds the flow, its pages and its route groups. Everything else of the agent —
intents, entity types, webhooks, agent-level route groups, generators, playbooks, tools, agent
settings — is not versioned: every environment of the agent runs the draft's. Pure: the reads
and writes are in :mod:`cxops.workflows.envstage`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cxops.core.diff import compare
from cxops.core.plan import body_hash
from cxops.model.snapshot import Key, Snapshot

FLOW_KINDS = ("flow", "page", "flow_route_group")
CONTENT_LINE = "content: "


def flow_of(key: Key) -> str | None:
    if key.kind == "flow":
        return key.name
    if key.kind in ("page", "flow_route_group"):
        return key.scope
    return None


def flow_contents(snapshot: Snapshot) -> dict[str, str]:
    """Flow display name -> hash of what a version of it holds (flow, pages, route groups)."""
    grouped: dict[str, dict[str, object]] = {}
    for key, body in snapshot.resources.items():
        flow = flow_of(key)
        if flow is not None:
            grouped.setdefault(flow, {})[f"{key.kind}/{key.name}"] = body
    return {flow: body_hash(parts) for flow, parts in sorted(grouped.items())}


def content_of(description: str) -> str:
    """The content hash a cxops version's description records ('' for any other version)."""
    for line in description.split("\n"):
        if line.startswith(CONTENT_LINE):
            return line[len(CONTENT_LINE) :].strip()
    return ""


@dataclass(frozen=True)
class FlowStep:
    flow: str
    content: str  # hash of the desired content
    pinned: str | None  # the version the environment points at now
    pinned_content: str  # what that version holds ('' when unknown)

    @property
    def changed(self) -> bool:
        return self.pinned is None or self.pinned_content != self.content


@dataclass(frozen=True)
class EnvPlan:
    stage: str
    environment: str
    flows: tuple[FlowStep, ...]
    draft_differs: tuple[str, ...]  # flows whose draft is not the desired content
    unversioned: tuple[str, ...]  # agent-level resources where the draft is not the desired state
    playbooks: int
    webhook_overrides: Mapping[str, str]  # webhook display name -> uri for this environment

    @property
    def changed(self) -> list[FlowStep]:
        return [f for f in self.flows if f.changed]

    def __bool__(self) -> bool:
        return bool(self.changed)


def make_env_plan(
    stage: str,
    environment: str,
    desired: Snapshot,
    draft: Snapshot,
    pinned: Mapping[str, tuple[str, str]],
    webhook_overrides: Mapping[str, str],
) -> EnvPlan:
    """``pinned``: flow display name -> (version name, content hash its description records)."""
    want = flow_contents(desired)
    have = flow_contents(draft)
    steps = tuple(
        FlowStep(flow, content, pinned.get(flow, (None, ""))[0], pinned.get(flow, (None, ""))[1])
        for flow, content in want.items()
    )
    differs = tuple(s.flow for s in steps if s.changed and have.get(s.flow) != s.content)
    unversioned = tuple(
        str(c.key)
        for c in compare(draft, desired).changes
        if flow_of(c.key) is None and not (c.key.kind == "webhook" and c.key.name in webhook_overrides)
    )
    playbooks = sum(1 for k in desired.resources if k.kind == "playbook")
    return EnvPlan(stage, environment, steps, differs, unversioned, playbooks, dict(webhook_overrides))


def render_env_plan(plan: EnvPlan) -> str:
    lines = [f"{plan.stage}: environment {plan.environment!r}"]
    if not plan.changed:
        lines.append("  no changes: every flow is at a version holding this tree's content")
    for step in plan.flows:
        if step.changed:
            lines.append(f"  + version flow {step.flow!r} from the draft (now {step.pinned or 'not pinned'})")
        else:
            lines.append(f"    keep flow {step.flow!r} at {step.pinned}")
    if plan.changed:
        lines.append(f"  then one UpdateEnvironment: {len(plan.flows)} version_configs")
    for flow in plan.draft_differs:
        lines.append(
            f"  ! the draft of flow {flow!r} is not this tree's content: apply the draft stage first"
        )
    for key in plan.unversioned:
        lines.append(f"  ! {key}: differs in the draft; affects every environment of this agent")
    for hook, uri in sorted(plan.webhook_overrides.items()):
        lines.append(f"    webhook {hook!r} -> {uri} (environment webhook_config override)")
    if plan.playbooks:
        lines.append(
            f"  ! {plan.playbooks} playbook(s): CX cannot pin playbooks in an environment; "
            "they run from the draft in every environment"
        )
    return "\n".join(lines) + "\n"
