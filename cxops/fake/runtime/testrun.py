"""Running a test case on the runtime, as ``TestCases.RunTestCase`` does.

The result follows the v3 reference (test_case.proto): ``TestCaseResult.conversation_turns``
hold the user input and the ``VirtualAgentOutput`` (session_parameters, triggered_intent,
current_page, text_responses, status, differences); a ``TestRunDifference`` of type INTENT,
PAGE, PARAMETERS or UTTERANCE is recorded for each expected field that differs, and
``test_result`` is PASSED only without differences or errors. Only what the expectation names is
compared: expected session parameters one by one, the intent and page when given, the text
responses when any are expected (a response matches when it is any variant of the message).

What the runtime cannot decide (``TurnOutput.held``: a webhook it cannot call, an LLM, a system
entity form or an intent match beyond its matcher, a construct outside its subset) and differs
is no difference: the turn's ``diagnostic_info`` names each such assertion with its causes
(``testresults.UNDECIDED_KEY``), and a test with no decided difference but such an assertion
has ``test_result`` TEST_RESULT_UNSPECIFIED (neither passed nor failed). After a turn whose
state may differ from CX's, the session takes the recorded turn's state: its session
parameters (a test case records all of them after each turn; none recorded: none set) and its
page, so the next turns are decided again; a turn that records no page leaves the rest
undecided. A date said relative to the day ("tomorrow", "june 30th") resolves against the
recording day, which the stand-in learns only from the recording: CX's value recorded for a
"today" or "tomorrow" (Session.set_clock). Creation and last-run times are no such day here: they
are output-only, so a tree carries none, and the stand-in stamps its own at import. Before the
day is known such a date is followed where the turn records its value and is otherwise unknown
(``relative-time``): what reads it is undecided.
"""

from __future__ import annotations

import datetime
from typing import Any

from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import json_format, struct_pb2

from cxops.core.testresults import ASSERTIONS, UNDECIDED_KEY
from cxops.fake.protoutil import Msg
from cxops.fake.runtime.agentview import value_of
from cxops.fake.runtime.session import Frame, Session, TurnError, TurnOutput

Diff = cx.TestRunDifference.DiffType
ASSERTION_OF = {"INTENT": "intent", "PAGE": "page", "PARAMETERS": "parameters", "UTTERANCE": "messages"}


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
    session.clock = datetime.date.today()  # the working day until the recording gives its own
    config = case.test_config
    result = cx.TestCaseResult.pb()()
    expected_turns = list(case.test_case_conversation_turns)
    try:
        session.start(str(config.flow), str(config.page))
    except TurnError as bad:
        if "playbook" in str(bad):
            # The agent starts with a playbook: an LLM answers every turn.
            for turn in expected_turns:
                got = result.conversation_turns.add()
                got.user_input.CopyFrom(turn.user_input)
                got.virtual_agent_output.status.message = f"cxops fake: {bad}"
                _hold(got.virtual_agent_output, {a: ["llm"] for a in ASSERTIONS})
            result.test_result = int(cx.TestResult.TEST_RESULT_UNSPECIFIED)
            return result, []
        turn = result.conversation_turns.add()
        turn.virtual_agent_output.status.code = 3
        turn.virtual_agent_output.status.message = f"cxops fake: {bad}"
        result.test_result = int(cx.TestResult.FAILED)
        return result, []
    outputs: list[TurnOutput] = []
    default_language = str(service.store.entries[agent].base.default_language_code)
    failed = undecided = False
    # A test case that records session parameters in no turn did not record them (newer exports
    # keep only asserted fields), which is not "none set": resynchronising then takes the page only.
    records_params = any(t.virtual_agent_output.HasField("session_parameters") for t in expected_turns)
    session.records_intents = any(t.virtual_agent_output.triggered_intent.name for t in expected_turns)
    carried: list[str] = []  # causes the session's state still owes to (not resynchronised)
    for turn in expected_turns:
        user, expected = turn.user_input, turn.virtual_agent_output
        language = str(user.input.language_code) or default_language
        injected = value_of(user.injected_parameters) if user.HasField("injected_parameters") else None
        got = result.conversation_turns.add()
        got.user_input.CopyFrom(user)
        actual = got.virtual_agent_output
        session.webhooks_enabled = bool(user.is_webhook_enabled)
        session.recorded_intent = str(expected.triggered_intent.name)
        session.recorded_params = (
            value_of(expected.session_parameters) if expected.HasField("session_parameters") else {}
        )
        session.recorded_texts = recorded_texts(expected)
        try:
            out = session.turn(
                language,
                text=str(user.input.text.text),
                event=str(user.input.event.event),
                injected=injected,
            )
        except TurnError as bad:
            out = session.out
            if not (out.unsure or carried):
                actual.status.code = 3  # INVALID_ARGUMENT: what the agent says cannot be run here
                actual.status.message = f"cxops fake: {bad}"
                failed = True
                break
            # A loop or dead end after something undecided (a skipped webhook would have set the
            # way out): the turn is undecided, not an error of the runtime.
            out.notes.append(str(bad))
            for cause in out.unsure or carried:
                out.hold(cause)
        outputs.append(out)
        assert session.view is not None
        view = session.view
        for cause in carried:
            out.hold(cause, state=False)
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
        # An assertion the runtime cannot decide is undecided only where it differs: where its
        # answer equals CX's recorded one whatever the cause did, it held.
        diffs = differences(expected, actual, out, view.display)
        differing = {ASSERTION_OF[Diff(d.type_).name] for d in diffs}
        held = {a: c for a, c in out.held.items() if a in differing}
        _hold(actual, held)
        undecided = undecided or bool(held)
        diffs = [d for d in diffs if ASSERTION_OF[Diff(d.type_).name] not in held]
        actual.differences.extend(diffs)
        failed = failed or bool(diffs)
        if out.unsure or carried:
            carried = (
                [] if resync(session, expected, records_params) else list(dict.fromkeys(carried + out.unsure))
            )
    verdict = cx.TestResult.FAILED if failed else cx.TestResult.PASSED
    if undecided and not failed:
        verdict = cx.TestResult.TEST_RESULT_UNSPECIFIED
    result.test_result = int(verdict)
    return result, outputs


def resync(session: Session, expected: Msg, records_params: bool = True) -> bool:
    """The session takes the recorded turn's state (what CX was in after it); False when the turn
    records no page to take, or the test case no parameters (the page is taken, the parameters stay
    the runtime's, and what follows still owes to the cause)."""
    page = str(expected.current_page.name)
    if not page or "/pages/" not in page:
        return False
    if records_params:
        session.params = (
            value_of(expected.session_parameters) if expected.HasField("session_parameters") else {}
        )
        session.unknown.clear()
    flow, special = page.split("/pages/")[0], page.rsplit("/", 1)[-1]
    if special in ("END_SESSION", "END_FLOW"):
        session.ended = special == "END_SESSION" or len(session.stack) == 1
        if not session.ended:
            session.stack.pop()
        return records_params
    while len(session.stack) > 1 and session.frame.flow != flow:
        session.stack.pop()
    if session.frame.flow != flow:
        session.stack = [Frame(flow, "START_PAGE")]
    session.frame.page = "START_PAGE" if special == "START_PAGE" else page
    session.ended = False
    # On a page with a form CX prompts for the first required parameter still empty.
    session.requested = None
    if session.view is not None:
        session.requested = next(
            (
                str(p.display_name)
                for p in session.form_params()
                if p.required and session.params.get(str(p.display_name)) is None
            ),
            None,
        )
    return records_params


def _hold(actual: Msg, held: dict[str, list[str]]) -> None:
    if held:
        json_format.ParseDict({UNDECIDED_KEY: held}, actual.diagnostic_info)


def recorded_texts(output: Msg) -> list[str]:
    """The agent's text responses a recorded turn names, one string per message."""
    return [" ".join(str(t) for t in m.text) for m in output.text_responses]


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
    want_texts = recorded_texts(expected)
    if want_texts:
        texts = [m for m in out.messages if m.payload is None]
        ok = len(texts) == len(want_texts) and all(
            w in m.variants or any(p.fullmatch(w) for p in m.patterns)
            for w, m in zip(want_texts, texts, strict=True)
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
