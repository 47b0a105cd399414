"""`cxops demo --team` end to end: two preview agents, two pulls, one merge through the driver,
stg and prd, a marked conflict — each step's outcome, not just the exit code."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from cxops.cli.main import main


@pytest.fixture(scope="module")
def out() -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["demo", "--team"]) == 0
    return buffer.getvalue()


def test_each_developer_gets_a_preview_agent_and_pulls_their_console_edit(out: str) -> None:
    for branch in ("ana/confirm-wording", "ben/no-reply"):
        assert f"$ git switch -c {branch}" in out
        assert re.search(rf"Order Desk · {branch} \({branch}\): created, filled with one RestoreAgent", out)
    assert len(re.findall(r"pulled 80 resources from preview .*; 1 files written, 0 removed", out)) == 2


def test_the_branches_merge_without_conflict_and_reach_stg_and_prd(out: str) -> None:
    merge = out[out.index("4. Both pull requests merge") : out.index("5. ")]
    assert "CONFLICT" not in merge and "the merged page holds both edits" in merge
    assert "validate order-desk: no problems" in merge
    deploy = out[out.index("5. ") : out.index("6. ")]
    assert "+ entry_fulfillment.messages.ja[0].text.text:" in deploy  # the prd plan has both edits
    assert "@ transition_routes route[intent=confirm.no]" in deploy
    assert "prd (live) and agents/order-desk: no differences" in deploy


def test_a_real_conflict_is_marked_and_validate_reports_it(out: str) -> None:
    conflict = out[out.index("6. ") : out.index("7. ")]
    assert "CONFLICT" in conflict
    assert "Confirm Return.yaml:10: unresolved merge conflict" in conflict
    assert "no preview agents in projects/cxops-demo-dev/locations/global" in out[out.index("7. ") :]
