"""A diff as GitHub markdown for PR comments and ``$GITHUB_STEP_SUMMARY``.

A summary table, then one collapsible section per resource. GitHub refuses comments over
65,536 characters: past the budget, sections are left out and counted, and the reader is sent
to the full output.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from cxops.core.diff import Diff, FieldChange, ResourceChange
from cxops.render.text import SIGN, body_lines, cut, groups, more_line, path_text, value_text, word_diff

LIMIT = 65_536
RESERVE = 600  # room for the closing note


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def diff_lines(change: FieldChange, indent: str = "") -> list[str]:
    """Lines of a ```diff block: GitHub colours those starting with - and +."""
    where = path_text(change.path)
    where = f"{where}: " if where else ""
    if change.op == "changed":
        words = word_diff(change.before, change.after)
        if words is not None:
            # One line for a few changed words; GitHub colours a "!" line as changed.
            return [f"!{indent} {where}{json.dumps(words, ensure_ascii=False)}"]
        return [
            f"-{indent} {where}{value_text(change.before)}",
            f"+{indent} {where}{value_text(change.after)}",
        ]
    if change.op in ("set", "added"):
        return [f"+{indent} {where}{value_text(change.after)}"]
    if change.op in ("unset", "removed"):
        return [f"-{indent} {where}{value_text(change.before)}"]
    return [f" {indent} {where}moved from position {change.before} to {change.after}"]


def block_lines(fields: Sequence[FieldChange]) -> list[str]:
    """Changes under one route or item share a ``@@`` header line, as hunks do."""
    lines: list[str] = []
    for head, members in groups(fields):
        indent = ""
        if head:
            lines.append(f"@@ {path_text(head)}")
            indent = "   "
        lines.extend(line for change in members for line in diff_lines(change, indent))
    return lines


def _fenced(lines: list[str]) -> str:
    return "```diff\n" + "\n".join(lines) + "\n```\n"


def least_body(change: ResourceChange) -> str:
    """What an added or removed resource's body takes at the least: the count of its lines."""
    lines = body_lines(change)
    return _fenced([f"  … {len(lines)} lines"]) if lines else ""


def body_block(change: ResourceChange, room: int) -> str:
    """An added or removed resource's body in a diff block, cut to :data:`BODY_LINES` lines
    and to ``room`` characters (at least :func:`least_body`), with a count of what is cut."""
    lines, hidden = cut(body_lines(change))
    if not lines:
        return ""
    sign = SIGN[change.op]
    used = len(_fenced([f"  {more_line(len(lines) + hidden)}"]))
    shown: list[str] = []
    for line in lines:
        used += len(line) + 3
        if used > room:
            break
        shown.append(f"{sign} {line}")
    hidden += len(lines) - len(shown)
    if not shown:
        return least_body(change)
    if hidden:
        shown.append(f"  {more_line(hidden)}")
    return _fenced(shown)


def render(
    diff: Diff, limit: int = LIMIT, full_output: str = "the full diff (cxops diff --format text)"
) -> str:
    head = [f"### cxops diff `{diff.left}` → `{diff.right}`", ""]
    if not diff:
        expected = "".join(f"- expected (override): `{item}`\n" for item in diff.expected)
        return "\n".join([*head, "No differences."]) + "\n" + expected
    head += ["| kind | added | removed | changed |", "|---|---:|---:|---:|"]
    for kind, counts in diff.summary().items():
        head.append(f"| {kind} | {counts['add']} | {counts['remove']} | {counts['change']} |")
    head.append("")
    out = "\n".join(head) + "\n"
    left_out = 0
    sections = []
    for change in diff.changes:
        lines = block_lines(change.fields)
        section = f"<details><summary><code>{SIGN[change.op]}</code> {_escape(change.title)}</summary>\n\n"
        section += "```diff\n" + "\n".join(lines) + "\n```\n" if lines else ""
        sections.append((change, section))
    # Bodies get only the room every change's own section leaves: a long body is cut, and no
    # change is left out for it.
    least = [least_body(change) for change, _ in sections]
    spare = limit - RESERVE - len(out)
    spare -= sum(len(s) + len(b) + len("</details>\n") for (_, s), b in zip(sections, least, strict=True))
    for (change, section), minimum in zip(sections, least, strict=True):
        body = body_block(change, len(minimum) + max(spare, 0)) if minimum else ""
        spare -= len(body) - len(minimum)
        section += body + "</details>\n"
        if len(out) + len(section) > limit - RESERVE:
            left_out += 1
            continue
        out += section
    if diff.expected:
        out += "\n<details><summary>Expected per-stage differences (overrides)</summary>\n\n"
        out += "".join(f"- `{item}`\n" for item in diff.expected) + "\n</details>\n"
    if left_out:
        out += (
            f"\n**{left_out} of {len(diff.changes)} resources are not shown** "
            f"(GitHub's {limit:,}-character limit); see {full_output}.\n"
        )
    return out
