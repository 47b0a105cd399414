"""What the last apply of an environment stage pinned, kept on the environment itself.

Drift of an environment stage needs "what cxops last set" on a machine that never applied (a
fresh CI runner). The versions cxops makes name their plan, but they cannot tell an apply that
only re-pointed a webhook or re-pinned existing versions from someone pinning an older cxops
version in the console. So every UpdateEnvironment cxops makes (apply and rollback) writes one
line into the environment's description: ``[cxops-applied plan=… pins=… at=… by=…]``, where
``pins`` is a digest of the version_configs and webhook override URIs it set. A state of the
environment whose line's digest is its own is one cxops wrote; a state whose digest differs
was changed since by someone else (the console keeps the description as it is). The
environment's past states (LookupEnvironmentHistory) keep their descriptions, so the newest
state cxops wrote can be found again after the live one moved. Pure.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from cxops.core import marker

# v3 Environment.description: "The maximum length is 500 characters. If exceeded, the request
# is rejected." (Dialogflow CX v3 reference, Environment). The line takes about 120.
MAX_DESCRIPTION = 500
WHAT = "applied"
ROLLBACK = "rollback"


def pins_digest(versions: Mapping[str, str], webhooks: Mapping[str, str]) -> str:
    """Over flow resource name -> version and webhook resource name -> override URI (header
    values are left out: they may be credentials, and the description is readable by anyone
    who can read the agent)."""
    text = json.dumps({"v": dict(sorted(versions.items())), "w": dict(sorted(webhooks.items()))})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Applied:
    plan: str  # the plan hash's first 12 hex digits, or "rollback"
    pins: str
    at: str  # UTC, RFC 3339 to the second
    by: str

    def text(self) -> str:
        return f"plan={self.plan} pins={self.pins} at={self.at} by={self.by}"

    @classmethod
    def parse(cls, fields: str) -> Applied | None:
        values = dict(part.split("=", 1) for part in fields.split() if "=" in part)
        try:
            return cls(values["plan"], values["pins"], values["at"], values["by"])
        except KeyError:
            return None  # garbled by hand: as if absent


def short_plan(plan_hash: str) -> str:
    return plan_hash.removeprefix("sha256:")[:12]


def describe(current: str, applied: Applied) -> str:
    """``current`` description with its cxops line replaced by ``applied``'s; the user's text is
    cut where description and line would pass CX's limit (the line is what cxops needs)."""
    text, marks = marker.split(current)
    marks[WHAT] = applied.text()
    room = MAX_DESCRIPTION - len(marker.join("", marks)) - 1
    return marker.join(text[: max(room, 0)].rstrip(), marks)


def applied_of(description: str) -> Applied | None:
    fields = marker.split(description)[1].get(WHAT)
    return Applied.parse(fields) if fields is not None else None


def by_name(author: str) -> str:
    """An author as one field of the line (no spaces or brackets)."""
    return "".join(c if c.isalnum() or c in "@._-:" else "_" for c in author) or "unknown"
