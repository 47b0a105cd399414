"""`cxops plan STAGE`: what apply would write to make STAGE's live agent its desired state."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cxops.cli.context import GlobalOptions, OutputFormat, options
from cxops.core.gate import unsigned_note
from cxops.core.plan import Plan
from cxops.render import planout
from cxops.repo.atomicfile import write_atomic
from cxops.stage.config import load_stage
from cxops.workflows import envstage
from cxops.workflows.planning import plan_stage


def show(plan: Plan, opts: GlobalOptions, *, writes: bool = False) -> None:
    if opts.format is OutputFormat.json:
        typer.echo(planout.render_json(plan), nl=False)
    elif opts.format is OutputFormat.markdown:
        typer.echo(planout.render_markdown(plan), nl=False)
    elif not opts.quiet or plan:
        typer.echo(
            planout.render_text(plan, color=opts.color and sys.stdout.isatty(), writes=writes), nl=False
        )


def save(plan: Plan, output: Path) -> None:
    write_atomic(output, plan.to_json().encode("utf-8"), parents=True)


def plan(
    ctx: typer.Context,
    stage: str = typer.Argument(..., help="The stage to plan: environments/<stage>.yaml."),
    source: str | None = typer.Option(
        None,
        "--from",
        help="Desired state from another stage's live agent, git:REF[:AGENT] or a tree folder "
        "instead of agents/<agent> (the stage's overrides are put in either way).",
    ),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Write the plan file here (for approve/apply)."
    ),
    detailed_exitcode: bool = typer.Option(
        False, "--detailed-exitcode", help="Exit 3 when the plan has changes, 0 when none."
    ),
    author: str | None = typer.Option(
        None, "--author", help="Who makes the plan (default: $CXOPS_AUTHOR, $GITHUB_ACTOR or the user)."
    ),
    writes: bool = typer.Option(False, "--writes", help="List every write call, in order."),
) -> None:
    """Compare STAGE's desired state with its live agent, read just now; print (and save) the plan."""
    opts = options(ctx)
    loaded = load_stage(opts.root, stage)
    note = unsigned_note(loaded)
    if note is not None:
        typer.echo(note, err=True)
    if source is None and loaded.environment is not None:
        result = envstage.plan_environment(
            opts.root, stage, opts.emulator_host, opts.endpoint, plan_author=author
        )
    else:  # an environment stage --from anything is refused there
        result = plan_stage(opts.root, stage, source, opts.emulator_host, opts.endpoint, plan_author=author)
    if output is not None:
        save(result, output)
    show(result, opts, writes=writes)
    if output is not None and not opts.quiet and opts.format is OutputFormat.text:
        typer.echo(f"plan written to {output}", err=True)
    if detailed_exitcode and result:
        raise typer.Exit(3)
