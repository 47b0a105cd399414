"""Progress on a terminal: rich's progress display (rich comes with typer) for the steps the
work reports (cxops.model.progress). Nothing at all under -q or when stderr is not a terminal:
a CI log keeps exactly the lines it had."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, TextIO, cast

from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import TaskID

from cxops.model import progress


class RichReporter:
    """One rich display for the steps running at a time; it goes away when the last ends."""

    def __init__(self, console: Console) -> None:
        # Imported here, on a terminal only: rich.progress adds some 10 ms to every start,
        # and a merge-driver call (git runs one per file) never shows progress.
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.display = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.running = 0

    def begin(self, label: str, total: int | None) -> object:
        if self.running == 0:
            self.display.start()
        self.running += 1
        return self.display.add_task(label, total=total)

    def advance(self, handle: object, steps: int = 1) -> None:
        if isinstance(handle, int):
            self.display.advance(cast("TaskID", handle), steps)

    def end(self, handle: object) -> None:
        if isinstance(handle, int):
            self.display.remove_task(cast("TaskID", handle))
        self.running -= 1
        if self.running == 0:
            self.display.stop()


# always: show progress even where stderr is no terminal (a terminal multiplexer, a test);
# never: not even on a terminal.
ENV = "CXOPS_PROGRESS"


def install(quiet: bool, stream: TextIO | None = None) -> None:
    """Show progress on ``stream`` (stderr) when it is a terminal and not ``quiet``."""
    stream = stream or sys.stderr
    forced = os.environ.get(ENV, "").lower()
    if quiet or forced == "never" or (forced != "always" and not stream.isatty()):
        progress.install(None)
        return
    progress.install(RichReporter(Console(file=stream, force_terminal=True)))
