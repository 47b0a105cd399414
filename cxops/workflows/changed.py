"""`cxops changed`: which agents and stages a change touches, for a CI matrix.

A file under ``agents/<agent>/`` touches that agent and every stage deploying it; a stage file
touches its own stage; ``cxops.yaml`` (lint settings for every agent) touches every agent. A tree
that the change deleted has nothing left to deploy and is not listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cxops.repo import gitsource
from cxops.stage.config import STAGES_DIR, Stage, load_stages

CONFIG_FILE = "cxops.yaml"


@dataclass(frozen=True)
class Touched:
    agent: str
    stages: tuple[str, ...]  # in promotion order: a stage after the stage it is promoted from
    files: int  # how many of the changed paths concern this agent

    def as_json(self) -> dict[str, object]:
        return {"agent": self.agent, "stages": list(self.stages), "files": self.files}


def promotion_order(stages: Mapping[str, Stage]) -> list[str]:
    """Stage names with each stage after its ``source`` (dev, stg, prd), then by name."""

    def depth(name: str) -> int:
        steps, seen = 0, {name}
        while (source := stages[name].source) is not None and source in stages and source not in seen:
            seen.add(source)
            name, steps = source, steps + 1
        return steps

    return sorted(stages, key=lambda n: (depth(n), n))


def touched(paths: Iterable[str], stages: Mapping[str, Stage], trees: Iterable[str]) -> list[Touched]:
    """Pure: the agents (with ``agents/<agent>/agent.yaml`` present, ``trees``) that ``paths`` touch."""
    present = set(trees)
    by_file = {stage.file: stage for stage in stages.values()}
    whole: dict[str, int] = {}  # agent -> changed files that touch all its stages
    some: dict[str, dict[str, int]] = {}  # agent -> stage -> changed stage files
    for path in paths:
        parts = path.split("/")
        if parts[0] == "agents" and len(parts) > 2:
            whole[parts[1]] = whole.get(parts[1], 0) + 1
        elif path == CONFIG_FILE:
            for agent in present:
                whole[agent] = whole.get(agent, 0) + 1
        elif parts[0] == STAGES_DIR and path in by_file:
            stage = by_file[path]
            counts = some.setdefault(stage.agent, {})
            counts[stage.name] = counts.get(stage.name, 0) + 1
    out = []
    for agent in sorted(present & (set(whole) | set(some))):
        mine = {n: s for n, s in stages.items() if s.agent == agent}
        order = promotion_order(mine)
        chosen = order if agent in whole else [n for n in order if n in some.get(agent, {})]
        files = whole.get(agent, 0) + sum(some.get(agent, {}).values())
        out.append(Touched(agent, tuple(chosen), files))
    return out


def changed(root: Path, since: str) -> list[Touched]:
    """What the work tree and commits since ``since`` (its merge base) touch."""
    paths = gitsource.changed_paths(root, since)
    trees = [p.parent.name for p in (root / "agents").glob("*/agent.yaml")]
    return touched(paths, load_stages(root), trees)
