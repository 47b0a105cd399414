"""`cxops stage create STAGE`: create the stage's (empty) agent."""

from __future__ import annotations

import typer

from cxops.cli.context import options
from cxops.workflows.stagecreate import create_stage

app = typer.Typer(help="Stages' agents: create the agent a stage file names.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    stage: str = typer.Argument(..., help="The stage (environments/STAGE.yaml)."),
    approved_by: str | None = typer.Option(
        None, "--approved-by", help="Who approved creating the agent; required on a protected stage."
    ),
) -> None:
    """Create STAGE's agent (CreateAgent: the stage's display name, the tree's languages and time
    zone), empty; the first apply fills it. Refused where it exists."""
    opts = options(ctx)
    done = create_stage(opts.root, stage, opts.emulator_host, opts.endpoint, approved_by)
    typer.echo(f"{done.stage}: created agent {done.display_name!r} ({done.name})")
