"""`cxops diff A B`: readable differences between stages, trees and packages."""

from __future__ import annotations

import sys
from dataclasses import replace

import typer

from cxops.cli.context import OutputFormat, options
from cxops.core.diff import Diff, compare
from cxops.render import jsonout, markdown, text
from cxops.workflows.sources import load_pair, stage_tree


def render(result: Diff, fmt: OutputFormat, *, color: bool = False) -> str:
    if fmt is OutputFormat.markdown:
        return markdown.render(result)
    if fmt is OutputFormat.json:
        return jsonout.render(result)
    return text.render(result, color=color)


def diff(
    ctx: typer.Context,
    left: str = typer.Argument(
        ..., help="A stage (its live agent), an agent tree folder, or a JSON package."
    ),
    right: str | None = typer.Argument(
        None, help="The same kinds of source; default, when LEFT is a stage: that stage's tree."
    ),
    raw: bool = typer.Option(False, "--raw", help="Compare stages as stored, their overrides included."),
) -> None:
    """Show what differs from LEFT to RIGHT; exit 3 when anything does, 0 when nothing."""
    opts = options(ctx)
    right = right or stage_tree(opts.root, left)
    before, after = load_pair(opts.root, left, right, opts.emulator_host, opts.endpoint, raw=raw)
    result = replace(
        compare(before.snapshot, after.snapshot, left, right), expected=before.expected + after.expected
    )
    for note in before.notes + after.notes:
        typer.echo(f"note: {note}", err=True)
    if not opts.quiet or result:
        typer.echo(render(result, opts.format, color=opts.color and sys.stdout.isatty()), nl=False)
    if result:
        raise typer.Exit(3)
