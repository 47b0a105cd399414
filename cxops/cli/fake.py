"""`cxops fake`: the bundled CX API stand-in."""

from __future__ import annotations

import typer

app = typer.Typer(help="The bundled Dialogflow CX API stand-in (gRPC, in memory).", no_args_is_help=True)


@app.command("serve")
def serve() -> int:
    """Serve the CX v3 API on a local port (work in progress)."""
    raise typer.Exit(1)
