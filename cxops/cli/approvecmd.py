"""`cxops approve PLAN --reviewer NAME`: record an approval bound to the plan's hash."""

from __future__ import annotations

from pathlib import Path

import typer

from cxops.cli.context import options
from cxops.workflows.approve import approve as approve_plan


def approve(
    ctx: typer.Context,
    plan_file: Path = typer.Argument(..., help="The plan file (cxops plan -o)."),
    reviewer: str = typer.Option(..., "--reviewer", help="Who approves (not the plan's author)."),
    comment: str = typer.Option("", "--comment", help="Why, for the record."),
) -> None:
    """Append an approval to PLAN_FILE (HMAC-signed when CXOPS_APPROVAL_KEY is set)."""
    opts = options(ctx)
    approval = approve_plan(plan_file, reviewer, comment)
    if not opts.quiet:
        signed = "signed" if approval.signature else "unsigned"
        typer.echo(
            f"{plan_file}: approved by {approval.reviewer} ({signed}, plan {approval.plan_hash[:19]}…)"
        )
