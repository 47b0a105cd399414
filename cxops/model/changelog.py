"""One changelog entry as cxops uses it: which resource, what was done, by whom and when.

A plain record, so the pure core can reason about changes without the API adapter
(``cx/changelogs.py`` reads them from ``ListChangelogs``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cxops.model.snapshot import Key


@dataclass(frozen=True)
class Change:
    key: Key
    action: str  # Create, Update, Delete, Restore
    user: str
    time: dt.datetime  # UTC
