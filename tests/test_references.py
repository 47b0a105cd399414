"""Contract: every reference field of cxops/model/references.py goes through every consumer.

Each row of the table gets a tree that sets it. Applied through ``cxops apply`` to ``cxops fake``
the field names the target's resource (the stand-in refuses a write whose reference names
nothing, so a row apply does not convert fails twice); pulled back, by ExportAgent and by
reading every resource, the tree says the display name again; and ``cxops validate`` flags the
same field naming a resource the tree lacks. A row added to the table without an example here,
or missed by one consumer, fails.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from cxops.cli.main import main
from cxops.core.validate import check_references
from cxops.fake import FakeCX
from cxops.fake import refs as fake_refs
from cxops.model import outputonly, references
from cxops.model.kinds import KINDS
from cxops.model.snapshot import AGENT_KEY, Body, Key, Snapshot
from cxops.package import codec as package_codec
from cxops.package import desired, fromapi
from cxops.repo.tree import snapshot_from_tree, tree_bytes
from tests.stagerepo import empty_agent, stage_file, tree_repo

PROJECT = "refs-proj"
START = "Default Start Flow"
MAIN = Key("playbook", "", "Main")
TARGET_PAGE = Key("page", START, "Target")
OTHER = Key("flow", "", "Other")
TEST = Key("test_case", "", "T")
EXAMPLE = Key("example", "Main", "Ex")

# Resources every example can point at (tree form).
BASE: dict[Key, Body] = {
    AGENT_KEY: {
        "display_name": "Refs",
        "default_language_code": "en",
        "time_zone": "UTC",
        "start_flow": START,
    },
    Key("flow", "", START): {"display_name": START},
    # As CX creates a flow: its default handlers and NLU settings (else apply's check after
    # writing finds them as drift).
    OTHER: {
        "display_name": "Other",
        "event_handlers": [
            {
                "event": "sys.no-match-default",
                "trigger_fulfillment": {
                    "messages": {"en": [{"text": {"text": ["I didn't get that. Can you say it again?"]}}]}
                },
            },
            {
                "event": "sys.no-input-default",
                "trigger_fulfillment": {
                    "messages": {"en": [{"text": {"text": ["I didn't get that. Can you repeat?"]}}]}
                },
            },
        ],
        "nlu_settings": {
            "model_type": "MODEL_TYPE_STANDARD",
            "classification_threshold": 0.3,
            "model_training_mode": "MODEL_TRAINING_MODE_AUTOMATIC",
        },
    },
    Key("intent", "", "Default Negative Intent"): {
        "display_name": "Default Negative Intent",
        "priority": 500000,
        "is_fallback": True,
        "description": "The default negative intent, for utterances that must not match any intent.",
    },
    Key("intent", "", "Default Welcome Intent"): {
        "display_name": "Default Welcome Intent",
        "training_phrases": {"en": ["hi", "hello", "hey", "good morning", "greetings"]},
        "priority": 500000,
        "description": "The default welcome intent.",
    },
    TARGET_PAGE: {"display_name": "Target"},
    Key("intent", "", "Greet"): {"display_name": "Greet", "training_phrases": {"en": ["hi there"]}},
    Key("webhook", "", "Hook"): {
        "display_name": "Hook",
        "generic_web_service": {"uri": "https://example.com/hook"},
    },
    Key("generator", "", "Gen"): {"display_name": "Gen", "prompt_text": {"en": "Say hello"}},
    Key("tool", "", "Shop"): {
        "display_name": "Shop",
        "description": "Shop things",
        "function_spec": {"input_schema": {"type": "object"}},
    },
    Key("playbook", "", "Helper"): {"display_name": "Helper", "goal": "Help"},
    MAIN: {"display_name": "Main", "goal": "Lead"},
    Key("entity_type", "", "Size"): {
        "display_name": "Size",
        "kind": "KIND_MAP",
        "entities": {"en": [{"value": "small", "synonyms": ["small"]}]},
    },
    Key("flow_route_group", START, "Group"): {
        "display_name": "Group",
        "transition_routes": [{"condition": "true"}],
    },
}


def _at(path: tuple[Any, ...], value: Any) -> Any:
    """A body holding ``value`` at ``path``: strings are keys, ints are list positions."""
    for step in reversed(path):
        value = [value] if isinstance(step, int) else {step: value}
    return value


# Per row: (the resource holding the reference, its path in the tree body, the target's key).
# ``None`` as the holder: a field no tree holds (the row says so).
_ROUTE = ("transition_routes", 0)
_HANDLER = ("event_handlers", 0)
_KNOWLEDGE = ("knowledge_connector_settings",)
_ACTION = ("actions", 0)
_TURN = ("test_case_conversation_turns", 0, "user_input", "input")
EXAMPLES: dict[tuple[str, str], tuple[Key, tuple[Any, ...], Key] | None] = {
    ("Agent", "start_flow"): (AGENT_KEY, ("start_flow",), Key("flow", "", START)),
    ("Agent", "start_playbook"): (AGENT_KEY, ("start_playbook",), Key("playbook", "", "Helper")),
    ("TransitionRoute", "intent"): (OTHER, (*_ROUTE, "intent"), Key("intent", "", "Greet")),
    ("TransitionRoute", "target_page"): (TARGET_PAGE, (*_ROUTE, "target_page"), TARGET_PAGE),
    ("TransitionRoute", "target_flow"): (TARGET_PAGE, (*_ROUTE, "target_flow"), OTHER),
    ("EventHandler", "target_page"): (TARGET_PAGE, (*_HANDLER, "target_page"), TARGET_PAGE),
    ("EventHandler", "target_flow"): (TARGET_PAGE, (*_HANDLER, "target_flow"), OTHER),
    ("EventHandler", "target_playbook"): (
        TARGET_PAGE,
        (*_HANDLER, "target_playbook"),
        Key("playbook", "", "Helper"),
    ),
    ("KnowledgeConnectorSettings", "target_page"): (TARGET_PAGE, (*_KNOWLEDGE, "target_page"), TARGET_PAGE),
    ("KnowledgeConnectorSettings", "target_flow"): (TARGET_PAGE, (*_KNOWLEDGE, "target_flow"), OTHER),
    ("Fulfillment", "webhook"): (TARGET_PAGE, ("entry_fulfillment", "webhook"), Key("webhook", "", "Hook")),
    ("Fulfillment.GeneratorSettings", "generator"): (
        TARGET_PAGE,
        ("entry_fulfillment", "generators", 0, "generator"),
        Key("generator", "", "Gen"),
    ),
    ("Page", "transition_route_groups"): (
        TARGET_PAGE,
        ("transition_route_groups", 0),
        Key("flow_route_group", START, "Group"),
    ),
    ("Flow", "transition_route_groups"): (
        Key("flow", "", START),
        ("transition_route_groups", 0),
        Key("flow_route_group", START, "Group"),
    ),
    ("Form.Parameter", "entity_type"): (
        TARGET_PAGE,
        ("form", "parameters", 0, "entity_type"),
        Key("entity_type", "", "Size"),
    ),
    ("Intent.Parameter", "entity_type"): (
        Key("intent", "", "Greet"),
        ("parameters", 0, "entity_type"),
        Key("entity_type", "", "Size"),
    ),
    ("Playbook", "referenced_playbooks"): (MAIN, ("referenced_playbooks", 0), Key("playbook", "", "Helper")),
    ("Playbook", "referenced_flows"): (MAIN, ("referenced_flows", 0), OTHER),
    ("Playbook", "referenced_tools"): (MAIN, ("referenced_tools", 0), Key("tool", "", "Shop")),
    ("ToolUse", "tool"): (EXAMPLE, (*_ACTION, "tool_use", "tool"), Key("tool", "", "Shop")),
    ("PlaybookInvocation", "playbook"): (
        EXAMPLE,
        (*_ACTION, "playbook_invocation", "playbook"),
        Key("playbook", "", "Helper"),
    ),
    ("FlowInvocation", "flow"): (EXAMPLE, (*_ACTION, "flow_invocation", "flow"), OTHER),
    ("PlaybookTransition", "playbook"): (
        EXAMPLE,
        (*_ACTION, "playbook_transition", "playbook"),
        Key("playbook", "", "Helper"),
    ),
    ("FlowTransition", "flow"): (EXAMPLE, (*_ACTION, "flow_transition", "flow"), OTHER),
    ("TypeSchema.SchemaReference", "tool"): (
        MAIN,
        ("input_parameter_definitions", 0, "type_schema", "schema_reference", "tool"),
        Key("tool", "", "Shop"),
    ),
    ("TestConfig", "flow"): (TEST, ("test_config", "flow"), OTHER),
    ("TestConfig", "page"): (TEST, ("test_config", "page"), TARGET_PAGE),
    ("IntentInput", "intent"): (TEST, (*_TURN, "intent", "intent"), Key("intent", "", "Greet")),
    ("ToolCall", "tool"): (
        TARGET_PAGE,
        ("entry_fulfillment", "messages", "en", 0, "tool_call", "tool"),
        Key("tool", "", "Shop"),
    ),
    ("ToolCallResult", "tool"): (TEST, (*_TURN, "tool_call_result", "tool"), Key("tool", "", "Shop")),
    ("Environment.VersionConfig", "version"): None,
}
# Siblings an example needs beside the reference (CX requires them), by message.
SIBLINGS: dict[str, dict[str, Any]] = {
    "TestConfig": {"flow": START},
    "Fulfillment": {"tag": "t"},
    "EventHandler": {"event": "custom-event"},
    "TransitionRoute": {"condition": "true"},
    "Form.Parameter": {"display_name": "size"},
    "Intent.Parameter": {"id": "size"},
}
ROWS = [pytest.param(row, id=f"{row.message}.{row.field}") for row in references.ROWS]


def _merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    for name, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(name), dict):
            _merge(into[name], value)
        else:
            into[name] = copy.deepcopy(value)


def _value(key: Key) -> str:
    return f"@{key.name}" if key.kind == "entity_type" else key.name


def tree_with(row: references.Reference, value: str | None = None) -> tuple[Snapshot, Key, tuple[Any, ...]]:
    """The base agent with the row's example set (to ``value``, else its target)."""
    example = EXAMPLES[(row.message, row.field)]
    assert example is not None
    holder, path, target = example
    snapshot = Snapshot()
    for key, body in BASE.items():
        snapshot.add(key, copy.deepcopy(body))
    body = snapshot.resources.setdefault(holder, {"display_name": holder.name})
    value = value if value is not None else _value(target)
    if isinstance(path[-1], str):
        ref = _at(path[:-1], {**SIBLINGS.get(row.message, {}), path[-1]: value})
    else:
        ref = _at(path, value)
    _merge(body, ref)
    if row.message == "Agent" and row.field == "start_playbook":
        body.pop("start_flow", None)  # an agent starts with a flow or with a playbook
    return snapshot, holder, path


def _get(body: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        body = body[step]
    return body


def test_every_row_has_an_example_and_one_target_per_tree_key() -> None:
    assert set(EXAMPLES) == {(row.message, row.field) for row in references.ROWS}
    for row in references.ROWS:
        assert (EXAMPLES[(row.message, row.field)] is None) == (not row.in_tree), row
        assert row.target in KINDS or not row.in_tree, row
        # Checks that look keys up in a body without its descriptor rely on this.
        assert not row.in_tree or references.by_tree_key()[row.tree_key].target == row.target, row


def test_the_views_are_the_table() -> None:
    """The parallel tables this one replaced are views of it (a row missed by one fails here)."""
    rows = references.ROWS
    assert set(fake_refs.REFERENCE_FIELDS) == {row.key for row in rows}
    in_tree = {row.key for row in rows if row.in_tree and row.written != references.ROUTE_GROUPS}
    assert in_tree <= set(desired.REFERENCES)
    exported = (
        fromapi.DISPLAY_NAME_REFERENCES
        | fromapi.PAGE_REFERENCES
        | fromapi.ENTITY_TYPE_REFERENCES
        | fromapi.ROUTE_GROUP_LISTS
    )
    as_path = {row.key for row in rows if row.exported_as_path}
    assert exported | as_path == {row.key for row in rows if row.in_tree}
    assert (
        references.keys(references.PAGE) - {row.key for row in rows if row.flow_field}
        == package_codec.TARGET_FIELDS
    )


@pytest.fixture
def stage(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CXOPS_EMULATOR_HOST", fake.address)
    monkeypatch.setenv("CXOPS_AUTHOR", "dev-alice")
    agent_id = empty_agent(clients, PROJECT, ["en"], "Refs")
    stage_file(tmp_path, "stg", "refs", PROJECT, agent_id)
    return tmp_path


# The client of each kind that holds an example (tests/conftest.py ``clients``).
CLIENTS = {
    "agent": "agents",
    "flow": "flows",
    "page": "pages",
    "intent": "intents",
    "playbook": "playbooks",
    "example": "examples",
    "test_case": "test_cases",
}


def _stored(fake: FakeCX, key: Key) -> Any:
    """The stand-in's stored resource of a tree key (by display name, in its collection)."""
    collection = desired.COLLECTION.get(key.kind, "agents")
    for entry in fake.service.store.entries.values():
        name = key.name or str(BASE[AGENT_KEY]["display_name"])
        if entry.name.split("/")[-2] == collection and entry.base.display_name == name:
            return entry
    raise AssertionError(f"{key} is not in the stand-in")


@pytest.mark.parametrize("row", [p for p in ROWS if p.values[0].in_tree])
def test_apply_names_the_target_and_a_pull_gives_the_display_name_back(
    row: references.Reference, stage: Path, fake: FakeCX, clients: Any
) -> None:
    snapshot, holder, path = tree_with(row)
    tree = tree_repo(stage, "refs", snapshot)
    assert main(["--root", str(stage), "-q", "apply", "stg", "--auto-approve"]) == 0
    example = EXAMPLES[(row.message, row.field)]
    assert example is not None
    target = example[2]
    if row.field in outputonly.fields(row.full_name, nested=True):
        return  # CX derives it; apply leaves it out (cx/bootstrap.py), so nothing to read back
    # Read back as a client reads it (in the default language: a response message's tool call
    # is translatable content).
    holder_name = _stored(fake, holder).name
    service = getattr(clients, CLIENTS[holder.kind])
    got = getattr(service, "get_" + re.sub(r"(?<!^)(?=[A-Z])", "_", KINDS[holder.kind].proto).lower())
    message = got(name=holder_name)._pb
    found = [
        r.value for r in fake_refs.references(message) if (r.owner.DESCRIPTOR.full_name, r.field) == row.key
    ]
    assert _stored(fake, target).name in found, (row, found)
    for via in ("export", "list"):
        assert main(["--root", str(stage), "-q", "pull", "stg", "--via", via]) == 0
        pulled = snapshot_from_tree(tree_bytes(tree))
        assert _get(pulled.resources[holder], path) == _value(target), via


@pytest.mark.parametrize("row", [p for p in ROWS if p.values[0].in_tree])
def test_validate_flags_a_reference_to_nothing(row: references.Reference) -> None:
    snapshot, holder, path = tree_with(row)
    assert [p for p in check_references(snapshot) if p.key == holder] == []
    broken, holder, path = tree_with(row, "@Nowhere" if row.written == references.ENTITY_TYPE else "Nowhere")
    problems = [p for p in check_references(broken) if p.key == holder]
    assert [p.path for p in problems] == [path], problems
    assert "'Nowhere'" in problems[0].message
