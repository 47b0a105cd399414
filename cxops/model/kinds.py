"""The kinds of resource an agent tree holds, where each lives in the tree and in a JSON package.

A resource's identity across agents is its key: kind + scope + display name (SPEC §1), where the
scope is the flow of a page or flow-level route group and the playbook of an example.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cxops.model import schema


@dataclass(frozen=True)
class Kind:
    name: str  # "page"
    plural: str  # "pages", for summaries
    proto: str  # the v3 message of the resource ("Page")
    tree_dir: str  # folder in the tree, inside the scope's folder when scoped
    package_dir: str  # folder in a JSON package, likewise
    scope: str | None = None  # kind of the scope: "flow" or "playbook"
    own_folder: bool = False  # package: ``<dir>/<X>/<X>.json`` rather than ``<dir>/<X>.json``
    tree_file: str | None = None  # tree: fixed file name inside the resource's own folder

    @property
    def descriptor(self) -> Any:
        """The resource's fields, from the generated table (cxops/model/schema.json): reading
        them loads no client. Typed Any as a protobuf descriptor is: code walks bodies alike
        with this and with a real message's ``DESCRIPTOR``."""
        return schema.message(f"{schema.V3}.{self.proto}")


AGENT = Kind("agent", "agent", "Agent", "", "")
FLOW = Kind("flow", "flows", "Flow", "flows", "flows", own_folder=True, tree_file="flow.yaml")
PAGE = Kind("page", "pages", "Page", "pages", "pages", scope="flow")
FLOW_ROUTE_GROUP = Kind(
    "flow_route_group",
    "flow route groups",
    "TransitionRouteGroup",
    "route-groups",
    "transitionRouteGroups",
    scope="flow",
)
ROUTE_GROUP = Kind(
    "route_group", "route groups", "TransitionRouteGroup", "route-groups", "agentTransitionRouteGroups"
)
INTENT = Kind("intent", "intents", "Intent", "intents", "intents", own_folder=True)
ENTITY_TYPE = Kind(
    "entity_type", "entity types", "EntityType", "entity-types", "entityTypes", own_folder=True
)
WEBHOOK = Kind("webhook", "webhooks", "Webhook", "webhooks", "webhooks")
TEST_CASE = Kind("test_case", "test cases", "TestCase", "test-cases", "testCases")
GENERATOR = Kind("generator", "generators", "Generator", "generators", "generators", own_folder=True)
PLAYBOOK = Kind(
    "playbook",
    "playbooks",
    "Playbook",
    "playbooks",
    "playbooks",
    own_folder=True,
    tree_file="playbook.yaml",
)
EXAMPLE = Kind("example", "examples", "Example", "examples", "examples", scope="playbook")
TOOL = Kind("tool", "tools", "Tool", "tools", "tools", own_folder=True, tree_file="tool.yaml")
# Test cases of the newer format an export writes to ``testCases/v2/`` (conversationTurns with
# agentOutput and metricGoldens, testConfig.startPlaybook): no published proto has them and no v3
# API call reads or writes them, so only a package carries them (import, package, restore,
# ExportAgent). TestCase is their schema as far as it goes (display name, tags, notes,
# test_config); the rest is export-only (cxops/model/keyrule.py).
PLAYBOOK_TEST_CASE = Kind(
    "playbook_test_case",
    "playbook test cases",
    "TestCase",
    "playbook-test-cases",
    "testCases/v2",
)
GENERATIVE_SETTINGS = Kind(
    "generative_settings", "generative settings", "GenerativeSettings", "", "generativeSettings"
)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        AGENT,
        FLOW,
        PAGE,
        FLOW_ROUTE_GROUP,
        ROUTE_GROUP,
        INTENT,
        ENTITY_TYPE,
        WEBHOOK,
        TEST_CASE,
        PLAYBOOK_TEST_CASE,
        GENERATOR,
        PLAYBOOK,
        EXAMPLE,
        TOOL,
        GENERATIVE_SETTINGS,
    )
}
# Kinds only a package carries: no API read returns them, so plan, apply and drift leave them
# out and a pull through the API keeps them from the tree.
PACKAGE_ONLY = frozenset({PLAYBOOK_TEST_CASE.name})

# Order in which kinds are listed and written: dependencies first (SPEC §5 apply order).
ORDER = (
    "agent",
    "generative_settings",
    "entity_type",
    "webhook",
    "intent",
    "generator",
    "tool",
    "playbook",
    "example",
    "route_group",
    "flow",
    "page",
    "flow_route_group",
    "test_case",
    "playbook_test_case",
)
