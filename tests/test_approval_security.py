"""Approvals an adversary cannot make count (issue 28 items 2-5): a protected stage needs signed
approvals, a signature covers one approval only, one person is one reviewer, and an approval is
dated between the plan's making and now. Through the CLI against the stand-in; a refusal writes
nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cxops.core.approvals import signature
from cxops.core.plan import Approval
from cxops.fake import FakeCX
from tests import test_gate
from tests.stagerepo import APPROVAL_KEY, LEASE_WRITES
from tests.test_gate import approve, cli, planned, refused

repo = test_gate.repo  # the fixture: a protected prd and an unprotected stg in the stand-in


def with_approvals(plan: Path, *entries: dict[str, Any]) -> dict[str, Any]:
    data = json.loads(plan.read_text())
    data["approvals"] = [{"comment": "", "plan_hash": data["plan_hash"], **e} for e in entries]
    plan.write_text(json.dumps(data))
    return data


def signed(data: dict[str, Any], reviewer: str, time: str, comment: str = "") -> dict[str, Any]:
    approval = Approval(reviewer=reviewer, time=time, plan_hash=data["plan_hash"], comment=comment)
    return {
        "reviewer": reviewer,
        "time": time,
        "comment": comment,
        "signature": signature(APPROVAL_KEY, approval),
    }


def test_without_a_key_a_protected_stage_refuses_hand_written_approvals(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = planned(repo)
    data = json.loads(plan.read_text())
    with_approvals(plan, {"reviewer": "rev-bob", "time": data["created_at"]})
    monkeypatch.delenv("CXOPS_APPROVAL_KEY")
    assert "prd is protected and CXOPS_APPROVAL_KEY is not set: its approvals must be signed" in refused(
        repo, fake, capsys, plan
    )
    # Only where the stage file says so, knowingly, do unsigned approvals count, and both say so.
    stage = repo / "environments/prd.yaml"
    stage.write_text(stage.read_text() + "approvals: {signed: false}\n")
    capsys.readouterr()
    assert cli(repo, "apply", str(plan)) == 0
    assert "prd counts unsigned approvals (approvals: {signed: false}" in capsys.readouterr().err
    assert cli(repo, "plan", "prd") == 0
    assert "counts unsigned approvals" in capsys.readouterr().err


def test_a_signature_covers_one_approval_and_cannot_be_recut_into_two_reviewers(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    stage = repo / "environments/prd.yaml"
    stage.write_text(stage.read_text().replace("approvals_required: 1", "approvals_required: 2"))
    plan = planned(repo)
    data = json.loads(plan.read_text())
    when = data["created_at"]
    one = signed(data, "rev-bob", when, f"{when}\nlooks good")
    # Under the old newline-joined signature this copy verified as a second reviewer, "rev-bob\n<time>".
    shifted = {**one, "reviewer": f"rev-bob\n{when}", "time": when, "comment": "looks good"}
    with_approvals(plan, one, shifted)
    assert "has 1 valid; 1 not counted" in refused(repo, fake, capsys, plan)
    assert cli(repo, "approve", str(plan), "--reviewer", "rev\x1bcarol") == 1
    assert "control or invisible character" in capsys.readouterr().err


def test_one_person_is_one_reviewer_and_the_author_whatever_the_case(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    stage = repo / "environments/prd.yaml"
    stage.write_text(stage.read_text().replace("approvals_required: 1", "approvals_required: 2"))
    plan = planned(repo)  # author dev-alice
    data = json.loads(plan.read_text())
    when = data["created_at"]
    with_approvals(
        plan, signed(data, "bob", when), signed(data, " Bob ", when), signed(data, "DEV-ALICE", when)
    )
    assert "has 1 valid; 2 not counted" in refused(repo, fake, capsys, plan)
    assert cli(repo, "approve", str(plan), "--reviewer", "Dev-Alice") == 1
    assert "made this plan" in capsys.readouterr().err


@pytest.mark.parametrize("time", ["2099-01-01T00:00:00Z", "1999-01-01T00:00:00Z", "not-a-time"])
def test_an_approval_dated_in_the_future_before_the_plan_or_not_at_all_does_not_count(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str], time: str
) -> None:
    plan = planned(repo)
    data = json.loads(plan.read_text())
    with_approvals(plan, signed(data, "rev-bob", time))
    assert "has 0 valid; 1 not counted" in refused(repo, fake, capsys, plan)
    approve(repo, plan)  # dated now: counts
    fake.reset_calls()
    assert cli(repo, "apply", str(plan)) == 0
    assert fake.write_count() == len(data["writes"]) + LEASE_WRITES
