"""`cxops init [--agent NAME] [--force]`: scaffold agents/, environments/ and CI workflows."""

from __future__ import annotations

import json

import typer

from cxops import __version__
from cxops.cli.context import OutputFormat, options
from cxops.workflows.init import MERGE_CONFIG, init_repo

NEXT_STEPS = """\
next steps:
  1. edit environments/dev.yaml, stg.yaml and prd.yaml: project, location, agent_display_name
     (or agent_id) and secrets of each stage
  2. cxops pull dev   exports the dev agent into agents/{agent}/ (or: cxops import PACKAGE --agent {agent})
  3. in GitHub: variables WIF_PROVIDER and WIF_SERVICE_ACCOUNT, secrets CXOPS_APPROVAL_KEY and
     CXOPS_MY_WEBHOOK_API_KEY_STG/_PRD, and an environment "production" with required reviewers
  4. commit (.gitignore keeps .cxops/ and *.plan.json out) and open a pull request: it gets a plan of stg
  5. each developer, once per clone, so that git merges agent files item by item (.gitattributes):
       {config}"""


FLEET_NEXT_STEPS = """\
next steps:
  1. edit environments/<agent>/dev.yaml, stg.yaml and prd.yaml of each agent: project, location,
     agent_display_name (or agent_id) and secrets
  2. cxops pull AGENT/dev   exports each dev agent into agents/<agent>/ (or: cxops import PACKAGE --agent AGENT)
  3. in GitHub: variables WIF_PROVIDER and WIF_SERVICE_ACCOUNT, secret CXOPS_APPROVAL_KEY, and per agent
     environments "<agent>-stg" and "<agent>-production" (required reviewers) with its stage secrets
  4. commit and open a pull request: each agent it touches gets its own checks and plan
  5. each developer, once per clone, so that git merges agent files item by item (.gitattributes):
       {config}"""


def init(
    ctx: typer.Context,
    agent: list[str] | None = typer.Option(
        None,
        "--agent",
        help="The agent tree the stages deploy (agents/NAME). Default: the one tree under agents/, "
        "else my-agent. Given more than once (or in a repository whose stages are in "
        "environments/<agent>/): stages per agent and workflows that fan out over the agents a "
        "change touches.",
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite files that exist."),
) -> None:
    """Scaffold --root for cxops: agents/, environments/{dev,stg,prd}.yaml, GitHub Actions workflows."""
    opts = options(ctx)
    result = init_repo(opts.root, agent or None, force=force)
    if opts.format is OutputFormat.json:
        typer.echo(
            json.dumps(
                {
                    "root": str(result.root),
                    "agent": result.agent,
                    "agents": list(result.agents),
                    "written": list(result.written),
                    "overwritten": list(result.overwritten),
                },
                indent=2,
            )
        )
        return
    if opts.quiet:
        return
    for relative in result.written:
        note = " (overwritten)" if relative in result.overwritten else ""
        typer.echo(f"wrote {result.root / relative}{note}")
    typer.echo("")
    steps = FLEET_NEXT_STEPS if result.fleet else NEXT_STEPS
    typer.echo(steps.format(agent=result.agent, config="\n       ".join(MERGE_CONFIG)))
    if not is_release(__version__):
        typer.echo(
            f"note: this cxops is a development build ({__version__}); the workflows pin cxops=={__version__},"
            " which PyPI does not hold: set the `package` input of .github/actions/cxops/action.yml"
            " (a wheel or git URL), or run `cxops init --force` from a released cxops"
        )


def is_release(version: str) -> bool:
    """A version PyPI can hold as a release: no dev part, no local (+...) part."""
    return "dev" not in version and "+" not in version
