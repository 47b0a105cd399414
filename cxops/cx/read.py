"""Read a whole agent through the API, as ``pull --via list`` does: every resource, the
translatable kinds once per language, listings run concurrently within the stage's limits."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from google.cloud import dialogflowcx_v3 as cx

from cxops.package.fromapi import ApiAgent, ApiResource

Listing = tuple[str, Callable[..., Any], Any, str]  # collection, client method, request, language


def _raw(message: Any) -> Any:
    return type(message).pb(message) if hasattr(type(message), "pb") else message


def read_agent(session: Any, agent_name: str, workers: int = 8) -> ApiAgent:
    call = session.call
    agent = _raw(call(session.agents.get_agent, cx.GetAgentRequest(name=agent_name), write=False))
    default = str(agent.default_language_code).lower()
    languages = [
        default,
        *(str(c).lower() for c in agent.supported_language_codes if str(c).lower() != default),
    ]
    resources: dict[str, ApiResource] = {}

    def run(listings: list[Listing]) -> list[Any]:
        def one(listing: Listing) -> tuple[Listing, list[Any]]:
            return listing, session.list_all(listing[1], listing[2])

        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one, listings))
        items = []
        for (collection, _, _, language), found in results:
            for item in found:
                item = _raw(item)
                resource = resources.setdefault(item.name, ApiResource(collection, item.name, {}))
                resource.views[language] = item
                items.append(item)
        return items

    def per_language(collection: str, method: Any, request_cls: Any, **fields: Any) -> list[Listing]:
        return [(collection, method, request_cls(language_code=lang, **fields), lang) for lang in languages]

    flows = run(per_language("flows", session.flows.list_flows, cx.ListFlowsRequest, parent=agent_name))
    group_request = cx.ListTransitionRouteGroupsRequest
    listings: list[Listing] = []
    for flow in {f.name: f for f in flows}.values():
        listings += per_language("pages", session.pages.list_pages, cx.ListPagesRequest, parent=flow.name)
        listings += per_language(
            "transitionRouteGroups",
            session.transition_route_groups.list_transition_route_groups,
            group_request,
            parent=flow.name,
        )
    listings += per_language(
        "transitionRouteGroups",
        session.transition_route_groups.list_transition_route_groups,
        group_request,
        parent=agent_name,
    )
    listings += per_language(
        "intents",
        session.intents.list_intents,
        cx.ListIntentsRequest,
        parent=agent_name,
        intent_view=cx.IntentView.INTENT_VIEW_FULL,
    )
    listings += per_language(
        "entityTypes", session.entity_types.list_entity_types, cx.ListEntityTypesRequest, parent=agent_name
    )
    listings += per_language(
        "generators", session.generators.list_generators, cx.ListGeneratorsRequest, parent=agent_name
    )
    listings += [
        ("webhooks", session.webhooks.list_webhooks, cx.ListWebhooksRequest(parent=agent_name), default),
        (
            "testCases",
            session.test_cases.list_test_cases,
            cx.ListTestCasesRequest(parent=agent_name, view=cx.ListTestCasesRequest.TestCaseView.FULL),
            default,
        ),
        ("tools", session.tools.list_tools, cx.ListToolsRequest(parent=agent_name), default),
        ("playbooks", session.playbooks.list_playbooks, cx.ListPlaybooksRequest(parent=agent_name), default),
    ]
    items = run(listings)
    # Examples are not translatable: each holds its own language; one listing gives them all.
    run(
        [
            (
                "examples",
                session.examples.list_examples,
                cx.ListExamplesRequest(parent=p.name),
                default,
            )
            for p in items
            if "/playbooks/" in p.name and "/examples/" not in p.name
        ]
    )
    settings = {}
    for lang in languages:
        got = _raw(
            call(
                session.agents.get_generative_settings,
                cx.GetGenerativeSettingsRequest(name=f"{agent_name}/generativeSettings", language_code=lang),
                write=False,
            )
        )
        if any(f.name not in ("name", "language_code") for f, _ in got.ListFields()):
            settings[lang] = got
    return ApiAgent(agent=agent, resources=list(resources.values()), generative_settings=settings)


def find_agents(session: Any, parent: str, display_name: str) -> list[str]:
    agents = session.list_all(session.agents.list_agents, cx.ListAgentsRequest(parent=parent))
    return [str(a.name) for a in agents if a.display_name == display_name]


def export_package(session: Any, agent_name: str) -> bytes:
    """One ExportAgent in JSON-package format: one consistent snapshot of the agent, as zip bytes."""
    request = cx.ExportAgentRequest(
        name=agent_name, data_format=cx.ExportAgentRequest.DataFormat.JSON_PACKAGE
    )
    response = session.wait(session.agents.export_agent, request, cx.ExportAgentResponse, write=False)
    return bytes(response.agent_content)
