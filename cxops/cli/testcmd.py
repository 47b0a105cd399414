"""`cxops test TARGET`: the agent's own test cases, live on a stage or offline in a stand-in."""

from __future__ import annotations

from pathlib import Path

import typer

from cxops.cli.context import OutputFormat, options
from cxops.core.testresults import TestRun, parse_minimums
from cxops.errors import ConfigError
from cxops.render import testout
from cxops.repo.atomicfile import write_atomic
from cxops.workflows import resultfile, testrun


def test(
    ctx: typer.Context,
    target: str | None = typer.Argument(
        None,
        help="A stage (its live agent); with --offline a tree folder, git:REF[:AGENT], a JSON package, "
        "a stage (its desired state) or backup:PATH. Default with --offline: the one tree under agents/.",
    ),
    offline: bool = typer.Option(
        False, "--offline", help="Run in an embedded CX stand-in on a new agent restored from TARGET."
    ),
    tag: list[str] = typer.Option(
        [], "--tag", help="Only test cases with this tag (repeatable; '#' optional)."
    ),
    only: list[str] = typer.Option(
        [], "--only", help="Only the test case with this display name (repeatable)."
    ),
    coverage: bool = typer.Option(
        False, "--coverage", help="Also report CalculateCoverage: intents, transitions, route groups."
    ),
    min_coverage: str | None = typer.Option(
        None,
        "--min-coverage",
        help="Fail below these shares, e.g. intent=0.8,transition=0.6,route_group=0.5.",
    ),
    validate: bool = typer.Option(
        False, "--validate", help="Also run ValidateAgent per language; fail on ERROR messages."
    ),
    require_decided: bool = typer.Option(
        False,
        "--require-decided",
        help="With --offline: a test the stand-in cannot decide (docs/test-results.md) fails too.",
    ),
    webhook_fixtures: Path | None = typer.Option(
        None,
        "--webhook-fixtures",
        help="With --offline: answer webhooks from this folder (docs/webhook-fixtures.md).",
    ),
    branch: str | None = typer.Option(
        None, "--branch", help="A preview stage: whose agent to test (default: the branch checked out)."
    ),
    junit: Path | None = typer.Option(None, "--junit", help="Also write the results as JUnit XML here."),
    output: Path | None = typer.Option(
        None,
        "-o",
        "--output",
        help="Write the result file (JSON, bound to the content tested) for apply's gate.",
    ),
) -> None:
    """Run the agent's test cases; exit 1 when any fails or cannot run (offline: when any decided
    assertion fails; --require-decided: also when one cannot be decided)."""
    opts = options(ctx)
    choice = testrun.Options(
        tags=tuple(tag),
        only=tuple(only),
        coverage=coverage,
        minimums=parse_minimums(min_coverage),
        validate=validate,
        require_decided=require_decided,
    )
    if offline:
        from cxops.cli.fake import check_fixtures
        from cxops.fake import FakeCX  # the stand-in is started only for offline runs

        check_fixtures(webhook_fixtures)
        with FakeCX(webhook_fixtures=webhook_fixtures) as fake:
            run = testrun.run_offline(opts.root, target, fake.address, choice)
    else:
        if target is None:
            raise ConfigError("name the stage to test, or test the tree with --offline")
        if webhook_fixtures is not None:
            raise ConfigError("--webhook-fixtures: only with --offline (a live agent calls its own webhooks)")
        run = testrun.run_stage(opts.root, target, opts.emulator_host, opts.endpoint, choice, branch)
    if output is not None:
        resultfile.save(run, output)
    if junit is not None:
        write_atomic(junit, testout.render_junit(run).encode("utf-8"), parents=True)
    show(run, opts.format)
    if not run.passed:
        raise typer.Exit(1)


def show(run: TestRun, format: OutputFormat) -> None:
    if format is OutputFormat.json:
        typer.echo(testout.render_json(run), nl=False)
    elif format is OutputFormat.markdown:
        typer.echo(testout.render_markdown(run), nl=False)
    else:
        typer.echo(testout.render_text(run), nl=False)
