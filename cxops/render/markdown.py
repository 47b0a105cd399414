"""A diff as GitHub markdown for PR comments and ``$GITHUB_STEP_SUMMARY``.

As short as the change (issue 14: a reviewer reads less than the raw ``git diff`` of the JSON,
measured by bench/diff_readability.py): a heading that holds the summary, one diff block with
every changed resource (a title line, its field changes), then one collapsed section per added
or removed resource showing its content. GitHub refuses comments over 65,536 characters: past
the budget, resources are left out and counted, and the reader is sent to the full output;
bodies only take the room left and are cut first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cxops.core.diff import Diff, FieldChange, ResourceChange
from cxops.render import fold
from cxops.render.text import (
    DONE,
    SIGN,
    body_lines,
    field_change_rows,
    fit,
    groups,
    more_line,
    path_text,
    visible,
)

LIMIT = 65_536
RESERVE = 600  # room for the closing note


# Markdown and HTML syntax a name could carry into a comment (issue 28 item 10): written as
# character references, which GitHub shows as the character in text, <summary> and <code> alike.
# An underscore between two letters or digits is no emphasis (CommonMark's flanking rule) and
# stays, so that test_case and PNR_Number read as themselves.
_MARKUP = {c: f"&#{ord(c)};" for c in "&<>`#|*[]\\~!"}
_EMPHASIS = re.compile(r"(?<![^\W_])_|_(?![^\W_])")


def escape(text: str) -> str:
    """The one escaping of a name outside a fenced block: control and bidi characters made
    visible, then every markup character a reference, so nothing in it is read as markdown."""
    marked = "".join(_MARKUP.get(c, c) for c in visible(text))
    return _EMPHASIS.sub("&#95;", marked)


def code(text: str) -> str:
    """A name as code: a `code span` where nothing in it can end one (no backtick, no control
    character), else <code> with the name escaped (references are not decoded in a span)."""
    if "`" not in text and visible(text) == text:
        return f"`{text}`"
    return f"<code>{escape(text)}</code>"


def diff_lines(change: FieldChange, indent: str = "") -> list[str]:
    """Lines of a ```diff block: GitHub colours those starting with - and +, and a "!" line
    (a few changed words, one line) as changed; the sign stays in the first column."""
    rows = field_change_rows(change, changed="!", moved=" ", split=True)
    return [f"{sign}{indent}   {text}" if under else f"{sign}{indent} {text}" for sign, text, under in rows]


def block_lines(fields: Sequence[FieldChange], indent: str = "") -> list[str]:
    """Changes under one route or item share a ``@@`` header line, as hunks do (two or more)."""
    lines: list[str] = []
    for head, members in groups(fields):
        inner = indent
        if head and len(members) == 1:
            # A header for one line costs a line and saves none: the line keeps its whole path.
            [change] = members
            lines.extend(
                diff_lines(FieldChange(change.op, head + change.path, change.before, change.after), inner)
            )
            continue
        if head:
            lines.append(f"@@ {indent}{path_text(head)}")
            inner = indent + "   "
        lines.extend(line for change in members for line in diff_lines(change, inner))
    return lines


def _fenced(lines: list[str]) -> str:
    # In a fence only a line break could end it early: each line is made visible.
    return "```diff\n" + "\n".join(visible(line) for line in lines) + "\n```\n"


def least_body(body: list[str]) -> str:
    """What an added or removed resource's body takes at the least: the count of its lines."""
    return _fenced([f"  … {len(body)} lines"]) if body else ""


def body_block(change: ResourceChange, body: list[str], room: int) -> str:
    """An added or removed resource's body (:func:`~cxops.render.text.body_lines`) in a diff
    block, cut to :data:`BODY_LINES` lines and to ``room`` characters (at least
    :func:`least_body`), with a count of what is cut."""
    if not body:
        return ""
    sign = SIGN[change.op]
    fitting, hidden = fit(body, room, used=len(_fenced([f"  {more_line(len(body))}"])), per_line=3)
    shown = [f"{sign} {line}" for line in fitting]
    if not shown:
        return least_body(body)
    if hidden:
        shown.append(f"  {more_line(hidden)}")
    return _fenced(shown)


def _change_lines(change: ResourceChange, referrers: Sequence[ResourceChange]) -> list[str]:
    """A resource's title line, its field changes indented under it; one line where its one
    change fits on the title line; a rename names the resources that only follow it."""
    fields = fold.own_fields(change)
    note = fold.referrer_note(referrers)
    if not note and (one := fold.one_line(change.title, fields)) is not None:
        return [one]
    return [f"{SIGN[change.op]} {change.title}{note}", *block_lines(fields, "  ")]


def summary_text(diff: Diff) -> str:
    """``intent: 1 changed; page: 2 removed, 1 changed``: what the table said, in one line."""
    return "; ".join(
        f"{kind}: " + ", ".join(f"{n} {DONE[op]}" for op, n in counts.items() if n)
        for kind, counts in diff.summary().items()
    )


def render(
    diff: Diff, limit: int = LIMIT, full_output: str = "the full diff (cxops diff --format text)"
) -> str:
    """The heading holds the summary; every changed resource is a title line in one diff block
    (an added or removed one with nothing to show, too); an added or removed resource with
    content gets a collapsed section of its own, after the block."""
    title = f"### cxops diff {code(diff.left)} → {code(diff.right)}"
    if not diff:
        expected = "".join(f"- expected (override): {code(item)}\n" for item in diff.expected)
        return f"{title}: no differences\n" + expected
    title += f" · {escape(summary_text(diff))}\n"
    tail = ""
    if diff.expected:
        tail += "\n<details><summary>Expected per-stage differences (overrides)</summary>\n\n"
        tail += "".join(f"- {code(item)}\n" for item in diff.expected) + "\n</details>\n"
    budget = limit - RESERVE - len(title) - len(tail) - len("```diff\n```\n")
    used = left_out = 0
    block: list[str] = []
    bodied: list[tuple[ResourceChange, list[str], str, str]] = []
    folded = fold.referrers(diff)
    into_rename = {c.key for changes in folded.values() for c in changes}
    for change in diff.changes:
        if change.key in into_rename:
            continue  # one item with the rename it follows
        body = body_lines(change) if change.op != "change" else []
        least = least_body(body)
        if least:
            head = f"<details><summary><code>{SIGN[change.op]}</code> {escape(change.title)}</summary>\n\n"
            cost = len(head) + len(least) + len("</details>\n")
        else:
            lines = _change_lines(change, folded.get(change.key, []))
            cost = sum(len(line) + 1 for line in lines)
        if used + cost > budget:
            left_out += 1
            continue
        used += cost
        if least:
            bodied.append((change, body, head, least))
        else:
            block += lines
    out = title
    if block:
        out += _fenced(block)
    # Bodies get only the room every change's own lines leave: a long body is cut, and no
    # change is left out for it.
    spare = budget - used
    for change, body, head, least in bodied:
        block_text = body_block(change, body, len(least) + max(spare, 0))
        spare -= len(block_text) - len(least)
        out += head + block_text + "</details>\n"
    out += tail
    if left_out:
        out += (
            f"\n**{left_out} of {len(diff.changes)} resources are not shown** "
            f"(GitHub's {limit:,}-character limit); see {full_output}.\n"
        )
    return out
