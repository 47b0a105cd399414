"""`cxops changed [--since REF]`: the agents and stages a change touches (a CI matrix in JSON)."""

from __future__ import annotations

import json

import typer

from cxops.cli.context import OutputFormat, options
from cxops.workflows.changed import changed as find_changed


def changed(
    ctx: typer.Context,
    since: str = typer.Option(
        "HEAD~1",
        "--since",
        help="Compare with this commit's merge base with HEAD (a PR: origin/<base branch>; a push: the "
        "commit before it). Uncommitted and untracked files count too.",
    ),
) -> None:
    """List the agents, and their stages in promotion order, that a change touches.

    With --format json: a list of {"agent", "stages", "files"} objects, which a GitHub Actions
    matrix takes as it is (matrix: include: ${{ fromJSON(...) }})."""
    opts = options(ctx)
    found = find_changed(opts.root, since)
    if opts.format is OutputFormat.json:
        typer.echo(json.dumps([t.as_json() for t in found]))
        return
    if not found:
        typer.echo(f"no agent changed since {since}")
        return
    for t in found:
        stages = " ".join(t.stages) if t.stages else "(no stage deploys it)"
        typer.echo(f"{t.agent}: {stages}  ({t.files} file(s))")
