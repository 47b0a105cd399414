"""Resource names of a live agent by key, listed only for the collections a plan writes to."""

from __future__ import annotations

from typing import Any

from google.cloud import dialogflowcx_v3 as cx

from cxops.model.snapshot import Key


class LiveNames:
    """Key -> resource name, filled one collection at a time as writes need them."""

    def __init__(self, session: Any, agent: str) -> None:
        self.session = session
        self.agent = agent
        self.by_key: dict[Key, str] = {}
        self._listed: set[tuple[str, str]] = set()

    def _list(self, method: Any, request: Any) -> list[Any]:
        return list(self.session.list_all(method, request))

    def _fill(self, kind: str, scope: str) -> None:
        s = self.session
        if kind in ("page", "flow_route_group"):
            flow = self.get(Key("flow", "", scope))
            if flow is None:
                return
            if kind == "page":
                items = self._list(s.pages.list_pages, cx.ListPagesRequest(parent=flow))
            else:
                items = self._list(
                    s.transition_route_groups.list_transition_route_groups,
                    cx.ListTransitionRouteGroupsRequest(parent=flow),
                )
        elif kind == "example":
            playbook = self.get(Key("playbook", "", scope))
            if playbook is None:
                return
            items = self._list(s.examples.list_examples, cx.ListExamplesRequest(parent=playbook))
        else:
            parent = self.agent
            method, request = {
                "flow": (s.flows.list_flows, cx.ListFlowsRequest),
                "route_group": (
                    s.transition_route_groups.list_transition_route_groups,
                    cx.ListTransitionRouteGroupsRequest,
                ),
                "intent": (s.intents.list_intents, cx.ListIntentsRequest),
                "entity_type": (s.entity_types.list_entity_types, cx.ListEntityTypesRequest),
                "webhook": (s.webhooks.list_webhooks, cx.ListWebhooksRequest),
                "test_case": (s.test_cases.list_test_cases, cx.ListTestCasesRequest),
                "generator": (s.generators.list_generators, cx.ListGeneratorsRequest),
                "playbook": (s.playbooks.list_playbooks, cx.ListPlaybooksRequest),
                "tool": (s.tools.list_tools, cx.ListToolsRequest),
            }[kind]
            items = self._list(method, request(parent=parent))
        for item in items:
            self.by_key.setdefault(Key(kind, scope, str(item.display_name)), str(item.name))

    def get(self, key: Key) -> str | None:
        if key in self.by_key:
            return self.by_key[key]
        if (key.kind, key.scope) not in self._listed:
            self._listed.add((key.kind, key.scope))
            self._fill(key.kind, key.scope)
        return self.by_key.get(key)

    def find_again(self, key: Key) -> str | None:
        """After a create whose answer was lost: list the collection again."""
        self._listed.discard((key.kind, key.scope))
        self.by_key.pop(key, None)
        return self.get(key)
