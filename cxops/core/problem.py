"""What validate reports: a resource, the path of the field inside it, and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass

from cxops.model.snapshot import Key

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    key: Key
    path: FieldPath
    message: str

    @property
    def field(self) -> str:
        return ".".join(str(p) for p in self.path)
