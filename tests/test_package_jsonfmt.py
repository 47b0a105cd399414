"""Google's JSON style, checked against every real export file, and the float32 helpers."""

from __future__ import annotations

import enum
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxops.package.jsonfmt import JsonSyntaxError, clean_float32, dumps, float32_json, loads

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"real-export corpus not found at {CORPUS} (kept outside the project)"
)

# Proto `float` (float32) fields seen in the corpus; numbers elsewhere are doubles or ints.
FLOAT32_FIELDS = {"classificationThreshold", "temperature", "topP"}


def corpus_json_files() -> list[Path]:
    return sorted(CORPUS.rglob("*.json"))


# --- the acceptance test: every real file, byte for byte ------------------------------------


@needs_corpus
def test_every_corpus_file_round_trips_byte_for_byte() -> None:
    files = corpus_json_files()
    assert len(files) > 4000, f"corpus looks truncated: {len(files)} .json files"
    mismatched = []
    for path in files:
        raw = path.read_bytes()
        if dumps(loads(raw, str(path))).encode("utf-8") != raw:
            mismatched.append(str(path.relative_to(CORPUS)))
    assert mismatched == [], f"{len(mismatched)} of {len(files)} files differ, e.g. {mismatched[:5]}"


# --- layout ----------------------------------------------------------------------------------


def test_objects_indent_two_spaces_with_a_final_newline() -> None:
    assert dumps({"a": 1, "b": {"c": "x"}}) == '{\n  "a": 1,\n  "b": {\n    "c": "x"\n  }\n}\n'


def test_key_order_is_insertion_order() -> None:
    assert dumps({"z": 1, "a": 2}) == '{\n  "z": 1,\n  "a": 2\n}\n'


def test_arrays_open_inline_and_add_no_indentation() -> None:
    obj = {"messages": [{"text": {"text": ["Hi", "Hello"]}}, {"a": 1}]}
    assert dumps(obj) == (
        "{\n"
        '  "messages": [ {\n'
        '    "text": {\n'
        '      "text": [ "Hi", "Hello" ]\n'
        "    }\n"
        "  }, {\n"
        '    "a": 1\n'
        "  } ]\n"
        "}\n"
    )


def test_arrays_of_arrays_as_in_rich_content() -> None:
    obj = {"richContent": [[{"type": "chips"}]]}
    assert dumps(obj) == '{\n  "richContent": [ [ {\n    "type": "chips"\n  } ] ]\n}\n'


def test_scalar_arrays_inside_arrays_and_empty_arrays() -> None:
    assert dumps({"a": [["x", "y"], [], [1]]}) == '{\n  "a": [ [ "x", "y" ], [ ], [ 1 ] ]\n}\n'
    assert dumps({"results": []}) == '{\n  "results": [ ]\n}\n'
    assert dumps([]) == "[ ]\n"


def test_empty_object_has_a_line_of_its_own_indentation() -> None:
    assert dumps({}) == "{\n\n}\n"
    assert dumps({"a": {}}) == '{\n  "a": {\n  \n  }\n}\n'
    assert dumps({"a": {"b": {}}}) == '{\n  "a": {\n    "b": {\n    \n    }\n  }\n}\n'
    assert dumps({"a": [{}, {}]}) == '{\n  "a": [ {\n  \n  }, {\n  \n  } ]\n}\n'


def test_scalars() -> None:
    assert dumps([True, False, None, 0, -7, 1082064558408]) == "[ true, false, null, 0, -7, 1082064558408 ]\n"


def test_int_enum_prints_its_number() -> None:
    class Kind(enum.IntEnum):
        MAP = 1

    assert dumps({"kind": Kind.MAP}) == '{\n  "kind": 1\n}\n'


def test_tuples_are_arrays() -> None:
    assert dumps(("a",)) == '[ "a" ]\n'


@pytest.mark.parametrize("bad", [{1: "x"}, {"a": {1, 2}}, {"a": b"x"}])
def test_unwritable_values_raise_type_error(bad: Any) -> None:
    with pytest.raises(TypeError):
        dumps(bad)


# --- strings -----------------------------------------------------------------------------------


def test_html_characters_are_escaped_lower_case() -> None:
    assert dumps(["<b>a & b</b>"]) == '[ "\\u003cb\\u003ea \\u0026 b\\u003c/b\\u003e" ]\n'


def test_equals_apostrophe_and_slash_stay_raw() -> None:
    assert dumps(["a='b'/c"]) == "[ \"a='b'/c\" ]\n"


def test_non_ascii_is_written_raw() -> None:
    assert dumps(["Apólice नमस्ते 🩷 \u00a0\u200b"]) == '[ "Apólice नमस्ते 🩷 \u00a0\u200b" ]\n'


def test_short_escapes_and_other_control_characters() -> None:
    assert dumps(['"\\\n\r\t\b\f\x01\x1f']) == '[ "\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u001f" ]\n'


def test_line_separators_and_lone_surrogates_are_escaped() -> None:
    assert dumps(["\u2028\u2029"]) == '[ "\\u2028\\u2029" ]\n'
    text = dumps(["a\ud800b"])
    assert text == '[ "a\\ud800b" ]\n'
    text.encode("utf-8")  # writable as UTF-8


def test_keys_are_escaped_like_values() -> None:
    assert dumps({"<k>": 1}) == '{\n  "\\u003ck\\u003e": 1\n}\n'


# --- numbers ---------------------------------------------------------------------------------


def test_floats_print_their_shortest_repr() -> None:
    assert (
        dumps([0.30000001, 0.94999999, 22.5, 25000.5, 0.1])
        == "[ 0.30000001, 0.94999999, 22.5, 25000.5, 0.1 ]\n"
    )


def test_floats_without_fraction_print_as_integers() -> None:
    # The corpus writes a float32 zero as `"temperature": 0` and never `1.0`.
    assert dumps([0.0, 1.0, -2.0, -0.0]) == "[ 0, 1, -2, 0 ]\n"


def test_huge_floats_keep_exponent_form() -> None:
    assert dumps([1e300, 1e-7]) == "[ 1e+300, 1e-07 ]\n"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_refused(bad: float) -> None:
    with pytest.raises(ValueError):
        dumps([bad])


# --- loads -------------------------------------------------------------------------------------


def test_loads_keeps_key_order_and_accepts_bytes() -> None:
    assert list(loads(b'{"z": 1, "a": 2}')) == ["z", "a"]
    assert loads("\ufeff{}".encode()) == {}


def test_loads_reports_line_and_column() -> None:
    with pytest.raises(JsonSyntaxError) as info:
        loads('{\n  "a": 1,\n  "b": }\n', "flows/F/F.json")
    err = info.value
    assert (err.path, err.line, err.column) == ("flows/F/F.json", 3, 8)
    assert isinstance(err, ValueError)
    assert str(err).startswith("flows/F/F.json:3:8: ")


def test_loads_refuses_nan_and_infinity_with_their_position() -> None:
    with pytest.raises(JsonSyntaxError) as info:
        loads('{\n  "s": "NaN",\n  "x": -Infinity\n}')
    assert (info.value.line, info.value.column) == (3, 8)
    assert "Infinity" in info.value.message


def test_loads_reports_bad_utf8() -> None:
    with pytest.raises(JsonSyntaxError) as info:
        loads(b'{\n "a": "\xff"}', "x.json")
    assert (info.value.line, info.value.column) == (2, 8)
    assert "UTF-8" in info.value.message


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_dumps_is_valid_json_for_the_same_value(value: Any) -> None:
    text = dumps(value)
    assert text.endswith("\n")
    assert json.loads(text) == value
    assert loads(text) == value
    # Google's style is a fixed point: what it writes, it reads and writes again unchanged.
    assert dumps(loads(text)) == text


# --- float32 ---------------------------------------------------------------------------------


def corpus_float32_values() -> list[tuple[str, float]]:
    found: list[tuple[str, float]] = []

    def walk(value: Any, key: str | None) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif key in FLOAT32_FIELDS and isinstance(value, (int, float)) and not isinstance(value, bool):
            found.append((key, float(value)))

    for path in corpus_json_files():
        walk(loads(path.read_bytes(), str(path)), None)
    return found


@needs_corpus
def test_float32_helpers_on_every_corpus_value() -> None:
    values = corpus_float32_values()
    assert len(values) > 200
    clean = {}
    for key, printed in values:
        c = clean_float32(printed)
        assert float32_json(c) == printed, (key, printed, c)
        assert float32_json(printed) == printed, (key, printed)
        clean[printed] = c
    assert clean == {
        0.0: 0.0,
        0.1: 0.1,
        0.30000001: 0.3,
        0.40000001: 0.4,
        0.5: 0.5,
        0.60000002: 0.6,
        0.67000002: 0.67,
        0.69999999: 0.7,
        0.94999999: 0.95,
    }


@pytest.mark.parametrize(
    ("clean", "printed"),
    [
        (0.3, 0.30000001),
        (0.95, 0.94999999),
        (0.6, 0.60000002),
        (0.4, 0.40000001),
        (0.7, 0.69999999),
        (0.67, 0.67000002),
        (0.5, 0.5),
        (0.1, 0.1),
        (0.0, 0.0),
        (22.5, 22.5),
        (25000.5, 25000.5),
    ],
)
def test_float32_json_and_its_inverse(clean: float, printed: float) -> None:
    assert float32_json(clean) == printed
    assert clean_float32(printed) == clean
    assert dumps([float32_json(clean)]) == f"[ {repr(printed).removesuffix('.0')} ]\n"


@given(st.integers(min_value=0, max_value=100_000))
def test_clean_float32_undoes_float32_json_for_typed_decimals(thousandths: int) -> None:
    typed = thousandths / 1000
    assert clean_float32(float32_json(typed)) == typed


@given(st.floats(width=32, allow_nan=False, allow_infinity=False))
def test_float32_json_is_a_fixed_point_of_its_inverse(x: float) -> None:
    printed = float32_json(x)
    assert float32_json(clean_float32(printed)) == printed


def test_clean_float32_near_the_float32_maximum() -> None:
    # Shorter decimals of 3.4025e38 round past the float32 maximum; they are skipped, not fatal.
    assert clean_float32(3.4025001647762064e38) == 3.4025002e38
    assert float32_json(clean_float32(3.4028235e38)) == 3.4028235e38


def test_float32_helpers_refuse_what_json_cannot_hold() -> None:
    for bad in (math.nan, math.inf):
        with pytest.raises(ValueError):
            float32_json(bad)
        with pytest.raises(ValueError):
            clean_float32(bad)
    with pytest.raises(ValueError):
        float32_json(1e300)
