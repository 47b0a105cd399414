"""`cxops test` and the test gate: results fail closed, bind to the content tested, and apply to a
stage with `tests:` refuses — one line, zero writes — without a passing result for its plan."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from cxops.cli.main import main
from cxops.core import testresults as tr
from cxops.core.testresults import TestRun
from cxops.fake import FakeCX
from cxops.render import testout
from cxops.workflows import resultfile
from tests.stagerepo import APPROVAL_KEY, SECRETS, empty_agent, sample_in_stand_in, stage_file

PROJECT = "acme-bots-prd"


@pytest.fixture
def repo(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sample_in_stand_in(tmp_path, fake.address, monkeypatch)
    # Unsigned results count where no key is set; the tests that sign set one themselves.
    monkeypatch.delenv("CXOPS_APPROVAL_KEY")
    stg = empty_agent(clients, PROJECT, ["en", "ja"], "Orders (stg)")
    stage_file(tmp_path, "stg", "order-desk", PROJECT, stg, SECRETS + "tests: required\n")
    prd = empty_agent(clients, PROJECT, ["en", "ja"], "Orders")
    stage_file(
        tmp_path,
        "prd",
        "order-desk",
        PROJECT,
        prd,
        SECRETS
        + "protected: true\noverrides:\n  webhooks/orders-api:\n    generic_web_service.uri: https://prd.example.com/cx\n"
        + "tests: {required: true, 'on': stg}\n",
    )
    return tmp_path


def cli(root: Path, *args: str) -> int:
    return main(["--root", str(root), "-q", *args])


def desired_fingerprint(repo: Path, stage: str) -> str:
    path = repo / f"{stage}.plan.json"
    assert cli(repo, "plan", stage, "-o", str(path)) == 0
    return str(json.loads(path.read_text())["desired_fingerprint"])


def passing(fingerprints: dict[str, str], **fields: Any) -> TestRun:
    case = tr.CaseResult("Order status - shipped (en)", ("#en",), tr.PASSED, 2)
    run = TestRun(
        target="agents/order-desk",
        mode="offline",
        agent="order-desk",
        created_at="2026-12-03T07:00:00Z",
        content_fingerprint="sha256:" + "0" * 64,
        desired_fingerprints=fingerprints,
        cases=(case,),
    )
    return dataclasses.replace(run, **fields)


def results_file(repo: Path, run: TestRun, key: str | None = None) -> Path:
    if key is not None:
        run = dataclasses.replace(run, signature=tr.sign(key, run.hash))
    path = repo / "results.json"
    resultfile.save(run, path)
    return path


def refused(fake: FakeCX, capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> str:
    capsys.readouterr()
    fake.reset_calls()
    assert cli(repo, "apply", *args) == 1
    err = capsys.readouterr().err
    assert fake.write_count() == 0, fake.calls()
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), err
    return err


def test_a_test_that_cannot_run_is_a_failure_never_a_skip(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(repo, "apply", "stg", "--auto-approve", "--via", "restore", "--test-results", "x") == 1
    stg_fp = desired_fingerprint(repo, "stg")
    assert cli(repo, "apply", "stg", "--auto-approve", "--via", "restore",
               "--test-results", str(results_file(repo, passing({"stg": stg_fp})))) == 0  # fmt: skip
    fake.inject("BatchRunTestCases", "INTERNAL", count=1)  # where the stand-in runs them
    capsys.readouterr()
    junit, out = repo / "junit.xml", repo / "r.json"
    assert cli(repo, "test", "stg", "--junit", str(junit), "-o", str(out)) == 1
    text = capsys.readouterr().out
    assert text.count("ERROR ") == 7 and "could not run: BatchRunTestCases" in text
    assert text.rstrip().endswith(
        "0 of 7 test case(s) passed on stg (live) (0 failed, 7 could not run): FAILED"
    )
    suite = ET.parse(junit).getroot()[0]
    assert (suite.get("tests"), suite.get("errors"), suite.get("skipped")) == ("7", "7", "0")
    assert all(case.find("error") is not None for case in suite)
    data = json.loads(out.read_text())
    assert data["passed"] is False and data["summary"]["errors"] == 7
    # The live run vouches for the content stg runs: stg's and prd's desired states made of it.
    assert data["desired_fingerprints"]["stg"] == stg_fp
    assert data["desired_fingerprints"]["prd"] == desired_fingerprint(repo, "prd")
    assert tr.intact(data)


def test_apply_to_a_stage_with_tests_refuses_without_a_passing_result(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fp = desired_fingerprint(repo, "stg")
    stg = ("stg", "--auto-approve", "--via", "restore")
    err = refused(fake, capsys, repo, *stg)
    assert "stg requires passing test results (tests in environments/stg.yaml)" in err
    failed = dataclasses.replace(
        passing({"stg": fp}), cases=(tr.CaseResult("Order status - shipped (en)", (), tr.FAILED, 2),)
    )
    assert "the tests did not pass (0 of 1 passed)" in refused(
        fake, capsys, repo, *stg, "--test-results", str(results_file(repo, failed))
    )
    assert "ran on other content than this plan deploys to stg" in refused(
        fake,
        capsys,
        repo,
        *stg,
        "--test-results",
        str(results_file(repo, passing({"stg": "sha256:" + "1" * 64}))),
    )
    partial = passing({"stg": fp}, tags=("#en",))
    assert "only a selection of the test cases ran" in refused(
        fake, capsys, repo, *stg, "--test-results", str(results_file(repo, partial))
    )
    # Altered after writing: a failing result edited to look passing.
    path = results_file(repo, failed)
    data = json.loads(path.read_text())
    data["tests"][0]["outcome"] = "passed"
    data["passed"] = True
    path.write_text(json.dumps(data))
    assert "altered after cxops test wrote them" in refused(
        fake, capsys, repo, *stg, "--test-results", str(path)
    )
    # With the key set, an unsigned result does not count, a signed one does.
    monkeypatch.setenv("CXOPS_APPROVAL_KEY", "k-123")
    good = passing({"stg": fp})
    assert "unsigned or forged" in refused(
        fake, capsys, repo, *stg, "--test-results", str(results_file(repo, good))
    )
    assert cli(repo, "apply", *stg, "--test-results", str(results_file(repo, good, key="k-123"))) == 0
    assert fake.write_count() > 0


def test_tests_on_stg_need_a_live_run_there_of_the_same_content(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXOPS_APPROVAL_KEY", APPROVAL_KEY)  # prd is protected: approvals are signed
    plan = repo / "prd.plan.json"
    prd_fp = desired_fingerprint(repo, "prd")
    assert cli(repo, "approve", str(plan), "--reviewer", "rev-bob") == 0
    err = refused(fake, capsys, repo, str(plan))
    assert "prd requires passing test results (tests in environments/prd.yaml): run cxops test stg" in err
    offline = results_file(repo, passing({"prd": prd_fp}), key=APPROVAL_KEY)
    err = refused(fake, capsys, repo, str(plan), "--test-results", str(offline))
    assert (
        "prd needs the tests to have passed live on stg" in err and "offline run of agents/order-desk" in err
    )
    other_stage = results_file(repo, passing({"prd": prd_fp}, mode="live", target="dev"), key=APPROVAL_KEY)
    assert "live on stg" in refused(fake, capsys, repo, str(plan), "--test-results", str(other_stage))
    on_stg = results_file(repo, passing({"prd": prd_fp}, mode="live", target="stg"), key=APPROVAL_KEY)
    assert cli(repo, "apply", str(plan), "--test-results", str(on_stg)) == 0


def test_bad_options_are_one_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for args, message in [
        (
            ("test", "--offline", "--min-coverage", "intents=0.8"),
            "--min-coverage 'intents=0.8': write TYPE=SHARE",
        ),
        (("test", "--offline", "--min-coverage", "intent=80"), "--min-coverage intent: '80' is not a share"),
        (("test", "--offline", "--only", "No such test"), "--only: no test case named 'No such test'"),
        (("test",), "name the stage to test, or test the tree with --offline"),
        (("test", "--offline", "--tag", "nope"), "no test cases to run: the selected tags has none"),
    ]:
        capsys.readouterr()
        assert cli(repo, *args) == 1
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1, err


# -- rendering a failure from the API's answer -------------------------------------------------

CASE = {
    "name": "projects/p/locations/global/agents/a/testCases/t1",
    "display_name": "Order status - shipped (en)",
    "tags": ["#order-status"],
    "test_case_conversation_turns": [
        {
            "user_input": {"input": {"text": {"text": "where is my order"}}},
            "virtual_agent_output": {
                "current_page": {"name": "projects/p/locations/global/agents/a/flows/f/pages/p1"},
                "triggered_intent": {"name": "projects/p/locations/global/agents/a/intents/i1"},
                "session_parameters": {"order_id": "A-1"},
                "text_responses": [{"text": ["Your order has shipped."]}],
            },
        }
    ],
}
RESULT = {
    "name": "projects/p/locations/global/agents/a/testCases/t1/results/r1",
    "test_result": "FAILED",
    "conversation_turns": [
        {
            "user_input": {"input": {"text": {"text": "where is my order"}}},
            "virtual_agent_output": {
                "current_page": {
                    "name": "projects/p/locations/global/agents/a/flows/f/pages/p2",
                    "display_name": "Ask Order",
                },
                "triggered_intent": {"name": "projects/p/locations/global/agents/a/intents/i1"},
                "session_parameters": {},
                "text_responses": [{"text": ["Which order?"]}],
                "differences": [{"type_": "PAGE", "description": "Expected page Order Status."}],
            },
        }
    ],
}
NAMES = {
    "projects/p/locations/global/agents/a/flows/f": "Order Status",
    "projects/p/locations/global/agents/a/flows/f/pages/p1": "Show Status",
    "projects/p/locations/global/agents/a/intents/i1": "order.status",
}


def test_a_failure_shows_its_first_differing_turn_in_every_format() -> None:
    case = tr.case_result(CASE, RESULT, NAMES, "")
    run = passing({}, cases=(case, tr.case_result(CASE, None, NAMES, "no result returned")))
    assert not run.passed and case.outcome == tr.FAILED
    text = testout.render_text(run)
    assert "FAIL  Order status - shipped (en) [#order-status]" in text
    assert "turn 1: user says 'where is my order'" in text
    assert "page: expected Order Status > Show Status, got Order Status > Ask Order" in text
    assert "ERROR Order status - shipped (en)" in text and "no result returned" in text
    markdown = testout.render_markdown(run)
    assert "<details><summary>Order status - shipped (en): failed</summary>" in markdown
    assert "| Order status - shipped (en) | FAIL | 1 |" in markdown
    suite = ET.fromstring(testout.render_junit(run))[0]
    assert suite.get("failures") == "1" and suite.get("errors") == "1"
    again = tr.from_data(json.loads(testout.render_json(run)), "r.json")
    assert again == run


def test_coverage_below_its_minimum_fails_the_run() -> None:
    data = {
        "intents": [
            {"intent": "projects/p/locations/global/agents/a/intents/i1", "covered": True},
            {"intent": "projects/p/locations/global/agents/a/intents/i2", "covered": False},
        ],
        "coverage_score": 0.5,
    }
    low = tr.coverage(
        "intent", data, {"projects/p/locations/global/agents/a/intents/i2": "order.cancel"}, 0.8
    )
    assert low.uncovered == ("order.cancel",) and not low.ok
    run = passing({}, coverage=(low,))
    assert not run.passed
    assert "coverage intent: 50% of 2 (minimum 80%) BELOW MINIMUM" in testout.render_text(run)
    assert passing({}, coverage=(dataclasses.replace(low, minimum=0.5),)).passed


# -- on the stand-in's conversation runtime ----------------------------------------------------


def test_the_sample_agent_passes_offline_and_its_results_open_the_gates(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXOPS_APPROVAL_KEY", APPROVAL_KEY)  # prd is protected: approvals are signed
    offline = repo / "offline.json"
    assert cli(repo, "test", "--offline", "-o", str(offline)) == 0
    text = capsys.readouterr().out
    assert text.count("PASS  ") == 7, text
    assert "7 of 7 test case(s) passed on agents/order-desk (offline, in the stand-in)" in text
    data = json.loads(offline.read_text())
    assert data["desired_fingerprints"]["stg"] == desired_fingerprint(repo, "stg")
    # stg says `tests: required`: the offline run of the tree it deploys is its ticket.
    assert (
        cli(repo, "apply", "stg", "--auto-approve", "--via", "restore", "--test-results", str(offline)) == 0
    )
    # prd says `tests: {on: stg}`: a live run on stg, polled as a long-running operation.
    fake.operation_polls = 1
    fake.reset_calls()
    live = repo / "stg.json"
    assert cli(repo, "test", "stg", "-o", str(live)) == 0
    fake.operation_polls = 0
    assert fake.count("BatchRunTestCases") == 1  # one operation, answered "not done" first
    plan = repo / "prd.plan.json"
    assert json.loads(live.read_text())["desired_fingerprints"]["prd"] == desired_fingerprint(repo, "prd")
    assert cli(repo, "approve", str(plan), "--reviewer", "rev-bob") == 0
    assert cli(repo, "apply", str(plan), "--test-results", str(live)) == 0


def test_a_change_that_breaks_a_test_case_fails_it_with_the_difference(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = repo / "agents/order-desk/flows/Delivery Change/pages/Choose New Date.yaml"
    page.write_text(page.read_text().replace("And which time slot:", "Which slot:"))
    junit = repo / "junit.xml"
    name = "Delivery change - new date (en)"
    assert cli(repo, "test", "--offline", "--tag", "delivery", "--junit", str(junit)) == 1
    text = capsys.readouterr().out
    assert (
        f"FAIL  {name}" in text
        and "turn 1: user says 'can you deliver order A-12345 on friday instead'" in text
    )
    assert 'messages: expected ["And which time slot:' in text and 'got ["Which slot:' in text
    assert ET.parse(junit).getroot()[0].get("failures") == "1"
    assert cli(repo, "--format", "markdown", "test", "--offline", "--only", name) == 1
    assert f"<details><summary>{name}: failed</summary>" in capsys.readouterr().out


def test_coverage_offline_lists_what_the_tests_do_not_reach(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(repo, "test", "--offline", "--coverage") == 0
    text = capsys.readouterr().out
    for kind in ("intent", "transition", "route_group"):
        assert f"coverage {kind}: " in text
    assert "not covered: " in text
    assert cli(repo, "test", "--offline", "--min-coverage", "intent=1.0") == 1
    assert "coverage intent: " in (out := capsys.readouterr().out) and "BELOW MINIMUM" in out


def test_a_rollback_is_tested_on_the_backup_it_goes_back_to(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = repo / "tree.json"
    assert cli(repo, "test", "--offline", "-o", str(ticket)) == 0
    assert cli(repo, "apply", "stg", "--auto-approve", "--via", "restore", "--test-results", str(ticket)) == 0
    intent = repo / "agents/order-desk/intents/order.status.yaml"
    intent.write_text(intent.read_text(encoding="utf-8").replace("priority: 500000", "priority: 400000"))
    assert cli(repo, "test", "--offline", "-o", str(ticket)) == 0
    assert cli(repo, "apply", "stg", "--auto-approve", "--test-results", str(ticket)) == 0
    backup = max((repo / ".cxops/backups/stg").iterdir())  # the state before the second apply
    plan = repo / "rollback.json"
    assert cli(repo, "rollback", "stg", "-o", str(plan)) == 0
    capsys.readouterr()
    assert cli(repo, "apply", str(plan), "--test-results", str(ticket)) == 1  # the tree's, not the backup's
    assert "ran on other content than this plan deploys to stg" in capsys.readouterr().err
    rel = backup.relative_to(repo).as_posix()
    assert cli(repo, "test", "--offline", f"backup:{rel}", "-o", str(ticket)) == 0
    assert json.loads(ticket.read_text())["desired_fingerprints"] == {
        "stg": json.loads(plan.read_text())["desired_fingerprint"]
    }
    assert cli(repo, "apply", str(plan), "--test-results", str(ticket)) == 0


def test_an_environment_stage_is_gated_and_tested_in_its_environment(
    fake: FakeCX,
    clients: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sample_in_stand_in(tmp_path, fake.address, monkeypatch)
    agent = empty_agent(clients, PROJECT, ["en", "ja"], "Orders")
    stage_file(tmp_path, "stg", "order-desk", PROJECT, agent, SECRETS)
    stage_file(
        tmp_path, "prd", "order-desk", PROJECT, agent, SECRETS + "environment: production\ntests: required\n"
    )
    assert cli(tmp_path, "apply", "stg", "--auto-approve", "--via", "restore") == 0
    err = refused(fake, capsys, tmp_path, "prd", "--auto-approve")
    assert "prd requires passing test results (tests in environments/prd.yaml)" in err
    ticket = tmp_path / "prd.json"
    assert cli(tmp_path, "test", "prd", "--offline", "-o", str(ticket)) == 0
    assert cli(tmp_path, "apply", "prd", "--auto-approve", "--test-results", str(ticket)) == 0
    assert fake.count("CreateEnvironment") == 1
    live = tmp_path / "live.json"
    assert cli(tmp_path, "test", "prd", "-o", str(live)) == 0
    data = json.loads(live.read_text())
    assert data["environment"].startswith(f"projects/{PROJECT}/locations/global/agents/{agent}/environments/")
    assert data["desired_fingerprints"] == {}  # the environment serves versions, not the draft read
