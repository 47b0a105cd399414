"""`cxops apply PLAN` / `cxops apply STAGE --auto-approve`: the gate, then the plan's writes."""

from __future__ import annotations

import enum
import sys
from pathlib import Path

import typer

from cxops.cli.context import GlobalOptions, options
from cxops.cli.plancmd import show
from cxops.core.gate import unsigned_note
from cxops.core.plan import Write, load_plan
from cxops.errors import GateError
from cxops.stage.config import find_stage, load_stage
from cxops.workflows import apply as apply_workflow
from cxops.workflows import envstage
from cxops.workflows.planning import plan_stage


class ApplyVia(str, enum.Enum):
    writes = "writes"
    restore = "restore"


def progress(opts: GlobalOptions) -> apply_workflow.Progress | None:
    """On a terminal one line that updates; elsewhere (CI logs) one line per write."""
    if opts.quiet:
        return None
    tty = sys.stderr.isatty()

    def report(i: int, total: int, write: Write) -> None:
        line = f"[{i}/{total}] {write.describe()}"
        if tty:
            end = "\n" if i == total else ""
            typer.echo(f"\r\x1b[2K{line[:150]}", err=True, nl=False)
            typer.echo(end, err=True, nl=False)
        else:
            typer.echo(line, err=True)

    return report


def done(outcome: apply_workflow.ApplyOutcome, opts: GlobalOptions) -> None:
    # The result line is printed under -q too: quiet drops progress, never the outcome.
    if outcome.lease_taken_from:
        typer.echo(
            f"{outcome.stage}: took over the stage's lease from {outcome.lease_taken_from}, an earlier "
            "attempt of this GitHub Actions run (GitHub re-runs only completed runs)",
            err=True,
        )
    if not outcome.writes:
        typer.echo(f"{outcome.stage}: nothing to apply; live is the desired state")
        return
    if outcome.via == "environment":
        typer.echo(
            f"{outcome.stage}: applied with {outcome.writes} write call(s) (flow versions, one environment "
            f"update); the environment points at this tree's versions (backup: {outcome.backup})"
        )
        return
    how = "one RestoreAgent" if outcome.via == "restore" else f"{outcome.writes} write call(s)"
    typer.echo(
        f"{outcome.stage}: applied with {how}; live matches the desired state (backup: {outcome.backup})"
    )


def apply(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="A plan file (cxops plan -o), or a stage with --auto-approve."),
    auto_approve: bool = typer.Option(
        False, "--auto-approve", help="Plan and apply STAGE now; only for unprotected stages."
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Allow deleting more than the safety share, or --via restore on an agent with content.",
    ),
    break_lease: bool = typer.Option(
        False,
        "--break-lease",
        help="Take over the stage's apply lease held by another run (one that was killed).",
    ),
    via: ApplyVia = typer.Option(
        ApplyVia.writes,
        "--via",
        help="writes: one call per change; restore: one RestoreAgent of the whole desired state (bootstrap).",
    ),
    test_results: Path | None = typer.Option(
        None,
        "--test-results",
        help="A passing cxops test result (-o) for exactly this plan's desired state; "
        "required where the stage says tests.",
    ),
) -> None:
    """Check the gate, back up the live agent, write the plan's changes, verify live == desired."""
    opts = options(ctx)
    restore = via is ApplyVia.restore
    path = Path(target)
    if not auto_approve:
        if (
            not (path if path.is_absolute() else Path.cwd() / path).is_file()
            and find_stage(opts.root, target) is not None
        ):
            raise GateError(
                f"{target} is a stage: apply a plan file, or plan and apply at once with --auto-approve"
            )
        planned = load_plan(path)[0]
        note = unsigned_note(load_stage(opts.root, planned.stage))
        if note is not None:
            typer.echo(note, err=True)
        outcome = apply_workflow.apply_file(
            opts.root,
            path,
            opts.emulator_host,
            opts.endpoint,
            force=force,
            via_restore=restore,
            progress=progress(opts),
            test_results=test_results,
            break_lease=break_lease,
        )
        done(outcome, opts)
        return
    stage = load_stage(opts.root, target)
    if stage.protected:
        raise GateError(
            f"{stage.name} is protected: --auto-approve is refused; plan, approve, then apply the plan file"
        )
    if stage.environment is not None:  # versions and one UpdateEnvironment: workflows/envstage.py
        planned = envstage.plan_environment(opts.root, target, opts.emulator_host, opts.endpoint)
    else:
        planned = plan_stage(opts.root, target, None, opts.emulator_host, opts.endpoint)
    if not opts.quiet:
        show(planned, opts)
    outcome = apply_workflow.run(
        opts.root,
        stage,
        planned,
        opts.emulator_host,
        opts.endpoint,
        force=force,
        via_restore=restore,
        progress=progress(opts),
        auto_approved=True,
        test_results=test_results,
        break_lease=break_lease,
    )
    done(outcome, opts)
