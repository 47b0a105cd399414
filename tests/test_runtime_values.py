"""Values the offline runtime reads or cannot read (issue 25): a recorded text that shows a value
the runtime could not read, dates said relative to the day the case was recorded, composite
entities, and the system entity forms of the subset. Each agent is built through the client and
run with BatchRunTestCases or DetectIntent on the stand-in."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from google.cloud import dialogflowcx_v3 as cx

from cxops.fake.runtime.entities import find_system
from tests.runtimefixture import run_all
from tests.test_runtime_routing import Bot, Route, asked, say, texts

SYS = "projects/-/locations/-/agents/-/entityTypes/sys."
UNSPECIFIED = cx.TestResult.TEST_RESULT_UNSPECIFIED


@pytest.fixture
def bot(clients: Any, channel: Any, agent: cx.Agent) -> Bot:
    return Bot(clients, channel, agent)


def form_bot(bot: Bot, params: list[cx.Form.Parameter], done_text: str) -> tuple[str, str, str]:
    """'book' -> a form page asking ``params`` -> a page saying ``done_text``: (intent, form, done)."""
    book = bot.intent("book", "book a trip")
    done = bot.page(bot.start.name, "Done", entry_fulfillment=say(done_text))
    form = bot.page(
        bot.start.name,
        "Trip",
        form=cx.Form(parameters=params),
        transition_routes=[Route(condition="$page.params.status = FINAL", target_page=done)],
    )
    bot.set_start(transition_routes=[Route(intent=book, target_page=form)])
    return book, form, done


def turn(text: str, page: str, *replies: str, params: dict[str, Any] | None = None) -> cx.ConversationTurn:
    output = cx.ConversationTurn.VirtualAgentOutput(
        current_page=cx.Page(name=page), text_responses=[cx.ResponseMessage.Text(text=[r]) for r in replies]
    )
    if params is not None:
        output.session_parameters = params
    return cx.ConversationTurn(
        user_input=cx.ConversationTurn.UserInput(
            input=cx.QueryInput(text=cx.TextInput(text=text), language_code="en")
        ),
        virtual_agent_output=output,
    )


def run(bot: Bot, cases: dict[str, list[cx.ConversationTurn]]) -> dict[str, cx.TestCaseResult]:
    for name, turns in cases.items():
        bot.clients.test_cases.create_test_case(
            parent=bot.agent.name,
            test_case=cx.TestCase(display_name=name, test_case_conversation_turns=turns),
        )
    return dict(run_all(bot.clients, bot.agent.name))


def held(result: cx.TestCaseResult, index: int) -> dict[str, list[str]]:
    info = dict(result.conversation_turns[index].virtual_agent_output.diagnostic_info)
    return {k: list(v) for k, v in dict(info.get("cxops_undecided", {})).items()}


def test_a_recorded_text_that_fits_the_message_around_an_unread_value_holds(bot: Bot) -> None:
    # @sys.geo-city is outside the subset: the runtime cannot say what CX filled, but the message
    # around the value is the runtime's to decide. A recorded text that fits it holds (the value
    # is CX's); one that does not stays undecided, never failed, as CX's value may have routed
    # elsewhere.
    _, form, done = form_bot(
        bot, [asked("city", SYS + "geo-city", "Which city?")], "Flying to $session.params.city. Enjoy!"
    )
    start = turn("book a trip", form, "Which city?")
    results = run(
        bot,
        {
            "fits": [start, turn("paris", done, "Flying to Paris. Enjoy!")],
            "does not fit": [start, turn("paris", done, "Going to Paris.")],
            # CX answered with the parameter's own prompt: that input did not fill it
            # (FillBehavior: an unfilled parameter is re-prompted), so the turn is no fill.
            "asked again": [
                start,
                turn("somewhere warm", form, "Which city?"),
                turn("paris", done, "Flying to Paris. Enjoy!"),
            ],
        },
    )
    assert results["asked again"].test_result == cx.TestResult.PASSED
    assert results["fits"].test_result == cx.TestResult.PASSED
    assert results["does not fit"].test_result == UNSPECIFIED
    assert held(results["does not fit"], 1) == {"messages": ["system-entity"]}


def test_relative_dates_resolve_against_the_day_the_recording_shows(bot: Bot) -> None:
    # Test cases come into the stand-in without their recording day (creation and last-run times
    # are output-only: no tree holds them; the stand-in stamps its own). A date CX recorded for
    # "tomorrow" gives the day back (2023-06-29), so the case's later dates are decided.
    date = SYS + "date"
    _, form, done = form_bot(
        bot,
        [asked("out", date, "Leaving when?"), asked("back", date, "Back when?")],
        "From $session.params.out to $session.params.back.",
    )
    out = {"year": 2023, "month": 6, "day": 30}
    start = turn("book a trip", form, "Leaving when?")
    leaving = turn("tomorrow", form, "Back when?", params={"out": out})
    results = run(
        bot,
        {
            "clock shown": [start, leaving, turn("july 3rd", done, "From 2023-06-30 to 2023-07-03.")],
            "clock shown, wrong date": [
                start,
                leaving,
                turn("july 3rd", done, "From 2023-06-30 to 2023-07-04."),
            ],
            # No recorded value for a relative date: the day is unknown; a recorded value is followed.
            "no clock": [
                start,
                turn("friday", form, "Back when?"),
                turn(
                    "saturday",
                    done,
                    "From 2023-06-30 to 2023-07-01.",
                    params={"back": {"year": 2023, "month": 7, "day": 1}},
                ),
            ],
        },
    )
    assert results["clock shown"].test_result == cx.TestResult.PASSED
    # Decided: "july 3rd" after a day recorded as 2023-06-29 is 2023-07-03, not the 4th.
    assert results["clock shown, wrong date"].test_result == cx.TestResult.FAILED
    assert (
        "2023-07-03"
        in results["clock shown, wrong date"]
        .conversation_turns[2]
        .virtual_agent_output.differences[0]
        .description
    )
    # Without the day, the runtime's clock (today) must not decide: following the recorded value
    # and fitting the text, the case holds instead of failing on a date of the wrong year.
    assert results["no clock"].test_result == cx.TestResult.PASSED


def test_an_unknown_relative_date_leaves_undecided_what_reads_it(bot: Bot) -> None:
    _, form, done = form_bot(
        bot, [asked("out", SYS + "date", "Leaving when?")], "Booked for $session.params.out."
    )
    start = turn("book a trip", form, "Leaving when?")
    results = run(bot, {"unknown": [start, turn("tomorrow", done, "Booked for the 30th?")]})
    assert results["unknown"].test_result == UNSPECIFIED
    assert held(results["unknown"], 1) == {"messages": ["relative-time"]}


def test_a_composite_entity_reads_the_entity_types_its_entries_reference(bot: Bot) -> None:
    # Entity options reference: a composite entity is a list entity whose entries are other entity
    # types; an entry "@sys.number-sequence" takes that type's value.
    account = bot.entity_type("account", cx.EntityType.Kind.KIND_LIST, "@sys.number-sequence", "@sys.email")
    form_bot(bot, [asked("account", account, "Your account?")], "Account $session.params.account.")
    assert texts(bot.says("book a trip")) == ["Your account?"]
    assert texts(bot.says("it is 12 34-56")) == ["Account 123456."]
    assert texts(bot.says("book a trip", session="t")) == ["Your account?"]
    assert texts(bot.says("jane@example.com", session="t")) == ["Account jane@example.com."]


@pytest.mark.parametrize(
    ("text", "value", "relative"),
    [
        ("june 30th", (2023, 6, 30), True),
        ("on Jun 30, 2024", (2024, 6, 30), False),
        ("the 2nd of july", (2023, 7, 2), True),
        ("5 march", (2024, 3, 5), True),  # before the day: next year's
        ("2023-07-01", (2023, 7, 1), False),
        ("day after tomorrow", (2023, 7, 1), True),
        ("today", (2023, 6, 29), True),
    ],
)
def test_date_forms(text: str, value: tuple[int, int, int], relative: bool) -> None:
    (found,) = find_system("sys.date", text, datetime.date(2023, 6, 29))
    assert (found.value["year"], found.value["month"], found.value["day"]) == value
    assert found.relative is relative


@pytest.mark.parametrize(
    ("text", "found"),
    [("zip 94043 please", ["94043"]), ("94043-1351", ["94043-1351"]), ("123456", []), ("9404", [])],
)
def test_zip_codes(text: str, found: list[str]) -> None:
    assert [f.value for f in find_system("sys.zip-code", text, datetime.date(2023, 6, 29))] == found


def test_no_such_day_is_no_date() -> None:
    assert find_system("sys.date", "february 30th", datetime.date(2023, 6, 29)) == []
