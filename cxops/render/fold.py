"""What a PR comment folds so that it is as short as the change (issue 27): a rename together
with the resources whose only change is naming the new name, and a resource whose one change
fits one line written on its title line.

Pure functions of a diff; the text and JSON renderers show every change as it is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cxops.core.diff import Diff, FieldChange, ResourceChange
from cxops.model.snapshot import Key
from cxops.render.text import line_diff, path_text, value_text, word_diff

# A before → after on one line only while it reads as one (a title line is about 60 characters).
ONE_LINE = 160


def _renamed(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, dict):
        return {k: _renamed(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    return value


def _canon(values: list[Any]) -> list[str]:
    return sorted(json.dumps(v, sort_keys=True, ensure_ascii=False) for v in values)


def only_renames(fields: Sequence[FieldChange], names: dict[str, str]) -> bool:
    """Whether every change is an old display name replaced by its new one (a route keyed by
    the old intent removed and the same route keyed by the new one added counts)."""
    if not fields:
        return False
    gone: list[Any] = []
    came: list[Any] = []
    for change in fields:
        if change.op == "changed":
            if _renamed(change.before, names) != change.after or change.before == change.after:
                return False
        elif change.op in ("removed", "unset"):
            gone.append(_renamed(change.before, names))
        elif change.op in ("added", "set"):
            came.append(change.after)
        else:
            return False
    return _canon(gone) == _canon(came)


def referrers(diff: Diff) -> dict[Key, list[ResourceChange]]:
    """Per renamed resource, the changed resources whose changes are only references renamed
    with it (each folded into one rename item)."""
    renames = [c for c in diff.changes if c.renamed_from is not None]
    if not renames:
        return {}
    names = {c.renamed_from.name: c.key.name for c in renames if c.renamed_from is not None}
    out: dict[Key, list[ResourceChange]] = {}
    for change in diff.changes:
        if change.op != "change" or change.renamed_from is not None:
            continue
        if not only_renames(change.fields, names):
            continue
        # Named after the first rename whose old name the change mentions.
        text = json.dumps([(f.before, f.after) for f in change.fields], ensure_ascii=False, default=str)
        for rename in renames:
            assert rename.renamed_from is not None
            if json.dumps(rename.renamed_from.name, ensure_ascii=False) in text:
                out.setdefault(rename.key, []).append(change)
                break
    return out


def own_fields(change: ResourceChange) -> tuple[FieldChange, ...]:
    """A rename's changes but its display name (its title says it)."""
    if change.renamed_from is None:
        return change.fields
    return tuple(f for f in change.fields if f.path != ("display_name",))


def referrer_note(folded: Sequence[ResourceChange]) -> str:
    """`` · named in 3 more: flow X, page F/P, …`` for the resources folded into a rename."""
    if not folded:
        return ""
    shown = ", ".join(str(c.key) for c in folded[:5])
    more = f", … {len(folded) - 5} more" if len(folded) > 5 else ""
    return (
        f" · its new name in {len(folded)} referring resource{'s' if len(folded) > 1 else ''}: {shown}{more}"
    )


def one_line(title: str, fields: Sequence[FieldChange]) -> str | None:
    """``! ~ page F/P · path: "…[-old-]{+new+}"``: a changed resource's one change on its title
    line (GitHub colours a ``!`` line as changed, ``+`` / ``-`` as added / removed), or None where
    it takes more than a line."""
    if (
        len(fields) == 2
        and fields[0].path == fields[1].path
        and (fields[0].op, fields[1].op) == ("removed", "added")
    ):
        # A list item replaced by another (a message text, matched by its text): one edit of it.
        fields = [FieldChange("changed", fields[0].path, fields[0].before, fields[1].after)]
    if len(fields) != 1:
        return None
    [change] = fields
    where = path_text(change.path)
    where = f"{where}: " if where else ""
    if change.op == "changed":
        if line_diff(change.before, change.after) is not None:
            return None  # a multi-line text: its changed lines, each on its own
        words = word_diff(change.before, change.after, min_length=0)
        if words is not None:
            return f"! ~ {title} · {where}{json.dumps(words, ensure_ascii=False)}"
        text = f"{value_text(change.before)} → {value_text(change.after)}"
        if "\n" in text or len(text) > ONE_LINE:
            return None
        return f"! ~ {title} · {where}{text}"
    if change.op in ("set", "added", "unset", "removed"):
        sign = "+" if change.op in ("set", "added") else "-"
        value = value_text(change.after if sign == "+" else change.before)
        if "\n" in value or len(value) > ONE_LINE:
            return None
        return f"{sign} ~ {title} · {where}{value}"
    return None
