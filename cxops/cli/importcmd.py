"""`cxops import PATH --agent NAME`: a JSON package into an agent tree."""

from __future__ import annotations

from pathlib import Path

import typer

from cxops.cli.context import options
from cxops.workflows.agents import import_package


def import_(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="A JSON package: the export zip, or a folder (CX's git push)."),
    agent: str = typer.Option(..., "--agent", help="Name of the tree: agents/<agent>/."),
    force: bool = typer.Option(False, "--force", help="Replace a tree that holds another agent."),
    skip_unknown_files: bool = typer.Option(
        False,
        "--skip-unknown-files",
        help="Import a package that holds files cxops cannot place, leaving those out (refused otherwise).",
    ),
) -> None:
    """Import a CX JSON package (zip or folder) into agents/AGENT/."""
    opts = options(ctx)
    outcome = import_package(opts.root, path, agent, force=force, skip_unknown_files=skip_unknown_files)
    sync = outcome.sync
    # The result line is printed under -q too: quiet drops chatter, never the outcome.
    typer.echo(
        f"agents/{agent}: {outcome.resources} resources; "
        f"{len(sync.written)} files written, {len(sync.removed)} removed, {len(sync.unchanged)} unchanged"
    )
    if not opts.quiet:
        for name in outcome.secrets:
            typer.echo(
                f"secret: ${{secret:{name}}} written instead of a credential; "
                f"map it in each stage's secrets, e.g. {name}: env:VARIABLE"
            )
        ignored = outcome.report.ignored
        if ignored:
            typer.echo(
                f"note: {len(ignored)} file(s) of the package left out (--skip-unknown-files), "
                f"e.g. {ignored[0]}",
                err=True,
            )
        if outcome.report.unresolved:
            typer.echo(
                f"note: {len(outcome.report.unresolved)} references name resources outside the package "
                f"and were kept as paths, e.g. {outcome.report.unresolved[0]}"
            )
