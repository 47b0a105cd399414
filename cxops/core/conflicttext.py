"""A merged resource as canonical YAML text, conflicts written with git's markers.

Each conflict is written where its item sits: a list item (``- …``) or a ``key: value`` line,
with ours between ``<<<<<<< ours`` and ``=======`` and theirs before ``>>>>>>> theirs``. Where
the emitter puts a conflicted value on a line shared with other text (an item of a flow list
``[a, b]``, the first key of a list item ``- key: …``), the conflict is widened to the enclosing
item until it has lines of its own; at the top it becomes the whole file. When both sides are
values of one type (two texts, two lists), only the lines that differ are marked, as git marks
a file.

The text is checked before it is returned: keeping every ours block must load to the merge
with ours taken at each conflict, and the same for theirs. If not, the whole file is one
conflict, which always holds.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable
from typing import Any

from cxops.core.merge import MISSING, Conflict, Side, resolve
from cxops.errors import ValidationError
from cxops.repo import yamlio

OURS, MIDDLE, THEIRS = "<<<<<<< ours", "=======", ">>>>>>> theirs"
_TOKEN = "cxops-merge-conflict-{}-4f1c9a"
_TOKEN_FOUND = re.compile(_TOKEN.format(r"\d+"))

Path = tuple[str | int, ...]


def render(merged: Any) -> str:
    """``merged`` (from :func:`cxops.core.merge.merge3`) as text; markers where it conflicts."""
    tree = merged
    while True:
        text, widen = _attempt(tree)
        if not widen:
            break
        tree = _widen_all(tree, widen)
    if _holds(text, tree):
        return text
    return _whole(resolve(tree, "ours"), resolve(tree, "theirs"))


def _attempt(tree: Any) -> tuple[str, list[Path]]:
    """The text, or the paths of the conflicts that have no lines of their own (all of them,
    so that thousands of such conflicts are widened in one more pass, not one pass each)."""
    if isinstance(tree, Conflict):
        return _whole(tree.ours, tree.theirs), []
    found: dict[str, tuple[Path, Conflict]] = {}
    text = yamlio.dump(_tokens(tree, (), found))
    lines = text.split("\n")
    # One pass over the lines, not one a conflict: a long list can hold thousands.
    where: dict[str, int] = {}
    for i, line in enumerate(lines):
        for m in _TOKEN_FOUND.finditer(line):
            where.setdefault(m.group(), i)
    unplaced: list[Path] = []
    for token, (path, conflict) in found.items():
        at = where[token]
        line = lines[at]
        item = re.fullmatch(r"( *)- " + re.escape(token), line)
        keyed = re.fullmatch(r"( *)([^ -].*|-[^ ].*): " + re.escape(token), line)
        if item and isinstance(path[-1], int):
            lines[at] = _block(conflict, item.group(1), _item_lines)
        elif keyed and isinstance(path[-1], str):
            lines[at] = _block(conflict, keyed.group(1), functools.partial(_keyed_lines, path[-1]))
        else:
            unplaced.append(path)
    return ("", unplaced) if unplaced else ("\n".join(lines), [])


def _lines(value: Any) -> list[str]:
    return yamlio.dump(value).rstrip("\n").split("\n")


def _keyed_lines(key: str, value: Any) -> list[str]:
    return _lines({key: value})


def _item_lines(value: Any) -> list[str]:
    """``value`` as one item of a block list (``- …``): the list it sits in is in block style.
    A list of one short scalar alone would be written in flow style (``[value]``)."""
    lines = _lines([value])
    if not lines[0].startswith("["):
        return lines
    first, *rest = _lines(value)
    return ["- " + first, *("  " + line for line in rest)]


def _block(conflict: Conflict, indent: str, render_side: Callable[[Any], list[str]]) -> str:
    def side(value: Any) -> list[str]:
        if value is MISSING:
            return []
        return [indent + line for line in render_side(value)]

    ours, theirs = side(conflict.ours), side(conflict.theirs)
    if conflict.ours is not MISSING and type(conflict.ours) is type(conflict.theirs):
        return "\n".join(_narrowed(ours, theirs))
    return "\n".join([OURS, *ours, MIDDLE, *theirs, THEIRS])


def _narrowed(ours: list[str], theirs: list[str]) -> list[str]:
    """Both sides' renderings of one conflicted value, markers only around the lines that
    differ (as git marks a file): the lines both have stay outside, so keeping one side's
    blocks still gives exactly that side's rendering."""
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
    for tag, o1, o2, t1, t2 in matcher.get_opcodes():
        if tag == "equal":
            out += ours[o1:o2]
        else:
            out += [OURS, *ours[o1:o2], MIDDLE, *theirs[t1:t2], THEIRS]
    return out


def _tokens(value: Any, path: Path, found: dict[str, tuple[Path, Conflict]]) -> Any:
    if isinstance(value, Conflict):
        token = _TOKEN.format(len(found))
        found[token] = (path, value)
        return token
    if isinstance(value, dict):
        return {k: _tokens(v, (*path, k), found) for k, v in value.items()}
    if isinstance(value, list):
        return [_tokens(v, (*path, i), found) for i, v in enumerate(value)]
    return value


def _widen_all(tree: Any, paths: list[Path]) -> Any:
    """``tree`` with the container of each of ``paths`` made one conflict, outermost first
    (a container inside one already widened is gone)."""
    done: set[Path] = set()
    for path in sorted(paths, key=len):
        if any(path[:n] in done for n in range(len(path))):
            continue
        tree = _widen(tree, path)
        done.add(path[:-1])
    return tree


def _widen(tree: Any, path: Path) -> Any:
    """``tree`` with the container holding ``path`` made one conflict."""
    if len(path) == 1:
        return Conflict(resolve(tree, "ours"), resolve(tree, "theirs"))
    parent = tree
    for step in path[:-2]:
        parent = parent[step]
    holder = parent[path[-2]]
    parent[path[-2]] = Conflict(resolve(holder, "ours"), resolve(holder, "theirs"))
    return tree


def _whole(ours: Any, theirs: Any) -> str:
    def side(value: Any) -> list[str]:
        return [] if value is MISSING else yamlio.dump(value).rstrip("\n").split("\n")

    return "\n".join([OURS, *side(ours), MIDDLE, *side(theirs), THEIRS]) + "\n"


def pick(text: str, side: Side) -> str:
    """The text with every conflict resolved to ``side``'s block."""
    out: list[str] = []
    state = None
    for line in text.split("\n"):
        if line == OURS:
            state = "ours"
        elif line == MIDDLE and state == "ours":
            state = "theirs"
        elif line == THEIRS and state == "theirs":
            state = None
        elif state is None or state == side:
            out.append(line)
    return "\n".join(out)


def _holds(text: str, tree: Any) -> bool:
    """Whether each side's blocks load to exactly that side's merge."""
    sides: tuple[Side, Side] = ("ours", "theirs")
    for side in sides:
        want = resolve(tree, side)
        try:
            got = yamlio.load(pick(text, side), "merge")
        except ValidationError:
            return False
        if got != (None if want is MISSING else want):
            return False
    return True
