"""The gate: each reason apply refuses is one line, exit 1, and not one write call."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.cloud import dialogflowcx_v3 as cx

from cxops.cli.main import main
from cxops.fake import FakeCX
from tests.stagerepo import (
    LEASE_WRITES,
    SECRET_ENV,
    SECRET_VALUE,
    SECRETS,
    empty_agent,
    sample_in_stand_in,
    stage_file,
)

PROJECT = "acme-bots-prd"


@pytest.fixture
def repo(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sample_in_stand_in(tmp_path, fake.address, monkeypatch)
    prd = empty_agent(clients, PROJECT, ["en", "ja"], "Orders")
    stage_file(
        tmp_path, "prd", "order-desk", PROJECT, prd, SECRETS + "protected: true\napprovals_required: 1\n"
    )
    stg = empty_agent(clients, PROJECT, ["en", "ja"], "Orders (stg)")
    stage_file(tmp_path, "stg", "order-desk", PROJECT, stg, SECRETS)
    return tmp_path


def cli(root: Path, *args: str) -> int:
    return main(["--root", str(root), "-q", *args])


def planned(repo: Path, stage: str = "prd") -> Path:
    path = repo / f"{stage}.plan.json"
    assert cli(repo, "plan", stage, "-o", str(path)) == 0
    return path


def refused(repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str], plan: Path, *extra: str) -> str:
    capsys.readouterr()
    fake.reset_calls()
    assert cli(repo, "apply", str(plan), *extra) == 1
    err = capsys.readouterr().err
    assert fake.write_count() == 0, fake.calls()
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    return err


def approve(repo: Path, plan: Path, reviewer: str = "rev-bob") -> None:
    assert cli(repo, "approve", str(plan), "--reviewer", reviewer) == 0


def test_a_protected_stage_needs_an_approval_by_someone_else(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = planned(repo)
    assert "needs 1 approval(s), has 0 valid" in refused(repo, fake, capsys, plan)
    # The author cannot approve, and a hand-written approval in their name does not count.
    assert cli(repo, "approve", str(plan), "--reviewer", "dev-alice") == 1
    data = json.loads(plan.read_text())
    data["approvals"] = [
        {
            "reviewer": "dev-alice",
            "time": "2026-01-01T00:00:00Z",
            "comment": "",
            "plan_hash": data["plan_hash"],
        }
    ]
    plan.write_text(json.dumps(data))
    assert "has 0 valid; 1 not counted" in refused(repo, fake, capsys, plan)
    approve(repo, plan)
    assert cli(repo, "apply", str(plan)) == 0
    assert fake.write_count() == len(data["writes"]) + LEASE_WRITES


def test_auto_approve_is_refused_on_a_protected_stage(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.reset_calls()
    assert cli(repo, "apply", "prd", "--auto-approve") == 1
    assert "prd is protected: --auto-approve is refused" in capsys.readouterr().err
    assert cli(repo, "promote", "stg", "prd", "--apply") == 1
    assert fake.write_count() == 0


def test_with_a_key_only_signed_approvals_count(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = planned(repo)
    approve(repo, plan, "rev-unsigned")  # made without the key
    monkeypatch.setenv("CXOPS_APPROVAL_KEY", "k-123")
    assert (
        "(the author's own, for another plan, a reviewer twice, dated in the future or before the plan, or unsigned or forged"
        in refused(repo, fake, capsys, plan)
    )
    data = json.loads(plan.read_text())
    data["approvals"].append({**data["approvals"][0], "reviewer": "rev-forger", "signature": "00" * 32})
    plan.write_text(json.dumps(data))
    assert "has 0 valid; 2 not counted" in refused(repo, fake, capsys, plan)
    approve(repo, plan, "rev-carol")
    assert json.loads(plan.read_text())["approvals"][-1]["signature"]
    assert cli(repo, "apply", str(plan)) == 0


def test_an_altered_plan_is_refused(repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]) -> None:
    plan = planned(repo, "stg")
    data = json.loads(plan.read_text())
    data["writes"] = data["writes"][:-1]  # someone drops a write after review
    plan.write_text(json.dumps(data))
    assert "the plan was altered after it was made" in refused(repo, fake, capsys, plan)
    # An approval does not launder an altered plan either.
    assert cli(repo, "approve", str(plan), "--reviewer", "rev-bob") == 1


def test_a_moved_desired_state_is_refused(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = planned(repo, "stg")
    intent = repo / "agents/order-desk/intents/order.status.yaml"
    intent.write_text(intent.read_text(encoding="utf-8").replace("priority: 500000", "priority: 400000"))
    assert "the desired state moved since planning" in refused(repo, fake, capsys, plan)


def test_a_changed_live_agent_is_refused(
    repo: Path, fake: FakeCX, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(repo, "apply", "stg", "--auto-approve") == 0
    (repo / "agents/order-desk/intents/order.status.yaml").write_text(
        (repo / "agents/order-desk/intents/order.status.yaml").read_text().replace("500000", "400000")
    )
    plan = planned(repo, "stg")
    agent_id = yaml.safe_load((repo / "environments/stg.yaml").read_text())["agent_id"]
    clients.intents.create_intent(
        parent=f"projects/{PROJECT}/locations/global/agents/{agent_id}",
        intent=cx.Intent(display_name="made.in.the.console"),
    )
    err = refused(repo, fake, capsys, plan)
    assert 'stg: live changed since planning: intent "made.in.the.console" created by unknown ' in err


def test_an_unresolvable_secret_is_refused(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV)
    plan = planned(repo, "stg")  # planning without the secret is fine (a PR job has none)
    assert json.loads(plan.read_text())["secrets"] == {"orders-api/X-Api-Key": None}
    err = refused(repo, fake, capsys, plan)
    assert "secret 'orders-api/X-Api-Key' cannot be resolved" in err and SECRET_ENV in err
    # A value other than the planned one is refused too.
    monkeypatch.setenv(SECRET_ENV, SECRET_VALUE)
    plan = planned(repo, "stg")
    monkeypatch.setenv(SECRET_ENV, "another")
    assert "has another value than when the plan was made" in refused(repo, fake, capsys, plan)


def test_a_tree_that_no_longer_validates_is_refused(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = planned(repo, "stg")
    shutil.rmtree(repo / "agents/order-desk/flows/Returns")  # still routed to from the start flow
    err = refused(repo, fake, capsys, plan)
    assert "desired state of stg" in err and "Returns" in err


def test_deleting_more_than_the_safety_share_needs_force(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(repo, "apply", "stg", "--auto-approve") == 0
    tiny = repo / "agents" / "tiny"
    tiny.mkdir()
    for rel in (
        "agent.yaml",
        "flows/Default Start Flow/flow.yaml",
        "intents/Default Welcome Intent.yaml",
        "intents/Default Negative Intent.yaml",
    ):
        (tiny / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(repo / "agents/order-desk" / rel, tiny / rel)
    flow = tiny / "flows/Default Start Flow/flow.yaml"
    body = yaml.safe_load(flow.read_text(encoding="utf-8"))
    flow.write_text(yaml.safe_dump({"display_name": body["display_name"]}, allow_unicode=True))
    plan = repo / "shrink.json"
    assert cli(repo, "plan", "stg", "--from", "agents/tiny", "-o", str(plan)) == 0
    assert "the plan deletes" in refused(repo, fake, capsys, plan)
    assert cli(repo, "apply", str(plan), "--force") == 0
    assert cli(repo, "plan", "stg", "--from", "agents/tiny", "--detailed-exitcode") == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "bad.json:1: not JSON: Expecting property name enclosed in double quotes"),
        ("[1, 2]", "bad.json:1: a plan file holds one JSON object"),
        ('{"format": "something-else"}', 'bad.json: not a cxops plan file (no "format": "cxops-plan")'),
        (
            '{"format": "cxops-plan", "version": 99}',
            "bad.json: version: plan file version 99; this cxops reads version 1",
        ),
        (
            '{"format": "cxops-plan", "version": 1, "stage": "stg"}',
            "bad.json: plan file is incomplete or malformed",
        ),
        (None, "bad.json: cannot read plan file: No such file or directory"),
    ],
)
def test_a_broken_plan_file_is_one_clear_line(
    repo: Path,
    fake: FakeCX,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    content: str | None,
    message: str,
) -> None:
    monkeypatch.chdir(repo)
    if content is not None:
        (repo / "bad.json").write_text(content)
    fake.reset_calls()
    assert cli(repo, "apply", "bad.json") == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and len(err.strip().splitlines()) == 1, err
    assert fake.write_count() == 0


def test_an_unwritable_plan_path_is_one_clear_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "a-file").write_text("not a folder")
    capsys.readouterr()
    assert cli(repo, "plan", "stg", "-o", str(repo / "a-file" / "p.json")) == 1
    err = capsys.readouterr().err
    assert (
        err.startswith(f"error: {repo / 'a-file' / 'p.json'}: cannot write: ") and len(err.splitlines()) == 1
    )
