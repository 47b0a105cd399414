"""Lint rules and line finding as they were before issue 15 made them fast (cxops/core/lint at
4932c42): each phrase folded on its own, every mapping walked, every finding's line searched
from the top of its file. Kept as the reference the fast ones must agree with
(tests/test_lint_same.py); not used by cxops."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Sequence

from cxops.core.lint.index import Index
from cxops.core.lint.languages import _covered
from cxops.core.lint.nlu import NEGATIVE, _lines, plain_text
from cxops.core.lint.registry import Hit, Params
from cxops.model.snapshot import Key, walk

_ANNOTATION = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(([^()\s]+)\)")
_NOT_WORD = re.compile(r"[^\w]+")
_LANGUAGE_FIELDS = frozenset({"messages", "training_phrases", "entities", "conditional_cases", "prompt_text"})

_ASCII_FOLD = {
    i: (chr(i).lower() if chr(i).isalnum() or chr(i) == "_" else " ")
    for i in range(128)
    if chr(i) != chr(i).lower() or not (chr(i).isalnum() or chr(i) == "_")
}


def normalise(text: str) -> str:
    """Case, width, punctuation and spacing folded: what NLU matching does not tell apart."""
    if text.isascii():
        return " ".join(text.translate(_ASCII_FOLD).split())
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NOT_WORD.sub(" ", folded).strip()


def duplicate_phrase(index: Index, params: Params) -> Iterator[Hit]:
    seen: dict[tuple[str, str], Key] = {}
    folded: dict[str, str] = {}  # the same line often recurs: fold it once
    for key, body in index.of_kind("intent"):
        if key.name == NEGATIVE:
            continue  # its phrases are meant to be near real ones
        # One finding per other intent and language, at the first shared phrase: a copied
        # intent shares dozens, and one line per phrase buries everything else.
        shared: dict[tuple[Key, str], list[tuple[int, str]]] = {}
        for lang, i, line in _lines(body):
            text = folded.get(line)
            if text is None:
                text = folded[line] = normalise(plain_text(line))
            if not text:
                continue
            first = seen.setdefault((lang, text), key)
            if first is not key and first != key:
                shared.setdefault((first, lang), []).append((i, text))
        for (first, lang), phrases_ in shared.items():
            i, text = phrases_[0]
            more = f" (and {len(phrases_) - 1} more)" if len(phrases_) > 1 else ""
            yield Hit(
                key,
                ("training_phrases", lang, i),
                f"training phrase {text!r}{more} ({lang}) is also a phrase of intent {first.name!r}",
            )


def undefined_annotation(index: Index, params: Params) -> Iterator[Hit]:
    for key, body in index.of_kind("intent"):
        defined = {p.get("id") for p in body.get("parameters") or [] if isinstance(p, dict)}
        for lang, i, line in _lines(body):
            if "[" not in line:
                continue
            for _, param in _ANNOTATION.findall(line):
                if param not in defined:
                    yield Hit(
                        key,
                        ("training_phrases", lang, i),
                        f"training phrase annotates parameter {param!r}, which intent {key.name!r} does not define",
                    )
                    break


def missing_translation(index: Index, params: Params) -> Iterator[Hit]:
    default, others = index.default_language, index.languages[1:]
    if not others:
        return
    for key, body in index.resources:
        if key.kind in ("agent", "test_case", "generative_settings"):
            continue
        missing: dict[str, None] = {}
        first: tuple[str | int, ...] | None = None
        for path, obj in walk(body):
            if _LANGUAGE_FIELDS.isdisjoint(obj):  # most mappings: one set operation in C
                continue
            for name, value in obj.items():
                if name in _LANGUAGE_FIELDS and isinstance(value, dict) and value.get(default):
                    gaps = [lang for lang in others if not _covered(lang, value, default)]
                    if gaps:
                        missing.update(dict.fromkeys(gaps))
                        first = first or (*path, name)
        if first is not None:
            yield Hit(key, first, f"{key} has {default} content but none in {', '.join(missing)}")


def _key_forms(key: str) -> tuple[str, ...]:
    return (f"{key}:", "'" + key.replace("'", "''") + "':", json.dumps(key, ensure_ascii=False) + ":")


def columns(lines: Sequence[str]) -> list[int]:
    """Each line's indentation; -1 for a blank or comment line."""
    out = []
    for text in lines:
        body = text.lstrip(" ")
        out.append(-1 if not body or body[0] == "#" else len(text) - len(body))
    return out


def find_line(
    lines: Sequence[str], path: Sequence[str | int], cols: Sequence[int] | None = None
) -> int | None:
    """The 1-based line of ``path`` in block-style YAML text, found by reading indentation only.

    Far cheaper than composing the file for :class:`~cxops.repo.yamlio.Positions`, and exact on
    the block style that cxops writes (tests compare the two on whole trees). None where the
    text is not plain enough to be sure (the caller then asks Positions); a path that goes into
    an inline value gives the line of that value, as Positions does.
    """
    total = len(lines)
    cols = columns(lines) if cols is None else cols
    start, indent = 0, 0
    # A list item's first key sits on the item's own line, after "- ": `item` is that line.
    item: int | None = None
    line = next((i + 1 for i, column in enumerate(cols) if column != -1), 1)
    for part in path:
        found = None
        if isinstance(part, str):
            forms = _key_forms(part)
            for i in range(start, total):
                text = lines[i]
                if i == item:
                    column = indent
                else:
                    column = cols[i]
                    if column == -1:
                        continue
                    if column < indent:
                        return None  # left the mapping: the key is not there
                    if column > indent:
                        continue
                rest = text[column:]
                if any(rest == form or rest.startswith(form + " ") for form in forms):
                    found = i
                    break
            if found is None:
                return None
            line = found + 1
            value = lines[found][indent:].split(":", 1)[1].strip()
            if value and value[0] not in "|>#":
                return line  # an inline value: deeper parts are on this line
            start, item = found + 1, None
            child = next((i for i in range(start, total) if cols[i] != -1), None)
            if child is None:
                return line
            child_indent = cols[child]
            if child_indent <= indent:
                return line  # an empty value
            indent = child_indent
        else:
            count = -1
            for i in range(start, total):
                column = cols[i]
                if column == -1 or column > indent:
                    continue
                if column < indent:
                    return None
                body = lines[i][column:]
                if body.startswith("- ") or body == "-":
                    count += 1
                    if count == part:
                        found = i
                        break
            if found is None:
                return None
            line = found + 1
            rest = lines[found][indent + 2 :]
            if rest.startswith("-") or not rest.strip():
                return None  # nested lists, or an item on the next line: leave it to Positions
            if ":" not in rest.split(" #")[0]:
                return line  # a scalar item
            start, item, indent = found, found, indent + 2
    return line
