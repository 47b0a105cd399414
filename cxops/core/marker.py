"""cxops's own lines in a live agent's description (the apply lease, the secret-sources stamp,
who approved creating the agent) and in an environment's (what the last apply of its stage
pinned: core/envmark.py).

CX has no lock and no labels on agents; the description is the one free-text field that every
read returns, that RestoreAgent and the console keep, and that changes nothing in how the agent
converses. cxops appends its lines at the end, each ``[cxops-<what> <fields>]``, and takes them
out again whenever it reads an agent, so they never reach a tree, a diff or a fingerprint.
(CX caps the description at 500 characters; the lines take about 120.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

# Only apply's own lines: a preview agent's `[cxops-preview …]` label is content its stage's
# overrides put there (stage/preview.py), compared like any other.
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # UTC, to the second
_LINE = re.compile(r"^\[cxops-(lease|sources|applied|created)(?: ([^\]\n]*))?\]$")


def split(description: str) -> tuple[str, dict[str, str]]:
    """The user's description and cxops's lines in it (what -> fields text)."""
    kept: list[str] = []
    marks: dict[str, str] = {}
    for line in description.split("\n"):
        match = _LINE.match(line)
        if match:
            marks[match.group(1)] = match.group(2) or ""
        else:
            kept.append(line)
    return "\n".join(kept).rstrip("\n"), marks


def join(description: str, marks: Mapping[str, str]) -> str:
    lines = [f"[cxops-{what} {fields}]" for what, fields in sorted(marks.items())]
    return "\n".join([description, *lines] if description else lines)


@dataclass(frozen=True)
class Lease:
    holder: str
    token: str
    until: dt.datetime
    run: str = ""  # the CI run that holds it, ``<run id>.<attempt>`` (see workflows/lease.py)

    def text(self) -> str:
        run = f" run={self.run}" if self.run else ""
        return f"holder={self.holder} until={self.until.strftime(TIME_FORMAT)} token={self.token}{run}"

    @classmethod
    def parse(cls, fields: str) -> Lease | None:
        values = dict(part.split("=", 1) for part in fields.split() if "=" in part)
        try:
            until = dt.datetime.strptime(values["until"], TIME_FORMAT).replace(tzinfo=dt.timezone.utc)
            return cls(values["holder"], values["token"], until, values.get("run", ""))
        except (KeyError, ValueError):
            return None  # unreadable: treated as absent, so a garbled line never blocks forever


def field_value(text: str) -> str:
    """``text`` as one ``key=value`` field of a line: no spaces, brackets or line breaks."""
    return "".join(c if c.isalnum() or c in "@._-:" else "_" for c in text.strip()) or "unknown"


def created_text(approved_by: str, at: dt.datetime) -> str:
    """The ``created`` line's fields: who approved creating the agent of a protected stage."""
    return f"by=cxops-stage-create approved_by={field_value(approved_by)} at={at.strftime(TIME_FORMAT)}"


def sources_stamp(sources: Mapping[str, str]) -> str:
    """One short hash per secret (its name and where its value is read from), sorted."""
    return " ".join(sorted(_source_hash(name, source) for name, source in sources.items()))


def _source_hash(name: str, source: str) -> str:
    return hashlib.sha256(f"{name}\0{source}".encode()).hexdigest()[:10]


def changed_sources(sources: Mapping[str, str], stamp: str | None) -> dict[str, str]:
    """The secrets whose source is not the one stamped at the stage's last apply (none without a stamp)."""
    if stamp is None:
        return {}
    before = set(stamp.split())
    return {name: source for name, source in sources.items() if _source_hash(name, source) not in before}
