"""References in the test cases an export writes to ``testCases/v2/`` (kind ``playbook_test_case``).

Those files name playbooks, tools and flows by full resource path of the exporting agent
(``testConfig.startPlaybook`` ends ``/playbooks/<uuid>/versions/0``, ``playbook`` and ``tool``
inside the turns; ../shared/corpus/FORMAT.md §3). The tree names them by display name (SPEC §2
rule 3), keeping what follows the resource in the path (``Order Helper/versions/0``), and a
package names them by path again, the resource ids being the package's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cxops.model import references
from cxops.package.codec import Context
from cxops.package.desired import COLLECTION

# JSON keys that hold a reference, and the collection each names: the keys the v3 protos give a
# single reference to a playbook, tool or flow (cxops/model/references.py), which the newer
# format spells alike (``playbook``, ``tool``, ``flow``; ``testConfig.startPlaybook`` as
# ``Agent.start_playbook``).
REFERENCES = {
    row.json_key: COLLECTION[row.target]
    for row in references.ROWS
    if row.target in ("playbook", "tool", "flow") and row.written == references.NAME and not row.repeated
}


def by_name(value: Any, ctx: Context) -> Any:
    """Package JSON with each reference path that names a resource of the package as its display
    name (and the rest of the path after it); other values as they are."""
    if isinstance(value, list):
        return [by_name(v, ctx) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        collection = REFERENCES.get(key)
        if collection is not None and isinstance(item, str) and item.startswith("projects/"):
            out[key] = _name_of(item, collection, ctx)
        else:
            out[key] = by_name(item, ctx)
    return out


def _name_of(path: str, collection: str, ctx: Context) -> str:
    segments = path.split("/")
    for i in range(len(segments) - 2, 5, -1):
        if segments[i] != collection:
            continue
        name = ctx.ids.get((collection, segments[i + 1]))
        if name is not None:
            return "/".join([name, *segments[i + 2 :]])
    return path  # naming nothing in the package: the codec reports it


def by_path(value: Any, paths: Mapping[str, Mapping[str, str]]) -> Any:
    """The inverse of :func:`by_name`: ``paths`` gives each collection's display name -> path."""
    if isinstance(value, list):
        return [by_path(v, paths) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        collection = REFERENCES.get(key)
        if collection is not None and isinstance(item, str) and not item.startswith("projects/"):
            out[key] = _path_of(item, paths.get(collection, {}))
        else:
            out[key] = by_path(item, paths)
    return out


def _path_of(reference: str, paths: Mapping[str, str]) -> str:
    if reference in paths:
        return paths[reference]
    # A display name may hold '/': the longest name the reference starts with, then the rest.
    for name in sorted(paths, key=len, reverse=True):
        if reference.startswith(name + "/"):
            return paths[name] + reference[len(name) :]
    return reference
