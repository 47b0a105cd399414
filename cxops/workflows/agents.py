"""Agent trees in a repository: import a JSON package into one, package one, find one."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cxops.errors import ConfigError, CxopsError, Location, ValidationError
from cxops.model import progress, secrets
from cxops.model.snapshot import Snapshot
from cxops.package.files import in_export_folder, read_package, write_zip_file
from cxops.package.reader import ImportReport, snapshot_from_package
from cxops.package.writer import package_files
from cxops.repo.filesync import SyncResult
from cxops.repo.tree import read_tree, write_tree

AGENT_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def agent_dir(root: Path, agent: str) -> Path:
    if not AGENT_NAME.match(agent):
        ascii_name = unicodedata.normalize("NFKD", agent).encode("ascii", "ignore").decode()
        suggestion = re.sub(r"[^a-z0-9._-]+", "-", ascii_name.lower()).strip("-._")
        hint = f"; e.g. {suggestion!r}" if AGENT_NAME.match(suggestion) else ""
        raise ConfigError(
            f"agent name {agent!r}: use lower-case letters, digits, '.', '_' and '-' "
            f"(it names agents/<agent>/){hint}"
        )
    return root / "agents" / agent


@dataclass(frozen=True)
class ImportOutcome:
    agent: str
    resources: int
    sync: SyncResult
    report: ImportReport
    secrets: list[str]  # placeholders written instead of credentials


def _other_agent(existing: Snapshot, incoming: Snapshot) -> str | None:
    """Why ``incoming`` looks like another agent than the tree holds (None: the same one): a
    different default language or start flow, or fewer than half of the resources in common."""
    have, come = existing.agent, incoming.agent
    for field in ("default_language_code", "start_flow"):
        if have.get(field) != come.get(field):
            return f"{field} {have.get(field)!r} in the tree, {come.get(field)!r} in the package"
    keys, new = set(existing.resources), set(incoming.resources)
    if len(keys & new) * 2 < len(keys | new):
        return f"only {len(keys & new)} of {len(keys | new)} resources in common"
    return None


def import_package(
    root: Path, source: Path, agent: str, *, force: bool = False, skip_unknown_files: bool = False
) -> ImportOutcome:
    """A JSON package (zip or folder) -> ``agents/<agent>/``. Nothing is written on error, nor
    over a tree that holds another agent (unless ``force``): that would silently replace it,
    nor when a file of the export has no place in the tree (unless ``skip_unknown_files``):
    its content would be gone from every package made from the tree (SPEC §2 rule 8)."""
    target = agent_dir(root, agent)
    if not source.exists():
        raise ConfigError("no such file or folder", Location(str(source)))
    outside: list[str] = []
    with progress.step(f"reading the package {source.name}"):
        snapshot, report = snapshot_from_package(read_package(source, outside))
    # Files beside the export (a repository's README.md, .github/) are not the export's.
    report.ignored = sorted({*report.ignored, *(p for p in outside if in_export_folder(p))})
    if report.ignored and not skip_unknown_files:
        more = f" (and {len(report.ignored) - 1} more)" if len(report.ignored) > 1 else ""
        raise ValidationError(
            f"a file of the export that cxops cannot place in the tree{more}; nothing was "
            "imported (--skip-unknown-files imports the rest without it)",
            Location(report.ignored[0]),
        )
    if not force and (target / "agent.yaml").is_file():
        try:
            existing: Snapshot | None = read_tree(target, base=f"agents/{agent}")
        except CxopsError:
            existing = None  # a broken tree is what an import repairs
        why = _other_agent(existing, snapshot) if existing is not None else None
        if why:
            raise ConfigError(
                f"agents/{agent} holds another agent ({why}): import --force replaces it, "
                "or choose another --agent"
            )
    redacted = secrets.redact(snapshot)
    with progress.step(f"writing {len(snapshot.resources)} resources into agents/{agent}/"):
        sync = write_tree(target, snapshot)
    return ImportOutcome(
        agent=agent,
        resources=len(snapshot.resources),
        sync=sync,
        report=report,
        secrets=[s.name for s in redacted],
    )


def load_agent(root: Path, agent: str) -> Snapshot:
    target = agent_dir(root, agent)
    return read_tree(target, base=f"agents/{agent}")


def package_agent(root: Path, agent: str, output: Path) -> int:
    """``agents/<agent>/`` -> a JSON package zip; returns the number of files in it."""
    files = package_files(load_agent(root, agent))
    write_zip_file(files, output)
    return len(files)
