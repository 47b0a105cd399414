"""A diff as stable JSON (docs/diff-json.md): for scripts and CI."""

from __future__ import annotations

import json
from typing import Any

from cxops.diff import Diff, FieldChange

VERSION = 1


def field_data(change: FieldChange) -> dict[str, Any]:
    out: dict[str, Any] = {"op": change.op, "path": list(change.path)}
    if change.op in ("changed", "unset", "removed", "moved"):
        out["before"] = change.before
    if change.op in ("changed", "set", "added", "moved"):
        out["after"] = change.after
    return out


def as_data(diff: Diff) -> dict[str, Any]:
    return {
        "version": VERSION,
        "left": diff.left,
        "right": diff.right,
        "differs": bool(diff),
        "summary": diff.summary(),
        "expected": list(diff.expected),
        "resources": [
            {
                "kind": change.key.kind,
                "scope": change.key.scope,
                "name": change.key.name,
                "op": change.op,
                "fields": [field_data(f) for f in change.fields],
            }
            for change in diff.changes
        ],
    }


def render(diff: Diff) -> str:
    return json.dumps(as_data(diff), ensure_ascii=False, indent=2) + "\n"
