"""The checks teams coming from cxlint rely on (issue 32), each on a small agent of its own, and
all rules on every corpus agent: no crash, and the false positives the issue names absent."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cxops.core.lint.registry import LintFinding, default_settings, run
from cxops.model.snapshot import AGENT_KEY, Key
from cxops.package.reader import snapshot_from_package
from tests.corpus import agent_dirs, read_export
from tests.lintfixture import snapshot

F = "Main"
R = dict[Key, dict[str, Any]]


def agent(*resources: tuple[Key, dict[str, Any]]) -> R:
    found: R = {AGENT_KEY: {"display_name": "A", "default_language_code": "en", "start_flow": F}}
    found[Key("flow", "", F)] = {"display_name": F}
    found.update(resources)
    return found


def page(name: str, **body: Any) -> tuple[Key, dict[str, Any]]:
    return Key("page", F, name), {"display_name": name, **body}


def found(resources: R, rule: str) -> list[LintFinding]:
    return [f for f in run(snapshot(resources)) if f.rule == rule]


def to(target: str, **more: Any) -> dict[str, Any]:
    return {"condition": "true", "target_page": target, **more}


# -- safety/unhandled-webhook-error ------------------------------------------------------------

WEBHOOK = "safety/unhandled-webhook-error"
ERROR = {"event": "webhook.error", "target_page": "Sorry"}


def test_webhook_calls_need_a_webhook_error_handler_on_the_page_or_flow() -> None:
    r = agent(page("Look", entry_fulfillment={"webhook": "api"}))
    [hit] = found(r, WEBHOOK)
    assert hit.key == Key("page", F, "Look") and hit.path == ("entry_fulfillment", "webhook")
    assert "'api'" in hit.message and "page 'Look' or its flow 'Main'" in hit.message
    # A page handler covers the page; a flow handler covers every page of the flow.
    r[Key("page", F, "Look")]["event_handlers"] = [ERROR]
    assert found(r, WEBHOOK) == []
    del r[Key("page", F, "Look")]["event_handlers"]
    r[Key("flow", "", F)]["event_handlers"] = [ERROR]
    assert found(r, WEBHOOK) == []


def test_only_webhook_error_itself_covers_every_failure() -> None:
    # webhook.error.timeout handles timeouts only; a name CX does not match is no handler.
    for event in ("webhook.error.timeout", "webhook.error.not-found", "Webhook.Error", "webhook.error "):
        r = agent(page("Look", entry_fulfillment={"webhook": "api"}, event_handlers=[{"event": event}]))
        [hit] = found(r, WEBHOOK)
        assert ("handle(s) only their own error" in hit.message) == event.startswith("webhook.error."), event


def test_a_route_with_a_target_is_not_counted_and_one_without_is() -> None:
    # CX invokes no webhook event for a handler with a transition target.
    targeted = {"intent": "x", "target_page": "Next", "trigger_fulfillment": {"webhook": "api"}}
    r = agent(page("Look", transition_routes=[targeted]), page("Next"))
    assert found(r, WEBHOOK) == []
    r[Key("page", F, "Look")]["transition_routes"].append(
        {"intent": "y", "trigger_fulfillment": {"webhook": "api"}}
    )
    [hit] = found(r, WEBHOOK)
    assert hit.path == ("transition_routes", 1, "trigger_fulfillment", "webhook")


def test_flow_level_event_handler_and_form_calls_count() -> None:
    handler = {"event": "custom.lookup", "trigger_fulfillment": {"webhook": "api"}}
    r = agent()
    r[Key("flow", "", F)]["event_handlers"] = [handler]
    [hit] = found(r, WEBHOOK)
    assert hit.key == Key("flow", "", F) and "flow 'Main'" in hit.message
    # A page's own handler does not cover a call the flow makes on its start page.
    r.update([page("Start", event_handlers=[ERROR])])
    assert len(found(r, WEBHOOK)) == 1
    form = {
        "parameters": [
            {"display_name": "n", "fill_behavior": {"initial_prompt_fulfillment": {"webhook": "api"}}}
        ]
    }
    r = agent(page("Ask", form=form))
    [hit] = found(r, WEBHOOK)
    assert hit.path[:3] == ("form", "parameters", 0)


def test_a_route_group_is_covered_only_where_every_user_is() -> None:
    group = {
        "display_name": "G",
        "transition_routes": [{"intent": "x", "trigger_fulfillment": {"webhook": "api"}}],
    }
    r = agent(
        (Key("flow_route_group", F, "G"), group),
        page("A", transition_route_groups=["G"], event_handlers=[ERROR]),
    )
    assert found(r, WEBHOOK) == []
    r.update([page("B", transition_route_groups=["G"])])
    [hit] = found(r, WEBHOOK)
    assert hit.key == Key("flow_route_group", F, "G") and "page 'B' of flow 'Main'" in hit.message
    # An agent route group, used from another flow without a handler.
    r = agent((Key("route_group", "", "C"), {**group, "display_name": "C"}))
    r[Key("flow", "", "Other")] = {"display_name": "Other", "agent_transition_route_groups": ["C"]}
    [hit] = found(r, WEBHOOK)
    assert hit.key == Key("route_group", "", "C") and "flow 'Other'" in hit.message


# -- reachability/reached-only-from-unreachable ------------------------------------------------

CHAIN = "reachability/reached-only-from-unreachable"


def test_a_chain_behind_an_unreachable_page_is_reported_past_its_head() -> None:
    r = agent(page("Head", transition_routes=[to("Middle")]), page("Middle", transition_routes=[to("Tail")]))
    r.update([page("Tail", transition_routes=[to("Current Page"), to("Previous Page"), to("End Session")])])
    findings = run(snapshot(r))
    assert [f.key.name for f in findings if f.rule == "reachability/unreachable-page"] == ["Head"]
    chain = [f for f in findings if f.rule == CHAIN]
    assert sorted(f.key.name for f in chain) == ["Middle", "Tail"]
    assert "'Head'" in next(f.message for f in chain if f.key.name == "Middle")
    # Reached from the flow's start: the whole chain is alive.
    r[Key("flow", "", F)]["transition_routes"] = [{"intent": "go", "target_page": "Head"}]
    assert found(r, CHAIN) == []


@pytest.mark.parametrize(
    "entry",
    [
        {"event_handlers": [{"event": "sys.no-match-default", "target_page": "Head"}]},
        {"transition_route_groups": ["G"]},
        {"knowledge_connector_settings": {"enabled": True, "target_page": "Head"}},
    ],
    ids=["flow-event-handler", "flow-route-group", "knowledge-connector"],
)
def test_every_way_in_from_the_flow_counts(entry: dict[str, Any]) -> None:
    r = agent(page("Head", transition_routes=[to("Tail")]), page("Tail"))
    r[Key("flow_route_group", F, "G")] = {"display_name": "G", "transition_routes": [to("Head")]}
    r[Key("flow", "", F)].update(entry)
    assert found(r, CHAIN) == []


def test_pages_reach_on_through_their_groups_handlers_and_reprompts() -> None:
    reprompt = {"event": "sys.no-match-1", "target_page": "C"}
    form = {"parameters": [{"display_name": "n", "fill_behavior": {"reprompt_event_handlers": [reprompt]}}]}
    r = agent(
        page("A", agent_transition_route_groups=["Common"]),
        page("B", form=form),
        page("C", knowledge_connector_settings={"target_page": "D"}),
        page("D"),
    )
    r[Key("route_group", "", "Common")] = {"display_name": "Common", "transition_routes": [to("B")]}
    r[Key("flow", "", F)]["transition_routes"] = [{"intent": "go", "target_page": "A"}]
    assert found(r, CHAIN) == []
    del r[Key("flow", "", F)]["transition_routes"]
    assert sorted(f.key.name for f in found(r, CHAIN)) == ["B", "C", "D"]


def test_a_page_that_only_leads_to_itself_is_reported() -> None:
    r = agent(page("Loop", transition_routes=[to("Loop")]))
    [hit] = found(r, CHAIN)
    assert hit.key.name == "Loop"


# -- nlu/routed-intent-without-phrases ---------------------------------------------------------

NO_PHRASES = "nlu/routed-intent-without-phrases"


def test_a_routed_intent_without_phrases_in_any_language() -> None:
    r = agent(
        (Key("intent", "", "cancel"), {"display_name": "cancel", "training_phrases": {"en": [], "de": []}})
    )
    assert found(r, NO_PHRASES) == []  # not routed: unused-intent's
    r[Key("flow", "", F)]["transition_routes"] = [{"intent": "cancel", "target_page": "End Session"}]
    [hit] = found(r, NO_PHRASES)
    assert hit.key.name == "cancel" and "flow 'Main'" in hit.message
    r[Key("intent", "", "cancel")]["training_phrases"]["de"] = ["abbrechen"]
    assert found(r, NO_PHRASES) == []
    # The fallback intent has no phrases by design.
    r = agent((Key("intent", "", "neg"), {"display_name": "neg", "is_fallback": True}))
    r[Key("flow", "", F)]["transition_routes"] = [{"intent": "neg", "target_page": "End Session"}]
    assert found(r, NO_PHRASES) == []


# -- references/whitespace-in-name -------------------------------------------------------------

SPACES = "references/whitespace-in-name"


@pytest.mark.parametrize("name", [" Good", "Good ", "Go  od", "Go\t\tod"])
def test_padded_names_that_a_reference_uses(name: str) -> None:
    r = agent()
    r[Key("route_group", "", name)] = {"display_name": name}
    assert found(r, SPACES) == []  # nothing refers to it: unused-route-group's
    r[Key("flow", "", F)]["agent_transition_route_groups"] = [name]
    [hit] = found(r, SPACES)
    assert hit.key.name == name and "flow 'Main'" in hit.message


def test_a_single_inner_space_and_other_flows_pages_are_not_findings() -> None:
    r = agent(page("Go od"), page(" Pad"))
    r[Key("flow", "", F)]["transition_routes"] = [to("Go od")]
    r[Key("flow", "", "Other")] = {"display_name": "Other", "transition_routes": [to(" Pad")]}
    # " Pad" in flow Other names a page of Other, not Main's.
    assert found(r, SPACES) == []
    r[Key("flow", "", F)]["transition_routes"].append(to(" Pad"))
    [hit] = found(r, SPACES)
    assert hit.key == Key("page", F, " Pad")


# -- references/unset-parameter and webhook-only-parameter -------------------------------------

UNSET, WEBHOOK_ONLY = "references/unset-parameter", "references/webhook-only-parameter"


def reads(param: str, **flow: Any) -> R:
    r = agent()
    r[Key("flow", "", F)]["transition_routes"] = [
        {"condition": f'$session.params.{param} = "x"', "target_page": "End Session"}
    ]
    r[Key("flow", "", F)].update(flow)
    return r


def test_a_read_nothing_sets() -> None:
    [hit] = found(reads("colour"), UNSET)
    assert "$session.params.colour" in hit.message and "nothing in the agent sets it" in hit.message


@pytest.mark.parametrize(
    "action",
    [{"parameter": "colour", "value": "red"}, {"parameter": "colour", "value": ""}, {"parameter": "colour"}],
    ids=["value", "empty", "no-value"],
)
def test_any_set_parameter_action_sets_it(action: dict[str, Any]) -> None:
    r = reads("colour", entry_fulfillment={"set_parameter_actions": [action]})
    assert found(r, UNSET) == []


def test_playbook_output_flow_input_intent_and_form_parameters_set_it() -> None:
    r = reads("colour")
    r[Key("playbook", "", "P")] = {"display_name": "P", "output_parameter_definitions": [{"name": "colour"}]}
    assert found(r, UNSET) == []
    r = reads("colour", input_parameter_definitions=[{"name": "colour"}])
    assert found(r, UNSET) == []
    r = reads("colour")
    r[Key("intent", "", "i")] = {"display_name": "i", "parameters": [{"id": "colour"}]}
    assert found(r, UNSET) == []
    r = reads("colour")
    r.update([page("Ask", form={"parameters": [{"display_name": "colour"}]})])
    assert found(r, UNSET) == []


def test_a_standard_webhook_makes_it_undecidable_and_the_note_says_so() -> None:
    r = reads("balance", entry_fulfillment={"webhook": "api"})
    r[Key("webhook", "", "api")] = {"display_name": "api", "generic_web_service": {"uri": "https://a"}}
    assert found(r, UNSET) == []
    [note] = found(r, WEBHOOK_ONLY)
    assert note.severity.name == "note"
    assert "only a webhook response could" in note.message and "'api'" in note.message
    # A flexible webhook sets what its mapping names, and nothing else: decidable again.
    r[Key("webhook", "", "api")]["generic_web_service"].update(
        {"webhook_type": "FLEXIBLE", "parameter_mapping": {"other": "body.other"}}
    )
    assert found(r, WEBHOOK_ONLY) == []
    [hit] = found(r, UNSET)
    assert "balance" in hit.message
    r[Key("webhook", "", "api")]["generic_web_service"]["parameter_mapping"]["balance"] = "body.balance"
    assert found(r, UNSET) == []


# -- testcases/utterance-not-a-phrase --------------------------------------------------------

UTTERANCE = "testcases/utterance-not-a-phrase"


def said(text: str, intent: str = "book", lang: str | None = "en") -> R:
    phrases = [
        "I want to book a flight",
        "fly to [London](city) please",
        "\uff34\uff29\uff23\uff2b\uff25\uff34",  # full-width TICKET
        "[渋谷店](store)は何時ですか",  # no spaces around the annotated part
    ]
    turn: dict[str, Any] = {
        "user_input": {"input": {"text": {"text": text}}},
        "virtual_agent_output": {"triggered_intent": {"name": intent}},
    }
    if lang is not None:
        turn["user_input"]["input"]["language_code"] = lang
    return agent(
        (
            Key("intent", "", "book"),
            {"display_name": "book", "training_phrases": {"en": phrases, "de": ["buchen"]}},
        ),
        (Key("test_case", "", "t"), {"display_name": "t", "test_case_conversation_turns": [turn]}),
    )


@pytest.mark.parametrize(
    "text",
    [
        "I want to book a flight",
        "i WANT to book a flight ",
        "I want  to book a flight!",
        "fly to Paris please",
        "fly to New York please",
        "ticket",
        "梅田店は何時ですか",
    ],
)
def test_utterances_cx_matches_as_its_phrases_are_not_findings(text: str) -> None:
    # Case, width, punctuation and spacing folded; an annotated part takes any value.
    assert found(said(text), UTTERANCE) == []


def test_an_utterance_that_is_no_phrase_of_its_intent() -> None:
    [hit] = found(said("flight please"), UTTERANCE)
    assert hit.path == ("test_case_conversation_turns", 0, "user_input", "input", "text", "text")
    assert "'flight please' (en)" in hit.message and "'book'" in hit.message
    assert found(said("fly to please"), UTTERANCE) != []  # a slot takes at least one word
    assert found(said("梅田店は休みですか"), UTTERANCE) != []
    # The turn's language, else the agent's default; a language without phrases is not this rule's.
    assert found(said("I want to book a flight", lang="de"), UTTERANCE) != []
    assert found(said("buchen", lang=None), UTTERANCE) != []
    assert found(said("buchen", lang="fr"), UTTERANCE) == []
    # No intent expected, or one that does not exist (missing-target's): nothing to compare.
    assert found(said("anything", intent="gone"), UTTERANCE) == []


# -- every rule on every corpus agent ----------------------------------------------------------

_PARAM = re.compile(r"\$session\.params\.([A-Za-z0-9_-]+)")


def _set_in_export(folder: Path) -> set[str]:
    """Parameters the raw export sets by a set-parameter action or a playbook output parameter,
    read from the JSON files (not through the import)."""
    names: set[str] = set()

    def visit(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                visit(v, k)
        elif isinstance(value, list):
            for item in value:
                if key == "setParameterActions" and isinstance(item, dict) and "parameter" in item:
                    names.add(str(item["parameter"]).removeprefix("$session.params."))
                if key == "outputParameterDefinitions" and isinstance(item, dict) and "name" in item:
                    names.add(str(item["name"]))
                visit(item, key)

    for path in folder.rglob("*.json"):
        visit(json.loads(path.read_bytes()))
    return names


@pytest.mark.parametrize("folder", agent_dirs())
def test_every_rule_runs_on_every_corpus_agent_without_the_known_false_positives(folder: Path) -> None:
    snap, _ = snapshot_from_package(read_export(folder))
    settings = default_settings()
    findings = run(snap, settings)  # no crash, every rule enabled by default
    assert {f.rule for f in findings} <= set(settings)
    set_ = _set_in_export(folder)
    for f in findings:
        if f.rule in (UNSET, WEBHOOK_ONLY):
            [param] = _PARAM.findall(f.message)[:1]
            assert param not in set_, f.message
    flows = {k.name: b for k, b in snap if k.kind == "flow"}
    handled = {
        name
        for name, b in flows.items()
        if any(h.get("event") == "webhook.error" for h in b.get("event_handlers") or [])
    }
    for f in findings:
        if f.rule == WEBHOOK and f.key.kind == "page":
            assert f.key.scope not in handled, f.message
