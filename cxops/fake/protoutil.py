"""Small protobuf helpers for the stand-in, which works on raw messages by reflection."""

from __future__ import annotations

from typing import Any

# The stand-in reads and writes message fields by name for every kind alike; protobuf checks
# those names at run time, so the static type of a message here is Any.
Msg = Any


def is_repeated(field: Any) -> bool:
    # protobuf 7 dropped ``label`` in favour of ``is_repeated``.
    flag = getattr(field, "is_repeated", None)
    if flag is not None:
        return bool(flag)
    return bool(field.label == 3)  # LABEL_REPEATED
