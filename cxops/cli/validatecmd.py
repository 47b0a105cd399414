"""`cxops validate [AGENT]`: offline checks of agent trees."""

from __future__ import annotations

import json

import typer

from cxops.cli.context import OutputFormat, options
from cxops.errors import ConfigError
from cxops.workflows.validate import Finding, agents_in, check_agent, check_stages


def validate(
    ctx: typer.Context,
    agent: str | None = typer.Argument(None, help="The tree agents/<agent>/; all agents when left out."),
) -> None:
    """Check agent trees offline (YAML, field names and types, references, file names) and the
    stage files that deploy them (keys, sources, overrides, secrets)."""
    opts = options(ctx)
    agents = [agent] if agent else agents_in(opts.root)
    if not agents:
        raise ConfigError(f"no agent trees under {opts.root / 'agents'}")
    findings: list[Finding] = []
    carried: list[Finding] = []
    for name in agents:
        findings.extend(check_agent(opts.root, name, carried))
    findings.extend(check_stages(opts.root, agents))
    if opts.format is OutputFormat.json:
        typer.echo(json.dumps({"agents": agents, "problems": [f.as_json() for f in findings]}, indent=2))
    else:
        for finding in findings:
            typer.echo(str(finding), err=True)
        if carried and not opts.quiet:
            # SPEC §2 rule 9: a key CX wrote is never an error; one line says they are there.
            typer.echo(
                f"note: {len(carried)} key(s) CX exported that cxops has no schema for are carried "
                f"as exported, e.g. {carried[0].location}"
            )
        if not opts.quiet:
            summary = f"{len(findings)} problem(s)" if findings else "no problems"
            typer.echo(f"validate {', '.join(agents)}: {summary}")
    if findings:
        raise typer.Exit(1)
