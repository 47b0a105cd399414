"""Undecided offline tests (issue 25): a test the stand-in cannot decide is neither passed nor
failed; it says why in every format, does not fail `cxops test --offline` unless
--require-decided, and passes a stage's gate only where its `tests.undecided` allows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from cxops.cli.main import main
from cxops.core import testresults as tr
from cxops.fake import FakeCX
from tests.stagerepo import SECRETS, empty_agent, sample_in_stand_in, stage_file

PROJECT = "acme-bots-prd"
CASE = "Handoff - agent available (en)"
PAGE = "agents/order-desk/flows/Customer Support/pages/Check Agent Availability.yaml"


@pytest.fixture
def repo(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sample_in_stand_in(tmp_path, fake.address, monkeypatch)
    stg = empty_agent(clients, PROJECT, ["en", "ja"], "Orders (stg)")
    stage_file(tmp_path, "stg", "order-desk", PROJECT, stg, SECRETS + "tests: required\n")
    # A system function the stand-in does not model: the handoff test cannot be decided.
    page = tmp_path / PAGE
    page.write_text(
        page.read_text().replace(
            "condition: $session.params.agents_available = true",
            'condition: "$sys.func.IS_TRUE($session.params.agents_available)"',
        )
    )
    return tmp_path


def cli(root: Path, *args: str) -> int:
    return main(["--root", str(root), "-q", *args])


def test_an_undecided_test_says_why_and_fails_only_when_required(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    out, junit = repo / "r.json", repo / "junit.xml"
    assert cli(repo, "test", "--offline", "-o", str(out), "--junit", str(junit)) == 0
    text = capsys.readouterr().out
    assert f"UNDECIDED {CASE}" in text and "undecided assertions: unsupported 1" in text
    assert text.count("PASS  ") == 6, text
    assert "(0 failed, 0 could not run, 1 undecided (unsupported 1; not failing)): passed" in text
    data = json.loads(out.read_text())
    assert data["version"] == 2 and data["require_decided"] is False
    assert data["summary"]["undecided"] == 1 and data["undecided_causes"] == {"unsupported": 1}
    case = next(t for t in data["tests"] if t["name"] == CASE)
    assert case["outcome"] == "undecided" and case["assertions"]["undecided"] == {"unsupported": 1}
    assert data["assertions"]["decided"] > 0 and tr.intact(data)
    suite = ET.parse(junit).getroot()[0]
    assert (suite.get("skipped"), suite.get("failures")) == ("1", "0")
    skipped = next(c for c in suite if c.get("name") == CASE).find("skipped")
    assert skipped is not None and "unsupported 1" in str(skipped.get("message"))

    # The gate: stg requires tests and, by default, every one decided.
    capsys.readouterr()
    fake.reset_calls()
    assert cli(repo, "apply", "stg", "--auto-approve", "--via", "restore", "--test-results", str(out)) == 1
    err = capsys.readouterr().err
    assert "1 test case(s) undecided offline (unsupported)" in err and fake.write_count() == 0
    stage = repo / "environments" / "stg.yaml"
    stage.write_text(
        stage.read_text().replace("tests: required", "tests: {required: true, undecided: allow}")
    )
    assert cli(repo, "apply", "stg", "--auto-approve", "--via", "restore", "--test-results", str(out)) == 0

    assert cli(repo, "--format", "markdown", "test", "--offline") == 0
    assert "| unsupported | 1 |" in capsys.readouterr().out
    assert cli(repo, "test", "--offline", "--require-decided", "--junit", str(junit)) == 1
    assert "failing: --require-decided" in capsys.readouterr().out
    assert ET.parse(junit).getroot()[0].get("failures") == "1"


def test_a_decided_failure_fails_beside_an_undecided_test(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = repo / "agents/order-desk/flows/Delivery Change/pages/Choose New Date.yaml"
    page.write_text(page.read_text().replace("And which time slot:", "Which slot:"))
    assert cli(repo, "test", "--offline") == 1
    text = capsys.readouterr().out
    assert "FAIL  Delivery change - new date (en)" in text and f"UNDECIDED {CASE}" in text


def test_webhook_fixtures_must_be_a_folder(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(repo, "test", "--offline", "--webhook-fixtures", str(repo / "nope")) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"error: --webhook-fixtures {repo / 'nope'}: no such folder"
