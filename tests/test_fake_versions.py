"""Flow versions and environments in the stand-in, through the real client: CreateVersion freezes
the flow's content, LoadVersion brings it back, CompareVersions shows both, an environment's
version_configs pin versions (which then cannot be deleted), its history is kept, and a flow
holds at most 20 versions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import field_mask_pb2

from cxops.fake import FakeCX


def _page(clients: Any, flow: str, name: str) -> cx.Page:
    return clients.pages.create_page(parent=flow, page=cx.Page(display_name=name))


def test_a_version_freezes_the_flow_and_load_brings_it_back(clients: Any, agent: cx.Agent) -> None:
    flow = agent.start_flow
    _page(clients, flow, "before")
    op = clients.versions.create_version(parent=flow, version=cx.Version(display_name="v1", description="d"))
    assert op.metadata.version.endswith("/versions/1")
    v1 = op.result()
    assert v1.state == cx.Version.State.SUCCEEDED and v1.description == "d"
    _page(clients, flow, "after")
    v2 = clients.versions.create_version(parent=flow, version=cx.Version(display_name="v2")).result()

    compared = clients.versions.compare_versions(
        request=cx.CompareVersionsRequest(base_version=v1.name, target_version=v2.name)
    )
    base = json.loads(compared.base_version_content_json)
    target = json.loads(compared.target_version_content_json)
    assert [p["displayName"] for p in base["pages"]] == ["before"]
    assert [p["displayName"] for p in target["pages"]] == ["before", "after"]

    assert clients.versions.get_version(name=v1.name).display_name == "v1"
    listed = [v.name for v in clients.versions.list_versions(parent=flow)]
    assert listed == [v1.name, v2.name]

    clients.versions.load_version(name=v1.name).result()
    assert [p.display_name for p in clients.pages.list_pages(parent=flow)] == ["before"]


def test_environments_pin_versions_keep_history_and_block_deletes(clients: Any, agent: cx.Agent) -> None:
    flow = agent.start_flow
    v1 = clients.versions.create_version(parent=flow, version=cx.Version(display_name="v1")).result()
    v2 = clients.versions.create_version(parent=flow, version=cx.Version(display_name="v2")).result()
    env = clients.environments.create_environment(
        parent=agent.name,
        environment=cx.Environment(
            display_name="production", version_configs=[cx.Environment.VersionConfig(version=v1.name)]
        ),
    ).result()
    with pytest.raises(gexc.FailedPrecondition):
        clients.versions.delete_version(name=v1.name)

    env.version_configs = [cx.Environment.VersionConfig(version=v2.name)]
    env.webhook_config = cx.Environment.WebhookConfig(
        webhook_overrides=[
            cx.Webhook(
                name=f"{agent.name}/webhooks/x",
                display_name="orders",
                generic_web_service=cx.Webhook.GenericWebService(uri="https://prod.example.com"),
            )
        ]
    )
    updated = clients.environments.update_environment(
        environment=env, update_mask=field_mask_pb2.FieldMask(paths=["version_configs", "webhook_config"])
    ).result()
    assert [c.version for c in updated.version_configs] == [v2.name]
    assert updated.webhook_config.webhook_overrides[0].generic_web_service.uri == "https://prod.example.com"
    history = list(clients.environments.lookup_environment_history(name=env.name))
    assert [[c.version for c in h.version_configs] for h in history] == [[v2.name], [v1.name]]

    clients.versions.delete_version(name=v1.name)  # no longer pinned
    with pytest.raises(gexc.FailedPrecondition):
        clients.versions.delete_version(name=v2.name)

    env.version_configs = [cx.Environment.VersionConfig(version=v2.name)] * 2
    with pytest.raises(gexc.InvalidArgument, match="two versions"):
        clients.environments.update_environment(environment=env).result()
    env.version_configs = [cx.Environment.VersionConfig(version=v2.name)]
    env.description = "x" * 501
    with pytest.raises(gexc.InvalidArgument, match="at most 500"):
        clients.environments.update_environment(environment=env).result()
    assert [e.display_name for e in clients.environments.list_environments(parent=agent.name)] == [
        "production"
    ]
    assert clients.environments.get_environment(name=env.name).display_name == "production"
    clients.environments.delete_environment(name=env.name)
    clients.versions.delete_version(name=v2.name)


def test_a_flow_holds_at_most_twenty_versions(clients: Any, agent: cx.Agent, fake: FakeCX) -> None:
    flow = agent.start_flow
    for i in range(20):
        clients.versions.create_version(parent=flow, version=cx.Version(display_name=f"v{i}")).result()
    with pytest.raises(gexc.FailedPrecondition, match="20 versions"):
        clients.versions.create_version(parent=flow, version=cx.Version(display_name="one more"))
    first = next(iter(clients.versions.list_versions(parent=flow)))
    clients.versions.delete_version(name=first.name)
    clients.versions.create_version(parent=flow, version=cx.Version(display_name="fits")).result()
    assert fake.count("CreateVersion") == 22
