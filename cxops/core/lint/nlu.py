"""NLU: training phrases and entity types that make intent matching worse or fail.

Regexp entities are compiled with RE2 (the ``google-re2`` wheel), the engine CX uses: Python's
``re`` accepts look-arounds and back-references that CX refuses, and refuses some RE2 syntax.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

import re2

from cxops.core.lint.index import Index
from cxops.core.lint.registry import Hit, Params, Severity, rule
from cxops.model.snapshot import Key

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # else RE2 writes every refusal to stderr itself
_NOT_WORD = re.compile(r"[^\w]+")
NEGATIVE = "Default Negative Intent"


# "[text](parameter)" in a phrase line (cxops.model.phrases), and a backslash escape.
_ANNOTATION = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(([^()\s]+)\)")
_ESCAPE = re.compile(r"\\(.)")
_TEXT = operator.itemgetter(1)  # a match's first group, without a template to expand


def _lines(body: dict[str, Any]) -> Iterator[tuple[str, int, str]]:
    """(language, index, line) of each training phrase: its text with inline annotations."""
    by_lang = body.get("training_phrases")
    if not isinstance(by_lang, dict):
        return
    for lang, items in by_lang.items():
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            line = item.get("phrase") if isinstance(item, dict) else item
            if isinstance(line, str):
                yield lang, i, line


def plain_text(line: str) -> str:
    """What the user says in a phrase line: annotations and escapes taken out."""
    if "[" in line:
        line = _ANNOTATION.sub(_TEXT, line)
    return _ESCAPE.sub(r"\1", line) if "\\" in line else line


# ASCII text folded in one C call: letters lowered, every non-word character a space.
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


@rule(
    "nlu/few-training-phrases",
    Severity.warning,
    "An intent with fewer than min_phrases training phrases in a language it has phrases in.",
    params={"min_phrases": 10},
)
def few_training_phrases(index: Index, params: Params) -> Iterator[Hit]:
    least = int(params.get("min_phrases", 10))
    for key, body in index.of_kind("intent"):
        if key.name == NEGATIVE:
            continue
        by_lang = body.get("training_phrases")
        if not isinstance(by_lang, dict):
            continue
        for lang in index.languages:
            items = by_lang.get(lang)
            count = len(items) if isinstance(items, list) else 0
            if 0 < count < least:
                yield Hit(
                    key,
                    ("training_phrases", lang),
                    f"intent {key.name!r} has {count} training phrase(s) in {lang}, fewer than {least}",
                )


@rule(
    "nlu/duplicate-phrase",
    Severity.warning,
    "The same training phrase (case, punctuation and spacing folded) in two intents; one finding per "
    "pair of intents and language.",
    cx_message="Different intents have training phrases which are too similar.",
)
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


@rule(
    "nlu/undefined-annotation",
    Severity.error,
    "A training phrase annotates a parameter the intent does not define.",
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


def _entries(body: dict[str, Any]) -> Iterator[tuple[str, int, dict[str, Any]]]:
    by_lang = body.get("entities")
    if not isinstance(by_lang, dict):
        return
    for lang, items in by_lang.items():
        for i, entry in enumerate(items if isinstance(items, list) else []):
            if isinstance(entry, dict):
                yield lang, i, entry


@rule(
    "nlu/ambiguous-synonym",
    Severity.warning,
    "A synonym of a map entity type that belongs to two entries.",
    cx_message="The same synonym is used for different values in an entity type.",
)
def ambiguous_synonym(index: Index, params: Params) -> Iterator[Hit]:
    for key, body in index.of_kind("entity_type"):
        if body.get("kind", "KIND_MAP") != "KIND_MAP":
            continue
        seen: dict[tuple[str, str], str] = {}
        for lang, i, entry in _entries(body):
            value = str(entry.get("value", ""))
            for synonym in entry.get("synonyms") or []:
                if not isinstance(synonym, str):
                    continue
                folded = normalise(synonym)
                first = seen.setdefault((lang, folded), value)
                if first != value:
                    yield Hit(
                        key,
                        ("entities", lang, i),
                        f"synonym {synonym!r} ({lang}) of {value!r} is also a synonym of {first!r}",
                    )


def re2_error(pattern: str) -> str | None:
    """Why RE2 refuses ``pattern``, or None when it compiles."""
    try:
        re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as bad:
        reason = bad.args[0] if bad.args else bad
        return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    return None


@rule("nlu/invalid-regexp", Severity.error, "A regexp entity that RE2 (CX's regexp engine) cannot compile.")
def invalid_regexp(index: Index, params: Params) -> Iterator[Hit]:
    for key, body in index.of_kind("entity_type"):
        if body.get("kind") != "KIND_REGEXP":
            continue
        for lang, i, entry in _entries(body):
            for pattern in dict.fromkeys([entry.get("value"), *(entry.get("synonyms") or [])]):
                if isinstance(pattern, str):
                    reason = re2_error(pattern)
                    if reason is not None:
                        yield Hit(
                            key,
                            ("entities", lang, i),
                            f"regexp {pattern!r} ({lang}) does not compile in RE2: {reason}",
                        )
