"""Small protobuf helpers for the stand-in, which works on raw messages by reflection."""

from __future__ import annotations

from typing import Any

from cxops.model.proto import is_repeated

__all__ = ["Msg", "is_repeated"]

# The stand-in reads and writes message fields by name for every kind alike; protobuf checks
# those names at run time, so the static type of a message here is Any.
Msg = Any
