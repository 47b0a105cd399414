"""The resource kinds the stand-in serves, and which of their fields are translatable.

The translatable fields follow the ``language_code`` documentation of each v3 request
(e.g. ``CreatePageRequest.language_code``): they are read and written per language, everything
else is shared by all languages of the agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.cloud import dialogflowcx_v3 as cx

from cxops.fake.protoutil import Msg
from cxops.model.proto import SPECIAL_PAGE_IDS
from cxops.model.translatable import TRANSLATABLE, Slot


@dataclass(frozen=True)
class Kind:
    """One collection of resources, e.g. ``flows`` under an agent."""

    collection: str  # the segment in resource names: ``agents/A/flows/F``
    service: str  # gRPC service: ``Flows``
    singular: str  # method suffix: ``CreateFlow``
    field: str  # request field holding the resource: ``flow``
    list_field: str  # response field of List: ``flows``
    message: type[Msg]  # the raw protobuf class
    parents: tuple[str, ...]  # collections this kind may live under
    required: tuple[str, ...] = ("display_name",)
    numeric_ids: bool = False
    lro: bool = False  # Create/Update answer a long-running operation

    @property
    def translatable(self) -> tuple[Slot, ...]:
        return TRANSLATABLE.get(self.collection, ())

    @property
    def has_language(self) -> bool:
        return "language_code" in self.request("Get").DESCRIPTOR.fields_by_name if self.gettable else False

    @property
    def gettable(self) -> bool:
        return hasattr(cx, f"Get{self.singular}Request")

    def request(self, verb: str) -> Any:
        if verb == "List":
            cls = getattr(cx, f"List{self.singular}sRequest")
        else:
            cls = getattr(cx, f"{verb}{self.singular}Request")
        return cls.pb()

    def response(self, verb: str) -> Any:
        return getattr(cx, f"{verb}{self.singular}sResponse").pb()


def _kind(
    collection: str,
    service: str,
    singular: str,
    field: str,
    parents: tuple[str, ...],
    *,
    required: tuple[str, ...] = ("display_name",),
    numeric_ids: bool = False,
    lro: bool = False,
) -> Kind:
    return Kind(
        collection=collection,
        service=service,
        singular=singular,
        field=field,
        list_field=f"{field}s",
        message=getattr(cx, singular).pb(),
        parents=parents,
        required=required,
        numeric_ids=numeric_ids,
        lro=lro,
    )


AGENT_PARENT = ("agents",)

KINDS: dict[str, Kind] = {
    k.collection: k
    for k in (
        _kind(
            "agents",
            "Agents",
            "Agent",
            "agent",
            ("locations",),
            required=("display_name", "default_language_code", "time_zone"),
        ),
        _kind("flows", "Flows", "Flow", "flow", AGENT_PARENT),
        _kind("pages", "Pages", "Page", "page", ("flows",)),
        _kind(
            "transitionRouteGroups",
            "TransitionRouteGroups",
            "TransitionRouteGroup",
            "transition_route_group",
            ("flows", "agents"),
        ),
        _kind("intents", "Intents", "Intent", "intent", AGENT_PARENT),
        _kind(
            "entityTypes",
            "EntityTypes",
            "EntityType",
            "entity_type",
            AGENT_PARENT,
            required=("display_name", "kind"),
        ),
        _kind("webhooks", "Webhooks", "Webhook", "webhook", AGENT_PARENT),
        _kind("testCases", "TestCases", "TestCase", "test_case", AGENT_PARENT),
        _kind(
            "generators",
            "Generators",
            "Generator",
            "generator",
            AGENT_PARENT,
            required=("display_name", "prompt_text"),
        ),
        _kind(
            "playbooks", "Playbooks", "Playbook", "playbook", AGENT_PARENT, required=("display_name", "goal")
        ),
        _kind(
            "examples",
            "Examples",
            "Example",
            "example",
            ("playbooks",),
            # The v3 docs mark actions and conversation_state "Required.", yet real agents export
            # examples without them (shared/corpus): reality wins, only the name is required.
            required=("display_name",),
        ),
        # Documented as required, but real exports hold tools without a description.
        _kind("tools", "Tools", "Tool", "tool", AGENT_PARENT),
        _kind("versions", "Versions", "Version", "version", ("flows",), numeric_ids=True, lro=True),
        _kind("environments", "Environments", "Environment", "environment", AGENT_PARENT, lro=True),
    )
}

# CX's fixed resources: every new agent has them, with these ids, and they cannot be deleted.
DEFAULT_START_FLOW = "00000000-0000-0000-0000-000000000000"
DEFAULT_WELCOME_INTENT = "00000000-0000-0000-0000-000000000000"
DEFAULT_NEGATIVE_INTENT = "00000000-0000-0000-0000-000000000001"

# Page ids that are not pages: transition targets with a fixed meaning.
SPECIAL_PAGES = SPECIAL_PAGE_IDS | {"PLAYBOOK_START"}

WRITE_VERBS = (
    "Create",
    "Update",
    "Delete",
    "BatchDelete",
    "Restore",
    "Import",
    "Load",
    "Train",
    "Deploy",
    "Run",
    "BatchRun",
    "Start",
    "Stop",
    "Cancel",
    "Submit",
    "Validate",
)


def is_write(method: str) -> bool:
    """Whether a gRPC method (full or short name) writes, for quotas and counts."""
    short = method.rsplit("/", 1)[-1]
    return short.startswith(WRITE_VERBS)
