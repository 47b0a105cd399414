"""CX condition expressions: a documented subset, evaluated against session state.

Grammar (the CX "Conditions" reference: comparison operators ``=``, ``!=``, ``<``, ``>``,
``<=``, ``>=``, ``:`` (has / contains), boolean ``AND``, ``OR``, ``NOT``, parentheses; constants
``true``, ``false``, ``null``, numbers, quoted strings; parameter references ``$session.params.x``,
``$page.params.x``, ``$intent.params.x``, with a path into a structured value:
``$session.params.x[0].field``). Anything else — system functions (``$sys.func.*``),
other ``$`` references — raises :class:`Unsupported`, which the runtime reports as an error of
the turn instead of guessing a value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class Unsupported(Exception):
    """An expression the stand-in does not model; the message names what."""


TOKEN_RE = re.compile(
    r"""\s*(?:
    (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    |(?P<op><=|>=|!=|=|<|>|:)
    |(?P<paren>[()])
    |(?P<ref>\$[A-Za-z_][\w\-]*(?:\.[\w\-]+|\[\d+\])*)
    |(?P<num>-?\d+(?:\.\d+)?(?![\w.]))
    |(?P<word>[^\s()=!<>:"']+)
    )""",
    re.VERBOSE,
)
KEYWORDS = {"and", "or", "not"}


@dataclass(frozen=True)
class Tok:
    kind: str
    text: str


def tokenize(expr: str) -> list[Tok]:
    toks: list[Tok] = []
    pos = 0
    expr = expr.rstrip()
    while pos < len(expr):
        m = TOKEN_RE.match(expr, pos)
        if m is None or m.end() == pos:
            raise Unsupported(f"cannot read condition {expr!r} at {expr[pos:]!r}")
        kind = m.lastgroup or ""
        text = m.group(kind)
        if kind == "word" and text.lower() in KEYWORDS:
            kind = text.lower()
        toks.append(Tok(kind, text))
        pos = m.end()
    return toks


Lookup = Callable[[str], Any]  # "$session.params.x" -> value (None when unset)


class _Parser:
    def __init__(self, toks: list[Tok], lookup: Lookup, expr: str) -> None:
        self.toks, self.pos, self.lookup, self.expr = toks, 0, lookup, expr

    def peek(self) -> Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> Tok:
        tok = self.peek()
        if tok is None:
            raise Unsupported(f"condition {self.expr!r} ends too early")
        self.pos += 1
        return tok

    def parse_or(self) -> bool:
        value = self.parse_and()
        while (tok := self.peek()) is not None and tok.kind == "or":
            self.take()
            rhs = self.parse_and()
            value = value or rhs
        return value

    def parse_and(self) -> bool:
        value = self.parse_not()
        while (tok := self.peek()) is not None and tok.kind == "and":
            self.take()
            rhs = self.parse_not()
            value = value and rhs
        return value

    def parse_not(self) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == "not":
            self.take()
            return not self.parse_not()
        return self.parse_comparison()

    def parse_comparison(self) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == "paren" and tok.text == "(":
            self.take()
            value = self.parse_or()
            close = self.take()
            if close.text != ")":
                raise Unsupported(f"condition {self.expr!r}: ')' expected")
            return value
        lhs = self.operand()
        op = self.peek()
        if op is None or op.kind != "op":
            return _truthy(lhs)  # a bare reference or constant: true when set and not false
        self.take()
        return compare(lhs, op.text, self.operand())

    def operand(self) -> Any:
        tok = self.take()
        if tok.kind == "str":
            return (
                bytes(tok.text[1:-1], "utf-8").decode("unicode_escape")
                if "\\" in tok.text
                else tok.text[1:-1]
            )
        if tok.kind == "num":
            return float(tok.text)
        if tok.kind == "ref":
            return self.lookup(tok.text)
        if tok.kind == "word":
            low = tok.text.lower()
            if low == "true":
                return True
            if low == "false":
                return False
            if low == "null":
                return None
            return tok.text  # CX reads an unquoted word as a string constant
        raise Unsupported(f"condition {self.expr!r}: unexpected {tok.text!r}")


def _truthy(value: Any) -> bool:
    return value is not None and value is not False and value != ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def compare(lhs: Any, op: str, rhs: Any) -> bool:
    if op == ":":
        if lhs is None:
            return False
        if isinstance(lhs, list):
            return any(compare(item, "=", rhs) for item in lhs)
        return str(rhs).casefold() in str(lhs).casefold()
    if op in ("=", "!="):
        equal = _equal(lhs, rhs)
        return equal if op == "=" else not equal
    a, b = _number(lhs), _number(rhs)
    if a is None or b is None:
        if lhs is None or rhs is None:
            return False
        a_s, b_s = str(lhs), str(rhs)
        return {"<": a_s < b_s, ">": a_s > b_s, "<=": a_s <= b_s, ">=": a_s >= b_s}[op]
    return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]


def _equal(lhs: Any, rhs: Any) -> bool:
    if lhs is None or rhs is None:
        return lhs is None and rhs is None
    if isinstance(lhs, bool) or isinstance(rhs, bool):
        return _as_bool(lhs) == _as_bool(rhs)
    a, b = _number(lhs), _number(rhs)
    if a is not None and b is not None:
        return a == b
    return str(lhs) == str(rhs)


def _as_bool(value: Any) -> bool | str:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return str(value)


def evaluate(expr: str, lookup: Lookup) -> bool:
    """The truth of a CX condition; :class:`Unsupported` for what the stand-in does not model."""
    if not expr.strip():
        return True
    toks = tokenize(expr)
    for tok in toks:
        if tok.kind == "ref" and not re.match(r"^\$(session|page|intent)\.params\.", tok.text):
            raise Unsupported(f"condition {expr!r}: {tok.text} is not modelled by the stand-in")
    parser = _Parser(toks, lookup, expr)
    value = parser.parse_or()
    if parser.peek() is not None:
        raise Unsupported(f"condition {expr!r}: unexpected {parser.peek().text!r}")  # type: ignore[union-attr]
    return value
