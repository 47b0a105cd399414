"""`cxops demo` end to end: each step's outcome, not just its exit code."""

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
        assert main(["demo"]) == 0
    return buffer.getvalue()


def test_three_stages_are_created_and_bootstrapped_with_one_restore_each(out: str) -> None:
    assert re.search(r"The CX stand-in is up at 127\.0\.0\.1:\d+", out)
    agents = re.findall(
        r"^\s+(dev|stg|prd): projects/cxops-demo-\1/locations/global/agents/[0-9a-f-]{36}$", out, re.M
    )
    assert agents == ["dev", "stg", "prd"]
    assert "$ cxops -q apply dev --auto-approve --via restore" in out
    assert "$ cxops -q apply prd-bootstrap.json --via restore" in out  # prd: plan, approve, apply


def test_the_console_edit_is_pulled_and_diffed_against_stg(out: str) -> None:
    assert re.search(r"agents/order-desk: pulled 80 resources from dev .*; 2 files written, 0 removed", out)
    assert "supplied by secrets.orders-api/X-Api-Key (env:CXOPS_ORDERS_API_KEY_DEV)" in out
    diff = out[out.index("$ cxops diff stg agents/order-desk") : out.index("6. ")]
    assert '+ training_phrases.ja: "荷物はもう発送されましたか"' in diff
    assert "~ timeout.seconds: 10 -> 8" in diff
    assert "display_name" not in diff  # each stage's agent keeps its own name
    assert "stg: overrides.webhooks/orders-api.generic_web_service.uri" in diff


def test_stg_gets_only_the_change_and_prd_needs_an_approval(out: str) -> None:
    assert "3 write call(s) (3 update)" in out
    assert "3 write calls for 2 changed resources" in out
    assert "error: prd is protected: the plan needs 1 approval(s), has 0 valid" in out
    assert "prd.plan.json: approved by lead-bob (signed" in out
    assert "stg (live) and agents/order-desk: no differences" in out
    assert "prd (live) and agents/order-desk: no differences" in out
    assert "prd's webhook: https://orders.example.com/cx (its own override)" in out
    assert "demo-prd-key" not in out and "demo-stg-key" not in out
    done = re.search(
        r"Done: dev → stg \((\d+) writes\) → prd \((\d+) writes\); \d+ API calls in all, ([\d.]+)s", out
    )
    assert done is not None and done.group(1) == done.group(2) == "3"


def test_the_tests_gate_the_pr_and_prd(out: str) -> None:
    pr = out[out.index("6. CI on the PR runs the agent's test cases offline") : out.index("7. ")]
    assert pr.count("PASS  ") == 7
    assert "7 of 7 test case(s) passed on agents/order-desk (offline, in the stand-in)" in pr
    assert "$ cxops test --offline agents/order-desk-broken --only 'Delivery change - new date (en)'" in pr
    assert "FAIL  Delivery change - new date (en)" in pr and 'got ["Which time slot suits you:' in pr
    assert "$ cxops test stg -o stg.test.json" in out
    assert "error: prd requires passing test results (tests in environments/prd.yaml)" in out
    assert "$ cxops -q apply prd.plan.json --test-results stg.test.json" in out


def test_an_environment_stage_pins_one_version_per_flow(out: str) -> None:
    assert "10. A stage can also be a CX environment" in out
    assert "+ version flow 'Returns' from the draft" in out
    assert re.search(r"(\d+) calls: one CreateVersion per flow, one CreateEnvironment", out)
    assert "canary: no drift: the environment is pinned as the last apply" in out
