"""The runtime's rules on their own: conditions, normalisation and matching, entities."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from cxops.fake.runtime import conditions
from cxops.fake.runtime.entities import EntityDef, UnsupportedEntity, find_custom, find_system
from cxops.fake.runtime.nlu import IntentDef, Phrase, match, normalize, tokens

PARAMS: dict[str, Any] = {
    "status": "FINAL",
    "n": 3.0,
    "ok": True,
    "name": "Shibuya store",
    "tags": ["a", "b"],
}


def lookup(ref: str) -> Any:
    return PARAMS.get(ref.rsplit(".", 1)[-1])


@pytest.mark.parametrize(
    ("expr", "truth"),
    [
        ('$page.params.status = "FINAL"', True),
        ("$session.params.status != 'FINAL'", False),
        ("$session.params.n > 2 AND $session.params.n <= 3", True),
        ("$session.params.n < 2 OR NOT ($session.params.n >= 4)", True),
        ("$session.params.ok = true", True),
        ("$session.params.ok = false", False),
        ("$session.params.missing = null", True),
        ("$session.params.missing != null", False),
        ('$session.params.name : "shibuya"', True),
        ("$session.params.tags : b", True),
        ("$session.params.n = 3", True),
        ("$session.params.status = FINAL", True),
        ("true", True),
        ("$session.params.missing", False),
        ("", True),
    ],
)
def test_conditions(expr: str, truth: bool) -> None:
    assert conditions.evaluate(expr, lookup) is truth


@pytest.mark.parametrize(
    "expr",
    ["$sys.func.IS_DATE($session.params.d)", "$flow.status = 1", "$session.params.n = (", "a = = b"],
)
def test_an_unsupported_condition_is_an_error_not_a_guess(expr: str) -> None:
    with pytest.raises(conditions.Unsupported):
        conditions.evaluate(expr, lookup)


def test_normalisation_and_tokens() -> None:
    assert normalize("  Where IS, my order?! ") == "where is my order"
    wide = "".join(chr(ord(c) + 0xFEE0) for c in "ABC-123")  # full-width forms
    assert normalize(wide) == normalize("abc-123") == "abc-123"
    assert normalize("don't") == "don't"
    assert tokens("注文状況") == ["注文", "文状", "状況"]


def test_exact_match_then_token_overlap_against_the_threshold() -> None:
    order = EntityDef("order_id", "KIND_REGEXP", [(r"[A-Z]-\d{5}", [r"[A-Z]-\d{5}"])], [])

    def find(entity: str, text: str) -> Any:
        return find_custom(order, text) if entity == "order_id" else []

    status = IntentDef(
        "i/status",
        "order.status",
        500000,
        False,
        [
            Phrase([("where is order ", ""), ("A-12345", "order_id")]),
            Phrase([("track my parcel please", "")]),
        ],
        {"order_id": "order_id"},
    )
    exact = match("Where is order B-99999?", [status], 0.3, find)
    assert exact is not None and exact.exact and exact.params == {"order_id": "B-99999"}
    # Not exact: 5 tokens (the order number one @order_id) against 4, all 4 shared: Dice 8/9.
    close = match("where is my order C-11111", [status], 0.3, find)
    assert close is not None and not close.exact and close.params == {"order_id": "C-11111"}
    assert close.confidence == pytest.approx(2 * 4 / (5 + 4), abs=1e-3)
    assert match("where is my order C-11111", [status], 0.95, find) is None
    assert match("completely different words", [status], 0.3, find) is None


def test_entities() -> None:
    stores = EntityDef(
        "store",
        "KIND_MAP",
        [("shibuya", ["Shibuya", "Shibuya store"]), ("umeda", ["Umeda"])],
        ["online store"],
    )
    found = find_custom(stores, "Is the shibuya store open?")
    assert [(f.value, f.text) for f in found] == [("shibuya", "shibuya store")]
    assert find_custom(stores, "Shibuyaville") == []  # whole words only
    today = datetime.date(2026, 12, 3)  # a Thursday
    assert find_system("sys.date", "on Friday please", today)[0].value == {
        "year": 2026.0,
        "month": 12.0,
        "day": 4.0,
    }
    assert find_system("sys.date", "2027-01-02", today)[0].value["year"] == 2027.0
    assert find_system("sys.number", "two of 12.5 and -3", today)[0].value == 12.5
    assert find_system("sys.email", "mail me at ana@example.com", today)[0].value == "ana@example.com"
    assert find_system("sys.phone-number", "call 090-1234-5678", today)[0].value == "090-1234-5678"
    assert find_system("sys.any", "  whatever  ", today)[0].value == "whatever"
    # @sys.time as CX records it: "4pm" -> {hours: 16, minutes: 0, seconds: 0, nanos: 0}.
    assert find_system("sys.time", "at 4pm", today)[0].value == {
        "hours": 16.0,
        "minutes": 0.0,
        "seconds": 0.0,
        "nanos": 0.0,
    }
    assert find_system("sys.time", "10:30 a.m.", today)[0].value["minutes"] == 30.0
    assert find_system("sys.time", "12am", today)[0].value["hours"] == 0.0
    assert find_system("sys.time", "17:45", today)[0].value["hours"] == 17.0
    assert find_system("sys.time", "room 1234", today) == []
    with pytest.raises(UnsupportedEntity, match=r"@sys\.geo-city"):
        find_system("sys.geo-city", "Tokyo", today)
