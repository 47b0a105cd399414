"""MkDocs hook: one page per lint rule, and their index, made from cxops's own rule registry and
the rule pages it carries (cxops.workflows.ruledocs), so the site, `cxops lint --explain` and
the SARIF help never disagree and a new rule gets its page without anyone adding it here."""

from __future__ import annotations

from typing import Any

from mkdocs.structure.files import File, Files


def on_files(files: Files, config: Any) -> Files:
    from cxops.core.lint.registry import all_rules
    from cxops.workflows import ruledocs

    rules = all_rules()
    index = [
        "# Lint rules",
        "",
        "`cxops lint` runs these offline on an agent tree. Each page says what the rule finds, why",
        "it matters, an example, how to fix it and how to silence it; `cxops lint --explain RULE-ID`",
        "prints the same page.",
        "",
        "| rule | default | finds |",
        "|---|---|---|",
    ]
    for rule in rules:
        summary = rule.summary.replace("|", "\\|")
        index.append(f"| [{rule.id}]({rule.id}.md) | {rule.severity.name} | {summary} |")
        files.append(File.generated(config, f"lint/{rule.id}.md", content=ruledocs.page(rule)))
    files.append(File.generated(config, "lint/index.md", content="\n".join(index) + "\n"))
    return files
