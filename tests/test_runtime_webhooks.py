"""Webhooks on the runtime: a local webhook is called over HTTP and its answer used; one that
fails raises webhook.error; an unsupported condition fails the test, naming the expression."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import field_mask_pb2

from cxops.fake import FakeCX
from tests.conftest import client
from tests.runtimefixture import describe, restore_snapshot, run_all, sample_snapshot


class Hook:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.answer: dict[str, Any] = {}


@pytest.fixture
def hook() -> Iterator[tuple[Hook, str]]:
    state = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            state.requests.append(json.loads(self.rfile.read(length)))
            body = json.dumps(state.answer).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/cx"
    server.shutdown()
    server.server_close()


def point_webhook(clients: Any, agent: str, uri: str) -> None:
    hook = next(iter(clients.webhooks.list_webhooks(parent=agent)))
    hook.generic_web_service.uri = uri
    hook.generic_web_service.request_headers.clear()
    clients.webhooks.update_webhook(webhook=hook)


def test_a_local_webhook_is_called_and_its_answer_used(
    fake: FakeCX, clients: Any, hook: tuple[Hook, str]
) -> None:
    state, uri = hook
    state.answer = {"sessionInfo": {"parameters": {"agents_available": True}}}
    agent = restore_snapshot(clients, sample_snapshot())
    point_webhook(clients, agent, uri)
    results = dict(run_all(clients, agent))
    assert results["Handoff - agent available (en)"].test_result == cx.TestResult.PASSED
    # The team is available now, so the callback the test expects is not offered.
    busy = describe(results["Handoff - team busy, callback (en)"])
    assert (
        "turn 1: PAGE: Expected page Request Callback, got END_SESSION." in busy
    )  # the handoff ended the session
    tags = {r["fulfillmentInfo"]["tag"] for r in state.requests}
    assert "agent-availability" in tags


def test_a_failing_webhook_raises_webhook_error(
    fake: FakeCX, clients: Any, channel: Any, hook: tuple[Hook, str]
) -> None:
    state, uri = hook
    state.status = 500
    agent = restore_snapshot(clients, sample_snapshot())
    point_webhook(clients, agent, uri)
    sessions = client(cx.SessionsClient, channel)
    result = sessions.detect_intent(
        request=cx.DetectIntentRequest(
            session=f"{agent}/sessions/w",
            query_input=cx.QueryInput(text=cx.TextInput(text="where is order A-12345"), language_code="en"),
        )
    ).query_result
    texts = [m.text.text[0] for m in result.response_messages if m.text.text]
    assert "Sorry, I can't reach our order system right now. Let me pass you to our support team." in texts
    assert result.webhook_statuses and "orders-api" in result.webhook_statuses[0].message
    # The handler hands over to support, where the same webhook fails again (no handler there):
    # the team counts as busy and a callback is offered.
    assert result.current_page.display_name == "Request Callback"


def test_an_unsupported_condition_leaves_the_test_undecided_naming_it(fake: FakeCX, clients: Any) -> None:
    agent = restore_snapshot(clients, sample_snapshot())
    flows = {f.display_name: f for f in clients.flows.list_flows(parent=agent)}
    page = next(
        p
        for p in clients.pages.list_pages(parent=flows["Customer Support"].name)
        if p.display_name == "Check Agent Availability"
    )
    page.transition_routes[0].condition = "$sys.func.IS_TRUE($session.params.agents_available)"
    clients.pages.update_page(page=page)
    results = dict(run_all(clients, agent))
    result = results["Handoff - agent available (en)"]
    # Neither passed nor failed: the turn says which assertion is undecided, and why.
    assert result.test_result == cx.TestResult.TEST_RESULT_UNSPECIFIED
    turn = result.conversation_turns[0].virtual_agent_output
    assert not turn.differences
    assert dict(turn.diagnostic_info)["cxops_undecided"]["messages"] == ["unsupported"]
    assert "$sys.func.IS_TRUE is not modelled by the stand-in" in turn.status.message


def test_a_webhook_fixture_answers_without_a_call(clients: Any, tmp_path: Any) -> None:
    (tmp_path / "orders-api").mkdir()
    answer = {"sessionInfo": {"parameters": {"agents_available": True}}}
    (tmp_path / "orders-api" / "agent-availability.json").write_text(json.dumps(answer))
    results = _sample_run(tmp_path)
    busy = describe(results["Handoff - team busy, callback (en)"])
    assert (
        "turn 1: PAGE: Expected page Request Callback, got END_SESSION." in busy
    )  # the handoff ended the session


def _webhooks_on_without_injection(clients: Any, agent: str, name: str) -> None:
    """The test case as recorded with webhooks on (UserInput.is_webhook_enabled) and no
    injected parameters: what the webhook answers decides its turns."""
    cases = clients.test_cases.list_test_cases(
        request=cx.ListTestCasesRequest(parent=agent, view=cx.ListTestCasesRequest.TestCaseView.FULL)
    )
    case = next(c for c in cases if c.display_name == name)
    for turn in case.test_case_conversation_turns:
        turn.user_input.is_webhook_enabled = True
        turn.user_input.injected_parameters = {}
    clients.test_cases.update_test_case(
        request=cx.UpdateTestCaseRequest(
            test_case=case, update_mask=field_mask_pb2.FieldMask(paths=["test_case_conversation_turns"])
        )
    )


def _sample_run(fixtures: Any, name: str = "") -> dict[str, cx.TestCaseResult]:
    """The sample's test cases on a stand-in answering webhooks from ``fixtures``; ``name``: that
    test case recorded with webhooks on and nothing injected first."""
    with FakeCX(seed=7, webhook_fixtures=fixtures) as fake:
        import grpc

        channel = grpc.insecure_channel(fake.address)

        class Clients:
            agents = client(cx.AgentsClient, channel)
            test_cases = client(cx.TestCasesClient, channel)

        agent = restore_snapshot(Clients, sample_snapshot())
        if name:
            _webhooks_on_without_injection(Clients, agent, name)
        results = dict(run_all(Clients, agent))
        channel.close()
    return results


def _run_with(fixtures: Any, name: str) -> cx.TestCaseResult:
    return _sample_run(fixtures, name)[name]


def test_an_unanswered_webhook_leaves_its_turns_undecided_and_a_fixture_decides_them(tmp_path: Any) -> None:
    name = "Handoff - agent available (en)"
    alone = _run_with(None, name)
    assert alone.test_result == cx.TestResult.TEST_RESULT_UNSPECIFIED
    held = dict(alone.conversation_turns[0].virtual_agent_output.diagnostic_info)["cxops_undecided"]
    assert set(held) and all(list(causes) == ["webhook"] for causes in held.values())
    # A list fixture: the first entry whose match holds answers (here by tag; a parameter
    # matcher that does not hold is passed over).
    (tmp_path / "orders-api.json").write_text(
        json.dumps(
            [
                {"match": {"parameters": {"order_id": "never"}}, "response": {"sessionInfo": {}}},
                {
                    "match": {"tag": "agent-availability"},
                    "response": {"sessionInfo": {"parameters": {"agents_available": True}}},
                },
            ]
        )
    )
    answered = _run_with(tmp_path, name)
    assert answered.test_result == cx.TestResult.PASSED, describe(answered)
    (tmp_path / "orders-api.json").write_text(json.dumps([{"match": {}, "response": 3}]))
    broken = _run_with(tmp_path, name)
    assert (
        "entry 1 has no response object" in broken.conversation_turns[0].virtual_agent_output.status.message
    )
