"""Test cases: expectations that name what no longer exists, and flows no test case enters."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cxops.core.lint import nlu
from cxops.core.lint.index import Index
from cxops.core.lint.registry import Hit, Params, Severity, rule
from cxops.model.proto import SPECIAL_PAGE_IDS, SPECIAL_TARGETS
from cxops.model.snapshot import walk

_SPECIAL = SPECIAL_PAGE_IDS | frozenset(SPECIAL_TARGETS)


@rule(
    "testcases/missing-target",
    Severity.error,
    "A test case expecting a page, intent or flow that does not exist.",
)
def missing_target(index: Index, params: Params) -> Iterator[Hit]:
    intents, flows = index.names("intent"), index.names("flow")
    for key, body in index.of_kind("test_case"):
        for path, obj in walk(body):
            page = obj.get("current_page")
            if isinstance(page, dict) and isinstance(page.get("name"), str):
                name, flow = page["name"], page.get("flow")
                if isinstance(flow, str) and flow not in flows:
                    yield Hit(key, (*path, "current_page", "flow"), f"expected flow {flow!r} does not exist")
                elif isinstance(flow, str) and name not in _SPECIAL and name not in index.pages.get(flow, {}):
                    yield Hit(
                        key,
                        (*path, "current_page", "name"),
                        f"expected page {name!r} of flow {flow!r} does not exist",
                    )
            intent = obj.get("triggered_intent")
            if (
                isinstance(intent, dict)
                and isinstance(intent.get("name"), str)
                and intent["name"] not in intents
            ):
                yield Hit(
                    key,
                    (*path, "triggered_intent", "name"),
                    f"expected intent {intent['name']!r} does not exist",
                )
        config = body.get("test_config")
        if isinstance(config, dict) and isinstance(config.get("flow"), str) and config["flow"] not in flows:
            yield Hit(key, ("test_config", "flow"), f"test config flow {config['flow']!r} does not exist")


@rule("testcases/untested-flow", Severity.note, "A flow that no test case enters.")
def untested_flow(index: Index, params: Params) -> Iterator[Hit]:
    entered: set[str] = set()
    for _, body in index.of_kind("test_case"):
        for _, obj in walk(body):
            page = obj.get("current_page")
            if isinstance(page, dict) and isinstance(page.get("flow"), str):
                entered.add(page["flow"])
        config = body.get("test_config")
        if isinstance(config, dict) and isinstance(config.get("flow"), str):
            entered.add(config["flow"])
    for key, _ in index.of_kind("flow"):
        if key.name not in entered:
            yield Hit(key, ("display_name",), f"flow {key.name!r} is entered by no test case")


def _phrases(body: dict[str, Any], lang: str) -> tuple[set[str], list[str]]:
    """One language's training phrases as CX compares text with them: case, width, punctuation
    and spacing folded (nlu.normalise, in one pass over the joined lines), and the lines with
    annotated parts, whose parts take any text (see _slotted)."""
    by_lang = body.get("training_phrases")
    items = by_lang.get(lang) if isinstance(by_lang, dict) else None
    if not isinstance(items, list) or not items:
        return set(), []
    _, lines, block = nlu.joined_lines(items)
    annotated = [line for line in lines if "](" in line] if "](" in block else []
    return set(nlu.folded_lines(lines, block)), annotated


def _slotted(line: str) -> re.Pattern[str]:
    """A phrase line with annotated parts as a pattern over folded text: each part any text,
    as an entity value would fill it."""
    parts: list[str] = []
    at = 0
    for m in _ANNOTATED.finditer(line):
        parts.append(re.escape(nlu.normalise(nlu.plain_text(line[at : m.start()]))))
        parts.append(r"\S(?:.*\S)?")
        at = m.end()
    parts.append(re.escape(nlu.normalise(nlu.plain_text(line[at:]))))
    # A space or none around a part: scripts written without spaces (ja, zh) have none.
    return re.compile(" ?".join(p for p in parts if p))


_ANNOTATED = re.compile(r"\[(?:\\.|[^\]\\])*\]\([^()\s]+\)")


@rule(
    "testcases/utterance-not-a-phrase",
    Severity.note,
    "A test case turn whose text is none of the training phrases of the intent it expects "
    "(case, width, punctuation and spacing folded).",
)
def utterance_not_a_phrase(index: Index, params: Params) -> Iterator[Hit]:
    intents = {k.name: b for k, b in index.of_kind("intent")}
    cache: dict[tuple[str, str], tuple[set[str], list[str]]] = {}
    for key, body in index.of_kind("test_case"):
        turns = body.get("test_case_conversation_turns")
        for i, turn in enumerate(turns if isinstance(turns, list) else []):
            expected = _get(turn, "virtual_agent_output", "triggered_intent", "name")
            text = _get(turn, "user_input", "input", "text", "text")
            intent = intents.get(expected) if isinstance(expected, str) else None
            if intent is None or intent.get("is_fallback") or not isinstance(text, str):
                continue  # no intent expected, or one missing-target reports
            lang = _get(turn, "user_input", "input", "language_code")
            lang = lang if isinstance(lang, str) and lang else index.default_language
            exact, annotated = cache.get((expected, lang)) or cache.setdefault(
                (expected, lang), _phrases(intent, lang)
            )
            if not exact:
                continue  # no phrases in the language: the languages rules' finding
            said = nlu.normalise(text)
            if said in exact or any(_slotted(line).fullmatch(said) for line in annotated):
                continue
            yield Hit(
                key,
                ("test_case_conversation_turns", i, "user_input", "input", "text", "text"),
                f"{text!r} ({lang}) expects intent {expected!r} but is none of its training phrases: "
                "the test then depends on how the model generalises, which changes with retraining",
            )


def _get(value: Any, *path: str) -> Any:
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value
