"""Preview agents through the real client against the stand-in: up (create + RestoreAgent, then
plan/apply writes), pull from a branch's agent, down, list and prune — only labelled agents."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from google.cloud import dialogflowcx_v3 as cx

from cxops.cli.main import main
from cxops.fake import FakeCX
from cxops.stage.config import parse_stage
from cxops.stage.preview import display_branch, parse_label
from tests.stagerepo import SECRETS, sample_in_stand_in

PROJECT = "acme-bots-preview"
PARENT = f"projects/{PROJECT}/locations/global"
PREVIEW = f"""agent: order-desk
project: {PROJECT}
location: global
agent_display_name: "{{agent}} · {{branch}}"
preview: true
overrides:
  webhooks/orders-api:
    generic_web_service.uri: https://orders.preview.example.com/cx
{SECRETS}"""


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture
def repo(fake: FakeCX, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sample_in_stand_in(tmp_path, fake.address, monkeypatch)
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "preview.yaml").write_text(PREVIEW)
    git(tmp_path, "init", "-q", "-b", "feature/returns")
    return tmp_path


def cli(root: Path, *args: str) -> int:
    return main(["--root", str(root), *args])


def agents(clients: Any) -> dict[str, Any]:
    return {a.display_name: a for a in clients.agents.list_agents(parent=PARENT)}


def test_up_creates_by_restore_then_updates_by_writes_and_pull_brings_console_edits_back(
    repo: Path, fake: FakeCX, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(repo, "preview", "up") == 0  # the branch checked out
    out = capsys.readouterr().out
    assert fake.count("CreateAgent") == 1 and fake.count("RestoreAgent") == 1
    agent = agents(clients)["order-desk · feature/returns"]
    assert f"https://dialogflow.cloud.google.com/cx/{agent.name}" in out
    label = parse_label(agent.description)
    assert label is not None and label.branch == "feature/returns" and label.stage == "preview"
    assert agent.description.startswith("Customer service for the online shop")
    assert agent.default_language_code == "en" and list(agent.supported_language_codes) == ["ja"]
    assert agent.time_zone == "Asia/Tokyo"
    hook = next(iter(clients.webhooks.list_webhooks(parent=agent.name)))
    assert hook.generic_web_service.uri == "https://orders.preview.example.com/cx"

    # The branch moves on: the next up writes only the change, and keeps the label.
    intent_file = repo / "agents/order-desk/intents/confirm.yes.yaml"
    intent_file.write_text(intent_file.read_text().replace("description:", "description: Yes.", 1))
    fake.reset_calls()
    assert cli(repo, "preview", "up", "--branch", "feature/returns") == 0
    assert fake.count("CreateAgent", "RestoreAgent") == 0 and fake.count("UpdateIntent") >= 1
    assert parse_label(agents(clients)["order-desk · feature/returns"].description) == label
    fake.reset_calls()
    assert cli(repo, "preview", "up", "--format", "markdown") == 0
    comment = capsys.readouterr().out
    assert fake.write_count() == 0
    assert "### Preview agent for `feature/returns`" in comment and agent.name in comment
    assert "cxops pull preview --branch 'feature/returns'" in comment

    # Someone edits the preview agent in the console; pull brings it into the branch's tree.
    status = next(
        i for i in clients.intents.list_intents(parent=agent.name) if i.display_name == "confirm.no"
    )
    status.training_phrases.append(
        cx.Intent.TrainingPhrase(parts=[cx.Intent.TrainingPhrase.Part(text="no way")], repeat_count=1)
    )
    clients.intents.update_intent(intent=status, update_mask={"paths": ["training_phrases"]})
    assert cli(repo, "pull", "preview", "--branch", "feature/returns") == 0
    tree = repo / "agents/order-desk"
    assert "no way" in (tree / "intents/confirm.no.yaml").read_text()
    agent_yaml = (tree / "agent.yaml").read_text()
    assert "cxops-preview" not in agent_yaml and "Customer service for the online shop" in agent_yaml
    assert "orders.preview.example.com" not in (tree / "webhooks/orders-api.yaml").read_text()

    # The webhook that holds the secret is pointed elsewhere: applied, and said loudly.
    stage = repo / "environments/preview.yaml"
    stage.write_text(stage.read_text().replace("orders.preview.example.com", "orders.elsewhere.example.com"))
    capsys.readouterr()
    assert cli(repo, "preview", "up") == 0
    err = capsys.readouterr().err
    assert "!! SECURITY preview (feature/returns): " in err and "orders-api" in err
    hook = next(iter(clients.webhooks.list_webhooks(parent=agent.name)))
    assert hook.generic_web_service.uri == "https://orders.elsewhere.example.com/cx"


def test_list_down_and_prune_touch_only_this_stages_labelled_agents(
    repo: Path, fake: FakeCX, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    def other(name: str, description: str) -> str:
        made = clients.agents.create_agent(
            parent=PARENT,
            agent=cx.Agent(
                display_name=name, default_language_code="en", time_zone="UTC", description=description
            ),
        )
        return str(made.name)

    handmade = other("order-desk · old-branch", "made by hand")
    foreign = other("x", "[cxops-preview stage=other branch=old created=2020-01-01T00:00:00Z]")
    stale = other(
        "order-desk · stale", "[cxops-preview stage=preview branch=stale created=2020-01-01T00:00:00Z]"
    )
    assert cli(repo, "preview", "up", "--branch", "fresh") == 0
    capsys.readouterr()
    assert cli(repo, "preview", "list") == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in listed] == ["stale", "fresh"]

    assert cli(repo, "preview", "prune", "--older-than", "14d") == 0
    names = {a.name for a in clients.agents.list_agents(parent=PARENT)}
    assert stale not in names and {handmade, foreign} <= names
    assert "order-desk · fresh" in agents(clients)

    assert cli(repo, "preview", "down", "--branch", "fresh") == 0
    assert set(agents(clients)) == {"order-desk · old-branch", "x"}
    fake.reset_calls()
    assert cli(repo, "preview", "down", "--branch", "fresh") == 0  # gone already: not an error
    assert fake.write_count() == 0
    assert cli(repo, "preview", "prune", "--older-than", "2 weeks") == 1
    assert "give a number and d, h or m" in capsys.readouterr().err


def test_list_agents_pages_through_the_real_client(clients: Any) -> None:
    for i in range(5):
        clients.agents.create_agent(
            parent=PARENT, agent=cx.Agent(display_name=f"a{i}", default_language_code="en", time_zone="UTC")
        )
    pager = clients.agents.list_agents(request=cx.ListAgentsRequest(parent=PARENT, page_size=2))
    pages = list(pager.pages)
    assert [len(p.agents) for p in pages] == [2, 2, 1]
    assert sorted(a.display_name for p in pages for a in p.agents) == [f"a{i}" for i in range(5)]


@pytest.mark.parametrize(
    ("extra", "line", "message"),
    [
        ("agent_id: abc\n", 6, "agent_id: a preview stage makes one agent per branch"),
        ("protected: true\n", 6, "protected: a preview stage cannot be protected"),
    ],
)
def test_preview_stage_file_mistakes_name_file_line_key(extra: str, line: int, message: str) -> None:
    text = f'agent: a\nproject: acme-bots\nagent_display_name: "{{branch}}"\npreview: true\nlocation: global\n{extra}'
    if "agent_id" in extra:
        text = text.replace('agent_display_name: "{branch}"\n', "")
        line -= 1
    with pytest.raises(Exception) as caught:
        parse_stage(text, "preview")
    assert str(caught.value).startswith(f"environments/preview.yaml:{line}: {message}")


def test_preview_display_name_needs_branch_and_known_placeholders() -> None:
    for name, words in (("Bot", "needs {branch}"), ("{agent} {user} {branch}", "unknown placeholder {user}")):
        with pytest.raises(Exception) as caught:
            parse_stage(f'agent: a\nproject: acme-bots\npreview: true\nagent_display_name: "{name}"\n', "p")
        assert str(caught.value).startswith("environments/p.yaml:4: agent_display_name: ")
        assert words in str(caught.value)


def test_branch_names_are_made_safe_for_display() -> None:
    assert display_branch("feature/returns") == "feature/returns"
    assert display_branch("fix: émoji 🎉 thing") == "fix-moji-thing"
    long = display_branch("feature/" + "x" * 80)
    assert len(long) == 40 and long != display_branch("feature/" + "x" * 79)


def test_other_commands_on_a_preview_stage_say_how_to_reach_its_agents(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(repo, "plan", "preview") == 1
    err = capsys.readouterr().err
    assert "environments/preview.yaml:5: preview: preview is a preview stage" in err


def test_the_tests_run_live_on_the_branchs_own_agent(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    # What the PR workflow does after `preview up`: the branch's agent runs its test cases.
    assert cli(repo, "test", "preview", "--branch", "feature/returns") == 1
    assert "no preview agent" in capsys.readouterr().err  # none yet: one line, no traceback
    assert cli(repo, "preview", "up") == 0
    capsys.readouterr()
    fake.reset_calls()
    results = repo / "preview.tests.json"
    assert cli(repo, "test", "preview", "--branch", "feature/returns", "-o", str(results)) == 0
    assert fake.count("BatchRunTestCases") == 1
    assert "test case(s) passed on preview (live)" in capsys.readouterr().out
    data = json.loads(results.read_text())
    assert data["mode"] == "live" and data["require_decided"] is True
    assert cli(repo, "test", "preview", "--branch", "other") == 1
    assert "branch 'other' has no preview agent" in capsys.readouterr().err
