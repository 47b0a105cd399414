"""`cxops pull STAGE`: export the stage's live agent into its tree."""

from __future__ import annotations

import typer

from cxops.cli.context import options
from cxops.workflows.live import Via
from cxops.workflows.pull import pull as pull_stage


def pull(
    ctx: typer.Context,
    stage: str = typer.Argument(..., help="The stage: environments/<stage>.yaml."),
    via: Via = typer.Option(
        Via.export, "--via", help="export: one ExportAgent (consistent); list: read every resource."
    ),
    branch: str | None = typer.Option(
        None, "--branch", help="Preview stages: whose agent to pull (default: the branch checked out)."
    ),
) -> None:
    """Export STAGE's live agent into agents/<agent>/ (overrides taken out, secrets as placeholders)."""
    opts = options(ctx)
    outcome = pull_stage(opts.root, stage, via, opts.emulator_host, opts.endpoint, branch=branch)
    sync = outcome.sync
    # The result line is printed under -q too: quiet drops chatter, never the outcome.
    typer.echo(
        f"{outcome.tree}: pulled {outcome.resources} resources from {stage} ({outcome.agent}); "
        f"{len(sync.written)} files written, {len(sync.removed)} removed, {len(sync.unchanged)} unchanged"
    )
    for line in outcome.notes:
        typer.echo(f"note: {line}", err=True)
    if opts.quiet:
        return
    for note in outcome.secrets:
        source = (
            f"supplied by secrets.{note.placeholder} ({note.source})"
            if note.source
            else (f"not mapped: add secrets.{note.placeholder} to environments/{stage}.yaml")
        )
        typer.echo(f"secret ${{secret:{note.placeholder}}}: {source}")
    for kept in outcome.kept:
        typer.echo(f"note: {kept.key} differs from {kept.where} in {stage}: the live value was kept")
