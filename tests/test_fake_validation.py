"""Contract: update_mask semantics, unique display names, required fields."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import PARENT
from google.api_core import exceptions as gexc
from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import duration_pb2, field_mask_pb2, timestamp_pb2

SYS_ANY = "projects/-/locations/-/agents/-/entityTypes/sys.any"


def mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(paths))


def text(*lines: str) -> cx.ResponseMessage:
    return cx.ResponseMessage(text=cx.ResponseMessage.Text(text=list(lines)))


def webhook(clients: Any, agent: cx.Agent, name: str = "hook") -> cx.Webhook:
    return clients.webhooks.create_webhook(
        parent=agent.name,
        webhook=cx.Webhook(
            display_name=name,
            generic_web_service=cx.Webhook.GenericWebService(uri="https://x.test/"),
            timeout=duration_pb2.Duration(seconds=5),
        ),
    )


# -- update_mask ---------------------------------------------------------------------------------


def test_masked_update_changes_only_named_fields(clients: Any, agent: cx.Agent) -> None:
    hook = webhook(clients, agent)
    hook.display_name = "renamed"
    hook.timeout = duration_pb2.Duration(seconds=9)
    hook.disabled = True
    updated = clients.webhooks.update_webhook(webhook=hook, update_mask=mask("display_name"))
    assert updated.display_name == "renamed"
    assert updated.timeout.total_seconds() == 5
    assert not updated.disabled
    assert clients.webhooks.get_webhook(name=hook.name) == updated


def test_masked_update_of_a_nested_path(clients: Any, agent: cx.Agent) -> None:
    hook = webhook(clients, agent)
    hook.generic_web_service.uri = "https://y.test/"
    hook.display_name = "ignored"
    updated = clients.webhooks.update_webhook(webhook=hook, update_mask=mask("generic_web_service.uri"))
    assert updated.generic_web_service.uri == "https://y.test/"
    assert updated.display_name == "hook"


@pytest.mark.parametrize(
    "paths",
    [
        pytest.param(("no_such_field",), id="unknown-field"),
        pytest.param(("display_name", "bogus"), id="one-bad-of-two"),
        pytest.param(("generic_web_service.nope",), id="unknown-subfield"),
        pytest.param(("display_name.x",), id="subfield-of-a-scalar"),
    ],
)
def test_invalid_mask_path_is_invalid(clients: Any, agent: cx.Agent, paths: tuple[str, ...]) -> None:
    hook = webhook(clients, agent)
    hook.display_name = "renamed"
    with pytest.raises(gexc.InvalidArgument):
        clients.webhooks.update_webhook(webhook=hook, update_mask=mask(*paths))
    assert clients.webhooks.get_webhook(name=hook.name).display_name == "hook"


def test_update_without_mask_replaces_every_updatable_field(clients: Any, agent: cx.Agent) -> None:
    flow = clients.flows.create_flow(
        parent=agent.name, flow=cx.Flow(display_name="F", description="to be cleared")
    )
    sent = cx.Flow(name=flow.name, display_name="F2")  # description and event handlers not sent
    updated = clients.flows.update_flow(flow=sent)
    assert updated.display_name == "F2"
    assert updated.description == ""
    assert not updated.event_handlers
    assert clients.flows.get_flow(name=flow.name) == updated


@pytest.mark.parametrize(
    ("create", "field"),
    [
        pytest.param(
            lambda c, a: c.playbooks.create_playbook(
                parent=a.name, playbook=cx.Playbook(display_name="pb", goal="g")
            ),
            "create_time",
            id="playbook-create_time",
        ),
        pytest.param(
            lambda c, a: c.test_cases.create_test_case(
                parent=a.name, test_case=cx.TestCase(display_name="tc")
            ),
            "creation_time",
            id="test-case-creation_time",
        ),
        pytest.param(
            lambda c, a: c.versions.create_version(
                parent=a.start_flow, version=cx.Version(display_name="v")
            ).result(timeout=10),
            "create_time",
            id="version-create_time",
        ),
    ],
)
def test_output_only_fields_are_kept(clients: Any, agent: cx.Agent, create: Any, field: str) -> None:
    created = create(clients, agent)
    original = getattr(created, field)
    assert original.timestamp() > 0
    svc = {
        "Playbook": clients.playbooks,
        "TestCase": clients.test_cases,
        "Version": clients.versions,
    }[type(created).__name__]
    singular = {"Playbook": "playbook", "TestCase": "test_case", "Version": "version"}[type(created).__name__]
    created.display_name = "renamed"
    setattr(created, field, timestamp_pb2.Timestamp(seconds=1))
    updated = getattr(svc, f"update_{singular}")(
        **{singular: created, "update_mask": mask("display_name", field)}
    )
    assert updated.display_name == "renamed"
    assert getattr(updated, field) == original
    assert updated.name == created.name


def test_create_ignores_a_client_chosen_name(clients: Any, agent: cx.Agent) -> None:
    flow = clients.flows.create_flow(
        parent=agent.name, flow=cx.Flow(name=f"{agent.name}/flows/mine", display_name="F")
    )
    assert not flow.name.endswith("/mine")
    assert flow.name.startswith(agent.name + "/flows/")


def test_agent_default_language_is_immutable(clients: Any, agent: cx.Agent) -> None:
    agent.default_language_code = "ja"
    with pytest.raises(gexc.InvalidArgument):
        clients.agents.update_agent(agent=agent, update_mask=mask("default_language_code"))
    assert clients.agents.get_agent(name=agent.name).default_language_code == "en"


def test_agent_update_keeps_start_flow(clients: Any, agent: cx.Agent) -> None:
    agent.time_zone = "Asia/Tokyo"
    agent.start_flow = ""
    updated = clients.agents.update_agent(agent=agent, update_mask=mask("time_zone"))
    assert updated.time_zone == "Asia/Tokyo"
    assert updated.start_flow.endswith("/flows/00000000-0000-0000-0000-000000000000")


# -- unique display names ------------------------------------------------------------------------


def _route_group(name: str) -> cx.TransitionRouteGroup:
    return cx.TransitionRouteGroup(
        display_name=name, transition_routes=[cx.TransitionRoute(condition="true")]
    )


UNIQUE = [
    pytest.param(
        lambda c, a, n: c.flows.create_flow(parent=a.name, flow=cx.Flow(display_name=n)),
        lambda c, r: c.flows.update_flow(flow=r, update_mask=mask("display_name")),
        id="flow",
    ),
    pytest.param(
        lambda c, a, n: c.pages.create_page(parent=a.start_flow, page=cx.Page(display_name=n)),
        lambda c, r: c.pages.update_page(page=r, update_mask=mask("display_name")),
        id="page",
    ),
    pytest.param(
        lambda c, a, n: c.intents.create_intent(parent=a.name, intent=cx.Intent(display_name=n)),
        lambda c, r: c.intents.update_intent(intent=r, update_mask=mask("display_name")),
        id="intent",
    ),
    pytest.param(
        lambda c, a, n: c.entity_types.create_entity_type(
            parent=a.name, entity_type=cx.EntityType(display_name=n, kind=cx.EntityType.Kind.KIND_MAP)
        ),
        lambda c, r: c.entity_types.update_entity_type(entity_type=r, update_mask=mask("display_name")),
        id="entity-type",
    ),
    pytest.param(
        lambda c, a, n: c.webhooks.create_webhook(
            parent=a.name,
            webhook=cx.Webhook(
                display_name=n, generic_web_service=cx.Webhook.GenericWebService(uri="https://x/")
            ),
        ),
        lambda c, r: c.webhooks.update_webhook(webhook=r, update_mask=mask("display_name")),
        id="webhook",
    ),
    pytest.param(
        lambda c, a, n: c.route_groups.create_transition_route_group(
            parent=a.name, transition_route_group=_route_group(n)
        ),
        lambda c, r: c.route_groups.update_transition_route_group(
            transition_route_group=r, update_mask=mask("display_name")
        ),
        id="route-group",
    ),
    pytest.param(
        lambda c, a, n: c.test_cases.create_test_case(parent=a.name, test_case=cx.TestCase(display_name=n)),
        lambda c, r: c.test_cases.update_test_case(test_case=r, update_mask=mask("display_name")),
        id="test-case",
    ),
    pytest.param(
        lambda c, a, n: c.generators.create_generator(
            parent=a.name, generator=cx.Generator(display_name=n, prompt_text=cx.Phrase(text="p"))
        ),
        lambda c, r: c.generators.update_generator(generator=r, update_mask=mask("display_name")),
        id="generator",
    ),
    pytest.param(
        lambda c, a, n: c.playbooks.create_playbook(
            parent=a.name, playbook=cx.Playbook(display_name=n, goal="g")
        ),
        lambda c, r: c.playbooks.update_playbook(playbook=r, update_mask=mask("display_name")),
        id="playbook",
    ),
    pytest.param(
        lambda c, a, n: c.tools.create_tool(parent=a.name, tool=cx.Tool(display_name=n, description="d")),
        lambda c, r: c.tools.update_tool(tool=r, update_mask=mask("display_name")),
        id="tool",
    ),
    pytest.param(
        lambda c, a, n: c.environments.create_environment(
            parent=a.name, environment=cx.Environment(display_name=n)
        ).result(timeout=10),
        lambda c, r: c.environments.update_environment(
            environment=r, update_mask=mask("display_name")
        ).result(timeout=10),
        id="environment",
    ),
    pytest.param(
        lambda c, a, n: c.agents.create_agent(
            parent=PARENT,
            agent=cx.Agent(display_name=n, default_language_code="en", time_zone="Europe/Paris"),
        ),
        lambda c, r: c.agents.update_agent(agent=r, update_mask=mask("display_name")),
        id="agent",
    ),
]


@pytest.mark.parametrize(("create", "update"), UNIQUE)
def test_display_name_unique_on_create(clients: Any, agent: cx.Agent, create: Any, update: Any) -> None:
    create(clients, agent, "Same")
    with pytest.raises(gexc.AlreadyExists):
        create(clients, agent, "Same")


@pytest.mark.parametrize(("create", "update"), UNIQUE)
def test_display_name_unique_on_rename(clients: Any, agent: cx.Agent, create: Any, update: Any) -> None:
    create(clients, agent, "First")
    second = create(clients, agent, "Second")
    second.display_name = "First"
    with pytest.raises(gexc.AlreadyExists):
        update(clients, second)
    second.display_name = "Second"  # renaming to its own name is not a clash
    assert update(clients, second).display_name == "Second"


def test_same_display_name_in_different_agents(clients: Any, agent: cx.Agent) -> None:
    other = clients.agents.create_agent(
        parent=PARENT,
        agent=cx.Agent(display_name="Other", default_language_code="en", time_zone="Europe/Paris"),
    )
    for parent in (agent.name, other.name):
        clients.flows.create_flow(parent=parent, flow=cx.Flow(display_name="Billing"))


def test_same_page_name_in_different_flows(clients: Any, agent: cx.Agent) -> None:
    flow = clients.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="F"))
    for parent in (agent.start_flow, flow.name):
        clients.pages.create_page(parent=parent, page=cx.Page(display_name="Ask"))


# -- required fields -----------------------------------------------------------------------------

PHRASE = cx.Intent.TrainingPhrase


def _example(c: Any, a: cx.Agent, **override: Any) -> cx.Example:
    """An example in a new playbook: valid as it is, missing what ``override`` empties."""
    playbook = c.playbooks.create_playbook(parent=a.name, playbook=cx.Playbook(display_name="pb", goal="g"))
    fields: dict[str, Any] = {
        "display_name": "ex",
        "conversation_state": cx.OutputState.OUTPUT_STATE_OK,
        "actions": [cx.Action(agent_utterance=cx.AgentUtterance(text="hello"))],
        **override,
    }
    return c.examples.create_example(parent=playbook.name, example=cx.Example(**fields))


REQUIRED = [
    pytest.param(lambda c, a: c.flows.create_flow(parent=a.name, flow=cx.Flow()), id="flow-display_name"),
    pytest.param(
        lambda c, a: c.pages.create_page(parent=a.start_flow, page=cx.Page()), id="page-display_name"
    ),
    pytest.param(
        lambda c, a: c.intents.create_intent(parent=a.name, intent=cx.Intent()), id="intent-display_name"
    ),
    pytest.param(
        lambda c, a: c.webhooks.create_webhook(parent=a.name, webhook=cx.Webhook()), id="webhook-display_name"
    ),
    pytest.param(
        lambda c, a: c.agents.create_agent(
            parent=PARENT, agent=cx.Agent(display_name="A", default_language_code="en")
        ),
        id="agent-time_zone",
    ),
    pytest.param(
        lambda c, a: c.agents.create_agent(parent=PARENT, agent=cx.Agent(display_name="A", time_zone="UTC")),
        id="agent-default_language_code",
    ),
    pytest.param(
        lambda c, a: c.entity_types.create_entity_type(
            parent=a.name, entity_type=cx.EntityType(display_name="e")
        ),
        id="entity-type-kind",
    ),
    pytest.param(
        lambda c, a: c.playbooks.create_playbook(parent=a.name, playbook=cx.Playbook(display_name="p")),
        id="playbook-goal",
    ),
    pytest.param(
        lambda c, a: c.generators.create_generator(parent=a.name, generator=cx.Generator(display_name="g")),
        id="generator-prompt_text",
    ),
    pytest.param(
        lambda c, a: c.flows.create_flow(
            parent=a.name,
            flow=cx.Flow(display_name="F", transition_routes=[cx.TransitionRoute(target_page="x")]),
        ),
        id="flow-route-without-intent-or-condition",
    ),
    pytest.param(
        lambda c, a: c.pages.create_page(
            parent=a.start_flow,
            page=cx.Page(
                display_name="P",
                transition_routes=[
                    cx.TransitionRoute(trigger_fulfillment=cx.Fulfillment(messages=[text("x")]))
                ],
            ),
        ),
        id="page-route-without-intent-or-condition",
    ),
    pytest.param(
        lambda c, a: c.route_groups.create_transition_route_group(
            parent=a.name,
            transition_route_group=cx.TransitionRouteGroup(
                display_name="G", transition_routes=[cx.TransitionRoute()]
            ),
        ),
        id="route-group-route-without-intent-or-condition",
    ),
    pytest.param(
        lambda c, a: c.pages.create_page(
            parent=a.start_flow,
            page=cx.Page(display_name="P", form=cx.Form(parameters=[cx.Form.Parameter(display_name="x")])),
        ),
        id="form-parameter-entity_type",
    ),
    pytest.param(
        lambda c, a: c.flows.create_flow(
            parent=a.name, flow=cx.Flow(display_name="F", event_handlers=[cx.EventHandler(target_page="x")])
        ),
        id="event-handler-event",
    ),
]


@pytest.mark.parametrize("create", REQUIRED)
def test_missing_required_field_is_invalid(fake: Any, clients: Any, agent: cx.Agent, create: Any) -> None:
    before = set(fake.service.store.entries)
    with pytest.raises(gexc.InvalidArgument):
        create(clients, agent)
    written = set(fake.service.store.entries) - before
    assert {name.split("/")[-2] for name in written} <= {"playbooks"}  # only an example row's playbook


def test_a_complete_example_is_accepted(clients: Any, agent: cx.Agent) -> None:
    example = _example(clients, agent)
    assert example.actions[0].agent_utterance.text == "hello"


def test_required_fields_are_checked_on_update_too(clients: Any, agent: cx.Agent) -> None:
    pb = clients.playbooks.create_playbook(
        parent=agent.name, playbook=cx.Playbook(display_name="p", goal="g")
    )
    pb.goal = ""
    with pytest.raises(gexc.InvalidArgument):
        clients.playbooks.update_playbook(playbook=pb, update_mask=mask("goal"))


def test_intent_phrase_with_declared_parameter_is_accepted(clients: Any, agent: cx.Agent) -> None:
    intent = clients.intents.create_intent(
        parent=agent.name,
        intent=cx.Intent(
            display_name="I",
            parameters=[cx.Intent.Parameter(id="city", entity_type=SYS_ANY)],
            training_phrases=[PHRASE(parts=[PHRASE.Part(text="Paris", parameter_id="city")], repeat_count=1)],
        ),
    )
    assert intent.training_phrases[0].id  # output-only id assigned
    assert intent.training_phrases[0].parts[0].parameter_id == "city"


def test_real_exports_hold_tools_and_examples_the_docs_call_incomplete(clients: Any, agent: cx.Agent) -> None:
    # Documented "Required.", yet real agents export tools without a description and examples
    # without actions or conversation_state (shared/corpus): the stand-in accepts them, as CX does.
    assert clients.tools.create_tool(parent=agent.name, tool=cx.Tool(display_name="t")).display_name == "t"
    assert _example(clients, agent, actions=[], conversation_state=cx.OutputState.OUTPUT_STATE_UNSPECIFIED)


def test_a_phrase_may_annotate_a_parameter_the_intent_does_not_declare(clients: Any, agent: cx.Agent) -> None:
    # A real export holds one (CX stored it): accepted, left to lint, not refused.
    phrase = cx.Intent.TrainingPhrase(
        parts=[
            cx.Intent.TrainingPhrase.Part(text="book for "),
            cx.Intent.TrainingPhrase.Part(text="tomorrow", parameter_id="preferred-date-time"),
        ],
        repeat_count=1,
    )
    created = clients.intents.create_intent(
        parent=agent.name, intent=cx.Intent(display_name="book", training_phrases=[phrase])
    )
    got = clients.intents.get_intent(name=created.name)
    assert got.training_phrases[0].parts[1].parameter_id == "preferred-date-time"
