"""`cxops rollback STAGE [--to BACKUP]`: a plan back to a backup, applied through the same gate."""

from __future__ import annotations

from pathlib import Path

import typer

from cxops.cli.context import options
from cxops.cli.plancmd import save, show
from cxops.errors import ConfigError
from cxops.stage.config import load_stage
from cxops.workflows import backups, envstage
from cxops.workflows.planning import plan_stage


def rollback(
    ctx: typer.Context,
    stage: str = typer.Argument(..., help="The stage to roll back."),
    to: Path | None = typer.Option(None, "--to", help="The backup (default: the newest of the stage)."),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Plan file (default: .cxops/plans/<stage>-rollback.json)."
    ),
    author: str | None = typer.Option(None, "--author", help="Who makes the plan."),
) -> None:
    """Plan STAGE back to a backup taken by apply; apply the plan file like any other."""
    opts = options(ctx)
    if load_stage(opts.root, stage).environment is not None:
        # One UpdateEnvironment, at once: no resource is written, so there is no plan to review.
        env, source = envstage.rollback_environment(
            opts.root, stage, opts.emulator_host, opts.endpoint, _in_repo(opts.root, to) if to else None
        )
        typer.echo(f"{stage}: environment {env} is back at the versions of {source}")
        return
    full = _in_repo(opts.root, to if to is not None else backups.newest(opts.root, stage))
    rel = full.relative_to(opts.root.resolve()).as_posix()
    planned = plan_stage(
        opts.root, stage, f"backup:{rel}", opts.emulator_host, opts.endpoint, plan_author=author
    )
    path = output or opts.root / ".cxops" / "plans" / f"{stage}-rollback.json"
    save(planned, path)
    show(planned, opts)
    if not opts.quiet:
        typer.echo(f"rollback plan written to {path}; apply it with: cxops apply {path}", err=True)


def _in_repo(root: Path, backup: Path) -> Path:
    """The backup's resolved path (relative ones: to the working directory, else to the root)."""
    full = backup if backup.is_absolute() else (root / backup if not backup.exists() else backup.resolve())
    try:
        full.resolve().relative_to(root.resolve())
    except ValueError as outside:
        raise ConfigError(f"{backup}: the backup must be inside the repository ({root})") from outside
    return full.resolve()
