"""`cxops package AGENT -o FILE.zip`: an agent tree into a JSON package."""

from __future__ import annotations

from pathlib import Path

import typer

from cxops.cli.context import options
from cxops.workflows.agents import package_agent
from cxops.workflows.validate import require_valid


def package(
    ctx: typer.Context,
    agent: str = typer.Argument(..., help="The tree agents/<agent>/."),
    output: Path = typer.Option(..., "-o", "--output", help="The zip to write."),
) -> None:
    """Package agents/AGENT/ as a CX JSON package (for the console or RestoreAgent)."""
    opts = options(ctx)
    require_valid(opts.root, agent, f"cannot package agents/{agent}")
    count = package_agent(opts.root, agent, output)
    # The result line is printed under -q too: quiet drops chatter, never the outcome.
    typer.echo(f"{output}: {count} files")
