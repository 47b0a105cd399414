"""Three-way merge of one resource's data: what ``cxops merge-driver`` does to a file.

Mappings merge key by key. Lists merge by what their items are, with the identities ``diff``
uses (:func:`cxops.core.diff.identity`: routes by intent and condition, event handlers by event
and condition, parameters and entities by name or value, lines by their text); items with no
such name (fulfillment messages) are known by their content. A line or message edited in place
shows up as one item removed and another added at the same spot; such pairs are read as an
edit of that item, so that two sides editing one phrase differently conflict instead of both
surviving. Order follows "ours" (or "theirs" where only theirs reordered); what one side
inserted goes next to the neighbour it follows on that side. Multi-line text merges line by
line (:func:`merge_lines`), as git merges a file: two people editing different instructions of
one playbook goal do not conflict, and where they do, only the lines both changed are marked.

A conflict is an item or value both sides changed differently, or one side deleted and the
other changed; it stays in the result as a :class:`Conflict` at the smallest place that holds
it, for :mod:`cxops.core.conflicttext` to write with markers.
"""

from __future__ import annotations

import difflib
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

from cxops.core.diff import identity
from cxops.core.diff import label as item_label
from cxops.model.snapshot import canonical_json

Side = Literal["ours", "theirs"]


class _Missing:
    """Absent on one side: a key not there, a list item deleted."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
_HEAD: Any = object()  # before the first item of a list being ordered
_END: Any = object()  # after its last


@dataclass
class Conflict:
    """Both sides changed one value differently; either side may be MISSING (deleted)."""

    ours: Any
    theirs: Any


def merge3(base: Any, ours: Any, theirs: Any, field: str | None = None) -> Any:
    """The merged value, holding a :class:`Conflict` wherever the sides disagree (MISSING:
    absent); ``field`` is the key the value sits under (it names what a list holds)."""
    if _same(ours, theirs):
        return ours
    if _same(base, ours):
        return theirs
    if _same(base, theirs):
        return ours
    if isinstance(ours, dict) and isinstance(theirs, dict) and (base is MISSING or isinstance(base, dict)):
        # Added on both sides: merged against nothing, so only overlapping parts conflict.
        return _merge_dicts({} if base is MISSING else base, ours, theirs)
    if isinstance(ours, list) and isinstance(theirs, list) and (base is MISSING or isinstance(base, list)):
        return _merge_lists([] if base is MISSING else base, ours, theirs, field)
    if type(base) is str and type(ours) is str and type(theirs) is str and "\n" in base:
        return merge_lines(base, ours, theirs)
    return Conflict(ours, theirs)


def _same(a: Any, b: Any) -> bool:
    # type() as well: True == 1 in Python, but not in a resource file.
    return a is b or (type(a) is type(b) and a == b)


def has_conflicts(value: Any) -> bool:
    if isinstance(value, Conflict):
        return True
    if isinstance(value, dict):
        return any(has_conflicts(v) for v in value.values())
    if isinstance(value, list):
        return any(has_conflicts(v) for v in value)
    return False


def conflict_paths(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Where the conflicts of a merged value sit, list items named as diff names them
    (``transition_routes``, ``route[intent=x]``, ``target_page``), for the driver's message."""
    if isinstance(value, Conflict):
        return [path]
    found: list[tuple[str | int, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += conflict_paths(item, (*path, key))
    elif isinstance(value, list):
        field = path[-1] if path and isinstance(path[-1], str) else None
        for i, item in enumerate(value):
            probe = item
            if isinstance(item, Conflict):
                probe = item.ours if item.ours is not MISSING else item.theirs
            ident = identity(probe, field)
            found += conflict_paths(item, (*path, item_label((ident, 1)) if ident is not None else i))
    return found


def resolve(value: Any, side: Side) -> Any:
    """The merged value with every conflict taken from ``side`` (MISSING when it deleted it)."""
    if isinstance(value, Conflict):
        return value.ours if side == "ours" else value.theirs
    if isinstance(value, dict):
        out = {k: resolve(v, side) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not MISSING}
    if isinstance(value, list):
        return [v for v in (resolve(item, side) for item in value) if v is not MISSING]
    return value


def _merge_dicts(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    keys = _ordered(list(ours), list(theirs), set(base))
    out: dict[str, Any] = {}
    for key in keys:
        value = merge3(base.get(key, MISSING), ours.get(key, MISSING), theirs.get(key, MISSING), key)
        if value is not MISSING:
            out[key] = value
    return out


def _ordered(primary: list[Any], secondary: list[Any], known: set[Any]) -> list[Any]:
    """``primary``'s order, with what only ``secondary`` has placed after the neighbour it
    follows there (after anything ``primary`` itself added at that spot).

    A linked list keyed by the items themselves: each insertion is one step plus a walk over
    the run of ``primary``'s own additions it lands after, and each such run is walked once,
    so long lists (thousands of phrases) take linear time."""
    head: Any = _HEAD
    after: dict[Any, Any] = dict(zip([head, *primary], [*primary, _END], strict=True))
    in_secondary = set(secondary)
    last = head
    for key in secondary:
        if key in after:
            last = key
            continue
        at = last
        following = after[at]
        while following is not _END and following not in known and following not in in_secondary:
            at, following = following, after[following]
        after[at] = key
        after[key] = following
        last = key
    out: list[Any] = []
    key = after[head]
    while key is not _END:
        out.append(key)
        key = after[key]
    return out


def merge_identity(item: Any, field: str | None = None) -> tuple[Any, ...]:
    """What a list item of ``field`` is for merging: diff's identity, else its content."""
    ident = identity(item, field)
    return ident if ident is not None else ("content", canonical_json(item))


def _by_content(ident: tuple[Any, ...]) -> bool:
    return ident[0] in ("line", "content")


def _identities(items: list[Any], field: str | None) -> list[tuple[Any, ...]]:
    """Each item's identity; equal ones told apart by occurrence (the second route on one
    intent and condition), as diff does, so the rest of the list still merges by identity."""
    seen: dict[tuple[Any, ...], int] = {}
    out: list[tuple[Any, ...]] = []
    for item in items:
        ident = merge_identity(item, field)
        seen[ident] = seen.get(ident, 0) + 1
        out.append(ident if seen[ident] == 1 else (*ident, ("#", seen[ident])))
    return out


def _labels(base_ids: list[tuple[Any, ...]], side_ids: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Each side item's label: the base identity it is (or replaces in place), else ("new", id)."""
    in_base = set(base_ids)
    in_side = set(side_ids)
    # Unmatched base items per gap, the gap named by the matched item before it.
    gaps: dict[Any, deque[tuple[Any, ...]]] = {}
    anchor: Any = None
    for ident in base_ids:
        if ident in in_side:
            anchor = ident
        elif _by_content(ident):
            gaps.setdefault(anchor, deque()).append(ident)
    labels: list[tuple[Any, ...]] = []
    anchor = None
    for ident in side_ids:
        if ident in in_base:
            anchor = ident
            labels.append(ident)
            continue
        waiting = gaps.get(anchor)
        if _by_content(ident) and waiting:
            labels.append(waiting.popleft())
        else:
            labels.append(("new", ident))
    return labels


def _merge_lists(base: list[Any], ours: list[Any], theirs: list[Any], field: str | None) -> Any:
    base_ids, ours_ids, theirs_ids = (_identities(items, field) for items in (base, ours, theirs))
    ours_labels = _labels(base_ids, ours_ids)
    theirs_labels = _labels(base_ids, theirs_ids)
    base_by = dict(zip(base_ids, base, strict=True))
    ours_by = dict(zip(ours_labels, ours, strict=True))
    theirs_by = dict(zip(theirs_labels, theirs, strict=True))
    primary, secondary = ours_labels, theirs_labels
    if _kept_order(base_ids, ours_labels) and not _kept_order(base_ids, theirs_labels):
        primary, secondary = theirs_labels, ours_labels
    out: list[Any] = []
    for label in _ordered(primary, secondary, set(base_ids)):
        value = merge3(
            base_by.get(label, MISSING), ours_by.get(label, MISSING), theirs_by.get(label, MISSING)
        )
        if value is not MISSING:
            out.append(value)
    return out


def _kept_order(base_ids: list[tuple[Any, ...]], labels: list[tuple[Any, ...]]) -> bool:
    known, in_base = set(labels), set(base_ids)
    return [i for i in base_ids if i in known] == [label for label in labels if label in in_base]


def merge_lines(base: str, ours: str, theirs: str) -> str | Conflict:
    """Multi-line text (a playbook goal, a long message) merged line by line as git's diff3
    does. Where both sides changed the same or neighbouring lines (no unchanged line between
    them) the result is a :class:`Conflict` of two whole texts, each side's lines at those
    places and the clean merge everywhere else, so that taking either side keeps the other
    side's edits to other lines; :mod:`cxops.core.conflicttext` marks only the lines that
    differ."""
    b, o, t = (text.splitlines(keepends=True) for text in (base, ours, theirs))
    mine_out: list[str] = []
    yours_out: list[str] = []
    at_b = at_o = at_t = 0
    for start_b, end_b, start_o, end_o, start_t, end_t in _stable_runs(b, o, t):
        old, mine, yours = b[at_b:start_b], o[at_o:start_o], t[at_t:start_t]
        if mine == yours or yours == old:
            yours = mine
        elif mine == old:
            mine = yours
        # else both changed this stretch: each side keeps its own lines (a conflict)
        mine_out += mine + b[start_b:end_b]
        yours_out += yours + b[start_b:end_b]
        at_b, at_o, at_t = end_b, end_o, end_t
    if mine_out == yours_out:
        return "".join(mine_out)
    return Conflict("".join(mine_out), "".join(yours_out))


def _stable_runs(b: list[str], o: list[str], t: list[str]) -> list[tuple[int, int, int, int, int, int]]:
    """Runs of base lines both sides kept, as (base, ours, theirs) start/end indexes, ending
    with an empty run at the three ends: the places where the sides are in step."""
    mine = difflib.SequenceMatcher(None, b, o, autojunk=False).get_matching_blocks()
    yours = difflib.SequenceMatcher(None, b, t, autojunk=False).get_matching_blocks()
    runs = []
    i = j = 0
    while i < len(mine) and j < len(yours):
        b_o, o_start, o_len = mine[i]
        b_t, t_start, t_len = yours[j]
        low, high = max(b_o, b_t), min(b_o + o_len, b_t + t_len)
        if low < high:
            o_at, t_at = o_start + low - b_o, t_start + low - b_t
            runs.append((low, high, o_at, o_at + high - low, t_at, t_at + high - low))
        if b_o + o_len < b_t + t_len:
            i += 1
        else:
            j += 1
    runs.append((len(b), len(b), len(o), len(o), len(t), len(t)))
    return runs
