"""Where each kind's files lie in a JSON package (../shared/corpus/FORMAT.md §1), read from the
kinds table (cxops/model/kinds.py) rather than written out again: which paths a package reader
keeps, which resource a file belongs to, and where the writer puts each resource.

Four shapes, by the row's fields: the agent's ``agent.json`` at the top; a flat folder
(``webhooks/<W>.json``); a folder per resource (``intents/<I>/<I>.json``, with per-language side
folders and an attachment beside it); a scoped kind inside its scope's folder
(``flows/<F>/pages/<P>.json``). Every ``<X>`` is one path segment, an encoded display name.
"""

from __future__ import annotations

from dataclasses import dataclass

from cxops.model import kinds as K

AGENT_FILE = "agent.json"


def own_folder(kind: K.Kind, name: str) -> str:
    """The folder of a resource of a kind with one (``intents/<I>``); ``name`` encoded."""
    return f"{kind.package_dir}/{name}"


def resource_file(kind: K.Kind, name: str, scope: str = "") -> str:
    """The path of a resource's main file; ``name`` and ``scope`` encoded."""
    if kind is K.AGENT:
        return AGENT_FILE
    if kind.scope is not None:
        return f"{own_folder(K.KINDS[kind.scope], scope)}/{kind.package_dir}/{name}.json"
    if kind.own_folder:
        return f"{own_folder(kind, name)}/{name}.json"
    return f"{kind.package_dir}/{name}.json"


# Top-level folders an export can have; anything else at the top is not walked at all.
TOP_FOLDERS = frozenset(
    k.package_dir.split("/")[0] for k in K.KINDS.values() if k.package_dir and k.scope is None
)

_ROWS = [k for k in K.KINDS.values() if k is not K.AGENT]
_FLAT = {k.package_dir: k.name for k in _ROWS if k.scope is None and not k.own_folder}
_OWN = {k.package_dir: k for k in _ROWS if k.own_folder}
_SCOPED = {(K.KINDS[k.scope].package_dir, k.package_dir): k.name for k in _ROWS if k.scope is not None}
_SIDE = {(k.package_dir, side) for k in _OWN.values() for side in k.side_folders}
_ATTACHED = {(k.package_dir, k.attachment) for k in _OWN.values() if k.attachment}


@dataclass(frozen=True)
class Place:
    """What a file of the layout is: the main file of a resource of ``kind``, or a file that
    belongs to the resource whose folder is ``folder`` (a side file or an attachment)."""

    kind: str | None = None
    folder: str | None = None


def _json_name(segment: str) -> bool:
    return segment.endswith(".json") and len(segment) > len(".json")


def place(path: str) -> Place | None:
    """Where ``path`` (relative, POSIX) sits in the layout; None for a file that is not the export's."""
    if path == AGENT_FILE:
        return Place(kind=K.AGENT.name)
    parts = path.split("/")
    if any(not p for p in parts) or len(parts) < 2:
        return None
    n = len(parts)
    folder, last = "/".join(parts[:-1]), parts[-1]
    if folder in _FLAT and _json_name(last):
        return Place(kind=_FLAT[folder])
    if n == 3 and parts[0] in _OWN:
        if last == f"{parts[1]}.json" and _json_name(last):
            return Place(kind=_OWN[parts[0]].name)
        if (parts[0], last) in _ATTACHED:
            return Place(folder=folder)
    if n == 4 and _json_name(last):
        scoped = _SCOPED.get((parts[0], parts[2]))
        if scoped is not None:
            return Place(kind=scoped)
        if (parts[0], parts[2]) in _SIDE:
            return Place(folder="/".join(parts[:2]))
    return None
