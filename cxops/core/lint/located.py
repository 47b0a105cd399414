"""Findings placed in files, inline ignores, and baselines: what lint reports once rules ran."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cxops.core.lint.registry import LintFinding, Severity
from cxops.errors import ConfigError, Location
from cxops.repo.yamlio import format_path

# `# cxops: ignore[rule/id] reason`, or several ids separated by commas.
_IGNORE = re.compile(r"#\s*cxops:\s*ignore\[([^\]]+)\]")


@dataclass(frozen=True)
class Located:
    finding: LintFinding
    file: str
    line: int | None

    @property
    def rule(self) -> str:
        return self.finding.rule

    @property
    def severity(self) -> Severity:
        return self.finding.severity

    @property
    def key(self) -> str | None:
        return format_path(self.finding.path) or None

    @property
    def message(self) -> str:
        return self.finding.message

    @property
    def location(self) -> Location:
        return Location(self.file, self.line, self.key)

    @property
    def fingerprint(self) -> str:
        """Stable across edits elsewhere in the file: rule, file, key path and message, no line."""
        text = "\0".join((self.rule, self.file, self.key or "", self.message))
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def __str__(self) -> str:
        return f"{self.location}: {self.severity.name} [{self.rule}] {self.message}"

    def as_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "severity": self.severity.name,
            "file": self.file,
            "line": self.line,
            "key": self.key,
            "message": self.message,
            "fingerprint": self.fingerprint,
        }


def ignored_rules(lines: Sequence[str], line: int | None) -> set[str]:
    """Rule ids an ignore comment silences at 1-based ``line``: on that line or the one above."""
    if line is None:
        return set()
    found: set[str] = set()
    for text in lines[max(0, line - 2) : line]:
        for match in _IGNORE.finditer(text):
            found.update(part.strip() for part in match.group(1).split(","))
    return found


BASELINE_VERSION = 1


def baseline_text(findings: Iterable[Located]) -> str:
    entries = sorted({(f.fingerprint, f.rule, f.file, f.message) for f in findings})
    data = {
        "version": BASELINE_VERSION,
        "findings": [{"fingerprint": fp, "rule": r, "file": f, "message": m} for fp, r, f, m in entries],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def parse_baseline(text: str, file: str) -> set[str]:
    """Fingerprints recorded in a baseline file."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as bad:
        raise ConfigError(f"not a cxops lint baseline: {bad.msg}", Location(file, bad.lineno)) from None
    if (
        not isinstance(data, dict)
        or data.get("version") != BASELINE_VERSION
        or not isinstance(data.get("findings"), list)
    ):
        raise ConfigError(
            f"not a cxops lint baseline (version {BASELINE_VERSION}); write one with --write-baseline",
            Location(file),
        )
    return {
        e["fingerprint"]
        for e in data["findings"]
        if isinstance(e, dict) and isinstance(e.get("fingerprint"), str)
    }
