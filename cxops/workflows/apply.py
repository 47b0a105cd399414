"""`apply`: the gate, a backup, the plan's writes in order, then a re-read that must match.

Every refusal happens before the first write. Writes find resources by key (listing the
collections they touch), so a run killed or failed anywhere is repaired by planning and
applying again: creates of what is missing, updates of what differs, no duplicates (display
names are unique per parent, and a create whose answer was lost is found again by name).
"""

from __future__ import annotations

import copy
import datetime as dt
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxops.core import gate, marker, secretdigest
from cxops.core.diff import compare
from cxops.core.plan import Plan, Write, is_empty, load_plan, match_fixed, start_flow
from cxops.cx import CxSession
from cxops.cx.bootstrap import SessionWriter
from cxops.cx.names import LiveNames
from cxops.errors import ApiError, CxopsError, GateError
from cxops.model import progress, secrets
from cxops.model.snapshot import AGENT_KEY, Key, Snapshot
from cxops.package import desired as api
from cxops.package.files import write_zip
from cxops.package.writer import package_files
from cxops.stage.config import Stage, load_stage
from cxops.workflows import backups, envstage, flowversions, watch
from cxops.workflows.lease import StageLease, ci_run, holder_name
from cxops.workflows.live import agent_name, open_session
from cxops.workflows.planning import Desired, LiveState, author, desired_state, live_state, now, source_spec
from cxops.workflows.resultfile import load_results
from cxops.workflows.who import changed_since

Progress = Callable[[int, int, Write], None]


class ApplyError(CxopsError):
    """Apply wrote, but the live agent is not the desired state; re-plan to see the rest."""


@dataclass(frozen=True)
class ApplyOutcome:
    stage: str
    writes: int
    backup: Path | None
    via: str = "writes"
    # The holder of a lease left by an earlier attempt of this CI run, taken over or cleared.
    lease_taken_from: str | None = None


def apply_file(
    root: Path,
    plan_path: Path,
    emulator_host: str | None,
    endpoint: str | None,
    *,
    force: bool = False,
    via_restore: bool = False,
    progress: Progress | None = None,
    test_results: Path | None = None,
    break_lease: bool = False,
) -> ApplyOutcome:
    plan, data = load_plan(plan_path)
    stage = load_stage(root, plan.stage)
    gate.check_integrity(plan, data, stage)
    gate.check_approvals(plan, stage, dt.datetime.now(dt.timezone.utc))
    return run(
        root,
        stage,
        plan,
        emulator_host,
        endpoint,
        force=force,
        via_restore=via_restore,
        progress=progress,
        test_results=test_results,
        break_lease=break_lease,
    )


def run(
    root: Path,
    stage: Stage,
    plan: Plan,
    emulator_host: str | None,
    endpoint: str | None,
    *,
    force: bool = False,
    via_restore: bool = False,
    progress: Progress | None = None,
    auto_approved: bool = False,
    test_results: Path | None = None,
    break_lease: bool = False,
) -> ApplyOutcome:
    """The rest of the gate (which reads again), then the writes. Approvals are checked by the
    caller; ``auto_approved``: planned just now with no reviewer (--auto-approve, promote --apply)."""
    results, results_data = load_results(test_results) if test_results is not None else (None, None)
    gate.check_tests(plan.desired_fingerprint, stage, results, results_data, str(test_results))
    if auto_approved:
        gate.refuse_unreviewed_security(plan)
    desired = desired_state(root, stage, source_spec(plan.source), emulator_host, endpoint)
    gate.check_desired(plan, desired.fingerprint)
    if plan.environment is not None or stage.environment is not None:  # versions, not writes
        env = envstage.apply_plan(
            root, stage, plan, desired, emulator_host, endpoint, force=force, break_lease=break_lease
        )
        return ApplyOutcome(stage.name, env.write_calls, env.backup, "environment", env.lease_taken_from)
    values = gate.resolve_secrets(plan, stage, desired.snapshot)
    gate.check_deletes(plan, force)
    live: LiveState | None
    with open_session(stage, emulator_host, endpoint) as session:
        seen = None if via_restore else _watched(root, session, stage, plan)
        if seen is not None:
            agent, live_start, pending = seen
            live = None
        else:
            live = live_state(session, stage, plan.secret_salt, desired.snapshot)
            agent, live_start, pending = live.agent, start_flow(live.snapshot), None
            who = ""
            if live.fingerprint != plan.live_fingerprint:
                who = changed_since(session, live.agent, plan.created_at)
            gate.check_live(plan, live.fingerprint, who)
            if via_restore and not force and not is_empty(live.snapshot):
                raise GateError(
                    f"--via restore replaces the whole agent, and {stage.name}'s agent has content; "
                    "use --force to replace it anyway"
                )
        lease = StageLease(session, agent, stage.name, holder_name(author()), run=ci_run())
        if not plan and not via_restore:
            if stage.versions == "on_apply":  # a run killed before its versions: make them now
                flowversions.create_versions(session, agent, plan, desired.snapshot)
            lease.clear_earlier_attempt()
            return ApplyOutcome(stage.name, 0, None, lease_taken_from=lease.taken_over)
        lease.acquire(break_lease=break_lease)
        verified = False
        try:
            backup = backups.promote(root, stage.name, pending, plan.live_fingerprint) if pending else None
            if backup is None:
                live = live or live_state(session, stage, plan.secret_salt, desired.snapshot)
                backup = backups.save(root, stage.name, stage.agent, live.snapshot, now(), live.fingerprint)
            live = None  # the whole live agent is not needed past here; verify reads it anew
            filled = fill(desired.snapshot, values)
            if via_restore:
                restore(session, agent, filled)
                count = 1
            else:
                count = execute(session, agent, live_start, filled, plan, _renewing(progress, lease))
            del filled
            verify(session, stage, desired, values)
            verified = True
            if stage.versions == "on_apply":
                flowversions.create_versions(session, agent, plan, desired.snapshot)
        finally:
            # The sources are stamped only once live is what was planned with them.
            lease.release(dict(stage.secrets) if verified else None)
    return ApplyOutcome(stage.name, count, backup, "restore" if via_restore else "writes", lease.taken_over)


def _watched(root: Path, session: CxSession, stage: Stage, plan: Plan) -> tuple[str, str | None, Path] | None:
    """The gate's cheap re-read (workflows/watch.py), where the plan allows it: the agent, its
    start flow and the pending backup; raises when live moved. None: read the whole agent
    (a plan without a watch or made on another machine, or a changelog this caller cannot read)."""
    if plan.watch is None or not plan:
        return None
    pending = backups.pending(root, stage.name, plan.live_fingerprint)
    if pending is None:
        return None
    agent = agent_name(session, stage)
    try:
        with progress.step("reading the changelog and the collections the plan writes into"):
            why = watch.changed(session, agent, plan.watch)
    except ApiError:
        return None
    if why is not None:
        gate.live_moved(plan, why)
    start = plan.watch.get("start_flow")
    return agent, start if isinstance(start, str) else None, pending


def _renewing(progress: Progress | None, lease: StageLease) -> Progress:
    def step(i: int, total: int, write: Write) -> None:
        lease.renew_if_due()
        if progress is not None:
            progress(i, total, write)

    return step


def fill(snapshot: Snapshot, values: dict[str, str]) -> Snapshot:
    """A copy with the secrets' values in; only resources that hold a secret are copied."""
    out = Snapshot(resources=dict(snapshot.resources))
    for key in {slot.key for slot in secrets.slots(snapshot)}:
        out.resources[key] = copy.deepcopy(snapshot.resources[key])
    secrets.fill(out, lambda name: values.get(name, secrets.placeholder(name)))
    return out


class _Names(api.Names):
    """Names of the target agent: created ones as they come, existing ones listed on demand;
    the desired start flow is the live one, whatever either is called."""

    def __init__(self, live: LiveNames, have: str | None, want: str | None) -> None:
        super().__init__(live.agent)
        self.live = live
        self.have, self.want = have, want

    def alias(self, key: Key) -> Key:
        if self.have and self.want and self.have != self.want:
            if key == Key("flow", "", self.want):
                return Key("flow", "", self.have)
            if key.kind in ("page", "flow_route_group") and key.scope == self.want:
                return Key(key.kind, self.have, key.name)
        return key

    def find(self, kind: str, name: str, scope: str = "") -> str | None:
        key = Key(kind, scope, name)
        return self.by_key.get(key) or self.live.get(self.alias(key))

    def require(self, key: Key) -> str:
        found = self.find(key.kind, key.name, key.scope)
        if found is None:
            raise ApiError(f"{key} is not in the live agent; make a new plan", code="NOT_FOUND")
        return found


def execute(
    session: CxSession,
    agent: str,
    live_start_flow: str | None,
    desired: Snapshot,
    plan: Plan,
    progress: Progress | None,
) -> int:
    """The plan's writes into ``agent``, whose start flow is ``live_start_flow``."""
    names = _Names(LiveNames(session, agent), live_start_flow, start_flow(desired))
    writer = SessionWriter(session, agent)
    default = api.languages_of(desired)[0]
    total = len(plan.writes)
    current_agent: Any = None  # read once, for the required fields of agent updates
    for i, write in enumerate(plan.writes, 1):
        if progress is not None:
            progress(i, total, write)
        key = write.key
        body = desired.resources.get(key, {})
        if write.op in ("create", "shell"):
            content = body if write.op == "create" else {"display_name": body.get("display_name", key.name)}
            message = api.message(key, content, default, names)
            try:
                names.by_key[key] = writer.create(key, names.parent(key), message, default)
            except ApiError as err:
                # A create that committed but whose answer was lost (then retried): find it by name.
                found = names.live.find_again(names.alias(key)) if err.code == "ALREADY_EXISTS" else None
                if found is None:
                    raise
                names.by_key[key] = found
        elif write.op == "delete":
            name = names.find(key.kind, key.name, key.scope)
            if name is None:
                continue  # gone already (a run stopped after deleting it)
            try:
                writer.delete(key, name)
            except ApiError as err:
                if err.code != "NOT_FOUND":
                    raise
        elif key == AGENT_KEY:
            mask = list(write.mask or ())
            part = {f: v for f, v in body.items() if f in mask}
            message = api.message(AGENT_KEY, part, default, names)
            # Required fields go along (the API checks them whatever the mask); the mask decides.
            # The agent's display name is the stage's own, not in the tree: it is kept as live.
            if current_agent is None:
                current_agent = session.get_agent(agent)
            for required in ("display_name", "default_language_code", "time_zone"):
                if not getattr(message, required):
                    setattr(message, required, getattr(current_agent, required))
            if "description" in mask:  # cxops's own lines (the lease) stay
                message.description = marker.join(
                    message.description, marker.split(current_agent.description)[1]
                )
            writer.update_agent(message, mask)
        elif key.kind == "generative_settings":
            language = str(write.language)
            writer.update_generative_settings(api.settings_message(agent, language, body.get(language, {})))
        else:
            if write.renamed_from is not None:
                # The live resource under its old name becomes this key's: same id, new name.
                names.by_key[key] = names.require(Key(key.kind, key.scope, write.renamed_from))
                # Listings of its pages or examples look the flow or playbook up by the new name.
                names.live.by_key[key] = names.by_key[key]
            language = write.language or default
            message = api.message(key, body, language, names)
            message.name = names.require(key)
            writer.update(key, message, language, list(write.mask) if write.mask is not None else None)
    return total


def restore(session: CxSession, agent: str, desired: Snapshot) -> None:
    content = write_zip(package_files(desired, agent))
    session.restore_agent(agent, content)


def verify(session: CxSession, stage: Stage, desired: Desired, values: dict[str, str]) -> None:
    """Re-read the stage: live must be the desired state, secrets included."""
    after = live_state(session, stage, secretdigest.new_salt(), desired.snapshot)  # values compared as such
    diff = compare(match_fixed(after.snapshot, desired.snapshot), desired.snapshot)
    wrong = [str(c.key) for c in diff.changes]
    for (key, path), value in after.secrets.items():
        slot_name = _slot_name(desired.snapshot, key, path)
        if slot_name in values and not hmac.compare_digest(values[slot_name].encode(), value.encode()):
            wrong.append(f"{key} (secret {slot_name})")
    if wrong:
        shown = ", ".join(wrong[:5]) + (f" and {len(wrong) - 5} more" if len(wrong) > 5 else "")
        raise ApplyError(
            f"applied, but live {stage.name} differs from its desired state in {len(wrong)} resource(s): "
            f"{shown}; run cxops drift {stage.name} to see how"
        )


def _slot_name(snapshot: Snapshot, key: Key, path: tuple[str | int, ...]) -> str | None:
    """The secret whose placeholder the desired state holds at ``path`` of ``key``."""
    value = secrets.value_at(snapshot.resources.get(key), path)
    match = secrets.PLACEHOLDER.match(value) if isinstance(value, str) else None
    return match.group(1) if match else None
