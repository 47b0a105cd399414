"""Secret values in a plan are digests keyed by the plan's own random salt (issue 28 item 6):
no unsalted sha256 a weak secret can be guessed from or two plans linked by, and the gate still
sees a secret that changed between plan and apply (in the stage's source or in CX)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from cxops.cli.main import main
from cxops.core.plan import hash_of_data
from cxops.fake import FakeCX
from tests.stagerepo import SECRET_ENV, SECRET_VALUE, SECRETS, empty_agent, sample_in_stand_in, stage_file

PROJECT = "acme-bots-stg"
SECRET = "orders-api/X-Api-Key"


@pytest.fixture
def repo(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sample_in_stand_in(tmp_path, fake.address, monkeypatch)
    stg = empty_agent(clients, PROJECT, ["en", "ja"], "Orders (stg)")
    stage_file(tmp_path, "stg", "order-desk", PROJECT, stg, SECRETS)
    return tmp_path


def cli(root: Path, *args: str) -> int:
    return main(["--root", str(root), "-q", *args])


def plan(repo: Path, name: str) -> dict[str, Any]:
    path = repo / name
    assert cli(repo, "plan", "stg", "-o", str(path)) == 0
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def live_webhook(clients: Any, repo: Path) -> Any:
    agent_id = yaml.safe_load((repo / "environments" / "stg.yaml").read_text())["agent_id"]
    parent = f"projects/{PROJECT}/locations/global/agents/{agent_id}"
    return next(iter(clients.webhooks.list_webhooks(parent=parent)))


def apply_refused(repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str], name: str) -> str:
    capsys.readouterr()
    fake.reset_calls()
    assert cli(repo, "apply", str(repo / name)) == 1
    assert fake.write_count() == 0
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    return err


def test_no_unsalted_hash_of_a_secret_reaches_a_plan_or_its_backup(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli(repo, "apply", "stg", "--auto-approve") == 0
    # A rotation: the plan now holds the secret as planned, as a change (before / after) and
    # in the live fingerprint; the pending backup is named by that fingerprint.
    monkeypatch.setenv(SECRET_ENV, "weak")
    data = plan(repo, "p.json")
    assert data["secrets"][SECRET].startswith("hmac-sha256:")
    [change] = [c for c in data["changes"] if c["kind"] == "webhook"]
    assert [f["before"][:12] for f in change["fields"]] == ["hmac-sha256:"]
    written = [(repo / "p.json").read_text(), *(p.read_text() for p in (repo / ".cxops").rglob("*.json"))]
    for value in (SECRET_VALUE, "weak"):
        unsalted = hashlib.sha256(value.encode()).hexdigest()
        assert all(value not in text and unsalted not in text for text in written)


def test_two_plans_of_the_same_secret_carry_different_digests(repo: Path) -> None:
    assert cli(repo, "apply", "stg", "--auto-approve") == 0
    first, second = plan(repo, "a.json"), plan(repo, "b.json")
    assert first["secret_salt"] != second["secret_salt"]
    assert len(bytes.fromhex(first["secret_salt"])) == 32
    # Nothing to write: the live fingerprint (which folds in the live secret) is all that holds it.
    assert first["live_fingerprint"] != second["live_fingerprint"]
    assert first["desired_fingerprint"] == second["desired_fingerprint"]


def test_a_secret_changed_in_its_source_after_planning_is_refused(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = plan(repo, "a.json"), plan(repo, "b.json")
    assert first["secrets"][SECRET] != second["secrets"][SECRET]
    monkeypatch.setenv(SECRET_ENV, SECRET_VALUE + "-changed")
    assert "has another value than when the plan was made" in apply_refused(repo, fake, capsys, "a.json")
    monkeypatch.setenv(SECRET_ENV, SECRET_VALUE)
    assert cli(repo, "apply", str(repo / "a.json")) == 0


def test_a_secret_rotated_in_cx_after_planning_is_refused(
    repo: Path,
    fake: FakeCX,
    clients: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert cli(repo, "apply", "stg", "--auto-approve") == 0
    (repo / "agents/order-desk/intents/order.status.yaml").write_text(
        (repo / "agents/order-desk/intents/order.status.yaml").read_text().replace("500000", "400000")
    )
    plan(repo, "p.json")
    hook = live_webhook(clients, repo)
    hook.generic_web_service.request_headers["X-Api-Key"] = "set-in-the-console"
    clients.webhooks.update_webhook(webhook=hook)
    # Only the header's value moved, and the plan holds it only salted: the gate re-reads the
    # agent in full (no watch: the plan is applied as if on another machine) and sees it.
    for pending in (repo / ".cxops").rglob("*.json"):
        pending.unlink()
    assert "live changed since planning" in apply_refused(repo, fake, capsys, "p.json")


def test_a_plan_without_a_salt_is_refused(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    data = plan(repo, "p.json")
    del data["secret_salt"]
    data["secrets"][SECRET] = "sha256:" + hashlib.sha256(SECRET_VALUE.encode()).hexdigest()
    data["plan_hash"] = hash_of_data(data)  # as an older cxops wrote it, intact
    (repo / "old.json").write_text(json.dumps(data), encoding="utf-8")
    assert "made by an older cxops" in apply_refused(repo, fake, capsys, "old.json")
