"""Entity extraction: custom entity types (map with synonyms, list, regexp; fuzzy matching off)
and a documented subset of system entities.

System entities modelled: ``@sys.any`` (the whole text), ``@sys.number`` (digits, optional sign
and decimals), ``@sys.date`` (ISO ``YYYY-MM-DD``, ``today``, ``tomorrow``, weekday names, the
next one from the run's date; the value is CX's ``{year, month, day}`` struct), ``@sys.email``,
``@sys.phone-number`` (digits with optional ``+``, spaces, dashes, parentheses; the matched text),
``@sys.time`` (``4pm``, ``10:30 am``, ``17:45``, ``noon``, ``midnight``; the value is CX's
``{hours, minutes, seconds, nanos}`` struct, as real test cases record "4pm": ``{hours: 16, ...}``).
Any other system entity raises :class:`UnsupportedEntity`.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

SYS_PREFIX = "projects/-/locations/-/agents/-/entityTypes/sys."


class UnsupportedEntity(Exception):
    pass


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    value: Any
    text: str


@dataclass
class EntityDef:
    """One custom entity type in one language."""

    name: str
    kind: str  # KIND_MAP, KIND_LIST, KIND_REGEXP
    entities: list[tuple[str, list[str]]]  # value, synonyms
    excluded: list[str]
    # Fuzzy extraction or auto expansion: CX also matches what no synonym lists (EntityType
    # reference: enable_fuzzy_extraction, auto_expansion_mode), so finding nothing decides nothing.
    open: bool = False


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def system_id(entity_type: str) -> str | None:
    """``sys.number`` for a system entity type name, None for a custom one."""
    if entity_type.startswith(SYS_PREFIX):
        return entity_type[len(SYS_PREFIX) - 4 :]
    tail = entity_type.rsplit("/", 1)[-1]
    return tail if tail.startswith("sys.") else None


WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
SYSTEM_PATTERNS = {
    "sys.number": re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])"),
    "sys.email": re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"),
    "sys.phone-number": re.compile(r"\+?\(?\d[\d\-\s()]{5,}\d"),
    "sys.date": re.compile(r"\b(\d{4}-\d{2}-\d{2}|today|tomorrow|" + "|".join(WEEKDAYS) + r")\b"),
    "sys.time": re.compile(
        r"(?<![\w:.])(?:(1[0-2]|0?[1-9])(?::([0-5]\d))?\s*([ap])\.?m\.?|([01]?\d|2[0-3]):([0-5]\d)|noon|midnight)(?![\w:])"
    ),
}
# Forms whose text alone gives the hour: folded text is matched.
_FOLDED = frozenset({"sys.date", "sys.time"})


def _time_value(m: re.Match[str]) -> dict[str, float]:
    word = m.group(0).strip()
    if word in ("noon", "midnight"):
        hours, minutes = (12 if word == "noon" else 0), 0
    elif m.group(3):
        hours = int(m.group(1)) % 12 + (12 if m.group(3) == "p" else 0)
        minutes = int(m.group(2) or 0)
    else:
        hours, minutes = int(m.group(4)), int(m.group(5))
    return {"hours": float(hours), "minutes": float(minutes), "seconds": 0.0, "nanos": 0.0}


def _date_value(text: str, today: datetime.date) -> dict[str, float]:
    low = text.lower()
    if low == "today":
        day = today
    elif low == "tomorrow":
        day = today + datetime.timedelta(days=1)
    elif low in WEEKDAYS:
        ahead = (WEEKDAYS.index(low) - today.weekday()) % 7 or 7
        day = today + datetime.timedelta(days=ahead)
    else:
        day = datetime.date.fromisoformat(low)
    return {"year": float(day.year), "month": float(day.month), "day": float(day.day)}


def find_system(sys_id: str, text: str, today: datetime.date) -> list[Found]:
    if sys_id == "sys.any":
        stripped = text.strip()
        return [Found(0, len(text), stripped, stripped)] if stripped else []
    pattern = SYSTEM_PATTERNS.get(sys_id)
    if pattern is None:
        raise UnsupportedEntity(f"@{sys_id} is not modelled by the stand-in")
    found = []
    folded = fold(text)
    for m in pattern.finditer(folded if sys_id in _FOLDED else text):
        raw = m.group(0).strip()
        value: Any = raw
        if sys_id == "sys.number":
            value = float(raw)
        elif sys_id == "sys.date":
            value = _date_value(raw, today)
        elif sys_id == "sys.time":
            value = _time_value(m)
        found.append(Found(m.start(), m.end(), value, raw))
    return found


def _word_bounded(text: str, start: int, end: int) -> bool:
    """A synonym matches whole words only (scripts without spaces match anywhere)."""

    def wordy(ch: str) -> bool:
        return ch.isalnum() and ord(ch) < 0x2E80

    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (wordy(before) and wordy(text[start])) and not (wordy(after) and wordy(text[end - 1]))


def find_custom(entity: EntityDef, text: str) -> list[Found]:
    folded = fold(text)
    excluded = [fold(e) for e in entity.excluded]
    found: list[Found] = []
    if entity.kind == "KIND_REGEXP":
        # Width does not matter: a full-width order number is read as its half-width form.
        nfkc = unicodedata.normalize("NFKC", text)
        text = nfkc if len(nfkc) == len(text) else text
        for value, synonyms in entity.entities:
            for pattern in synonyms or [value]:
                try:
                    compiled = re.compile(pattern)
                except re.error as bad:
                    raise UnsupportedEntity(f"regexp {pattern!r} of @{entity.name}: {bad}") from bad
                for m in compiled.finditer(text):
                    if m.group(0):
                        found.append(Found(m.start(), m.end(), m.group(0), m.group(0)))
        return _longest_first(found)
    for value, synonyms in entity.entities:
        for synonym in {value, *synonyms} if entity.kind == "KIND_LIST" else set(synonyms or [value]):
            needle = fold(synonym)
            if not needle:
                continue
            start = folded.find(needle)
            while start >= 0:
                end = start + len(needle)
                if _word_bounded(folded, start, end) and not any(
                    needle in ex and ex in folded for ex in excluded
                ):
                    out_value = value if entity.kind == "KIND_MAP" else text[start:end]
                    found.append(Found(start, end, out_value, text[start:end]))
                start = folded.find(needle, start + 1)
    return _longest_first(found)


def _longest_first(found: list[Found]) -> list[Found]:
    """Overlapping matches: the longest wins, then the earliest."""
    chosen: list[Found] = []
    for cand in sorted(found, key=lambda f: (-(f.end - f.start), f.start)):
        if all(cand.end <= c.start or cand.start >= c.end for c in chosen):
            chosen.append(cand)
    return sorted(chosen, key=lambda f: f.start)
