"""`pull`: a stage's live agent into its tree, overrides taken out, secrets as placeholders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cxops.model import secrets
from cxops.repo.filesync import SyncResult
from cxops.repo.tree import write_tree
from cxops.stage import overrides
from cxops.stage.config import load_stage
from cxops.workflows.live import Via, read_content, tree_path


@dataclass(frozen=True)
class SecretNote:
    placeholder: str
    source: str | None  # the stage's secrets entry that supplies it, if any


@dataclass(frozen=True)
class PullOutcome:
    stage: str
    agent: str
    tree: str
    resources: int
    sync: SyncResult
    secrets: list[SecretNote]
    kept: list[overrides.Kept]


def pull(
    root: Path, stage_name: str, via: Via, emulator_host: str | None, endpoint: str | None
) -> PullOutcome:
    stage = load_stage(root, stage_name)
    live, kept = read_content(root, stage, via, emulator_host, endpoint)
    snapshot = live.snapshot
    found = secrets.redact(snapshot)
    sync = write_tree(tree_path(root, stage), snapshot)
    notes = [SecretNote(s.name, stage.secrets.get(s.name)) for s in found]
    return PullOutcome(
        stage=stage.name,
        agent=live.agent,
        tree=f"agents/{stage.agent}",
        resources=len(snapshot.resources),
        sync=sync,
        secrets=notes,
        kept=kept,
    )
