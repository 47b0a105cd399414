"""Canonical YAML for the agent tree: one deterministic writer, one strict reader.

Every file under ``agents/`` is read by people in code review and rewritten by ``pull`` and
``import``, so the writer must give byte-identical text for equal data on every machine, and
the reader must never guess.

Writing (:func:`dump`) uses a small emitter of our own instead of PyYAML's dumpers. Both of
PyYAML's emitters round-trip plain data, but they disagree with each other: libyaml's emitter
escapes every character outside the Basic Multilingual Plane, so a fulfillment message with an
emoji comes out as ``"\\U0001F600"`` with ``CSafeDumper`` and as ``😀`` with ``SafeDumper``.
The tree would then change with the way PyYAML was built on the machine that pulled it. Our
emitter is plain Python over plain data, every style decision is ours, and it is faster than
PyYAML's Python representer feeding libyaml's emitter (1.4 MB agent: 95 ms against 250-490 ms
for ``yaml.dump(Dumper=CSafeDumper)``). The rules:

- block style; mappings in the dict's order (the caller orders keys, nothing is sorted);
  sequences indented under their key; two spaces per level; one final newline;
- text as readable as YAML allows: plain when a YAML reader cannot take it for anything else,
  else ``'single-quoted'`` when it needs no escape, else ``"double-quoted"`` with escapes;
  plain text is never folded, however long;
- text with line breaks as a literal block (``|``, ``|-``, ``|+`` keep the exact trailing line
  breaks; an indentation indicator is added when the first line starts with a space or a tab, or
  the text starts with a line break). Where a literal block could not hold the text exactly, or
  would hide part of it from a reviewer (a space or tab at a line end, which editors strip; a
  ``\\r``, a Unicode line separator, a control or bidirectional-override character), the text
  is double-quoted with escapes instead, still one line of text per line: each ends in an
  escaped line break, so a one-word edit changes one line of the file, as in a block;
- text a YAML reader would take for something else is quoted: PyYAML's own YAML 1.1 rules
  (``yes``, ``on``, ``~``, ``0x1``, ``1_000``, ``12:30``, ``2024-01-01``, ``=``, ``<<``, …), plus
  what YAML 1.2 readers (yq, Go, JavaScript) would read as a number, a boolean or null
  (``1e3``, ``0o17``, ``y``, ``n``), so a reviewer's tools agree with cxops;
- characters a reviewer could not see or that could make a line read differently than it
  parses (C0/C1 controls, BOM, bidirectional controls) are always escaped; lone surrogates,
  which no YAML file can hold, are refused;
- floats in Python's shortest round-trip form (``0.3``; ``1e16`` is written ``1.0e+16`` so that
  a YAML 1.1 reader sees a float), and ``.inf``, ``-.inf``, ``.nan``;
- a list of scalars is written in flow style (``[en, ja]``) when its flow form fits in
  :data:`FLOW_WIDTH` characters and holds no multi-line text; everything else is one item per
  line. Short lists such as languages or entity synonyms read better on one line; long ones
  diff better one item per line.

Reading (:func:`load`) composes with libyaml (``CSafeLoader``, or PyYAML's pure loader where
libyaml is missing) and builds plain data itself, refusing what plain data cannot be: duplicate
keys (PyYAML would keep the last one silently), keys that are not text, aliases, tags other
than YAML's standard plain-data ones (``!!str 1`` is fine, ``!!binary`` and ``!Custom`` are
not), and unquoted dates. Every refusal is a :class:`~cxops.errors.ValidationError` naming the
file, the line and, where there is one, the key. Unused anchors (``&x`` never referred to) are
not detected; they change nothing. Python's cyclic garbage collector is paused while a file is
read: the node tree is many long-lived objects, and collecting them over and over is most of
the time of ``yaml.load`` (1.4 MB agent: 185 ms against 570 ms for
``yaml.load(Loader=CSafeLoader)``; 1.9 s with PyYAML's pure-Python parser).

:func:`load_with_positions` also keeps the composed node tree, so a later check can turn a key
path into a line (:class:`Positions`). It takes about 1.5 times as long as :func:`load` (the
kept tree is collected once afterwards: 275 ms for the same file), a lookup takes about 2 µs,
and the tree costs about 25 times the text in memory for as long as the positions are kept.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from cxops.errors import Location, ValidationError
from cxops.model.gcpause import gc_paused

__all__ = ["FLOW_WIDTH", "KeyPath", "Positions", "dump", "format_path", "load", "load_with_positions"]

KeyPath = tuple[str | int, ...]
"""A key path into loaded data: mapping keys and list indexes, e.g. ``("routes", 2, "target")``."""

FLOW_WIDTH = 60
"""Longest flow-style list (``[a, b]``, brackets included) the writer produces."""

# Where PyYAML was built without libyaml the pure-Python parser gives the same nodes, slower.
_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ = _TAG + "map", _TAG + "seq"

# The resolver that both loaders use: what it maps a plain scalar to is what load() returns.
_RESOLVER = yaml.resolver.Resolver()

# ---------------------------------------------------------------------------------------------
# Writing

# Characters written as themselves: YAML's printable set, minus line breaks other than \n
# (\x85, \u2028, \u2029), the BOM, and \ud800-\udfff. Everything else is escaped.
_RAW = r"\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
# Bidirectional controls are printable but can make a line display differently than it parses
# ("Trojan Source"); a reviewer must see them, so they are always escaped.
_BIDI = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_NOT_RAW = re.compile(rf"[^{_RAW}]|[{_BIDI}]")
# A literal block also holds \n and tabs, but not whitespace at a line end (editors strip it).
_NOT_LITERAL = re.compile(rf"[^\t\n{_RAW}]|[{_BIDI}]|[ \t](?:\n|\Z)")
_ESCAPED = re.compile(rf'[^{_RAW}]|[{_BIDI}"\\]')
# Plain text may not start with an indicator (a "-" is fine when text follows it), start or end
# with a space, hold ": " or " #", end with ":", or look like a document marker.
# Split in what is checked at the start and what anywhere: as one pattern whose branches are
# anchored, the regex engine tried every branch at every position, several times slower.
# Text starting like a merge-conflict marker is quoted, so that a written file never holds one.
_NOT_PLAIN_START = re.compile(r"""[?:,\[\]{}#&*!|>'"%@`]|-(?:\s|$)|\s|---|\.\.\.|<{7}|={7}""")
_NOT_PLAIN_INSIDE = re.compile(r"\s$|:\s|:$|\s#")
# Printable ASCII starting with a letter or "_", without ":" or "#", not ending in a space: by
# construction neither _NOT_RAW nor the _NOT_PLAIN patterns can match, and this one scan is
# cheaper than theirs. Most text of an agent is like this.
# Japanese and Chinese text is allowed too: CJK punctuation, kana, ideographs and full-width
# forms hold no whitespace (U+3000 is left out), no indicator, nothing escaped.
_CJK = "\u3001-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e\uff61-\uff9f"
_SIMPLE_PLAIN = re.compile(rf'[A-Za-z_{_CJK}](?:[ -"$-9;-~{_CJK}]*[!-"$-9;-~{_CJK}])?')
# The same for an item of a flow list, also without its punctuation ",?[]{}".
_SIMPLE_FLOW_PLAIN = re.compile(
    rf'[A-Za-z_{_CJK}](?:[ -"$-+\--9;->@-Z\\^-z|~{_CJK}]*[!-"$-+\--9;->@-Z\\^-z|~{_CJK}])?'
)
# In a flow list, also none of its own punctuation (PyYAML also ends plain text at "?" there).
_NOT_FLOW_PLAIN = re.compile(r"[,?\[\]{}:#]")
# What YAML 1.2 readers and other YAML 1.1 readers take for a number, a boolean or null, beyond
# what PyYAML's resolver already says: quoting it keeps every reader on "text".
_OTHER_READERS = re.compile(
    r"""[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?
    |[-+]?0[box][0-9a-fA-F_]+
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |~|null|Null|NULL|[yYnN]
    |yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF""",
    re.VERBOSE,
)
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
# Longer keys cannot be simple keys ("key: value"); YAML needs the explicit "? key" form.
_SIMPLE_KEY_MAX = 128


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


def _is_plain(text: str, flow: bool) -> bool:
    if not (_SIMPLE_FLOW_PLAIN if flow else _SIMPLE_PLAIN).fullmatch(text):
        if not text or _NOT_RAW.search(text):
            return False
        if _NOT_PLAIN_START.match(text) or _NOT_PLAIN_INSIDE.search(text):
            return False
        if flow and _NOT_FLOW_PLAIN.search(text):
            return False
    if _RESOLVED_FIRST is not None and text[0] not in _RESOLVED_FIRST:
        # No pattern of the resolver or of _OTHER_READERS can match: skip asking them.
        return True
    # The stubs leave Resolver.resolve untyped; it returns the tag as text.
    if _RESOLVER.resolve(ScalarNode, text, (True, False)) != _STR:  # type: ignore[no-untyped-call]
        return False
    return _OTHER_READERS.fullmatch(text) is None


def _resolved_first() -> frozenset[str] | None:
    """The first characters of text that the resolver or _OTHER_READERS may read as other than
    text; None when the resolver has patterns for any first character."""
    patterns: dict[str | None, Any] = _RESOLVER.yaml_implicit_resolvers
    if None in patterns:
        return None
    # Every alternative of _OTHER_READERS starts with one of these.
    return frozenset(key for key in patterns if key) | frozenset("-+.0123456789~nNyYtTfFoO")


_RESOLVED_FIRST = _resolved_first()


def _inline_text(text: str, flow: bool = False) -> str:
    """``text`` on one line: plain, single-quoted, or double-quoted with escapes."""
    if _is_plain(text, flow):
        return text
    if not _NOT_RAW.search(text):
        return "'" + text.replace("'", "''") + "'"
    return _double_quoted(text)


# Text values repeat a lot in an agent (enum names, parameter names, languages, targets), so
# how each short one is written is remembered, in a bounded table per context.
_WRITTEN: tuple[dict[str, str], dict[str, str]] = ({}, {})  # block context, flow list
_WRITTEN_MAX = 1 << 16
_WRITTEN_LEN = 256


def _text(text: str, flow: bool) -> str:
    written_as = _WRITTEN[flow]
    written = written_as.get(text)
    if written is None:
        written = _inline_text(text, flow)
        if len(text) <= _WRITTEN_LEN:
            if len(written_as) >= _WRITTEN_MAX:
                written_as.clear()
            written_as[text] = written
    return written


def _is_literal(text: str) -> bool:
    return "\n" in text and text.strip("\n") != "" and _NOT_LITERAL.search(text) is None


def _literal(text: str, indent: int) -> str:
    """``text`` as a literal block: the header, then its lines at column ``indent``."""
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    chomp = "-" if trailing == 0 else "" if trailing == 1 else "+"
    # Without an indicator the reader takes the first line's leading spaces as indentation;
    # libyaml also refuses a tab there.
    indicator = "2" if text[0] in " \t\n" else ""
    pad = " " * indent
    lines = [pad + line if line else "" for line in body.split("\n")]
    return f"|{indicator}{chomp}\n" + "\n".join(lines) + "\n" * max(trailing, 1)


_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


def _quoted_lines(text: str, indent: int) -> str | None:
    """Multi-line text a literal block cannot hold, double-quoted one line of text per line:
    each line but the last ends in an escaped line break (``\\n\\``), which YAML leaves out
    of the text together with the next line's indentation. Spaces before it are kept (and
    shown: the line ends in a backslash, not in a space an editor would strip); a line's
    leading space is written ``\\ ``. None for text that is only line breaks."""
    lines = _LINE.findall(text)
    if len(lines) < 2 or not text.strip("\n"):
        return None
    pad = " " * indent
    out = []
    for number, line in enumerate(lines):
        escaped = _ESCAPED.sub(_escape, line)
        if number and escaped[0] == " ":
            escaped = "\\" + escaped
        out.append(escaped)
    return '"' + ("\\\n" + pad).join(out) + '"\n'


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = float.__repr__(value)
    # PyYAML's YAML 1.1 resolver reads "1e+16" as text; "1.0e+16" is a float everywhere.
    if "e" in text and "." not in text:
        text = text.replace("e", ".0e")
    return text


def _scalar(value: Any, flow: bool = False) -> str | None:
    """One-line form of a scalar other than multi-line text; None for a collection."""
    if isinstance(value, str):
        return _text(value, flow)
    if isinstance(value, (dict, list)):
        # Before the Mapping check below, which goes through the slower ABC machinery.
        return None
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, (Mapping, list, tuple)):
        return None
    raise _DumpError(f"cannot write {type(value).__name__} {value!r}: cxops files hold plain data only")


def _flow_list(items: Sequence[Any]) -> str | None:
    """``[a, b]`` when every item is a one-line scalar and the whole fits in FLOW_WIDTH."""
    parts: list[str] = []
    width = 0
    written_as = _WRITTEN[True]
    for index, item in enumerate(items):
        if type(item) is str:
            # Text, most items: without the ABC check for Mapping below.
            if "\n" in item or width + len(item) + 2 > FLOW_WIDTH:
                # Written, text is never shorter: a long list (training phrases) stops here
                # without writing an item it will write again one per line.
                return None
            part = written_as.get(item)
            if part is None:
                part = _flow_scalar(item, index)
        elif isinstance(item, (Mapping, list, tuple)) or (isinstance(item, str) and "\n" in item):
            return None
        else:
            part = _flow_scalar(item, index)
        width += len(part) + 2
        if width > FLOW_WIDTH:
            return None
        parts.append(part)
    return "[" + ", ".join(parts) + "]"


def _flow_scalar(item: Any, index: int) -> str:
    try:
        part = _scalar(item, flow=True)
    except _DumpError as error:
        error.path.append(index)
        raise
    assert part is not None
    return part


@functools.lru_cache(maxsize=4096)
def _key(key: str) -> str:
    """The key and its ':' as written, or the explicit form for a key too long to be simple."""
    text = _inline_text(key)
    return text + ":" if len(text) <= _SIMPLE_KEY_MAX else "? " + text + "\n"


def _value(value: Any, indent: int, out: list[str]) -> None:
    """A mapping value, after its ``key:``: inline, or on the next lines at ``indent + 2``."""
    # Text and dicts, most values, first: without the ABC check for Mapping.
    if isinstance(value, str):
        if "\n" in value and _is_literal(value):
            out.append(" " + _literal(value, indent + 2))
        elif "\n" in value and (quoted := _quoted_lines(value, indent + 2)) is not None:
            out.append(" " + quoted)
        else:
            out.append(" " + _text(value, False) + "\n")
        return
    if isinstance(value, dict):
        if value:
            out.append("\n")
            _mapping(value, indent + 2, out, inline=False)
        else:
            out.append(" {}\n")
        return
    if type(value) is list and value:
        # Before _scalar and the ABC check for Mapping, which a list goes through for nothing.
        _list_value(value, indent, out)
        return
    text = _scalar(value)
    if text is not None:
        out.append(" " + text + "\n")
    elif isinstance(value, Mapping):
        if value:
            out.append("\n")
            _mapping(value, indent + 2, out, inline=False)
        else:
            out.append(" {}\n")
    elif not value:
        out.append(" []\n")
    else:
        _list_value(value, indent, out)


def _list_value(value: Sequence[Any], indent: int, out: list[str]) -> None:
    """A non-empty list after its ``key:``: in flow style where it fits, else one item a line."""
    flow = _flow_list(value)
    if flow is not None:
        out.append(" " + flow + "\n")
    else:
        out.append("\n")
        _sequence(value, indent + 2, out, inline=False)


# What goes before a key's value, by indentation and key: the padding, the key as written and
# its ':'. Keys are mostly field names, written thousands of times at the same few depths.
_PREFIXES: dict[int, dict[str, str]] = {}
_PREFIXES_MAX = 1 << 12


def _prefix(key: str, indent: int) -> str:
    pad = " " * indent
    written = pad + _key(key)
    if written[-1] == "\n":
        # The explicit "? key" form: its ':' on a line of its own.
        written += pad + ":"
    prefixes = _PREFIXES.setdefault(indent, {})
    if len(prefixes) >= _PREFIXES_MAX:
        prefixes.clear()
    prefixes[key] = written
    return written


def _mapping(mapping: Mapping[Any, Any], indent: int, out: list[str], inline: bool) -> None:
    """Entries at column ``indent``; with ``inline`` the first continues the current line."""
    # The common cases (one-line text, a non-empty dict) are written here without a call per
    # entry: this loop runs for every field of every resource.
    prefixes = _PREFIXES.get(indent) or {}
    written_as = _WRITTEN[False]
    append = out.append
    key: Any = None
    try:
        for key, value in mapping.items():
            written = prefixes.get(key) if type(key) is str else None
            if written is None:
                if not isinstance(key, str):
                    raise _DumpError(f"a mapping key must be text, not {type(key).__name__} {key!r}")
                written = _prefix(key, indent)
                prefixes = _PREFIXES[indent]
            if inline:
                inline = False
                written = written[indent:]
            kind = type(value)
            if kind is str and "\n" not in value:
                text = written_as.get(value)
                if text is None:
                    text = _text(value, False)
                append(written + " " + text + "\n")
            elif kind is dict and value:
                append(written + "\n")
                _mapping(value, indent + 2, out, inline=False)
            else:
                append(written)
                _value(value, indent, out)
    except _DumpError as error:
        if isinstance(key, str):
            error.path.append(key)
        raise


def _sequence(items: Sequence[Any], indent: int, out: list[str], inline: bool) -> None:
    """Items at column ``indent``; with ``inline`` the first continues the current line."""
    dash = " " * indent + "- "
    written_as = _WRITTEN[False]
    append = out.append
    index = 0
    try:
        # index is read by the except clause below, for the error's path.
        for index, item in enumerate(items):  # noqa: B007
            if inline:
                inline = False
                first = "- "
            else:
                first = dash
            kind = type(item)
            if kind is str and "\n" not in item:
                text = written_as.get(item)
                if text is None:
                    # Not remembered: list items (phrases, messages, synonyms) rarely repeat.
                    text = _inline_text(item)
                append(first + text + "\n")
            elif kind is dict and item:
                append(first)
                _mapping(item, indent + 2, out, inline=True)
            else:
                append(first)
                _item(item, indent, out)
    except _DumpError as error:
        error.path.append(index)
        raise


def _item(item: Any, indent: int, out: list[str]) -> None:
    """A sequence item after its ``- `` (or the root document, at ``indent`` -2)."""
    # Text and dicts, most items, first: without the ABC check for Mapping.
    if isinstance(item, str):
        if "\n" in item and _is_literal(item):
            out.append(_literal(item, max(indent + 2, 2)))
        elif "\n" in item and (quoted := _quoted_lines(item, max(indent + 2, 2))) is not None:
            out.append(quoted)
        else:
            out.append(_text(item, False) + "\n")
        return
    if isinstance(item, dict):
        if item:
            _mapping(item, indent + 2, out, inline=True)
        else:
            out.append("{}\n")
        return
    text = _scalar(item)
    if text is not None:
        out.append(text + "\n")
    elif isinstance(item, Mapping):
        if item:
            _mapping(item, indent + 2, out, inline=True)
        else:
            out.append("{}\n")
    elif not item:
        out.append("[]\n")
    else:
        flow = _flow_list(item)
        if flow is not None:
            out.append(flow + "\n")
        else:
            _sequence(item, indent + 2, out, inline=True)


def dump(data: Any) -> str:
    """Canonical YAML text for plain data (see the module docstring for every rule).

    Raises TypeError, naming the path, for anything that is not plain data: a type other than
    dict, list, tuple, str, int, float, bool or None, a key that is not text, text holding a
    lone surrogate, or data that holds itself.
    """
    out: list[str] = []
    try:
        # The root is written like a sequence item whose dash sits at column -2.
        _item(data, -2, out)
    except _DumpError as error:
        raise TypeError(str(error)) from None
    except RecursionError:
        raise TypeError("cannot write data nested this deeply (or holding itself)") from None
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Reading

_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_SCALARS: dict[str, Callable[[ScalarNode], Any]] = {
    _INT: _CONSTRUCTOR.construct_yaml_int,
    _FLOAT: _CONSTRUCTOR.construct_yaml_float,
    _BOOL: _CONSTRUCTOR.construct_yaml_bool,
    _NULL: _CONSTRUCTOR.construct_yaml_null,
}
_PLAIN_DATA = "cxops files hold plain data: text, numbers, true/false, null, lists and mappings"
_ALIAS = f"aliases (*name) are not supported: {_PLAIN_DATA}"


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _tag_problem(node: Node) -> str:
    """Why ``node``'s tag is refused, in the words of someone who wrote the file."""
    tag = str(node.tag)
    # PyYAML marks a plain scalar's style None, libyaml "".
    if isinstance(node, ScalarNode) and not node.style:
        # No tag was written: PyYAML's resolver read a plain scalar as something else.
        if tag == _TAG + "timestamp":
            return f"unquoted date or time {_short(node.value)}: quote it to keep it as text"
        if tag in (_TAG + "value", _TAG + "merge"):
            return f"{_short(node.value)} has a special meaning in YAML: quote it to keep it as text"
    if tag.startswith(_TAG):
        return f"tag !!{tag[len(_TAG) :]} is not supported: {_PLAIN_DATA}"
    return f"custom tag {tag} is not supported: {_PLAIN_DATA}"


class _Refusal(Exception):
    """Something in the node tree that plain data cannot be; turned into a ValidationError.

    ``node`` gives the line, and its key path plus ``suffix`` the key: a bad key is reported
    at its mapping (suffix ``..``), an alias at the key or item that uses it.
    """

    def __init__(self, message: str, node: Node, suffix: KeyPath | None = ()) -> None:
        super().__init__(message)
        self.message = message
        self.node = node
        self.suffix = suffix


class _Builder:
    """Plain data from a composed node tree, refusing what plain data cannot be."""

    def __init__(self) -> None:
        # libyaml's composer hands back the anchored node itself for an alias, so a node seen
        # twice is an alias; refusing it also stops "billion laughs" documents early.
        self.seen: set[int] = set()

    def build(self, node: Node) -> Any:
        self.seen.add(id(node))
        tag = node.tag
        if tag == _STR:
            if isinstance(node, ScalarNode):
                return node.value
        elif tag == _MAP:
            if isinstance(node, MappingNode):
                return self.mapping(node)
        elif tag == _SEQ:
            if isinstance(node, SequenceNode):
                return self.sequence(node)
        else:
            make = _SCALARS.get(tag)
            if make is not None and isinstance(node, ScalarNode):
                try:
                    return make(node)
                except (ValueError, KeyError):
                    raise _Refusal(f"{_short(node.value)} is not a valid {tag[len(_TAG) :]}", node) from None
        raise _Refusal(_tag_problem(node), node)

    def sequence(self, node: SequenceNode) -> list[Any]:
        seen = self.seen
        data = []
        for index, item in enumerate(node.value):
            if id(item) in seen:
                # The alias itself has no position of its own: point at its list.
                raise _Refusal(_ALIAS, node, (index,))
            data.append(self.build(item))
        return data

    def mapping(self, node: MappingNode) -> dict[str, Any]:
        seen = self.seen
        data: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if id(key_node) in seen:
                raise _Refusal(_ALIAS, node)
            if key_node.tag != _STR or not isinstance(key_node, ScalarNode):
                raise _Refusal(self.key_problem(key_node), key_node, None)
            seen.add(id(key_node))
            key = key_node.value
            if key in data:
                raise _Refusal(f"duplicate key (first at line {lines[key]})", key_node)
            lines[key] = _line(key_node)
            if id(value_node) in seen:
                raise _Refusal(_ALIAS, key_node)
            data[key] = self.build(value_node)
        return data

    def key_problem(self, node: Node) -> str:
        if isinstance(node, ScalarNode):
            if node.tag == _TAG + "merge":
                return f"merge keys (<<) are not supported: {_PLAIN_DATA}"
            if node.tag in _SCALARS:
                kind = node.tag[len(_TAG) :]
                return f"key {node.value!r} is read as {kind}, not text: quote it"
            return _tag_problem(node)
        return "a key must be text, not a list or a mapping"


def _node_path(root: Node, target: Node) -> KeyPath | None:
    """The key path of ``target`` below ``root`` (only walked when reporting an error)."""
    stack: list[tuple[Node, KeyPath]] = [(root, ())]
    visited: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                name = key_node.value if isinstance(key_node, ScalarNode) else "?"
                if key_node is target:
                    return (*path, name)
                stack.append((value_node, (*path, name)))
        elif isinstance(node, SequenceNode):
            stack.extend((item, (*path, index)) for index, item in enumerate(node.value))
    return None


def _syntax_error(error: yaml.YAMLError, text: str, file: str) -> NoReturn:
    if isinstance(error, yaml.reader.ReaderError):
        # libyaml reports a byte offset and PyYAML a character offset: find the character.
        char = chr(error.character) if isinstance(error.character, int) else None
        index = text.find(char) if char else -1
        line = text.count("\n", 0, index) + 1 if index >= 0 else None
        code = f"U+{error.character:04X}" if isinstance(error.character, int) else "?"
        message = f"character {code} is not allowed in a YAML file: write it escaped in double quotes"
        raise ValidationError(message, Location(file, line)) from None
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        message = f"invalid YAML: {error.problem} (column {mark.column + 1})"
        if error.context:
            message += f", {error.context}"
            if error.context_mark is not None and error.context_mark.line != mark.line:
                message += f" at line {error.context_mark.line + 1}"
        raise ValidationError(message, Location(file, mark.line + 1)) from None
    raise ValidationError(f"invalid YAML: {error}", Location(file)) from None


# What git writes around a conflicted hunk (with merge.conflictStyle=diff3 also "|||||||"): at
# the start of a line, where YAML can hold none of them inside block text, which is indented.
_CONFLICT_MARKER = re.compile(r"^(?:<{7}|\|{7}|={7}|>{7})(?: |\r?$)", re.MULTILINE)


def _compose(text: str, file: str) -> Node | None:
    # Before parsing: YAML would report the markers as a scanner error, or read them as text.
    conflict = _CONFLICT_MARKER.search(text)
    if conflict is not None:
        line = text.count("\n", 0, conflict.start()) + 1
        raise ValidationError("unresolved merge conflict", Location(file, line))
    try:
        loader = _LOADER(text)
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        _syntax_error(error, text, file)


def _build(root: Node | None, file: str) -> Any:
    if root is None:
        return None
    try:
        return _Builder().build(root)
    except _Refusal as refusal:
        path = _node_path(root, refusal.node)
        if path is not None:
            path = path[:-1] if refusal.suffix is None else path + refusal.suffix
        key = format_path(path) if path else None
        raise ValidationError(refusal.message, Location(file, _line(refusal.node), key)) from None
    except RecursionError:
        raise ValidationError("nested too deeply", Location(file)) from None


def load(text: str, file: str) -> Any:
    """Plain data from YAML ``text``; ``file`` names it in errors (``file:line: key: …``).

    An empty document gives None. Raises :class:`ValidationError` for unresolved merge-conflict
    markers (``<<<<<<<`` … at a line start), invalid YAML, several
    documents, duplicate keys, keys that are not text, aliases, unquoted dates and tags other
    than YAML's standard plain-data ones.
    """
    with gc_paused():
        return _build(_compose(text, file), file)


def load_with_positions(text: str, file: str) -> tuple[Any, Positions]:
    """:func:`load`, plus the :class:`Positions` to turn key paths into lines."""
    with gc_paused():
        root = _compose(text, file)
        return _build(root, file), Positions(file, root)


class Positions:
    """Lines of the keys and items of one loaded file, found from the composed node tree."""

    def __init__(self, file: str, root: Node | None) -> None:
        self.file = file
        self._root = root
        # Built on first use per mapping: lookups are only made when reporting errors.
        self._keys: dict[int, dict[str, tuple[Node, Node]]] = {}

    def line(self, path: Sequence[str | int]) -> int | None:
        """The 1-based line of ``path``: of its key for a mapping entry, of the item for a list
        item; the nearest ancestor's line when the path goes further than the file; None for an
        empty file."""
        node = self._root
        if node is None:
            return None
        line = _line(node)
        for part in path:
            if isinstance(node, MappingNode) and isinstance(part, str):
                keys = self._keys.get(id(node))
                if keys is None:
                    keys = {k.value: (k, v) for k, v in node.value if isinstance(k, ScalarNode)}
                    self._keys[id(node)] = keys
                found = keys.get(part)
                if found is None:
                    break
                line, node = _line(found[0]), found[1]
            elif (
                isinstance(node, SequenceNode)
                and isinstance(part, int)
                and not isinstance(part, bool)
                and 0 <= part < len(node.value)
            ):
                node = node.value[part]
                line = _line(node)
            else:
                break
        return line

    def location(self, path: Sequence[str | int]) -> Location:
        """Where ``path`` is, for an error: ``file:line: key.path``."""
        return Location(self.file, self.line(path), format_path(path) or None)


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
