"""The plan says what apply will cost before anyone approves it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cxops.cli.main import main
from cxops.core.plan import LEASE_WRITES, RESTORE_SUGGESTED_MINUTES
from cxops.fake import FakeCX
from tests.stagerepo import sample_stage

PROJECT = "acme-bots-stg"


@pytest.fixture
def repo(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sample_stage(tmp_path, fake.address, clients, monkeypatch, "rate_limits: {writes_per_minute: 60}\n")
    return tmp_path


def test_calls_and_time_at_the_stage_rate_in_every_renderer(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = repo / "p.json"
    assert main(["--root", str(repo), "-q", "plan", "stg", "-o", str(plan)]) == 0
    data = json.loads(plan.read_text())
    calls = len(data["writes"]) + LEASE_WRITES
    assert calls / 60 >= RESTORE_SUGGESTED_MINUTES  # the whole sample agent into an empty one
    assert data["cost"] == {
        "write_calls": calls,
        "long_running_operations": 0,
        "writes_per_minute": 60,
        "minutes_at_rate_limit": round(calls / 60, 1),
        "suggest_restore": True,
    }
    capsys.readouterr()
    assert main(["--root", str(repo), "plan", "stg"]) == 0
    text = capsys.readouterr().out
    assert f"apply: {calls} write calls with the stage's lease" in text
    assert f"at least {round(calls / 60, 1):g} min at 60 writes/min; consider --via restore" in text
    assert main(["--root", str(repo), "--format", "markdown", "plan", "stg"]) == 0
    assert f"apply: {calls} write calls" in capsys.readouterr().out
    # What the estimate says is what apply does (--via restore: one call instead). The pace is
    # not what is tested here: the stage goes unlimited for the apply of the same plan.
    stage = repo / "environments" / "stg.yaml"
    stage.write_text(stage.read_text().replace("rate_limits: {writes_per_minute: 60}\n", ""))
    fake.reset_calls()
    assert main(["--root", str(repo), "-q", "apply", str(plan)]) == 0
    assert fake.write_count() == calls


def test_versions_on_apply_are_counted_and_the_estimate_is_what_apply_does(
    fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample_stage(tmp_path, fake.address, clients, monkeypatch, "versions: on_apply\n")
    plan = tmp_path / "p.json"
    assert main(["--root", str(tmp_path), "-q", "plan", "stg", "-o", str(plan)]) == 0
    cost = json.loads(plan.read_text())["cost"]
    flows = len(list((tmp_path / "agents" / "order-desk" / "flows").iterdir()))
    assert cost["flow_versions"] == {"create": flows, "delete": 0}
    assert cost["long_running_operations"] == flows
    fake.reset_calls()
    assert main(["--root", str(tmp_path), "-q", "apply", str(plan)]) == 0
    assert fake.write_count() == cost["write_calls"]
    assert fake.count("CreateVersion") == flows
