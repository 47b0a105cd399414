"""cxops.repo.yamlio: canonical writer, strict reader, key positions."""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxops.errors import Location, ValidationError
from cxops.repo import yamlload
from cxops.repo.yamlio import dump, format_path, load, load_with_positions

LOADERS = [yaml.SafeLoader] + ([yaml.CSafeLoader] if yaml.__with_libyaml__ else [])


@contextmanager
def using(loader: type[Any]) -> Iterator[None]:
    with mock.patch.object(yamlload, "_LOADER", loader):
        yield


# Characters that YAML treats specially somewhere, plus non-ASCII and invisible ones.
TRICKY = (
    " \n\t\r-:#'\"\\|>!&*?,[]{}%@`~=<.0123456789eExXoObB+_yYnN"
    "\x00\x07\x1b\x7f\x85\xa0\u2028\u2029\ufeff\u202e\u200b日本語😀\U0010ffff\ufffd"
)
EDGE_STRINGS = [
    "",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\t",
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "n",
    "null",
    "Null",
    "~",
    "true",
    "False",
    "1",
    "-1",
    "+1",
    "1.0",
    "1e3",
    "1E-3",
    ".5",
    "0x1F",
    "0o17",
    "0b101",
    "017",
    "1_000",
    "12:30",
    "12:30:45",
    "2024-01-01",
    "2024-01-01T10:00:00Z",
    ".inf",
    "-.inf",
    ".nan",
    "=",
    "<<",
    "-",
    "--",
    "---",
    "...",
    "- a",
    "? a",
    ": a",
    "a: b",
    "a:",
    "a #b",
    "#a",
    "@a",
    "`a",
    "%a",
    "!a",
    "&a",
    "*a",
    "|",
    ">",
    "'a'",
    '"a"',
    "[a]",
    "{a: b}",
    "a, b",
    " a",
    "a ",
    "a\n",
    "a\n\n",
    "\na",
    " a\nb",
    "\ta\nb",
    "a\nb ",
    "a \nb",
    "a\tb\nc",
    "a\r\nb",
    "a\u2028b",
    "a\x85b",
    "\ufeffa",
    "😀",
    "日本語\n改行",
    "\u202eevil",
    "a\n\n\n",
    "\n\na\n\n",
]


def texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=20),
        st.text(alphabet=TRICKY, max_size=12),
        st.sampled_from(EDGE_STRINGS),
        st.builds(lambda a, b: a + "\n" + b, st.text(alphabet=TRICKY, max_size=8), st.text(max_size=8)),
    )


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    texts(),
)
plain_data = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(texts(), children, max_size=5),
    ),
    max_leaves=25,
)


# --- round trip ---------------------------------------------------------------------------------


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=plain_data)
def test_round_trip_is_exact_and_stable(loader: type[Any], data: Any) -> None:
    text = dump(data)
    with using(loader):
        back = load(text, "x.yaml")
    assert back == data
    assert dump(back) == text
    assert text.endswith("\n")
    # Any YAML reader built on PyYAML reads the same data, not only ours.
    assert yaml.load(text, Loader=loader) == data


@settings(max_examples=1500, deadline=None)
@given(text=texts())
def test_every_string_round_trips_in_every_position(text: str) -> None:
    # Keys, values, list items (flow and block), nested and at the root each quote differently.
    for data in (text, [text], [text, "x"], [[text]], {text: text}, {"k": [{text: [text]}]}, {"k": text}):
        for loader in LOADERS:
            with using(loader):
                assert load(dump(data), "x.yaml") == data, (data, dump(data))


@pytest.mark.parametrize("text", EDGE_STRINGS)
def test_text_read_as_another_type_is_quoted(text: str) -> None:
    written = dump({"k": text})
    assert load(written, "x.yaml") == {"k": text}
    if text.strip() and "\n" not in text:
        try:
            naive = yaml.safe_load(f"k: {text}")
        except yaml.YAMLError:
            naive = None
        if naive != {"k": text}:
            assert written != f"k: {text}\n"


@pytest.mark.parametrize("text", ["1e3", "0o17", "y", "N", "-1", ".5", "1_000", "Off"])
def test_text_other_yaml_readers_would_take_as_numbers_or_booleans_is_quoted(text: str) -> None:
    assert dump({"k": text}) == f"k: '{text}'\n"


def test_nan_and_infinities() -> None:
    assert dump([math.inf, -math.inf]) == "[.inf, -.inf]\n"
    [nan] = load(dump([math.nan]), "x.yaml")
    assert math.isnan(nan)


# --- format -------------------------------------------------------------------------------------


def test_canonical_format() -> None:
    data = {
        "display_name": "Order pizza 🍕",
        "priority": 500000,
        "is_fallback": False,
        "threshold": 0.1 + 0.2,
        "confidence": 0.3,
        "languages": ["en", "ja"],
        "training_phrases": {
            "en": ["I want a [large](size) pizza", "yes"],
            "ja": ["ピザを注文したい"],
        },
        "messages": [{"text": ["Hello!\nHow can I help?\n"]}, {"text": ["one line"]}],
        "code": "  indented first line\nsecond",
        "kept": "two trailing\n\n",
        "stripped": "no trailing\nnewline",
        "empty": {},
        "none": None,
        "description": "",
        "notes": "a line with: a colon and a # hash",
        "z_not_sorted": 1,
        "a_not_sorted": 2,
    }
    assert dump(data) == (
        "display_name: Order pizza 🍕\n"
        "priority: 500000\n"
        "is_fallback: false\n"
        "threshold: 0.30000000000000004\n"
        "confidence: 0.3\n"
        "languages: [en, ja]\n"
        "training_phrases:\n"
        "  en: ['I want a [large](size) pizza', 'yes']\n"
        "  ja: [ピザを注文したい]\n"
        "messages:\n"
        "  - text:\n"
        "      - |\n"
        "        Hello!\n"
        "        How can I help?\n"
        "  - text: [one line]\n"
        "code: |2-\n"
        "    indented first line\n"
        "  second\n"
        "kept: |+\n"
        "  two trailing\n"
        "\n"
        "stripped: |-\n"
        "  no trailing\n"
        "  newline\n"
        "empty: {}\n"
        "none: null\n"
        "description: ''\n"
        "notes: 'a line with: a colon and a # hash'\n"
        "z_not_sorted: 1\n"
        "a_not_sorted: 2\n"
    )
    assert load(dump(data), "x.yaml") == data


def test_long_text_is_never_folded() -> None:
    long = " ".join(["word"] * 200)
    assert dump({"k": long}) == f"k: {long}\n"
    assert dump({"k": long + "\t"}).count("\n") == 1


def test_unicode_stays_readable_and_invisible_characters_are_escaped() -> None:
    assert dump(["日本語", "😀 ok", "Ünïcödé"]) == "[日本語, 😀 ok, Ünïcödé]\n"
    assert dump("a\u202eb") == '"a\\u202Eb"\n'
    assert dump("a\ufeffb") == '"a\\uFEFFb"\n'
    assert dump("tab\there") == '"tab\\there"\n'
    assert dump("nul\x00") == '"nul\\0"\n'
    assert dump("😀\t") == '"😀\\t"\n'


def test_multi_line_text_falls_back_to_double_quotes_where_a_block_would_not_be_exact() -> None:
    # One line of text per line still: each ends in an escaped line break, which YAML drops
    # with the next line's indentation; a leading space is escaped so that it is kept.
    assert dump({"k": "trailing space \nx"}) == 'k: "trailing space \\n\\\n  x"\n'
    assert dump({"k": "crlf\r\nx"}) == 'k: "crlf\\r\\n\\\n  x"\n'
    assert dump({"k": "ls\u2028x\ny"}) == 'k: "ls\\Lx\\n\\\n  y"\n'
    assert dump({"k": "a \n  b\n"}) == 'k: "a \\n\\\n  \\  b\\n"\n'
    assert dump(["x \ny"]) == '- "x \\n\\\n  y"\n'
    assert dump({"k": "\n\n"}) == 'k: "\\n\\n"\n'
    assert dump({"k": "one line \n"}) == 'k: "one line \\n"\n'
    assert dump({"k": "tab\tinside\nok"}) == "k: |-\n  tab\tinside\n  ok\n"
    assert dump({"k": "\tfirst\nline"}) == "k: |2-\n  \tfirst\n  line\n"


@pytest.mark.parametrize(
    "text",
    [
        "a \nb",
        "a \n\nb\n",
        " lead \n  two\n\tthree \n",
        "x\r\ny\r\n",
        "end \n",
        "é \n😀\u202e \nz  ",
        "a\n\n\n ",
    ],
)
def test_quoted_multi_line_text_reads_back_exactly(text: str) -> None:
    for data in ({"k": text}, [text], {"a": {"b": [{"c": text}]}}, text):
        written = dump(data)
        assert not any(line.endswith((" ", "\t")) for line in written.splitlines())
        for loader in LOADERS:
            with using(loader):
                assert load(written, "x.yaml") == data, written


def test_a_word_changed_in_long_multi_line_text_changes_one_line_of_the_file() -> None:
    """What git merges line by line: a long playbook goal whose lines end in spaces."""
    goal = "".join(f"- step {i}: do the thing number {i} \n" for i in range(40))
    before, after = dump({"goal": goal}), dump({"goal": goal.replace("number 17 ", "nummer 17 ")})
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert len(before.splitlines()) == 40
    assert changed == [
        ("  - step 17: do the thing number 17 \\n\\", "  - step 17: do the thing nummer 17 \\n\\")
    ]


def test_flow_lists_only_when_short_and_single_line() -> None:
    assert dump({"k": ["a", "b"]}) == "k: [a, b]\n"
    assert dump({"k": ["a: b", "c,d", "[x]", "C#"]}) == "k: ['a: b', 'c,d', '[x]', 'C#']\n"
    many = [f"item{i}" for i in range(12)]
    assert dump({"k": many}) == "k:\n" + "".join(f"  - {m}\n" for m in many)
    assert dump({"k": ["a\nb", "c"]}) == "k:\n  - |-\n    a\n    b\n  - c\n"
    assert dump({"k": [{"a": 1}]}) == "k:\n  - a: 1\n"
    assert dump({"k": [[1, 2], [[3]]]}) == "k:\n  - [1, 2]\n  - - [3]\n"


def test_long_keys_use_the_explicit_form() -> None:
    key = "k" * 200
    data = {key: {"a": [1, "x\ny"]}, "short": key}
    text = dump(data)
    assert text.startswith(f"? {key}\n:\n  a:\n")
    for loader in LOADERS:
        with using(loader):
            assert load(text, "x.yaml") == data


def test_root_scalars_and_empty_collections() -> None:
    assert dump(None) == "null\n"
    assert dump({}) == "{}\n"
    assert dump([]) == "[]\n"
    assert dump("---\n...") == "|-\n  ---\n  ...\n"
    assert dump((1, 2)) == "[1, 2]\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"a": [1, {"b": b"raw"}]}, "cannot write bytes b'raw': cxops files hold plain data only at a[1].b"),
        ({"when": datetime.date(2024, 1, 1)}, "cannot write date"),
        ({"a": {1: "x"}}, "a mapping key must be text, not int 1 at a"),
        (["\ud800"], "lone surrogate U+D800, which no YAML file can hold at [0]"),
    ],
)
def test_dump_refuses_what_is_not_plain_data(data: Any, message: str) -> None:
    with pytest.raises(TypeError, match=re.escape(message)):
        dump(data)


def test_text_that_looks_like_a_merge_conflict_marker_is_quoted() -> None:
    data = {"======= a": "<<<<<<< b", "c": ["======="], "d": "x\n>>>>>>> e"}
    assert load(dump(data), "f.yaml") == data


def test_dump_refuses_data_that_holds_itself() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(TypeError, match="holding itself"):
        dump({"a": loop})


# --- reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: b: c\n", "f.yaml:1: invalid YAML: mapping values are not allowed"),
        ("a: 1\nb: [x\n", "f.yaml:3: invalid YAML:"),
        ("a: 1\n---\nb: 2\n", "f.yaml:2: invalid YAML: but found another document"),
        ("a: 1\nb:\n  c: 1\n  c: 2\n", "f.yaml:4: b.c: duplicate key (first at line 3)"),
        ("a:\n  - x: 1\n    x: 2\n", "f.yaml:3: a[0].x: duplicate key (first at line 2)"),
        ("a: &x [1]\nb: *x\n", "f.yaml:2: b: aliases (*name) are not supported"),
        ("a: !Ref x\n", "f.yaml:1: a: custom tag !Ref is not supported: cxops files hold plain data"),
        ("a: !!binary aGk=\n", "f.yaml:1: a: tag !!binary is not supported"),
        ("a: !!set {x}\n", "f.yaml:1: a: tag !!set is not supported"),
        ("a:\n  when: 2024-01-01\n", "f.yaml:2: a.when: unquoted date or time '2024-01-01': quote it"),
        ("a: =\n", "f.yaml:1: a: '=' has a special meaning in YAML: quote it"),
        ("1: x\n", "f.yaml:1: key '1' is read as int, not text: quote it"),
        ("a:\n  yes: x\n", "f.yaml:2: a: key 'yes' is read as bool, not text: quote it"),
        ("a:\n  [x]: y\n", "f.yaml:2: a: a key must be text, not a list or a mapping"),
        ("a: 1\n<<: {b: 2}\n", "f.yaml:2: merge keys (<<) are not supported"),
        ("a: [1, &x [2], *x]\n", "f.yaml:1: a[2]: aliases (*name) are not supported"),
        ("&k a: 1\n*k : 2\n", "f.yaml:1: aliases (*name) are not supported"),
        ("a: !!int x1\n", "f.yaml:1: a: 'x1' is not a valid int"),
        ("a: 1\nb: 'x\x01'\n", "f.yaml:2: character U+0001 is not allowed in a YAML file"),
        ("a: 1\n<<<<<<< HEAD\nb: 2\n=======\nb: 3\n>>>>>>> topic\n", "f.yaml:2: unresolved merge conflict"),
        # The markers alone would parse: as text, or as a key whose value is empty.
        ("a: 1\n=======\n", "f.yaml:2: unresolved merge conflict"),
        ("a: |\n  x\n>>>>>>> topic\n", "f.yaml:3: unresolved merge conflict"),
    ],
)
def test_load_errors_name_file_line_and_key(loader: type[Any], text: str, expected: str) -> None:
    with using(loader), pytest.raises(ValidationError) as caught:
        load(text, "f.yaml")
    message = str(caught.value)
    head, _, tail = expected.partition("invalid YAML:")
    assert message.startswith(head), message
    if tail:
        assert tail.strip() in message, message


def test_alias_bomb_is_refused_quickly() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    with pytest.raises(ValidationError, match="aliases"):
        load(bomb, "f.yaml")


def test_load_plain_data() -> None:
    assert load("", "f.yaml") is None
    assert load("# only a comment\n", "f.yaml") is None
    assert load("a: !!str 1\nb: 0x1F\nc: 1_000\nd: ~\ne: .inf\n", "f.yaml") == {
        "a": "1",
        "b": 31,
        "c": 1000,
        "d": None,
        "e": math.inf,
    }


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ValidationError, match=r"f\.yaml"):
        load("[" * 5000 + "]" * 5000, "f.yaml")


def test_errors_are_validation_errors_with_a_location() -> None:
    with pytest.raises(ValidationError) as caught:
        load("a: 1\na: 2\n", "agents/pizza/intents/x.yaml")
    assert caught.value.location == Location("agents/pizza/intents/x.yaml", 2, "a")
    assert str(caught.value) == "agents/pizza/intents/x.yaml:2: a: duplicate key (first at line 1)"


# --- positions ----------------------------------------------------------------------------------

PAGE = """\
display_name: Confirm
entry_fulfillment:
  messages:
    - text: [Hi]
transition_routes:
  - intent: yes
    target_page: END_SESSION
  - condition: $session.params.ok = true
    target_page: Done
  - intent: no
    target_page: Start
    trigger_fulfillment:
      messages:
        - text: |
            multi
            line
"""


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
def test_positions_give_the_line_of_a_key_path(loader: type[Any]) -> None:
    with using(loader):
        data, positions = load_with_positions(PAGE, "p.yaml")
    assert data == load(PAGE, "p.yaml")
    assert positions.line(()) == 1
    assert positions.line(("display_name",)) == 1
    assert positions.line(("transition_routes",)) == 5
    assert positions.line(("transition_routes", 0)) == 6
    assert positions.line(("transition_routes", 2, "target_page")) == 11
    assert positions.line(("transition_routes", 2, "trigger_fulfillment", "messages", 0, "text")) == 14
    assert positions.line(("entry_fulfillment", "messages", 0, "text", 0)) == 4
    # Absent paths give the nearest known ancestor.
    assert positions.line(("transition_routes", 1, "missing", "deeper")) == 8
    assert positions.line(("transition_routes", 9)) == 5
    assert positions.line(("transition_routes", "not-an-index")) == 5
    assert positions.line(("nope",)) == 1
    location = positions.location(("transition_routes", 2, "target_page"))
    assert str(location) == "p.yaml:11: transition_routes[2].target_page"


def test_positions_of_an_empty_file() -> None:
    data, positions = load_with_positions("", "e.yaml")
    assert data is None
    assert positions.line(("a",)) is None
    assert str(positions.location(())) == "e.yaml"


def test_format_path() -> None:
    assert format_path(()) == ""
    assert format_path(("a", 0, "b")) == "a[0].b"
    assert format_path((0, "x")) == "[0].x"
    assert format_path(("overrides", "webhooks/orders-api", "generic_web_service.uri")) == (
        'overrides.webhooks/orders-api["generic_web_service.uri"]'
    )
    assert format_path(("日本語", "a b")) == '日本語["a b"]'


# --- speed --------------------------------------------------------------------------------------
