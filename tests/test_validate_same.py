"""The fast checks of `cxops validate` (issue 15) find exactly what the straightforward ones
found (tests/validate_reference.py), in the same order, on every corpus agent as imported and
after seeded random damage: wrong types, unknown keys, bad phrase lines, missing references."""

from __future__ import annotations

import copy
import random
import re
from pathlib import Path
from typing import Any

import pytest

from cxops.core.validate import Problem, check_references, check_types
from cxops.errors import ValidationError
from cxops.model.phrases import from_line, is_valid_line
from cxops.model.snapshot import Snapshot
from cxops.package.reader import snapshot_from_package
from tests import validate_reference as reference
from tests.corpus import agent_dirs, read_export

# What damage puts in place of a value.
VALUES: list[Any] = [
    1,
    2.5,
    True,
    None,
    "x",
    [],
    {},
    ["x"],
    [1],
    {"a": 1},
    {"seconds": "5"},
    "nowhere",
    "@nowhere",
    "a [b",
    "c] d",
    "[t](p)",
    "[t](p",
    "ends \\",
    "\\[ok\\]",
    {"phrase": "[t](p)", "repeat_count": 0},
]
KEYS = ["webhok", "type", "intent", "target_page", "target_flow", "entity_type", "generator", 7]


def _places(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) of a body."""
    out: list[tuple[Any, Any]] = []
    stack = [value]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in items:
            out.append((node, k))
            if isinstance(v, (dict, list)):
                stack.append(v)
    return out


def damage(snapshot: Snapshot, seed: int) -> Snapshot:
    rng = random.Random(seed)
    out = Snapshot()
    for key, body in snapshot:
        body = copy.deepcopy(body)
        places = _places(body)
        for _ in range(min(3, len(places))):
            container, k = rng.choice(places)
            if isinstance(container, dict) and rng.random() < 0.3:
                if k in container:
                    container[rng.choice(KEYS)] = container.pop(k)
            elif isinstance(container, dict) and k not in container:
                continue  # renamed by an earlier change
            else:
                container[k] = copy.deepcopy(rng.choice(VALUES))
        out.add(key, body)
    return out


def _as_tree_names(problems: list[Problem]) -> list[tuple[object, ...]]:
    """The reference named keyword fields as the protobuf does (``type_``); the tree, and so
    every message now, says ``type`` (issue 14)."""

    def name(part: str | int) -> str | int:
        return "type" if part == "type_" else part

    return [(p.key, tuple(map(name, p.path)), re.sub(r"\btype_\b", "type", p.message)) for p in problems]


def _same(snapshot: Snapshot) -> int:
    fast = check_types(snapshot) + check_references(snapshot)
    slow = reference.check_types(snapshot) + reference.check_references(snapshot)
    assert [(p.key, p.path, p.message) for p in fast] == _as_tree_names(slow)
    return len(fast)


@pytest.mark.parametrize("folder", agent_dirs())
def test_the_fast_checks_find_what_the_reference_finds(folder: Path) -> None:
    snapshot, _ = snapshot_from_package(read_export(folder))
    _same(snapshot)
    found = sum(_same(damage(snapshot, seed)) for seed in range(3))
    assert found > 0  # the damage was seen, so the comparison compared something


def test_phrase_lines_are_accepted_exactly_where_the_parser_accepts_them() -> None:
    rng = random.Random(15)
    for _ in range(20000):
        line = "".join(rng.choice("ab [](){}\\\n") for _ in range(rng.randrange(12)))
        try:
            from_line(line)
            parses = True
        except ValidationError:
            parses = False
        assert is_valid_line(line) is parses, line
