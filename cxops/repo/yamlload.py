"""Reading cxops's YAML files: plain data only, every refusal at its file and line, and the line
of every key (:class:`Positions`). The libyaml (C) loader where PyYAML has it.

Part of cxops.repo.yamlio (which documents the format and writes it); the tags and the resolver
here are the ones the writer quotes against, so what it writes reads back as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from cxops.errors import Location, ValidationError
from cxops.model.gcpause import gc_paused
from cxops.repo.yamlquote import format_path

KeyPath = tuple[str | int, ...]
"""A key path into loaded data: mapping keys and list indexes, e.g. ``("routes", 2, "target")``."""

# Where PyYAML was built without libyaml the pure-Python parser gives the same nodes, slower.
_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ = _TAG + "map", _TAG + "seq"

# The resolver that both loaders use: what it maps a plain scalar to is what load() returns.
_RESOLVER = yaml.resolver.Resolver()


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
