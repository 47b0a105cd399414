"""JSON written byte for byte the way Dialogflow CX exports write it.

Packaging an imported agent must reproduce Google's files exactly, or every export/import
cycle would show whitespace diffs. The rules below were measured on the real exports in the
shared corpus (every one of its ``.json`` files round-trips through ``dumps(loads(raw))``):

* 2-space indent, LF, a final newline; ``"key": value`` (no space before the colon).
* Only objects indent. Arrays stay on the line that opens them and add no indentation level:
  ``"a": [ 1, 2 ]``, ``"a": [ {`` … ``}, {`` … ``} ]``, ``"a": [ [ {`` … ``} ] ]``, ``[ ]``.
* An empty object is ``{``, a line holding only the current indentation, then ``}`` at the
  same indentation: ``"x": {\\n    \\n    }`` four levels in.
* Strings: ``<`` ``>`` ``&`` become ``\\u003c`` ``\\u003e`` ``\\u0026``; ``"`` ``\\`` and
  ``\\n`` ``\\r`` ``\\t`` use short escapes; ``=`` ``'`` ``/`` and all non-ASCII text are
  written raw (UTF-8). Other control characters never occur in the corpus; they get
  ``\\b`` ``\\f`` or lower-case ``\\u00XX`` as in Gson, whose lower-case hex the HTML escapes
  share. U+2028/U+2029 never occur either; they are escaped, which every reader accepts.
* Numbers: integers as is; float32 fields as 8 significant digits of the float32 value
  (``0.30000001``, see :func:`float32_json`); a float with no fraction without ``.0``
  (``"temperature": 0``): the corpus never writes ``1.0``.
* Keys keep the order of the mapping: the caller orders them per resource type.
"""

from __future__ import annotations

import json
import re
import struct
from typing import Any

__all__ = ["JsonSyntaxError", "clean_float32", "dumps", "float32_json", "loads"]

_INDENT = "  "

# The C encoder already writes the short escapes and lower-case \u00XX for the other control
# characters; only Google's extra escapes (and lone surrogates, which UTF-8 cannot carry) are
# left to patch.
_encode_basestring = json.encoder.encode_basestring
_EXTRA = re.compile("[<>&\u2028\u2029\ud800-\udfff]")

# Past 2**53 a float no longer holds every integer, so its int() would invent digits.
_MAX_EXACT_INT = 2.0**53


def _escape_extra(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _string(s: str) -> str:
    out = _encode_basestring(s)
    return _EXTRA.sub(_escape_extra, out) if _EXTRA.search(s) else out


def _number(x: float) -> str:
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError(f"JSON cannot hold {x!r}")
    if x.is_integer() and abs(x) < _MAX_EXACT_INT:
        return str(int(x))
    return repr(x)


def _write(value: Any, level: int, out: list[str]) -> None:
    # Ordered by frequency in real packages: strings and objects dominate.
    if isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, dict):
        if not value:
            pad = _INDENT * level
            out.append("{\n" + pad + "\n" + pad + "}")
            return
        inner = "\n" + _INDENT * (level + 1)
        first = True
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be str, not {type(key).__name__}: {key!r}")
            out.append(("{" if first else ",") + inner + _string(key) + ": ")
            first = False
            _write(item, level + 1, out)
        out.append("\n" + _INDENT * level + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[ ]")
            return
        sep = "[ "
        for item in value:
            out.append(sep)
            sep = ", "
            _write(item, level, out)
        out.append(" ]")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif isinstance(value, int):
        # int.__repr__ so that IntEnum members print their number, not their name.
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_number(value))
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON: {value!r}")


def dumps(obj: Any) -> str:
    """``obj`` as Google's exports print it, ending in a newline (see the module docstring)."""
    out: list[str] = []
    _write(obj, 0, out)
    out.append("\n")
    return "".join(out)


class JsonSyntaxError(ValueError):
    """A file is not valid JSON; ``line`` and ``column`` count from 1."""

    def __init__(self, path: str, line: int, column: int, message: str) -> None:
        super().__init__(f"{path}:{line}:{column}: {message}")
        self.path = path
        self.line = line
        self.column = column
        self.message = message


# Strings first, so that a "NaN" inside a string value is skipped over.
_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(NaN|-?Infinity)', re.DOTALL)


class _NonStandardConstant(Exception):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NonStandardConstant(name)


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of two equal keys; which one a writer meant is unknowable.
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


# One decoder for every file: json.loads with a keyword builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)

# Deeper than this is refused before decoding: protobuf's parsers stop at a nesting depth of
# 100 (the default recursion limit of its C++, upb and Python parsers), so CX cannot hold such
# a value, and Python's own json stops with a RecursionError near 1,000.
MAX_DEPTH = 100
# Every byte but brackets and quotes, deleted by bytes.translate (fast in C).
_NOT_SKELETON = bytes(b for b in range(256) if b not in b'[]{}"')
# A \ud800-\udfff escape: json decodes it to a lone surrogate if it has no partner, which
# is no character (UTF-8 cannot hold it), so it is refused where it appears.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _too_deep(raw: bytes) -> bool:
    """Whether brackets nest more than MAX_DEPTH deep, on the bracket skeleton of the text
    (escapes, then everything but brackets and quotes, then strings taken away), its
    innermost pairs taken away a level a pass: a real file is about 15 levels deep. Brackets
    that do not pair stop the passes and are left to the decoder to report."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False
    # \\ first: a backslash in JSON always starts an escape, paired from the left.
    bare = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_SKELETON)
    skeleton = b"".join(bare.split(b'"')[::2])
    for _ in range(MAX_DEPTH + 1):
        inner = skeleton.replace(b"[]", b"").replace(b"{}", b"")
        if inner == skeleton:
            return False
        skeleton = inner
    return True


def _surrogate_key(value: Any, key: str = "") -> str | None:
    """The key holding a string with a lone surrogate ("" at the top), or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return key
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for k, v in items:
        if isinstance(k, str) and _surrogate_key(k) is not None:
            return k.encode("utf-8", "backslashreplace").decode("ascii")
        found = _surrogate_key(v, f"{key}[{k}]" if isinstance(k, int) else f"{key}.{k}" if key else k)
        if found is not None:
            return found
    return None


def _line_column(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def loads(text: str | bytes, path: str = "<string>") -> Any:
    """Parse JSON keeping key order; bad input raises :class:`JsonSyntaxError`.

    ``NaN`` and ``Infinity``, which Python accepts, are refused: they are not JSON and CX
    would reject them. ``path`` only names the source in the error.
    """
    raw = None
    if isinstance(text, bytes):
        raw = text
        try:
            # utf-8-sig: an editor may have added a BOM; it carries no content.
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            before = raw[: e.start]
            line = before.count(b"\n") + 1
            column = len(before) - (before.rfind(b"\n") + 1) + 1
            raise JsonSyntaxError(path, line, column, f"not UTF-8 (byte 0x{raw[e.start]:02x})") from None
    try:
        if text.startswith("\ufeff"):
            # As json.loads says it (a str, not bytes, can still start with one).
            raise JsonSyntaxError(path, 1, 1, "Unexpected UTF-8 BOM (decode using utf-8-sig)")
        if _too_deep(raw if raw is not None else text.encode("utf-8", "surrogatepass")):
            raise JsonSyntaxError(path, 1, 1, f"nested more than {MAX_DEPTH} levels deep")
        value = _DECODER.decode(text)
    except json.JSONDecodeError as e:
        raise JsonSyntaxError(path, e.lineno, e.colno, e.msg) from None
    except RecursionError:
        raise JsonSyntaxError(path, 1, 1, "nested too deeply to read") from None
    except _DuplicateKey as e:
        raise JsonSyntaxError(path, *_key_line(text, e.args[0]), f'duplicate key "{e.args[0]}"') from None
    except _NonStandardConstant as e:
        for match in _CONSTANT.finditer(text):
            if match.group(1) is not None:
                line, column = _line_column(text, match.start(1))
                break
        else:  # pragma: no cover - json only calls the hook for a constant it has seen
            line, column = 1, 1
        raise JsonSyntaxError(path, line, column, f"{e.args[0]} is not valid JSON") from None
    if _SURROGATE_ESCAPE.search(text):
        key = _surrogate_key(value)
        if key is not None:
            where = f" in {key}" if key else ""
            raise JsonSyntaxError(
                path, 1, 1, f"a lone surrogate escape (\\ud800-\\udfff){where} is no character"
            )
    return value


def _key_line(text: str, key: str) -> tuple[int, int]:
    """Where ``key`` appears as a key for the last time: the later of two equal keys is
    usually the one json would have kept silently."""
    starts = [m.start() for m in re.finditer(re.escape(json.dumps(key)) + r"\s*:", text)]
    return _line_column(text, starts[-1]) if starts else (1, 1)


def _to_float32(x: float) -> float:
    try:
        return float(struct.unpack("<f", struct.pack("<f", x))[0])
    except OverflowError:
        raise ValueError(f"{x!r} is out of float32 range") from None


def float32_json(x: float) -> float:
    """The value an export prints for ``x`` stored in a proto ``float`` (float32) field.

    Google rounds to float32, then prints 8 significant digits: 0.3 → 0.30000001,
    0.95 → 0.94999999, 0.6 → 0.60000002, yet 0.1 → 0.1 (float32 0.1 is 0.100000001490…,
    whose 8 digits are 0.10000000) and 0.5 → 0.5. The returned double has exactly those
    digits as its shortest repr, so :func:`dumps` prints them. Double fields (e.g. numbers
    inside a Struct) must not go through this.
    """
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError(f"JSON cannot hold {x!r}")
    return float(format(_to_float32(x), ".8g"))


def clean_float32(x: float) -> float:
    """The shortest decimal that is the same float32 as ``x``: 0.30000001 → 0.3.

    The inverse of :func:`float32_json` for what a user means: ``float32_json(clean_float32(v))
    == v`` for every value an export prints.
    """
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError(f"JSON cannot hold {x!r}")
    target = _to_float32(x)
    # 9 significant digits always identify a float32, so the loop returns by then.
    for digits in range(1, 10):
        candidate = float(format(target, f".{digits}g"))
        try:
            if _to_float32(candidate) == target:
                return candidate
        except ValueError:
            continue  # near the float32 maximum, a short decimal can round past it
    return target  # pragma: no cover
