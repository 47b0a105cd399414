"""Entity extraction: custom entity types (map with synonyms, list, regexp; fuzzy matching off)
and a documented subset of system entities.

System entities modelled: ``@sys.any`` (the whole text), ``@sys.number`` (digits, optional sign
and decimals), ``@sys.number-sequence`` (a run of digits, spaces or dashes between them; the value
is the digits, a string), ``@sys.date`` (ISO ``YYYY-MM-DD``, a month name and day with or without
a year, ``june 30th``, ``30 june 2023``, ``today``, ``tomorrow``, ``day after tomorrow``, weekday
names, the next one from the run's date; the value is CX's ``{year, month, day}`` struct; all but
the ISO form and a month-day with its year depend on the clock, :attr:`Found.relative`), ``@sys.zip-code`` (a US ZIP code,
five digits or ZIP+4; the matched text), ``@sys.email``,
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
    """An entity the runtime cannot read here; ``cause`` is the test results' undecided cause."""

    cause = "system-entity"


class UnclockedDate(UnsupportedEntity):
    """A date said relative to the day ("tomorrow", "june 30th") in a test run whose recording
    day is unknown: that CX read a date there is known, its value is not. ``days``: how many days after the
    recording day it is, where the form fixes that ("today" 0, "tomorrow" 1), so a recorded value
    gives the recording day back."""

    cause = "relative-time"

    def __init__(self, found: list[Found]) -> None:
        said = next(f for f in found if f.relative)
        super().__init__(
            f"the date {said.text!r} depends on the day the test case was recorded, which it does not record"
        )
        self.found = found  # read against the working clock: which words are a date is known
        self.days = said.days


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    value: Any
    text: str
    # The value depends on the day it was said ("tomorrow", "june 30th" without a year).
    relative: bool = False
    # Of a relative date: how many days after that day, where the form fixes it ("tomorrow" 1).
    days: int | None = None


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
MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip
_MONTH = r"(?P<{}>" + "|".join(f"{m[:3]}(?:{m[3:]})?" if len(m) > 3 else m for m in MONTHS) + r")\.?"
_DAY = r"(?P<{}>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<{}>\d{{4}}))?"
_DATE_FORMS = "|".join(
    [
        r"\d{4}-\d{2}-\d{2}",
        r"(?:the\s+)?day\s+after\s+tomorrow|today|tomorrow",
        # "june 30th", "jun 30, 2023"; "30th june", "30 of june 2023"
        _MONTH.format("m1") + r"\s+" + _DAY.format("d1") + _YEAR.format("y1"),
        _DAY.format("d2") + r"\s+(?:of\s+)?" + _MONTH.format("m2") + _YEAR.format("y2"),
        *WEEKDAYS,
    ]
)
SYSTEM_PATTERNS = {
    "sys.number": re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])"),
    "sys.number-sequence": re.compile(r"(?<![\w.])\d(?:[\s\-]?\d)*(?![\w.])"),
    # A US ZIP code, five digits with an optional ZIP+4; other postal codes are not read.
    "sys.zip-code": re.compile(r"(?<![\w.\-])\d{5}(?:-\d{4})?(?![\w.\-])"),
    "sys.email": re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"),
    "sys.phone-number": re.compile(r"\+?\(?\d[\d\-\s()]{5,}\d"),
    "sys.date": re.compile(r"\b(?:" + _DATE_FORMS + r")\b"),
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


def _month_day(m: re.Match[str], today: datetime.date) -> tuple[datetime.date, bool] | None:
    """A month and day, with the year said or not. Without one, the next such day on or after
    the clock: the stand-in's reading (CX's date grammar is not published); it is marked
    relative, so it is decided only against a known recording day."""
    for month_key, day_key, year_key in (("m1", "d1", "y1"), ("m2", "d2", "y2")):
        if m.group(month_key):
            month = next(i for i, name in enumerate(MONTHS, 1) if name.startswith(m.group(month_key)[:3]))
            day, year = int(m.group(day_key)), m.group(year_key)
            try:
                if year:
                    return datetime.date(int(year), month, day), False
                when = datetime.date(today.year, month, day)
                if when < today:
                    when = datetime.date(today.year + 1, month, day)
                return when, True
            except ValueError:  # "february 30th": no such day, no date
                return None
    return None


# The forms that say how many days after the day they were said.
_DAYS_AFTER = {"today": 0, "tomorrow": 1, "day after tomorrow": 2, "the day after tomorrow": 2}


def _date_value(m: re.Match[str], today: datetime.date) -> tuple[dict[str, float], bool, int | None] | None:
    """CX's ``{year, month, day}`` of a date form; whether it depends on the day it was said; of
    those, how many days after that day it is where the form fixes it."""
    low = re.sub(r"\s+", " ", m.group(0).lower())
    days = _DAYS_AFTER.get(low)
    if days is not None:
        day, relative = today + datetime.timedelta(days=days), True
    elif low in WEEKDAYS:
        ahead = (WEEKDAYS.index(low) - today.weekday()) % 7 or 7
        day, relative = today + datetime.timedelta(days=ahead), True
    elif low[:1].isdigit() and "-" in low:
        try:
            day, relative = datetime.date.fromisoformat(low), False
        except ValueError:
            return None
    else:
        said = _month_day(m, today)
        if said is None:
            return None
        day, relative = said
    return {"year": float(day.year), "month": float(day.month), "day": float(day.day)}, relative, days


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
        relative, days = False, None
        if sys_id == "sys.number":
            value = float(raw)
        elif sys_id == "sys.number-sequence":
            value = re.sub(r"\D", "", raw)
        elif sys_id == "sys.date":
            dated = _date_value(m, today)
            if dated is None:
                continue
            value, relative, days = dated
        elif sys_id == "sys.time":
            value = _time_value(m)
        found.append(Found(m.start(), m.end(), value, raw, relative, days))
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
        return longest_first(found)
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
    return longest_first(found)


def longest_first(found: list[Found]) -> list[Found]:
    """Overlapping matches: the longest wins, then the earliest."""
    chosen: list[Found] = []
    for cand in sorted(found, key=lambda f: (-(f.end - f.start), f.start)):
        if all(cand.end <= c.start or cand.start >= c.end for c in chosen):
            chosen.append(cand)
    return sorted(chosen, key=lambda f: f.start)
