"""RestoreAgent and ExportAgent in the stand-in, through the real client, on real agents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.cloud import dialogflowcx_v3 as cx

from cxops.core.validate import api_visible_snapshot
from cxops.fake import FakeCX
from cxops.model import secrets
from cxops.package.files import read_zip_bytes, write_zip
from cxops.package.reader import snapshot_from_package
from cxops.package.writer import package_files
from tests.corpus import agent_dirs, read_export

PARENT = "projects/test-project/locations/global"


def new_agent(clients: Any, body: dict[str, Any]) -> cx.Agent:
    return clients.agents.create_agent(
        parent=PARENT,
        agent=cx.Agent(
            display_name=body.get("display_name", "Restored"),
            default_language_code=body["default_language_code"],
            supported_language_codes=body.get("supported_language_codes", []),
            time_zone=body["time_zone"],
        ),
    )


def export(clients: Any, agent: str) -> bytes:
    request = cx.ExportAgentRequest(name=agent, data_format=cx.ExportAgentRequest.DataFormat.JSON_PACKAGE)
    response = clients.agents.export_agent(request=request).result(timeout=30)
    return bytes(response.agent_content)


@pytest.mark.parametrize("folder", agent_dirs())
def test_restore_then_export_gives_the_package_back(folder: Path, fake: FakeCX, clients: Any) -> None:
    snapshot, _ = snapshot_from_package(read_export(folder))
    secrets.redact(snapshot)
    agent = new_agent(clients, snapshot.agent)
    content = write_zip(package_files(snapshot))
    clients.agents.restore_agent(
        request=cx.RestoreAgentRequest(name=agent.name, agent_content=content)
    ).result(timeout=60)
    back, _ = snapshot_from_package(read_zip_bytes(export(clients, agent.name)))
    expected = api_visible_snapshot(snapshot)
    if "display_name" not in snapshot.agent:
        back.resources[next(iter(back.resources))].pop("display_name", None)
    assert api_visible_snapshot(back).resources == expected.resources


def test_restore_removes_what_the_package_does_not_hold(fake: FakeCX, clients: Any) -> None:
    agent = new_agent(clients, {"default_language_code": "en", "time_zone": "UTC"})
    clients.webhooks.create_webhook(
        parent=agent.name, webhook=cx.Webhook(display_name="old", generic_web_service={"uri": "https://x"})
    )
    clients.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="Old flow"))
    package = export(clients, agent.name)
    other = new_agent(clients, {"display_name": "Other", "default_language_code": "en", "time_zone": "UTC"})
    clients.intents.create_intent(parent=other.name, intent=cx.Intent(display_name="stale"))
    clients.agents.restore_agent(
        request=cx.RestoreAgentRequest(name=other.name, agent_content=package)
    ).result(timeout=30)
    intents = [i.display_name for i in clients.intents.list_intents(parent=other.name)]
    assert sorted(intents) == ["Default Negative Intent", "Default Welcome Intent"]
    assert [w.display_name for w in clients.webhooks.list_webhooks(parent=other.name)] == ["old"]
    assert sorted(f.display_name for f in clients.flows.list_flows(parent=other.name)) == [
        "Default Start Flow",
        "Old flow",
    ]


def test_restore_from_a_gs_uri_written_by_export(fake: FakeCX, clients: Any) -> None:
    agent = new_agent(clients, {"default_language_code": "en", "time_zone": "UTC"})
    clients.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="Orders"))
    request = cx.ExportAgentRequest(
        name=agent.name,
        agent_uri="gs://bucket/a.zip",
        data_format=cx.ExportAgentRequest.DataFormat.JSON_PACKAGE,
    )
    assert clients.agents.export_agent(request=request).result(timeout=30).agent_uri == "gs://bucket/a.zip"
    other = new_agent(clients, {"display_name": "Copy", "default_language_code": "en", "time_zone": "UTC"})
    clients.agents.restore_agent(
        request=cx.RestoreAgentRequest(name=other.name, agent_uri="gs://bucket/a.zip")
    ).result(timeout=30)
    assert "Orders" in [f.display_name for f in clients.flows.list_flows(parent=other.name)]


def test_a_bad_package_changes_nothing(fake: FakeCX, clients: Any) -> None:
    agent = new_agent(clients, {"default_language_code": "en", "time_zone": "UTC"})
    clients.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="Keep me"))
    snapshot, _ = snapshot_from_package(read_zip_bytes(export(clients, agent.name)))
    files = package_files(snapshot)
    # A route to an intent the package does not hold.
    files["flows/Keep me/Keep me.json"] = files["flows/Keep me/Keep me.json"].replace(
        b'"displayName": "Keep me"',
        b'"displayName": "Keep me",\n  "transitionRoutes": [ {\n    "intent": "nowhere",\n    "targetPage": "End Flow"\n  } ]',
    )
    writes = fake.write_count()
    with pytest.raises(gexc.InvalidArgument, match="nowhere"):
        clients.agents.restore_agent(
            request=cx.RestoreAgentRequest(name=agent.name, agent_content=write_zip(files))
        ).result(timeout=30)
    assert fake.write_count() == writes + 1  # only the RestoreAgent call itself
    assert "Keep me" in [f.display_name for f in clients.flows.list_flows(parent=agent.name)]
