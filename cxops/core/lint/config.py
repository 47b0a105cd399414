"""``cxops.yaml`` at the repo root: which lint rules run, at what severity, with what thresholds.

Read strictly, like stage files: every key is known, and a mistake is one ConfigError naming
``cxops.yaml:line: key``::

    lint:
      fail_on: error            # error | warning | note: the lowest severity that fails lint
      rules:
        testcases/untested-flow: off                  # off / on, or a severity
        nlu/few-training-phrases: {severity: warning, min_phrases: 5}
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

from cxops.core.lint.registry import RuleSettings, Severity, all_rules, default_settings
from cxops.errors import ConfigError
from cxops.repo.yamlio import Positions, load_with_positions

CONFIG_FILE = "cxops.yaml"
_SEVERITIES = {s.name: s for s in Severity}


@dataclass(frozen=True)
class LintConfig:
    rules: dict[str, RuleSettings] = field(default_factory=default_settings)
    fail_on: Severity = Severity.error


def _fail(positions: Positions, path: Sequence[str | int], message: str) -> NoReturn:
    raise ConfigError(message, positions.location(path))


def _unknown(positions: Positions, path: Sequence[str | int], name: str, known: Sequence[str]) -> NoReturn:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; one of {', '.join(known)}"
    _fail(positions, path, f"unknown key {name!r}{hint}")


def _mapping(value: Any, positions: Positions, path: Sequence[str | int]) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(positions, path, "expected a mapping")
    return value


def _severity(value: Any, positions: Positions, path: Sequence[str | int]) -> Severity:
    if not isinstance(value, str) or value not in _SEVERITIES:
        _fail(positions, path, f"must be one of {', '.join(_SEVERITIES)}, not {value!r}")
    return _SEVERITIES[value]


def parse_config(text: str | None, file: str = CONFIG_FILE) -> LintConfig:
    """The lint configuration in ``text`` (None or an empty file: the defaults)."""
    if text is None:
        return LintConfig()
    data, positions = load_with_positions(text, file)
    if data is None:
        return LintConfig()
    top = _mapping(data, positions, ())
    for name in top:
        if name != "lint":
            _unknown(positions, (name,), name, ["lint"])
    lint = top.get("lint")
    if lint is None:
        return LintConfig()
    lint = _mapping(lint, positions, ("lint",))
    for name in lint:
        if name not in ("fail_on", "rules"):
            _unknown(positions, ("lint", name), name, ["fail_on", "rules"])
    fail_on = (
        _severity(lint["fail_on"], positions, ("lint", "fail_on")) if "fail_on" in lint else Severity.error
    )
    settings = default_settings()
    rules = {r.id: r for r in all_rules()}
    configured = lint.get("rules")
    for rule_id, value in (
        _mapping(configured, positions, ("lint", "rules")).items() if configured is not None else []
    ):
        here = ("lint", "rules", rule_id)
        if rule_id not in rules:
            _unknown(positions, here, rule_id, sorted(rules))
        current = settings[rule_id]
        if isinstance(value, bool) or value in ("on", "off"):
            settings[rule_id] = replace(current, enabled=value in (True, "on"))
        elif isinstance(value, str):
            settings[rule_id] = replace(current, enabled=True, severity=_severity(value, positions, here))
        elif isinstance(value, dict):
            settings[rule_id] = _rule_settings(value, current, rules[rule_id].params, positions, here)
        else:
            _fail(positions, here, "expected on, off, a severity, or a mapping of severity and parameters")
    return LintConfig(settings, fail_on)


def _rule_settings(
    value: dict[str, Any],
    current: RuleSettings,
    defaults: dict[str, int] | Any,
    positions: Positions,
    path: tuple[str, ...],
) -> RuleSettings:
    params = dict(current.params)
    enabled, severity = True, current.severity
    known = ["enabled", "severity", *defaults]
    for name, item in value.items():
        here = (*path, name)
        if name == "enabled":
            if not isinstance(item, bool):
                _fail(positions, here, f"must be true or false, not {item!r}")
            enabled = item
        elif name == "severity":
            severity = _severity(item, positions, here)
        elif name in defaults:
            if not isinstance(item, int) or isinstance(item, bool) or item < 0:
                _fail(positions, here, f"must be a whole number of at least 0, not {item!r}")
            params[name] = item
        else:
            _unknown(positions, here, name, known)
    return RuleSettings(enabled, severity, params)


def template() -> str:
    """A commented ``cxops.yaml`` listing every rule with its default, for ``cxops init``."""
    lines = [
        "# cxops configuration. `cxops lint` reads the lint section; see docs/commands.md (cxops lint) or `cxops lint --explain RULE-ID`.",
        "lint:",
        "  # The lowest severity that makes `cxops lint` exit 1: error, warning or note.",
        "  fail_on: error",
        "  # Per rule: off, on, a severity (error, warning, note), or a mapping of severity and",
        "  # parameters. Silence one finding with a comment on its line or the line above:",
        "  #   # cxops: ignore[RULE-ID] why",
        "  rules:",
    ]
    for r in all_rules():
        lines.append(f"    # {r.summary}")
        if r.params:
            params = ", ".join(f"{k}: {v}" for k, v in r.params.items())
            value = f"{{severity: {r.severity.name}, {params}}}"
        else:
            value = r.severity.name if r.enabled else "off"
        lines.append(f"    {r.id}: {value}")
    return "\n".join(lines) + "\n"
