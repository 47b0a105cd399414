"""A diff as stable JSON (docs/diff-json.md): for scripts and CI."""

from __future__ import annotations

import json
from typing import Any

from cxops.core.diff import Diff

VERSION = 1


def as_data(diff: Diff) -> dict[str, Any]:
    return {
        "version": VERSION,
        "left": diff.left,
        "right": diff.right,
        "differs": bool(diff),
        "summary": diff.summary(),
        "expected": list(diff.expected),
        "resources": [change.as_data(with_body=True) for change in diff.changes],
    }


def render(diff: Diff) -> str:
    return json.dumps(as_data(diff), ensure_ascii=False, indent=2) + "\n"
