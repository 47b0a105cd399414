"""Preview stages (``preview: true``): one agent per git branch, and the label that marks it.

A preview agent is recognised by a label in its description, never by its display name alone:
``list``, ``down`` and ``prune`` must not touch an agent someone made by hand in the same
project, even one whose name happens to match. The label also records when the agent was
created (``prune`` goes by it) and for which stage and branch::

    [cxops-preview stage=preview branch=feature/returns created=2026-12-03T07:30:00Z]

The label goes into the agent as an override of ``agent.description`` (the tree's own
description, then the label), so plan and apply keep it and ``pull`` takes it out again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, replace
from typing import Any

from cxops.errors import ConfigError
from cxops.stage.config import Stage

LABEL = re.compile(r"\[cxops-preview stage=(\S+) branch=(\S+) created=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\]")
# Agent.description: "The maximum length is 500 characters" (v3 Agent reference).
DESCRIPTION_MAX = 500
# Display names stay readable in the console's agent list; a longer branch is cut and given a
# short hash, so two long branches that share a prefix still get two names.
BRANCH_MAX = 40
_UNSAFE = re.compile(r"[^A-Za-z0-9._/-]+")
CONSOLE = "https://dialogflow.cloud.google.com/cx"


@dataclass(frozen=True)
class Label:
    stage: str
    branch: str
    created: str  # UTC, 2026-12-03T07:30:00Z

    def text(self) -> str:
        return f"[cxops-preview stage={self.stage} branch={self.branch} created={self.created}]"

    @property
    def created_at(self) -> dt.datetime:
        return dt.datetime.strptime(self.created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def parse_label(description: str) -> Label | None:
    found = LABEL.search(description)
    return Label(found.group(1), found.group(2), found.group(3)) if found else None


def check_branch(branch: str) -> str:
    """A branch name as git allows it in a ref, and as the label can hold it (no spaces)."""
    if (
        not branch
        or any(c.isspace() or ord(c) < 32 for c in branch)
        or ".." in branch
        or branch.startswith("-")
    ):
        raise ConfigError(f"{branch!r} is not a git branch name")
    return branch


def display_branch(branch: str) -> str:
    """The branch as it may appear in a display name: unusual characters become '-', long
    names are cut with a hash of the whole name."""
    clean = _UNSAFE.sub("-", branch).strip("-") or "branch"
    if len(clean) <= BRANCH_MAX:
        return clean
    digest = hashlib.sha256(branch.encode()).hexdigest()[:6]
    return f"{clean[: BRANCH_MAX - 7]}~{digest}"


def display_name(stage: Stage, branch: str) -> str:
    template = str(stage.agent_display_name)
    return template.replace("{agent}", stage.agent).replace("{branch}", display_branch(branch))


def description(tree_description: str, label: Label) -> str:
    """The tree's description, then the label; the tree's part is cut to leave room for it."""
    tag = label.text()
    room = DESCRIPTION_MAX - len(tag) - 2
    text = tree_description.strip()
    if not text:
        return tag
    if len(text) > room:
        text = text[: room - 1].rstrip() + "…"
    return f"{text}\n\n{tag}"


def for_branch(stage: Stage, branch: str, label: Label, tree_agent: dict[str, Any] | None) -> Stage:
    """The stage as one branch's agent: its display name filled in, the label as an override
    of the agent's description (so plans keep it and pull takes it out)."""
    base = tree_agent.get("description") if tree_agent else None
    overrides = {key: dict(fields) for key, fields in stage.overrides.items()}
    overrides.setdefault("agent", {})["description"] = description(
        base if isinstance(base, str) else "", label
    )
    return replace(stage, agent_display_name=display_name(stage, branch), overrides=overrides)


def console_url(agent: str) -> str:
    """The agent's page in the CX console (agent: projects/P/locations/L/agents/ID)."""
    return f"{CONSOLE}/{agent}"


def parse_age(text: str) -> dt.timedelta:
    """``14d``, ``36h`` or ``90m``."""
    found = re.fullmatch(r"\s*(\d+)\s*([dhm])\s*", text)
    if not found:
        raise ConfigError(f"--older-than {text!r}: give a number and d, h or m, e.g. 14d")
    n = int(found.group(1))
    unit = {"d": dt.timedelta(days=1), "h": dt.timedelta(hours=1), "m": dt.timedelta(minutes=1)}
    return n * unit[found.group(2)]
