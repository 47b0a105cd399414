"""Which approvals count: bound to this plan's hash, not by its author, one per reviewer, and
signed with ``CXOPS_APPROVAL_KEY`` when that key is set where apply runs."""

from __future__ import annotations

import hashlib
import hmac
import os

from cxops.core.plan import Approval, Plan

KEY_ENV = "CXOPS_APPROVAL_KEY"


def signature(key: str, approval: Approval) -> str:
    message = "\n".join([approval.plan_hash, approval.reviewer, approval.time, approval.comment])
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def approval_key() -> str | None:
    return os.environ.get(KEY_ENV) or None


def valid_approvals(plan: Plan, key: str | None) -> list[Approval]:
    seen: set[str] = set()
    out = []
    for approval in plan.approvals:
        if approval.plan_hash != plan.hash or approval.reviewer == plan.author or approval.reviewer in seen:
            continue
        if key is not None and (
            approval.signature is None
            or not hmac.compare_digest(approval.signature, signature(key, approval))
        ):
            continue
        seen.add(approval.reviewer)
        out.append(approval)
    return out
