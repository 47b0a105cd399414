"""The reference fields of the v3 API: which field names which resource, and how a tree writes it.

One table for all of cxops. Every module that turns a reference from one form into another
reads its view from here: the tree -> API conversion of apply (package/desired.py), the API ->
export writer (package/fromapi.py), the package codec (package/codec.py, package/playbooktests.py),
the stand-in's reference checks and forced deletes (fake/refs.py), ``cxops validate``
(core/validate.py) and lint's index (core/lint/index.py). tests/test_references.py takes each
row through all of them, so a field added here and missed by one of them fails there.

In the API a reference is a resource name (``projects/P/locations/L/agents/A/flows/F``). In a
tree it is the target's key (SPEC §2 rule 3): its display name, a page of the referring flow by
display name or a special symbol, an entity type as ``@name``. Exports write most as display
names too; generators stay full paths (``Fulfillment.GeneratorSettings.generator``), and some
exports write playbook, flow and tool references as paths (../shared/corpus/FORMAT.md).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cxops.model import schema
from cxops.model.proto import LANGUAGE_MAPS
from cxops.model.schema import V3
from cxops.model.treekeys import tree_key

# How the tree writes a reference.
NAME = "name"  # the target's display name (or a path for what no tree holds: a built-in tool)
PAGE = "page"  # a page of the referring flow by display name, or a special page's symbol
ENTITY_TYPE = "entity_type"  # "@name"; system entity types "@sys.x"
ROUTE_GROUPS = "route_groups"  # a page's or flow's list, split by where each group lives
NOT_IN_TREE = "not_in_tree"  # a field of a resource no tree holds (environments)


@dataclass(frozen=True)
class Reference:
    """One field of the v3 API whose value is the resource name of another resource."""

    message: str  # the v3 message holding the field, under V3 ("TransitionRoute")
    field: str  # the proto field's name ("target_page")
    target: str  # the kind it names (cxops/model/kinds.py); "version" for a flow version
    written: str  # how the tree writes it: NAME, PAGE, ENTITY_TYPE, ROUTE_GROUPS, NOT_IN_TREE
    # Exports (Google's, and ours) write the full resource path rather than a display name.
    exported_as_path: bool = False
    # PAGE: the sibling field naming the page's flow, where it is not the referring resource's.
    flow_field: str | None = None
    # ROUTE_GROUPS: the kind of the groups in the tree's second list (agent-level groups).
    agent_target: str | None = None
    why: str = ""  # anything a reader of the row would ask about

    @property
    def full_name(self) -> str:
        return f"{V3}.{self.message}"

    @property
    def key(self) -> tuple[str, str]:
        """(message full name, field): how walkers over descriptors look a field up."""
        return (self.full_name, self.field)

    @property
    def tree_key(self) -> str:
        """The key the tree gives the field (snake_case, as the proto names it)."""
        return tree_key(self.field)

    @property
    def json_key(self) -> str:
        """The key package JSON and the API's JSON give the field (camelCase)."""
        return str(schema.message(self.full_name).fields_by_name[self.field].json_name)

    @property
    def repeated(self) -> bool:
        return bool(schema.message(self.full_name).fields_by_name[self.field].is_repeated)

    @property
    def in_tree(self) -> bool:
        return self.written != NOT_IN_TREE


def _name(message: str, field: str, target: str, **more: Any) -> Reference:
    return Reference(message, field, target, NAME, **more)


ROWS: tuple[Reference, ...] = (
    _name("Agent", "start_flow", "flow"),
    _name("Agent", "start_playbook", "playbook"),
    _name("TransitionRoute", "intent", "intent"),
    Reference("TransitionRoute", "target_page", "page", PAGE),
    _name("TransitionRoute", "target_flow", "flow"),
    Reference("EventHandler", "target_page", "page", PAGE),
    _name("EventHandler", "target_flow", "flow"),
    _name("EventHandler", "target_playbook", "playbook"),
    Reference("KnowledgeConnectorSettings", "target_page", "page", PAGE),
    _name("KnowledgeConnectorSettings", "target_flow", "flow"),
    _name("Fulfillment", "webhook", "webhook"),
    _name("Fulfillment.GeneratorSettings", "generator", "generator", exported_as_path=True),
    Reference(
        "Page",
        "transition_route_groups",
        "flow_route_group",
        ROUTE_GROUPS,
        agent_target="route_group",
        why="tree: transition_route_groups (the flow's) and agent_transition_route_groups",
    ),
    Reference(
        "Flow",
        "transition_route_groups",
        "flow_route_group",
        ROUTE_GROUPS,
        agent_target="route_group",
        why="tree: transition_route_groups (the flow's) and agent_transition_route_groups",
    ),
    Reference("Form.Parameter", "entity_type", "entity_type", ENTITY_TYPE),
    Reference("Intent.Parameter", "entity_type", "entity_type", ENTITY_TYPE),
    # OUTPUT_ONLY in the API (CX derives them from the instructions): the tree keeps what an
    # export says; apply leaves them out (cx/bootstrap.py, and the stand-in drops them).
    _name("Playbook", "referenced_playbooks", "playbook"),
    _name("Playbook", "referenced_flows", "flow"),
    _name("Playbook", "referenced_tools", "tool"),
    _name("ToolUse", "tool", "tool"),
    _name("PlaybookInvocation", "playbook", "playbook"),
    _name("FlowInvocation", "flow", "flow"),
    _name("PlaybookTransition", "playbook", "playbook"),
    _name("FlowTransition", "flow", "flow"),
    _name("TypeSchema.SchemaReference", "tool", "tool", why="a parameter's type from a tool's schema"),
    _name("TestConfig", "flow", "flow"),
    Reference("TestConfig", "page", "page", PAGE, flow_field="flow"),
    _name("IntentInput", "intent", "intent", why="a test case turn's input"),
    _name("ToolCall", "tool", "tool", why="a response message calling a tool"),
    _name("ToolCallResult", "tool", "tool", why="a test case turn's input: a tool's result"),
    Reference(
        "Environment.VersionConfig", "version", "version", NOT_IN_TREE, why="environments are no tree kind"
    ),
)

BY_KEY: dict[tuple[str, str], Reference] = {row.key: row for row in ROWS}


def keys(*written: str) -> frozenset[tuple[str, str]]:
    """(message full name, field) of the rows written in any of those ways (all rows without)."""
    return frozenset(row.key for row in ROWS if not written or row.written in written)


@functools.cache
def by_tree_key() -> dict[str, Reference]:
    """The rows of trees by the key the tree gives the field. A tree key names one target kind
    whatever message holds it (``flow`` is a flow in a test config, a flow invocation, a flow
    transition; tests/test_references.py holds the table to that), so checks that look for keys
    in a body, without its descriptor, know what a key names."""
    out: dict[str, Reference] = {}
    for row in ROWS:
        if row.in_tree:
            out.setdefault(row.tree_key, row)
    return out


def tree_keys() -> frozenset[str]:
    """Every key a tree writes a reference under, the agent-level route groups' list included."""
    return frozenset(by_tree_key()) | {AGENT_GROUPS_KEY}


# The tree's second list of a page's or flow's route groups: the agent-level ones.
AGENT_GROUPS_KEY = "agent_transition_route_groups"


@functools.cache
def may_refer(desc: Any) -> bool:
    """Whether messages of this type can hold a reference at any depth (training phrases cannot):
    walkers skip the types that cannot, so reference checks cost what may refer."""
    return _search(desc, set())


def _search(desc: Any, seen: set[str]) -> bool:
    name = desc.full_name
    if name in seen or name.startswith("google.protobuf.") or desc.GetOptions().map_entry:
        return False
    seen.add(name)
    for fd in desc.fields:
        if (name, fd.name) in BY_KEY:
            return True
        if fd.message_type is not None and _search(fd.message_type, seen):
            return True
    return False


def in_body(
    body: Any, desc: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any], Reference]]:
    """Every reference field set in a tree body of message ``desc``: (path of the mapping holding
    it, the mapping, the row), in document order. Walks by descriptor, so a key in free-form JSON
    (a custom payload's ``page``) is never taken for a reference."""
    if not isinstance(body, dict) or not may_refer(desc):
        return
    full = desc.full_name
    for name, value in body.items():
        row = BY_KEY.get((full, name))
        if row is not None:
            yield path, body, row
            continue
        fd = desc.fields_by_name.get(name)
        if fd is None or fd.message_type is None or fd.message_type.GetOptions().map_entry:
            continue
        if (full, name) in LANGUAGE_MAPS and isinstance(value, dict):
            # {language: the field's value}: a response message can call a tool (ToolCall).
            for lang, content in value.items():
                for i, item in enumerate(content if isinstance(content, list) else [content]):
                    yield from in_body(item, fd.message_type, (*path, name, lang, i))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from in_body(item, fd.message_type, (*path, name, i))
        else:
            yield from in_body(value, fd.message_type, (*path, name))
