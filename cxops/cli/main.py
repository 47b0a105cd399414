"""Entry point: global options, the command list, and the one error handler."""

from __future__ import annotations

import importlib
import sys
import traceback
from typing import Any

import typer
import typer.core

from cxops import __version__
from cxops.cli.context import ENTRY, attach_globals, with_globals
from cxops.cli.progress import install as show_progress
from cxops.errors import CxopsError

# Each command: the module of cxops.cli that holds it, the function (or sub-app) in it, and the
# first paragraph of its help, which `cxops --help` lists. The module is imported only when the
# command runs or shows its own help: most of them pull in the CX client, and `cxops --help` or
# one merge-driver call (git runs it once per file) must not pay for every command's imports
# (issue 30). tests/test_startup.py holds each help text to the command's own docstring.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "pull": (
        "pullcmd",
        "pull",
        "Export STAGE's live agent into agents/<agent>/ (overrides taken out, secrets as placeholders).",
    ),
    "import": ("importcmd", "import_", "Import a CX JSON package (zip or folder) into agents/AGENT/."),
    "package": (
        "packagecmd",
        "package",
        "Package agents/AGENT/ as a CX JSON package (for the console or RestoreAgent).",
    ),
    "validate": (
        "validatecmd",
        "validate",
        "Check agent trees offline (YAML, field names and types, references, file names) and the "
        "stage files that deploy them (keys, sources, overrides, secrets).",
    ),
    "lint": (
        "lintcmd",
        "lint",
        "Lint agent trees offline: reachability, references, NLU, languages, safety and test cases. "
        "Rules, severities and thresholds come from cxops.yaml at the root; `# cxops: ignore[RULE-ID] "
        "reason` in a resource file silences one finding on that line or the next.",
    ),
    "diff": (
        "diffcmd",
        "diff",
        "Show what differs from LEFT to RIGHT; exit 3 when anything does, 0 when nothing.",
    ),
    "plan": (
        "plancmd",
        "plan",
        "Compare STAGE's desired state with its live agent, read just now; print (and save) the plan.",
    ),
    "approve": (
        "approvecmd",
        "approve",
        "Append an approval to PLAN_FILE (HMAC-signed when CXOPS_APPROVAL_KEY is set).",
    ),
    "apply": (
        "applycmd",
        "apply",
        "Check the gate, back up the live agent, write the plan's changes, verify live == desired.",
    ),
    "promote": ("promotecmd", "promote", "Plan TO from FROM's live agent (FROM's overrides out, TO's in)."),
    "drift": (
        "driftcmd",
        "drift",
        "Compare STAGE's live agent with its desired state (tree + overrides); exit 3 on drift.",
    ),
    "rollback": (
        "rollbackcmd",
        "rollback",
        "Plan STAGE back to a backup taken by apply; apply the plan file like any other.",
    ),
    "history": (
        "historycmd",
        "history",
        "List the CX flow versions cxops made on STAGE, newest first, with the plan each holds.",
    ),
    "changed": (
        "changedcmd",
        "changed",
        "List the agents, and their stages in promotion order, that a change touches.",
    ),
    "test": (
        "testcmd",
        "test",
        "Run the agent's test cases; exit 1 when any fails or cannot run (offline: when any decided "
        "assertion fails; --require-decided: also when one cannot be decided).",
    ),
    "demo": ("demo", "demo", "Run dev -> stg -> prd on the embedded CX stand-in."),
    "init": (
        "initcmd",
        "init",
        "Scaffold --root for cxops: agents/, environments/{dev,stg,prd}.yaml, GitHub Actions workflows.",
    ),
    "merge-driver": (
        "mergecmd",
        "merge_driver",
        "Merge one agent-tree file field by field and list item by list item (configured by "
        "`cxops init`). Exit 0: merged; exit 1: conflict markers written around the items both "
        "branches changed differently.",
    ),
    "fake": ("fake", "app", "The bundled Dialogflow CX API stand-in (gRPC, in memory)."),
    "preview": (
        "previewcmd",
        "app",
        "Preview agents: one agent per git branch, in the project of a stage marked preview: true.",
    ),
    "stage": ("stagecmd", "app", "Stages' agents: create the agent a stage file names."),
}
# Built once per process: loading wraps each command in the global options. (Commands are typed
# Any: typer 0.2x brings click within itself, earlier releases use the click package.)
_LOADED: dict[str, Any] = {}


def load(name: str) -> Any:
    """The click command of ``name``, importing its module now."""
    if name not in _LOADED:
        module, attribute, _ = COMMANDS[name]
        target = getattr(importlib.import_module(f"cxops.cli.{module}"), attribute)
        # A parent of one command or group, with the settings of `app` below, so the command is
        # built exactly as `app.command(name)` / `app.add_typer(..., name=name)` would build it.
        holder = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
        holder.callback()(_nothing)
        if isinstance(target, typer.Typer):
            holder.add_typer(target, name=name)
        else:
            holder.command(name)(target)
        attach_globals(holder)
        _LOADED[name] = typer.main.get_command(holder).commands[name]  # type: ignore[attr-defined]
    return _LOADED[name]


def _nothing() -> None:
    """Holds one command (see :func:`load`)."""


class LazyGroup(typer.core.TyperGroup):
    """The top-level command list: listed from :data:`COMMANDS`, each loaded when resolved."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in _LOADED or cmd_name not in COMMANDS:
            return _LOADED.get(cmd_name)
        # For the listing in `cxops --help`: the name and help, without the module.
        return typer.core.TyperCommand(cmd_name, help=COMMANDS[cmd_name][2])

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] in COMMANDS:
            load(args[0])
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="cxops",
    cls=LazyGroup,
    help="GitOps for Dialogflow CX: pull agents into reviewable files, diff stages, promote through a gate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cxops {__version__}")
        raise typer.Exit(0)


def _global(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """The global options themselves (cli/context.py) fill ``ctx.obj``."""
    ctx.meta[ENTRY] = main  # for the demo (cli/context.py, ENTRY)


# One definition of the global options, accepted before the command and after it.
app.callback()(with_globals(_global, top=True))


def _git_merge_call(args: list[str]) -> bool:
    """Whether this is git calling the merge driver (``merge-driver %O %A %B %P``, no option):
    git runs it once per file both branches changed, and typer's own parsing of the four
    arguments (it validates them through pydantic) would double the call's start-up."""
    return len(args) == 5 and args[0] == "merge-driver" and not any(a.startswith("-") for a in args[1:])


def _merge(args: list[str]) -> int:
    from pathlib import Path

    from cxops.cli.mergecmd import merge

    base, ours, theirs, name = args
    return merge(Path(base), Path(ours), Path(theirs), name)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every expected error becomes one line on stderr and exit code 1."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        if _git_merge_call(args):
            return _merge(args[1:])
        app(args=args, prog_name="cxops")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except CxopsError as err:
        if debug:
            traceback.print_exc()
        typer.echo(f"error: {err}", err=True)
        return err.exit_code
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except Exception as bug:
        if debug:
            raise
        typer.echo(
            f"internal error: {type(bug).__name__}: {bug} (run with --debug for the traceback)", err=True
        )
        return 1
    finally:
        show_progress(True)  # nothing left behind for a next in-process run
    return 0


if __name__ == "__main__":
    sys.exit(main())
