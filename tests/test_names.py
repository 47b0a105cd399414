"""File names from display names: tree stems (portable, collision-free) and Google's package
encoding, checked against tricky names, properties and the real exports in shared/corpus."""

from __future__ import annotations

import json
import os
import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cxops.errors import ValidationError
from cxops.repo import names
from cxops.repo.names import (
    MAX_FILE_NAME_BYTES,
    MAX_STEM_BYTES,
    fold,
    package_decode,
    package_encode,
    stem_problems,
    tree_stem,
    tree_stems,
)

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

# Stale file names FORMAT.md documents: the resource was renamed in CX and the git push rewrote
# the file in place. (agent folder or "*", path inside the agent)
STALE = {("*", "flows/language_selection_flow/language_selection_flow.json")}

LONG_ASCII = "x" * 300
LONG_JA = "日本語" * 40  # 360 bytes
LONG_EMOJI = "🍕" * 70  # 280 bytes
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # a word with a ZWNJ


def _hash(name: str) -> str:
    return names._suffix(name, 0)


# (display name, expected stem)
TRICKY = [
    ("Order Pizza", "Order Pizza"),
    ("a/b", "a%2fb"),
    ("a\\b", "a%5cb"),
    ('x:y*z?"<>|', "x%3ay%2az%3f%22%3c%3e%7c"),
    ("Order > Pizza", "Order %3e Pizza"),
    ("100%", "100%25"),
    ("a%2fb", "a%252fb"),
    (".", "%2e"),
    ("..", "%2e%2e"),
    ("...", "%2e%2e%2e"),
    (" ", "%20"),
    ("", "_"),
    (" Get prepaid balance", "Get prepaid balance"),
    ("flights.animals_on_board  ", "flights.animals_on_board"),
    ("stucking....", "stucking"),
    ("a . . ", "a"),
    (".hidden", "%2ehidden"),
    (".git", "%2egit"),
    (" .env", "%2eenv"),
    ("日本語の注文", "日本語の注文"),
    ("한국어 인텐트", "한국어 인텐트"),
    ("Apólice", "Apólice"),
    ("Apo\u0301lice", "Apólice"),  # NFD in, NFC out
    ("zażółć gęślą jaźń", "zażółć gęślą jaźń"),
    ("🍕 order", "🍕 order"),
    ("👨\u200d👩\u200d👧 family", "👨\u200d👩\u200d👧 family"),  # ZWJ sequence stays
    (PERSIAN, PERSIAN),  # ZWNJ stays
    ("\u3000全角スペース", "\u3000全角スペース"),
    ("CON", "%43ON"),
    ("con", "%63on"),
    ("con.txt", "%63on.txt"),
    ("Nul .txt", "%4eul .txt"),
    ("CON ", "%43ON"),
    ("aux.tar.gz", "%61ux.tar.gz"),
    ("COM1", "%43OM1"),
    ("lpt9", "%6cpt9"),
    ("COM0", "%43OM0"),
    ("COM¹", "%43OM¹"),
    ("CONIN$", "%43ONIN$"),
    ("CONSOLE", "CONSOLE"),
    ("COM10", "COM10"),
    ("icon", "icon"),
    ("GIT~1", "GIT%7e1"),
    ("Order~2", "Order%7e2"),
    ("Order~2 now", "Order~2 now"),
    ("~\u0300", "%7e%cc%80"),  # the escaped "~" must not take the mark
    ("a\tb", "a%09b"),
    ("\ttabbed\t", "%09tabbed%09"),
    ("line\nbreak", "line%0abreak"),
    ("nul\x00byte", "nul%00byte"),
    ("del\x7f", "del%7f"),
    ("c1\x85", "c1%c2%85"),
    ("para\u2029graph", "para%e2%80%a9graph"),
    ("abc\u202edef", "abc%e2%80%aedef"),  # bidi override would disguise the listing
    ("\ufeffbom", "%ef%bb%bfbom"),
    ("\u0301accent first", "%cc%81accent first"),
    ("a/\u0301", "a%2f%cc%81"),  # a bare mark would combine with the escape's hex digit
]


@pytest.mark.parametrize(("display_name", "expected"), TRICKY)
def test_tricky_names(display_name: str, expected: str) -> None:
    stem = tree_stem(display_name)
    assert stem == expected
    assert stem_problems(stem) == []


@pytest.mark.parametrize("display_name", [LONG_ASCII, LONG_JA, LONG_EMOJI, "é" * 200, "/" * 200])
def test_long_names_are_cut_with_a_hash_of_the_full_name(display_name: str) -> None:
    stem = tree_stem(display_name)
    assert stem_problems(stem) == []
    assert len(stem.encode()) <= MAX_STEM_BYTES
    assert len((stem + ".yaml").encode()) <= MAX_FILE_NAME_BYTES
    assert stem.endswith(_hash(display_name))
    kept = stem.removesuffix(_hash(display_name))
    assert tree_stem(display_name).startswith(kept)
    assert len(kept.encode()) > MAX_STEM_BYTES - 20, "cut no more than needed"
    assert not kept.endswith((".", " "))


def test_long_names_with_a_common_prefix_stay_apart() -> None:
    a, b = LONG_ASCII + "a", LONG_ASCII + "b"
    stems = tree_stems([a, b])
    assert stems[a] != stems[b]
    assert stems[a].startswith("x" * 200)


def test_a_cut_drops_trailing_dots_and_spaces() -> None:
    display_name = "a" + ". " * 200 + "b"
    assert tree_stem(display_name) == "a" + _hash(display_name)


def test_long_escapes_are_not_split() -> None:
    stem = tree_stem("/" * 200)
    body = stem.removesuffix(_hash("/" * 200))
    assert body == "%2f" * (len(body) // 3)


def test_hfs_plus_nfd_length_is_bounded() -> None:
    # U+0390 is 2 bytes of UTF-8 but 3 UTF-16 units once decomposed, as HFS+ stores it.
    display_name = "\u0390" * 100
    stem = tree_stem(display_name)
    assert len(unicodedata.normalize("NFD", stem).encode("utf-16-le")) // 2 <= MAX_STEM_BYTES
    assert stem_problems(stem) == []


def test_case_only_collision_first_by_code_point_keeps_the_plain_stem() -> None:
    stems = tree_stems(["order", "Order", "ORDER"])
    assert stems == {
        "ORDER": "ORDER",
        "Order": "Order" + _hash("Order"),
        "order": "order" + _hash("order"),
    }
    assert list(stems) == ["ORDER", "Order", "order"]


def test_nfc_and_nfd_spellings_collide_and_both_keep_a_file() -> None:
    nfc, nfd = "Apólice", "Apo\u0301lice"
    stems = tree_stems([nfc, nfd])
    assert stems[nfd] == "Apólice"  # "o" sorts before "ó"
    assert stems[nfc] == "Apólice" + _hash(nfc)


def test_windows_case_mapping_collisions() -> None:
    # NTFS upper-cases the dotless i to "I"; casefold alone would keep it apart from "i".
    assert fold("\u0131") == fold("i") == fold("I")
    assert fold("straße") == fold("STRASSE")
    stems = tree_stems(["K\u0131", "ki"])
    assert fold(stems["K\u0131"]) != fold(stems["ki"])


def test_replacements_do_not_collide() -> None:
    stems = tree_stems(["a/b", "a_b", "a%2fb", "a:b"])
    assert stems == {"a%2fb": "a%252fb", "a/b": "a%2fb", "a:b": "a%3ab", "a_b": "a_b"}


def test_trimming_collisions() -> None:
    stems = tree_stems(["x", "x.", " x", "x ", "X"])
    assert stems[" x"] == "x"  # " " sorts first
    assert len({fold(s) for s in stems.values()}) == 5


def test_a_name_that_looks_like_a_suffixed_stem() -> None:
    impostor = "order" + _hash("order")
    stems = tree_stems(["Order", "order", impostor])
    assert stems[impostor] == impostor  # plain stems are claimed first
    assert stems["order"] == "order" + names._suffix("order", 1)
    assert len({fold(s) for s in stems.values()}) == 3


def test_hash_collisions_are_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    real = names._suffix
    monkeypatch.setattr(names, "_suffix", lambda name, attempt: real(name, attempt) if attempt else "~same")
    stems = tree_stems([" a", "A", "a", "a."])
    assert stems == {" a": "a", "A": "A~same", "a": "a" + real("a", 1), "a.": "a" + real("a.", 1)}


def test_duplicates_and_order_do_not_matter() -> None:
    assert tree_stems(["b", "B", "a", "b"]) == tree_stems(["a", "B", "b"])


def test_tree_stem_is_the_uncontested_stem() -> None:
    for display_name, expected in TRICKY:
        assert tree_stems([display_name]) == {display_name: expected}


def test_stem_problems_reports_each_rule() -> None:
    assert stem_problems("") and stem_problems(".") and stem_problems("..")
    assert stem_problems("a/b") and stem_problems("a\tb") and stem_problems("a:b")
    assert stem_problems("a.") and stem_problems("a ") and stem_problems(" a")
    assert stem_problems(".a") and stem_problems("con.txt") and stem_problems("PROGRA~1")
    assert stem_problems("e\u0301") and stem_problems("x" * (MAX_STEM_BYTES + 1))
    assert stem_problems("ok") == []


def test_stems_are_writable(tmp_path: Path) -> None:
    """Write a file and a folder for each tricky name, as the tree will, and read them back."""
    sample = [n for n, _ in TRICKY] + [LONG_ASCII, LONG_JA, LONG_EMOJI, "order", "Order", "ORDER"]
    stems = tree_stems(sample)
    for display_name, stem in stems.items():
        (tmp_path / f"{stem}.yaml").write_text(
            f"display_name: {json.dumps(display_name)}\n", encoding="utf-8"
        )
        (tmp_path / stem).mkdir()
        (tmp_path / stem / "x.yaml").write_text("", encoding="utf-8")
    listed = os.listdir(tmp_path)
    assert len(listed) == 2 * len(stems)
    assert len({fold(n) for n in listed}) == len(listed), "distinct on case-insensitive file systems too"
    for display_name, stem in stems.items():
        text = (tmp_path / f"{stem}.yaml").read_text(encoding="utf-8")
        assert json.loads(text.removeprefix("display_name: ")) == display_name
        assert len(os.fsencode(f"{stem}.yaml")) <= MAX_FILE_NAME_BYTES


# --- properties ----------------------------------------------------------------------------------

TRICKY_CHARS = list(
    'aAbB./\\:*?"<>| %~_-\t\n\x00\x7fCONULPTcomlpt19¹éÉß\u0131İ日本한😀\u0301\u200d\u202e\ufeffΐ'
)
display_names = st.one_of(
    st.text(max_size=24),
    st.text(alphabet=st.sampled_from(TRICKY_CHARS), max_size=12),
    st.sampled_from([n for n, _ in TRICKY]),
    st.builds(
        lambda piece, n, tail: piece * n + tail,
        st.sampled_from(["x", "日", "é", "😀", ". ", "/", "\u0390"]),
        st.integers(40, 300),
        st.text(alphabet=st.sampled_from(TRICKY_CHARS), max_size=3),
    ),
)
sibling_sets = st.lists(display_names, unique=True, max_size=12)


def _portable(stems: dict[str, str]) -> None:
    for stem in stems.values():
        assert stem_problems(stem) == [], stem
        assert len((stem + ".yaml").encode()) <= MAX_FILE_NAME_BYTES
    assert len({fold(s) for s in stems.values()}) == len(stems)


@given(sibling_sets)
@settings(max_examples=300)
def test_stems_are_portable_and_distinct(sibling_names: list[str]) -> None:
    stems = tree_stems(sibling_names)
    assert set(stems) == set(sibling_names)
    _portable(stems)


@given(display_names)
def test_a_lone_name_gets_its_plain_stem(display_name: str) -> None:
    stem = tree_stem(display_name)
    assert stem_problems(stem) == []
    assert tree_stems([display_name]) == {display_name: stem}


@given(sibling_sets, st.randoms(use_true_random=False))
def test_stems_are_deterministic_and_independent_of_order(
    sibling_names: list[str], rnd: random.Random
) -> None:
    shuffled = list(sibling_names)
    rnd.shuffle(shuffled)
    assert tree_stems(sibling_names) == tree_stems(shuffled) == tree_stems(sibling_names)


@given(sibling_sets, display_names)
def test_adding_a_name_that_collides_with_nothing_changes_nothing(sibling_names: list[str], new: str) -> None:
    assume(new not in sibling_names)
    before = tree_stems(sibling_names)
    taken = {fold(s) for s in before.values()} | {fold(tree_stem(n)) for n in sibling_names}
    assume(fold(tree_stem(new)) not in taken)
    after = tree_stems([*sibling_names, new])
    assert after[new] == tree_stem(new)
    assert {n: s for n, s in after.items() if n != new} == before


@given(sibling_sets, display_names)
def test_adding_any_name_only_touches_its_own_collision_group(sibling_names: list[str], new: str) -> None:
    assume(new not in sibling_names)
    before = tree_stems(sibling_names)
    after = tree_stems([*sibling_names, new])
    _portable(after)
    group = fold(tree_stem(new))
    for name, stem in before.items():
        if fold(tree_stem(name)) != group and fold(stem) != fold(after[new]):
            assert after[name] == stem


@given(st.text())
def test_package_round_trip(display_name: str) -> None:
    stem = package_encode(display_name)
    assert package_decode(stem) == display_name
    assert package_decode(_upper_hex(stem)) == display_name
    assert re.fullmatch(r"(?:[A-Za-z0-9 _.-]|%[0-9a-f]{2})*", stem)


def _upper_hex(stem: str) -> str:
    parts = stem.split("%")
    return "%".join([parts[0], *(p[:2].upper() + p[2:] for p in parts[1:])])


# --- package names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("display_name", "stem"),
    [
        ("Default Start Flow", "Default Start Flow"),
        (" GoodToGo", " GoodToGo"),
        ("flights.animals_on_board  ", "flights.animals_on_board  "),
        ("stucking...", "stucking..."),
        ("a-b_c.d", "a-b_c.d"),
        ("/api/availability", "%2fapi%2favailability"),
        ("Apólice", "Ap%c3%b3lice"),
        ("Order > Pizza (1)", "Order %3e Pizza %281%29"),
        ("a+b,c'd?e&f#g`h*i@j:k", "a%2bb%2cc%27d%3fe%26f%23g%60h%2ai%40j%3ak"),
        ("tab\there", "tab%09here"),
        ("100%", "100%25"),
        ("~", "%7e"),
        ("日本", "%e6%97%a5%e6%9c%ac"),
        ("😀", "%f0%9f%98%80"),
    ],
)
def test_package_encode(display_name: str, stem: str) -> None:
    assert package_encode(display_name) == stem
    assert package_decode(stem) == display_name


def test_package_decode_accepts_upper_case_hex_and_raw_characters() -> None:
    assert package_decode("Ap%C3%B3lice") == "Apólice"
    assert package_decode("Apólice") == "Apólice"


@pytest.mark.parametrize("stem", ["100%", "a%2", "a%zz", "a%%41", "%e6%97", "%ff", "%\uff11\uff12"])
def test_package_decode_refuses_malformed_names(stem: str) -> None:
    with pytest.raises(ValidationError, match="not a percent-encoded display name"):
        package_decode(stem)


def test_package_encode_refuses_lone_surrogates() -> None:
    with pytest.raises(ValidationError, match="not valid Unicode"):
        package_encode("a\ud800")


# --- the real exports ----------------------------------------------------------------------------

RESOURCE_FOLDERS = ("flows", "intents", "entityTypes", "generators", "playbooks", "tools")


@pytest.fixture(scope="module")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} not found: the real exports are kept next to the project, in ../shared/corpus")
    return CORPUS


def _resource_files(corpus: Path) -> Iterator[tuple[Path, tuple[str, ...]]]:
    """Every file whose stem is an encoded display name, with its path inside the agent."""
    for agent in sorted(p for p in corpus.iterdir() if p.is_dir()):
        for path in sorted(agent.rglob("*.json")):
            rel = path.relative_to(agent).parts
            named = (
                (len(rel) == 3 and rel[0] in RESOURCE_FOLDERS and rel[2] == f"{rel[1]}.json")
                or (len(rel) == 4 and rel[0] == "flows" and rel[2] in ("pages", "transitionRouteGroups"))
                or (len(rel) == 4 and rel[0] == "playbooks" and rel[2] == "examples")
                or (len(rel) == 2 and rel[0] in ("webhooks", "testCases", "agentTransitionRouteGroups"))
                or (len(rel) == 3 and rel[:2] == ("testCases", "v2"))
            )
            if named:
                yield path, rel


def _stale(path: Path, rel: tuple[str, ...]) -> bool:
    where = "/".join(rel)
    return ("*", where) in STALE or (path.parents[len(rel) - 1].name, where) in STALE


def test_package_names_match_the_corpus(corpus: Path) -> None:
    checked, mismatches = 0, []
    for path, rel in _resource_files(corpus):
        display_name = json.loads(path.read_text(encoding="utf-8"))["displayName"]
        checked += 1
        wrong = package_encode(display_name) != path.stem or package_decode(path.stem) != display_name
        if wrong and not _stale(path, rel):
            mismatches.append((str(path.relative_to(corpus)), display_name))
    assert checked > 2500, f"only {checked} resource files found under {corpus}"
    assert mismatches == []


def test_corpus_names_need_escapes_and_keep_spaces(corpus: Path) -> None:
    stems = [path.stem for path, _ in _resource_files(corpus)]
    assert any(s != s.strip(" ") for s in stems), "leading/trailing spaces are kept"
    assert any("%e" in s for s in stems), "non-ASCII is encoded"
    assert all(package_encode(package_decode(s)) == s for s in stems)


def test_tree_stems_for_every_corpus_folder(corpus: Path) -> None:
    siblings: dict[Path, list[str]] = defaultdict(list)
    for path, rel in _resource_files(corpus):
        folder = path.parent.parent if len(rel) == 3 and rel[0] in RESOURCE_FOLDERS else path.parent
        siblings[folder].append(json.loads(path.read_text(encoding="utf-8"))["displayName"])
    assert len(siblings) > 50
    for group in siblings.values():
        stems = tree_stems(group)
        _portable(stems)
        for display_name, stem in stems.items():
            # Names that need no escape stay exactly as they are.
            plain = display_name.strip(" .") == display_name and package_encode(display_name) == display_name
            if plain:
                assert stem == display_name
        assert stems == {n: tree_stem(n) for n in group}, "the corpus has no collisions"
