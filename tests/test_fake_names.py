"""Contract: real resource names, parents that must exist and be of the right kind, and the
default resources every new agent has."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import PARENT
from google.api_core import exceptions as gexc
from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import field_mask_pb2

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
START_FLOW = "00000000-0000-0000-0000-000000000000"
WELCOME = "00000000-0000-0000-0000-000000000000"
NEGATIVE = "00000000-0000-0000-0000-000000000001"
MISSING = "11111111-2222-4333-8444-555555555555"


def test_names_are_uuids_under_their_parent(clients: Any, agent: cx.Agent) -> None:
    assert re.fullmatch(rf"{PARENT}/agents/{UUID}", agent.name)
    flow = clients.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="F"))
    assert re.fullmatch(rf"{re.escape(agent.name)}/flows/{UUID}", flow.name)
    page = clients.pages.create_page(parent=flow.name, page=cx.Page(display_name="P"))
    assert re.fullmatch(rf"{re.escape(flow.name)}/pages/{UUID}", page.name)
    other = clients.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="G"))
    assert other.name != flow.name


def _flow(c: Any, parent: str) -> Any:
    return c.flows.create_flow(parent=parent, flow=cx.Flow(display_name="F"))


def _page(c: Any, parent: str) -> Any:
    return c.pages.create_page(parent=parent, page=cx.Page(display_name="P"))


def _intent(c: Any, parent: str) -> Any:
    return c.intents.create_intent(parent=parent, intent=cx.Intent(display_name="I"))


def _group(c: Any, parent: str) -> Any:
    return c.route_groups.create_transition_route_group(
        parent=parent,
        transition_route_group=cx.TransitionRouteGroup(
            display_name="G", transition_routes=[cx.TransitionRoute(condition="true")]
        ),
    )


def _version(c: Any, parent: str) -> Any:
    return c.versions.create_version(parent=parent, version=cx.Version(display_name="v")).result(timeout=10)


def _example(c: Any, parent: str) -> Any:
    return c.examples.create_example(
        parent=parent,
        example=cx.Example(
            display_name="ex",
            conversation_state=cx.OutputState.OUTPUT_STATE_OK,
            actions=[cx.Action(agent_utterance=cx.AgentUtterance(text="hello"))],
        ),
    )


# (what, create(clients, parent), parent built from the agent)
MISSING_PARENTS = [
    pytest.param(_flow, lambda a: f"{PARENT}/agents/{MISSING}", id="flow-in-missing-agent"),
    pytest.param(_page, lambda a: f"{a.name}/flows/{MISSING}", id="page-in-missing-flow"),
    pytest.param(_intent, lambda a: f"{PARENT}/agents/{MISSING}", id="intent-in-missing-agent"),
    pytest.param(_group, lambda a: f"{a.name}/flows/{MISSING}", id="route-group-in-missing-flow"),
    pytest.param(_version, lambda a: f"{a.name}/flows/{MISSING}", id="version-of-missing-flow"),
    pytest.param(_example, lambda a: f"{a.name}/playbooks/{MISSING}", id="example-in-missing-playbook"),
]


@pytest.mark.parametrize(("create", "parent"), MISSING_PARENTS)
def test_missing_parent_is_not_found(clients: Any, agent: cx.Agent, create: Any, parent: Any) -> None:
    with pytest.raises(gexc.NotFound):
        create(clients, parent(agent))


WRONG_PARENTS = [
    pytest.param(_page, lambda a: a.name, id="page-under-agent"),
    pytest.param(_flow, lambda a: a.start_flow, id="flow-under-flow"),
    pytest.param(_intent, lambda a: a.start_flow, id="intent-under-flow"),
    pytest.param(_version, lambda a: a.name, id="version-under-agent"),
    pytest.param(_flow, lambda a: f"{a.name}/intents/{WELCOME}", id="flow-under-intent"),
    pytest.param(
        lambda c, p: c.agents.create_agent(
            parent=p, agent=cx.Agent(display_name="A", default_language_code="en", time_zone="Europe/Paris")
        ),
        lambda a: "projects/test-project",
        id="agent-outside-a-location",
    ),
]


@pytest.mark.parametrize(("create", "parent"), WRONG_PARENTS)
def test_parent_of_the_wrong_kind_is_invalid(clients: Any, agent: cx.Agent, create: Any, parent: Any) -> None:
    with pytest.raises(gexc.InvalidArgument):
        create(clients, parent(agent))


def test_get_missing_resource_is_not_found(clients: Any, agent: cx.Agent) -> None:
    with pytest.raises(gexc.NotFound):
        clients.flows.get_flow(name=f"{agent.name}/flows/{MISSING}")
    with pytest.raises(gexc.NotFound):  # a name of another kind is not a flow
        clients.flows.get_flow(name=f"{agent.name}/intents/{WELCOME}")


# -- default resources ---------------------------------------------------------------------------


def test_new_agent_has_the_default_start_flow(clients: Any, agent: cx.Agent) -> None:
    start = f"{agent.name}/flows/{START_FLOW}"
    assert agent.start_flow == start
    assert clients.agents.get_agent(name=agent.name).start_flow == start
    (flow,) = clients.flows.list_flows(parent=agent.name)
    assert flow.name == start
    assert flow.display_name == "Default Start Flow"
    assert {h.event for h in flow.event_handlers} == {"sys.no-match-default", "sys.no-input-default"}
    assert all(h.trigger_fulfillment.messages for h in flow.event_handlers)
    assert [r.intent for r in flow.transition_routes] == [f"{agent.name}/intents/{WELCOME}"]


def test_new_agent_has_the_default_intents(clients: Any, agent: cx.Agent) -> None:
    intents = {i.name.rsplit("/", 1)[-1]: i for i in clients.intents.list_intents(parent=agent.name)}
    assert set(intents) == {WELCOME, NEGATIVE}
    assert intents[WELCOME].display_name == "Default Welcome Intent"
    assert intents[WELCOME].training_phrases
    assert not intents[WELCOME].is_fallback
    assert intents[NEGATIVE].display_name == "Default Negative Intent"
    assert intents[NEGATIVE].is_fallback


def test_new_flow_gets_the_default_event_handlers(clients: Any, agent: cx.Agent) -> None:
    flow = clients.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="F"))
    assert {h.event for h in flow.event_handlers} == {"sys.no-match-default", "sys.no-input-default"}
    assert flow.nlu_settings.model_type == cx.NluSettings.ModelType.MODEL_TYPE_STANDARD


@pytest.mark.parametrize(
    "delete",
    [
        pytest.param(lambda c, a: c.flows.delete_flow(name=f"{a.name}/flows/{START_FLOW}"), id="start-flow"),
        pytest.param(
            lambda c, a: c.flows.delete_flow(request=cx.DeleteFlowRequest(name=a.start_flow, force=True)),
            id="start-flow-forced",
        ),
        pytest.param(
            lambda c, a: c.intents.delete_intent(name=f"{a.name}/intents/{WELCOME}"), id="welcome-intent"
        ),
        pytest.param(
            lambda c, a: c.intents.delete_intent(name=f"{a.name}/intents/{NEGATIVE}"), id="negative-intent"
        ),
    ],
)
def test_default_resources_cannot_be_deleted(clients: Any, agent: cx.Agent, delete: Any) -> None:
    with pytest.raises(gexc.InvalidArgument):
        delete(clients, agent)
    assert len(list(clients.flows.list_flows(parent=agent.name))) == 1
    assert len(list(clients.intents.list_intents(parent=agent.name))) == 2


def test_start_flow_can_be_renamed(clients: Any, agent: cx.Agent) -> None:
    flow = clients.flows.get_flow(name=agent.start_flow)
    flow.display_name = "Main"
    renamed = clients.flows.update_flow(
        flow=flow, update_mask=field_mask_pb2.FieldMask(paths=["display_name"])
    )
    assert renamed.display_name == "Main"
    assert renamed.name == agent.start_flow
    assert clients.agents.get_agent(name=agent.name).start_flow == agent.start_flow


def test_delete_agent_removes_everything_under_it(clients: Any, agent: cx.Agent) -> None:
    flow = clients.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="F"))
    clients.agents.delete_agent(name=agent.name)
    for get, name in (
        (clients.agents.get_agent, agent.name),
        (clients.flows.get_flow, flow.name),
        (clients.flows.get_flow, agent.start_flow),
        (clients.intents.get_intent, f"{agent.name}/intents/{WELCOME}"),
    ):
        with pytest.raises(gexc.NotFound):
            get(name=name)
