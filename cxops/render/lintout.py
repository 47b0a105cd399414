"""Lint findings as text lines, JSON, GitHub markdown (the PR comment) and SARIF 2.1.0 (GitHub
code scanning)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cxops import __version__
from cxops.core.lint.located import Located
from cxops.core.lint.registry import Rule, Severity, all_rules

LIMIT = 60_000  # GitHub refuses comments over 65,536 characters
_ICON = {Severity.error: "🔴", Severity.warning: "🟡", Severity.note: "🔵"}


@dataclass(frozen=True)
class Summary:
    agents: Sequence[str]
    findings: Sequence[Located]  # those that count: not ignored inline, not in the baseline
    ignored: int = 0
    baselined: int = 0
    fail_on: Severity = Severity.error

    @property
    def failed(self) -> bool:
        return any(f.severity >= self.fail_on for f in self.findings)

    def counts(self) -> str:
        by = Counter(f.severity for f in self.findings)
        parts = [f"{by[s]} {s.name}(s)" for s in sorted(Severity, reverse=True) if by[s]]
        text = ", ".join(parts) if parts else "no findings"
        extra = [
            f"{n} {what}"
            for n, what in ((self.ignored, "ignored inline"), (self.baselined, "in the baseline"))
            if n
        ]
        return text + (f" ({', '.join(extra)})" if extra else "")


def render_text(summary: Summary) -> list[str]:
    return [str(f) for f in summary.findings]


def render_json(summary: Summary) -> str:
    data = {
        "agents": list(summary.agents),
        "fail_on": summary.fail_on.name,
        "failed": summary.failed,
        "ignored": summary.ignored,
        "baselined": summary.baselined,
        "findings": [f.as_json() for f in summary.findings],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def render_markdown(summary: Summary) -> str:
    lines = [f"### cxops lint {', '.join(summary.agents)}: {summary.counts()}", ""]
    if not summary.findings:
        return "\n".join(lines)
    lines += ["| | rule | where | finding |", "|---|---|---|---|"]
    size = sum(len(x) + 1 for x in lines)
    for shown, f in enumerate(summary.findings):
        where = f"{f.file}:{f.line}" if f.line else f.file
        row = f"| {_ICON[f.severity]} | `{f.rule}` | `{_cell(where)}` | {_cell(f.message)} |"
        if size + len(row) > LIMIT:
            lines += ["", f"…and {len(summary.findings) - shown} more: see the lint output of the run."]
            break
        lines.append(row)
        size += len(row) + 1
    return "\n".join(lines)


_LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.note: "note"}


def _sarif_rule(rule: Rule, help: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rule.id,
        "name": rule.id.split("/")[1],
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "defaultConfiguration": {"level": _LEVEL[rule.severity], "enabled": rule.enabled},
        "properties": {"tags": [rule.id.split("/")[0]]},
    }
    if rule.id in help:
        # GitHub code scanning shows a rule's help beside each of its alerts.
        out["help"] = {
            "text": f"{rule.summary} Details: cxops lint --explain {rule.id}",
            "markdown": help[rule.id],
        }
    return out


def render_sarif(summary: Summary, help: Mapping[str, str] | None = None) -> str:
    """SARIF 2.1.0 as GitHub code scanning reads it: one run, every rule (with its page as
    ``help``, where ``help`` gives one), one result per finding with the file relative to the
    repo root and its line."""
    rules = all_rules()
    order = {r.id: i for i, r in enumerate(rules)}
    results = []
    for f in summary.findings:
        region = {"startLine": f.line or 1}
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": order[f.rule],
                "level": _LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f.file, "uriBaseId": "%SRCROOT%"},
                            "region": region,
                        }
                    }
                ],
                "partialFingerprints": {"cxopsLint/v1": f.fingerprint},
            }
        )
    data = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cxops lint",
                        "version": __version__,
                        "rules": [_sarif_rule(r, help or {}) for r in rules],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root."}}},
                "results": results,
            }
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)
