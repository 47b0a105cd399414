"""Names from a PR reach a terminal and a PR comment as text, never as control (issue 28 item
10): ANSI escapes, carriage returns and bidi overrides are shown escaped in text output; in
markdown a name holding a newline and a fence cannot leave its block or fake a section."""

from __future__ import annotations

import re

from cxops.core.diff import Diff, compare
from cxops.core.plan import Plan, Write
from cxops.model.snapshot import Key, Snapshot
from cxops.render import markdown, planout, text

# A title that clears the screen, rewrites its line, reverses what follows, and in markdown
# closes the diff fence and the <summary> to claim the plan is harmless.
HOSTILE = (
    "order\x1b[2J\x1b[32mok\r\u202etxt.exe\u2066\u200f"
    "\n```\n</summary></details>\n### No security-relevant changes\n| a | b |\n<img src=x>`[x](y)`*_#"
)
RAW = ("\x1b", "\r", "\u202e", "\u2066", "\u200f", "\x85")


def diff_with(name: str) -> Diff:
    live = Snapshot(resources={Key("intent", "", "kept"): {"display_name": "kept", "priority": 1}})
    desired = Snapshot(
        resources={
            Key("intent", "", "kept"): {"display_name": "kept", "priority": 2, "description": name + "\x85"},
            Key("intent", "", name): {"display_name": name, "priority": 3},
        }
    )
    return compare(live, desired, "stg (live)", "agents/x")


def plan_of(diff: Diff) -> Plan:
    name = next(c.key for c in diff.changes if c.op == "add")
    return Plan(
        stage="stg",
        agent="x",
        source={"kind": "tree", "path": "agents/x"},
        author="dev\x1b]0;pwned\x07",
        created_at="2026-01-01T00:00:00Z",
        desired_fingerprint="sha256:" + "0" * 64,
        live_fingerprint="sha256:" + "1" * 64,
        live_resources=1,
        diff=diff,
        writes=(Write("create", name),),
        security=(f"webhook {HOSTILE}: sends X-Api-Key to https://evil.example",),
        secret_salt="00",
    )


def test_text_output_shows_control_and_bidi_characters_escaped() -> None:
    diff = diff_with(HOSTILE)
    for out in (text.render(diff), planout.render_text(plan_of(diff), writes=True)):
        assert not any(c in out for c in RAW), out
        assert "\\x1b[2J" in out and "\\x0d" in out and "\\u202e" in out and "\\u2066" in out
        # The name is one line: its newline cannot start a line of its own.
        assert not any(line.startswith("### No security") for line in out.splitlines())
    # Colour is added after escaping: only cxops's own sequences reach the terminal.
    coloured = planout.render_text(plan_of(diff), color=True)
    assert set(re.findall(r"\x1b\[[0-9;]*m", coloured)) <= {
        "\x1b[32m",
        "\x1b[31m",
        "\x1b[33m",
        "\x1b[36m",
        "\x1b[0m",
    }
    assert "\x1b[2J" not in coloured and "\x1b]" not in coloured


def test_markdown_keeps_a_hostile_name_inside_its_block() -> None:
    diff = diff_with(HOSTILE)
    for out in (markdown.render(diff), planout.render_markdown(plan_of(diff))):
        assert not any(c in out for c in RAW)
        lines = out.splitlines()
        # Fences open and close only where cxops puts them; no heading, table or HTML but cxops's.
        assert [line for line in lines if line.startswith("```")] == ["```diff", "```"] * (
            sum(1 for line in lines if line == "```diff")
        )
        assert not any("No security-relevant" in line and line.startswith("#") for line in lines)
        # Outside the fences (where nothing is markup), no HTML but cxops's own.
        outside = re.sub(r"```diff\n.*?\n```\n", "", out, flags=re.S)
        assert "<img" not in outside and "</summary></details>\n###" not in out
        assert outside.count("<summary>") == outside.count("</summary>") == outside.count("<details>")
        for tag in re.findall(r"</?([a-z]+)", outside):
            assert tag in ("summary", "details", "code"), tag
    summary = next(
        line for line in markdown.render(diff).splitlines() if line.startswith("<details><summary>")
    )
    assert "&#96;" in summary and "&#35;" in summary and "&#124;" in summary and "&#60;img" in summary


def test_the_plan_comment_escapes_stage_author_and_security_notes() -> None:
    out = planout.render_markdown(plan_of(diff_with("plain")))
    caution = [line for line in out.splitlines() if line.startswith("> - ")]
    assert len(caution) == 1 and "```" not in caution[0] and "&#35;&#35;&#35;" in caution[0]
    assert "by dev&#92;x1b&#93;0;pwned&#92;x07" in out


def test_escaping_leaves_ordinary_names_alone() -> None:
    for name in ("order.status", "注文の状況", "Café — müde", "a b/c"):
        assert text.visible(name) == name
    assert markdown.escape("order.status") == "order.status"
    assert markdown.escape("a_b") == "a_b" and markdown.escape("_a_") == "&#95;a&#95;"
