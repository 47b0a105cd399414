"""Contract: Create/Get/List/Update/Delete of every kind `cxops fake` serves, through the real client."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import PARENT
from google.api_core import exceptions as gexc
from google.api_core import operation as lro
from google.cloud import dialogflowcx_v3 as cx
from google.longrunning import operations_pb2
from google.protobuf import field_mask_pb2

SYS_ANY = "projects/-/locations/-/agents/-/entityTypes/sys.any"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def text(*lines: str) -> cx.ResponseMessage:
    return cx.ResponseMessage(text=cx.ResponseMessage.Text(text=list(lines)))


def done(result: Any) -> Any:
    """The resource of a plain answer, or of a long-running operation."""
    if isinstance(result, lro.Operation):
        return result.result(timeout=10)
    return result


# -- the table ---------------------------------------------------------------------------------

Make = Callable[[Any, cx.Agent], tuple[str, Any]]  # (clients, agent) -> (parent, minimal resource)


@dataclass(frozen=True)
class Kind:
    id: str
    service: str  # attribute of the `clients` fixture
    snake: str  # create_<snake>, get_<snake>, ...
    make: Make
    update_field: str
    update_value: Any
    pattern: str  # the resource name below its parent


def _version_parent(clients: Any, agent: cx.Agent) -> tuple[str, Any]:
    return agent.start_flow, cx.Version(display_name="v1")


def _environment(clients: Any, agent: cx.Agent) -> tuple[str, Any]:
    version = done(
        clients.versions.create_version(parent=agent.start_flow, version=cx.Version(display_name="v1"))
    )
    return agent.name, cx.Environment(
        display_name="staging", version_configs=[cx.Environment.VersionConfig(version=version.name)]
    )


def _example(clients: Any, agent: cx.Agent) -> tuple[str, Any]:
    playbook = clients.playbooks.create_playbook(
        parent=agent.name, playbook=cx.Playbook(display_name="pb", goal="help the user")
    )
    return playbook.name, cx.Example(
        display_name="ex",
        conversation_state=cx.OutputState.OUTPUT_STATE_OK,
        actions=[cx.Action(agent_utterance=cx.AgentUtterance(text="hello"))],
    )


KINDS = [
    Kind(
        "agent",
        "agents",
        "agent",
        lambda c, a: (
            PARENT,
            cx.Agent(display_name="Other", default_language_code="en", time_zone="America/New_York"),
        ),
        "time_zone",
        "Asia/Tokyo",
        rf"^{PARENT}/agents/{UUID}$",
    ),
    Kind(
        "flow",
        "flows",
        "flow",
        lambda c, a: (a.name, cx.Flow(display_name="Billing")),
        "description",
        "bills",
        rf"^{PARENT}/agents/{UUID}/flows/{UUID}$",
    ),
    Kind(
        "page",
        "pages",
        "page",
        lambda c, a: (a.start_flow, cx.Page(display_name="Ask name")),
        "entry_fulfillment",
        cx.Fulfillment(messages=[text("Your name?")]),
        rf"^{PARENT}/agents/{UUID}/flows/{UUID}/pages/{UUID}$",
    ),
    Kind(
        "route-group-agent-level",
        "route_groups",
        "transition_route_group",
        lambda c, a: (
            a.name,
            cx.TransitionRouteGroup(
                display_name="common", transition_routes=[cx.TransitionRoute(condition="true")]
            ),
        ),
        "display_name",
        "common-2",
        rf"^{PARENT}/agents/{UUID}/transitionRouteGroups/{UUID}$",
    ),
    Kind(
        "route-group-flow-level",
        "route_groups",
        "transition_route_group",
        lambda c, a: (
            a.start_flow,
            cx.TransitionRouteGroup(
                display_name="common", transition_routes=[cx.TransitionRoute(condition="true")]
            ),
        ),
        "display_name",
        "common-2",
        rf"^{PARENT}/agents/{UUID}/flows/{UUID}/transitionRouteGroups/{UUID}$",
    ),
    Kind(
        "intent",
        "intents",
        "intent",
        lambda c, a: (
            a.name,
            cx.Intent(
                display_name="order.pizza",
                training_phrases=[
                    cx.Intent.TrainingPhrase(
                        parts=[cx.Intent.TrainingPhrase.Part(text="a pizza")], repeat_count=1
                    )
                ],
            ),
        ),
        "description",
        "orders",
        rf"^{PARENT}/agents/{UUID}/intents/{UUID}$",
    ),
    Kind(
        "entity-type",
        "entity_types",
        "entity_type",
        lambda c, a: (
            a.name,
            cx.EntityType(
                display_name="size",
                kind=cx.EntityType.Kind.KIND_MAP,
                entities=[cx.EntityType.Entity(value="large", synonyms=["large", "big"])],
            ),
        ),
        "enable_fuzzy_extraction",
        True,
        rf"^{PARENT}/agents/{UUID}/entityTypes/{UUID}$",
    ),
    Kind(
        "webhook",
        "webhooks",
        "webhook",
        lambda c, a: (
            a.name,
            cx.Webhook(
                display_name="hook", generic_web_service=cx.Webhook.GenericWebService(uri="https://x.test/")
            ),
        ),
        "disabled",
        True,
        rf"^{PARENT}/agents/{UUID}/webhooks/{UUID}$",
    ),
    Kind(
        "test-case",
        "test_cases",
        "test_case",
        lambda c, a: (a.name, cx.TestCase(display_name="greets", tags=["#smoke"])),
        "notes",
        "checks the greeting",
        rf"^{PARENT}/agents/{UUID}/testCases/{UUID}$",
    ),
    Kind(
        "generator",
        "generators",
        "generator",
        lambda c, a: (
            a.name,
            cx.Generator(display_name="summary", prompt_text=cx.Phrase(text="Summarize $conv")),
        ),
        "display_name",
        "summary-2",
        rf"^{PARENT}/agents/{UUID}/generators/{UUID}$",
    ),
    Kind(
        "playbook",
        "playbooks",
        "playbook",
        lambda c, a: (a.name, cx.Playbook(display_name="Helper", goal="help the user")),
        "goal",
        "help the user quickly",
        rf"^{PARENT}/agents/{UUID}/playbooks/{UUID}$",
    ),
    Kind(
        "example",
        "examples",
        "example",
        _example,
        "description",
        "a greeting",
        rf"^{PARENT}/agents/{UUID}/playbooks/{UUID}/examples/{UUID}$",
    ),
    Kind(
        "tool",
        "tools",
        "tool",
        lambda c, a: (
            a.name,
            cx.Tool(
                display_name="weather",
                description="Gets the weather",
                open_api_spec=cx.Tool.OpenApiTool(text_schema="openapi: 3.0.0"),
            ),
        ),
        "description",
        "Gets tomorrow's weather",
        rf"^{PARENT}/agents/{UUID}/tools/{UUID}$",
    ),
    Kind(
        "version",
        "versions",
        "version",
        _version_parent,
        "description",
        "first cut",
        rf"^{PARENT}/agents/{UUID}/flows/{UUID}/versions/\d+$",
    ),
    Kind(
        "environment",
        "environments",
        "environment",
        _environment,
        "description",
        "pre-production",
        rf"^{PARENT}/agents/{UUID}/environments/{UUID}$",
    ),
]


def _method(clients: Any, kind: Kind, verb: str) -> Callable[..., Any]:
    plural = "s" if verb == "list" else ""
    return getattr(getattr(clients, kind.service), f"{verb}_{kind.snake}{plural}")  # type: ignore[no-any-return]


def _delete(clients: Any, kind: Kind, parent: str, name: str) -> None:
    if kind.id == "test-case":
        clients.test_cases.batch_delete_test_cases(
            request=cx.BatchDeleteTestCasesRequest(parent=parent, names=[name])
        )
    else:
        _method(clients, kind, "delete")(name=name)


@pytest.mark.parametrize("kind", KINDS, ids=[k.id for k in KINDS])
def test_crud_round_trip(clients: Any, agent: cx.Agent, kind: Kind) -> None:
    parent, resource = kind.make(clients, agent)

    created = done(_method(clients, kind, "create")(parent=parent, **{kind.snake: resource}))
    assert re.match(kind.pattern, created.name), created.name
    assert created.name.startswith(parent + "/")
    assert created.display_name == resource.display_name

    got = _method(clients, kind, "get")(name=created.name)
    assert got == created

    listed = [r.name for r in _method(clients, kind, "list")(parent=parent)]
    assert created.name in listed

    setattr(got, kind.update_field, kind.update_value)
    mask = field_mask_pb2.FieldMask(paths=[kind.update_field])
    updated = done(_method(clients, kind, "update")(**{kind.snake: got, "update_mask": mask}))
    assert getattr(updated, kind.update_field) == kind.update_value
    assert updated.name == created.name
    assert getattr(_method(clients, kind, "get")(name=created.name), kind.update_field) == kind.update_value

    _delete(clients, kind, parent, created.name)
    with pytest.raises(gexc.NotFound):
        _method(clients, kind, "get")(name=created.name)
    assert created.name not in [r.name for r in _method(clients, kind, "list")(parent=parent)]


@pytest.mark.parametrize(
    "parent_of",
    [pytest.param(lambda a: a.name, id="agent-level"), pytest.param(lambda a: a.start_flow, id="flow-level")],
)
def test_route_group_names_unique_per_scope_only(clients: Any, agent: cx.Agent, parent_of: Any) -> None:
    """The same display name may be used once at agent level and once in each flow."""
    group = cx.TransitionRouteGroup(
        display_name="shared", transition_routes=[cx.TransitionRoute(condition="true")]
    )
    other = agent.start_flow if parent_of(agent) == agent.name else agent.name
    clients.route_groups.create_transition_route_group(parent=other, transition_route_group=group)
    created = clients.route_groups.create_transition_route_group(
        parent=parent_of(agent), transition_route_group=group
    )
    assert created.display_name == "shared"
    with pytest.raises(gexc.AlreadyExists):
        clients.route_groups.create_transition_route_group(
            parent=parent_of(agent), transition_route_group=group
        )
    listed = clients.route_groups.list_transition_route_groups(parent=parent_of(agent))
    assert [g.name for g in listed] == [created.name]


# -- test cases ----------------------------------------------------------------------------------


def _turns() -> list[cx.ConversationTurn]:
    return [
        cx.ConversationTurn(
            user_input=cx.ConversationTurn.UserInput(input=cx.QueryInput(text=cx.TextInput(text="hi"))),
            virtual_agent_output=cx.ConversationTurn.VirtualAgentOutput(
                text_responses=[cx.ResponseMessage.Text(text=["Greetings! How can I assist?"])]
            ),
        )
    ]


@pytest.mark.parametrize(
    ("view", "has_turns"),
    [
        pytest.param(
            cx.ListTestCasesRequest.TestCaseView.TEST_CASE_VIEW_UNSPECIFIED, False, id="default-view-basic"
        ),
        pytest.param(cx.ListTestCasesRequest.TestCaseView.BASIC, False, id="basic-view"),
        pytest.param(cx.ListTestCasesRequest.TestCaseView.FULL, True, id="full-view"),
    ],
)
def test_list_test_cases_view(clients: Any, agent: cx.Agent, view: Any, has_turns: bool) -> None:
    created = clients.test_cases.create_test_case(
        parent=agent.name, test_case=cx.TestCase(display_name="tc", test_case_conversation_turns=_turns())
    )
    assert len(created.test_case_conversation_turns) == 1
    assert len(clients.test_cases.get_test_case(name=created.name).test_case_conversation_turns) == 1
    (listed,) = clients.test_cases.list_test_cases(
        request=cx.ListTestCasesRequest(parent=agent.name, view=view)
    )
    assert bool(listed.test_case_conversation_turns) is has_turns
    assert listed.display_name == "tc"


def test_update_test_case_needs_update_mask(clients: Any, agent: cx.Agent) -> None:
    created = clients.test_cases.create_test_case(parent=agent.name, test_case=cx.TestCase(display_name="tc"))
    created.notes = "changed"
    with pytest.raises(gexc.InvalidArgument):
        clients.test_cases.update_test_case(test_case=created)
    assert clients.test_cases.get_test_case(name=created.name).notes == ""


def test_batch_delete_test_cases_deletes_all_named(clients: Any, agent: cx.Agent) -> None:
    names = [
        clients.test_cases.create_test_case(
            parent=agent.name, test_case=cx.TestCase(display_name=f"tc{i}")
        ).name
        for i in range(3)
    ]
    clients.test_cases.batch_delete_test_cases(
        request=cx.BatchDeleteTestCasesRequest(parent=agent.name, names=names[:2])
    )
    assert [t.name for t in clients.test_cases.list_test_cases(parent=agent.name)] == names[2:]


# -- generative settings -------------------------------------------------------------------------


def test_generative_settings_are_per_language(clients: Any, agent: cx.Agent) -> None:
    name = f"{agent.name}/generativeSettings"
    for language, business in (("en", "Acme"), ("ja", "アクメ")):
        settings = cx.GenerativeSettings(
            name=name,
            language_code=language,
            knowledge_connector_settings=cx.GenerativeSettings.KnowledgeConnectorSettings(business=business),
        )
        updated = clients.agents.update_generative_settings(
            generative_settings=settings,
            update_mask=field_mask_pb2.FieldMask(paths=["knowledge_connector_settings"]),
        )
        assert updated.knowledge_connector_settings.business == business

    def get(language: str) -> cx.GenerativeSettings:
        return clients.agents.get_generative_settings(
            request=cx.GetGenerativeSettingsRequest(name=name, language_code=language)
        )

    assert get("en").knowledge_connector_settings.business == "Acme"
    assert get("ja").knowledge_connector_settings.business == "アクメ"
    assert get("ja").language_code == "ja"
    with pytest.raises(gexc.InvalidArgument):
        get("fr")


# -- long-running operations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(
            lambda c, a: c.versions.create_version(
                parent=a.start_flow, version=cx.Version(display_name="v1")
            ),
            id="CreateVersion",
        ),
        pytest.param(
            lambda c, a: c.environments.create_environment(
                parent=a.name, environment=cx.Environment(display_name="env")
            ),
            id="CreateEnvironment",
        ),
    ],
)
def test_operations_get_list_cancel(clients: Any, agent: cx.Agent, start: Any) -> None:
    operation = start(clients, agent)
    assert isinstance(operation, lro.Operation)
    resource = operation.result(timeout=10)
    op_name = operation.operation.name
    assert re.match(rf"^{PARENT}/operations/{UUID}$", op_name)

    got = clients.versions.get_operation(request={"name": op_name})
    assert got.done
    assert got.name == op_name
    assert got.response.type_url.endswith(type(resource).pb().DESCRIPTOR.full_name)

    listed = clients.versions.list_operations(request=operations_pb2.ListOperationsRequest(name=PARENT))
    assert op_name in [op.name for op in listed.operations]

    assert clients.versions.cancel_operation(request={"name": op_name}) is None
    with pytest.raises(gexc.NotFound):
        clients.versions.get_operation(request={"name": f"{PARENT}/operations/nope"})


def test_update_environment_is_a_long_running_operation(clients: Any, agent: cx.Agent) -> None:
    env = clients.environments.create_environment(
        parent=agent.name, environment=cx.Environment(display_name="env")
    ).result(timeout=10)
    env.description = "changed"
    operation = clients.environments.update_environment(
        environment=env, update_mask=field_mask_pb2.FieldMask(paths=["description"])
    )
    assert isinstance(operation, lro.Operation)
    assert operation.result(timeout=10).description == "changed"


def test_versions_number_from_one_per_flow(clients: Any, agent: cx.Agent) -> None:
    names = [
        clients.versions.create_version(parent=agent.start_flow, version=cx.Version(display_name=f"v{i}"))
        .result(timeout=10)
        .name
        for i in (1, 2)
    ]
    assert names == [f"{agent.start_flow}/versions/1", f"{agent.start_flow}/versions/2"]
    assert clients.versions.get_version(name=names[0]).state == cx.Version.State.SUCCEEDED


def test_generative_settings_need_a_language(clients: Any, agent: cx.Agent) -> None:
    with pytest.raises(gexc.InvalidArgument):
        clients.agents.get_generative_settings(
            request=cx.GetGenerativeSettingsRequest(name=f"{agent.name}/generativeSettings")
        )


@pytest.mark.parametrize(
    ("view", "has_phrases"),
    [
        pytest.param(cx.IntentView.INTENT_VIEW_UNSPECIFIED, True, id="default-view-full"),
        pytest.param(cx.IntentView.INTENT_VIEW_FULL, True, id="full-view"),
        pytest.param(cx.IntentView.INTENT_VIEW_PARTIAL, False, id="partial-view"),
    ],
)
def test_list_intents_view(clients: Any, agent: cx.Agent, view: Any, has_phrases: bool) -> None:
    listed = clients.intents.list_intents(request=cx.ListIntentsRequest(parent=agent.name, intent_view=view))
    welcome = next(i for i in listed if i.display_name == "Default Welcome Intent")
    assert bool(welcome.training_phrases) is has_phrases


def test_version_used_by_an_environment_cannot_be_deleted(clients: Any, agent: cx.Agent) -> None:
    parent, env = _environment(clients, agent)
    clients.environments.create_environment(parent=parent, environment=env).result(timeout=10)
    version = env.version_configs[0].version
    with pytest.raises(gexc.FailedPrecondition):
        clients.versions.delete_version(name=version)
    assert clients.versions.get_version(name=version).name == version
