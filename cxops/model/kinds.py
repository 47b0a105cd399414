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
    """One kind of resource: every fact about it the tree, the package, the API and the stand-in
    need, so that adding a kind is a change to this table (tests/test_kinds_table.py checks
    each row against every consumer)."""

    name: str  # "page"
    plural: str  # "pages", for summaries
    proto: str  # the v3 message of the resource ("Page"); its service is ``<proto>s``
    # Tree: the folder, inside the scope's folder when scoped; "" for a file at the tree's top
    # (``tree_file``).
    tree_dir: str
    package_dir: str  # folder in a JSON package, likewise; "" for ``agent.json``
    scope: str | None = None  # kind of the scope: "flow" or "playbook"
    own_folder: bool = False  # package: ``<dir>/<X>/<X>.json`` rather than ``<dir>/<X>.json``
    # Tree: fixed file name inside the resource's own folder (``flows/<F>/flow.yaml``), or of the
    # top-level file when ``tree_dir`` is "".
    tree_file: str | None = None
    # Package: folders of per-language files in the resource's own folder
    # (``intents/<I>/trainingPhrases/<lang>.json``).
    side_folders: tuple[str, ...] = ()
    # A file of its own beside the resource's, in the tree and the package alike
    # (``tools/<T>/schema.yaml``: the OpenAPI text).
    attachment: str | None = None
    # API: the segment of resource names (``agents/A/flows/F``); None where no API collection
    # serves the kind (the agent's generative settings are one resource of the agent; test cases
    # of the newer format no API serves).
    collection: str | None = None
    # Fields a Create must set: the v3 reference marks them "Required." (where real exports
    # show CX accepting less, reality wins; see the rows).
    required: tuple[str, ...] = ("display_name",)
    numeric_ids: bool = False  # ids are numbers, not UUIDs (flow versions)
    lro: bool = False  # Create/Update answer a long-running operation

    @property
    def parent(self) -> str | None:
        """The kind whose resource name a resource's name extends: its scope, else the agent."""
        if self.name == "agent":
            return None
        return self.scope or "agent"

    @property
    def descriptor(self) -> Any:
        """The resource's fields, from the generated table (cxops/model/schema.json): reading
        them loads no client. Typed Any as a protobuf descriptor is: code walks bodies alike
        with this and with a real message's ``DESCRIPTOR``."""
        return schema.message(f"{schema.V3}.{self.proto}")


AGENT = Kind(
    "agent",
    "agent",
    "Agent",
    "",
    "",
    tree_file="agent.yaml",
    collection="agents",
    required=("display_name", "default_language_code", "time_zone"),
)
FLOW = Kind(
    "flow", "flows", "Flow", "flows", "flows", own_folder=True, tree_file="flow.yaml", collection="flows"
)
PAGE = Kind("page", "pages", "Page", "pages", "pages", scope="flow", collection="pages")
FLOW_ROUTE_GROUP = Kind(
    "flow_route_group",
    "flow route groups",
    "TransitionRouteGroup",
    "route-groups",
    "transitionRouteGroups",
    scope="flow",
    collection="transitionRouteGroups",
)
ROUTE_GROUP = Kind(
    "route_group",
    "route groups",
    "TransitionRouteGroup",
    "route-groups",
    "agentTransitionRouteGroups",
    collection="transitionRouteGroups",
)
INTENT = Kind(
    "intent",
    "intents",
    "Intent",
    "intents",
    "intents",
    own_folder=True,
    side_folders=("trainingPhrases",),
    collection="intents",
)
ENTITY_TYPE = Kind(
    "entity_type",
    "entity types",
    "EntityType",
    "entity-types",
    "entityTypes",
    own_folder=True,
    side_folders=("entities", "excludedPhrases"),
    collection="entityTypes",
    required=("display_name", "kind"),
)
WEBHOOK = Kind("webhook", "webhooks", "Webhook", "webhooks", "webhooks", collection="webhooks")
TEST_CASE = Kind("test_case", "test cases", "TestCase", "test-cases", "testCases", collection="testCases")
GENERATOR = Kind(
    "generator",
    "generators",
    "Generator",
    "generators",
    "generators",
    own_folder=True,
    side_folders=("phrases",),
    collection="generators",
    required=("display_name", "prompt_text"),
)
PLAYBOOK = Kind(
    "playbook",
    "playbooks",
    "Playbook",
    "playbooks",
    "playbooks",
    own_folder=True,
    tree_file="playbook.yaml",
    collection="playbooks",
    required=("display_name", "goal"),
)
# The v3 docs mark actions and conversation_state "Required.", yet real agents export examples
# without them (shared/corpus): reality wins, only the name is required.
EXAMPLE = Kind(
    "example", "examples", "Example", "examples", "examples", scope="playbook", collection="examples"
)
# Documented as requiring a description, but real exports hold tools without one.
TOOL = Kind(
    "tool",
    "tools",
    "Tool",
    "tools",
    "tools",
    own_folder=True,
    tree_file="tool.yaml",
    attachment="schema.yaml",
    collection="tools",
)
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
    "generative_settings",
    "generative settings",
    "GenerativeSettings",
    "",
    "generativeSettings",
    tree_file="generative-settings.yaml",
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
# Resources the API serves that neither a tree nor an export holds: a flow's versions and the
# agent's environments (ExportAgent leaves them out).
VERSION = Kind(
    "version", "versions", "Version", "", "", scope="flow", collection="versions", numeric_ids=True, lro=True
)
ENVIRONMENT = Kind("environment", "environments", "Environment", "", "", collection="environments", lro=True)
UNEXPORTED: tuple[Kind, ...] = (VERSION, ENVIRONMENT)
# Every kind, the exported ones first: the collections the API serves are views of this.
ALL_KINDS: dict[str, Kind] = {**KINDS, **{k.name: k for k in UNEXPORTED}}

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
