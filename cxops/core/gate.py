"""The gate (SPEC §5): every reason apply refuses a plan, each one line, checked before any write.

Reads are allowed here (the desired state and the live agent are read again); writes are not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from cxops.core import secretdigest, testresults
from cxops.core.approvals import KEY_ENV, approval_key, valid_approvals
from cxops.core.plan import Plan, hash_of_data
from cxops.core.testresults import TestRun
from cxops.errors import CxopsError, GateError
from cxops.model import secrets
from cxops.model.snapshot import Snapshot
from cxops.stage.config import Stage, resolve_secret

# Deleting more than this share of the live agent's resources needs --force.
DELETE_SHARE = 0.25


def check_integrity(plan: Plan, data: Mapping[str, Any] | None, stage: Stage) -> None:
    if data is not None and (
        hash_of_data(data) != data.get("plan_hash") or plan.hash != data.get("plan_hash")
    ):
        raise GateError("the plan was altered after it was made (its hash does not match); make a new plan")
    if not plan.secret_salt:
        # Its secret and live digests are unsalted sha256 (issue 28 item 6) and cannot be
        # checked under a salt; every plan made since carries one.
        raise GateError(
            "the plan was made by an older cxops, which recorded secret values as unsalted hashes; "
            "make a new plan"
        )
    if plan.stage != stage.name or plan.agent != stage.agent:
        raise GateError(f"the plan is for {plan.stage} (agents/{plan.agent}), not {stage.name}")


def check_approvals(plan: Plan, stage: Stage, now: datetime) -> None:
    """``now``: the time apply runs, which no approval may be dated after (beyond clock skew)."""
    key = approval_key()
    if stage.protected and key is None and stage.approvals_signed:
        # Without a key anyone who can edit the plan file can write an approval into it.
        raise GateError(
            f"{stage.name} is protected and {KEY_ENV} is not set: its approvals must be signed; set the key"
            " where approve and apply run (or, knowingly, approvals: {signed: false} in its stage file)"
        )
    valid = valid_approvals(plan, key, now)
    if plan.security and not valid:
        raise GateError(
            f"the plan changes where a credential goes or comes from ({plan.security[0]}"
            + (f"; {len(plan.security) - 1} more" if len(plan.security) > 1 else "")
            + f"): it needs an approval by someone other than {plan.author}, on every stage;"
            " reviewers run: cxops approve PLAN --reviewer NAME"
        )
    if not stage.protected:
        return
    if len(valid) < stage.approvals_required:
        not_counted = len(plan.approvals) - len(valid)
        why = ""
        if not_counted:
            why = (
                f"; {not_counted} not counted (the author's own, for another plan, a reviewer twice, dated in the future or before the plan"
                + (", or unsigned or forged: CXOPS_APPROVAL_KEY is set)" if key else ")")
            )
        raise GateError(
            f"{stage.name} is protected: the plan needs {stage.approvals_required} approval(s), "
            f"has {len(valid)} valid{why}; reviewers run: cxops approve PLAN --reviewer NAME"
        )


def unsigned_note(stage: Stage) -> str | None:
    """What plan and apply say where a protected stage counts unsigned approvals by its own choice."""
    if stage.protected and not stage.approvals_signed and approval_key() is None:
        return (
            f"note: {stage.name} counts unsigned approvals (approvals: {{signed: false}} in {stage.file}):"
            f" anyone who can edit the plan file can approve it; set {KEY_ENV} to sign them"
        )
    return None


def refuse_unreviewed_security(plan: Plan) -> None:
    """--auto-approve and promote --apply have no reviewer: a security-relevant plan is refused."""
    if plan.security:
        raise GateError(
            f"the plan changes where a credential goes or comes from ({plan.security[0]}); "
            "--auto-approve is refused: write the plan with -o, have someone else approve it, apply it"
        )


def check_desired(plan: Plan, desired_fingerprint: str) -> None:
    if desired_fingerprint != plan.desired_fingerprint:
        raise GateError(
            "the desired state moved since planning (the tree, source stage or ref changed); make a new plan"
        )


def check_live(plan: Plan, live_fingerprint: str, who: str = "") -> None:
    """``who``: what the agent's changelog says changed since planning (may be unknown)."""
    if live_fingerprint != plan.live_fingerprint:
        live_moved(plan, who)


def live_moved(plan: Plan, who: str = "") -> None:
    """Refuse: the live agent is not what the plan was made against."""
    if who:
        raise GateError(
            f"{plan.stage}: live changed since planning: {who}; make a new plan against what is live now"
        )
    raise GateError(
        f"the live agent of {plan.stage} changed since planning; make a new plan against what is live now"
    )


def check_deletes(plan: Plan, force: bool) -> None:
    if force or not plan.live_resources:
        return
    share = plan.deletes / plan.live_resources
    if share > DELETE_SHARE:
        raise GateError(
            f"the plan deletes {plan.deletes} of {plan.live_resources} resources ({share:.0%}, more than "
            f"{DELETE_SHARE:.0%}); review it and apply with --force if that is intended"
        )


def resolve_secrets(plan: Plan, stage: Stage, desired: Snapshot) -> dict[str, str]:
    """Values of the secrets of every resource the plan writes; each must resolve and, where the
    plan recorded a hash, still be the value that was planned."""
    written = {w.key for w in plan.writes if w.op != "delete"}
    return resolve_named(plan, stage, [slot.name for slot in secrets.slots(desired) if slot.key in written])


def resolve_named(plan: Plan, stage: Stage, names: Iterable[str]) -> dict[str, str]:
    """The values of secrets ``names``, each checked against the hash the plan recorded."""
    values: dict[str, str] = {}
    for name in names:
        if name in values:
            continue
        try:
            value = resolve_secret(stage, name)
        except CxopsError as err:
            raise GateError(f"secret {name!r} cannot be resolved: {err}") from err
        planned = plan.secrets.get(name)
        if planned is not None and not secretdigest.matches(planned, value, plan.secret_salt):
            raise GateError(f"secret {name!r} has another value than when the plan was made; make a new plan")
        values[name] = value
    return values


def check_tests(
    desired_fingerprint: str,
    stage: Stage,
    results: TestRun | None,
    data: Mapping[str, Any] | None,
    where: str,
) -> None:
    """A stage with ``tests`` needs a passing ``cxops test`` result for exactly the desired state
    being deployed (a plan's ``desired_fingerprint``); a result given to any stage is checked the
    same way."""
    if results is None or data is None:
        if stage.tests_required:
            run = f"cxops test {stage.tests_on}" if stage.tests_on else f"cxops test {stage.name} --offline"
            raise GateError(
                f"{stage.name} requires passing test results (tests in {stage.file}): "
                f"run {run} -o results.json, then apply with --test-results results.json"
            )
        return
    if not testresults.intact(data):
        raise GateError(
            f"{where}: the test results were altered after cxops test wrote them; run the tests again"
        )
    key = approval_key()
    if key is not None and not testresults.signature_valid(key, data):
        raise GateError(
            f"{where}: the test results are unsigned or forged (CXOPS_APPROVAL_KEY is set); "
            "run cxops test again where the key is set"
        )
    if not results.passed:
        counts = results.summary()
        raise GateError(
            f"{where}: the tests did not pass ({counts['passed']} of {counts['total']} passed"
            + (", coverage below its minimum" if not all(c.ok for c in results.coverage) else "")
            + (", validation errors" if results.validation_errors else "")
            + ")"
        )
    undecided = results.summary()["undecided"]
    if undecided and not stage.tests_allow_undecided:
        raise GateError(
            f"{where}: {undecided} test case(s) undecided offline ({', '.join(results.causes())}); "
            f"{stage.name} needs every test decided: test live, add webhook fixtures, "
            f"or set tests.undecided: allow in {stage.file}"
        )
    if results.selected:
        raise GateError(f"{where}: only a selection of the test cases ran (--tag/--only); the gate needs all")
    if stage.tests_on and (results.mode != "live" or results.target != stage.tests_on):
        raise GateError(
            f"{stage.name} needs the tests to have passed live on {stage.tests_on} (tests.on in {stage.file}); "
            f"{where} is from a {results.mode} run of {results.target}"
        )
    if results.desired_fingerprints.get(stage.name) != desired_fingerprint:
        tested = f"a live run on {results.target}" if results.mode == "live" else results.target
        raise GateError(
            f"{where}: the tests ran on other content than this plan deploys to {stage.name} "
            f"({tested}); test what is planned"
        )
