"""A diff as plain text for terminals and CI logs: a summary per kind, then each resource."""

from __future__ import annotations

import json
from typing import Any

from cxops.diff import Diff, FieldChange

SIGN = {"add": "+", "remove": "-", "change": "~"}
DONE = {"add": "added", "remove": "removed", "change": "changed"}


def path_text(path: tuple[str | int, ...]) -> str:
    """``transition_routes route[intent=x].target_page``-style: items named by identity."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif step.startswith("["):
            out += step
        else:
            out += (
                f" {step}" if step.startswith(("route[", "event[", "item")) else (f".{step}" if out else step)
            )
    return out


def value_text(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, sort_keys=False, separators=(", ", ": "))


def field_line(change: FieldChange) -> str:
    where = path_text(change.path)
    if change.op == "changed":
        return f"{where}: {value_text(change.before)} -> {value_text(change.after)}"
    if change.op in ("set", "added"):
        return f"{where}: + {value_text(change.after)}"
    if change.op in ("unset", "removed"):
        return f"{where}: - {value_text(change.before)}"
    return f"{where}: moved from position {change.before} to {change.after}"


def expected_lines(diff: Diff) -> list[str]:
    if not diff.expected:
        return []
    return ["", "expected per-stage differences (overrides, not shown above; --raw shows them):"] + [
        f"  {item}" for item in diff.expected
    ]


def render(diff: Diff) -> str:
    if not diff:
        return f"{diff.left} and {diff.right}: no differences\n" + "".join(
            f"{line}\n" for line in expected_lines(diff)
        )
    lines = [f"{diff.left} -> {diff.right}"]
    for kind, counts in diff.summary().items():
        lines.append(f"  {kind}: " + ", ".join(f"{n} {DONE[op]}" for op, n in counts.items() if n))
    for change in diff.changes:
        lines.append("")
        lines.append(f"{SIGN[change.op]} {change.key}")
        lines.extend(f"    {field_line(field)}" for field in change.fields)
    lines.extend(expected_lines(diff))
    return "\n".join(lines) + "\n"
