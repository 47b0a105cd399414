"""The stand-in's conversation runtime, through the real clients: test cases and DetectIntent."""

from __future__ import annotations

from typing import Any

import pytest
from google.cloud import dialogflowcx_v3 as cx

from cxops.fake import FakeCX
from tests.conftest import client
from tests.runtimefixture import describe, restore_snapshot, run_all, sample_snapshot


@pytest.fixture
def sample(fake: FakeCX, clients: Any) -> str:
    return restore_snapshot(clients, sample_snapshot())


def test_the_sample_agents_test_cases_pass_offline(clients: Any, sample: str) -> None:
    results = run_all(clients, sample)
    assert len(results) == 7
    failed = {name: describe(r) for name, r in results if r.test_result != cx.TestResult.PASSED}
    assert failed == {}
    # Each result is kept and listed, newest first, and read back with its turns.
    case = results[0][1].name.rsplit("/results/", 1)[0]
    listed = list(clients.test_cases.list_test_case_results(parent=case))
    assert [r.name for r in listed] == [results[0][1].name]
    got = clients.test_cases.get_test_case_result(name=results[0][1].name)
    assert got.conversation_turns and got.test_result == cx.TestResult.PASSED


def test_run_test_case_reports_a_difference_per_field(clients: Any, sample: str) -> None:
    cases = list(
        clients.test_cases.list_test_cases(
            request=cx.ListTestCasesRequest(parent=sample, view=cx.ListTestCasesRequest.TestCaseView.FULL)
        )
    )
    case = next(c for c in cases if c.display_name == "Order status - shipped (en)")
    # The expectation of the second turn now names another page and a parameter value.
    turn = case.test_case_conversation_turns[1].virtual_agent_output
    turn.current_page.name = turn.current_page.name.rsplit("/", 1)[0] + "/START_PAGE"
    turn.session_parameters["order_state"] = "delivered"
    clients.test_cases.update_test_case(
        test_case=case, update_mask={"paths": ["test_case_conversation_turns"]}
    )
    response = clients.test_cases.run_test_case(request=cx.RunTestCaseRequest(name=case.name)).result()
    result = response.result
    assert result.test_result == cx.TestResult.FAILED
    assert describe(result) == [
        "turn 2: PAGE: Expected page Start Page, got Order Shipped.",
        "turn 2: PARAMETERS: Expected parameter order_state = 'delivered', got 'shipped'.",
    ]


def test_detect_intent_text_and_event(fake: FakeCX, channel: Any, sample: str) -> None:
    sessions = client(cx.SessionsClient, channel)
    session = f"{sample}/sessions/s1"

    def say(text: str = "", event: str = "", language: str = "en", **params: Any) -> cx.QueryResult:
        query = cx.QueryInput(language_code=language)
        if text:
            query.text = cx.TextInput(text=text)
        else:
            query.event = cx.EventInput(event=event)
        request = cx.DetectIntentRequest(session=session, query_input=query)
        if params:
            request.query_params = cx.QueryParameters(parameters=params)
        return sessions.detect_intent(request=request).query_result

    hello = say("Hello!")
    assert hello.intent.display_name == "Default Welcome Intent"
    assert hello.match.match_type == cx.Match.MatchType.INTENT
    assert hello.current_page.display_name == "Start Page"
    # Nothing the agent knows: the flow's no-match handler answers, the page stays.
    gibberish = say("purple elephants dancing")
    assert gibberish.match.match_type == cx.Match.MatchType.NO_MATCH
    assert "Sorry" in gibberish.response_messages[0].text.text[0]
    silent = say(event="sys.no-input-default")
    assert silent.match.event == "sys.no-input-default"
    assert silent.response_messages[0].text.text[0] == "Are you still there? Tell me what you need help with."
    # Width and case do not matter: full-width Latin letters and digits match the regexp entity.
    wide = "WHERE IS ORDER " + "".join(chr(ord(c) + 0xFEE0) for c in "A-12345")  # full width
    status = say(wide, order_found=True, order_state="delivered")
    assert status.intent.display_name == "order.status"
    assert status.parameters["order_id"] == "A-12345"
    assert status.current_page.display_name == "Order Delivered"


def test_calculate_coverage_counts_what_the_test_cases_exercise(clients: Any, sample: str) -> None:
    kinds = cx.CalculateCoverageRequest.CoverageType

    def coverage(kind: Any) -> cx.CalculateCoverageResponse:
        return clients.test_cases.calculate_coverage(
            request=cx.CalculateCoverageRequest(agent=sample, type_=kind)
        )

    intents = coverage(kinds.INTENT).intent_coverage
    by_name = {i.intent: i.covered for i in intents.intents}
    names = {i.name: i.display_name for i in clients.intents.list_intents(parent=sample)}
    covered = sorted(names[n] for n, c in by_name.items() if c)
    assert "order.status" in covered and "confirm.yes" in covered and "help.agent" in covered
    assert "order.cancel" not in covered  # no test case asks to cancel
    assert "Default Negative Intent" not in {names[n] for n in by_name}
    assert intents.coverage_score == pytest.approx(len(covered) / len(by_name))
    transitions = coverage(kinds.PAGE_TRANSITION).transition_coverage
    assert 0 < transitions.coverage_score < 1
    assert all(t.transition_route.name or t.event_handler.name for t in transitions.transitions)
    groups = coverage(kinds.TRANSITION_ROUTE_GROUP).route_group_coverage
    common = next(g for g in groups.coverages if g.route_group.display_name == "Common Help")
    assert [t.covered for t in common.transitions][:1] == [True]  # help.agent, by both handoff tests
    assert 0 < groups.coverage_score < 1
