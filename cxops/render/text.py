"""A diff as plain text for terminals and CI logs: a summary per kind, then each resource.

Field changes inside one list item (a route, an event handler, a parameter, an entry) are
grouped under that item's name, so a nested fulfillment reads as a short path below its route
rather than one long path per line. Colour is added only when asked (a terminal).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

from cxops.core.diff import Diff, FieldChange, Path, ResourceChange
from cxops.model.treekeys import to_tree
from cxops.repo import yamlio

SIGN = {"add": "+", "remove": "-", "change": "~"}
DONE = {"add": "added", "remove": "removed", "change": "changed"}
# ANSI colours by the first character of a line: what git diff uses.
COLOURS = {"+": "32", "-": "31", "~": "33", "@": "36"}
ITEM_STEPS = ("route[", "event[", "item")
# What a terminal acts on or reorders instead of showing (issue 28 item 10): C0 and C1 controls
# (ESC starts an ANSI sequence, CR rewrites the line, LF fakes one), DEL, the line and paragraph
# separators, and Unicode's bidirectional marks, embeddings, overrides and isolates (UAX #9:
# U+200E/F, U+202A-202E, U+2066-2069), which reorder what a reviewer reads.
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every such character written as its escape (``\\x1b``, ``\\u202e``):
    the one escaping of names and values in text output."""
    return _HIDDEN.sub(_shown, text)


def path_text(path: Path) -> str:
    """``transition_routes route[intent=x].target_page``-style: items named by identity."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif step.startswith("["):
            out += step
        elif step == "item":
            continue  # a plain list line: its text is the identity, shown as the value
        else:
            # Bodies keep the protobuf's `type_`; the tree and so the reader say `type`
            # (model/treekeys.py). A payload key spelled `type_` would show as `type` too.
            step = "type" if step == "type_" else step
            out += f" {step}" if step.startswith(ITEM_STEPS) else (f".{step}" if out else step)
    return out


def _is_item(step: str | int) -> bool:
    return isinstance(step, str) and step.startswith(("route[", "event[", "["))


def split(path: Path) -> tuple[Path, Path]:
    """The path up to its last named list item (the group), and the rest below it."""
    for at in range(len(path) - 2, -1, -1):
        if _is_item(path[at]):
            return path[: at + 1], path[at + 1 :]
    return (), path


def groups(fields: Sequence[FieldChange]) -> Iterator[tuple[Path, list[FieldChange]]]:
    """Consecutive field changes under the same named item, with their paths made relative."""
    head: Path | None = None
    members: list[FieldChange] = []
    for change in fields:
        group, rest = split(change.path)
        if group != head and members:
            yield head or (), members
            members = []
        head = group
        members.append(FieldChange(change.op, rest, change.before, change.after))
    if members:
        yield head or (), members


def value_text(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, sort_keys=False, separators=(", ", ": "))


# A changed string at least this long is shown as its changed words, not as two whole lines.
WORD_DIFF_MIN = 80
_CONTEXT_TOKENS = 12  # tokens: six words and the spaces between them
_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff(before: Any, after: Any, min_length: int = WORD_DIFF_MIN) -> str | None:
    """``before`` -> ``after`` as one text with ``[-old-]{+new+}`` around the changed words and
    long unchanged runs cut to ``…``; None where that says no less than the two whole values
    (or either is shorter than ``min_length``)."""
    if not (isinstance(before, str) and isinstance(after, str)):
        return None
    if min(len(before), len(after)) < min_length:
        return None
    a, b = _TOKENS.findall(before), _TOKENS.findall(after)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < 0.5:
        return None
    parts: list[str] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            run = a[i1:i2]
            keep = 2 * _CONTEXT_TOKENS
            first, last = not parts, i2 == len(a)
            if len(run) > keep + 1:
                head = [] if first else run[:_CONTEXT_TOKENS]
                tail = [] if last else run[-_CONTEXT_TOKENS:]
                run = [*head, "…", *tail]
            parts.append("".join(run))
            continue
        if i2 > i1:
            parts.append("[-" + "".join(a[i1:i2]) + "-]")
        if j2 > j1:
            parts.append("{+" + "".join(b[j1:j2]) + "+}")
    text = "".join(parts)
    return text if len(text) < len(before) + len(after) else None


# Text of at least this many lines on both sides is shown as its changed lines.
LINE_DIFF_MIN = 3


def line_diff(before: Any, after: Any) -> tuple[str, list[tuple[str, str]]] | None:
    """Multi-line text (a playbook goal, a prompt) as its changed lines only: a summary
    (``2 of 20 lines changed``) and ("-" or "+", the line as JSON text) pairs, removals of a
    run before its additions; None for anything else."""
    if not (isinstance(before, str) and isinstance(after, str)):
        return None
    a, b = before.splitlines(), after.splitlines()
    if min(len(a), len(b)) < LINE_DIFF_MIN:
        return None
    pairs: list[tuple[str, str]] = []
    touched = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        touched += max(i2 - i1, j2 - j1)
        pairs += [("-", value_text(line)) for line in a[i1:i2]]
        pairs += [("+", value_text(line)) for line in b[j1:j2]]
    if not pairs:
        return None  # the same lines: only line endings differ, which the whole values show
    return f"{touched} of {len(b)} lines changed", pairs


# One line of a field change: its sign, its text, and whether it is a changed line of a
# multi-line text, shown under the change's own line.
Row = tuple[str, str, bool]


def field_change_rows(
    change: FieldChange, *, changed: str = "~", moved: str = "~", split: bool = False
) -> list[Row]:
    """One field change, the same in every format: one row, or for multi-line text a count and
    its changed lines. ``changed`` and ``moved`` are the signs of those rows; ``split`` shows a
    replaced value as a removal and an addition (a diff block) instead of ``before -> after``."""
    where = path_text(change.path)
    where = f"{where}: " if where else ""
    if change.op == "changed":
        lines_changed = line_diff(change.before, change.after)
        if lines_changed is not None:
            summary, pairs = lines_changed
            return [(changed, f"{where}{summary}", False), *((sign, text, True) for sign, text in pairs)]
        words = word_diff(change.before, change.after)
        if words is not None:
            return [(changed, f"{where}{json.dumps(words, ensure_ascii=False)}", False)]
        if split:
            return [
                ("-", f"{where}{value_text(change.before)}", False),
                ("+", f"{where}{value_text(change.after)}", False),
            ]
        return [(changed, f"{where}{value_text(change.before)} -> {value_text(change.after)}", False)]
    if change.op in ("set", "added"):
        return [("+", f"{where}{value_text(change.after)}", False)]
    if change.op in ("unset", "removed"):
        return [("-", f"{where}{value_text(change.before)}", False)]
    return [(moved, f"{where}moved from position {change.before} to {change.after}", False)]


def field_change_lines(change: FieldChange) -> list[str]:
    """One field change as text lines (the changed lines of a text indented under it)."""
    return [
        f"    {sign} {text}" if under else f"{sign} {text}" for sign, text, under in field_change_rows(change)
    ]


def field_lines(fields: Sequence[FieldChange], indent: str = "    ") -> list[str]:
    lines: list[str] = []
    for head, members in groups(fields):
        inner = indent
        if head:
            lines.append(f"{indent}@ {path_text(head)}")
            inner = indent + "    "
        for change in members:
            lines.extend(inner + line for line in field_change_lines(change))
    return lines


# An added or removed resource shows at most this many lines of its body; the tree file (or the
# JSON diff) holds the rest.
BODY_LINES = 40


def body_lines(change: ResourceChange) -> list[str]:
    """An added or removed resource as its tree file holds it (YAML), without the display name
    the title already shows: what Terraform shows of a resource it creates or destroys."""
    body = change.body
    if not isinstance(body, dict):
        return []
    tree = to_tree(body, change.key.kind)
    if tree.get("display_name") == change.key.name:
        tree = {k: v for k, v in tree.items() if k != "display_name"}
    return yamlio.dump(tree).splitlines() if tree else []


def more_line(hidden: int) -> str:
    return f"… {hidden} more line{'s' if hidden != 1 else ''}"


def cut(lines: list[str], most: int = BODY_LINES) -> tuple[list[str], int]:
    """The first lines of a body, and how many are left out (the marker line counts as one)."""
    if len(lines) <= most:
        return lines, 0
    return lines[: most - 1], len(lines) - most + 1


def fit(
    lines: list[str], room: int | None = None, *, used: int = 0, per_line: int = 0
) -> tuple[list[str], int]:
    """The first lines of a body within :data:`BODY_LINES` and, where ``room`` is given, within
    ``room`` characters (``used`` of them taken already, each line costing its length and
    ``per_line``), and how many are left out: the size budget of every format."""
    shown, hidden = cut(lines)
    if room is None:
        return shown, hidden
    kept: list[str] = []
    for line in shown:
        used += len(line) + per_line
        if used > room:
            break
        kept.append(line)
    return kept, hidden + len(shown) - len(kept)


def expected_lines(diff: Diff) -> list[str]:
    if not diff.expected:
        return []
    return ["", "expected per-stage differences (overrides, not shown above; --raw shows them):"] + [
        f"  {item}" for item in diff.expected
    ]


def colour(text: str) -> str:
    out = []
    for line in text.split("\n"):
        code = COLOURS.get(line.lstrip()[:1])
        out.append(f"\x1b[{code}m{line}\x1b[0m" if code else line)
    return "\n".join(out)


def render(diff: Diff, color: bool = False) -> str:
    if not diff:
        return (
            visible(f"{diff.left} and {diff.right}: no differences")
            + "\n"
            + "".join(f"{visible(line)}\n" for line in expected_lines(diff))
        )
    lines = [f"{diff.left} -> {diff.right}"]
    for kind, counts in diff.summary().items():
        lines.append(f"  {kind}: " + ", ".join(f"{n} {DONE[op]}" for op, n in counts.items() if n))
    for change in diff.changes:
        lines.append("")
        lines.append(f"{SIGN[change.op]} {change.title}")
        lines.extend(field_lines(change.fields))
        shown, hidden = fit(body_lines(change))
        # Every body line carries the resource's sign, as Terraform's do: a YAML list item
        # under an added resource must not read (or colour) as a removal.
        lines.extend(f"    {SIGN[change.op]} {line}" for line in shown)
        if hidden:
            lines.append(f"    {more_line(hidden)}")
    lines.extend(expected_lines(diff))
    out = "\n".join(visible(line) for line in lines) + "\n"
    return colour(out) if color else out
