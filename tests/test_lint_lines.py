"""Lint places findings by reading indentation (find_line), not by composing each file: it must
give the line Positions gives, on every key path of real trees and of hand-written YAML."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxops.core.lint.located import find_line
from cxops.repo import yamlio

SAMPLE = Path(__file__).resolve().parents[1] / "agents" / "order-desk"
HAND_WRITTEN = """\
# a comment
display_name: 'odd: name'
"quoted key": 1
list:
  - a: 1
    # between
    b: [1, 2]
  - plain item
  -
    c: 3
block: |
  line one
  b: not a key
nested:
  - - x
after:
  deep:
    deeper: true
"""


def paths(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, (*path, i))


def check(text: str) -> int:
    data, positions = yamlio.load_with_positions(text, "x.yaml")
    lines = text.splitlines()
    known = 0
    for path in paths(data):
        found = find_line(lines, path)
        if found is not None:  # None: the caller asks Positions
            assert found == positions.line(path), path
            known += 1
    return known


def test_every_path_of_the_sample_tree() -> None:
    files = sorted(SAMPLE.rglob("*.yaml"))
    known = sum(check(f.read_text(encoding="utf-8")) for f in files)
    total = sum(len(list(paths(yamlio.load(f.read_text(encoding="utf-8"), "x")))) for f in files)
    assert known == total  # the canonical writer's style is always read without Positions


@pytest.mark.parametrize("text", [HAND_WRITTEN])
def test_hand_written_yaml(text: str) -> None:
    assert check(text) > 10
    lines = text.splitlines()
    assert find_line(lines, ("block",)) == 11
    assert find_line(lines, ("missing",)) is None
    assert find_line(lines, ("list", 5)) is None


def test_multi_line_double_quoted_text_as_the_writer_writes_it() -> None:
    # Lines of text that look like keys and list items, some ending in a space: double-quoted
    # one line per line, the continuation lines indented like a block's.
    tricky = "- step: one \nkey: value \n  - item\n# not a comment \n"
    data = {
        "goal": tricky,
        "after": {"messages": [tricky, {"text": tricky, "next": 1}], "deep": {"x": tricky}},
        "last": "end",
    }
    text = yamlio.dump(data)
    assert "\\n\\\n  key: value \\n\\\n" in text
    total = len(list(paths(data)))
    assert check(text) == total
