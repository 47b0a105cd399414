"""The three-way merge of one resource's data, per kind of list, and its conflict text."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cxops.core.conflicttext import MIDDLE, OURS, THEIRS, pick, render
from cxops.core.merge import MISSING, Conflict, has_conflicts, merge3, resolve
from cxops.errors import ValidationError
from cxops.repo import yamlio


def clean(base: Any, ours: Any, theirs: Any) -> Any:
    merged = merge3(base, ours, theirs)
    assert not has_conflicts(merged), merged
    assert yamlio.load(render(merged), "x") == merged
    return merged


def route(condition: str, target: str, intent: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"intent": intent} if intent else {}
    return {**out, "condition": condition, "target_page": target}


PAGE: dict[str, Any] = {
    "display_name": "Confirm",
    "entry_fulfillment": {
        "messages": {
            "en": [{"text": {"text": ["Shall I go on?"]}}, {"text": {"text": ["Say yes or no."]}}],
            "ja": [{"text": {"text": ["続けますか。"]}}],
        }
    },
    "transition_routes": [
        route("", "Yes", "confirm.yes"),
        route("", "No", "confirm.no"),
        route("true", "End"),
    ],
    "event_handlers": [{"event": "sys.no-match-default", "target_page": "Retry"}],
    "form": {"parameters": [{"display_name": "order_id", "required": True}, {"display_name": "date"}]},
}
INTENT: dict[str, Any] = {
    "display_name": "order.status",
    "training_phrases": {"en": ["where is my order", "track my order"], "ja": ["注文状況", "荷物はどこ"]},
}
ENTITY: dict[str, Any] = {
    "display_name": "carrier",
    "entities": {"en": [{"value": "yamato", "synonyms": ["yamato", "kuroneko"]}, {"value": "sagawa"}]},
}


def edit(base: dict[str, Any], change: Any) -> dict[str, Any]:
    out = copy.deepcopy(base)
    change(out)
    return out


def test_routes_by_intent_and_condition() -> None:
    ours = edit(PAGE, lambda p: p["transition_routes"].insert(1, route("$x = 1", "One")))
    theirs = edit(PAGE, lambda p: p["transition_routes"][1].update(target_page="Nope"))
    merged = clean(PAGE, ours, theirs)
    assert [r["target_page"] for r in merged["transition_routes"]] == ["Yes", "One", "Nope", "End"]


def test_insertions_go_next_to_their_neighbours_ours_first() -> None:
    ours = edit(PAGE, lambda p: p["transition_routes"].append(route("$a", "A")))
    theirs = edit(PAGE, lambda p: p["transition_routes"].insert(1, route("$b", "B")))
    theirs["transition_routes"].append(route("$c", "C"))
    merged = clean(PAGE, ours, theirs)
    assert [r["target_page"] for r in merged["transition_routes"]] == ["Yes", "B", "No", "End", "A", "C"]


def test_event_handlers_by_event() -> None:
    ours = edit(
        PAGE, lambda p: p["event_handlers"].append({"event": "sys.no-input-default", "target_page": "R"})
    )
    theirs = edit(PAGE, lambda p: p["event_handlers"][0].update(target_page="Again"))
    merged = clean(PAGE, ours, theirs)
    assert merged["event_handlers"] == [
        {"event": "sys.no-match-default", "target_page": "Again"},
        {"event": "sys.no-input-default", "target_page": "R"},
    ]


def test_training_phrases_by_text_per_language() -> None:
    ours = edit(INTENT, lambda i: i["training_phrases"]["en"].append("parcel status"))
    theirs = edit(INTENT, lambda i: i["training_phrases"]["en"].insert(0, "order status"))
    theirs["training_phrases"]["ja"].remove("注文状況")
    merged = clean(INTENT, ours, theirs)
    assert merged["training_phrases"] == {
        "en": ["order status", "where is my order", "track my order", "parcel status"],
        "ja": ["荷物はどこ"],
    }


def test_one_phrase_edited_on_each_side() -> None:
    ours = edit(INTENT, lambda i: i["training_phrases"]["en"].__setitem__(0, "where's my order"))
    theirs = edit(INTENT, lambda i: i["training_phrases"]["en"].__setitem__(1, "track order"))
    assert clean(INTENT, ours, theirs)["training_phrases"]["en"] == ["where's my order", "track order"]


def test_one_phrase_edited_differently_is_a_conflict_not_two_phrases() -> None:
    ours = edit(INTENT, lambda i: i["training_phrases"]["ja"].__setitem__(0, "注文状況を確認"))
    theirs = edit(INTENT, lambda i: i["training_phrases"]["ja"].__setitem__(0, "注文の状況"))
    merged = merge3(INTENT, ours, theirs)
    assert has_conflicts(merged)
    assert resolve(merged, "ours") == ours and resolve(merged, "theirs") == theirs


def test_messages_by_text_and_synonyms_and_entities_by_value() -> None:
    def ours_change(p: dict[str, Any]) -> None:
        p["entry_fulfillment"]["messages"]["en"][0] = {"text": {"text": ["Go on?"]}}

    def theirs_change(p: dict[str, Any]) -> None:
        p["entry_fulfillment"]["messages"]["en"].append({"text": {"text": ["Thanks."]}})
        p["entry_fulfillment"]["messages"]["ja"][0]["text"]["text"] = ["続けましょうか。"]

    merged = clean(PAGE, edit(PAGE, ours_change), edit(PAGE, theirs_change))
    assert merged["entry_fulfillment"]["messages"] == {
        "en": [
            {"text": {"text": ["Go on?"]}},
            {"text": {"text": ["Say yes or no."]}},
            {"text": {"text": ["Thanks."]}},
        ],
        "ja": [{"text": {"text": ["続けましょうか。"]}}],
    }
    ours = edit(ENTITY, lambda e: e["entities"]["en"][0]["synonyms"].append("black cat"))
    theirs = edit(ENTITY, lambda e: e["entities"]["en"][0]["synonyms"].remove("kuroneko"))
    theirs["entities"]["en"].append({"value": "japan_post"})
    merged = clean(ENTITY, ours, theirs)
    assert merged["entities"]["en"] == [
        {"value": "yamato", "synonyms": ["yamato", "black cat"]},
        {"value": "sagawa"},
        {"value": "japan_post"},
    ]


def test_form_parameters_by_name_and_scalars_field_by_field() -> None:
    ours = edit(PAGE, lambda p: p["form"]["parameters"][1].update(required=True))
    ours["display_name"] = "Confirm Order"
    theirs = edit(PAGE, lambda p: p["form"]["parameters"].pop(0))
    theirs["description"] = "asks before going on"
    merged = clean(PAGE, ours, theirs)
    assert merged["form"]["parameters"] == [{"display_name": "date", "required": True}]
    assert merged["display_name"] == "Confirm Order" and merged["description"] == "asks before going on"


def test_reorder_on_one_side_is_kept() -> None:
    theirs = edit(PAGE, lambda p: p["transition_routes"].reverse())
    ours = edit(PAGE, lambda p: p["transition_routes"][0].update(target_page="Sure"))
    merged = clean(PAGE, ours, theirs)
    assert [r["target_page"] for r in merged["transition_routes"]] == ["End", "No", "Sure"]


@pytest.mark.parametrize(
    "ours_change, theirs_change",
    [
        (lambda p: p.update(display_name="A"), lambda p: p.update(display_name="B")),
        (
            lambda p: p["transition_routes"].pop(1),
            lambda p: p["transition_routes"][1].update(target_page="X"),
        ),
        (
            lambda p: p["form"]["parameters"][0].update(required=False),
            lambda p: p["form"]["parameters"].pop(0),
        ),
        (
            lambda p: p["transition_routes"].append(route("$n", "N1")),
            lambda p: p["transition_routes"].append(route("$n", "N2")),
        ),
        (
            lambda p: p["entry_fulfillment"]["messages"]["en"][0]["text"]["text"].__setitem__(0, "a"),
            lambda p: p["entry_fulfillment"]["messages"]["en"][0]["text"]["text"].__setitem__(0, "b"),
        ),
    ],
    ids=["scalar", "deleted-vs-changed", "changed-vs-deleted", "same-route-added-differently", "one-message"],
)
def test_conflicts_are_marked_and_each_side_loads_back(ours_change: Any, theirs_change: Any) -> None:
    ours, theirs = edit(PAGE, ours_change), edit(PAGE, theirs_change)
    merged = merge3(PAGE, ours, theirs)
    assert has_conflicts(merged)
    text = render(merged)
    assert text.count(OURS) >= 1 and text.count(MIDDLE) == text.count(OURS) == text.count(THEIRS)
    assert yamlio.load(pick(text, "ours"), "x") == ours
    assert yamlio.load(pick(text, "theirs"), "x") == theirs
    # Only the item is marked, not the whole file.
    assert not (text.startswith(OURS) and text.endswith(THEIRS + "\n"))


def test_conflict_markers_surround_the_smallest_item() -> None:
    ours = edit(PAGE, lambda p: p["event_handlers"][0].update(target_page="A"))
    theirs = edit(PAGE, lambda p: p["event_handlers"][0].update(target_page="B"))
    text = render(merge3(PAGE, ours, theirs))
    assert "<<<<<<< ours\n    target_page: A\n=======\n    target_page: B\n>>>>>>> theirs\n" in text


def test_a_conflict_at_the_top_marks_the_whole_file() -> None:
    text = render(Conflict({"a": 1}, {"a": 2}))
    assert text == "<<<<<<< ours\na: 1\n=======\na: 2\n>>>>>>> theirs\n"
    assert merge3(MISSING, {"a": 1}, {"a": 1}) == {"a": 1}


def test_equal_items_are_told_apart_by_occurrence() -> None:
    base = {"routes": ["a", "a", "b"]}
    merged = clean(base, {"routes": ["a", "a", "b", "c"]}, {"routes": ["a", "a"]})
    assert merged == {"routes": ["a", "a", "c"]}


def test_condition_only_routes_are_routes_by_their_list() -> None:
    base = {
        "transition_routes": [
            {"condition": "$a", "target_flow": "F"},
            {"condition": "$b", "target_flow": "G"},
        ]
    }
    ours = edit(base, lambda p: p["transition_routes"][0].update(target_flow="F2"))
    theirs = edit(base, lambda p: p["transition_routes"][1].update(target_flow="G2"))
    merged = clean(base, ours, theirs)
    assert [r["target_flow"] for r in merged["transition_routes"]] == ["F2", "G2"]


def test_a_marked_file_is_reported_at_its_first_marker() -> None:
    ours = edit(PAGE, lambda p: p["form"]["parameters"][1].update(required=False))
    theirs = edit(PAGE, lambda p: p["form"]["parameters"][1].update(required=True))
    text = render(merge3(PAGE, ours, theirs))
    line = text.split("\n").index(OURS) + 1
    with pytest.raises(ValidationError, match="unresolved merge conflict") as caught:
        yamlio.load(text, "agents/a/p.yaml")
    assert str(caught.value).startswith(f"agents/a/p.yaml:{line}: ")


GOAL = "".join(f"- step {i}: do thing {i} \n" for i in range(8))  # lines ending in a space


@pytest.mark.parametrize("text", [GOAL, GOAL.replace(" \n", "\n")])
def test_multi_line_text_merges_line_by_line(text: str) -> None:
    base = {"display_name": "Sales", "goal": text}
    ours = edit(base, lambda p: p.update(goal=p["goal"].replace("thing 1", "thing one")))
    theirs = edit(base, lambda p: p.update(goal=p["goal"].replace("thing 6", "thing six") + "- last\n"))
    merged = clean(base, ours, theirs)
    assert merged["goal"] == text.replace("thing 1", "thing one").replace("thing 6", "thing six") + "- last\n"


@pytest.mark.parametrize(
    ("ours_edit", "theirs_edit"),
    [
        (("thing 3", "thing three"), ("thing 3", "thing THREE")),  # the same line
        (("thing 3", "thing three"), ("thing 4", "thing four")),  # neighbouring lines
    ],
)
def test_multi_line_text_edited_on_the_same_or_neighbouring_lines_is_one_conflict(
    ours_edit: tuple[str, str], theirs_edit: tuple[str, str]
) -> None:
    base = {"goal": GOAL}
    ours, theirs = {"goal": GOAL.replace(*ours_edit)}, {"goal": GOAL.replace(*theirs_edit)}
    assert merge3(base, ours, theirs) == {"goal": Conflict(ours["goal"], theirs["goal"])}


def test_the_same_insertion_on_both_sides_is_taken_once_and_different_ones_conflict() -> None:
    base = "a\nb\n"
    assert merge3(base, "a\nx\nb\n", "a\nx\nb\n") == "a\nx\nb\n"
    assert merge3(base, "a\nx\nb\n", "a\ny\nb\n") == Conflict("a\nx\nb\n", "a\ny\nb\n")
    assert merge3(base, "a\nb\nc", "z\na\nb\n") == "z\na\nb\nc"


@pytest.mark.parametrize("text", [GOAL, GOAL.replace(" \n", "\n")], ids=["double-quoted", "literal"])
def test_a_conflicting_line_of_a_text_is_marked_alone_and_either_side_keeps_the_other_edits(
    text: str,
) -> None:
    base = {"display_name": "Sales", "goal": text}
    ours = {**base, "goal": text.replace("thing 3", "thing three").replace("thing 0", "thing zero")}
    theirs = {**base, "goal": text.replace("thing 3", "thing THREE").replace("thing 7", "thing seven")}
    merged = merge3(base, ours, theirs)
    both = text.replace("thing 0", "thing zero").replace("thing 7", "thing seven")
    assert merged["goal"] == Conflict(
        both.replace("thing 3", "thing three"), both.replace("thing 3", "thing THREE")
    )
    rendered = render(merged)
    marked = rendered.split(OURS)[1].split(THEIRS)[0].strip("\n").split("\n")
    assert rendered.count(OURS) == 1 and len(marked) == 3, rendered  # one line a side
    assert "thing three" in marked[0] and marked[1] == MIDDLE and "thing THREE" in marked[2]
    assert yamlio.load(pick(rendered, "ours"), "x")["goal"] == both.replace("thing 3", "thing three")
    assert yamlio.load(pick(rendered, "theirs"), "x")["goal"] == both.replace("thing 3", "thing THREE")


def test_a_conflict_widened_to_its_list_still_marks_only_the_lines_that_differ() -> None:
    def page(text: str) -> dict[str, Any]:
        return {"entry_fulfillment": {"messages": {"en": [{"text": {"text": [text]}}]}}}

    base, ours, theirs = page("a\nb\nc\nd\n"), page("a\nB1\nc\nd\n"), page("a\nB2\nc\nD\n")
    rendered = render(merge3(base, ours, theirs))
    assert rendered.count(OURS) == 1
    marked = rendered.split(OURS)[1].split(THEIRS)[0].strip("\n").split("\n")
    assert [line.strip() for line in marked] == ["B1", MIDDLE, "B2"]
    assert yamlio.load(pick(rendered, "ours"), "x") == page("a\nB1\nc\nD\n")
    assert yamlio.load(pick(rendered, "theirs"), "x") == page("a\nB2\nc\nD\n")


def test_a_short_item_of_a_block_list_is_marked_as_an_item_not_the_whole_file() -> None:
    # A list of one short text alone is written in flow style ("[x]"), which is no item of the
    # block list around it: every such conflict used to fall back to marking the whole file.
    synonyms = ["sixty four", "new zealand", "newzealand", "newzealander", "kiwi", "aotearoa", "nz"]
    base = {"display_name": "country", "entities": {"en": [{"value": "64", "synonyms": synonyms}]}}

    def edit(word: str) -> dict[str, Any]:
        out = copy.deepcopy(base)
        out["entities"]["en"][0]["synonyms"][0] = word
        return out

    merged = merge3(base, edit("sixty-four"), edit("64"))
    rendered = render(merged)
    assert not rendered.startswith(OURS)
    assert f"{OURS}\n        - sixty-four\n{MIDDLE}\n        - '64'\n{THEIRS}\n" in rendered
    assert yamlio.load(pick(rendered, "ours"), "x") == resolve(merged, "ours")
    assert yamlio.load(pick(rendered, "theirs"), "x") == resolve(merged, "theirs")
