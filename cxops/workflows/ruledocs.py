"""Each lint rule's page: what it finds, why it matters, an example, how to fix, how to silence.

The bodies are files of the package (``cxops/core/lint/docs/<family>/<name>.md``), one per rule,
so that `cxops lint --explain RULE`, the SARIF file's rule help (shown by GitHub code scanning
beside each alert) and the documentation site (``docs/hooks/lint_pages.py``) give one text. The
header (severity, parameters) and the way to silence come from the rule's registration, so
they cannot disagree with what lint does.
"""

from __future__ import annotations

from importlib import resources

from cxops.core.lint.registry import Rule, all_rules

SECTIONS = ("## What it finds", "## Why it matters", "## Example", "## How to fix")


def body(rule: Rule) -> str | None:
    """The rule's hand-written page body, or None when the package has none."""
    family, name = rule.id.split("/", 1)
    page = resources.files("cxops.core.lint") / "docs" / family / f"{name}.md"
    try:
        return page.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None


def page(rule: Rule) -> str:
    """The whole page, in markdown."""
    params = ", ".join(f"`{k}` (default {v})" for k, v in rule.params.items())
    header = [
        f"# {rule.id}",
        "",
        f"{rule.summary}",
        "",
        f"Default severity: **{rule.severity.name}**"
        + ("" if rule.enabled else " (off unless enabled)")
        + (f" · parameters: {params}" if params else ""),
    ]
    if rule.cx_message:
        header += ["", f"CX's own agent validation reports the same problem as: *{rule.cx_message}*"]
    silence = [
        "## How to silence",
        "",
        "One finding: a comment on its line, or on the line above, with the reason:",
        "",
        "```yaml",
        f"# cxops: ignore[{rule.id}] why this one is fine",
        "```",
        "",
        "Every finding of the rule, or another severity: in `cxops.yaml` at the repository root,",
        "",
        "```yaml",
        "lint:",
        "  rules:",
        f"    {rule.id}: off        # or: error, warning, note",
        "```",
        "",
        "Findings that exist today, kept out of the way of new ones: `cxops lint --baseline FILE --write-baseline`.",
    ]
    text = body(rule) or "## What it finds\n\n" + rule.summary + "\n"
    return "\n".join(header) + "\n\n" + text.rstrip("\n") + "\n\n" + "\n".join(silence) + "\n"


def pages() -> dict[str, str]:
    """Every rule's page, by rule id."""
    return {rule.id: page(rule) for rule in all_rules()}
