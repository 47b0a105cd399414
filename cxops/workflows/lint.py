"""`lint` as a whole: agent trees and ``cxops.yaml`` on disk -> located findings, with inline
ignores and a baseline applied."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cxops.core.lint.config import CONFIG_FILE, LintConfig, parse_config
from cxops.core.lint.located import (
    Located,
    Memo,
    baseline_text,
    columns,
    find_line,
    ignored_rules,
    parse_baseline,
)
from cxops.core.lint.registry import LintFinding, run
from cxops.errors import ConfigError, CxopsError, Location
from cxops.model.gcpause import gc_paused
from cxops.model.snapshot import Snapshot
from cxops.render.lintout import Summary
from cxops.repo import yamlio
from cxops.repo.atomicfile import write_atomic
from cxops.repo.tree import snapshot_from_tree, tree_bytes
from cxops.workflows.agents import agent_dir
from cxops.workflows.validate import require_valid


@dataclass
class LintResult:
    agents: list[str]
    config: LintConfig
    # Every finding left after inline ignores; `new` are those the baseline does not hold.
    findings: list[Located] = field(default_factory=list)
    new: list[Located] = field(default_factory=list)
    ignored: int = 0
    baselined: int = 0

    def summary(self) -> Summary:
        return Summary(self.agents, self.new, self.ignored, self.baselined, self.config.fail_on)


def load_config(root: Path) -> LintConfig:
    path = root / CONFIG_FILE
    if path.is_symlink() and root.resolve() not in path.resolve().parents:
        raise ConfigError("is a symbolic link out of the repository", Location(CONFIG_FILE))
    return parse_config(path.read_text(encoding="utf-8") if path.is_file() else None, CONFIG_FILE)


class _Files:
    """The lines of the files findings are in, each read once; their key positions parsed only
    where reading indentation cannot say (composing a file costs 1.5 times loading it)."""

    def __init__(self, root: Path, texts: dict[str, bytes] | None = None) -> None:
        self.root = root
        self._texts = texts or {}
        self._lines: dict[str, list[str] | None] = {}
        self._positions: dict[str, yamlio.Positions] = {}
        self._columns: dict[str, list[int]] = {}
        self._memos: dict[str, Memo] = {}

    def lines(self, origin: str) -> list[str] | None:
        if origin not in self._lines:
            path = self.root / origin
            if origin in self._texts:
                self._lines[origin] = self._texts[origin].decode("utf-8").splitlines()
            else:
                self._lines[origin] = (
                    path.read_text(encoding="utf-8").splitlines() if path.is_file() else None
                )
        return self._lines[origin]

    def line(self, origin: str, path: tuple[str | int, ...]) -> int | None:
        lines = self.lines(origin)
        if lines is None:
            return None
        if origin not in self._columns:
            self._columns[origin] = columns(lines)
            self._memos[origin] = {}
        found = find_line(lines, path, self._columns[origin], self._memos[origin])
        if found is not None:
            return found
        if origin not in self._positions:
            text = "\n".join(lines)
            self._positions[origin] = yamlio.load_with_positions(text, origin)[1]
        return self._positions[origin].line(path)


def locate(
    root: Path,
    snapshot: Snapshot,
    findings: list[LintFinding],
    fallback: str,
    texts: dict[str, bytes] | None = None,
) -> tuple[list[Located], int]:
    """Findings with file and line; those an inline ``# cxops: ignore[...]`` silences are dropped
    and counted. ``texts``: the files as already read, by path from the repo root."""
    files = _Files(root, texts)
    kept: list[Located] = []
    ignored = 0
    for finding in findings:
        origin = snapshot.origins.get(finding.key, fallback)
        line = files.line(origin, finding.path)
        lines = files.lines(origin)
        if lines is not None and finding.rule in ignored_rules(lines, line):
            ignored += 1
            continue
        kept.append(Located(finding, origin, line))
    return kept, ignored


def lint_agent(root: Path, agent: str, config: LintConfig) -> tuple[list[Located], int]:
    base = f"agents/{agent}"
    files = tree_bytes(agent_dir(root, agent), base)
    snapshot = snapshot_from_tree(files, base)
    texts = {f"{base}/{path}": data for path, data in files.items()}
    # The rules and locating make some 100,000 containers on an L agent, each allocation
    # counting towards a collection that rescans the millions of the snapshot: none is cyclic.
    with gc_paused():
        try:
            findings = run(snapshot, config.rules)
        except CxopsError:
            raise
        except Exception:
            # The rules read a tree of the right shape; validating first would cost every run
            # as much again, so the shape is checked only when a rule trips over it.
            require_valid(root, agent, f"cannot lint agents/{agent}")
            raise
        return locate(root, snapshot, findings, f"{base}/agent.yaml", texts)


def lint(
    root: Path, agents: list[str], *, baseline: Path | None = None, write_baseline: bool = False
) -> LintResult:
    """Lint ``agents``; with ``write_baseline`` record today's findings in ``baseline`` (every
    finding then counts as known), else only findings ``baseline`` does not hold are new."""
    result = LintResult(agents, load_config(root))
    for agent in agents:
        found, ignored = lint_agent(root, agent, result.config)
        result.findings.extend(found)
        result.ignored += ignored
    known: set[str] = set()
    if baseline is not None and write_baseline:
        write_atomic(baseline, baseline_text(result.findings).encode("utf-8"), parents=True)
        known = {f.fingerprint for f in result.findings}
    elif baseline is not None:
        if not baseline.is_file():
            raise ConfigError(
                "no such baseline file; write one with --write-baseline", Location(str(baseline))
            )
        known = parse_baseline(baseline.read_text(encoding="utf-8"), str(baseline))
    result.new = [f for f in result.findings if f.fingerprint not in known]
    result.baselined = len(result.findings) - len(result.new)
    return result
