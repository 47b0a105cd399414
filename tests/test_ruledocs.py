"""Every lint rule has a page (what, why, example, fix, silence): `cxops lint --explain`, the
SARIF rule help GitHub code scanning shows, and the documentation site give the same text."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cxops.cli.main import main
from cxops.core.lint.registry import Rule, all_rules
from cxops.workflows import ruledocs
from tests.stagerepo import SAMPLE


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_every_rule_has_a_page_with_each_section(rule: Rule) -> None:
    body = ruledocs.body(rule)
    assert body is not None, f"no page: write cxops/core/lint/docs/{rule.id}.md"
    positions = [body.find(section + "\n") for section in ruledocs.SECTIONS]
    assert -1 not in positions and positions == sorted(positions), positions
    assert "```" in body  # the example
    page = ruledocs.page(rule)
    assert f"# cxops: ignore[{rule.id}]" in page and "## How to silence" in page


def test_explain_prints_the_page_and_refuses_an_unknown_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--explain", "safety/insecure-webhook"]) == 0
    out = capsys.readouterr().out
    rule = next(r for r in all_rules() if r.id == "safety/insecure-webhook")
    assert out == ruledocs.page(rule)
    assert main(["lint", "--explain", "safety/insecure-webhok"]) == 1
    assert "did you mean safety/insecure-webhook?" in capsys.readouterr().err


def test_sarif_carries_each_rules_page_and_text_output_points_to_explain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(SAMPLE, tmp_path / "agents" / "order-desk")
    sarif = tmp_path / "lint.sarif"
    main(["--root", str(tmp_path), "lint", "--sarif", str(sarif)])
    out = capsys.readouterr().out
    assert "cxops lint --explain RULE-ID" in out  # the sample agent has findings
    rules = json.loads(sarif.read_text())["runs"][0]["tool"]["driver"]["rules"]
    pages = ruledocs.pages()
    assert {r["id"]: r["help"]["markdown"] for r in rules} == pages
