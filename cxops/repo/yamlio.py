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
from collections.abc import Mapping, Sequence
from typing import Any

from yaml.nodes import ScalarNode

# Reading is cxops.repo.yamlload; named here too, so callers read and write through this module.
from cxops.repo.yamlload import _RESOLVER, _STR
from cxops.repo.yamlload import KeyPath as KeyPath
from cxops.repo.yamlload import Positions as Positions
from cxops.repo.yamlload import load as load
from cxops.repo.yamlload import load_with_positions as load_with_positions
from cxops.repo.yamlquote import _BIDI, _ESCAPED, _RAW, _double_quoted, _DumpError, _escape
from cxops.repo.yamlquote import format_path as format_path

__all__ = ["FLOW_WIDTH", "KeyPath", "Positions", "dump", "format_path", "load", "load_with_positions"]

FLOW_WIDTH = 60
"""Longest flow-style list (``[a, b]``, brackets included) the writer produces."""


# ---------------------------------------------------------------------------------------------
# Writing

_NOT_RAW = re.compile(rf"[^{_RAW}]|[{_BIDI}]")
# A literal block also holds \n and tabs, but not whitespace at a line end (editors strip it).
_NOT_LITERAL = re.compile(rf"[^\t\n{_RAW}]|[{_BIDI}]|[ \t](?:\n|\Z)")
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
# Longer keys cannot be simple keys ("key: value"); YAML needs the explicit "? key" form.
_SIMPLE_KEY_MAX = 128


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
