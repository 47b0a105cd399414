"""`cxops history STAGE`: the flow versions apply made (stage option ``versions: on_apply``)."""

from __future__ import annotations

import json

import typer

from cxops.cli.context import OutputFormat, options
from cxops.workflows.flowversions import stage_history


def history(
    ctx: typer.Context,
    stage: str = typer.Argument(..., help="The stage: environments/<stage>.yaml."),
) -> None:
    """List the CX flow versions cxops made on STAGE, newest first, with the plan each holds."""
    opts = options(ctx)
    releases = stage_history(opts.root, stage, opts.emulator_host, opts.endpoint)
    if opts.format is OutputFormat.json:
        rows = [
            {
                "flow": r.flow,
                "version": r.version.name,
                "display_name": r.version.display_name,
                "create_time": r.version.create_time,
                "plan_hash": r.plan_hash,
                "description": r.version.description,
            }
            for r in releases
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    if not releases:
        typer.echo(f"{stage}: no versions made by cxops (set versions: on_apply in its stage file)")
        return
    for r in releases:
        details = "; ".join(r.version.description.split("\n")[1:])
        number = r.version.name.rsplit("/", 1)[-1]
        typer.echo(f"{r.version.create_time}  {r.flow} v{number}  plan {r.plan_hash[:12]}  {details}")
