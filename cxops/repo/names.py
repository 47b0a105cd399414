"""File names from display names: stems for the agent tree, and Google's JSON-package encoding.

A file name is only a locator; the display name inside the file is authoritative. Readers key on
that, never on the path (real exports keep stale file names after a rename).

**Tree stems** (:func:`tree_stem`, :func:`tree_stems`) name the files and folders of our own tree.
They must be readable in a review and writable on Linux, macOS and Windows:

* NFC, Unicode letters kept as they are (``日本語``, ``Apólice``, ``한국어``, emoji).
* A character that is invalid or dangerous in a file name becomes ``%xx``, its UTF-8 bytes in
  lower-case hex as in Google's export: ``/ \\ : * ? " < > |``, C0/C1 controls and DEL (TAB is
  ``%09``), line/paragraph separators, and invisible format characters such as bidi overrides
  and the BOM (ZWJ/ZWNJ stay: Persian, Indic scripts and emoji sequences need them). ``%`` itself
  becomes ``%25``, so the escape is unambiguous and a replacement never makes two names equal
  (``a/b`` is ``a%2fb``, ``a_b`` stays ``a_b``, ``a%2fb`` is ``a%252fb``). ``_`` would read
  better but would make ``a/b`` and ``a_b`` collide and cost one of them a hash suffix.
* Leading and trailing spaces and trailing dots are dropped (Windows drops them anyway). A
  leading dot is escaped (``.git`` is ``%2egit``): dot files are hidden, skipped by globs, and
  ``.git`` is refused by git. A name with nothing left (``.``, ``..``, ``" "``) is escaped whole
  (``%2e%2e``); the empty name is ``_``. A combining mark that would start the stem or follow an
  escape is escaped too, so the stem stays NFC.
* Windows device names (``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM0``-``COM9``, ``LPT0``-``LPT9``,
  ``COM¹²³``, ``LPT¹²³``, ``CONIN$``, ``CONOUT$``, in any case, also before an extension like
  ``con.txt``) get their first letter escaped: ``%43ON``, ``%63on.txt``. A short name shaped
  like an 8.3 alias (``GIT~1``) gets its ``~`` escaped, since Windows would resolve it to another
  folder's short name.
* A stem is at most :data:`MAX_STEM_BYTES` (255 minus :data:`EXTENSION_BUDGET` for ``.yaml``)
  bytes of UTF-8, and at most as many UTF-16 units once NFD-decomposed (HFS+ stores NFD). A
  longer one is cut at a character boundary and ends in ``~`` and 8 hex digits of the SHA-256 of
  the full display name.

Collisions among siblings (:func:`tree_stems`) are judged as case-insensitive, normalization-
insensitive file systems judge them: by the stem's case fold (upper-cased first, so that the
dotless ``i`` U+0131 meets ``i`` as on NTFS). Of the display names whose stems fold alike, the one that sorts first
by code points keeps the plain stem; the others get ``~`` and a hash of their own display name.
Hashes rather than counters keep every stem independent of which other resources exist: adding
or removing a sibling never renames another file, except when it joins a collision and sorts
first (it then takes the plain stem) or when its plain stem equals a stem another name got by
suffixing. A suffixed stem that still collides is hashed again with an attempt number.

Stems use Unicode tables (NFC, character categories; case folding only to detect collisions).
Unicode keeps these stable for assigned characters, so a newer Python renames no file unless a
display name holds a character the older Unicode version had not assigned. Whole paths can still
pass Windows' 260-character MAX_PATH; that takes ``core.longpaths`` in Git for Windows.

**Package names** (:func:`package_encode`, :func:`package_decode`) are Google's: every byte of
the UTF-8 display name except ``A-Z a-z 0-9``, space, ``_``, ``-`` and ``.`` becomes ``%xx`` in
lower-case hex, and spaces at either end are kept. This matches every file of the real exports
in ``shared/corpus``.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterable

from cxops.errors import ValidationError

__all__ = [
    "EXTENSION_BUDGET",
    "MAX_FILE_NAME_BYTES",
    "MAX_STEM_BYTES",
    "fold",
    "package_decode",
    "package_encode",
    "stem_problems",
    "tree_stem",
    "tree_stems",
]

MAX_FILE_NAME_BYTES = 255
# Room for the extension the tree appends (``.yaml``); collision suffixes are inside the stem.
EXTENSION_BUDGET = 16
MAX_STEM_BYTES = MAX_FILE_NAME_BYTES - EXTENSION_BUDGET

SUFFIX_MARK = "~"
HASH_CHARS = 8

# Invalid on Windows (and ``/`` everywhere, ``:`` in the macOS Finder); ``%`` is our escape.
_FORBIDDEN = frozenset('/\\:*?"<>|%')
# Categories escaped whole: controls, lone surrogates, line and paragraph separators.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
# Printable ASCII that is never escaped unless forced ("." is, at the start).
_SAFE_ASCII = frozenset(chr(c) for c in range(0x20, 0x7F)) - _FORBIDDEN - {"."}
# Format characters that words and emoji need: ZWNJ, ZWJ, and the tags of subdivision flags.
_KEPT_FORMAT = frozenset("\u200c\u200d") | frozenset(chr(c) for c in range(0xE0020, 0xE0080))
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{device}{n}" for device in ("COM", "LPT") for n in "0123456789\u00b9\u00b2\u00b3"}
)
# An NTFS 8.3 alias: up to 8 characters with ``~``, optionally a dot and up to 3 more.
_SHORT_ALIAS = re.compile(r"[^.]{0,8}(?:\.[^.]{0,3})?")
_HEX = frozenset("0123456789abcdefABCDEF")
_PACKAGE_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 _-.")


# --- tree stems --------------------------------------------------------------------------------


def tree_stem(display_name: str) -> str:
    """The file stem of one display name, before collisions with siblings are resolved."""
    return _plain_stem(display_name, _tokens(display_name))


def tree_stems(display_names: Iterable[str]) -> dict[str, str]:
    """File stems for the display names of one folder: portable, distinct under case folding,
    and independent of input order. The result is ordered by display name."""
    names = sorted(set(display_names))
    tokens = {name: _tokens(name) for name in names}
    stems: dict[str, str] = {}
    claimed: set[str] = set()
    losers: list[str] = []
    # All plain stems are claimed before any suffixed one, so a name's stem never depends on
    # where another collision group's suffixes happen to land.
    for name in names:
        stem = _plain_stem(name, tokens[name])
        key = fold(stem)
        if key in claimed:
            losers.append(name)
        else:
            claimed.add(key)
            stems[name] = stem
    for name in losers:
        for attempt in itertools.count():
            stem = _fit(tokens[name], _suffix(name, attempt))
            key = fold(stem)
            if key not in claimed:
                break
        claimed.add(key)
        stems[name] = stem
    return {name: stems[name] for name in names}


def fold(stem: str) -> str:
    """The key under which case-insensitive, normalization-insensitive file systems (APFS,
    NTFS) consider two names equal, or coarser."""
    # upper() first: NTFS upper-cases, and U+0131 (dotless i) upper-cases to ``I`` but folds to itself.
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", stem.upper()).casefold())


def stem_problems(stem: str) -> list[str]:
    """Why ``stem`` (and ``stem`` plus an extension of up to EXTENSION_BUDGET bytes) is not a
    portable file or folder name; empty when it is. Useful for hand-made file names."""
    problems: list[str] = []
    if stem in ("", ".", ".."):
        return [f"{stem!r} cannot be a file name"]
    bad = sorted({c for c in stem if c in '/\\:*?"<>|' or unicodedata.category(c) == "Cc"})
    if bad:
        problems.append(f"contains characters invalid on Windows or POSIX: {bad!r}")
    if stem[-1] in " .":
        problems.append("ends in a space or dot, which Windows drops")
    if stem[0] == " ":
        problems.append("starts with a space")
    if stem[0] == ".":
        problems.append("starts with a dot (hidden; `.git` is refused by git)")
    if _is_reserved(stem):
        problems.append("is a Windows device name")
    if _is_short_alias(stem):
        problems.append("looks like a Windows 8.3 short name")
    if unicodedata.normalize("NFC", stem) != stem:
        problems.append("is not NFC")
    utf8, utf16 = _cost(stem)
    if utf8 > MAX_STEM_BYTES or utf16 > MAX_STEM_BYTES:
        problems.append(f"longer than {MAX_STEM_BYTES} bytes (UTF-8) or UTF-16 units (NFD)")
    return problems


def _tokens(display_name: str) -> list[str]:
    """The stem's pieces before any length cut: each is one character or one escape, so a cut
    between pieces never splits a character or an escape."""
    name = unicodedata.normalize("NFC", display_name)
    core = name.lstrip(" ").rstrip(" .")
    if not core:
        return [_escape(c) for c in name] or ["_"]
    force: set[int] = set()
    tokens = _escape_chars(core, force)
    if _is_reserved("".join(tokens)):
        force.add(0)
        tokens = _escape_chars(core, force)
    if _is_short_alias("".join(tokens)):
        force.update(i for i, c in enumerate(core) if c == SUFFIX_MARK)
        tokens = _escape_chars(core, force)
    return tokens


def _escape_chars(core: str, force: set[int]) -> list[str]:
    """One token per character of ``core``: escaped when the character must be or its index is
    in ``force``."""
    tokens: list[str] = []
    escaped_before = True  # a combining mark must not start the stem
    for i, c in enumerate(core):
        if c in _SAFE_ASCII and i not in force:
            # Most characters of most names: never escaped, and no mark can follow an escape.
            tokens.append(c)
            escaped_before = False
            continue
        category = unicodedata.category(c)
        escape = (
            c in _FORBIDDEN
            or i in force
            or category in _ESCAPED_CATEGORIES
            or (category == "Cf" and c not in _KEPT_FORMAT)
            or (i == 0 and c == ".")
            # A mark after an escape would combine with its hex digit (``%2e`` + U+0301 -> ``é``).
            or (escaped_before and category[0] == "M")
        )
        tokens.append(_escape(c) if escape else c)
        escaped_before = escape
    return tokens


def _plain_stem(display_name: str, tokens: list[str]) -> str:
    stem = "".join(tokens)
    if max(_cost(stem)) <= MAX_STEM_BYTES:
        return stem
    return _fit(tokens, _suffix(display_name, 0))


def _fit(tokens: list[str], suffix: str) -> str:
    """As many leading tokens as fit before ``suffix`` within MAX_STEM_BYTES, then the suffix."""
    room8, room16 = (MAX_STEM_BYTES - n for n in _cost(suffix))
    kept = 0
    for token in tokens:
        utf8, utf16 = _cost(token)
        if utf8 > room8 or utf16 > room16:
            break
        room8 -= utf8
        room16 -= utf16
        kept += 1
    # The first token is never a space or a bare dot, so something always stays.
    while kept > 1 and tokens[kept - 1] in (" ", "."):
        kept -= 1
    return "".join(tokens[:kept]) + suffix


def _suffix(display_name: str, attempt: int) -> str:
    # The raw display name, not its NFC form: names that differ only in normalization must get
    # different suffixes.
    data = display_name.encode("utf-8", "surrogatepass")
    if attempt:
        data += b"\0%d" % attempt
    return SUFFIX_MARK + hashlib.sha256(data).hexdigest()[:HASH_CHARS]


def _cost(text: str) -> tuple[int, int]:
    """(UTF-8 bytes, UTF-16 units after NFD): the limits of ext4/APFS and of HFS+; NTFS counts
    UTF-16 units of the name as given, never more than its UTF-8 bytes."""
    utf8 = len(text.encode("utf-8", "surrogatepass"))
    utf16 = len(unicodedata.normalize("NFD", text).encode("utf-16-le", "surrogatepass")) // 2
    return utf8, utf16


def _escape(c: str) -> str:
    return "".join(f"%{b:02x}" for b in c.encode("utf-8", "surrogatepass"))


def _is_short_alias(stem: str) -> bool:
    return bool(_SHORT_ALIAS.fullmatch(stem)) and SUFFIX_MARK in stem.partition(".")[0]


def _is_reserved(stem: str) -> bool:
    # Windows maps the part before the first dot, trailing spaces dropped, to the device.
    return stem.partition(".")[0].rstrip(" ").upper() in _RESERVED


# --- JSON package names ------------------------------------------------------------------------


def package_encode(display_name: str) -> str:
    """The file stem Google's export gives ``display_name``."""
    try:
        data = display_name.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValidationError(f"display name {display_name!r} is not valid Unicode") from err
    return "".join(chr(b) if b in _PACKAGE_SAFE else f"%{b:02x}" for b in data)


def package_decode(stem: str) -> str:
    """The display name a package file stem encodes. Hex may be in either case; characters
    that Google would have encoded are accepted as they are (hand-made files)."""
    data = bytearray()
    i = 0
    while i < len(stem):
        c = stem[i]
        if c != "%":
            data += c.encode("utf-8", "surrogatepass")
            i += 1
            continue
        digits = stem[i + 1 : i + 3]
        # Checked by hand: int(..., 16) would also take non-ASCII digits.
        if len(digits) != 2 or not _HEX.issuperset(digits):
            raise ValidationError(
                f"file name {stem!r} is not a percent-encoded display name: '%' at position {i} "
                "is not followed by two hex digits"
            )
        data.append(int(digits, 16))
        i += 3
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValidationError(
            f"file name {stem!r} is not a percent-encoded display name: its bytes are not UTF-8"
        ) from err
