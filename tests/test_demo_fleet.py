"""`cxops demo --fleet` end to end: two agents, one change, only its agent listed and deployed."""

from __future__ import annotations

import contextlib
import io

from cxops.cli.main import main


def test_the_fleet_demo_deploys_only_the_agent_a_change_touched() -> None:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["demo", "--fleet"]) == 0
    out = buffer.getvalue()
    assert "cxops-deploy-agent.yml cxops-deploy.yml cxops-pr-agent.yml cxops-pr.yml" in out
    assert '[{"agent": "pizza", "stages": ["pizza/dev", "pizza/stg", "pizza/prd"], "files": 1}]' in out
    assert "pizza/stg: applied with 1 write call(s)" in out
    assert "tacos/stg (live) and agents/tacos: no differences" in out
