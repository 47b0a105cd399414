"""Progress of long steps (reading or exporting a large agent, waiting on a long-running
operation, writing a tree): the work says what it is doing, whoever shows it decides how.

Silent unless a reporter is installed: the CLI installs one on a terminal, never under ``-q``
and never when stderr is not a terminal, so CI logs get nothing extra (cli/progress.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Protocol


class Reporter(Protocol):
    def begin(self, label: str, total: int | None) -> object: ...

    def advance(self, handle: object, steps: int = 1) -> None: ...

    def end(self, handle: object) -> None: ...


class Step:
    """One step in progress; :meth:`advance` by units of ``total`` (or ticks of a spinner)."""

    def __init__(self, reporter: Reporter | None, label: str, total: int | None) -> None:
        self._reporter = reporter
        self._handle = reporter.begin(label, total) if reporter is not None else None

    def advance(self, steps: int = 1) -> None:
        if self._reporter is not None:
            self._reporter.advance(self._handle, steps)


_reporter: Reporter | None = None


@contextlib.contextmanager
def step(label: str, total: int | None = None) -> Iterator[Step]:
    """``with step("exporting agent"): ...`` — shown while the block runs, where shown at all."""
    current = Step(_reporter, label, total)
    try:
        yield current
    finally:
        if _reporter is not None:
            _reporter.end(current._handle)


def install(reporter: Reporter | None) -> None:
    """Steps from now on go to ``reporter`` (None: nowhere). One per process: the CLI's."""
    global _reporter
    _reporter = reporter
