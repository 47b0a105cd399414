"""Lint rules: ids, severities, what each rule finds, and running them over a snapshot.

Rule ids are ``family/name`` (``reachability/unreachable-page``): the family is the module that
holds the rule (reachability, references, nlu, languages, safety, testcases), the name says what
is wrong. Ids are stable: configuration, inline ignores and baselines name rules by id.

A rule is a pure function of an :class:`~cxops.core.lint.index.Index` (the snapshot with the
look-ups every rule needs, built once) and its parameters; it yields :class:`Hit` s, which the
runner turns into :class:`LintFinding` s with the rule's id and configured severity.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cxops.core.lint.index import Index
from cxops.model.snapshot import Key, Snapshot

FieldPath = tuple[str | int, ...]


class Severity(enum.IntEnum):
    """SARIF's levels; CX's ValidationMessage severities INFO, WARNING, ERROR map onto them."""

    note = 1
    warning = 2
    error = 3


@dataclass(frozen=True)
class Hit:
    key: Key
    path: FieldPath
    message: str


@dataclass(frozen=True)
class LintFinding:
    rule: str
    severity: Severity
    key: Key
    path: FieldPath
    message: str


Params = Mapping[str, Any]
Check = Callable[[Index, Params], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    check: Check
    enabled: bool = True
    params: Mapping[str, int] = field(default_factory=dict)
    # The wording of CX's own agent validation for the same problem, where there is one
    # (https://cloud.google.com/dialogflow/cx/docs/concept/validation).
    cx_message: str | None = None


RULES: dict[str, Rule] = {}


def rule(
    id: str,
    severity: Severity,
    summary: str,
    *,
    enabled: bool = True,
    params: Mapping[str, int] | None = None,
    cx_message: str | None = None,
) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        if id in RULES:
            raise ValueError(f"lint rule {id} registered twice")
        RULES[id] = Rule(id, severity, summary, check, enabled, dict(params or {}), cx_message)
        return check

    return register


@dataclass(frozen=True)
class RuleSettings:
    """One rule as configured: on or off, its severity, its parameters."""

    enabled: bool
    severity: Severity
    params: Mapping[str, int]


def default_settings() -> dict[str, RuleSettings]:
    return {r.id: RuleSettings(r.enabled, r.severity, r.params) for r in all_rules()}


def all_rules() -> list[Rule]:
    # Importing the families registers their rules.
    from cxops.core.lint import languages, nlu, reachability, references, safety, testcases  # noqa: F401

    return [RULES[k] for k in sorted(RULES)]


def run(snapshot: Snapshot, settings: Mapping[str, RuleSettings] | None = None) -> list[LintFinding]:
    """Every finding of every enabled rule, in rule order then snapshot order."""
    rules = all_rules()
    chosen = settings if settings is not None else default_settings()
    index = Index(snapshot)
    findings: list[LintFinding] = []
    for r in rules:
        setting = chosen.get(r.id)
        if setting is None or not setting.enabled:
            continue
        for hit in r.check(index, setting.params):
            findings.append(LintFinding(r.id, setting.severity, hit.key, hit.path, hit.message))
    return findings
