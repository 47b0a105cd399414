"""`cxops stage create` and `cxops fake serve --agents-from`: a stage's agent from nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from google.cloud import dialogflowcx_v3 as cx

from cxops.cli.main import main
from cxops.fake import FakeCX
from tests.stagerepo import SAMPLE

ROOT = Path(__file__).resolve().parents[1]


def repo(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE, tmp_path / "agents" / "order-desk")
    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    return tmp_path


def agents_in(clients: Any, project: str) -> list[cx.Agent]:
    return list(clients.agents.list_agents(parent=f"projects/{project}/locations/global"))


def test_stage_create_makes_the_agent_with_the_trees_languages(
    fake: FakeCX,
    clients: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CXOPS_ORDERS_API_KEY_STG", "k")
    root = repo(tmp_path)
    host = ["--root", str(root), "--emulator-host", fake.address]
    assert main(["stage", "create", "stg", *host]) == 0
    assert "stg: created agent 'Order Desk (stg)'" in capsys.readouterr().out
    [agent] = agents_in(clients, "cxops-demo-stg")
    tree = (root / "agents" / "order-desk" / "agent.yaml").read_text()
    assert agent.display_name == "Order Desk (stg)"
    assert f"default_language_code: {agent.default_language_code}" in tree
    assert f"time_zone: {agent.time_zone}" in tree
    assert list(agent.supported_language_codes) and all(c in tree for c in agent.supported_language_codes)
    # Now the stage works: the empty agent plans.
    assert main(["plan", "stg", *host, "-q"]) == 0
    # Twice is refused, and so is a protected stage without an approver.
    assert main(["stage", "create", "stg", *host]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["stage", "create", "prd", *host]) == 1
    assert "prd is protected: creating its agent needs --approved-by NAME" in capsys.readouterr().err
    assert agents_in(clients, "cxops-demo-prd") == []
    assert main(["stage", "create", "prd", *host, "--approved-by", "lead bob"]) == 0
    [prd] = agents_in(clients, "cxops-demo-prd")
    assert "\n[cxops-created by=cxops-stage-create approved_by=lead_bob at=20" in f"\n{prd.description}"
    # The approval line is cxops's own: the new agent's description is no difference to plan.
    capsys.readouterr()
    assert main(["diff", "prd", *host, "--format", "json"]) == 3
    changes = json.loads(capsys.readouterr().out)["resources"]
    assert [c for c in changes if c["kind"] != "agent"]  # the empty agent does differ from the tree
    assert not [
        f for c in changes if c["kind"] == "agent" for f in c["fields"] if f["path"][0] == "description"
    ]
