"""The one error root of cxops.

Every expected failure is a :class:`CxopsError`: the CLI prints its one-line message and
exits 1. Anything else is a bug and shows a traceback (always with ``--debug``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where in a user's file an error is: the file, and the line and key when known."""

    file: str
    line: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return where if self.key is None else f"{where}: {self.key}"


class CxopsError(Exception):
    """Root of every error cxops expects and reports as one line."""

    exit_code = 1

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return self.message if self.location is None else f"{self.location}: {self.message}"


class ConfigError(CxopsError):
    """A stage file or a setting is wrong."""


class ValidationError(CxopsError):
    """An agent tree or package is not valid."""


class ApiError(CxopsError):
    """The CX API (or the stand-in) refused or failed a call; the message says what to fix."""

    def __init__(self, message: str, code: str = "UNKNOWN", location: Location | None = None) -> None:
        super().__init__(message, location)
        self.code = code


class GateError(CxopsError):
    """Apply refused: the plan did not pass the gate. Nothing was written."""
