"""`pull`: a stage's live agent into its tree, overrides taken out, secrets as placeholders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cxops.errors import CxopsError
from cxops.model import progress, secrets
from cxops.model.exportonly import keep_export_only
from cxops.model.snapshot import AGENT_KEY, Snapshot
from cxops.repo.filesync import SyncResult
from cxops.repo.tree import read_tree, write_tree
from cxops.stage import overrides
from cxops.stage.config import load_stage
from cxops.stage.preview import LABEL
from cxops.workflows.live import Via, read_content, tree_path
from cxops.workflows.preview import pinned


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
    notes: tuple[str, ...] = ()  # an environment stage's versions read some other way


def pull(
    root: Path,
    stage_name: str,
    via: Via,
    emulator_host: str | None,
    endpoint: str | None,
    *,
    branch: str | None = None,
) -> PullOutcome:
    """``branch``: for a preview stage, whose agent (default: the branch checked out)."""
    stage = pinned(root, load_stage(root, stage_name), branch, emulator_host, endpoint)
    live, kept = read_content(root, stage, via, emulator_host, endpoint)
    snapshot = live.snapshot
    if stage.preview:
        strip_label(snapshot)
        kept = [k for k in kept if k.key != AGENT_KEY or "description" not in k.where]
    _keep_what_the_api_cannot_show(tree_path(root, stage), snapshot, through_api=via is not Via.export)
    found = secrets.redact(snapshot)
    with progress.step(f"writing {len(snapshot.resources)} resources into agents/{stage.agent}/"):
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
        notes=live.notes,
    )


def _keep_what_the_api_cannot_show(folder: Path, snapshot: Snapshot, *, through_api: bool) -> None:
    """The current tree's export-only content, which no API read returns (model/exportonly.py):
    without it a pull after an apply rewrites files nothing changed."""
    if not (folder / "agent.yaml").is_file():
        return
    try:
        current = read_tree(folder)
    except CxopsError:
        return  # a tree that does not read is replaced whole, as before
    keep_export_only(snapshot, current, through_api=through_api)


def strip_label(snapshot: Snapshot) -> None:
    """A preview agent's label never reaches the tree, whatever the description says around it."""
    body = snapshot.resources.get(AGENT_KEY)
    text = body.get("description") if body else None
    if body is None or not isinstance(text, str) or not LABEL.search(text):
        return
    rest = LABEL.sub("", text).strip()
    body = dict(body)
    if rest:
        body["description"] = rest
    else:
        body.pop("description", None)
    snapshot.resources[AGENT_KEY] = body
