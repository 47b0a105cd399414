"""Flow versions apply makes (stage option ``versions: on_apply``): which flows, what they are
called, and which old ones to delete to stay under CX's limit.

Pure: the reads and writes are in :mod:`cxops.workflows.flowversions`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cxops.core.envplan import CONTENT_LINE
from cxops.core.plan import Plan
from cxops.model.flowversion import MAX_DESCRIPTION, FlowVersion

# CX keeps at most 20 versions a flow (issue 13, from the Dialogflow CX limits page); the
# stand-in enforces the same number (cxops/fake/versions.py).
MAX_VERSIONS_PER_FLOW = 20
NAME_PREFIX = "cxops "
DESCRIPTION_PREFIX = "cxops plan "
SHORT_HASH = 12


def by_cxops(version: FlowVersion) -> bool:
    return version.display_name.startswith(NAME_PREFIX) and version.description.startswith(DESCRIPTION_PREFIX)


def plan_hash_of(version: FlowVersion) -> str:
    """The full plan hash a cxops version's description starts with ('' for others)."""
    if not by_cxops(version):
        return ""
    return version.description[len(DESCRIPTION_PREFIX) :].split("\n", 1)[0].strip()


def display_name(plan_hash: str) -> str:
    return f"{NAME_PREFIX}{plan_hash[:SHORT_HASH]}"


def description(plan: Plan, plan_hash: str, content: str) -> str:
    """What a reviewer of the version list needs: the plan, the commit, who wrote and approved it."""
    commit = str(plan.source.get("commit") or "unknown")
    approvers = ", ".join(a.reviewer for a in plan.approvals) or "none (unprotected stage)"
    text = (
        f"{DESCRIPTION_PREFIX}{plan_hash}\n{CONTENT_LINE}{content}\n"
        f"commit: {commit}\nauthor: {plan.author}\napprovers: {approvers}"
    )
    return text[:MAX_DESCRIPTION]


def to_prune(
    versions: Sequence[FlowVersion],
    pinned: Iterable[str],
    adding: int = 1,
    limit: int = MAX_VERSIONS_PER_FLOW,
) -> list[str]:
    """The versions to delete, oldest first, so that ``adding`` more fit under ``limit``.

    Only versions cxops made and no environment points at are candidates: someone else's
    version may be what their release process rolls back to. Fewer than needed may come back;
    the create then fails with the service's own refusal, which names the flow.
    """
    excess = len(versions) + adding - limit
    if excess <= 0:
        return []
    held = set(pinned)
    candidates = sorted(
        (v for v in versions if by_cxops(v) and v.name not in held), key=lambda v: v.create_time
    )
    return [v.name for v in candidates[:excess]]
