"""Caps on what reading a package may unpack: a zip bomb is refused, not unpacked.

A zip's header sizes are the attacker's to write, so every cap is checked on the bytes the
stream actually yields, chunk by chunk: a member is cut off one chunk past its cap, and memory
stays within the caps whatever the header says. CX documents no byte limit for an agent
package (the quotas page, https://cloud.google.com/dialogflow/quotas, limits counts
and field lengths), so the defaults are headroom over real agents: of the fifteen real exports
in the test corpus the largest unpacks to 12 MB in 2,459 files, the largest file is 92 KB, and
no export deflates more than 5.2 to 1. Each cap can be raised by an environment variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO

from cxops.errors import ConfigError, Location, ValidationError

__all__ = ["ENV", "ReadBudget", "ReadCaps"]

# Environment variables that raise each cap (docs/commands.md, `import`).
ENV = {
    "total_bytes": "CXOPS_IMPORT_MAX_BYTES",
    "file_bytes": "CXOPS_IMPORT_MAX_FILE_BYTES",
    "entries": "CXOPS_IMPORT_MAX_FILES",
    "ratio": "CXOPS_IMPORT_MAX_RATIO",
}
_CHUNK = 1 << 16
# Below this many unpacked bytes a member's ratio is not judged: a small file of repeated
# braces legitimately deflates far beyond any ratio that a bomb needs.
_RATIO_FLOOR = 1 << 20
_SIZE = re.compile(r"(\d+)\s*([kmg]i?b?)?", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def _mib(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.4g} MiB"
    return f"{n / (1 << 10):.4g} KiB" if n >= 1 << 10 else f"{n} bytes"


def _parse(name: str, raw: str) -> int:
    m = _SIZE.fullmatch(raw.strip())
    if m is None or int(m.group(1)) <= 0:
        raise ConfigError(
            f"not a positive number (e.g. 512M, 2G, 100000): {raw!r}", Location(file="environment", key=name)
        )
    return int(m.group(1)) * _UNITS[(m.group(2) or "")[:1].lower()]


@dataclass(frozen=True)
class ReadCaps:
    """How much one package may unpack to, in total and per file, in how many files, and how
    much larger than its compressed bytes a zip member may grow."""

    total_bytes: int = 512 << 20
    file_bytes: int = 64 << 20
    entries: int = 100_000
    ratio: int = 100

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReadCaps:
        """The defaults, each raised or lowered by its ``CXOPS_IMPORT_MAX_*`` variable."""
        source = os.environ if env is None else env
        given = {field: _parse(var, source[var]) for field, var in ENV.items() if source.get(var, "").strip()}
        return cls(**given)

    def check_file(self, size: int, where: Location) -> None:
        """Refuse a file larger than the per-file cap before reading it: an agent tree's file on
        disk or at a git ref, where the size is known up front."""
        if size > self.file_bytes:
            raise ValidationError(
                f"file is {_mib(size)}, more than {_mib(self.file_bytes)}; refusing it "
                f"(a larger file: set {ENV['file_bytes']})",
                where,
            )


class ReadBudget:
    """The caps as one package is read: counts files and bytes across every read."""

    def __init__(self, source: str, caps: ReadCaps | None = None) -> None:
        self.source = source
        self.caps = ReadCaps.from_env() if caps is None else caps
        self.total = 0
        self.archive: int | None = None

    def _refuse(self, what: str, field: str, member: str | None) -> ValidationError:
        hint = f"refusing it (a larger agent: set {ENV[field]})"
        return ValidationError(f"{what}; {hint}", Location(file=self.source, key=member))

    def check_entries(self, count: int) -> None:
        """Refuse a package of more than the cap's number of files."""
        if count > self.caps.entries:
            raise self._refuse(f"package holds {count} files, more than {self.caps.entries}", "entries", None)

    def check_archive(self, size: int) -> None:
        """Refuse a zip file larger than the total cap before reading it into memory."""
        if size > self.caps.total_bytes:
            raise self._refuse(
                f"zip file is {_mib(size)}, more than {_mib(self.caps.total_bytes)}", "total_bytes", None
            )
        self.archive = size

    def read(self, stream: IO[bytes], member: str, compressed: int | None = None) -> bytes:
        """All of ``stream``, refused as soon as it passes a cap; ``compressed`` is the most
        compressed bytes it can come from (a zip member), for the ratio cap."""
        caps = self.caps
        chunks: list[bytes] = []
        size = 0
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > caps.file_bytes:
                raise self._refuse(f"file unpacks to more than {_mib(caps.file_bytes)}", "file_bytes", member)
            if self.total + size > caps.total_bytes:
                raise self._refuse(
                    f"package unpacks to more than {_mib(caps.total_bytes)}", "total_bytes", member
                )
            if compressed is not None and size > _RATIO_FLOOR:
                # The header's compressed size can be inflated too; the archive's length cannot.
                real = max(1, min(compressed, self.archive or compressed))
                if size > caps.ratio * real:
                    raise self._refuse(
                        f"zip member unpacks to more than {caps.ratio} times its {real} compressed bytes",
                        "ratio",
                        member,
                    )
            if self.archive is not None and self.total + size > max(_RATIO_FLOOR, caps.ratio * self.archive):
                raise self._refuse(
                    f"zip unpacks to more than {caps.ratio} times its {self.archive} bytes", "ratio", member
                )
            chunks.append(chunk)
        self.total += size
        return b"".join(chunks)
