"""Lint findings as CX ``ValidationMessage`` s (v3 ``AgentValidationResult`` /
``FlowValidationResult``), as plain data in the proto's field names, so that a stand-in's
``ValidateAgent`` can answer with them. Where CX's own validation has wording for a problem
(the rule's ``cx_message``) that wording is the detail, else the finding's message.

Resource names are left to the caller (it knows the ids): ``resource_names`` holds display names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cxops.core.lint.registry import RULES, LintFinding, Severity, all_rules

# ValidationMessage.ResourceType by the kind of the resource a finding is about.
RESOURCE_TYPES = {
    "agent": "AGENT",
    "intent": "INTENT",
    "entity_type": "ENTITY_TYPE",
    "webhook": "WEBHOOK",
    "flow": "FLOW",
    "page": "PAGE",
    "flow_route_group": "TRANSITION_ROUTE_GROUP",
    "route_group": "AGENT_TRANSITION_ROUTE_GROUP",
}
SEVERITIES = {Severity.note: "INFO", Severity.warning: "WARNING", Severity.error: "ERROR"}


def validation_messages(findings: Iterable[LintFinding]) -> list[dict[str, Any]]:
    """One ValidationMessage per finding about a resource kind CX validation knows; findings
    about other kinds (test cases, generators) and test-case rules are left out, as CX
    validation reports none of them."""
    all_rules()  # registers the rules, for their CX wording
    out = []
    for f in findings:
        if f.rule.startswith("testcases/"):
            continue
        kind = RESOURCE_TYPES.get(f.key.kind)
        if f.key.kind == "intent" and f.path[:1] == ("training_phrases",) and len(f.path) == 3:
            kind = "INTENT_TRAINING_PHRASE"
        if kind is None:
            continue
        rule = RULES.get(f.rule)
        detail = rule.cx_message if rule is not None and rule.cx_message else f.message
        out.append(
            {
                "resource_type": kind,
                "resource_names": [{"name": "", "display_name": f.key.name}],
                "severity": SEVERITIES[f.severity],
                "detail": detail,
            }
        )
    return out
