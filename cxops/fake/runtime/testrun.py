"""Running a test case on the runtime, as ``TestCases.RunTestCase`` does.

The result follows the v3 reference (test_case.proto): ``TestCaseResult.conversation_turns``
hold the user input and the ``VirtualAgentOutput`` (session_parameters, triggered_intent,
current_page, text_responses, status, differences); a ``TestRunDifference`` of type INTENT,
PAGE, PARAMETERS or UTTERANCE is recorded for each expected field that differs, and
``test_result`` is PASSED only without differences or errors. Only what the expectation names is
compared: expected session parameters one by one, the intent and page when given, the text
responses when any are expected (a response matches when it is any variant of the message).
"""

from __future__ import annotations

from typing import Any

from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import json_format, struct_pb2

from cxops.fake.protoutil import Msg
from cxops.fake.runtime.agentview import value_of
from cxops.fake.runtime.session import Session, TurnError, TurnOutput

Diff = cx.TestRunDifference.DiffType


def _pb(message: Any) -> Msg:
    return type(message).pb(message)


def _same(expected: Any, actual: Any) -> bool:
    if (
        isinstance(expected, (int, float))
        and isinstance(actual, (int, float))
        and not isinstance(expected, bool)
    ):
        return float(expected) == float(actual)
    return bool(expected == actual)


def run_case(
    service: Any, agent: str, case: Msg, seed: int = 0, environment: str = ""
) -> tuple[Msg, list[TurnOutput]]:
    """The TestCaseResult (raw proto, unnamed) and the runtime's turn outputs (for coverage);
    ``environment``: run that environment's flow versions, not the draft."""
    session = Session(service, agent, seed=seed, environment=environment)
    config = case.test_config
    result = cx.TestCaseResult.pb()()
    try:
        session.start(str(config.flow), str(config.page))
    except TurnError as bad:
        turn = result.conversation_turns.add()
        turn.virtual_agent_output.status.code = 3
        turn.virtual_agent_output.status.message = f"cxops fake: {bad}"
        result.test_result = int(cx.TestResult.FAILED)
        return result, []
    outputs: list[TurnOutput] = []
    default_language = str(service.store.entries[agent].base.default_language_code)
    failed = False
    for turn in case.test_case_conversation_turns:
        user, expected = turn.user_input, turn.virtual_agent_output
        language = str(user.input.language_code) or default_language
        injected = value_of(user.injected_parameters) if user.HasField("injected_parameters") else None
        got = result.conversation_turns.add()
        got.user_input.CopyFrom(user)
        actual = got.virtual_agent_output
        try:
            out = session.turn(
                language,
                text=str(user.input.text.text),
                event=str(user.input.event.event),
                injected=injected,
            )
        except TurnError as bad:
            actual.status.code = 3  # INVALID_ARGUMENT: what the agent says cannot be run here
            actual.status.message = f"cxops fake: {bad}"
            failed = True
            break
        outputs.append(out)
        assert session.view is not None
        view = session.view
        json_format.ParseDict(session.params, actual.session_parameters)
        if out.intent is not None:
            actual.triggered_intent.name = out.intent.name
            actual.triggered_intent.display_name = out.intent.display_name
        page = session.current_page()
        actual.current_page.name = page
        actual.current_page.display_name = (
            "Start Page" if page.endswith("/START_PAGE") else view.display(page)
        )
        for message in out.messages:
            if message.payload is None:
                actual.text_responses.add().text.append(message.text)
        if out.webhook_errors or out.webhook_skipped or out.notes:
            # A failed call was handled by webhook.error (the turn is judged by its outcome); a
            # skipped one is a note. Neither is an error code of the turn.
            actual.status.message = "; ".join(out.webhook_errors + out.webhook_skipped + out.notes)
        diffs = differences(expected, actual, out, view.display)
        actual.differences.extend(diffs)
        failed = failed or bool(diffs)
    result.test_result = int(cx.TestResult.FAILED if failed else cx.TestResult.PASSED)
    return result, outputs


def differences(expected: Msg, actual: Msg, out: TurnOutput, display: Any) -> list[Msg]:
    diffs: list[Msg] = []

    def add(kind: Any, text: str) -> None:
        diffs.append(_pb(cx.TestRunDifference(type_=kind, description=text)))

    want_intent = str(expected.triggered_intent.name)
    if want_intent and want_intent != str(actual.triggered_intent.name):
        matched = str(actual.triggered_intent.display_name) or "no intent (no-match)"
        add(Diff.INTENT, f"Expected intent {display(want_intent)}, got {matched}.")
    want_page = str(expected.current_page.name)
    if want_page and want_page != str(actual.current_page.name):
        add(
            Diff.PAGE,
            f"Expected page {_page_name(want_page, display)}, got {actual.current_page.display_name}.",
        )
    if expected.HasField("session_parameters"):
        want = value_of(expected.session_parameters)
        have = value_of(actual.session_parameters) if actual.HasField("session_parameters") else {}
        for key, value in want.items():
            if not _same(value, have.get(key)):
                add(Diff.PARAMETERS, f"Expected parameter {key} = {value!r}, got {have.get(key)!r}.")
    want_texts = [" ".join(str(t) for t in m.text) for m in expected.text_responses]
    if want_texts:
        texts = [m for m in out.messages if m.payload is None]
        ok = len(texts) == len(want_texts) and all(
            w in m.variants for w, m in zip(want_texts, texts, strict=True)
        )
        if not ok:
            add(Diff.UTTERANCE, f"Expected agent responses {want_texts}, got {[m.text for m in texts]}.")
    return diffs


def _page_name(name: str, display: Any) -> str:
    return "Start Page" if name.endswith("/START_PAGE") else str(display(name))


def struct(data: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    json_format.ParseDict(data, out)
    return out
