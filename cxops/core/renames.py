"""Rename detection: a resource removed under one name and added under another, with mostly the
same content, is one resource renamed (as git pairs a deleted and an added file).

Metric: the resources' leaves — every scalar with its path, list items by position, the display
name left out — compared as sets; similarity is |common| / |either| (Jaccard). Two bodies with
no leaf besides their names are identical. A pair is a rename when both keys have the same kind
and the same scope (a page moved to another flow is not a rename) and the similarity is at least
:data:`RENAME_SIMILARITY`. Pairing is one-to-one, best score first; ties go to the pair whose
keys sort first, so the result does not depend on input order.

Every kind's Update* call takes display_name in its update_mask (the v3 reference lists no kind
whose display name is immutable; UpdateTestCase excludes only creationTime and lastTestResult),
so a rename is planned as an update. A renamed flow or playbook is paired first and the keys
of its pages, route groups or examples (which carry the scope's name) follow it
(:func:`rescoped`), so they compare as the same resources in the renamed scope.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from cxops.model.kinds import KINDS
from cxops.model.snapshot import Body, Key, Snapshot, canonical_json

RENAME_SIMILARITY = 0.5
# Candidate pairs compared per kind and scope at most: beyond that (a bulk re-import that
# renamed hundreds of resources at once) the changes stay removes and adds.
MAX_CANDIDATES = 40_000
SCOPES = frozenset(k.scope for k in KINDS.values() if k.scope)


def leaves(body: Any, path: tuple[str | int, ...] = ()) -> Iterator[bytes]:
    if isinstance(body, dict):
        for name, value in body.items():
            if path or name != "display_name":
                yield from leaves(value, (*path, name))
    elif isinstance(body, list):
        for i, value in enumerate(body):
            yield from leaves(value, (*path, i))
    else:
        yield canonical_json([list(path), body])


def _jaccard(left: set[bytes], right: set[bytes]) -> float:
    either = left | right
    return len(left & right) / len(either) if either else 1.0


def similarity(before: Body, after: Body) -> float:
    return _jaccard(set(leaves(before)), set(leaves(after)))


def pair(
    removed: list[Key], added: list[Key], before: Mapping[Key, Body], after: Mapping[Key, Body]
) -> dict[Key, Key]:
    """New key -> old key for every detected rename."""
    groups: dict[tuple[str, str], tuple[list[Key], list[Key]]] = {}
    for key in removed:
        groups.setdefault((key.kind, key.scope), ([], []))[0].append(key)
    for key in added:
        groups.setdefault((key.kind, key.scope), ([], []))[1].append(key)
    out: dict[Key, Key] = {}
    for olds, news in groups.values():
        if not olds or not news or len(olds) * len(news) > MAX_CANDIDATES:
            continue
        old_leaves = {k: set(leaves(before[k])) for k in olds}
        new_leaves = {k: set(leaves(after[k])) for k in news}
        scored = []
        for old in olds:
            for new in news:
                score = _jaccard(old_leaves[old], new_leaves[new])
                if score >= RENAME_SIMILARITY:
                    scored.append((-score, old.sort_key, new.sort_key, old, new))
        scored.sort(key=lambda s: s[:3])
        taken: set[Key] = set()
        for _, _, _, old, new in scored:
            if old not in taken and new not in out:
                taken.add(old)
                out[new] = old
    return out


def rescoped(left: Snapshot, right: Snapshot) -> Snapshot:
    """``left`` with the resources of each renamed flow or playbook keyed under its new name."""
    removed = [k for k in left.resources if k.kind in SCOPES and k not in right.resources]
    added = [k for k in right.resources if k.kind in SCOPES and k not in left.resources]
    moved = pair(removed, added, left.resources, right.resources)
    if not moved:
        return left
    new_name = {(old.kind, old.name): new.name for new, old in moved.items()}
    out = Snapshot(origins=dict(left.origins))
    for key, body in left.resources.items():
        scope_kind = KINDS[key.kind].scope
        scope = new_name.get((scope_kind, key.scope)) if scope_kind else None
        out.resources[Key(key.kind, scope, key.name) if scope is not None else key] = body
    return out
