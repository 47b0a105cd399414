"""`merge-driver`: git's three-way merge of one agent-tree file, done on the data.

git calls ``cxops merge-driver %O %A %B %P`` for each file that changed on both branches (the
``.gitattributes`` line ``cxops init`` writes); the result goes into %A and the exit status
says clean (0) or conflicted (1). A file that is not an agent resource, or that one of the three
versions does not parse as, is merged as text by ``git merge-file`` with a warning: the driver
never loses a side.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxops.core.conflicttext import render
from cxops.core.merge import MISSING, conflict_paths, has_conflicts, merge3
from cxops.errors import CxopsError
from cxops.render.text import path_text
from cxops.repo import yamlio
from cxops.repo.atomicfile import write_atomic

# The files `init` routes to this driver: resource files of an agent tree.
_RESOURCE = re.compile(r"(?:^|/)agents/[^/]+/.+\.yaml$")
# Past this size a version is merged as text: the structural merge holds each version as
# Python data, about 12x its size (3 versions of 9 MB: 5 s, 333 MB peak). A real resource is far
# smaller (the largest corpus file is 92 KB), so only a generated or hostile file meets it.
MAX_STRUCTURAL_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class MergeOutcome:
    clean: bool
    structural: bool
    warning: str | None = None
    conflicts: tuple[str, ...] = ()  # where, as diff names fields ("" for the whole file)


def merge_file(base: Path, ours: Path, theirs: Path, name: str) -> MergeOutcome:
    """Merge ``theirs`` into ``ours`` (written in place) with ``base`` as the common ancestor."""
    why = ""
    data: list[Any] = []
    for path in (base, ours, theirs):
        if path.is_symlink():
            raise CxopsError(f"merge-driver: {path}: is a symbolic link")
    if not _RESOURCE.search(name.replace("\\", "/")):
        why = "not an agent resource file"
    elif any(_size(path) > MAX_STRUCTURAL_BYTES for path in (base, ours, theirs)):
        why = f"larger than {MAX_STRUCTURAL_BYTES // (1024 * 1024)} MB"
    else:
        for path in (base, ours, theirs):
            try:
                value = yamlio.load(path.read_text(encoding="utf-8"), name)
            except OSError as error:
                raise CxopsError(f"merge-driver: cannot read {path}: {error.strerror or error}") from None
            except (CxopsError, UnicodeDecodeError) as error:
                why = f"does not parse ({error})"
                break
            if value is None and path == base:
                value = MISSING  # added on both branches: no common ancestor
            elif not isinstance(value, dict):
                why = "not a mapping of fields"
                break
            data.append(value)
    if why:
        clean = _text_merge(base, ours, theirs)
        return MergeOutcome(clean, False, f"{name}: {why}; merged as text by git merge-file")
    merged = merge3(*data)
    write_atomic(ours, render(merged).encode("utf-8"))
    where = tuple(path_text(path) for path in conflict_paths(merged))
    return MergeOutcome(not has_conflicts(merged), True, conflicts=where)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as error:
        raise CxopsError(f"merge-driver: cannot read {path}: {error.strerror or error}") from None


def _text_merge(base: Path, ours: Path, theirs: Path) -> bool:
    result = subprocess.run(
        ["git", "merge-file", "-L", "ours", "-L", "base", "-L", "theirs", str(ours), str(base), str(theirs)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode < 0 or result.returncode > 127:
        raise CxopsError(f"git merge-file failed on {ours}: {result.stderr.strip()}")
    return result.returncode == 0
