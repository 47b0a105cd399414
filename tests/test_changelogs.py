"""Who changed what: the stand-in's changelog (one entry per write, user from x-cxops-user) read
through the real client, and the gate and drift naming who changed live and when."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.api_core import exceptions as gexc
from google.cloud import dialogflowcx_v3 as cx

from cxops.cli.main import main
from cxops.fake import FakeCX
from tests.conftest import PARENT
from tests.stagerepo import SECRETS, applied_sample, sample_in_stand_in, stage_file

ANA = (("x-cxops-user", "ana@example.com"),)
BEN = (("x-cxops-user", "ben@example.com"),)
PROJECT = "acme-bots-prd"


def logs(clients: Any, agent: str, filter: str = "") -> list[Any]:
    return list(
        clients.changelogs.list_changelogs(request=cx.ListChangelogsRequest(parent=agent, filter=filter))
    )


@pytest.fixture
def changelogs(clients: Any, channel: grpc.Channel) -> Any:
    from tests.conftest import client

    clients.changelogs = client(cx.ChangelogsClient, channel)
    return clients


def test_each_write_is_one_entry_with_its_user_and_the_documented_filters(changelogs: Any) -> None:
    clients = changelogs
    agent = clients.agents.create_agent(
        parent=PARENT, agent=cx.Agent(display_name="A", default_language_code="en", time_zone="UTC")
    ).name
    start = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    intent = clients.intents.create_intent(
        parent=agent, intent=cx.Intent(display_name="order.status"), metadata=ANA
    )
    intent.description = "where is my order"
    clients.intents.update_intent(intent=intent, update_mask={"paths": ["description"]}, metadata=BEN)
    hook = clients.webhooks.create_webhook(
        parent=agent,
        webhook=cx.Webhook(
            display_name="orders", generic_web_service=cx.Webhook.GenericWebService(uri="https://x")
        ),
    )
    clients.intents.delete_intent(name=intent.name, metadata=ANA)

    entries = logs(clients, agent, f"create_time >= {start}")
    assert [(e.action, e.type_, e.display_name, e.user_email) for e in entries] == [
        ("Delete", "intents", "order.status", "ana@example.com"),  # newest first
        ("Create", "webhooks", "orders", "unknown"),  # no header: unknown
        ("Update", "intents", "order.status", "ben@example.com"),
        ("Create", "intents", "order.status", "ana@example.com"),
    ]
    assert entries[0].resource == intent.name and entries[1].resource == hook.name
    by_ana = logs(clients, agent, 'user_email = "ana@example.com" AND type = "intents"')
    assert [e.action for e in by_ana] == ["Delete", "Create"]
    assert [e.action for e in logs(clients, agent, f'resource = "{intent.name}" AND action = "Update"')] == [
        "Update"
    ]
    assert [e.display_name for e in logs(clients, agent, 'display_name = "orders"')] == ["orders"]
    assert logs(clients, agent, "create_time > 2999-01-01T00:00:00Z") == []
    epoch = int(dt.datetime.now(dt.timezone.utc).timestamp()) - 3600
    assert len(logs(clients, agent, f'create_time_epoch_seconds > {epoch} AND type = "intents"')) == 3
    assert clients.changelogs.get_changelog(name=entries[2].name).user_email == "ben@example.com"

    pager = clients.changelogs.list_changelogs(
        request=cx.ListChangelogsRequest(parent=agent, filter=f"create_time >= {start}", page_size=3)
    )
    assert [len(p.changelogs) for p in pager.pages] == [3, 1]
    for bad in (
        'colour = "red"',
        'action = "Create" OR action = "Update"',
        "create_time >= yesterday",
        "type > 3",
    ):
        with pytest.raises(gexc.InvalidArgument):
            logs(clients, agent, bad)


@pytest.fixture
def repo(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return applied_sample(tmp_path, fake.address, clients, monkeypatch, PROJECT)


def edit_confirm_return(clients: Any, repo: Path) -> str:
    """Ana rewords the Confirm Return page's entry message in the console."""
    agent = (
        f"projects/{PROJECT}/locations/global/agents/"
        + ((repo / "environments/stg.yaml").read_text().split("agent_id: ")[1].split()[0])
    )
    flow = next(f for f in clients.flows.list_flows(parent=agent) if f.display_name == "Returns")
    page = next(p for p in clients.pages.list_pages(parent=flow.name) if p.display_name == "Confirm Return")
    page.entry_fulfillment.messages[0].text.text[:] = ["Shall I book the return?"]
    clients.pages.update_page(page=page, update_mask={"paths": ["entry_fulfillment"]}, metadata=ANA)
    return dt.datetime.now(dt.timezone.utc).strftime("%H:%M UTC")


def test_the_gate_names_who_changed_live_since_planning(
    repo: Path, fake: FakeCX, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    intent = repo / "agents/order-desk/intents/order.status.yaml"
    intent.write_text(intent.read_text().replace("500000", "400000"))
    plan = repo / "stg.plan.json"
    # A plan's time has whole seconds: writes within the second it was made count as after it.
    # The fixture's apply must not share that second.
    time.sleep(1.05 - dt.datetime.now().microsecond / 1e6)
    assert main(["--root", str(repo), "-q", "plan", "stg", "-o", str(plan)]) == 0
    when = edit_confirm_return(clients, repo)
    capsys.readouterr()
    fake.reset_calls()
    assert main(["--root", str(repo), "-q", "apply", str(plan)]) == 1
    err = capsys.readouterr().err
    assert fake.write_count() == 0
    # The minute may have turned between the edit and the check.
    assert re.match(
        r'error: stg: live changed since planning: page "Returns/Confirm Return" updated by ana@example.com'
        r" \d\d:\d\d UTC; make a new plan",
        err,
    ), err
    assert when[:2] in err
    assert fake.count("ListChangelogs") == 1


def test_drift_names_who_last_changed_each_drifted_resource(
    repo: Path, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_confirm_return(clients, repo)
    capsys.readouterr()
    assert main(["--root", str(repo), "drift", "stg"]) == 3
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("stg: last changed in live: "))
    assert 'page "Returns/Confirm Return" updated by ana@example.com' in line
    assert line.count(" by ") == 1  # only the drifted resource, not every write of the apply


def test_cxops_writes_carry_cxops_user_and_the_log_survives_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state.json"
    with FakeCX(seed=3, state_file=state) as fake:
        sample_in_stand_in(tmp_path, fake.address, monkeypatch)
        monkeypatch.setenv("CXOPS_USER", "deployer@example.com")
        ch = grpc.insecure_channel(fake.address)
        from tests.conftest import client

        agents = client(cx.AgentsClient, ch)
        agent = agents.create_agent(
            parent=f"projects/{PROJECT}/locations/global",
            agent=cx.Agent(
                display_name="A", default_language_code="en", supported_language_codes=["ja"], time_zone="UTC"
            ),
        ).name
        stage_file(tmp_path, "stg", "order-desk", PROJECT, agent.rsplit("/", 1)[-1], SECRETS)
        assert main(["--root", str(tmp_path), "-q", "apply", "stg", "--auto-approve"]) == 0
        ch.close()
    with FakeCX(state_file=state) as again:
        ch = grpc.insecure_channel(again.address)
        entries = list(client(cx.ChangelogsClient, ch).list_changelogs(parent=agent))
        ch.close()
    made, *rest = reversed(entries)  # oldest first: the test's own CreateAgent, without a header
    assert (made.action, made.type_, made.user_email) == ("Create", "agents", "unknown")
    assert rest and {e.user_email for e in rest} == {"deployer@example.com"}
    assert any(e.type_ == "pages" and e.action == "Create" for e in rest)
