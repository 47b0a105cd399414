"""plan / apply / rollback / drift of a stage that is a CX environment (``environment:``).

apply = one CreateVersion (long-running) per flow whose pinned version does not hold this
tree's content, then one UpdateEnvironment (long-running) with every flow's version; rollback =
one UpdateEnvironment back to the environment's previous state (LookupEnvironmentHistory).
A run killed anywhere converges when run again: a version that already holds a flow's content
(its description records the content hash) is used instead of making another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cxops.core import releases
from cxops.core.envplan import CONTENT_LINE, EnvPlan, content_of, make_env_plan
from cxops.core.plan import body_hash, match_fixed
from cxops.cx import CxSession
from cxops.cx import versions as cxv
from cxops.errors import ApiError, ConfigError, CxopsError, GateError
from cxops.stage.config import Stage, load_stage
from cxops.workflows.live import agent_name, open_session
from cxops.workflows.planning import author, desired_state, live_state

URI_FIELD = "generic_web_service.uri"


@dataclass(frozen=True)
class EnvOutcome:
    stage: str
    versions_created: int
    environment: str


def webhook_overrides(stage: Stage) -> dict[str, str]:
    """The stage's webhook URIs: they go to the environment's webhook_config, not the draft."""
    out = {}
    for key, fields in stage.overrides.items():
        if key.startswith("webhooks/") and URI_FIELD in fields:
            out[key[len("webhooks/") :]] = str(fields[URI_FIELD])
    return out


def _env_name(stage: Stage) -> str:
    if stage.environment is None:
        raise ConfigError(f"{stage.name} is not an environment stage", stage.location_of(("environment",)))
    return stage.environment


def _plan(
    root: Path, stage: Stage, session: CxSession, emulator_host: str | None, endpoint: str | None
) -> tuple[EnvPlan, dict[str, str], cxv.EnvironmentState | None, str, str]:
    environment = _env_name(stage)
    desired = desired_state(root, stage, None, emulator_host, endpoint)
    live = live_state(session, stage)
    flows = cxv.flow_names(session, live.agent)
    by_name = {name: flow for flow, name in flows.items()}
    env = cxv.find_environment(session, live.agent, environment)
    pinned: dict[str, tuple[str, str]] = {}
    if env is not None:
        descriptions = cxv.version_descriptions(session, list(env.versions.values()))
        for flow_name, version in env.versions.items():
            if flow_name in by_name:
                pinned[by_name[flow_name]] = (version, content_of(descriptions[version]))
    plan = make_env_plan(
        stage.name,
        environment,
        desired.snapshot,
        match_fixed(live.snapshot, desired.snapshot),
        pinned,
        webhook_overrides(stage),
    )
    plan_hash = body_hash(
        {"stage": stage.name, "environment": environment, "flows": {f.flow: f.content for f in plan.flows}}
    )
    commit = str(desired.source.get("commit") or "unknown")
    return plan, flows, env, plan_hash, commit


def plan_environment(root: Path, name: str, emulator_host: str | None, endpoint: str | None) -> EnvPlan:
    stage = load_stage(root, name)
    with open_session(stage, emulator_host, endpoint) as session:
        return _plan(root, stage, session, emulator_host, endpoint)[0]


def apply_environment(
    root: Path, name: str, emulator_host: str | None, endpoint: str | None, *, force: bool = False
) -> EnvOutcome:
    stage = load_stage(root, name)
    if stage.protected:
        raise GateError(
            f"{stage.name} is a protected environment stage: plan files and approvals for environment "
            "stages are not supported yet; nothing was written"
        )
    with open_session(stage, emulator_host, endpoint) as session:
        plan, flows, env, plan_hash, commit = _plan(root, stage, session, emulator_host, endpoint)
        if plan.draft_differs:
            raise GateError(
                f"{stage.name}: the draft of flow(s) {', '.join(plan.draft_differs)} is not this tree's "
                "content; apply the stage that edits the draft first (nothing was written)"
            )
        agent = agent_name(session, stage)
        hooks = webhook_ids(session, agent, plan.webhook_overrides)
        current = dict(env.versions) if env is not None else {}
        held = cxv.pinned_versions(session, agent)
        created = 0
        for step in plan.changed:
            flow = flows[step.flow]
            existing = cxv.list_versions(session, flow)
            # A version holding this content already (a run killed after CreateVersion): use it.
            reuse = [v for v in existing if content_of(v.description) == step.content]
            if reuse:
                current[flow] = reuse[-1].name
                continue
            for doomed in releases.to_prune(existing, held):
                cxv.delete_version(session, doomed)
            description = (
                f"{releases.DESCRIPTION_PREFIX}{plan_hash}\n{CONTENT_LINE}{step.content}\n"
                f"commit: {commit}\nauthor: {author()}"
            )
            current[flow] = cxv.create_version(session, flow, releases.display_name(plan_hash), description)
            created += 1
        wanted = {flows[s.flow]: current[flows[s.flow]] for s in plan.flows if flows[s.flow] in current}
        if env is not None and env.versions == wanted and env.webhooks == hooks:
            return EnvOutcome(stage.name, created, env.name)
        after = cxv.put_environment(session, agent, env, _env_name(stage), wanted, hooks)
        if after.versions != wanted:
            raise CxopsError(f"{stage.name}: the environment does not point at the versions just set")
        return EnvOutcome(stage.name, created, after.name)


def webhook_ids(session: CxSession, agent: str, overrides: Mapping[str, str]) -> dict[str, str]:
    names = cxv.webhook_names(session, agent)
    missing = sorted(set(overrides) - set(names))
    if missing:
        raise ApiError(f"webhook(s) {', '.join(missing)} are not in the draft agent", code="NOT_FOUND")
    return {names[hook]: uri for hook, uri in overrides.items()}


def rollback_environment(root: Path, name: str, emulator_host: str | None, endpoint: str | None) -> str:
    """One UpdateEnvironment back to the state before the current one; returns its name."""
    stage = load_stage(root, name)
    with open_session(stage, emulator_host, endpoint) as session:
        agent = agent_name(session, stage)
        env = cxv.find_environment(session, agent, _env_name(stage))
        if env is None:
            raise GateError(
                f"{stage.name}: environment {stage.environment!r} does not exist; nothing to roll back"
            )
        history = cxv.environment_history(session, env.name)
        if len(history) < 2:
            raise GateError(f"{stage.name}: environment {stage.environment!r} has no earlier state")
        previous = history[1]
        cxv.put_environment(session, agent, env, env.display_name, previous.versions, previous.webhooks)
        return env.name
