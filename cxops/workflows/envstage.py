"""plan / apply / rollback of a stage that is a CX environment (``environment:``); drift is
workflows/envdrift.py.

apply = one CreateVersion (long-running) per flow whose pinned version does not hold this
tree's content, then one UpdateEnvironment (long-running) with every flow's version and the
stage's webhook overrides; rollback = one UpdateEnvironment back to the version_configs and
webhook overrides the newest backup holds (or, without one, the environment's previous state
from LookupEnvironmentHistory). Both write what they pinned into the environment's description
(core/envmark.py), where drift finds it.
A run killed anywhere converges when run again: a version that already holds a flow's content
(its description records the content hash) is used instead of making another.

The plan is a :class:`cxops.core.plan.Plan` with an ``environment`` part, so it goes through the
same gate as an agent stage's: plan file, hash, approvals, tests, the tree and live unchanged
since planning. The lease is the agent's (workflows/lease.py): versions are cut from the draft,
so an apply to the draft and one to any of its environments exclude each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxops.core import envmark, gate, marker, releases, secretdigest
from cxops.core.diff import Diff
from cxops.core.envplan import (
    CONTENT_LINE,
    EnvPlan,
    content_of,
    flow_contents,
    hook_overrides,
    live_fingerprint,
    make_env_plan,
    secret_names,
)
from cxops.core.plan import Plan, match_fixed
from cxops.cx import CxSession
from cxops.cx import versions as cxv
from cxops.errors import ApiError, ConfigError, CxopsError, GateError
from cxops.model import secrets
from cxops.model.snapshot import Key, Snapshot
from cxops.stage.config import Stage, load_stage, resolve_secret
from cxops.workflows import backups
from cxops.workflows.lease import StageLease, ci_run, holder_name, left_by_an_earlier_attempt
from cxops.workflows.live import agent_name, open_session
from cxops.workflows.planning import Desired, author, desired_state, live_state, now, resolvable
from cxops.workflows.who import changed_since


@dataclass(frozen=True)
class EnvOutcome:
    stage: str
    versions_created: int
    environment: str
    write_calls: int = 0
    backup: Path | None = None
    lease_taken_from: str | None = None


def _env_name(stage: Stage) -> str:
    if stage.environment is None:
        raise ConfigError(f"{stage.name} is not an environment stage", stage.location_of(("environment",)))
    return stage.environment


@dataclass(frozen=True)
class _Live:
    """What an environment stage's plan and its gate read."""

    agent: str
    flows: dict[str, str]  # flow display name -> resource name
    env: cxv.EnvironmentState | None
    plan: EnvPlan
    fingerprint: str
    security: tuple[str, ...] = ()


def _hooks_live(env: cxv.EnvironmentState | None, salt: str) -> dict[str, Any]:
    """The environment's webhook overrides, header values as digests under the plan's ``salt``
    (they may be credentials)."""
    if env is None:
        return {}
    return {
        hook: {
            "uri": uri,
            "request_headers": {
                h: secretdigest.digest(v, salt) for h, v in sorted(env.headers.get(hook, {}).items())
            },
        }
        for hook, uri in sorted(env.webhooks.items())
    }


def _hooks_wanted(
    overrides: Mapping[str, Mapping[str, Any]],
    names: Mapping[str, str],
    values: Mapping[str, str | None],
    salt: str,
) -> dict[str, Any] | None:
    """The overrides as :func:`_hooks_live` shows them; None where a secret is not resolvable here."""
    out: dict[str, Any] = {}
    for hook, override in sorted(overrides.items()):
        headers: dict[str, str] = {}
        for header, value in sorted(dict(override.get("request_headers", {})).items()):
            match = secrets.PLACEHOLDER.match(str(value))
            resolved = values.get(match.group(1)) if match else str(value)
            if resolved is None:
                return None
            headers[header] = secretdigest.digest(resolved, salt)
        out[names.get(hook, hook)] = {"uri": override.get("uri", ""), "request_headers": headers}
    return out


def _read(
    session: CxSession, stage: Stage, desired: Desired, values: Mapping[str, str | None], salt: str
) -> _Live:
    """``salt``: the plan's secret salt, under which the fingerprint holds header values."""
    environment = _env_name(stage)
    live = live_state(session, stage, salt)
    flows = cxv.flow_names(session, live.agent)
    by_name = {name: flow for flow, name in flows.items()}
    env = cxv.find_environment(session, live.agent, environment)
    pinned: dict[str, tuple[str, str]] = {}
    if env is not None:
        descriptions = cxv.version_descriptions(session, list(env.versions.values()))
        for flow_name, version in env.versions.items():
            if flow_name in by_name:
                pinned[by_name[flow_name]] = (version, content_of(descriptions[version]))
    draft = match_fixed(live.snapshot, desired.snapshot)
    overrides = _overrides(stage, desired)
    hooks = cxv.webhook_names(session, live.agent)
    wanted = _hooks_wanted(overrides, hooks, values, salt)
    have = _hooks_live(env, salt)
    held = cxv.pinned_versions(session, live.agent)
    calls: dict[str, tuple[int, int]] = {}
    for flow, content in flow_contents(desired.snapshot).items():
        if flow not in flows or pinned.get(flow, (None, ""))[1] == content:
            continue
        existing = cxv.list_versions(session, flows[flow])
        if any(content_of(v.description) == content for v in existing):
            calls[flow] = (0, 0)
        else:
            calls[flow] = (1, len(releases.to_prune(existing, held)))
    plan = make_env_plan(
        stage.name,
        environment,
        desired.snapshot,
        draft,
        pinned,
        overrides,
        webhooks_changed=wanted is not None and wanted != have,
        exists=env is not None,
        version_calls=calls,
    )
    drafts = {s.flow: s.draft for s in plan.changed}
    fingerprint = live_fingerprint(env is not None, env.versions if env else {}, have, drafts)
    notes = _security(overrides, hooks, env, draft) if env is not None else ()
    return _Live(live.agent, flows, env, plan, fingerprint, notes)


def _security(
    overrides: Mapping[str, Mapping[str, Any]],
    hooks: Mapping[str, str],
    env: cxv.EnvironmentState,
    draft: Snapshot,
) -> tuple[str, ...]:
    """A credential of an override now sent to another URI than the environment sends it to
    (its override's, else the draft webhook's): the same rule as for agent stages
    (core/security.py); a new environment sends nothing yet."""
    notes = []
    for hook, override in sorted(overrides.items()):
        carried = [
            h for h, v in dict(override.get("request_headers", {})).items() if secrets.is_placeholder(v)
        ]
        if not carried:
            continue
        before = env.webhooks.get(hooks.get(hook, ""))
        if before is None:
            service = draft.resources.get(Key("webhook", "", hook), {}).get("generic_web_service")
            before = str(service.get("uri", "")) if isinstance(service, Mapping) else ""
        if before != override.get("uri"):
            notes.append(
                f"webhook {hook}: environment {env.display_name!r} sends {', '.join(carried)} to "
                f"{override.get('uri')} (was {before or 'nowhere'})"
            )
    return tuple(notes)


def _overrides(stage: Stage, desired: Desired) -> dict[str, dict[str, Any]]:
    overridden = {k[len("webhooks/") :] for k in stage.overrides if k.startswith("webhooks/")}
    return hook_overrides(desired.snapshot, overridden, stage.secrets)


def plan_environment(
    root: Path,
    name: str,
    emulator_host: str | None,
    endpoint: str | None,
    *,
    plan_author: str | None = None,
) -> Plan:
    """The stage's plan: its environment part says which flows get a version; secrets of the
    webhook overrides appear as placeholders and, where resolvable here, as hashes."""
    stage = load_stage(root, name)
    desired = desired_state(root, stage, None, emulator_host, endpoint)
    with open_session(stage, emulator_host, endpoint) as session:
        values = resolvable(stage, secret_names(_overrides(stage, desired)))
        salt = secretdigest.new_salt()
        read = _read(session, stage, desired, values, salt)
    label = f"{stage.name} (environment {read.plan.environment})"
    return Plan(
        stage=stage.name,
        agent=stage.agent,
        source=desired.source,
        author=plan_author or author(),
        created_at=now(),
        desired_fingerprint=desired.fingerprint,
        live_fingerprint=read.fingerprint,
        live_resources=0,
        diff=Diff(label, str(desired.source.get("path", "desired")), (), desired.expected),
        writes=(),
        secrets={n: (secretdigest.digest(v, salt) if v is not None else None) for n, v in values.items()},
        secret_salt=salt,
        security=read.security,
        writes_per_minute=stage.rate_limits.writes_per_minute,
        environment=read.plan,
    )


def apply_plan(
    root: Path,
    stage: Stage,
    plan: Plan,
    desired: Desired,
    emulator_host: str | None,
    endpoint: str | None,
    *,
    force: bool = False,
    break_lease: bool = False,
) -> EnvOutcome:
    """The rest of the gate (approvals, tests and the desired state are checked by the caller,
    workflows/apply.py, as for every plan), then the versions and one Create/UpdateEnvironment
    under the agent's lease, with a backup of the environment's version_configs first and a
    verification after."""
    env_plan = plan.environment
    if env_plan is None or stage.environment is None:
        raise GateError(f"the plan is not for {stage.name} as its stage file says now; make a new plan")
    if env_plan.unversioned and stage.protected and not force:
        shown = ", ".join(env_plan.unversioned[:3]) + (" …" if len(env_plan.unversioned) > 3 else "")
        raise GateError(
            f"{stage.name}: the plan changes resource(s) environments do not version ({shown}): that "
            "affects every environment of this agent; apply with --force if that is intended"
        )
    if env_plan.draft_differs:
        raise GateError(
            f"{stage.name}: the draft of flow(s) {', '.join(env_plan.draft_differs)} is not this tree's "
            "content; apply the stage that edits the draft first (nothing was written)"
        )
    values = gate.resolve_named(plan, stage, secret_names(env_plan.webhook_overrides))
    with open_session(stage, emulator_host, endpoint) as session:
        read = _read(
            session,
            stage,
            desired,
            {n: values.get(n) for n in secret_names(env_plan.webhook_overrides)},
            plan.secret_salt,
        )
        who = (
            changed_since(session, read.agent, plan.created_at)
            if read.fingerprint != plan.live_fingerprint
            else ""
        )
        gate.check_live(plan, read.fingerprint, who)
        env = read.env
        lease = StageLease(session, read.agent, stage.name, holder_name(author()), run=ci_run())
        if not env_plan:
            lease.clear_earlier_attempt()
            return EnvOutcome(stage.name, 0, env.name if env else "", 0, None, lease.taken_over)
        hooks = webhook_ids(session, read.agent, env_plan.webhook_overrides)
        headers = _headers(session, read.agent, env_plan.webhook_overrides, values)
        lease.acquire(break_lease=break_lease)
        try:
            backup = backups.save_environment(
                root,
                stage.name,
                stage.agent,
                _backup_state(session, read.agent, env, env_plan.environment),
                now(),
                read.fingerprint,
            )
            created, calls, wanted = _versions(session, read, plan, lease)
            # What drift compares with later, on any machine: on the environment itself.
            applied = envmark.Applied(
                envmark.short_plan(plan.hash),
                envmark.pins_digest(wanted, hooks),
                now(),
                envmark.by_name(plan.author),
            )
            after = cxv.put_environment(
                session,
                read.agent,
                env,
                env_plan.environment,
                wanted,
                hooks,
                headers,
                description=envmark.describe(env.description if env else "", applied),
            )
            _verify(session, stage, after, wanted, env_plan, read.flows)
        finally:
            # No secret-source stamp: the agent's stamp is the draft stage's (its sources).
            lease.release(None)
    return EnvOutcome(stage.name, created, after.name, calls + 1, backup, lease.taken_over)


def _backup_state(
    session: CxSession, agent: str, env: cxv.EnvironmentState | None, display_name: str
) -> dict[str, Any]:
    """The environment before a write, as its backup keeps it: its versions, and its webhook
    overrides with every credential as a placeholder (rollback resolves it then)."""
    if env is None:
        return {"name": None, "display_name": display_name, "versions": {}, "webhooks": {}}
    return {
        "name": env.name,
        "display_name": env.display_name,
        "versions": dict(env.versions),
        "webhooks": _hook_templates(session, agent, env),
    }


def _hook_templates(session: CxSession, agent: str, env: cxv.EnvironmentState) -> dict[str, Any]:
    """Webhook resource name -> its override: ``uri`` and ``request_headers``, each header value
    a placeholder ``${secret:<webhook>/<header>}`` (the name the tree gives that credential,
    model/secrets.py) unless it is a CX expression (``$session.params.x``), which is kept."""
    names = {name: hook for hook, name in cxv.webhook_names(session, agent).items()}
    out: dict[str, Any] = {}
    for name, uri in sorted(env.webhooks.items()):
        hook = names.get(name, name.rsplit("/", 1)[-1])
        out[name] = {
            "uri": uri,
            "request_headers": {
                header: value
                if value.startswith("$") and not secrets.is_placeholder(value)
                else secrets.placeholder(f"{hook}/{header}")
                for header, value in sorted(env.headers.get(name, {}).items())
            },
        }
    return out


def _resolve_templates(
    stage: Stage, templates: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Webhook resource name -> URI, and -> headers with each placeholder's value from the
    stage's sources now (one line naming the stage file and key when one does not resolve)."""
    uris: dict[str, str] = {}
    headers: dict[str, dict[str, str]] = {}
    for name, template in templates.items():
        uris[str(name)] = str(template.get("uri", ""))
        resolved = {}
        for header, value in dict(template.get("request_headers", {})).items():
            match = secrets.PLACEHOLDER.match(str(value))
            resolved[str(header)] = resolve_secret(stage, match.group(1)) if match else str(value)
        if resolved:
            headers[str(name)] = resolved
    return uris, headers


def pins_by_name(
    session: CxSession, agent: str, env: cxv.EnvironmentState
) -> tuple[dict[str, str], dict[str, str]]:
    """The environment's versions by flow display name, its override URIs by webhook's."""
    flows = cxv.flow_names(session, agent)
    hooks = cxv.webhook_names(session, agent)
    return (
        {flow: env.versions[name] for flow, name in flows.items() if name in env.versions},
        {hook: env.webhooks[name] for hook, name in hooks.items() if name in env.webhooks},
    )


def _versions(
    session: CxSession, read: _Live, plan: Plan, lease: StageLease
) -> tuple[int, int, dict[str, str]]:
    """A version of each changed flow (reusing one that holds its content); returns the versions
    made, the write calls, and flow resource name -> the version the environment will point at."""
    assert plan.environment is not None
    flows = read.flows
    current = dict(read.env.versions) if read.env is not None else {}
    held = cxv.pinned_versions(session, read.agent)
    commit = str(plan.source.get("commit") or "unknown")
    created = calls = 0
    for step in plan.environment.changed:
        lease.renew_if_due()
        flow = flows[step.flow]
        existing = cxv.list_versions(session, flow)
        # A version holding this content already (a run killed after CreateVersion): use it.
        reuse = [v for v in existing if content_of(v.description) == step.content]
        if reuse:
            current[flow] = reuse[-1].name
            continue
        for doomed in releases.to_prune(existing, held):
            cxv.delete_version(session, doomed)
            calls += 1
        description = (
            f"{releases.DESCRIPTION_PREFIX}{plan.hash}\n{CONTENT_LINE}{step.content}\n"
            f"commit: {commit}\nauthor: {plan.author}\n"
            f"approvers: {', '.join(a.reviewer for a in plan.approvals) or 'none'}"
        )
        current[flow] = cxv.create_version(session, flow, releases.display_name(plan.hash), description)
        created += 1
        calls += 1
    wanted = {
        flows[s.flow]: current[flows[s.flow]] for s in plan.environment.flows if flows[s.flow] in current
    }
    return created, calls, wanted


def _verify(
    session: CxSession,
    stage: Stage,
    after: cxv.EnvironmentState,
    wanted: Mapping[str, str],
    plan: EnvPlan,
    flows: Mapping[str, str],
) -> None:
    """The environment points at the versions just set, and each holds its flow's content."""
    again = cxv.find_environment(session, after.name.split("/environments/")[0], plan.environment)
    if again is None or again.versions != dict(wanted):
        raise CxopsError(f"{stage.name}: the environment does not point at the versions just set")
    descriptions = cxv.version_descriptions(session, list(again.versions.values()))
    wrong = [
        s.flow
        for s in plan.flows
        if flows.get(s.flow) in again.versions
        and content_of(descriptions[again.versions[flows[s.flow]]]) != s.content
    ]
    if wrong:
        raise CxopsError(
            f"{stage.name}: the versions of flow(s) {', '.join(wrong)} do not hold this tree's content"
        )


def webhook_ids(session: CxSession, agent: str, overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Webhook resource name -> the environment's URI for it."""
    names = cxv.webhook_names(session, agent)
    missing = sorted(set(overrides) - set(names))
    if missing:
        raise ApiError(f"webhook(s) {', '.join(missing)} are not in the draft agent", code="NOT_FOUND")
    return {names[hook]: str(o.get("uri", "")) for hook, o in overrides.items()}


def _headers(
    session: CxSession, agent: str, overrides: Mapping[str, Mapping[str, Any]], values: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """Webhook resource name -> request headers with the secrets' values in (sent, never kept)."""
    names = cxv.webhook_names(session, agent)
    out: dict[str, dict[str, str]] = {}
    for hook, override in overrides.items():
        headers = {}
        for header, value in dict(override.get("request_headers", {})).items():
            match = secrets.PLACEHOLDER.match(str(value))
            headers[str(header)] = values[match.group(1)] if match else str(value)
        if headers:
            out[names[hook]] = headers
    return out


def rollback_environment(
    root: Path, name: str, emulator_host: str | None, endpoint: str | None, to: Path | None = None
) -> tuple[str, str]:
    """One UpdateEnvironment back to the version_configs and webhook overrides of a backup
    (``to``, else the newest); without a backup, to the environment's previous state in
    LookupEnvironmentHistory. The overrides' credentials come from the stage's sources now
    (a backup holds placeholders). Returns the environment's name and where the state came from."""
    stage = load_stage(root, name)
    path = to if to is not None else next(iter(backups.listing(root, stage.name)), None)
    with open_session(stage, emulator_host, endpoint) as session:
        agent = agent_name(session, stage)
        env = cxv.find_environment(session, agent, _env_name(stage))
        if env is None:
            raise GateError(
                f"{stage.name}: environment {stage.environment!r} does not exist; nothing to roll back"
            )
        _refuse_if_leased(session, agent, stage)
        templates: Mapping[str, Any] | None
        if path is not None:
            saved = backups.environment_of(path)
            versions = {str(f): str(v) for f, v in saved["versions"].items()}
            # A backup written before overrides were kept has none: they stay as they are.
            templates = saved.get("webhooks") if isinstance(saved.get("webhooks"), dict) else None
            source = f"backup {path.name}"
        else:
            # The newest earlier state that served something else: an update of the
            # description alone (or one that changed nothing) is no state to go back to.
            serves = (env.versions, env.webhooks, env.headers)
            earlier = [
                h
                for h in cxv.environment_history(session, env.name)
                if (h.versions, h.webhooks, h.headers) != serves
            ]
            if not earlier:
                raise GateError(
                    f"{stage.name}: environment {stage.environment!r} has no backup and no earlier state"
                )
            versions = earlier[0].versions
            templates = _hook_templates(session, agent, earlier[0])
            source = "the environment's history"
        if not versions:
            raise GateError(
                f"{stage.name}: the environment had no versions before ({source}); nothing to roll back to"
            )
        if templates is None:
            hooks, headers = env.webhooks, env.headers
        else:
            hooks, headers = _resolve_templates(stage, templates)  # before any write
        # Names the backup only (no plan compares it): any salt does.
        fingerprint = live_fingerprint(True, env.versions, _hooks_live(env, secretdigest.new_salt()), {})
        backups.save_environment(
            root,
            stage.name,
            stage.agent,
            _backup_state(session, agent, env, env.display_name),
            now(),
            fingerprint,
        )
        applied = envmark.Applied(
            envmark.ROLLBACK, envmark.pins_digest(versions, hooks), now(), envmark.by_name(author())
        )
        cxv.put_environment(
            session,
            agent,
            env,
            env.display_name,
            versions,
            hooks,
            headers,
            description=envmark.describe(env.description, applied),
        )
        return env.name, source


def _refuse_if_leased(session: CxSession, agent: str, stage: Stage) -> None:
    """A rollback writes one call and takes no lease, but does not run under another's apply."""
    lease = marker.Lease.parse(marker.split(session.get_agent(agent).description)[1].get("lease", ""))
    now = dt.datetime.now(dt.timezone.utc)
    if lease is not None and lease.until > now and not left_by_an_earlier_attempt(lease, ci_run()):
        raise GateError(
            f"{stage.name}: an apply to this agent holds its lease ({lease.holder}); roll back when it is done"
        )
