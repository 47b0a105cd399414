"""What an environment stage serves: `diff` and `pull` of an environment stage read the pinned
flow versions' content (CompareVersions, never LoadVersion, the draft untouched), not the draft;
where a version cannot be read they say so in one line. Real client, stand-in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from google.cloud import dialogflowcx_v3 as cx

from cxops.fake import FakeCX
from tests.conftest import client
from tests.stagerepo import (
    RETURNS_PAGE,
    SECRETS,
    edit_returns_page,
    empty_agent,
    sample_in_stand_in,
    stage_file,
)
from tests.test_envstage import PRD_URI, PROJECT, STG_URI, cli

NEW_TEXT = "can be returned today."


@pytest.fixture
def pinned(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """stg (the draft) and prd (environment `production`, pinned to the first versions); then
    the Returns page edited and applied to stg only: the draft moved on, prd did not."""
    sample_in_stand_in(tmp_path, fake.address, monkeypatch)
    agent = empty_agent(clients, PROJECT, ["en", "ja"], "Orders")
    hook = "overrides:\n  webhooks/orders-api:\n    generic_web_service.uri: {}\n"
    stage_file(tmp_path, "stg", "order-desk", PROJECT, agent, SECRETS + hook.format(STG_URI))
    env = SECRETS + "environment: production\n" + hook.format(PRD_URI)
    stage_file(tmp_path, "prd", "order-desk", PROJECT, agent, env)
    assert cli(tmp_path, "apply", "stg", "--auto-approve") == 0
    assert cli(tmp_path, "apply", "prd", "--auto-approve") == 0
    assert cli(tmp_path, "diff", "prd", "stg") == 0  # overrides are taken out on both sides
    edit_returns_page(tmp_path, NEW_TEXT)
    assert cli(tmp_path, "apply", "stg", "--auto-approve") == 0
    return tmp_path


def test_diff_of_an_environment_stage_shows_the_pinned_version_not_the_draft(
    pinned: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    fake.reset_calls()
    assert cli(pinned, "diff", "prd", "stg") == 3
    out = capsys.readouterr().out
    assert "Check Return Eligibility" in out and NEW_TEXT in out
    assert fake.count("CompareVersions") > 0 and fake.count("LoadVersion") == 0 and fake.write_count() == 0
    # The tree holds what stg's draft holds; the environment still serves the old text.
    assert cli(pinned, "diff", "stg", "agents/order-desk") == 0
    assert cli(pinned, "diff", "prd", "agents/order-desk") == 3
    assert cli(pinned, "diff", "prd") == 3  # against its own tree
    assert cli(pinned, "diff", "stg") == 0
    capsys.readouterr()
    assert cli(pinned, "diff", "agents/order-desk") == 1
    assert "is no stage (environments/agents/order-desk.yaml): name both sides" in capsys.readouterr().err
    # Raw: the environment's webhook override is what prd serves.
    capsys.readouterr()
    assert cli(pinned, "diff", "prd", "stg", "--raw") == 3
    raw = capsys.readouterr().out
    assert PRD_URI in raw and STG_URI in raw


def test_pull_of_an_environment_stage_writes_the_pinned_version(pinned: Path, fake: FakeCX) -> None:
    fake.reset_calls()
    assert cli(pinned, "pull", "prd") == 0
    assert fake.count("LoadVersion") == 0 and fake.write_count() == 0
    text = (pinned / RETURNS_PAGE).read_text(encoding="utf-8")
    assert NEW_TEXT not in text and "can be returned." in text
    assert cli(pinned, "diff", "prd", "agents/order-desk") == 0
    assert cli(pinned, "pull", "stg") == 0
    assert NEW_TEXT in (pinned / RETURNS_PAGE).read_text(encoding="utf-8")


def test_an_unreadable_version_is_said_in_one_line(
    pinned: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.inject("CompareVersions", "PERMISSION_DENIED", count=1000)
    capsys.readouterr()
    assert cli(pinned, "diff", "prd", "stg") == 0  # the draft stands in for what cannot be read
    err = capsys.readouterr().err
    [line] = [x for x in err.splitlines() if "version content cannot be read" in x]
    assert "'Returns' (version 1: CompareVersions refused: PERMISSION_DENIED)" in line
    assert line.endswith("compare version ids instead")


CASE = Path("agents/order-desk/test-cases/Return - damaged item (en).yaml")


def test_a_test_run_of_an_environment_stage_converses_on_its_pinned_versions(
    pinned: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    # The test case (agent-level, unversioned: the draft's) now expects the draft's new text.
    case = pinned / CASE
    case.write_text(
        case.read_text(encoding="utf-8").replace("can be returned.]", NEW_TEXT + "]"), encoding="utf-8"
    )
    assert cli(pinned, "apply", "stg", "--auto-approve") == 0
    only = ["--only", "Return - damaged item (en)"]
    assert cli(pinned, "test", "stg", *only) == 0
    capsys.readouterr()
    fake.reset_calls()
    assert cli(pinned, "test", "prd", *only) == 1
    out = capsys.readouterr().out
    assert "can be returned." in out and "FAIL" in out.upper()
    assert fake.count("BatchRunTestCases") == 1 and fake.count("LoadVersion") == 0


def test_a_session_of_an_environment_talks_to_its_pinned_versions(
    pinned: Path, clients: Any, channel: Any
) -> None:
    sessions = client(cx.SessionsClient, channel)
    [agent] = clients.agents.list_agents(parent=f"projects/{PROJECT}/locations/global")
    [env] = clients.environments.list_environments(parent=agent.name)

    def says(session: str) -> str:
        query = cx.QueryInput(
            text=cx.TextInput(text="I'd like to return B-20417 because it's damaged"), language_code="en"
        )
        params = {"return_eligible": True}
        response = sessions.detect_intent(
            request={"session": session, "query_input": query, "query_params": {"parameters": params}}
        )
        return " ".join(t for m in response.query_result.response_messages for t in m.text.text)

    assert NEW_TEXT in says(f"{agent.name}/sessions/draft-1")
    served = says(f"{env.name}/sessions/env-1")
    assert NEW_TEXT not in served and "can be returned." in served
