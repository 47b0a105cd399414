"""Differences between two snapshots, as operation-like objects that renderers turn into text.

Cost follows the change: each resource's canonical form is hashed, and only resources whose
hashes differ are compared field by field. Lists are compared by what their items are, not by
position: routes by intent and condition, event handlers by event and condition, parameters and
entries by their name, lines by their text, whatever the counts on either side (equal items are
told apart by their order among themselves); a reorder shows as a move.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, cast

from cxops.core import renames
from cxops.model.snapshot import Key, Snapshot, canonical_json
from cxops.model.treekeys import to_tree

Path = tuple[str | int, ...]
Op = Literal["add", "remove", "change"]
FieldOp = Literal["set", "unset", "changed", "added", "removed", "moved"]


@dataclass(frozen=True)
class FieldChange:
    """One change inside a resource. ``path`` is readable: list items are named by identity."""

    op: FieldOp
    path: Path
    before: Any = None
    after: Any = None

    def as_data(self) -> dict[str, Any]:
        """The change as JSON data (docs/diff-json.md; plan files hold the same shape)."""
        out: dict[str, Any] = {"op": self.op, "path": list(self.path)}
        if self.op in ("changed", "unset", "removed", "moved"):
            out["before"] = self.before
        if self.op in ("changed", "set", "added", "moved"):
            out["after"] = self.after
        return out


@dataclass(frozen=True)
class ResourceChange:
    key: Key
    op: Op
    fields: tuple[FieldChange, ...] = ()
    # A change of the resource that ``left`` has under this key (core/renames.py).
    renamed_from: Key | None = None
    # What an added resource holds (a removed one: held), for renderers to show collapsed; not
    # part of a plan file, which names the change only (the body is the tree's or the live's).
    body: Any = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def title(self) -> str:
        """``page Flow/Old → New`` for a rename, else the key."""
        if self.renamed_from is None:
            return str(self.key)
        return f"{self.renamed_from} → {self.key.name}"

    def as_data(self, with_body: bool = False) -> dict[str, Any]:
        """Key, op and fields as JSON data (diff JSON and plan files hold the same shape);
        ``with_body``: an added or removed resource's body too, in tree form (diff JSON)."""
        out: dict[str, Any] = {"kind": self.key.kind, "scope": self.key.scope, "name": self.key.name}
        out["op"] = self.op
        if self.renamed_from is not None:
            out["renamed_from"] = self.renamed_from.name
        out["fields"] = [f.as_data() for f in self.fields]
        if with_body and self.body is not None:
            out["body"] = to_tree(self.body, self.key.kind)
        return out


@dataclass(frozen=True)
class Diff:
    left: str
    right: str
    changes: tuple[ResourceChange, ...]
    # Per-stage differences that were taken out before comparing (a stage's overrides).
    expected: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changes)

    def summary(self) -> dict[str, dict[str, int]]:
        """Per kind: how many resources were added, removed, changed."""
        out: dict[str, dict[str, int]] = {}
        for change in self.changes:
            counts = out.setdefault(change.key.kind, {"add": 0, "remove": 0, "change": 0})
            counts[change.op] += 1
        return out


def digest(body: Any) -> str:
    return hashlib.sha256(canonical_json(body)).hexdigest()


def compare(left: Snapshot, right: Snapshot, left_name: str = "left", right_name: str = "right") -> Diff:
    """What changes from ``left`` to ``right``, in the snapshots' stable resource order."""
    left = renames.rescoped(left, right)
    keys = sorted(set(left.resources) | set(right.resources), key=lambda k: k.sort_key)
    renamed = renames.pair(
        [k for k in keys if k not in right.resources],
        [k for k in keys if k not in left.resources],
        left.resources,
        right.resources,
    )
    gone = set(renamed.values())
    changes: list[ResourceChange] = []
    for key in keys:
        before, after = left.resources.get(key), right.resources.get(key)
        if key in gone:
            continue
        if key in renamed:
            old = renamed[key]
            fields = tuple(diff_values(left.resources[old], after, ()))
            changes.append(ResourceChange(key, "change", fields, renamed_from=old))
        elif before is None:
            changes.append(ResourceChange(key, "add", body=after))
        elif after is None:
            changes.append(ResourceChange(key, "remove", body=before))
        elif before is not after and digest(before) != digest(after):
            changes.append(ResourceChange(key, "change", tuple(diff_values(before, after, ()))))
    return Diff(left_name, right_name, tuple(changes))


# Lists whose items are routes or event handlers by their field name, whatever they hold: a
# route with only a condition and a target flow is as much a route as one with an intent.
ROUTE_LISTS = frozenset({"transition_routes"})
HANDLER_LISTS = frozenset({"event_handlers", "reprompt_event_handlers"})


def identity(item: Any, field: str | int | None = None) -> tuple[Any, ...] | None:
    """What a list item of ``field`` is, independent of its position (None: by position)."""
    if not isinstance(item, dict):
        return ("line", canonical_json(item))
    if field in ROUTE_LISTS:
        return ("route", item.get("intent"), item.get("condition"))
    if field in HANDLER_LISTS:
        return ("event", item.get("event"), item.get("condition"))
    if "event" in item:
        return ("event", item["event"], item.get("condition"))
    if "intent" in item or ("condition" in item and ("target_page" in item or "trigger_fulfillment" in item)):
        return ("route", item.get("intent"), item.get("condition"))
    for field in ("display_name", "id", "value", "parameter", "key"):
        if isinstance(item.get(field), str):
            return (field, item[field])
    return None


def _numbered(idents: list[tuple[Any, ...]]) -> list[tuple[tuple[Any, ...], int]]:
    """Each identity with its occurrence among equal ones: two routes on the same intent and
    condition are the first and the second, so the rest of the list still matches by identity."""
    seen: dict[tuple[Any, ...], int] = {}
    out = []
    for ident in idents:
        seen[ident] = seen.get(ident, 0) + 1
        out.append((ident, seen[ident]))
    return out


def label(numbered: tuple[tuple[Any, ...], int]) -> str:
    ident, occurrence = numbered
    text = _label(ident)
    if occurrence == 1 or text == "item":
        return text
    return f"{text[:-1]}, #{occurrence}]"


def _label(ident: tuple[Any, ...]) -> str:
    kind, *rest = ident
    if kind == "route":
        intent, condition = rest
        parts = [f"intent={intent}" if intent else "", f"condition={condition}" if condition else ""]
        return "route[" + ", ".join(p for p in parts if p) + "]"
    if kind == "event":
        event, condition = rest
        return f"event[{event}" + (f", condition={condition}" if condition else "") + "]"
    if kind == "line":
        return "item"
    return f"[{rest[0]}]"


def diff_values(before: Any, after: Any, path: Path) -> Iterator[FieldChange]:
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for name in [*before, *(k for k in after if k not in before)]:
            if name not in after:
                yield FieldChange("unset", (*path, name), before=before[name])
            elif name not in before:
                yield FieldChange("set", (*path, name), after=after[name])
            else:
                yield from diff_values(before[name], after[name], (*path, name))
        return
    if isinstance(before, list) and isinstance(after, list):
        yield from _diff_lists(before, after, path)
        return
    yield FieldChange("changed", path, before=before, after=after)


def _diff_lists(before: list[Any], after: list[Any], path: Path) -> Iterator[FieldChange]:
    field = path[-1] if path else None
    left = [identity(item, field) for item in before]
    right = [identity(item, field) for item in after]
    if None in left or None in right:
        # No stable identity: position by position.
        for i in range(max(len(before), len(after))):
            if i >= len(after):
                yield FieldChange("removed", (*path, i), before=before[i])
            elif i >= len(before):
                yield FieldChange("added", (*path, i), after=after[i])
            else:
                yield from diff_values(before[i], after[i], (*path, i))
        return
    lefts = _numbered(cast("list[tuple[Any, ...]]", left))
    rights = _numbered(cast("list[tuple[Any, ...]]", right))
    index = {ident: i for i, ident in enumerate(lefts)}
    position = {ident: j for j, ident in enumerate(rights)}
    common = [ident for ident in lefts if ident in position]
    # Items kept in place are those of the longest run in the same relative order; the rest moved.
    kept = _longest_increasing([position[ident] for ident in common])
    for ident in lefts:
        if ident not in position:
            yield FieldChange("removed", (*path, label(ident)), before=before[index[ident]])
    for ident in common:
        where = (*path, label(ident))
        j = position[ident]
        if j not in kept:
            yield FieldChange("moved", where, before=index[ident], after=j)
        yield from diff_values(before[index[ident]], after[j], where)
    for ident in rights:
        if ident not in index:
            yield FieldChange("added", (*path, label(ident)), after=after[position[ident]])


def _longest_increasing(values: list[int]) -> set[int]:
    """The values of one longest strictly increasing subsequence (patience sorting)."""
    tails: list[int] = []
    tails_at: list[int] = []
    parent: list[int] = [-1] * len(values)
    for i, value in enumerate(values):
        at = bisect.bisect_left(tails, value)
        if at == len(tails):
            tails.append(value)
            tails_at.append(i)
        else:
            tails[at] = value
            tails_at[at] = i
        parent[i] = tails_at[at - 1] if at else -1
    out: set[int] = set()
    i = tails_at[-1] if tails_at else -1
    while i >= 0:
        out.add(values[i])
        i = parent[i]
    return out
