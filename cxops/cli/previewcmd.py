"""`cxops preview up|down|list|prune`: one agent per git branch in a `preview: true` stage."""

from __future__ import annotations

import json

import typer

from cxops.cli.applycmd import progress
from cxops.cli.context import OutputFormat, options
from cxops.render.previewout import up_markdown
from cxops.stage.preview import parse_age
from cxops.workflows import preview as wf

app = typer.Typer(
    help="Preview agents: one agent per git branch, in the project of a stage marked preview: true.",
    no_args_is_help=True,
)

STAGE_HELP = "The preview stage (default: the one stage file with preview: true)."
BRANCH_HELP = "The git branch (default: the branch checked out)."


@app.command("up")
def up(
    ctx: typer.Context,
    branch: str | None = typer.Option(None, "--branch", help=BRANCH_HELP),
    stage: str | None = typer.Option(None, "--stage", help=STAGE_HELP),
    format: OutputFormat | None = typer.Option(
        None, "--format", help="text, or markdown for a PR comment (default: the global --format)."
    ),
) -> None:
    """Create the branch's preview agent if it has none, bring it to the branch's tree, print its URL."""
    opts = options(ctx)
    done = wf.up(opts.root, stage, branch, opts.emulator_host, opts.endpoint, progress(opts))
    shown = format or opts.format
    for note in done.security:
        typer.echo(f"!! SECURITY {done.stage} ({done.branch}): {note}", err=True)
    if shown is OutputFormat.markdown:
        typer.echo(
            up_markdown(
                stage=done.stage,
                branch=done.branch,
                display_name=done.agent.display_name,
                url=done.agent.url,
                created=done.created,
                writes=done.writes,
            ),
            nl=False,
        )
        return
    if shown is OutputFormat.json:
        typer.echo(
            json.dumps(
                {
                    "stage": done.stage,
                    "branch": done.branch,
                    "agent": done.agent.name,
                    "display_name": done.agent.display_name,
                    "url": done.agent.url,
                    "created": done.created,
                    "writes": done.writes,
                }
            )
        )
        return
    if not opts.quiet:
        if done.created:
            what = "created, filled with one RestoreAgent"
        else:
            what = f"updated with {done.writes} write call(s)" if done.writes else "already up to date"
        typer.echo(f"{done.stage}: {done.agent.display_name} ({done.branch}): {what}")
    typer.echo(done.agent.url)


@app.command("down")
def down(
    ctx: typer.Context,
    branch: str | None = typer.Option(None, "--branch", help=BRANCH_HELP),
    stage: str | None = typer.Option(None, "--stage", help=STAGE_HELP),
) -> None:
    """Delete the branch's preview agent (nothing to delete is not an error)."""
    opts = options(ctx)
    found, name, gone = wf.down(opts.root, stage, branch, opts.emulator_host, opts.endpoint)
    if opts.quiet:
        return
    if not gone:
        typer.echo(f"{found.name}: branch {name} has no preview agent; nothing deleted")
    for agent in gone:
        typer.echo(f"{found.name}: deleted {agent.display_name} ({agent.name})")


@app.command("list")
def list_(
    ctx: typer.Context,
    stage: str | None = typer.Option(None, "--stage", help=STAGE_HELP),
) -> None:
    """The preview agents this stage created (recognised by their label), oldest first."""
    opts = options(ctx)
    found, agents = wf.list_previews(opts.root, stage, opts.emulator_host, opts.endpoint)
    if opts.format is OutputFormat.json:
        rows = [
            {
                "branch": a.label.branch,
                "created": a.label.created,
                "display_name": a.display_name,
                "agent": a.name,
                "url": a.url,
            }
            for a in agents
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not agents and not opts.quiet:
        typer.echo(f"{found.name}: no preview agents in {found.parent}")
    for a in agents:
        typer.echo(f"{a.label.branch}\t{a.label.created}\t{a.display_name}\t{a.url}")


@app.command("prune")
def prune(
    ctx: typer.Context,
    older_than: str = typer.Option(..., "--older-than", help="Age, e.g. 14d, 36h or 90m."),
    stage: str | None = typer.Option(None, "--stage", help=STAGE_HELP),
) -> None:
    """Delete this stage's preview agents created longer ago than --older-than."""
    opts = options(ctx)
    found, gone = wf.prune(opts.root, stage, parse_age(older_than), opts.emulator_host, opts.endpoint)
    if opts.quiet:
        return
    for a in gone:
        typer.echo(
            f"{found.name}: deleted {a.display_name} (branch {a.label.branch}, created {a.label.created})"
        )
    typer.echo(f"{found.name}: {len(gone)} preview agent(s) older than {older_than} deleted")
