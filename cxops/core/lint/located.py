"""Findings placed in files, inline ignores, and baselines: what lint reports once rules ran."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cxops.core.lint.registry import LintFinding, Severity
from cxops.errors import ConfigError, Location
from cxops.repo.yamlio import format_path

# `# cxops: ignore[rule/id] reason`, or several ids separated by commas.
_IGNORE = re.compile(r"#\s*cxops:\s*ignore\[([^\]]+)\]")


@dataclass(frozen=True)
class Located:
    finding: LintFinding
    file: str
    line: int | None

    @property
    def rule(self) -> str:
        return self.finding.rule

    @property
    def severity(self) -> Severity:
        return self.finding.severity

    @property
    def key(self) -> str | None:
        return format_path(self.finding.path) or None

    @property
    def message(self) -> str:
        return self.finding.message

    @property
    def location(self) -> Location:
        return Location(self.file, self.line, self.key)

    @property
    def fingerprint(self) -> str:
        """Stable across edits elsewhere in the file: rule, file, key path and message, no line."""
        text = "\0".join((self.rule, self.file, self.key or "", self.message))
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def __str__(self) -> str:
        return f"{self.location}: {self.severity.name} [{self.rule}] {self.message}"

    def as_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "severity": self.severity.name,
            "file": self.file,
            "line": self.line,
            "key": self.key,
            "message": self.message,
            "fingerprint": self.fingerprint,
        }


def ignored_rules(lines: Sequence[str], line: int | None) -> set[str]:
    """Rule ids an ignore comment silences at 1-based ``line``: on that line or the one above."""
    if line is None:
        return set()
    found: set[str] = set()
    for text in lines[max(0, line - 2) : line]:
        if "ignore[" not in text:
            continue  # most lines: no comment to parse
        for match in _IGNORE.finditer(text):
            found.update(part.strip() for part in match.group(1).split(","))
    return found


BASELINE_VERSION = 1


def baseline_text(findings: Iterable[Located]) -> str:
    entries = sorted({(f.fingerprint, f.rule, f.file, f.message) for f in findings})
    data = {
        "version": BASELINE_VERSION,
        "findings": [{"fingerprint": fp, "rule": r, "file": f, "message": m} for fp, r, f, m in entries],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def parse_baseline(text: str, file: str) -> set[str]:
    """Fingerprints recorded in a baseline file."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as bad:
        raise ConfigError(f"not a cxops lint baseline: {bad.msg}", Location(file, bad.lineno)) from None
    if (
        not isinstance(data, dict)
        or data.get("version") != BASELINE_VERSION
        or not isinstance(data.get("findings"), list)
    ):
        raise ConfigError(
            f"not a cxops lint baseline (version {BASELINE_VERSION}); write one with --write-baseline",
            Location(file),
        )
    return {
        e["fingerprint"]
        for e in data["findings"]
        if isinstance(e, dict) and isinstance(e.get("fingerprint"), str)
    }


def _key_forms(key: str) -> tuple[str, ...]:
    return (f"{key}:", "'" + key.replace("'", "''") + "':", json.dumps(key, ensure_ascii=False) + ":")


def columns(lines: Sequence[str]) -> list[int]:
    """Each line's indentation; -1 for a blank or comment line."""
    bodies = [text.lstrip(" ") for text in lines]
    return [
        len(text) - len(body) if body and body[0] != "#" else -1
        for text, body in zip(lines, bodies, strict=True)
    ]


# What find_line knows after reading a prefix of a path: (final, line, start, indent, item).
# ``final``: the answer is ``line`` whatever follows (None where the prefix is not there).
Step = tuple[bool, "int | None", int, int, "int | None"]
# Per text: a path prefix -> its Step; (None, start, indent) -> the lines of a list's items.
Memo = dict[tuple[Any, ...], Any]


def find_line(
    lines: Sequence[str],
    path: Sequence[str | int],
    cols: Sequence[int] | None = None,
    memo: Memo | None = None,
) -> int | None:
    """The 1-based line of ``path`` in block-style YAML text, found by reading indentation only.

    Far cheaper than composing the file for :class:`~cxops.repo.yamlio.Positions`, and exact on
    the block style that cxops writes (tests compare the two on whole trees). None where the
    text is not plain enough to be sure (the caller then asks Positions); a path that goes into
    an inline value gives the line of that value, as Positions does.

    ``memo``: one dict per text, kept between calls: what is learnt about each prefix of a path
    (where it is, where a list's items are) is reused by later paths through it, so the twenty
    findings of one intent file read its phrase list once, not twenty times.
    """
    total = len(lines)
    cols = columns(lines) if cols is None else cols
    memo = {} if memo is None else memo
    path = tuple(path)
    # Resume after the longest prefix already read.
    done = len(path)
    while done and path[:done] not in memo:
        done -= 1
    line: int | None
    start: int
    indent: int
    item: int | None
    if done:
        step: Step = memo[path[:done]]
        final, line, start, indent, item = step
        if final:
            return line
    else:
        start, indent, item = 0, 0, None
        line = next((i + 1 for i, column in enumerate(cols) if column != -1), 1)
    for depth in range(done, len(path)):
        part = path[depth]
        prefix = path[: depth + 1]
        found = None
        if isinstance(part, str):
            forms = _key_forms(part)
            spaced = tuple(form + " " for form in forms)
            for i in range(start, total):
                if i == item:
                    column = indent
                else:
                    column = cols[i]
                    if column == -1:
                        continue
                    if column < indent:
                        break  # left the mapping: the key is not there
                    if column > indent:
                        continue
                rest = lines[i][column:]
                if rest in forms or rest.startswith(spaced):
                    found = i
                    break
            if found is None:
                memo[prefix] = (True, None, 0, 0, None)
                return None
            line = found + 1
            value = lines[found][indent:].split(":", 1)[1].strip()
            if value and value[0] not in "|>#":
                memo[prefix] = (True, line, 0, 0, None)
                return line  # an inline value: deeper parts are on this line
            start, item = found + 1, None
            child = next((i for i in range(start, total) if cols[i] != -1), None)
            if child is None or cols[child] <= indent:
                memo[prefix] = (True, line, 0, 0, None)
                return line  # the end of the text, or an empty value
            indent = cols[child]
        else:
            items: list[int] | None = memo.get((None, start, indent))
            if items is None:
                items = memo[(None, start, indent)] = _items(lines, cols, start, indent)
            if not 0 <= part < len(items):
                memo[prefix] = (True, None, 0, 0, None)
                return None
            found = items[part]
            line = found + 1
            rest = lines[found][indent + 2 :]
            if rest.startswith("-") or not rest.strip():
                memo[prefix] = (True, None, 0, 0, None)
                return None  # nested lists, or an item on the next line: leave it to Positions
            if ":" not in rest.split(" #")[0]:
                memo[prefix] = (True, line, 0, 0, None)
                return line  # a scalar item
            start, item, indent = found, found, indent + 2
        memo[prefix] = (False, line, start, indent, item)
    return line


def _items(lines: Sequence[str], cols: Sequence[int], start: int, indent: int) -> list[int]:
    """The lines of the items of the list at ``indent`` from line ``start``."""
    found = []
    for i in range(start, len(lines)):
        column = cols[i]
        if column == -1 or column > indent:
            continue
        if column < indent:
            break
        body = lines[i][column:]
        if body.startswith("- ") or body == "-":
            found.append(i)
    return found
