"""Contract: references must resolve on write; deleting a referenced resource needs force, and
force removes the references the way the v3 Delete*Request.force documentation says."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import PARENT
from google.api_core import exceptions as gexc
from google.cloud import dialogflowcx_v3 as cx

SYS = "projects/-/locations/-/agents/-/entityTypes/sys."
SYS_ANY = SYS + "any"
MISSING = "11111111-2222-4333-8444-555555555555"
PHRASE = cx.Intent.TrainingPhrase


def text(*lines: str) -> cx.ResponseMessage:
    return cx.ResponseMessage(text=cx.ResponseMessage.Text(text=list(lines)))


def route(**kw: Any) -> cx.TransitionRoute:
    kw.setdefault("condition", "true")
    return cx.TransitionRoute(**kw)


class World:
    """An agent with a second flow and a page in it, to point references at."""

    def __init__(self, clients: Any, agent: cx.Agent) -> None:
        self.c, self.agent, self.start = clients, agent, agent.start_flow
        self.flow_b = clients.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="B")).name
        self.page_b = clients.pages.create_page(parent=self.flow_b, page=cx.Page(display_name="PB")).name
        self.group_b = clients.route_groups.create_transition_route_group(
            parent=self.flow_b,
            transition_route_group=cx.TransitionRouteGroup(display_name="GB", transition_routes=[route()]),
        ).name
        self.other_agent = clients.agents.create_agent(
            parent=PARENT,
            agent=cx.Agent(display_name="Other", default_language_code="en", time_zone="Europe/Paris"),
        )

    def page(self, **kw: Any) -> cx.Page:
        return self.c.pages.create_page(parent=self.start, page=cx.Page(display_name="P", **kw))

    def flow(self, **kw: Any) -> cx.Flow:
        return self.c.flows.create_flow(parent=self.agent.name, flow=cx.Flow(display_name="F", **kw))

    def intent(self, **kw: Any) -> cx.Intent:
        return self.c.intents.create_intent(parent=self.agent.name, intent=cx.Intent(display_name="I", **kw))


@pytest.fixture
def world(clients: Any, agent: cx.Agent) -> World:
    return World(clients, agent)


# -- references that do not resolve ---------------------------------------------------------------

# (id, write(world) -> raises, the reference named in the error (from the world))
BAD_REFS: list[tuple[str, Callable[[World], Any], Callable[[World], str]]] = [
    (
        "route-target-page-of-another-flow",
        lambda w: w.page(transition_routes=[route(target_page=w.page_b)]),
        lambda w: w.page_b,
    ),
    (
        "route-target-page-missing",
        lambda w: w.page(transition_routes=[route(target_page=f"{w.start}/pages/{MISSING}")]),
        lambda w: f"{w.start}/pages/{MISSING}",
    ),
    (
        "flow-route-target-page-of-another-flow",
        lambda w: w.c.flows.update_flow(
            flow=cx.Flow(name=w.start, display_name="S", transition_routes=[route(target_page=w.page_b)])
        ),
        lambda w: w.page_b,
    ),
    (
        "event-handler-target-page-missing",
        lambda w: w.page(
            event_handlers=[
                cx.EventHandler(event="sys.no-match-default", target_page=f"{w.start}/pages/{MISSING}")
            ]
        ),
        lambda w: f"{w.start}/pages/{MISSING}",
    ),
    (
        "route-target-flow-missing",
        lambda w: w.page(transition_routes=[route(target_flow=f"{w.agent.name}/flows/{MISSING}")]),
        lambda w: f"{w.agent.name}/flows/{MISSING}",
    ),
    (
        "route-target-flow-of-another-agent",
        lambda w: w.page(transition_routes=[route(target_flow=w.other_agent.start_flow)]),
        lambda w: w.other_agent.start_flow,
    ),
    (
        "route-intent-missing",
        lambda w: w.page(transition_routes=[cx.TransitionRoute(intent=f"{w.agent.name}/intents/{MISSING}")]),
        lambda w: f"{w.agent.name}/intents/{MISSING}",
    ),
    (
        "fulfillment-webhook-missing",
        lambda w: w.page(
            entry_fulfillment=cx.Fulfillment(webhook=f"{w.agent.name}/webhooks/{MISSING}", tag="t")
        ),
        lambda w: f"{w.agent.name}/webhooks/{MISSING}",
    ),
    (
        "route-group-missing",
        lambda w: w.page(transition_route_groups=[f"{w.agent.name}/transitionRouteGroups/{MISSING}"]),
        lambda w: f"{w.agent.name}/transitionRouteGroups/{MISSING}",
    ),
    (
        "flow-level-route-group-of-another-flow",
        lambda w: w.page(transition_route_groups=[w.group_b]),
        lambda w: w.group_b,
    ),
    (
        "form-parameter-entity-type-missing",
        lambda w: w.page(
            form=cx.Form(
                parameters=[
                    cx.Form.Parameter(
                        display_name="size", entity_type=f"{w.agent.name}/entityTypes/{MISSING}"
                    )
                ]
            )
        ),
        lambda w: f"{w.agent.name}/entityTypes/{MISSING}",
    ),
    (
        "intent-parameter-entity-type-missing",
        lambda w: w.intent(
            parameters=[cx.Intent.Parameter(id="size", entity_type=f"{w.agent.name}/entityTypes/{MISSING}")]
        ),
        lambda w: f"{w.agent.name}/entityTypes/{MISSING}",
    ),
    (
        "fulfillment-generator-missing",
        lambda w: w.page(
            entry_fulfillment=cx.Fulfillment(
                generators=[
                    cx.Fulfillment.GeneratorSettings(
                        generator=f"{w.agent.name}/generators/{MISSING}", output_parameter="out"
                    )
                ]
            )
        ),
        lambda w: f"{w.agent.name}/generators/{MISSING}",
    ),
    (
        "playbook-tool-missing",
        lambda w: w.c.playbooks.create_playbook(
            parent=w.agent.name,
            playbook=cx.Playbook(
                display_name="pb", goal="g", referenced_tools=[f"{w.agent.name}/tools/{MISSING}"]
            ),
        ),
        lambda w: f"{w.agent.name}/tools/{MISSING}",
    ),
    (
        "route-intent-of-another-agent",
        lambda w: w.page(
            transition_routes=[
                cx.TransitionRoute(
                    intent=f"{w.other_agent.name}/intents/00000000-0000-0000-0000-000000000000"
                )
            ]
        ),
        lambda w: f"{w.other_agent.name}/intents/00000000-0000-0000-0000-000000000000",
    ),
]


@pytest.mark.parametrize(
    ("write", "named"), [(w, n) for _, w, n in BAD_REFS], ids=[i for i, _, _ in BAD_REFS]
)
def test_unresolved_reference_is_invalid(world: World, write: Any, named: Any) -> None:
    with pytest.raises(gexc.InvalidArgument) as raised:
        write(world)
    assert named(world) in str(raised.value)
    assert [p.display_name for p in world.c.pages.list_pages(parent=world.start)] == []


SPECIAL_PAGES = [
    "START_PAGE",
    "END_SESSION",
    "END_FLOW",
    "CURRENT_PAGE",
    "PREVIOUS_PAGE",
    "END_FLOW_WITH_CANCELLATION",
    "END_FLOW_WITH_FAILURE",
    "END_FLOW_WITH_HUMAN_ESCALATION",
]


@pytest.mark.parametrize("special", SPECIAL_PAGES)
def test_special_pages_are_valid_targets(world: World, special: str) -> None:
    target = f"{world.start}/pages/{special}"
    page = world.page(
        transition_routes=[route(target_page=target)],
        event_handlers=[cx.EventHandler(event="sys.no-match-default", target_page=target)],
    )
    assert page.transition_routes[0].target_page == target
    assert page.event_handlers[0].target_page == target


@pytest.mark.parametrize("system", ["sys.any", "sys.number", "sys.date", "sys.geo-city"])
def test_system_entity_types_are_valid(world: World, system: str) -> None:
    page = world.page(
        form=cx.Form(parameters=[cx.Form.Parameter(display_name="p", entity_type=SYS + system)])
    )
    assert page.form.parameters[0].entity_type == SYS + system
    intent = world.intent(parameters=[cx.Intent.Parameter(id="p", entity_type=SYS + system)])
    assert intent.parameters[0].entity_type == SYS + system


GOOD_REFS: list[tuple[str, Callable[[World], Any]]] = [
    (
        "route-target-page-same-flow",
        lambda w: w.c.pages.create_page(
            parent=w.flow_b, page=cx.Page(display_name="P2", transition_routes=[route(target_page=w.page_b)])
        ),
    ),
    ("route-target-flow", lambda w: w.page(transition_routes=[route(target_flow=w.flow_b)])),
    (
        "flow-level-route-group-same-flow",
        lambda w: w.c.pages.create_page(
            parent=w.flow_b, page=cx.Page(display_name="P2", transition_route_groups=[w.group_b])
        ),
    ),
    (
        "agent-level-route-group-from-any-flow",
        lambda w: w.page(
            transition_route_groups=[
                w.c.route_groups.create_transition_route_group(
                    parent=w.agent.name,
                    transition_route_group=cx.TransitionRouteGroup(
                        display_name="G", transition_routes=[route()]
                    ),
                ).name
            ]
        ),
    ),
    (
        "default-welcome-intent",
        lambda w: w.page(
            transition_routes=[
                cx.TransitionRoute(intent=f"{w.agent.name}/intents/00000000-0000-0000-0000-000000000000")
            ]
        ),
    ),
]


@pytest.mark.parametrize("write", [w for _, w in GOOD_REFS], ids=[i for i, _ in GOOD_REFS])
def test_resolving_references_are_accepted(world: World, write: Any) -> None:
    assert write(world).name


# -- deleting referenced resources ----------------------------------------------------------------


@dataclass(frozen=True)
class Doomed:
    """A resource and a referrer pointing at it."""

    target: str
    referrer: str
    get_referrer: Callable[[str], Any]
    delete: Callable[..., Any]  # delete(name, force)


def _entity_type(w: World) -> str:
    return w.c.entity_types.create_entity_type(
        parent=w.agent.name,
        entity_type=cx.EntityType(
            display_name="size",
            kind=cx.EntityType.Kind.KIND_MAP,
            entities=[cx.EntityType.Entity(value="big", synonyms=["big"])],
        ),
    ).name


def _webhook(w: World) -> str:
    return w.c.webhooks.create_webhook(
        parent=w.agent.name,
        webhook=cx.Webhook(
            display_name="h", generic_web_service=cx.Webhook.GenericWebService(uri="https://x/")
        ),
    ).name


def _deleter(method: Callable[..., Any], request: type) -> Callable[..., Any]:
    return lambda name, force: method(request=request(name=name, force=force))


def page_target(w: World) -> Doomed:
    target = w.c.pages.create_page(parent=w.start, page=cx.Page(display_name="Target")).name
    referrer = w.page(transition_routes=[route(target_page=target)]).name
    return Doomed(
        target,
        referrer,
        lambda n: w.c.pages.get_page(name=n),
        _deleter(w.c.pages.delete_page, cx.DeletePageRequest),
    )


def page_handler_target(w: World) -> Doomed:
    referrer = w.c.pages.create_page(
        parent=w.flow_b,
        page=cx.Page(display_name="R", event_handlers=[cx.EventHandler(event="e", target_page=w.page_b)]),
    ).name
    return Doomed(
        w.page_b,
        referrer,
        lambda n: w.c.pages.get_page(name=n),
        _deleter(w.c.pages.delete_page, cx.DeletePageRequest),
    )


def flow_target(w: World) -> Doomed:
    flow = w.c.flows.get_flow(name=w.start)
    flow.transition_routes.append(route(target_flow=w.flow_b))
    w.c.flows.update_flow(flow=flow)
    return Doomed(
        w.flow_b,
        w.start,
        lambda n: w.c.flows.get_flow(name=n),
        _deleter(w.c.flows.delete_flow, cx.DeleteFlowRequest),
    )


def webhook_in_fulfillment(w: World) -> Doomed:
    hook = _webhook(w)
    referrer = w.page(
        entry_fulfillment=cx.Fulfillment(webhook=hook, tag="lookup", messages=[text("hi")])
    ).name
    return Doomed(
        hook,
        referrer,
        lambda n: w.c.pages.get_page(name=n),
        _deleter(w.c.webhooks.delete_webhook, cx.DeleteWebhookRequest),
    )


def entity_type_in_form(w: World) -> Doomed:
    et = _entity_type(w)
    referrer = w.page(form=cx.Form(parameters=[cx.Form.Parameter(display_name="size", entity_type=et)])).name
    return Doomed(
        et,
        referrer,
        lambda n: w.c.pages.get_page(name=n),
        _deleter(w.c.entity_types.delete_entity_type, cx.DeleteEntityTypeRequest),
    )


def entity_type_in_intent(w: World) -> Doomed:
    et = _entity_type(w)
    referrer = w.intent(
        parameters=[
            cx.Intent.Parameter(id="size", entity_type=et),
            cx.Intent.Parameter(id="n", entity_type=SYS_ANY),
        ]
    ).name
    return Doomed(
        et,
        referrer,
        lambda n: w.c.intents.get_intent(name=n),
        _deleter(w.c.entity_types.delete_entity_type, cx.DeleteEntityTypeRequest),
    )


def route_group_in_page(w: World) -> Doomed:
    referrer = w.c.pages.create_page(
        parent=w.flow_b, page=cx.Page(display_name="R", transition_route_groups=[w.group_b])
    ).name
    return Doomed(
        w.group_b,
        referrer,
        lambda n: w.c.pages.get_page(name=n),
        _deleter(w.c.route_groups.delete_transition_route_group, cx.DeleteTransitionRouteGroupRequest),
    )


def generator_in_fulfillment(w: World) -> Doomed:
    gen = w.c.generators.create_generator(
        parent=w.agent.name, generator=cx.Generator(display_name="g", prompt_text=cx.Phrase(text="p"))
    ).name
    referrer = w.page(
        entry_fulfillment=cx.Fulfillment(
            generators=[cx.Fulfillment.GeneratorSettings(generator=gen, output_parameter="out")]
        )
    ).name
    return Doomed(
        gen,
        referrer,
        lambda n: w.c.pages.get_page(name=n),
        _deleter(w.c.generators.delete_generator, cx.DeleteGeneratorRequest),
    )


def tool_in_playbook(w: World) -> Doomed:
    tool = w.c.tools.create_tool(parent=w.agent.name, tool=cx.Tool(display_name="t", description="d")).name
    referrer = w.c.playbooks.create_playbook(
        parent=w.agent.name, playbook=cx.Playbook(display_name="pb", goal="g", referenced_tools=[tool])
    ).name
    return Doomed(
        tool,
        referrer,
        lambda n: w.c.playbooks.get_playbook(name=n),
        _deleter(w.c.tools.delete_tool, cx.DeleteToolRequest),
    )


def _gone_route_target(r: Any, d: Doomed) -> None:
    (rt,) = r.transition_routes
    assert rt.target_page == ""
    assert rt.condition == "true"  # the route stays, only its target is cleared


def _gone_handler_target(r: Any, d: Doomed) -> None:
    (h,) = r.event_handlers
    assert (h.event, h.target_page) == ("e", "")


def _gone_flow_target(r: Any, d: Doomed) -> None:
    assert all(rt.target_flow != d.target for rt in r.transition_routes)
    assert len(r.transition_routes) == 2  # the welcome route and the cleared one


def _gone_webhook(r: Any, d: Doomed) -> None:
    assert (r.entry_fulfillment.webhook, r.entry_fulfillment.tag) == ("", "")
    assert r.entry_fulfillment.messages[0].text.text == ["hi"]


def _form_param_to_sys_any(r: Any, d: Doomed) -> None:
    (p,) = r.form.parameters
    assert (p.display_name, p.entity_type) == ("size", SYS_ANY)


def _intent_param_removed(r: Any, d: Doomed) -> None:
    assert [p.id for p in r.parameters] == ["n"]


def _group_removed(r: Any, d: Doomed) -> None:
    assert list(r.transition_route_groups) == []


def _generator_removed(r: Any, d: Doomed) -> None:
    assert list(r.entry_fulfillment.generators) == []


def _tool_removed(r: Any, d: Doomed) -> None:
    assert list(r.referenced_tools) == []


DELETES = [
    pytest.param(page_target, _gone_route_target, id="page-route-target"),
    pytest.param(page_handler_target, _gone_handler_target, id="page-handler-target"),
    pytest.param(flow_target, _gone_flow_target, id="flow-route-target"),
    pytest.param(webhook_in_fulfillment, _gone_webhook, id="webhook-in-fulfillment"),
    pytest.param(entity_type_in_form, _form_param_to_sys_any, id="entity-type-in-form-parameter"),
    pytest.param(entity_type_in_intent, _intent_param_removed, id="entity-type-in-intent-parameter"),
    pytest.param(route_group_in_page, _group_removed, id="route-group-in-page"),
    pytest.param(generator_in_fulfillment, _generator_removed, id="generator-in-fulfillment"),
    pytest.param(tool_in_playbook, _tool_removed, id="tool-in-playbook"),
]


@pytest.mark.parametrize(("setup", "after"), DELETES)
def test_delete_referenced_without_force_fails(world: World, setup: Any, after: Any) -> None:
    doomed = setup(world)
    before = doomed.get_referrer(doomed.referrer)
    with pytest.raises(gexc.FailedPrecondition) as raised:
        doomed.delete(doomed.target, False)
    assert doomed.referrer in str(raised.value)
    assert doomed.get_referrer(doomed.referrer) == before


@pytest.mark.parametrize(("setup", "after"), DELETES)
def test_delete_referenced_with_force_removes_the_reference(world: World, setup: Any, after: Any) -> None:
    doomed = setup(world)
    doomed.delete(doomed.target, True)
    referrer = doomed.get_referrer(doomed.referrer)
    after(referrer, doomed)
    assert doomed.target not in str(referrer)
    with pytest.raises(gexc.NotFound):
        _get_any(world, doomed.target)


def _get_any(w: World, name: str) -> Any:
    collection = name.split("/")[-2]
    getter = {
        "pages": w.c.pages.get_page,
        "flows": w.c.flows.get_flow,
        "webhooks": w.c.webhooks.get_webhook,
        "entityTypes": w.c.entity_types.get_entity_type,
        "transitionRouteGroups": w.c.route_groups.get_transition_route_group,
        "generators": w.c.generators.get_generator,
        "tools": w.c.tools.get_tool,
    }[collection]
    return getter(name=name)


def test_forced_delete_keeps_the_referrer_valid(world: World) -> None:
    """The referrer, read back after a forced delete, can be written back as it is."""
    doomed = entity_type_in_form(world)
    doomed.delete(doomed.target, True)
    page = world.c.pages.get_page(name=doomed.referrer)
    assert world.c.pages.update_page(page=page) == page


def test_referenced_intent_cannot_be_deleted(world: World) -> None:
    intent = world.intent().name
    world.page(transition_routes=[cx.TransitionRoute(intent=intent)])
    with pytest.raises(gexc.FailedPrecondition):
        world.c.intents.delete_intent(name=intent)
    assert world.c.intents.get_intent(name=intent).name == intent


def test_unreferenced_resource_deletes_without_force(world: World) -> None:
    hook = _webhook(world)
    world.c.webhooks.delete_webhook(name=hook)
    with pytest.raises(gexc.NotFound):
        world.c.webhooks.get_webhook(name=hook)


def test_references_inside_the_deleted_subtree_do_not_block(world: World) -> None:
    """A flow whose pages point at each other deletes without force, pages and all."""
    other = world.c.pages.create_page(
        parent=world.flow_b,
        page=cx.Page(display_name="P2", transition_routes=[route(target_page=world.page_b)]),
    )
    world.c.flows.delete_flow(name=world.flow_b)
    for name in (world.flow_b, world.page_b, other.name, world.group_b):
        with pytest.raises(gexc.NotFound):
            _get_any(world, name)
