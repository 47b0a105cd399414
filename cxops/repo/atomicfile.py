"""One file written atomically: plan files, approvals, backups, zips, scaffolding.

(Folder trees go through :mod:`cxops.repo.filesync`, which swaps whole folders.)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

from cxops.errors import ConfigError, Location


def write_atomic(path: Path, data: bytes, *, parents: bool = False) -> None:
    """Write one file so that readers see the old bytes or the new, never half (plan files,
    approvals, backups, zips, scaffolding); ``parents``: create its folder. An OS error is one
    :class:`ConfigError` naming the file."""
    write_atomic_with(path, lambda out: out.write(data), parents=parents)


def write_atomic_with(path: Path, fill: Callable[[IO[bytes]], object], *, parents: bool = False) -> None:
    """:func:`write_atomic` of what ``fill`` writes into the open file: a large file (a backup
    of a whole agent) is written as it is made, never held in memory as one string."""
    tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
    try:
        if parents:
            path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL with mode 0666 so the umask applies as for any new file (mkstemp forces 0600).
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as out:
            fill(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)  # an existing symlink is replaced, not written through
    except OSError as e:
        with contextlib.suppress(OSError):  # e.g. the folder is a file: there is no temp file
            tmp.unlink()
        raise ConfigError(f"cannot write: {e.strerror or e}", Location(file=str(path))) from None
