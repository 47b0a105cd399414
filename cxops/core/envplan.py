"""Stages that are CX environments (``environment:`` in a stage file): which flows need a new
version, which keep theirs, and what the environment cannot pin.

A CX environment points at one version per flow (v3 ``Environment.version_configs``); a version
is made from the draft flow (``Versions.CreateVersion``: "Creates a Version in the specified
Flow") and holds the flow, its pages and its route groups. Everything else of the agent —
intents, entity types, webhooks, agent-level route groups, generators, playbooks, tools, agent
settings — is not versioned: every environment of the agent runs the draft's. Pure: the reads
and writes are in :mod:`cxops.workflows.envstage`.

An environment plan is part of a :class:`cxops.core.plan.Plan` (its ``environment``), so it is
written, hashed, approved and checked by the same gate as an agent stage's plan.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from cxops.core.diff import compare
from cxops.model import secrets
from cxops.model.snapshot import Key, Snapshot, body_hash

FLOW_KINDS = ("flow", "page", "flow_route_group")
CONTENT_LINE = "content: "
# Fields of a webhook's generic_web_service an environment overrides (v3
# Environment.WebhookConfig.webhook_overrides: "The webhook must exist in the agent. You can
# override fields in generic_web_service and service_directory").
OVERRIDDEN = ("uri", "request_headers")

# One webhook's override: {"uri": ..., "request_headers": {header: value or ${secret:NAME}}}.
HookOverride = Mapping[str, Any]


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
    draft: str = ""  # hash of the draft's content when planned
    creates: int = 0  # CreateVersion calls apply makes (0: a version holding it exists)
    prunes: int = 0  # DeleteVersion calls first, to stay under CX's versions a flow

    @property
    def changed(self) -> bool:
        return self.pinned is None or self.pinned_content != self.content

    def as_data(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "content": self.content,
            "pinned": self.pinned,
            "pinned_content": self.pinned_content,
            "draft": self.draft,
            "creates": self.creates,
            "prunes": self.prunes,
        }


@dataclass(frozen=True)
class EnvPlan:
    stage: str
    environment: str
    flows: tuple[FlowStep, ...]
    draft_differs: tuple[str, ...]  # flows whose draft is not the desired content
    unversioned: tuple[str, ...]  # agent-level resources where the draft is not the desired state
    playbooks: int
    webhook_overrides: Mapping[
        str, HookOverride
    ]  # webhook display name -> override (secrets as placeholders)
    webhooks_changed: bool = False
    exists: bool = True  # the environment exists (UpdateEnvironment) or not (CreateEnvironment)

    @property
    def changed(self) -> list[FlowStep]:
        return [f for f in self.flows if f.changed]

    def __bool__(self) -> bool:
        return bool(self.changed) or self.webhooks_changed or not self.exists

    @property
    def write_calls(self) -> int:
        """Versions made and pruned, then one Create/UpdateEnvironment (the lease is extra)."""
        if not self:
            return 0
        return sum(s.creates + s.prunes for s in self.changed) + 1

    @property
    def long_running(self) -> int:
        return sum(s.creates for s in self.changed) + 1 if self else 0

    def as_data(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "environment": self.environment,
            "exists": self.exists,
            "flows": [s.as_data() for s in self.flows],
            "draft_differs": list(self.draft_differs),
            "unversioned": list(self.unversioned),
            "playbooks": self.playbooks,
            "webhook_overrides": {k: dict(v) for k, v in sorted(self.webhook_overrides.items())},
            "webhooks_changed": self.webhooks_changed,
        }

    def write_lines(self) -> list[str]:
        """The write calls apply makes, in its order (what ``plan --writes`` lists; the lease's
        two are not among them, as for agent stages)."""
        if not self:
            return []
        lines: list[str] = []
        for step in self.changed:
            lines += [
                f"DeleteVersion: the oldest version cxops made of flow {step.flow!r} that no environment pins"
            ] * step.prunes
            lines += [f"CreateVersion of flow {step.flow!r} from the draft (long-running)"] * step.creates
        verb = "UpdateEnvironment" if self.exists else "CreateEnvironment"
        hooks = (
            f", webhook overrides of {', '.join(sorted(self.webhook_overrides))}"
            if self.webhook_overrides
            else ""
        )
        lines.append(f"{verb} {self.environment!r}: {len(self.flows)} version_configs{hooks} (long-running)")
        return lines

    def applied(self) -> dict[str, str | None]:
        """What apply pins: flow -> the version it keeps, or None for one apply makes or finds."""
        return {s.flow: (None if s.changed else s.pinned) for s in self.flows}


def env_plan_from_data(data: Mapping[str, Any]) -> EnvPlan:
    """The inverse of :meth:`EnvPlan.as_data`; malformed data raises KeyError/TypeError/ValueError."""
    return EnvPlan(
        stage=str(data["stage"]),
        environment=str(data["environment"]),
        flows=tuple(
            FlowStep(
                flow=str(s["flow"]),
                content=str(s["content"]),
                pinned=None if s.get("pinned") is None else str(s["pinned"]),
                pinned_content=str(s.get("pinned_content", "")),
                draft=str(s.get("draft", "")),
                creates=int(s.get("creates", 0)),
                prunes=int(s.get("prunes", 0)),
            )
            for s in data["flows"]
        ),
        draft_differs=tuple(str(f) for f in data.get("draft_differs", [])),
        unversioned=tuple(str(k) for k in data.get("unversioned", [])),
        playbooks=int(data.get("playbooks", 0)),
        webhook_overrides={str(k): dict(v) for k, v in dict(data.get("webhook_overrides", {})).items()},
        webhooks_changed=bool(data.get("webhooks_changed", False)),
        exists=bool(data.get("exists", True)),
    )


def hook_overrides(
    desired: Snapshot, overridden: Collection[str], stage_secrets: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """The environment's webhook overrides: every webhook whose URI the stage overrides or whose
    credential the stage has its own source for. Its URI and request headers go to the
    environment (never to the draft, which another stage owns); header values that are secrets
    stay placeholders here and are resolved only at apply."""
    named = {slot.key.name for slot in secrets.slots(desired) if slot.name in stage_secrets}
    out: dict[str, dict[str, Any]] = {}
    for key, body in desired.of_kind("webhook"):
        if key.name not in overridden and key.name not in named:
            continue
        service = body.get("generic_web_service")
        if not isinstance(service, Mapping):
            continue
        hook: dict[str, Any] = {"uri": str(service.get("uri", ""))}
        headers = service.get("request_headers")
        if isinstance(headers, Mapping) and headers:
            hook["request_headers"] = {str(h): str(v) for h, v in sorted(headers.items())}
        out[key.name] = hook
    return out


def secret_names(overrides: Mapping[str, HookOverride]) -> list[str]:
    """The placeholders of the overrides' header values, sorted."""
    found = set()
    for hook in overrides.values():
        for value in dict(hook.get("request_headers", {})).values():
            match = secrets.PLACEHOLDER.match(str(value))
            if match:
                found.add(match.group(1))
    return sorted(found)


def live_fingerprint(
    exists: bool,
    pinned: Mapping[str, str | None],
    webhooks: Mapping[str, Any],
    drafts: Mapping[str, str],
) -> str:
    """What the gate checks did not move between plan and apply: the environment's versions and
    webhook overrides (header values as hashes), and the draft content of each flow apply will
    version (a version is cut from the draft, whatever it holds then)."""
    return body_hash(
        {"exists": exists, "pinned": dict(pinned), "webhooks": dict(webhooks), "drafts": dict(drafts)}
    )


def make_env_plan(
    stage: str,
    environment: str,
    desired: Snapshot,
    draft: Snapshot,
    pinned: Mapping[str, tuple[str, str]],
    webhook_overrides: Mapping[str, HookOverride],
    *,
    webhooks_changed: bool = False,
    exists: bool = True,
    version_calls: Mapping[str, tuple[int, int]] | None = None,
) -> EnvPlan:
    """``pinned``: flow display name -> (version name, content hash its description records);
    ``version_calls``: flow -> (creates, prunes) apply will make for it (when known)."""
    want = flow_contents(desired)
    have = flow_contents(draft)
    calls = version_calls or {}
    steps = tuple(
        FlowStep(
            flow,
            content,
            pinned.get(flow, (None, ""))[0],
            pinned.get(flow, (None, ""))[1],
            have.get(flow, ""),
            *calls.get(flow, (1, 0)),
        )
        for flow, content in want.items()
    )
    differs = tuple(s.flow for s in steps if s.changed and have.get(s.flow) != s.content)
    unversioned = tuple(
        str(c.key)
        for c in compare(draft, desired).changes
        if flow_of(c.key) is None and not (c.key.kind == "webhook" and c.key.name in webhook_overrides)
    )
    playbooks = sum(1 for k in desired.resources if k.kind == "playbook")
    return EnvPlan(
        stage,
        environment,
        steps,
        differs,
        unversioned,
        playbooks,
        dict(webhook_overrides),
        webhooks_changed,
        exists,
    )


def render_env_plan(plan: EnvPlan) -> str:
    lines = [f"{plan.stage}: environment {plan.environment!r}"]
    if not plan:
        lines.append("  no changes: every flow is at a version holding this tree's content")
    for step in plan.flows:
        if step.changed:
            lines.append(f"  + version flow {step.flow!r} from the draft (now {step.pinned or 'not pinned'})")
        else:
            lines.append(f"    keep flow {step.flow!r} at {step.pinned}")
    if plan:
        verb = "UpdateEnvironment" if plan.exists else "CreateEnvironment"
        lines.append(f"  then one {verb}: {len(plan.flows)} version_configs")
    for flow in plan.draft_differs:
        lines.append(
            f"  ! the draft of flow {flow!r} is not this tree's content: apply the draft stage first"
        )
    for key in plan.unversioned:
        lines.append(f"  ! {key}: differs in the draft; affects every environment of this agent")
    for hook, override in sorted(plan.webhook_overrides.items()):
        headers = ", ".join(sorted(dict(override.get("request_headers", {}))))
        extra = f", headers {headers}" if headers else ""
        changed = " (changes)" if plan.webhooks_changed else ""
        lines.append(
            f"    webhook {hook!r} -> {override.get('uri')}{extra} (environment webhook_config override){changed}"
        )
    if plan.playbooks:
        lines.append(
            f"  ! {plan.playbooks} playbook(s): CX cannot pin playbooks in an environment; "
            "they run from the draft in every environment"
        )
    return "\n".join(lines) + "\n"
