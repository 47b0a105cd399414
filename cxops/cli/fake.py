"""`cxops fake serve`: the bundled CX API stand-in as a process."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import typer

from cxops.errors import ConfigError, CxopsError

app = typer.Typer(help="The bundled Dialogflow CX API stand-in (gRPC, in memory).", no_args_is_help=True)


def parse_fault(spec: str) -> tuple[str, str, int, bool]:
    """``METHOD=CODE[:COUNT][:after]`` -> (method, code, count, after_commit)."""
    method, sep, rest = spec.partition("=")
    fields = rest.split(":") if sep else []
    if not method or not fields or not fields[0]:
        raise ConfigError(
            f"--fail {spec!r}: expected METHOD=CODE[:COUNT][:after], e.g. CreateFlow=UNAVAILABLE:2"
        )
    code, count, after = fields[0].upper(), 1, False
    for extra in fields[1:]:
        if extra == "after":
            after = True
        elif extra.isdigit() and int(extra) > 0:
            count = int(extra)
        else:
            raise ConfigError(f"--fail {spec!r}: {extra!r} is neither a count nor 'after'")
    return method, code, count, after


def check_fixtures(folder: Path | None) -> None:
    """A --webhook-fixtures folder must be there: a mistyped one would leave every webhook
    unanswered, and the tests undecided, without a word."""
    if folder is not None and not folder.is_dir():
        raise ConfigError(f"--webhook-fixtures {folder}: no such folder")


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(0, "--port", help="Port to listen on (0-65535); 0 picks a free one."),
    state: Path | None = typer.Option(None, "--state", help="Load state from this file and save it on exit."),
    calls_log: Path | None = typer.Option(
        None, "--calls-log", help="Append one JSON line per RPC: time, method, resource, status."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed for resource ids (reproducible names)."),
    shuffle_seed: int | None = typer.Option(
        None, "--shuffle-seed", help="Shuffle list order with this seed."
    ),
    latency_ms: float = typer.Option(0.0, "--latency-ms", help="Latency added to every call."),
    reads_per_minute: int | None = typer.Option(
        None, "--reads-per-minute", help="Read quota (RESOURCE_EXHAUSTED)."
    ),
    writes_per_minute: int | None = typer.Option(
        None, "--writes-per-minute", help="Write quota (RESOURCE_EXHAUSTED)."
    ),
    fail: list[str] = typer.Option(
        [], "--fail", help="Inject errors: METHOD=CODE[:COUNT][:after], e.g. CreatePage=UNAVAILABLE:3:after."
    ),
    agents_from: Path | None = typer.Option(
        None,
        "--agents-from",
        help="An environments/ folder: start with every stage's agent created (empty), as stage create does.",
    ),
    webhook_fixtures: Path | None = typer.Option(
        None,
        "--webhook-fixtures",
        help="Answer webhooks from this folder (docs/webhook-fixtures.md) instead of calling them.",
    ),
) -> None:
    """Serve the Dialogflow CX v3 API from memory until SIGTERM or SIGINT.

    The first line printed is CXOPS_EMULATOR_HOST=HOST:PORT, for scripts to read.
    """
    from cxops.fake import FakeCX  # only `fake serve` and tests import the stand-in

    if not 0 <= port <= 65535:
        # gRPC would pick a free port for a negative one and serve where no one asked.
        raise ConfigError(f"--port {port}: not a port number (0-65535)")
    faults = [parse_fault(spec) for spec in fail]
    check_fixtures(webhook_fixtures)
    try:
        fake = FakeCX(
            host=host,
            port=port,
            state_file=state,
            calls_log=calls_log,
            seed=seed,
            shuffle_seed=shuffle_seed,
            latency=latency_ms / 1000.0,
            reads_per_minute=reads_per_minute,
            writes_per_minute=writes_per_minute,
            webhook_fixtures=webhook_fixtures,
        )
    except (OSError, ValueError, KeyError) as bad:
        raise ConfigError(f"--state {state}: cannot load: {bad}") from bad
    for method, code, count, after in faults:
        try:
            fake.inject(method, code, count, after_commit=after)
        except ValueError as bad:
            raise ConfigError(f"--fail {method}={code}: {bad}") from bad
    try:
        address = fake.start()
    except OSError as bad:
        raise ConfigError(f"cannot listen on {host}:{port}: {bad}") from bad
    if agents_from is not None:
        try:
            _create_agents(agents_from, address)
        except BaseException:
            fake.stop()
            raise
    typer.echo(f"CXOPS_EMULATOR_HOST={address}")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stop.wait(0.5):
        pass
    fake.stop()
    if state is not None:
        typer.echo(f"state saved to {state}", err=True)


def _create_agents(folder: Path, address: str) -> None:
    """Every stage's agent, before the address is printed: a script that reads it finds them."""
    from cxops.workflows.stagecreate import create_all

    if folder.name != "environments" or not folder.is_dir():
        raise ConfigError(f"--agents-from {folder}: expected a repository's environments/ folder")
    for done in create_all(folder.parent, address):
        if isinstance(done, CxopsError):
            typer.echo(f"agents-from: {done}", err=True)
        else:
            typer.echo(
                f"agents-from: {done.stage}: created agent {done.display_name!r} ({done.name})", err=True
            )
