"""`cxops diff A B`: readable differences between stages, trees and packages."""

from __future__ import annotations

from dataclasses import replace

import typer

from cxops.cli.context import OutputFormat, options
from cxops.diff import compare
from cxops.render import jsonout, markdown, text
from cxops.sources import load_source


def diff(
    ctx: typer.Context,
    left: str = typer.Argument(
        ..., help="A stage (its live agent), an agent tree folder, or a JSON package."
    ),
    right: str = typer.Argument(..., help="The same kinds of source."),
    raw: bool = typer.Option(False, "--raw", help="Compare stages as stored, their overrides included."),
) -> None:
    """Show what differs from LEFT to RIGHT; exit 3 when anything does, 0 when nothing."""
    opts = options(ctx)
    before = load_source(opts.root, left, opts.emulator_host, opts.endpoint, raw=raw)
    after = load_source(opts.root, right, opts.emulator_host, opts.endpoint, raw=raw)
    result = replace(
        compare(before.snapshot, after.snapshot, left, right), expected=before.expected + after.expected
    )
    renderer = {
        OutputFormat.text: text.render,
        OutputFormat.markdown: markdown.render,
        OutputFormat.json: jsonout.render,
    }
    if not opts.quiet or result:
        typer.echo(renderer[opts.format](result), nl=False)
    if result:
        raise typer.Exit(3)
