"""`cxops demo`: the main job end to end on the embedded stand-in."""

from __future__ import annotations


def demo() -> int:
    """Run dev -> stg -> prd on the embedded CX stand-in."""
    return 0
