"""Training phrases as one readable line each, with inline parameter annotations.

``where is order [12345](order_id) please`` is the phrase of three parts: plain text, the text
``12345`` annotated with parameter ``order_id``, plain text. In plain text ``\\``, ``[`` and
``]`` are escaped with a backslash; in annotated text ``\\`` and ``]``. A phrase repeated
more than once is a mapping ``{phrase: <line>, repeat_count: N}``.

Adjacent plain parts are merged: CX splits plain text at former annotation boundaries, which
carries no meaning (documented in docs/tree-format.md).
"""

from __future__ import annotations

import re
from typing import Any

from cxops.errors import ValidationError

Part = dict[str, str]  # {"text": ..., "parameter_id": ...}

_ANNOTATED = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(([^()\s]+)\)")


def escape_plain(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def escape_annotated(text: str) -> str:
    return text.replace("\\", "\\\\").replace("]", "\\]")


_ESCAPED = re.compile(r"\\(.)", re.S)
# A run of characters with no meaning in a phrase line: taken in one step, not one by one.
_PLAIN = re.compile(r"[^\\\[\]]+")
_SPECIAL = re.compile(r"[\\\[\]]")


def _unescape(text: str) -> str:
    return _ESCAPED.sub(r"\1", text) if "\\" in text else text


def merge_parts(parts: list[Part]) -> list[Part]:
    """Merge adjacent plain parts and drop empty plain parts."""
    merged: list[Part] = []
    for part in parts:
        text = part.get("text", "")
        param = part.get("parameter_id", "")
        if not param and merged and not merged[-1].get("parameter_id"):
            merged[-1] = {"text": merged[-1]["text"] + text}
        elif param:
            merged.append({"text": text, "parameter_id": param})
        elif text:
            merged.append({"text": text})
    return merged


def to_line(parts: list[Part]) -> str:
    out = []
    for part in merge_parts(parts):
        param = part.get("parameter_id")
        if param:
            out.append(f"[{escape_annotated(part['text'])}]({param})")
        else:
            out.append(escape_plain(part["text"]))
    return "".join(out)


def from_line(line: str, where: str = "") -> list[Part]:
    if _SPECIAL.search(line) is None:  # most lines: plain text only
        return [{"text": line}] if line else []
    parts: list[Part] = []
    pos = 0
    plain: list[str] = []
    while pos < len(line):
        char = line[pos]
        if char == "\\" and pos + 1 < len(line):
            plain.append(line[pos + 1])
            pos += 2
            continue
        if char == "[":
            match = _ANNOTATED.match(line, pos)
            if match is None:
                raise ValidationError(
                    f"training phrase {line!r}: '[' at column {pos + 1} opens no [text](parameter) "
                    "annotation; write \\[ for a literal bracket"
                )
            if plain:
                parts.append({"text": "".join(plain)})
                plain = []
            parts.append({"text": _unescape(match.group(1)), "parameter_id": match.group(2)})
            pos = match.end()
            continue
        if char == "]":
            raise ValidationError(f"training phrase {line!r}: unmatched ']' at column {pos + 1}; write \\]")
        run = _PLAIN.match(line, pos)  # None only for a backslash that ends the line
        plain.append(run.group() if run else char)
        pos = run.end() if run else pos + 1
    if plain:
        parts.append({"text": "".join(plain)})
    return parts


def is_valid_line(line: str) -> bool:
    """Whether :func:`from_line` accepts ``line``, without building its parts: validate reads
    every phrase of an agent (200,000 on a large one), and parsing each is most of its cost.

    Without backslashes, ``from_line`` fails exactly where a bracket is left once every
    annotation is taken out (it meets each ``[`` where an annotation must start and each ``]``
    outside one); lines with escapes are rare and take the parser.
    """
    if "\\" in line:
        try:
            from_line(line)
        except ValidationError:
            return False
        return True
    if "[" not in line and "]" not in line:
        return True
    rest = _ANNOTATED.sub("", line)
    return "[" not in rest and "]" not in rest


def encode_phrase(parts: list[Part], repeat_count: int) -> Any:
    line = to_line(parts)
    if repeat_count in (0, 1):
        return line
    return {"phrase": line, "repeat_count": repeat_count}


def decode_phrase(value: Any) -> tuple[list[Part], int]:
    if isinstance(value, str):
        return from_line(value), 1
    if isinstance(value, dict) and isinstance(value.get("phrase"), str):
        count = value.get("repeat_count", 1)
        if not isinstance(count, int) or count < 1:
            raise ValidationError(f"training phrase {value!r}: repeat_count must be a positive integer")
        extra = set(value) - {"phrase", "repeat_count"}
        if extra:
            raise ValidationError(f"training phrase {value!r}: unknown key {sorted(extra)[0]!r}")
        return from_line(value["phrase"]), count
    raise ValidationError(f"training phrase {value!r}: expected a line or {{phrase: …, repeat_count: N}}")
