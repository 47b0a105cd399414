"""The lint rules and line finding that issue 15 made fast give what the straightforward ones
gave (tests/lint_reference.py): on every corpus agent as imported and with phrases copied
between intents (so that duplicate-phrase has much to say)."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest

from cxops.core.lint import languages, nlu
from cxops.core.lint.index import _ENTITY_REF, Index, strings
from cxops.core.lint.located import find_line
from cxops.model.snapshot import AGENT_KEY, Snapshot
from cxops.package.reader import snapshot_from_package
from cxops.repo import yamlio
from cxops.repo.tree import tree_files
from tests import lint_reference as reference
from tests.corpus import agent_dirs, read_export
from tests.lintfixture import clean, snapshot
from tests.test_lint_lines import SAMPLE, paths

RULES = [
    (nlu.duplicate_phrase, reference.duplicate_phrase),
    (nlu.undefined_annotation, reference.undefined_annotation),
    (languages.missing_translation, reference.missing_translation),
]
VARIANTS = ["{}", "{}!", "  {}  ", "{}?", "¿{}", "{} ", "[{}](p)", "{}\nmore", "\uff26\uff55\uff4c\uff4c {}"]


def copied_phrases(source: Snapshot, seed: int) -> Snapshot:
    """Phrases of earlier intents, changed in case, punctuation, width or annotation, added to
    later ones; some as {phrase, repeat_count} items, in the default language and in ja."""
    rng = random.Random(seed)
    out = Snapshot()
    pool: list[str] = []
    for key, body in source:
        body = copy.deepcopy(body)
        if key.kind == "intent":
            by_lang = body.setdefault("training_phrases", {})
            if isinstance(by_lang, dict):
                for lang in ("en", "ja"):
                    items = by_lang.setdefault(lang, [])
                    if not isinstance(items, list):
                        continue
                    for _ in range(rng.randrange(4) if pool else 0):
                        line = rng.choice(VARIANTS).format(rng.choice(pool))
                        line = line.upper() if rng.random() < 0.3 else line
                        items.append({"phrase": line, "repeat_count": 2} if rng.random() < 0.2 else line)
                    pool.extend(nlu.plain_text(x) for x in items if isinstance(x, str))
        out.add(key, body)
    out.add(AGENT_KEY, {**source.agent, "supported_language_codes": ["ja", "en-gb"]})
    return out


def _same(snap: Snapshot) -> int:
    index = Index(snap)
    found = 0
    for fast, slow in RULES:
        hits = list(fast(index, {}))
        assert hits == list(slow(index, {})), fast.__name__
        found += len(hits)
    # Entity types used anywhere: the index takes lists of texts in one step.
    used = {
        ref
        for key, body in snap
        if key.kind not in ("agent", "test_case")
        for _, text in strings(body)
        for ref in _ENTITY_REF.findall(text)
    }
    assert index.uses.entity_types == used
    return found


@pytest.mark.parametrize("folder", agent_dirs())
def test_the_fast_rules_find_what_the_reference_finds(folder: Path) -> None:
    snap, _ = snapshot_from_package(read_export(folder))
    _same(snap)
    assert _same(copied_phrases(snap, 1)) > 0


def test_the_fixture_agent_with_copied_phrases() -> None:
    assert _same(copied_phrases(snapshot(clean()), 2)) > 0


def test_phrases_fold_alike_one_at_a_time_and_joined() -> None:
    rng = random.Random(15)
    alphabet = [*"[]()\\ aAzZ_1.,?@", "é", "ｱ", "ﬁ", "\u0301", "ß", "İ", "Σ", "ς", "、", "①", "\u3000", "\t"]
    alphabet += ["\n", "ǅ", "ﾞ", "가", "\u1100", "\u1161", "\x1c", "\uff1f"]
    for n in range(20000):
        chars = alphabet if n % 2 else alphabet[:17]
        lines = ["".join(rng.choice(chars) for _ in range(rng.randrange(9))) for _ in range(rng.randrange(5))]
        _, texts, block = nlu.joined_lines(lines)
        assert nlu.folded_lines(texts, block) == [reference.normalise(nlu.plain_text(x)) for x in lines], (
            lines
        )


def _every_path_in_any_order(text: str, seed: int) -> int:
    lines = text.splitlines()
    data = yamlio.load_with_positions(text, "x.yaml")[0]
    every = list(paths(data))
    random.Random(seed).shuffle(every)
    memo: dict[tuple[Any, ...], Any] = {}
    for path in every:
        assert find_line(lines, path, None, memo) == reference.find_line(lines, path), path
    return len(every)


def test_lines_found_with_a_memo_are_the_lines_found_without() -> None:
    for i, path in enumerate(sorted(SAMPLE.rglob("*.yaml"))):
        _every_path_in_any_order(path.read_text(encoding="utf-8"), i)


@pytest.mark.parametrize("folder", agent_dirs()[:4])
def test_lines_found_with_a_memo_in_corpus_trees(folder: Path) -> None:
    snap, _ = snapshot_from_package(read_export(folder))
    for i, data in enumerate(tree_files(snap).values()):
        _every_path_in_any_order(data.decode("utf-8"), i)
