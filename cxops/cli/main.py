"""Entry point: global options, the command list, and the one error handler."""

from __future__ import annotations

import sys
import traceback

import typer

from cxops import __version__
from cxops.cli import (
    applycmd,
    approvecmd,
    changedcmd,
    demo,
    diffcmd,
    driftcmd,
    fake,
    historycmd,
    importcmd,
    initcmd,
    lintcmd,
    mergecmd,
    packagecmd,
    plancmd,
    previewcmd,
    promotecmd,
    pullcmd,
    rollbackcmd,
    stagecmd,
    testcmd,
    validatecmd,
)
from cxops.cli.context import attach_globals, with_globals
from cxops.cli.progress import install as show_progress
from cxops.errors import CxopsError

app = typer.Typer(
    name="cxops",
    help="GitOps for Dialogflow CX: pull agents into reviewable files, diff stages, promote through a gate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("pull")(pullcmd.pull)
app.command("import")(importcmd.import_)
app.command("package")(packagecmd.package)
app.command("validate")(validatecmd.validate)
app.command("lint")(lintcmd.lint)
app.command("diff")(diffcmd.diff)
app.command("plan")(plancmd.plan)
app.command("approve")(approvecmd.approve)
app.command("apply")(applycmd.apply)
app.command("promote")(promotecmd.promote)
app.command("drift")(driftcmd.drift)
app.command("rollback")(rollbackcmd.rollback)
app.command("history")(historycmd.history)
app.command("changed")(changedcmd.changed)
app.command("test")(testcmd.test)
app.add_typer(fake.app, name="fake")
app.add_typer(previewcmd.app, name="preview")
app.add_typer(stagecmd.app, name="stage")
app.command("demo")(demo.demo)
app.command("init")(initcmd.init)
app.command("merge-driver")(mergecmd.merge_driver)


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


# One definition of the global options, accepted before the command and after it.
app.callback()(with_globals(_global, top=True))
attach_globals(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every expected error becomes one line on stderr and exit code 1."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
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
