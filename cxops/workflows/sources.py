"""Where a snapshot to compare comes from: a stage's live agent, a tree, a JSON package."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cxops.errors import ConfigError
from cxops.model import secrets
from cxops.model.snapshot import Snapshot
from cxops.package.files import read_package
from cxops.package.reader import snapshot_from_package
from cxops.repo import gitsource
from cxops.repo.tree import read_tree, snapshot_from_tree
from cxops.stage import overrides
from cxops.stage.config import find_stage, is_stage_name, load_stage
from cxops.workflows import backups


@dataclass(frozen=True)
class Source:
    snapshot: Snapshot
    # Per-stage values taken out before comparing (``overrides.<key>.<field>`` of the stage).
    expected: tuple[str, ...] = ()
    # Lines about how the side was read (an environment version read as the draft), shown once.
    notes: tuple[str, ...] = ()


def load_source(
    root: Path, spec: str, emulator_host: str | None, endpoint: str | None, *, raw: bool = False
) -> Source:
    """``spec``: a stage name (its live agent, overrides taken out), a tree folder, ``git:REF``
    or ``git:REF:AGENT`` (a tree at a commit), a JSON package, ``backup:PATH`` (a backup apply
    took).

    A stage's overrides are taken out so that it compares as content (SPEC §3) — unless ``raw``
    — and credentials become placeholders on every side, so a secret is never shown.
    """
    expected: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    path = Path(spec)
    candidate = path if path.is_absolute() else root / path
    if spec.startswith("git:"):
        snapshot = git_snapshot(root, spec)
    elif spec.startswith("backup:"):
        # What an apply saved before writing: what a rollback to it would bring back.
        snapshot = backups.load(root / spec[len("backup:") :])
    elif candidate.is_dir() and (candidate / "agent.yaml").is_file():
        snapshot = read_tree(candidate, base=spec)
    elif candidate.is_file() or (candidate.is_dir() and any(candidate.rglob("agent.json"))):
        snapshot, _ = snapshot_from_package(read_package(candidate))
    elif find_stage(root, spec) is not None:
        # Only a stage side connects: a diff of trees, git refs and packages loads no client.
        from cxops.workflows.live import Via, open_session, read_content, read_live, read_served

        stage = load_stage(root, spec)
        if raw:
            with open_session(stage, emulator_host, endpoint) as session:
                live = (
                    read_served(session, stage)
                    if stage.environment
                    else read_live(session, stage, Via.export)
                )
            snapshot, notes = live.snapshot, live.notes
        else:
            live, kept_changes = read_content(root, stage, Via.export, emulator_host, endpoint)
            snapshot, notes = live.snapshot, live.notes
            kept = {k.where for k in kept_changes}
            expected = tuple(
                f"{spec}: {o.where}" for o in overrides.overrides_of(stage) if o.where not in kept
            )
    else:
        raise unknown_source(
            root,
            spec,
            "agent tree (a folder with agent.yaml) or JSON package (a zip, or a folder with agent.json)",
        )
    secrets.redact(snapshot)
    return Source(snapshot, expected, tuple(f"{spec}: {n}" for n in notes))


def unknown_source(root: Path, spec: str, kinds: str) -> ConfigError:
    """The error for a source that is none of ``kinds`` nor a stage: a path is named as a path
    (missing, or of the wrong kind), anything else as the stage it is not."""
    if (root / spec).exists():
        return ConfigError(f"{spec!r} is no {kinds}")
    if "/" in spec or "\\" in spec:
        return ConfigError(f"{spec!r}: no such file or folder")
    hint = f"; the agent's tree is agents/{spec}" if (root / "agents" / spec / "agent.yaml").is_file() else ""
    if not is_stage_name(spec):
        return ConfigError(f"{spec!r} is no stage, {kinds}{hint}")
    return ConfigError(f"{spec!r} is no stage (environments/{spec}.yaml), {kinds}{hint}")


def stage_tree(root: Path, spec: str) -> str:
    """The tree a stage deploys (``agents/<agent>``): what ``cxops diff STAGE`` compares with."""
    if find_stage(root, spec) is None:
        raise ConfigError(f"{spec!r} is no stage (environments/{spec}.yaml): name both sides to compare")
    return f"agents/{load_stage(root, spec).agent}"


def load_pair(
    root: Path, left: str, right: str, emulator_host: str | None, endpoint: str | None, *, raw: bool = False
) -> tuple[Source, Source]:
    """Both sides of a diff. A ``git:`` side whose commit holds no agent yet (the one before
    the agent was added) is empty, so the diff shows the agent added — or removed."""
    sides: list[Source | None] = []
    missing: gitsource.NoAgentAtRef | None = None
    for spec in (left, right):
        try:
            sides.append(load_source(root, spec, emulator_host, endpoint, raw=raw))
        except gitsource.NoAgentAtRef as absent:
            sides.append(None)
            missing = missing or absent
    if missing is not None and all(side is None for side in sides):
        raise missing
    before, after = (side or Source(Snapshot()) for side in sides)
    return before, after


def git_snapshot(root: Path, spec: str) -> Snapshot:
    """``git:REF[:AGENT|FOLDER]``: a tree or a JSON package, read from git objects."""
    found = gitsource.read_agent(root, spec)
    if found.kind == "package":
        return snapshot_from_package(found.files)[0]
    return snapshot_from_tree(found.files, base=f"{spec} {found.path}")
