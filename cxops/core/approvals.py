"""Which approvals count: bound to this plan's hash, not by its author, one per reviewer, dated
between the plan's making and now, and signed with ``CXOPS_APPROVAL_KEY`` where that key is set.

The signature is an HMAC over a canonical encoding of the approval (JSON, sorted keys, tagged
``cxops-approval``): no two different approvals encode alike, so a signed approval cannot be
re-cut into another (a reviewer name holding a newline once shifted fields across the old
newline-joined text). Reviewers are one identity per person whatever the case and spacing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import unicodedata
from datetime import datetime, timedelta, timezone

from cxops.core.plan import Approval, Plan

KEY_ENV = "CXOPS_APPROVAL_KEY"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# Clocks of the machine that approved and the one that applies differ a little.
SKEW = timedelta(minutes=5)


def signature(key: str, approval: Approval) -> str:
    message = json.dumps(
        {
            "kind": "cxops-approval",
            "plan_hash": approval.plan_hash,
            "reviewer": approval.reviewer,
            "time": approval.time,
            "comment": approval.comment,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def approval_key() -> str | None:
    return os.environ.get(KEY_ENV) or None


def identity(name: str) -> str:
    """A reviewer or author as one person: ``Bob``, `` bob `` and its full-width form are the same."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


def has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


def parse_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None


def _dated(approval: Approval, plan: Plan, now: datetime) -> bool:
    when = parse_time(approval.time)
    if when is None or when > now + SKEW:
        return False
    made = parse_time(plan.created_at)
    return made is None or when >= made - SKEW


def valid_approvals(plan: Plan, key: str | None, now: datetime) -> list[Approval]:
    """The approvals that count, one per reviewer; ``now`` is when apply runs (the caller's clock)."""
    author = identity(plan.author)
    seen: set[str] = set()
    out = []
    for approval in plan.approvals:
        who = identity(approval.reviewer)
        if approval.plan_hash != plan.hash or not who or who == author or who in seen:
            continue
        if has_control(approval.reviewer) or has_control(approval.time) or not _dated(approval, plan, now):
            continue
        if key is not None and (
            approval.signature is None
            or not hmac.compare_digest(approval.signature, signature(key, approval))
        ):
            continue
        seen.add(who)
        out.append(approval)
    return out
