"""What one turn of the runtime produces: its messages, the intent, what fired, and which
assertions it cannot decide (with their causes)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cxops.core.testresults import ASSERTIONS
from cxops.fake.runtime.nlu import IntentDef


class TurnError(Exception):
    """Something the runtime does not model or cannot do; the turn fails with this message."""


@dataclass
class Message:
    text: str
    variants: list[str]  # every variant of the text message, for comparing expectations
    payload: dict[str, Any] | None = None
    # Where a variant reads a parameter the runtime could not read: what CX may have said
    # (Session.render); a recorded text that fits one holds.
    patterns: list[re.Pattern[str]] = field(default_factory=list)


@dataclass
class TurnOutput:
    messages: list[Message] = field(default_factory=list)
    intent: IntentDef | None = None
    confidence: float = 0.0
    event: str = ""
    webhook_errors: list[str] = field(default_factory=list)
    webhook_skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the runtime left out of this turn
    # Coverage: (owner resource, route or handler name) of what fired in this turn.
    traversed: list[tuple[str, str]] = field(default_factory=list)
    # Assertion (testresults.ASSERTIONS) -> causes (testresults.CAUSES) the runtime cannot decide.
    held: dict[str, list[str]] = field(default_factory=dict)
    # Causes after which the session's state may differ from CX's (resynchronised from the
    # recording by the test runner).
    unsure: list[str] = field(default_factory=list)

    def hold(self, cause: str, *assertions: str, state: bool = True) -> None:
        for assertion in assertions or ASSERTIONS:
            causes = self.held.setdefault(assertion, [])
            if cause not in causes:
                causes.append(cause)
        if state and cause not in self.unsure:
            self.unsure.append(cause)
