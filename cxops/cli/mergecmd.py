"""`cxops merge-driver %O %A %B %P`: git's merge driver for agent-tree files."""

from __future__ import annotations

from pathlib import Path

import typer

from cxops.workflows.mergedriver import merge_file


def merge_driver(
    base: Path = typer.Argument(..., help="%O: the common ancestor's version (a temporary file)."),
    ours: Path = typer.Argument(..., help="%A: our version; the merged result is written here."),
    theirs: Path = typer.Argument(..., help="%B: the other branch's version."),
    name: str = typer.Argument(..., help="%P: the file's path in the repository, for messages."),
) -> None:
    """Merge one agent-tree file field by field and list item by list item (configured by
    `cxops init`). Exit 0: merged; exit 1: conflict markers written around the items both
    branches changed differently."""
    code = merge(base, ours, theirs, name)
    if code:
        raise typer.Exit(code)


def merge(base: Path, ours: Path, theirs: Path, name: str) -> int:
    """The command's work and exit code; cli/main.py calls it directly for git's own call."""
    outcome = merge_file(base, ours, theirs, name)
    if outcome.warning:
        typer.echo(f"warning: {outcome.warning}", err=True)
    if not outcome.clean:
        typer.echo(f"CONFLICT (cxops): {name}: both branches changed {_where(outcome.conflicts)}", err=True)
        return 1
    return 0


def _where(conflicts: tuple[str, ...], show: int = 3) -> str:
    if not conflicts:
        return "the same items"
    named = ", ".join(c or "the whole file" for c in conflicts[:show])
    more = len(conflicts) - show
    return named + (f" and {more} more" if more > 0 else "")
