"""Pausing Python's cyclic garbage collector while a large tree of plain data is built."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Collect no cycles until the block ends.

    Decoding an export, writing a tree's YAML or reading it back makes many long-lived objects
    at once: young-generation collections keep promoting them and full collections rescan them
    all, up to half the time of decoding a large agent (``bench/tree_bench.py``). Nothing made
    there is cyclic garbage (it is freed by reference counting), so nothing is lost by waiting.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
