"""`cxops demo`: the main job end to end on the embedded stand-in."""

from __future__ import annotations

import typer


def demo() -> None:
    """Run dev -> stg -> prd on the embedded CX stand-in."""
    from cxops.cli import demo_steps as core  # imports the stand-in: only when the demo runs

    code = core.run(typer.echo)
    if code:
        raise typer.Exit(code)
