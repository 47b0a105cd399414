"""When the matcher may call an intent match in a test run (nlu.ranked, issue 25): an exact
training phrase, a clear margin, or no shared token at all; everything else is undecided."""

from __future__ import annotations

from cxops.fake.runtime.entities import Found
from cxops.fake.runtime.nlu import MARGIN, IntentDef, Phrase, ranked


def intent(name: str, *phrases: str) -> IntentDef:
    return IntentDef(name, name, 0, False, [Phrase([(p, "")]) for p in phrases], {})


def nothing(entity_type: str, text: str) -> list[Found]:
    return []


TRACK = intent("track", "track my order", "where is my parcel")
CANCEL = intent("cancel", "cancel my order", "stop the order")
HELLO = intent("hello", "Olá", "bom dia")
ALL = [TRACK, CANCEL, HELLO]


def call(text: str) -> tuple[str | None, bool]:
    found, decided = ranked(text, ALL, 0.3, nothing)
    return (found.intent.name if found else None), decided


def test_an_exact_training_phrase_is_decided() -> None:
    assert call("Track my order!") == ("track", True)


def test_a_tie_between_intents_is_undecided() -> None:
    name, decided = call("my order")
    assert not decided and name in ("track", "cancel")


def test_a_clear_margin_decides_a_match() -> None:
    # "where is my parcel now": 4 of 5 tokens of one phrase, nothing like the others.
    assert call("where is my parcel now") == ("track", True)
    assert MARGIN == 0.3  # the documented margin (docs/test-results.md)


def test_no_shared_token_is_a_decided_no_match_and_diacritics_do_not_count() -> None:
    assert call("pizza") == (None, True)
    _, decided = call("Ola")  # shares "ola" with "Olá": a model would likely match it
    assert not decided
