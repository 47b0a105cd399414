"""`cxops drift` of an environment stage: is the environment still pinned as cxops left it?

What cxops left is read from the service, not from this machine: every UpdateEnvironment cxops
makes writes a line into the environment's description naming a digest of what it pinned
(core/envmark.py). The live environment matching its own line is no drift. Otherwise the newest
state cxops wrote is looked up in the environment's history (LookupEnvironmentHistory keeps
each state with its description) and the flows and webhooks that moved since are named. An
environment no cxops apply ever wrote to is compared with this tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cxops.core import envmark
from cxops.core.envplan import EnvPlan
from cxops.cx import CxSession
from cxops.cx import versions as cxv
from cxops.cx.changelogs import last_change_of
from cxops.errors import ApiError
from cxops.stage.config import load_stage
from cxops.workflows.envstage import pins_by_name, plan_environment
from cxops.workflows.live import agent_name, open_session


@dataclass(frozen=True)
class EnvDrift:
    plan: EnvPlan  # the environment against this tree (what a plan would do)
    moved: tuple[str, ...]  # what moved since cxops's last apply or rollback, as lines
    against: str  # what the environment was compared with


def _own(state: cxv.EnvironmentState) -> envmark.Applied | None:
    """The line of a state cxops wrote (its digest is the state's own), else None."""
    applied = envmark.applied_of(state.description)
    if applied is not None and applied.pins == envmark.pins_digest(state.versions, state.webhooks):
        return applied
    return None


def _last_written(
    session: CxSession, env: cxv.EnvironmentState
) -> tuple[cxv.EnvironmentState | None, envmark.Applied | None, str]:
    """The newest state of the environment cxops wrote and its line; else (None, the live line
    if any, why the history could not tell)."""
    applied = _own(env)
    if applied is not None:
        return env, applied, ""
    try:
        history = cxv.environment_history(session, env.name)
    except ApiError as err:
        return None, envmark.applied_of(env.description), f"its history cannot be read ({err.code})"
    for state in history:
        found = _own(state)
        if found is not None:
            return state, found, ""
    return None, envmark.applied_of(env.description), "its history holds no state cxops wrote"


def _label(applied: envmark.Applied) -> str:
    what = "rollback" if applied.plan == envmark.ROLLBACK else f"apply (plan {applied.plan})"
    return f"the last {what}"


def drift_environment(root: Path, name: str, emulator_host: str | None, endpoint: str | None) -> EnvDrift:
    """The environment against what cxops's last apply (or rollback) pinned, as recorded on the
    environment; a tree change not applied yet is not drift. Without any such record: against
    this tree."""
    stage = load_stage(root, name)
    planned = plan_environment(root, name, emulator_host, endpoint)
    assert planned.environment is not None and stage.environment is not None
    with open_session(stage, emulator_host, endpoint) as session:
        agent = agent_name(session, stage)
        env = cxv.find_environment(session, agent, stage.environment)
        if env is None:
            state, applied, why = None, None, "it does not exist"
        else:
            state, applied, why = _last_written(session, env)
        if env is None or applied is None:
            moved = tuple(
                f"flow {s.flow!r} is at {s.pinned or 'no version'}" for s in planned.environment.changed
            )
            return EnvDrift(
                planned.environment,
                moved,
                f"this tree (no apply by cxops recorded on the environment: {why})",
            )
        when = ""
        last = last_change_of(session, agent, env.name)
        if last is not None:
            when = f"; environment last changed by {last[0]} {last[1].strftime('%Y-%m-%d %H:%M UTC')}"
        elif env.update_time:
            when = f"; environment last changed {env.update_time}"
        by = f"as applied {applied.at} by {applied.by}{when}"
        if state is None:  # its own line no longer matches it, and no earlier state says more
            return EnvDrift(
                planned.environment,
                (f"the environment is not pinned as {_label(applied)} left it ({by}); {why}",),
                _label(applied),
            )
        now_pinned, now_hooks = pins_by_name(session, agent, env)
        then_pinned, then_hooks = pins_by_name(session, agent, state)
    lines = []
    for flow in sorted(set(then_pinned) | set(now_pinned)):
        if now_pinned.get(flow) != then_pinned.get(flow):
            lines.append(
                f"flow {flow!r} is at {now_pinned.get(flow) or 'no version'}, "
                f"not {then_pinned.get(flow) or 'no version'} {by}"
            )
    for hook in sorted(set(then_hooks) | set(now_hooks)):
        if now_hooks.get(hook) != then_hooks.get(hook):
            lines.append(
                f"webhook {hook!r}'s override is {now_hooks.get(hook) or 'gone'}, "
                f"not {then_hooks.get(hook) or 'none'} {by}"
            )
    return EnvDrift(planned.environment, tuple(lines), _label(applied))
