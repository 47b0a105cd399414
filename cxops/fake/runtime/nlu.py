"""Intent matching: the training phrases of the session's language, normalised, exact first,
then a token-overlap score.

Normalisation: NFKC (full-width -> half-width), case folding, punctuation -> space (except
inside a word: "A-12345", "don't"), whitespace collapsed. Tokens: words split on spaces; a run of characters from scripts written without
spaces (CJK, kana: code points from U+2E80) becomes its character bigrams.

1. Exact: a phrase matches when the normalised utterance equals it with each annotated part
   replaced by a text its entity type accepts (confidence 1.0).
2. Otherwise the score of a phrase is the Dice coefficient of the token multisets of the
   utterance and the phrase, where each annotated part of the phrase and each span of the
   utterance that the parameter's entity type accepts count as one token ``@param``. The best
   intent (score, then priority, then name) matches when its score reaches the flow's
   ``nlu_settings.classification_threshold`` (the agent's default 0.3 when unset).
An intent marked ``is_fallback`` (the Default Negative Intent) never matches: its phrases make
the utterance a no-match.

In a test run, :func:`ranked` also says whether the matcher can call the utterance at all, since
real CX matches with a trained model the overlap only approximates. Decided: the utterance is
one of the in-scope training phrases after normalisation (step 1), or the best of the candidates
beats the runner-up by ``MARGIN`` (0.3 of the Dice score), where the candidates are each
in-scope intent (its best phrase score) and no-match (scoring the classification threshold):
a match is decided when its intent scores at least threshold + MARGIN and MARGIN above every
other intent. A no-match is decided only when no in-scope intent shares a single token with the
utterance, diacritics ignored ("Ola" shares one with "Olá"): a model generalises from what the
phrases hold, not from nothing. Everything between is undecided (cause ``nlu``).
"""

from __future__ import annotations

import collections
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cxops.fake.runtime.entities import Found, fold

DEFAULT_THRESHOLD = 0.3
MARGIN = 0.3


def _wordy(ch: str) -> bool:
    return ch.isalnum() and ord(ch) < 0x2E80


def normalize(text: str) -> str:
    folded = fold(text)
    out = []
    for i, ch in enumerate(folded):
        inner = 0 < i < len(folded) - 1 and _wordy(folded[i - 1]) and _wordy(folded[i + 1])
        # Punctuation inside a word stays ("a-12345", "don't"); elsewhere it is a space.
        punct = unicodedata.category(ch).startswith("P") and not inner
        out.append(" " if punct or ch.isspace() else ch)
    return " ".join("".join(out).split())


def tokens(text: str) -> list[str]:
    result: list[str] = []
    for word in normalize(text).split():
        if word.startswith("@"):
            result.append(word)
            continue
        run = ""
        for ch in word + " ":
            if ord(ch) >= 0x2E80 and ch != " ":
                run += ch
                continue
            if run:
                result.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
                run = ""
        plain = "".join(ch if ord(ch) < 0x2E80 else " " for ch in word).split()
        result.extend(plain)
    return result


def dice(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    common = sum((collections.Counter(a) & collections.Counter(b)).values())
    return 2.0 * common / (len(a) + len(b))


@dataclass
class Phrase:
    parts: list[tuple[str, str]]  # (text, parameter id or "")


@dataclass
class IntentDef:
    name: str
    display_name: str
    priority: int
    is_fallback: bool
    phrases: list[Phrase]
    parameters: dict[str, str]  # id -> entity type resource name
    is_list: dict[str, bool] = field(default_factory=dict)


@dataclass
class Match:
    intent: IntentDef
    confidence: float
    params: dict[str, Any]
    exact: bool


Finder = Callable[[str, str], list[Found]]  # (entity type, text) -> matches


def _exact(
    intent: IntentDef, phrase: Phrase, utterance: str, original: str, find: Finder
) -> dict[str, Any] | None:
    pattern = ""
    groups: list[str] = []
    for text, param in phrase.parts:
        if param:
            pattern += "(.+?)"
            groups.append(param)
        else:
            pattern += re.escape(normalize(text))
    # Spaces around annotated parts are not significant once normalised.
    pattern = re.sub(r"(\\ )+", r"\\s*", pattern)
    m = re.fullmatch(r"\s*" + pattern + r"\s*", utterance)
    if m is None:
        return None
    params: dict[str, Any] = {}
    for param, captured in zip(groups, m.groups(), strict=True):
        entity = intent.parameters.get(param, "")
        # Values come from the original text: case and punctuation of an order number survive.
        found = [f for f in find(entity, original) if normalize(f.text) == normalize(captured)]
        if not found:
            return None
        params[param] = found[0].value
    return params


def _spans(intent: IntentDef, utterance: str, find: Finder) -> tuple[list[str], dict[str, Any]]:
    """The utterance's tokens with entity spans of the intent's parameters as ``@param``."""
    params: dict[str, Any] = {}
    taken: list[tuple[int, int, str]] = []
    for param, entity in intent.parameters.items():
        for f in find(entity, utterance):
            if entity.endswith("sys.any"):
                continue  # @sys.any would swallow the whole utterance
            if all(f.end <= s or f.start >= e for s, e, _ in taken):
                taken.append((f.start, f.end, param))
                params.setdefault(param, f.value)
                break
    text, last = "", 0
    for start, end, param in sorted(taken):
        text += utterance[last:start] + f" @{param} "
        last = end
    text += utterance[last:]
    return tokens(text), params


def match(utterance: str, intents: list[IntentDef], threshold: float, find: Finder) -> Match | None:
    norm = normalize(utterance)
    if not norm:
        return None
    for intent in intents:
        for phrase in intent.phrases:
            params = _exact(intent, phrase, norm, utterance, find)
            if params is not None:
                return None if intent.is_fallback else Match(intent, 1.0, params, True)
    best: tuple[float, int, str] | None = None
    chosen: Match | None = None
    for intent in intents:
        utt_tokens, params = _spans(intent, utterance, find)
        for phrase in intent.phrases:
            phrase_text = " ".join(f" @{p} " if p else t for t, p in phrase.parts)
            score = dice(utt_tokens, tokens(phrase_text))
            key = (score, intent.priority, intent.name)
            if best is None or key > best:
                best, chosen = key, Match(intent, round(score, 4), params, False)
    if chosen is None or best is None or best[0] < threshold or chosen.intent.is_fallback:
        return None
    return chosen


def ranked(
    utterance: str, intents: list[IntentDef], threshold: float, find: Finder
) -> tuple[Match | None, bool]:
    """:func:`match`, and whether that answer is decided (the rule in the module docstring)."""
    norm = normalize(utterance)
    if not norm:
        return None, False
    for intent in intents:
        for phrase in intent.phrases:
            params = _exact(intent, phrase, norm, utterance, find)
            if params is not None:
                return (None if intent.is_fallback else Match(intent, 1.0, params, True)), True
    scores: list[float] = []
    shared = False
    for intent in intents:
        utt_tokens, _ = _spans(intent, utterance, find)
        phrases = [" ".join(f" @{p} " if p else t for t, p in ph.parts) for ph in intent.phrases]
        scores.append(max((dice(utt_tokens, tokens(text)) for text in phrases), default=0.0))
        bare = {_unmarked(t) for t in utt_tokens}
        shared = shared or any(bare & {_unmarked(t) for t in tokens(text)} for text in phrases)
    found = match(utterance, intents, threshold, find)
    if found is None:
        return None, not shared
    # No-match is a candidate scoring the threshold; the winner must clear the runner-up by MARGIN.
    ordered = [*sorted([*scores, threshold], reverse=True), 0.0]
    return found, ordered[0] - ordered[1] >= MARGIN - 1e-9


def _unmarked(token: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", token) if not unicodedata.combining(c))
