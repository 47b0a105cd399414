"""Each lint rule: silent on a clean agent, and speaking (only it) after one edit that breaks
what it checks. Pure functions over snapshots: no files, no CX."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cxops.core.lint.registry import all_rules, default_settings, run
from cxops.model.snapshot import AGENT_KEY, Key
from tests.lintfixture import FLOW, clean, edited, snapshot

R = dict[Key, dict[str, Any]]
ASK = Key("page", FLOW, "Ask")
GREET = Key("intent", "", "greet")


def _orphan_page(r: R) -> None:
    r[Key("page", FLOW, "Lonely")] = {"display_name": "Lonely", "event_handlers": [{"event": "x"}]}


def _orphan_flow(r: R) -> None:
    r[Key("flow", "", "Side")] = {
        "display_name": "Side",
        "event_handlers": [{"event": "sys.no-match-default"}],
    }
    r[Key("test_case", "", "t")]["test_config"] = {"flow": "Side"}


def _dead_end(r: R) -> None:
    del r[Key("page", FLOW, "Done")]["transition_routes"]
    r[Key("flow", "", FLOW)]["transition_routes"] = [{"condition": "true", "target_page": "Ask"}]
    del r[Key("flow", "", FLOW)]["transition_route_groups"]
    del r[Key("flow_route_group", FLOW, "Help")]


def _shadowed(r: R) -> None:
    r[ASK]["transition_routes"].append({"condition": '$session.params.size = "small"', "target_page": "Done"})


def _unused_group(r: R) -> None:
    del r[ASK]["agent_transition_route_groups"]


def _unused_intent(r: R) -> None:
    r[Key("intent", "", "bye")] = {"display_name": "bye"}


def _unused_entity(r: R) -> None:
    r[Key("entity_type", "", "colour")] = {"display_name": "colour", "kind": "KIND_MAP"}


def _unused_webhook(r: R) -> None:
    r[Key("webhook", "", "old")] = {"display_name": "old", "generic_web_service": {"uri": "https://o"}}


def _unused_generator(r: R) -> None:
    r[Key("generator", "", "old")] = {"display_name": "old"}


def _unset_param(r: R) -> None:
    # Only where no fulfillment calls a webhook: a webhook can set any parameter.
    del r[ASK]["transition_routes"][0]["trigger_fulfillment"]["webhook"]
    del r[Key("webhook", "", "api")]
    r[ASK]["transition_routes"][0]["condition"] = '$session.params.colour = "red"'


def _webhook_only_param(r: R) -> None:
    # The webhook call stays: a standard webhook's response could set it.
    r[ASK]["transition_routes"][0]["condition"] = '$session.params.colour = "red"'


def _unhandled_webhook_error(r: R) -> None:
    # A route without a target: its webhook's failure would go to a webhook.error handler.
    r[Key("page", FLOW, "Done")]["entry_fulfillment"] = {"webhook": "api"}


def _reached_only_from_unreachable(r: R) -> None:
    r[Key("page", FLOW, "Lonely")] = {
        "display_name": "Lonely",
        "transition_routes": [{"condition": "true", "target_page": "Lonelier"}],
    }
    r[Key("page", FLOW, "Lonelier")] = {
        "display_name": "Lonelier",
        "transition_routes": [{"condition": "true", "target_page": "Lonely"}],
    }


def _whitespace_in_name(r: R) -> None:
    r[Key("intent", "", "greet ")] = {**r.pop(GREET), "display_name": "greet "}
    for kind, name in (("flow", FLOW), ("flow_route_group", "Help")):
        key = Key(kind, FLOW if kind == "flow_route_group" else "", name)
        r[key]["transition_routes"][0]["intent"] = "greet "
    r[Key("route_group", "", "Common")]["transition_routes"][0]["intent"] = "greet "
    r[Key("test_case", "", "t")]["test_case_conversation_turns"][0]["virtual_agent_output"][
        "triggered_intent"
    ]["name"] = "greet "


def _routed_without_phrases(r: R) -> None:
    r[Key("route_group", "", "Common")]["transition_routes"].append({"intent": "bye", "target_page": "Ask"})
    r[Key("intent", "", "bye")] = {"display_name": "bye", "training_phrases": {"en": []}}


def _few_phrases(r: R) -> None:
    r[GREET]["training_phrases"]["en"] = r[GREET]["training_phrases"]["en"][:3]


def _duplicate_phrase(r: R) -> None:
    r[Key("route_group", "", "Common")]["transition_routes"].append({"intent": "hi", "target_page": "Ask"})
    phrases = [f"hi variant {i}" for i in range(9)] + ["Hello there, number 0!"]
    r[Key("intent", "", "hi")] = {"display_name": "hi", "training_phrases": {"en": phrases}}


def _undefined_annotation(r: R) -> None:
    r[GREET]["training_phrases"]["en"][0] = "a [red](colour) one"


def _ambiguous_synonym(r: R) -> None:
    r[Key("entity_type", "", "size")]["entities"]["en"][1]["synonyms"].append("Big")


def _bad_regexp(r: R) -> None:
    # A look-ahead: Python's re takes it, RE2 (and so CX) does not.
    r[Key("entity_type", "", "code")]["entities"]["en"][0]["synonyms"] = ["(?=A)[A-Z]{3}"]


def _missing_translation(r: R) -> None:
    r[AGENT_KEY]["supported_language_codes"] = ["ja"]
    r[GREET]["training_phrases"]["ja"] = r[GREET]["training_phrases"]["en"]
    r[Key("entity_type", "", "size")]["entities"]["ja"] = r[Key("entity_type", "", "size")]["entities"]["en"]
    r[Key("entity_type", "", "code")]["entities"]["ja"] = r[Key("entity_type", "", "code")]["entities"]["en"]
    # The flow's and the page's messages stay English only: those are the findings.


def _test_language(r: R) -> None:
    r[Key("test_case", "", "t")]["test_case_conversation_turns"][0]["user_input"]["input"][
        "language_code"
    ] = "fr"


def _unsupported_content(r: R) -> None:
    # An es-us message left in an agent that no longer lists es-us.
    r[ASK]["transition_routes"][0]["trigger_fulfillment"]["messages"]["es-us"] = [
        {"text": {"text": ["¿Qué desea?"]}}
    ]


def _no_reprompt(r: R) -> None:
    r[Key("flow", "", FLOW)]["event_handlers"] = [{"event": "sys.no-match-default"}]


def _no_no_match(r: R) -> None:
    r[Key("flow", "", FLOW)]["event_handlers"] = [{"event": "sys.no-input-default"}]
    r[ASK]["event_handlers"] = [{"event": "sys.no-match-1"}]


def _http(r: R) -> None:
    r[Key("webhook", "", "api")]["generic_web_service"]["uri"] = "http://api.example.com/cx"


def _timeout(r: R) -> None:
    r[Key("webhook", "", "api")]["timeout"] = {"seconds": 31}


def _missing_target(r: R) -> None:
    r[Key("test_case", "", "t")]["test_case_conversation_turns"][0]["virtual_agent_output"]["current_page"][
        "name"
    ] = "Gone"


def _utterance_not_a_phrase(r: R) -> None:
    r[Key("test_case", "", "t")]["test_case_conversation_turns"][0]["user_input"]["input"]["text"]["text"] = (
        "good morning"
    )


def _untested_flow(r: R) -> None:
    del r[Key("test_case", "", "t")]


CASES: dict[str, Callable[[R], None]] = {
    "reachability/unreachable-page": _orphan_page,
    "reachability/unreachable-flow": _orphan_flow,
    "reachability/dead-end-page": _dead_end,
    "reachability/shadowed-route": _shadowed,
    "reachability/unused-route-group": _unused_group,
    "references/unused-intent": _unused_intent,
    "references/unused-entity-type": _unused_entity,
    "references/unused-webhook": _unused_webhook,
    "references/unused-generator": _unused_generator,
    "references/unset-parameter": _unset_param,
    "references/webhook-only-parameter": _webhook_only_param,
    "references/whitespace-in-name": _whitespace_in_name,
    "reachability/reached-only-from-unreachable": _reached_only_from_unreachable,
    "safety/unhandled-webhook-error": _unhandled_webhook_error,
    "nlu/routed-intent-without-phrases": _routed_without_phrases,
    "nlu/few-training-phrases": _few_phrases,
    "nlu/duplicate-phrase": _duplicate_phrase,
    "nlu/undefined-annotation": _undefined_annotation,
    "nlu/ambiguous-synonym": _ambiguous_synonym,
    "nlu/invalid-regexp": _bad_regexp,
    "languages/missing-translation": _missing_translation,
    "languages/unsupported-test-language": _test_language,
    "languages/unsupported-language-content": _unsupported_content,
    "safety/required-parameter-no-reprompt": _no_reprompt,
    "safety/no-no-match-handler": _no_no_match,
    "safety/insecure-webhook": _http,
    "safety/webhook-timeout": _timeout,
    "testcases/missing-target": _missing_target,
    "testcases/untested-flow": _untested_flow,
    "testcases/utterance-not-a-phrase": _utterance_not_a_phrase,
}


def test_every_rule_has_a_case_and_the_clean_agent_has_no_finding() -> None:
    assert set(CASES) == {r.id for r in all_rules()}
    assert run(snapshot(clean())) == []


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_the_rule_finds_its_problem(rule_id: str) -> None:
    findings = run(edited(CASES[rule_id]))
    assert findings, rule_id
    assert {f.rule for f in findings} == {rule_id}, [(f.rule, f.message) for f in findings]


def test_a_rule_turned_off_is_silent_and_thresholds_apply() -> None:
    settings = default_settings()
    settings["nlu/few-training-phrases"] = settings["nlu/few-training-phrases"].__class__(
        True, settings["nlu/few-training-phrases"].severity, {"min_phrases": 3}
    )
    assert run(edited(_few_phrases), settings) == []
    settings["safety/webhook-timeout"] = settings["safety/webhook-timeout"].__class__(False, 3, {})
    assert run(edited(_timeout), settings) == []


def test_messages_name_what_is_wrong() -> None:
    [finding] = run(edited(_missing_translation))[:1]
    assert "none in ja" in finding.message
    [unsupported] = run(edited(_unsupported_content))
    assert unsupported.path[-1] == "es-us" and "content in es-us" in unsupported.message
    [timeout] = run(edited(_timeout))
    assert "31s" in timeout.message and "30s" in timeout.message
    [regexp] = run(edited(_bad_regexp))
    assert "RE2" in regexp.message and regexp.path == ("entities", "en", 0)


def test_findings_as_cx_validation_messages() -> None:
    from google.cloud.dialogflowcx_v3 import ValidationMessage

    from cxops.core.lint.cxmessages import validation_messages

    messages = validation_messages(run(edited(_duplicate_phrase)) + run(edited(_untested_flow)))
    # CX's own wording where it has one; test cases are not something CX validation reports on.
    assert messages == [
        {
            "resource_type": "INTENT_TRAINING_PHRASE",
            "resource_names": [{"name": "", "display_name": "hi"}],
            "severity": "WARNING",
            "detail": "Different intents have training phrases which are too similar.",
        }
    ]
    ValidationMessage(messages[0])  # the proto takes them as they are
