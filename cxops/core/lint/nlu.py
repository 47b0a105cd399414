"""NLU: training phrases and entity types that make intent matching worse or fail.

Regexp entities are compiled with RE2 (the ``google-re2`` wheel), the engine CX uses: Python's
``re`` accepts look-arounds and back-references that CX refuses, and refuses some RE2 syntax.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Iterator, Sequence
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


# ASCII text folded in one C call: letters lowered, every non-word character a space. A
# bytes table: bytes.translate is a plain array look-up, str.translate a dict look-up a character.
_ASCII_FOLD = bytes(
    ord(chr(i).lower()) if i >= 128 or chr(i).isalnum() or chr(i) == "_" else ord(" ") for i in range(256)
)


def normalise(text: str) -> str:
    """Case, width, punctuation and spacing folded: what NLU matching does not tell apart."""
    if text.isascii():
        return b" ".join(text.encode("ascii").translate(_ASCII_FOLD).split()).decode("ascii")
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NOT_WORD.sub(" ", folded).strip()


# The line-wise patterns for phrase lines joined by newlines: no annotation, escape or run of
# non-word characters reaches across a newline, so the joined text is handled in one call.
_ANNOTATION_IN_LINE = re.compile(r"\[((?:\\.|[^\]\\\n])*)\]\(([^()\s]+)\)")
_NOT_WORD_IN_LINE = re.compile(r"[^\w\n]+")
_PARAMETER_IN_LINE = re.compile(r"\[(?:\\.|[^\]\\\n])*\]\(([^()\s]+)\)")  # the parameter alone
_ASCII_FOLD_LINES = bytes(ord("\n") if i == ord("\n") else b for i, b in enumerate(_ASCII_FOLD))


def joined_lines(items: list[Any]) -> tuple[Sequence[int], list[str], str]:
    """The phrase lines among one language's training phrases, their indices, and the lines
    joined by newlines (for the one-pass helpers below)."""
    try:
        return range(len(items)), items, "\n".join(items)  # most lists: lines only
    except TypeError:  # a {phrase, repeat_count} item, or a wrong one
        at: list[int] = []
        lines: list[str] = []
        for i, item in enumerate(items):
            line = item.get("phrase") if isinstance(item, dict) else item
            if isinstance(line, str):
                at.append(i)
                lines.append(line)
        return at, lines, "\n".join(lines)


def folded_lines(lines: list[str], block: str) -> list[str]:
    """``normalise(plain_text(line))`` of each line, each step run once over ``block`` (the
    lines joined by newlines) rather than once a line: an L agent has 200,000 phrases, and
    the calls were most of the cost."""
    if block.count("\n") == len(lines) - 1:  # no line holds a newline of its own
        if "[" in block:
            block = _ANNOTATION_IN_LINE.sub(_TEXT, block)
        if "\\" in block:
            block = _ESCAPE.sub(r"\1", block)
        if block.isascii():
            parts = block.encode("ascii").translate(_ASCII_FOLD_LINES).decode("ascii").split("\n")
            return [" ".join(part.split()) for part in parts]
        # NFKC line by line: its quick check passes most lines as they are, and the joined
        # text would fail it as a whole if any line needs it.
        texts = [unicodedata.normalize("NFKC", text) for text in block.split("\n")]
        parts = _NOT_WORD_IN_LINE.sub(" ", "\n".join(texts).casefold()).split("\n")
        if len(parts) == len(lines):
            return [part.strip(" ") for part in parts]
    return [normalise(plain_text(line)) for line in lines]


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
    # Each phrase is folded once and looked up in a table of the folded phrases seen so far,
    # per language: one hash look-up a phrase, no comparison of phrases or intents in pairs.
    seen: dict[str, dict[str, Key]] = {}  # language -> folded phrase -> the first intent with it
    for key, body in index.of_kind("intent"):
        by_lang = body.get("training_phrases")
        if key.name == NEGATIVE or not isinstance(by_lang, dict):
            continue  # the negative intent's phrases are meant to be near real ones
        # One finding per other intent and language, at the first shared phrase: a copied
        # intent shares dozens, and one line per phrase buries everything else.
        shared: dict[tuple[Key, str], list[tuple[int, str]]] = {}
        for lang, items in by_lang.items():
            if not isinstance(items, list):
                continue
            firsts = seen.setdefault(lang, {})
            at, lines, block = joined_lines(items)
            texts = folded_lines(lines, block)
            # Set operations in C: which phrases earlier intents have, and the rest recorded as
            # this intent's (an empty one, punctuation only, is nobody's duplicate).
            earlier = firsts.keys() & texts
            earlier.discard("")
            if earlier:
                for i, text in zip(at, texts, strict=True):
                    if text in earlier:
                        shared.setdefault((firsts[text], lang), []).append((i, text))
            firsts.update(dict.fromkeys(set(texts) - earlier, key))
        for (first, lang), phrases_ in shared.items():
            i, text = phrases_[0]
            more = f" (and {len(phrases_) - 1} more)" if len(phrases_) > 1 else ""
            yield Hit(
                key,
                ("training_phrases", lang, i),
                f"training phrase {text!r}{more} ({lang}) is also a phrase of intent {first.name!r}",
            )


def _annotates_only(by_lang: dict[str, Any], defined: set[Any]) -> bool:
    """Whether every annotation in these phrases names one of ``defined``: one search over each
    language's lines joined, where none holds a newline (else False, to look line by line)."""
    for items in by_lang.values():
        if not isinstance(items, list):
            continue
        _, lines, block = joined_lines(items)
        if block.count("\n") != len(lines) - 1:
            return False
        if "[" in block and not defined.issuperset(_PARAMETER_IN_LINE.findall(block)):
            return False
    return True


@rule(
    "nlu/undefined-annotation",
    Severity.error,
    "A training phrase annotates a parameter the intent does not define.",
)
def undefined_annotation(index: Index, params: Params) -> Iterator[Hit]:
    for key, body in index.of_kind("intent"):
        defined = {p.get("id") for p in body.get("parameters") or [] if isinstance(p, dict)}
        by_lang = body.get("training_phrases")
        if isinstance(by_lang, dict) and _annotates_only(by_lang, defined):
            continue  # most intents: every annotation names a parameter, seen in one pass
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


def _has_phrases(body: dict[str, Any]) -> bool:
    by_lang = body.get("training_phrases")
    return isinstance(by_lang, dict) and any(isinstance(v, list) and v for v in by_lang.values())


@rule(
    "nlu/routed-intent-without-phrases",
    Severity.warning,
    "An intent with no training phrases in any language that a route or route group matches on.",
)
def routed_intent_without_phrases(index: Index, params: Params) -> Iterator[Hit]:
    # Intent matching compares the end-user input with the intent's training phrases
    # (https://cloud.google.com/dialogflow/cx/docs/concept/intent#tp): with none, only an
    # intent input sent by the client (QueryInput.intent) can trigger such a route.
    used = index.uses.intents
    for key, body in index.of_kind("intent"):
        if key.name == NEGATIVE or body.get("is_fallback") or key.name not in used or _has_phrases(body):
            continue
        where, _ = used[key.name]
        route = f"{where.kind.replace('_', ' ')} {where.name!r}"
        yield Hit(
            key,
            ("display_name",),
            f"intent {key.name!r} has no training phrases, yet a route of {route} matches on it: no "
            "end-user input can match it",
        )
