"""`approve`: an approval bound to a plan's hash, HMAC-signed when ``CXOPS_APPROVAL_KEY`` is set.

An approval counts at apply (see :func:`valid_approvals`) only when it names this plan's hash,
its reviewer is not the plan's author, and — when a key is set where apply runs — its
signature verifies. Each reviewer counts once.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from cxops.core.approvals import approval_key, has_control, identity, signature
from cxops.core.plan import Approval, approval_data, hash_of_data, load_plan
from cxops.errors import GateError
from cxops.repo.atomicfile import write_atomic
from cxops.workflows.planning import now


def approve(path: Path, reviewer: str, comment: str = "") -> Approval:
    """Append an approval to the plan file (rewritten atomically)."""
    plan, data = load_plan(path)
    if hash_of_data(data) != data.get("plan_hash"):
        raise GateError(f"{path}: the plan was altered after it was made (hash mismatch); not approving it")
    reviewer = reviewer.strip()
    if not reviewer:
        raise GateError("--reviewer must name someone")
    if has_control(reviewer):
        raise GateError("--reviewer holds a control or invisible character; write the name as text")
    if identity(reviewer) == identity(plan.author):
        raise GateError(f"{reviewer} made this plan; the author's approval does not count")
    approval = Approval(reviewer=reviewer, time=now(), plan_hash=plan.hash, comment=comment)
    key = approval_key()
    if key:
        approval = replace(approval, signature=signature(key, approval))
    # The file is extended as written, so that what was hashed stays byte for byte what it was.
    approvals = data.get("approvals")
    data["approvals"] = [*(approvals if isinstance(approvals, list) else []), approval_data(approval)]
    write_atomic(path, (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    return approval
