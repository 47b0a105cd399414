"""Text in YAML's double quotes, escaped so a reviewer sees every character, and a key path
written with it (``routes[2].target``, ``["a.b"]``): shared by the writer (cxops.repo.yamlio)
and the reader's messages (cxops.repo.yamlload)."""

from __future__ import annotations

import re
from collections.abc import Sequence

# Characters written as themselves: YAML's printable set, minus line breaks other than \n
# (\x85, \u2028, \u2029), the BOM, and \ud800-\udfff. Everything else is escaped.
_RAW = r"\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
# Bidirectional controls are printable but can make a line display differently than it parses
# ("Trojan Source"); a reviewer must see them, so they are always escaped.
_BIDI = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_ESCAPED = re.compile(rf'[^{_RAW}]|[{_BIDI}"\\]')
_ESCAPES = {
    "\0": "\\0",
    "\x07": "\\a",
    "\x08": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\x0b": "\\v",
    "\x0c": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
    "\x85": "\\N",
    "\u2028": "\\L",
    "\u2029": "\\P",
}


class _DumpError(TypeError):
    """Data that is not plain data; collects the path on its way up."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str | int] = []

    def __str__(self) -> str:
        where = format_path(tuple(reversed(self.path)))
        return f"{self.message} at {where}" if where else self.message


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    escape = _ESCAPES.get(char)
    if escape is not None:
        return escape
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        raise _DumpError(f"text holds a lone surrogate U+{code:04X}, which no YAML file can hold")
    if code <= 0xFF:
        return f"\\x{code:02X}"
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def _double_quoted(text: str) -> str:
    return '"' + _ESCAPED.sub(_escape, text) + '"'


_BARE_KEY = re.compile(r"[^\s.\[\]\"'\\]+")


def format_path(path: Sequence[str | int]) -> str:
    """A key path as a reader would write it: ``transition_routes[2].target_page``.

    Keys with dots, brackets, quotes or spaces are written ``["a.b"]``.
    """
    parts: list[str] = []
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{int(part)}]")
        elif _BARE_KEY.fullmatch(part):
            parts.append(("." if parts else "") + part)
        else:
            parts.append("[" + _double_quoted(part) + "]")
    return "".join(parts)
