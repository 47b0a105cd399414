"""Small protobuf helpers that work across protobuf 4 to 7."""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor


def is_repeated(field: FieldDescriptor) -> bool:
    # protobuf 7 dropped ``label`` in favour of ``is_repeated``.
    flag = getattr(field, "is_repeated", None)
    if flag is not None:
        return bool(flag)
    return bool(field.label == 3)  # LABEL_REPEATED
