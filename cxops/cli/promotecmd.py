"""`cxops promote FROM TO`: plan TO with FROM's live content (and apply where TO is unprotected)."""

from __future__ import annotations

from pathlib import Path

import typer

from cxops.cli.applycmd import done, progress
from cxops.cli.context import options
from cxops.cli.plancmd import save, show
from cxops.errors import GateError
from cxops.stage.config import load_stage
from cxops.workflows import apply as apply_workflow
from cxops.workflows.planning import plan_stage


def promote(
    ctx: typer.Context,
    source: str = typer.Argument(..., metavar="FROM", help="The stage to copy from (e.g. dev)."),
    target: str = typer.Argument(..., metavar="TO", help="The stage to promote to (e.g. stg)."),
    do_apply: bool = typer.Option(False, "--apply", help="Apply at once (refused where TO is protected)."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the plan file here."),
    force: bool = typer.Option(False, "--force", help="Allow deleting more than the safety share."),
    author: str | None = typer.Option(None, "--author", help="Who makes the plan."),
) -> None:
    """Plan TO from FROM's live agent (FROM's overrides out, TO's in)."""
    opts = options(ctx)
    stage = load_stage(opts.root, target)
    if do_apply and stage.protected:
        raise GateError(
            f"{target} is protected: promote --apply is refused; write the plan with -o, approve it, apply it"
        )
    planned = plan_stage(opts.root, target, source, opts.emulator_host, opts.endpoint, plan_author=author)
    if output is not None:
        save(planned, output)
    show(planned, opts)
    if do_apply:
        outcome = apply_workflow.run(
            opts.root,
            stage,
            planned,
            opts.emulator_host,
            opts.endpoint,
            force=force,
            progress=progress(opts),
            auto_approved=True,
        )
        done(outcome, opts)
