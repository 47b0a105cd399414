"""`cxops lint [AGENT]`: rules that catch well-formed but broken conversations."""

from __future__ import annotations

import difflib
import enum
from dataclasses import replace
from pathlib import Path

import typer

from cxops.cli.context import OutputFormat, options
from cxops.core.lint.registry import Severity, all_rules
from cxops.errors import ConfigError
from cxops.render.lintout import render_json, render_markdown, render_sarif, render_text
from cxops.repo.atomicfile import write_atomic
from cxops.workflows import ruledocs
from cxops.workflows.lint import lint as run_lint
from cxops.workflows.validate import agents_in


def explain_rule(rule_id: str) -> str:
    rules = {rule.id: rule for rule in all_rules()}
    if rule_id not in rules:
        close = difflib.get_close_matches(rule_id, rules, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ConfigError(f"--explain {rule_id}: no such rule{hint} (cxops.yaml lists every rule)")
    return ruledocs.page(rules[rule_id])


class FailOn(str, enum.Enum):
    error = "error"
    warning = "warning"
    note = "note"


def lint(
    ctx: typer.Context,
    agent: str | None = typer.Argument(None, help="The tree agents/<agent>/; all agents when left out."),
    format: OutputFormat | None = typer.Option(
        None, "--format", help="text, json or markdown (default: the global --format)."
    ),
    sarif: Path | None = typer.Option(
        None, "--sarif", help="Also write the findings as SARIF 2.1.0 to FILE."
    ),
    fail_on: FailOn | None = typer.Option(
        None,
        "--fail-on",
        help="Exit 1 on a finding of this severity or above (default: cxops.yaml, else error).",
    ),
    baseline: Path | None = typer.Option(
        None, "--baseline", help="A baseline file: only findings it does not hold are reported and fail."
    ),
    write_baseline: bool = typer.Option(
        False, "--write-baseline", help="Record today's findings in the --baseline file."
    ),
    explain: str | None = typer.Option(
        None,
        "--explain",
        metavar="RULE-ID",
        help="Show a rule's page (what, why, example, fix, silence) and exit.",
    ),
) -> None:
    """Lint agent trees offline: reachability, references, NLU, languages, safety and test cases.
    Rules, severities and thresholds come from cxops.yaml at the root; `# cxops: ignore[RULE-ID]
    reason` in a resource file silences one finding on that line or the next."""
    opts = options(ctx)
    if explain is not None:
        typer.echo(explain_rule(explain), nl=False)
        return
    if write_baseline and baseline is None:
        raise ConfigError("--write-baseline needs --baseline FILE")
    agents = [agent] if agent else agents_in(opts.root)
    if not agents:
        raise ConfigError(f"no agent trees under {opts.root / 'agents'}")
    result = run_lint(opts.root, agents, baseline=baseline, write_baseline=write_baseline)
    summary = result.summary()
    if fail_on is not None:
        summary = replace(summary, fail_on=Severity[fail_on.value])
    if sarif is not None:
        write_atomic(sarif, (render_sarif(summary, ruledocs.pages()) + "\n").encode("utf-8"), parents=True)
    shown = format or opts.format
    if shown is OutputFormat.json:
        typer.echo(render_json(summary))
    elif shown is OutputFormat.markdown:
        typer.echo(render_markdown(summary))
    else:
        for line in render_text(summary):
            typer.echo(line, err=True)
        if not opts.quiet:
            typer.echo(f"lint {', '.join(agents)}: {summary.counts()}")
            if summary.findings:
                typer.echo("what a rule finds and how to fix or silence it: cxops lint --explain RULE-ID")
    if summary.failed:
        raise typer.Exit(1)
