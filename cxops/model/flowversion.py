"""A flow version as listed, and the description limit CX sets for it.

A plain record, so the pure core can decide about versions without the API adapter
(``cx/versions.py`` lists and creates them).
"""

from __future__ import annotations

from dataclasses import dataclass

# The v3 Version.description limit: "The maximum length is 500 characters. If exceeded, the
# request is rejected." (Dialogflow CX v3 reference, Version).
MAX_DESCRIPTION = 500


@dataclass(frozen=True)
class FlowVersion:
    """One version as listed: enough to decide whether cxops made it and how old it is."""

    name: str
    display_name: str
    description: str
    create_time: str  # RFC 3339; sorts as time
