"""`cxops demo`: the main job end to end on the embedded stand-in."""

from __future__ import annotations

import typer

from cxops.cli.context import entry


def demo(
    ctx: typer.Context,
    team: bool = typer.Option(
        False, "--team", help="Two developers, two preview agents, one merge through the merge driver."
    ),
    fleet: bool = typer.Option(
        False, "--fleet", help="Two agents in one repository; a change to one deploys only it."
    ),
) -> None:
    """Run dev -> stg -> prd on the embedded CX stand-in."""
    # Both import the stand-in: only when the demo runs.
    if team:
        from cxops.cli import demo_team

        code = demo_team.run(typer.echo, entry(ctx))
    elif fleet:
        from cxops.cli import demo_fleet

        code = demo_fleet.run(typer.echo, entry(ctx))
    else:
        from cxops.cli import demo_steps as steps

        code = steps.run(typer.echo, entry(ctx))
    if code:
        raise typer.Exit(code)
