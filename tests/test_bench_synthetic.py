"""The synthetic agent generator of bench/: what it writes through the real client reads back whole."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.cloud import dialogflowcx_v3 as cx

from cxops.fake import FakeCX

# bench/ is not an installed package; `pytest` (unlike `python -m pytest`) does not put the
# project root on sys.path.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from conftest import PARENT, client  # noqa: E402

from bench.synthetic import SIZES, Spec, build_agent, resolve  # noqa: E402

SPEC = SIZES["S"]
DEFAULTS = {"Default Welcome Intent", "Default Negative Intent"}


def _list(method: Any, request: Any) -> list[Any]:
    return list(method(request=request))


def test_size_s_reads_back_through_the_client(fake: FakeCX, channel: grpc.Channel, clients: Any) -> None:
    agent = build_agent(channel, "S", parent=PARENT, display_name="Bench S")

    got = clients.agents.get_agent(name=agent)
    assert got.display_name == "Bench S"
    assert list(got.supported_language_codes) == ["ja"]

    flows = _list(clients.flows.list_flows, cx.ListFlowsRequest(parent=agent))
    assert len(flows) == SPEC.flows + 1
    default = next(f for f in flows if f.display_name == "Default Start Flow")
    for flow in flows:
        pages = _list(clients.pages.list_pages, cx.ListPagesRequest(parent=flow.name))
        assert len(pages) == (0 if flow.name == default.name else SPEC.pages_per_flow)
    # The Default Start Flow keeps its welcome route and gains one route into each flow.
    assert len(default.transition_routes) == 1 + SPEC.flows

    intents_ja = _list(
        clients.intents.list_intents,
        cx.ListIntentsRequest(parent=agent, language_code="ja", intent_view=cx.IntentView.INTENT_VIEW_FULL),
    )
    custom = [i for i in intents_ja if i.display_name not in DEFAULTS]
    assert len(intents_ja) == SPEC.intents + 2
    assert all(len(i.training_phrases) == SPEC.phrases_per_intent for i in custom)
    assert all(
        not "".join(part.text for part in p.parts).isascii() for i in custom for p in i.training_phrases
    )
    annotated = {part.parameter_id for i in custom for p in i.training_phrases for part in p.parts}
    assert "quantity" in annotated  # @sys.number
    assert len(annotated) > 2  # and custom entity types

    entity_types_ja = _list(
        clients.entity_types.list_entity_types, cx.ListEntityTypesRequest(parent=agent, language_code="ja")
    )
    assert len(entity_types_ja) == SPEC.entity_types
    for entity_type in entity_types_ja:
        assert len(entity_type.entities) == SPEC.entries_per_entity_type
        assert all(not s.isascii() for e in entity_type.entities for s in e.synonyms)

    agent_groups = _list(
        clients.route_groups.list_transition_route_groups, cx.ListTransitionRouteGroupsRequest(parent=agent)
    )
    flow_groups = [
        group
        for flow in flows
        for group in _list(
            clients.route_groups.list_transition_route_groups,
            cx.ListTransitionRouteGroupsRequest(parent=flow.name),
        )
    ]
    assert len(agent_groups) == SPEC.agent_route_groups
    assert len(flow_groups) == SPEC.flow_route_groups
    # A flow-level and an agent-level group may share a display name; the generator makes sure.
    assert {g.display_name for g in agent_groups} & {g.display_name for g in flow_groups}

    test_cases = _list(clients.test_cases.list_test_cases, cx.ListTestCasesRequest(parent=agent))
    assert len(test_cases) == SPEC.test_cases
    assert len(_list(clients.webhooks.list_webhooks, cx.ListWebhooksRequest(parent=agent))) == SPEC.webhooks

    # Languages: created in en, then exactly one ja write per translatable resource.
    assert fake.count("UpdateIntent") == SPEC.intents
    assert fake.count("UpdateEntityType") == SPEC.entity_types
    assert fake.count("UpdateTransitionRouteGroup") == SPEC.route_groups
    assert fake.count("CreatePage") == fake.count("UpdatePage") // 2 == SPEC.flows * SPEC.pages_per_flow


def test_pages_carry_the_realistic_parts(channel: grpc.Channel, clients: Any) -> None:
    agent = build_agent(channel, "S", parent=PARENT)
    flows = [f for f in clients.flows.list_flows(parent=agent) if f.display_name != "Default Start Flow"]
    pages = [
        clients.pages.get_page(request=cx.GetPageRequest(name=p.name, language_code="ja"))
        for flow in flows
        for p in clients.pages.list_pages(parent=flow.name)
    ]
    routes = [r for p in pages for r in p.transition_routes]
    groups = [g for p in pages for g in p.transition_route_groups]
    assert all(
        p.entry_fulfillment.messages and not p.entry_fulfillment.messages[0].text.text[0].isascii()
        for p in pages
    )
    assert any(p.form.parameters for p in pages)
    assert any(p.entry_fulfillment.webhook and p.entry_fulfillment.tag for p in pages)
    assert any(r.condition for r in routes)
    assert any(r.target_flow for r in routes)
    assert any(r.target_page.endswith("/pages/END_SESSION") for r in routes)
    assert any("/flows/" in g for g in groups)
    assert any("/flows/" not in g for g in groups)


def _snapshot(clients: Any, agent: str) -> list[Any]:
    """Every resource in both languages with server ids replaced by display names."""
    labels: dict[str, str] = {}
    items: list[tuple[str, Any]] = []

    def add(kind: str, msg: Any, label: str) -> None:
        labels[msg.name] = f"{kind}:{label}"
        items.append((kind, msg))

    for kind, method, request in (
        ("entity_type", clients.entity_types.list_entity_types, cx.ListEntityTypesRequest),
        ("intent", clients.intents.list_intents, cx.ListIntentsRequest),
    ):
        for lang in ("en", "ja"):
            for msg in method(request=request(parent=agent, language_code=lang)):
                add(kind, msg, msg.display_name)
    for msg in clients.webhooks.list_webhooks(parent=agent):
        add("webhook", msg, msg.display_name)
    for msg in clients.route_groups.list_transition_route_groups(parent=agent):
        add("group", msg, msg.display_name)
    for lang in ("en", "ja"):
        for flow in clients.flows.list_flows(request=cx.ListFlowsRequest(parent=agent, language_code=lang)):
            add("flow", flow, flow.display_name)
            for special in ("END_SESSION", "END_FLOW"):
                labels[f"{flow.name}/pages/{special}"] = special
            for msg in clients.pages.list_pages(
                request=cx.ListPagesRequest(parent=flow.name, language_code=lang)
            ):
                add("page", msg, f"{flow.display_name}/{msg.display_name}")
            for msg in clients.route_groups.list_transition_route_groups(
                request=cx.ListTransitionRouteGroupsRequest(parent=flow.name, language_code=lang)
            ):
                add("group", msg, f"{flow.display_name}/{msg.display_name}")
    view = cx.ListTestCasesRequest.TestCaseView.FULL
    for msg in clients.test_cases.list_test_cases(request=cx.ListTestCasesRequest(parent=agent, view=view)):
        add("test_case", msg, msg.display_name)

    volatile = {"name", "id", "create_time", "creation_time", "update_time"}

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in sorted(value.items()) if k not in volatile}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        if isinstance(value, str):
            return labels.get(value, value)
        return value

    out = [(kind, scrub(type(msg).to_dict(msg, preserving_proto_field_name=True))) for kind, msg in items]
    return sorted(out, key=repr)


def test_content_does_not_depend_on_thread_order(channel: grpc.Channel, clients: Any) -> None:
    one = _snapshot(clients, build_agent(channel, "S", parent=PARENT, workers=8))
    with FakeCX(seed=99) as other:
        other_channel = grpc.insecure_channel(other.address)

        class Other:
            entity_types = client(cx.EntityTypesClient, other_channel)
            intents = client(cx.IntentsClient, other_channel)
            webhooks = client(cx.WebhooksClient, other_channel)
            route_groups = client(cx.TransitionRouteGroupsClient, other_channel)
            flows = client(cx.FlowsClient, other_channel)
            pages = client(cx.PagesClient, other_channel)
            test_cases = client(cx.TestCasesClient, other_channel)

        two = _snapshot(Other, build_agent(other_channel, "S", parent=PARENT, workers=1))
        other_channel.close()
    assert one == two


def test_spec_is_checked() -> None:
    assert resolve("s") is SIZES["S"]
    custom = Spec(**{**SPEC.__dict__, "flows": 2})
    assert resolve(custom) is custom
    with pytest.raises(ValueError, match="pages_per_flow"):
        Spec(**{**SPEC.__dict__, "pages_per_flow": 1})
    with pytest.raises(ValueError, match="agent_route_groups"):
        Spec(**{**SPEC.__dict__, "agent_route_groups": SPEC.route_groups + 1})
    with pytest.raises(ValueError, match="unknown size"):
        resolve("XL")
