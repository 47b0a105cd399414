"""A small agent on which every lint rule is silent, and edits that make each rule speak."""

from __future__ import annotations

import copy
from typing import Any

from cxops.model.snapshot import AGENT_KEY, Key, Snapshot

FLOW = "Default Start Flow"


def _say(text: str, lang: str = "en") -> dict[str, Any]:
    return {lang: [{"text": {"text": [text]}}]}


def clean() -> dict[Key, dict[str, Any]]:
    """kind/scope/name -> body: an agent that no rule flags."""
    phrases = [f"hello there number {i}" for i in range(9)] + ["a [large](size) pizza"]
    return {
        AGENT_KEY: {"display_name": "A", "default_language_code": "en", "start_flow": FLOW},
        Key("flow", "", FLOW): {
            "display_name": FLOW,
            "transition_routes": [{"intent": "greet", "target_page": "Ask"}],
            "event_handlers": [
                {"event": "sys.no-match-default", "trigger_fulfillment": {"messages": _say("again?")}},
                {"event": "sys.no-input-default", "trigger_fulfillment": {"messages": _say("hello?")}},
            ],
            "transition_route_groups": ["Help"],
        },
        Key("page", FLOW, "Ask"): {
            "display_name": "Ask",
            "form": {
                "parameters": [
                    {"display_name": "size", "required": True, "entity_type": "@size"},
                    {"display_name": "code", "entity_type": "@code"},
                ]
            },
            "transition_routes": [
                {
                    "condition": '$session.params.size = "large"',
                    "target_page": "Done",
                    "trigger_fulfillment": {
                        "webhook": "api",
                        "messages": _say("ok $session.params.size"),
                        "generators": [{"generator": "summary"}],
                    },
                },
                {"condition": "true", "target_page": "End Session"},
            ],
            "agent_transition_route_groups": ["Common"],
        },
        Key("page", FLOW, "Done"): {
            "display_name": "Done",
            "transition_routes": [{"condition": "true", "target_page": "End Session"}],
        },
        Key("flow_route_group", FLOW, "Help"): {
            "display_name": "Help",
            "transition_routes": [{"intent": "greet", "target_page": "Ask"}],
        },
        Key("route_group", "", "Common"): {
            "display_name": "Common",
            "transition_routes": [{"intent": "greet", "target_flow": FLOW}],
        },
        Key("intent", "", "greet"): {
            "display_name": "greet",
            "training_phrases": {"en": phrases},
            "parameters": [{"id": "size", "entity_type": "@size"}],
        },
        Key("entity_type", "", "size"): {
            "display_name": "size",
            "kind": "KIND_MAP",
            "entities": {
                "en": [
                    {"value": "large", "synonyms": ["large", "big"]},
                    {"value": "small", "synonyms": ["small"]},
                ]
            },
        },
        Key("entity_type", "", "code"): {
            "display_name": "code",
            "kind": "KIND_REGEXP",
            "entities": {"en": [{"value": "[A-Z]{3}", "synonyms": ["[A-Z]{3}"]}]},
        },
        Key("webhook", "", "api"): {
            "display_name": "api",
            "generic_web_service": {"uri": "https://api.example.com/cx"},
            "timeout": {"seconds": 10},
        },
        Key("generator", "", "summary"): {"display_name": "summary", "prompt_text": {"en": "Summarise"}},
        Key("test_case", "", "t"): {
            "display_name": "t",
            "test_case_conversation_turns": [
                {
                    "user_input": {
                        "input": {"text": {"text": "Hello there, number 1!"}, "language_code": "en"}
                    },
                    "virtual_agent_output": {
                        "triggered_intent": {"name": "greet"},
                        "current_page": {"name": "Ask", "flow": FLOW},
                    },
                }
            ],
        },
    }


def snapshot(resources: dict[Key, dict[str, Any]]) -> Snapshot:
    snap = Snapshot()
    for key, body in resources.items():
        snap.add(key, body)
    return snap


def edited(edit: Any) -> Snapshot:
    resources = copy.deepcopy(clean())
    edit(resources)
    return snapshot(resources)
