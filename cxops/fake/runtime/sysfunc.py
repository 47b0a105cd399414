"""Inline system functions (``$sys.func.NAME(arg, ...)``): a documented subset.

CX's "System functions reference": "You can apply inline system functions in your agent's
conditions, static response messages ..., parameter presets ... All system functions follow the
pattern of ``$sys.func.<FUNCTION NAME>(<ARGUMENT 1>, <ARGUMENT 2>, ...)``"; arguments are inline
values (number, quoted string, ``true``/``false``/``null``), parameter references or nested
function calls. Modelled: ``IDENTITY``, ``ADD``, ``MINUS``, ``IF`` (a condition string, then the
value if true and the value if false), ``COUNT``, ``LEN``, ``TO_TEXT``, ``LOWER``, ``UPPER``,
``CONCATENATE``. Any other function, or a reference outside the condition subset, raises
:class:`conditions.Unsupported`: its value is not guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from cxops.fake.runtime import conditions
from cxops.fake.runtime.conditions import Unsupported

CALL_RE = re.compile(r"\$sys\.func\.([A-Za-z_]+)\(")
REF = re.compile(r"\$(?:session|page|intent)\.params\.[\w\-]+(?:\.[\w\-]+|\[\d+\])*")
NUM = re.compile(r"-?\d+(?:\.\d+)?")


def _number(value: Any, name: str) -> float:
    number = conditions._number(value)
    if number is None:
        raise Unsupported(f"$sys.func.{name}: {value!r} is not a number")
    return number


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


class _Reader:
    def __init__(self, text: str, pos: int, lookup: conditions.Lookup) -> None:
        self.text, self.pos, self.lookup = text, pos, lookup

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def call(self) -> Any:
        m = CALL_RE.match(self.text, self.pos)
        if m is None:
            raise Unsupported(f"cannot read a system function at {self.text[self.pos : self.pos + 40]!r}")
        name, self.pos = m.group(1), m.end()
        args: list[Any] = []
        self.skip()
        if self.text.startswith(")", self.pos):
            self.pos += 1
            return apply(name, args, self.lookup)
        while True:
            args.append(self.arg())
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith(")", self.pos):
                self.pos += 1
                return apply(name, args, self.lookup)
            raise Unsupported(f"$sys.func.{name}: cannot read its arguments")

    def arg(self) -> Any:
        self.skip()
        rest = self.text[self.pos :]
        if CALL_RE.match(rest):
            return self.call()
        if rest[:1] in "\"'":
            quote, end = rest[0], 1
            while end < len(rest) and rest[end] != quote:
                end += 2 if rest[end] == "\\" else 1
            self.pos += end + 1
            return rest[1:end].replace("\\" + quote, quote)
        if m := REF.match(rest):
            self.pos += m.end()
            return self.lookup(m.group(0))
        if m := NUM.match(rest):
            self.pos += m.end()
            return float(m.group(0))
        for word, value in (("true", True), ("false", False), ("null", None)):
            if rest.lower().startswith(word):
                self.pos += len(word)
                return value
        raise Unsupported(f"system function argument {rest[:40]!r} is not modelled by the stand-in")


def apply(name: str, args: list[Any], lookup: conditions.Lookup) -> Any:
    if name == "IDENTITY" and len(args) == 1:
        return args[0]
    if name == "ADD" and len(args) == 2:
        return _number(args[0], name) + _number(args[1], name)
    if name == "MINUS" and len(args) == 2:
        return _number(args[0], name) - _number(args[1], name)
    if name == "IF" and len(args) == 3 and isinstance(args[0], str):
        return args[1] if conditions.evaluate(args[0], lookup) else args[2]
    if name in ("COUNT", "LEN") and len(args) == 1 and isinstance(args[0], (list, str)):
        return float(len(args[0]))
    if name == "TO_TEXT" and len(args) == 1:
        return _text(args[0])
    if name in ("LOWER", "UPPER") and len(args) == 1 and isinstance(args[0], str):
        return args[0].lower() if name == "LOWER" else args[0].upper()
    if name == "CONCATENATE" and args:
        return "".join(_text(a) for a in args)
    raise Unsupported(f"$sys.func.{name} with {len(args)} argument(s) is not modelled by the stand-in")


def value(expr: str, lookup: conditions.Lookup) -> Any:
    """The value of a parameter preset that is one function call."""
    reader = _Reader(expr.strip(), 0, lookup)
    result = reader.call()
    if reader.pos != len(reader.text):
        raise Unsupported(f"cannot read {expr!r}: text after the system function")
    return result


def substitute(text: str, lookup: conditions.Lookup, show: Callable[[Any], str] = _text) -> str:
    """A response text with each inline function call replaced by its value."""
    out, pos = [], 0
    while (m := CALL_RE.search(text, pos)) is not None:
        reader = _Reader(text, m.start(), lookup)
        result = reader.call()
        out.append(text[pos : m.start()])
        out.append(show(result))
        pos = reader.pos
    out.append(text[pos:])
    return "".join(out)
