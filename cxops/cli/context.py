"""Global options, shared by every command through typer's context object.

They are defined once (:data:`GLOBAL_OPTIONS`) and added to the top-level callback and to every
command (:func:`with_globals`, :func:`attach_globals`), so ``cxops diff A B --format markdown``
works as well as ``cxops --format markdown diff A B`` and each command's ``--help`` lists them.
Wherever a value was given, it lands in the one :class:`GlobalOptions` of the root context; a
value given after the command wins over one given before it.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import os
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from cxops.cli.progress import install as show_progress

# The running CLI's entry point (cli/main.py's `main`), put in the click context by the top-level
# callback: the demo drives the CLI it is a command of, and takes it from here rather than importing
# cli/main, which loads the demo (an import circle, refused by tests/test_layers.py).
ENTRY = "cxops.entry"
Entry = Callable[[list[str]], int]


def entry(ctx: typer.Context) -> Entry:
    found: Entry = ctx.meta[ENTRY]
    return found


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


def defaults() -> GlobalOptions:
    return GlobalOptions(
        root=Path("."),
        format=OutputFormat.text,
        emulator_host=os.environ.get("CXOPS_EMULATOR_HOST") or None,
        endpoint=os.environ.get("CXOPS_API_ENDPOINT") or None,
        debug=False,
        color=True,
        quiet=False,
    )


def options(ctx: typer.Context) -> GlobalOptions:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, GlobalOptions) else defaults()


@dataclass(frozen=True)
class GlobalOption:
    param: str  # the parameter name on every command, unlikely to meet a command's own
    decls: tuple[str, ...]
    annotation: Any
    help: str
    field: str
    value: Callable[[Any], Any] = lambda given: given
    envvar: str | None = None
    default: Any = None  # at the top level; after the command, not given is None

    @property
    def flag(self) -> bool:
        return self.annotation is bool

    def option(self, top: bool) -> Any:
        empty = False if self.flag else None
        return typer.Option(
            self.default if top and self.default is not None else empty,
            *self.decls,
            help=self.help,
            # The environment is read at the top level only: a copy after the command reading
            # it again would undo a value given before the command.
            envvar=self.envvar if top else None,
            show_envvar=top and self.envvar is not None,
            show_default=top and self.default is not None,
        )


GLOBAL_OPTIONS: tuple[GlobalOption, ...] = (
    GlobalOption(
        "cxops_root",
        ("--root",),
        Path | None,
        "Repository root (holds agents/ and environments/).",
        "root",
        default=Path("."),
    ),
    GlobalOption(
        "cxops_format",
        ("--format",),
        OutputFormat | None,
        "Output format.",
        "format",
        default=OutputFormat.text,
    ),
    GlobalOption(
        "cxops_emulator_host",
        ("--emulator-host",),
        str | None,
        "HOST:PORT of `cxops fake` or another emulator: plaintext gRPC, no credentials.",
        "emulator_host",
        value=lambda given: given or None,
        envvar="CXOPS_EMULATOR_HOST",
    ),
    GlobalOption(
        "cxops_endpoint",
        ("--endpoint",),
        str | None,
        "CX API endpoint, overriding the regional one.",
        "endpoint",
        value=lambda given: given or None,
        envvar="CXOPS_API_ENDPOINT",
    ),
    GlobalOption("cxops_debug", ("--debug",), bool, "Show tracebacks.", "debug"),
    GlobalOption(
        "cxops_no_color",
        ("--no-color",),
        bool,
        "Plain output without colour.",
        "color",
        value=lambda _: False,
    ),
    GlobalOption("cxops_quiet", ("-q", "--quiet"), bool, "Print only results and errors.", "quiet"),
)
_CTX = "cxops_context"


def _own_decls(signature: inspect.Signature) -> set[str]:
    """Option names a command defines itself (lint's and preview's own ``--format``)."""
    return {
        decl
        for param in signature.parameters.values()
        for decl in (getattr(param.default, "param_decls", None) or ())
        if isinstance(decl, str)
    }


def with_globals(command: Callable[..., Any], top: bool = False) -> Callable[..., Any]:
    """``command`` taking the global options too: given ones go into the root context's
    :class:`GlobalOptions` before ``command`` runs."""
    signature = inspect.signature(command)
    own = _own_decls(signature)
    added = [option for option in GLOBAL_OPTIONS if not own.intersection(option.decls)]
    hints = typing.get_type_hints(command)
    # typer hands the context to one parameter only: the command's own where it has one.
    ctx_param = next((name for name, hint in hints.items() if hint is typer.Context), None)

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        ctx: typer.Context = kwargs[ctx_param] if ctx_param else kwargs.pop(_CTX)
        given = {}
        for option in added:
            value = kwargs.pop(option.param)
            if value is not None and value is not False:
                given[option.field] = option.value(value)
        root = ctx.find_root()
        root.obj = dataclasses.replace(options(ctx), **given)
        show_progress(root.obj.quiet)
        return command(*args, **kwargs)

    extra = {} if ctx_param else {_CTX: typer.Context}
    params = [
        *signature.parameters.values(),
        *(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=hint)
            for name, hint in extra.items()
        ),
        *(
            inspect.Parameter(
                o.param, inspect.Parameter.KEYWORD_ONLY, default=o.option(top), annotation=o.annotation
            )
            for o in added
        ),
    ]
    run.__annotations__ = {
        **hints,
        **extra,
        **{o.param: o.annotation for o in added},
    }
    del run.__wrapped__  # typer reads the signature below, not the wrapped function's
    run.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return run


def attach_globals(app: typer.Typer) -> None:
    """Every command of ``app`` and of the groups below it takes the global options."""
    for info in app.registered_commands:
        if info.callback is not None:
            info.callback = with_globals(info.callback)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            attach_globals(group.typer_instance)
