"""Seeded mutations of the sample agent: each breaks what one test case covers, and that test
case fails with a readable difference (written through the real client, as an edit would land)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from google.cloud import dialogflowcx_v3 as cx

from cxops.fake import FakeCX
from tests.runtimefixture import describe, restore_snapshot, run_all, sample_snapshot


class Agent:
    """Resources of one restored agent by display name, for editing through the client."""

    def __init__(self, clients: Any, name: str) -> None:
        self.c, self.name = clients, name
        self.flows = {f.display_name: f for f in clients.flows.list_flows(parent=name)}

    def flow(self, display: str) -> cx.Flow:
        return self.c.flows.get_flow(name=self.flows[display].name)

    def page(self, flow: str, display: str, language: str = "en") -> cx.Page:
        pages = self.c.pages.list_pages(
            request=cx.ListPagesRequest(parent=self.flows[flow].name, language_code=language)
        )
        return next(p for p in pages if p.display_name == display)

    def intent(self, display: str, language: str = "en") -> cx.Intent:
        intents = self.c.intents.list_intents(
            request=cx.ListIntentsRequest(
                parent=self.name, language_code=language, intent_view=cx.IntentView.INTENT_VIEW_FULL
            )
        )
        return next(i for i in intents if i.display_name == display)

    def entity(self, display: str, language: str = "en") -> cx.EntityType:
        found = self.c.entity_types.list_entity_types(
            request=cx.ListEntityTypesRequest(parent=self.name, language_code=language)
        )
        return next(e for e in found if e.display_name == display)

    def group(self, display: str) -> cx.TransitionRouteGroup:
        found = self.c.route_groups.list_transition_route_groups(parent=self.name)
        return next(g for g in found if g.display_name == display)


def remove_phrases(a: Agent) -> None:
    intent = a.intent("confirm.no")
    del intent.training_phrases[:]
    intent.training_phrases.append(
        cx.Intent.TrainingPhrase(
            parts=[cx.Intent.TrainingPhrase.Part(text="absolutely not ever")], repeat_count=1
        )
    )
    a.c.intents.update_intent(intent=intent)


def retarget_route(a: Agent) -> None:
    flow = a.flow("Default Start Flow")
    route = next(r for r in flow.transition_routes if r.target_flow == a.flows["Order Status"].name)
    route.target_flow = a.flows["Returns"].name
    a.c.flows.update_flow(flow=flow)


def change_message(a: Agent) -> None:
    flow = a.flow("Default Start Flow")
    flow.transition_routes[0].trigger_fulfillment.messages[0].text.text[0] = "Hello from the order desk."
    a.c.flows.update_flow(flow=flow)


def flip_condition(a: Agent) -> None:
    page = a.page("Customer Support", "Check Agent Availability")
    page.transition_routes[0].condition = "$session.params.agents_available = false"
    a.c.pages.update_page(page=page)


def make_optional(a: Agent) -> None:
    page = a.page("Customer Support", "Request Callback")
    page.form.parameters[0].required = False
    a.c.pages.update_page(page=page)


def drop_entity_value(a: Agent) -> None:
    entity = a.entity("store_location", "ja")
    keep = [e for e in entity.entities if e.value != "shibuya"]
    del entity.entities[:]
    entity.entities.extend(keep)
    a.c.entity_types.update_entity_type(
        request=cx.UpdateEntityTypeRequest(entity_type=entity, language_code="ja")
    )


def narrow_regexp(a: Agent) -> None:
    entity = a.entity("order_id")
    entity.entities[0].value = "[A-Z]{2}[0-9]{5}"
    entity.entities[0].synonyms[:] = ["[A-Z]{2}[0-9]{5}"]
    a.c.entity_types.update_entity_type(entity_type=entity)


def change_preset(a: Agent) -> None:
    group = a.group("Common Help")
    route = group.transition_routes[0]  # help.agent
    route.trigger_fulfillment.set_parameter_actions[0].value = "hours"
    a.c.route_groups.update_transition_route_group(transition_route_group=group)


def change_conditional_case(a: Agent) -> None:
    page = a.page("Customer Support", "Tell Store Hours", "ja")
    page.entry_fulfillment.conditional_cases[0].cases[0].condition = '$session.params.store = "ginza"'
    a.c.pages.update_page(request=cx.UpdatePageRequest(page=page, language_code="ja"))


def end_session_instead_of_flow(a: Agent) -> None:
    page = a.page("Order Status", "Order Shipped")
    route = next(r for r in page.transition_routes if r.target_page.endswith("/END_FLOW"))
    route.target_page = route.target_page.replace("/END_FLOW", "/END_SESSION")
    a.c.pages.update_page(page=page)


def drop_route_group(a: Agent) -> None:
    flow = a.flow("Default Start Flow")
    del flow.transition_route_groups[:]
    a.c.flows.update_flow(flow=flow)


def change_entry_message(a: Agent) -> None:
    page = a.page("Order Status", "Look Up Order")
    page.entry_fulfillment.messages[0].text.text[0] = "Looking up $session.params.order_id now."
    a.c.pages.update_page(page=page)


MUTATIONS: list[tuple[str, Callable[[Agent], None], str, str]] = [
    ("a training phrase removed", remove_phrases, "Order status - shipped (en)", "INTENT"),
    ("a route's target flow changed", retarget_route, "Order status - shipped (en)", "PAGE"),
    ("a route's message changed", change_message, "Order status - shipped (en)", "UTTERANCE"),
    ("a condition flipped", flip_condition, "Handoff - agent available (en)", "UTTERANCE"),
    (
        "a required form parameter made optional",
        make_optional,
        "Handoff - team busy, callback (en)",
        "UTTERANCE",
    ),
    ("an entity value removed (ja)", drop_entity_value, "店舗の営業時間 (ja)", "PARAMETERS"),
    ("a regexp entity narrowed", narrow_regexp, "Order status - shipped (en)", "PARAMETERS"),
    ("a parameter preset changed", change_preset, "Handoff - agent available (en)", "UTTERANCE"),
    (
        "a conditional response's condition changed",
        change_conditional_case,
        "店舗の営業時間 (ja)",
        "UTTERANCE",
    ),
    ("END_FLOW turned into END_SESSION", end_session_instead_of_flow, "Order status - shipped (en)", "PAGE"),
    ("an agent-level route group unlinked", drop_route_group, "Handoff - agent available (en)", "INTENT"),
    ("a page's entry message changed", change_entry_message, "Order status - shipped (en)", "UTTERANCE"),
]


@pytest.mark.parametrize(("what", "mutate", "case", "kind"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_a_mutation_fails_the_test_that_covers_it(
    fake: FakeCX, clients: Any, what: str, mutate: Callable[[Agent], None], case: str, kind: str
) -> None:
    agent = restore_snapshot(clients, sample_snapshot())
    mutate(Agent(clients, agent))
    results = dict(run_all(clients, agent))
    lines = describe(results[case])
    assert results[case].test_result == cx.TestResult.FAILED, what
    assert any(f": {kind}: Expected" in line for line in lines), lines
