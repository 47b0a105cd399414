"""Global options, shared by every command through typer's context object."""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from pathlib import Path

import typer


class OutputFormat(str, enum.Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


@dataclass(frozen=True)
class GlobalOptions:
    root: Path
    format: OutputFormat
    emulator_host: str | None
    endpoint: str | None
    debug: bool
    color: bool
    quiet: bool


def options(ctx: typer.Context) -> GlobalOptions:
    obj = ctx.find_root().obj
    if isinstance(obj, GlobalOptions):
        return obj
    return GlobalOptions(
        root=Path("."),
        format=OutputFormat.text,
        emulator_host=os.environ.get("CXOPS_EMULATOR_HOST") or None,
        endpoint=os.environ.get("CXOPS_API_ENDPOINT") or None,
        debug=False,
        color=True,
        quiet=False,
    )
