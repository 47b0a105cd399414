"""`validate` as a whole: an agent tree on disk -> located problems (file, line, key)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cxops.core.validate import Problem, validate
from cxops.errors import CxopsError, Location, ValidationError
from cxops.model.gcpause import gc_paused
from cxops.model.snapshot import Snapshot
from cxops.repo import names, yamlio
from cxops.repo.tree import read_tree
from cxops.workflows.agents import agent_dir


@dataclass(frozen=True)
class Finding:
    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "key": self.location.key,
            "message": self.message,
        }


def _locate(root: Path, origin: str, problem: Problem, cache: dict[str, yamlio.Positions | None]) -> Location:
    """file:line: key of a problem; each file is parsed for positions once, however many it has."""
    if origin not in cache:
        path = root / origin
        text = path.read_text(encoding="utf-8") if path.is_file() else None
        cache[origin] = yamlio.load_with_positions(text, origin)[1] if text is not None else None
    positions = cache[origin]
    line = positions.line(problem.path) if positions is not None else None
    return Location(origin, line, problem.field or None)


def check_agent(root: Path, agent: str, carried: list[Finding] | None = None) -> list[Finding]:
    """Every problem of ``agents/<agent>/``; an unreadable file is one finding. The keys carried
    as CX exported them, without a schema (notes, not problems), go to ``carried`` when given."""
    folder = agent_dir(root, agent)
    findings = _name_collisions(root, folder)
    try:
        snapshot = read_tree(folder, base=f"agents/{agent}")
    except CxopsError as bad:
        return [*findings, Finding(bad.location or Location(f"agents/{agent}"), bad.message)]
    notes: list[Problem] = []
    with gc_paused():  # as for lint: many new containers, none cyclic, beside a large snapshot
        problems = validate(snapshot, notes)
        if carried is not None:
            carried += locate(root, snapshot, notes, f"agents/{agent}")
        return findings + locate(root, snapshot, problems, f"agents/{agent}")


def require_valid(root: Path, agent: str, what: str) -> None:
    """Refuse ``what`` (e.g. packaging) for a tree with any problem: the first, as one line."""
    findings = check_agent(root, agent)
    if findings:
        first = findings[0]
        more = f" (and {len(findings) - 1} more; run cxops validate)" if len(findings) > 1 else ""
        raise ValidationError(f"{what}: {first}{more}")


def locate(root: Path, snapshot: Snapshot, problems: list[Problem], fallback: str) -> list[Finding]:
    """Problems of a snapshot read from the tree under ``root`` as findings (file:line: key)."""
    positions: dict[str, yamlio.Positions | None] = {}
    return [
        Finding(_locate(root, snapshot.origins.get(p.key, fallback), p, positions), p.message)
        for p in problems
    ]


def _name_collisions(root: Path, folder: Path) -> list[Finding]:
    """Files whose names differ only in case or normalization clash on macOS and Windows."""
    seen: dict[str, Path] = {}
    findings = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        folded = "/".join(names.fold(part) for part in rel.parts)
        if folded in seen:
            other = seen[folded].relative_to(root).as_posix()
            findings.append(
                Finding(
                    Location(path.relative_to(root).as_posix()),
                    f"file name clashes with {other} on case-insensitive file systems",
                )
            )
        else:
            seen[folded] = path
    return findings


def agents_in(root: Path) -> list[str]:
    base = root / "agents"
    return sorted(p.name for p in base.iterdir() if (p / "agent.yaml").is_file()) if base.is_dir() else []


def check_stages(root: Path, agents: list[str]) -> list[Finding]:
    """Every stage file under ``environments/`` that deploys one of ``agents``: the file itself,
    its ``source``, that each override names a resource of the tree, and that each secret the
    tree uses has a source in the stage (apply refuses otherwise)."""
    from cxops.model import secrets
    from cxops.stage import overrides  # config and overrides are only needed when stages exist
    from cxops.stage.config import check_sources, load_stage, stage_file

    folder = root / "environments"
    if not folder.is_dir():
        return []
    findings: list[Finding] = []
    stages = {}
    # environments/STAGE.yaml, and environments/AGENT/STAGE.yaml in a repository of several agents.
    for path in sorted(folder.glob("*.y*ml")) + sorted(folder.glob("*/*.y*ml")):
        if path.name.startswith(".") or path.parent.name.startswith("."):
            continue
        name = path.stem if path.parent == folder else f"{path.parent.name}/{path.stem}"
        try:
            stages[name] = load_stage(root, name)
        except CxopsError as bad:
            findings.append(Finding(bad.location or Location(stage_file(name)), bad.message))
    try:
        check_sources(stages)
    except CxopsError as bad:
        findings.append(Finding(bad.location or Location("environments"), bad.message))
    trees: dict[str, Snapshot] = {}
    for stage in stages.values():
        if stage.agent not in agents or not (agent_dir(root, stage.agent) / "agent.yaml").is_file():
            continue
        if stage.agent not in trees:
            try:
                trees[stage.agent] = read_tree(agent_dir(root, stage.agent))
            except CxopsError:
                continue  # the tree's own findings say why
        tree = trees[stage.agent]
        try:
            overrides.apply(tree, stage)
        except CxopsError as bad:
            findings.append(Finding(bad.location or Location(stage.file), bad.message))
        for name in sorted({slot.name for slot in secrets.slots(tree)}):
            if name not in stage.secrets:
                findings.append(
                    Finding(
                        Location(stage.file, None, "secrets"),
                        f"agents/{stage.agent} uses ${{secret:{name}}} but this stage names no source "
                        f"for it: add secrets.{name}: env:VARIABLE (apply would refuse)",
                    )
                )
    return findings
