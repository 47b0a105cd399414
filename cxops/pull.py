"""`pull`: a stage's live agent into its tree, overrides taken out, secrets as placeholders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cxops import overrides
from cxops.config import load_stage
from cxops.errors import CxopsError
from cxops.filesync import SyncResult
from cxops.model import secrets
from cxops.stages import Via, open_session, read_live, tree_path
from cxops.tree import read_tree, write_tree


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
    folder = tree_path(root, stage)
    try:
        # The tree is only needed to put its own values back where the stage overrides them.
        tree = read_tree(folder) if stage.overrides and (folder / "agent.yaml").is_file() else None
    except CxopsError:
        tree = None  # a broken tree is replaced by what is live; overrides then fall back to absent
    with open_session(stage, emulator_host, endpoint) as session:
        live = read_live(session, stage, via)
    snapshot = live.snapshot
    kept = overrides.remove(snapshot, stage, tree)
    overrides.keep_agent_name(snapshot, folder)
    found = secrets.redact(snapshot)
    sync = write_tree(folder, snapshot)
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
