"""`cxops drift STAGE`: does the live agent differ from its desired state? Exit 3 when it does."""

from __future__ import annotations

import sys
from dataclasses import replace

import typer

from cxops.cli.context import OutputFormat, options
from cxops.cli.diffcmd import render
from cxops.stage.config import load_stage
from cxops.workflows import envdrift
from cxops.workflows.planning import plan_stage
from cxops.workflows.who import last_changes


def drift(
    ctx: typer.Context,
    stage: str = typer.Argument(..., help="The stage: environments/<stage>.yaml."),
) -> None:
    """Compare STAGE's live agent with its desired state (tree + overrides); exit 3 on drift."""
    opts = options(ctx)
    if load_stage(opts.root, stage).environment is not None:
        # An environment drifts when it is not pinned where its last apply left it.
        found = envdrift.drift_environment(opts.root, stage, opts.emulator_host, opts.endpoint)
        if found.moved:
            typer.echo(f"{stage}: the environment drifted from {found.against}:")
            for line in found.moved:
                typer.echo(f"  {line}")
            raise typer.Exit(3)
        if not opts.quiet:
            typer.echo(f"{stage}: no drift: the environment is pinned as {found.against} left it")
            if found.plan:
                typer.echo(f"{stage}: this tree has changes not applied yet (not drift): cxops plan {stage}")
        return
    planned = plan_stage(opts.root, stage, None, opts.emulator_host, opts.endpoint)
    if not opts.quiet or planned:
        typer.echo(
            render(replace(planned.diff, expected=()), opts.format, color=opts.color and sys.stdout.isatty()),
            nl=False,
        )
    if planned:
        if opts.format is not OutputFormat.json:
            who = last_changes(
                opts.root, stage, [c.key for c in planned.diff.changes], opts.emulator_host, opts.endpoint
            )
            if who:
                typer.echo(f"{stage}: last changed in live: {who}")
        raise typer.Exit(3)
