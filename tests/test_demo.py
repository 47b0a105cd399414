"""`cxops demo` end to end: each step's outcome, not just its exit code."""

from __future__ import annotations

import re

import pytest

from cxops.cli.main import main


def test_demo_builds_dev_and_reads_every_stage_back(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"started the CX stand-in at 127\.0\.0\.1:\d+", out)
    agents = re.findall(
        r"^\s+(dev|stg|prd): (projects/cxops-demo-\1/locations/global/agents/[0-9a-f-]{36})$", out, re.M
    )
    assert [stage for stage, _ in agents] == ["dev", "stg", "prd"]
    counts = dict(re.findall(r"^\s+(dev|stg|prd): (\d+ flows, .*)$", out, re.M))
    # dev got the bot; stg and prd hold only what every new agent has.
    assert counts["dev"] == "2 flows, 1 pages, 4 intents, 1 entity types, 1 webhooks"
    assert counts["stg"] == counts["prd"] == "1 flows, 0 pages, 2 intents, 0 entity types, 0 webhooks"
    calls = re.search(r"(\d+) API calls \((\d+) writes\)", out)
    assert calls is not None and int(calls.group(2)) == 14


def test_demo_pulls_dev_into_a_tree_without_its_secret(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"agents/orders: 10 resources in 10 files", out)
    assert "secret ${secret:orders-api/X-Api-Key} written instead of the value (env:ORDERS_API_KEY)" in out
    assert "dev-key-123" not in out
    assert "ja: ['注文 [12345](order_id) はどこ']" in out
    assert "cxops validate orders: 0 problem(s)" in out
    assert "cxops pull dev --via list: 0 files rewritten" in out
